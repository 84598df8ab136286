/* spec_roundtrip_test.c - snapshot -> full spec text (lib/spec/write.c) ->
 * parse (lib/spec/parse.c) -> snapshot (lib/spec/spec_snap.c): the same
 * layout as the start, compared as diff compares (lib/compare), for the
 * worked examples of spec/examples and a layout of hostile names. */
#include <stdlib.h>
#include <string.h>

#include "lib/compare/compare.h"
#include "lib/json/snapjson.h"
#include "lib/spec/spec.h"
#include "lib/spec/spec_snap.h"
#include "lib/spec/write.h"
#include "tests/unit/tap.h"


/* Writes snap as a spec, reads it back; the differences diff finds (device
 * numbers aside: a spec has none), or -1 when it does not read back. */
static long roundtrip(const struct mnts_snapshot *snap, char **ret_text)
{
	struct mnts_compare_opts opts = {.ignore = MNTS_FIELD_DEV};
	struct mnts_snapshot *back = NULL;
	struct mnts_error err = {0};
	struct mnts_spec spec = {0};
	struct mnts_diff diff = {0};
	char *text = NULL;
	size_t len = 0;
	long n = -1;
	FILE *f = open_memstream(&text, &len);

	if (mnts_spec_write(snap, f, &err) < 0 || fclose(f) != 0) {
		printf("# write: %s\n", err.msg);
		return -1;
	}
	*ret_text = text;
	if (mnts_spec_parse(&spec, "t.spec", text, len, &err) < 0 ||
	    mnts_spec_to_snapshot(&spec, &back, &err) < 0) {
		printf("# %s\n", err.msg);
		mnts_spec_free(&spec);
		return -1;
	}
	mnts_spec_free(&spec);
	if (mnts_compare(snap, back, &opts, &diff, &err) == 0) {
		n = (long)diff.n;
		for (size_t i = 0; i < diff.n; i++)
			printf("# %s\n", diff.items[i].text);
	}
	mnts_diff_done(&diff);
	mnts_snapshot_free(back);
	return n;
}

static struct mnts_mount *add(struct mnts_ns *ns, uint64_t id, uint64_t parent, const char *mp,
			      unsigned dev)
{
	struct mnts_mount *m = mnts_ns_add_mount(ns);

	m->id = m->mnt_id = id;
	m->parent_id = parent;
	m->mountpoint = xstrdup(mp);
	m->root = xstrdup("/");
	m->fstype = xstrdup("tmpfs");
	m->source = xstrdup("tmpfs");
	m->dev_minor = dev;
	mnts_strv_push(&m->mount_options, "rw");
	mnts_strv_push(&m->mount_options, "relatime");
	mnts_strv_push(&m->super_options, "rw");
	return m;
}

int main(void)
{
	static const char *const examples[] = {"group-tree", "inverse-chain", "lxd-seed003"};

	for (size_t i = 0; i < ARRAY_SIZE(examples); i++) {
		char path[256], name[128];
		struct mnts_snapshot *snap = NULL;
		struct mnts_error err = {0};
		char *text = NULL;

		snprintf(path, sizeof(path), "spec/examples/%s.json", examples[i]);
		snprintf(name, sizeof(name), "spec/examples/%s.json reads back the same", examples[i]);
		TEST(name)
		{
			CHECK_INT(mnts_snapshot_read(path, &snap, &err), 0);
			if (snap)
				CHECK_INT(roundtrip(snap, &text), 0);
			if (text && !tap_cur_ok)
				printf("# text:\n%s", text);
		}
		free(text);
		mnts_snapshot_free(snap);
	}
	TEST("hostile names: spaces, quotes, newlines, '#', backslashes, bytes that are not "
	     "UTF-8, commas in options")
	{
		struct mnts_snapshot *snap = mnts_snapshot_new();
		struct mnts_ns *ns = mnts_snapshot_add_ns(snap, "ns0");
		struct mnts_error err = {0};
		struct mnts_mount *m;
		char *text = NULL;

		ns->owner.known = ns->owner.initial = true;
		mnts_strv_push(&ns->owner.uid_map, "0 0 4294967295");
		mnts_strv_push(&ns->owner.gid_map, "0 0 4294967295");
		add(ns, 1, 0, "/", 1);
		m = add(ns, 2, 1, "/a b/\"q\"/#h", 2);
		m->shared_id = 5;
		m = add(ns, 3, 1, "/new\nline/\xff\xfe", 2);
		free(m->root);
		m->root = xstrdup("/r\\oot\t#x");
		m->master_id = 5;
		m = add(ns, 4, 1, "/\xc3\xa9t\xc3\xa9", 3);
		free(m->source);
		m->source = xstrdup("so \"urce\" #1");
		mnts_strv_push(&m->super_options, "x=a,b\\054c");
		mnts_strv_push(&m->super_options, "y=\\");
		m = add(ns, 5, 4, "/\xc3\xa9t\xc3\xa9", 3); /* stacked, same superblock */
		m->unbindable = true;
		mnts_strv_push(&m->super_options, "x=a,b\\054c");
		mnts_strv_push(&m->super_options, "y=\\");
		CHECK_INT(mnts_snapshot_link(snap, &err), 0);
		CHECK_INT(roundtrip(snap, &text), 0);
		if (text && tap_cur_ok == false)
			printf("# text:\n%s", text);
		free(text);
		mnts_snapshot_free(snap);
	}
	return tap_done();
}

/* spec_write_test.c - the full spec writer (lib/spec/write.c): quoting of
 * hostile paths (SPEC.md §1), names of groups and superblocks, whole lines
 * for a small snapshot; and the round trip snapshot -> full spec text ->
 * parse (lib/spec/parse.c) -> snapshot (lib/spec/spec_snap.c), compared as
 * diff compares (lib/compare), for the worked examples of spec/examples and
 * a layout of hostile names. */
#include <stdlib.h>
#include <string.h>

#include "lib/compare/compare.h"
#include "lib/json/snapjson.h"
#include "lib/spec/spec.h"
#include "lib/spec/spec_snap.h"
#include "lib/spec/write.h"
#include "tests/unit/tap.h"

static char *token(const char *s)
{
	static char *buf;
	size_t len;
	FILE *f;

	free(buf);
	f = open_memstream(&buf, &len);
	mnts_spec_put_token(f, s);
	fclose(f);
	return buf;
}

static char *name(const char *path)
{
	static char out[65];

	mnts_spec_name_from_path(out, path);
	return out;
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

static char *write_all(const struct mnts_snapshot *snap)
{
	static char *buf;
	struct mnts_error err = {0};
	size_t len;
	FILE *f;

	free(buf);
	f = open_memstream(&buf, &len);
	if (mnts_spec_write(snap, f, &err) < 0)
		fprintf(f, "error: %s", err.msg);
	fclose(f);
	/* the two header lines are not what is tested */
	return strchr(strchr(buf, '\n') + 1, '\n') + 1;
}

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

int main(void)
{
	TEST("plain paths and words stay bare")
	{
		CHECK_STR(token("/data/a-b_c.d"), "/data/a-b_c.d");
		CHECK_STR(token("/caf\xc3\xa9/\xe2\x82\xac"), "/caf\xc3\xa9/\xe2\x82\xac");
		CHECK_STR(token("a=b"), "a=b");
	}
	TEST("spaces, quotes, backslashes, '#' and the empty string are quoted")
	{
		CHECK_STR(token("/my disk"), "\"/my disk\"");
		CHECK_STR(token("/a\"b"), "\"/a\\\"b\"");
		CHECK_STR(token("/a\\b"), "\"/a\\\\b\"");
		CHECK_STR(token("/a#b"), "\"/a#b\"");
		CHECK_STR(token("#x"), "\"#x\"");
		CHECK_STR(token(""), "\"\"");
	}
	TEST("newlines, tabs, control bytes, DEL, C1 and bytes that are not UTF-8 are escaped")
	{
		CHECK_STR(token("/a\nb"), "\"/a\\nb\"");
		CHECK_STR(token("/a\tb"), "\"/a\\tb\"");
		CHECK_STR(token("/a\x01\x1b\x7f"), "\"/a\\x01\\x1b\\x7f\"");
		CHECK_STR(token("/\xff\xfe"), "\"/\\xff\\xfe\"");
		CHECK_STR(token("/\xc3"), "\"/\\xc3\"");
		CHECK_STR(token("/\xc2\x85 \xc3\xa9"), "\"/\\xc2\\x85 \xc3\xa9\"");
	}
	TEST("names from paths: [A-Za-z0-9_.-]+, root for /, the end of long ones")
	{
		CHECK_STR(name("/data"), "data");
		CHECK_STR(name("/"), "root");
		CHECK_STR(name("/sys/fs/cgroup"), "sys_fs_cgroup");
		CHECK_STR(name("/my disk/\xc3\xa9t\xc3\xa9/"), "my_disk_t");
		CHECK_STR(name("/\xc3\xa9"), "root");
		CHECK_STR(name("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/the-end"),
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa_the-end");
		CHECK_INT(strlen(name("/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
				      "aaaaaaaaaaaaaa")),
			  64);
	}
	TEST("a full spec: tree order, indentation, groups and superblocks named, unique")
	{
		struct mnts_snapshot *snap = mnts_snapshot_new();
		struct mnts_ns *ns = mnts_snapshot_add_ns(snap, "ns0");
		struct mnts_error err = {0};
		struct mnts_mount *m;

		ns->owner.known = ns->owner.initial = true;
		add(ns, 1, 0, "/", 1);
		m = add(ns, 2, 1, "/data", 2);
		m->shared_id = 7;
		m = add(ns, 3, 1, "/my disk", 2);
		free(m->root);
		m->root = xstrdup("/sub dir");
		m->master_id = 7;
		m->shared_id = 8;
		m = add(ns, 4, 2, "/data", 3); /* stacked on /data */
		m->master_id = 99;	       /* a master outside the snapshot */
		m->unbindable = true;
		m = add(ns, 5, 1, "/f", 2);
		free(m->source);
		m->source = xstrdup("");
		mnts_strv_clear(&m->super_options);
		mnts_strv_push(&m->super_options, "rw");
		mnts_strv_push(&m->super_options, "lowerdir=a,b\\c");
		m->deleted = true;
		mnts_strv_push(&m->uid_map, "0 1000 1");
		mnts_strv_push(&m->gid_map, "0 1000 1");
		free(m->fstype);
		m->fstype = xstrdup("shared");
		CHECK_INT(mnts_snapshot_link(snap, &err), 0);
		CHECK_STR(err.msg, "");
		CHECK_STR(write_all(snap),
			  "\n"
			  "[ns0 userns=initial]\n"
			  "/ tmpfs source=tmpfs sb=root root=/ opts=rw,relatime sbopts=rw private\n"
			  "  /data tmpfs source=tmpfs sb=data root=/ opts=rw,relatime sbopts=rw "
			  "shared:data\n"
			  "    /data tmpfs source=tmpfs sb=data-2 root=/ opts=rw,relatime sbopts=rw "
			  "slave:data-2 unbindable\n"
			  "  \"/my disk\" tmpfs source=tmpfs sb=data root=\"/sub dir\" "
			  "opts=rw,relatime sbopts=rw shared:my_disk slave:data\n"
			  "  /f type=shared source=\"\" sb=data root=/ opts=rw,relatime "
			  "sbopts=\"rw,lowerdir=a\\\\054b\\\\134c\" private deleted uidmap=0:1000:1 "
			  "gidmap=0:1000:1\n");
		mnts_snapshot_free(snap);
	}
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

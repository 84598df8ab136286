/* compare_test.c - the comparison engine (lib/compare) on small snapshots
 * parsed from JSON, and the diff report (lib/report/diffreport). */
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compare/compare.h"
#include "lib/core/macros.h"
#include "lib/json/snapjson.h"
#include "lib/replay/replay_verify.h"
#include "lib/report/diffreport.h"
#include "tests/unit/tap.h"

/* One mount of a test snapshot; parent 0: the root. */
struct m {
	uint64_t id, parent;
	const char *mountpoint, *dev;
	uint64_t shared, master;
	const char *options; /* JSON array body, e.g. "\"rw\"" */
};

static char *mount_json(const struct m *m)
{
	_cleanup_free_ char *parent =
	    m->parent ? xasprintf("%" PRIu64, m->parent) : xstrdup("null");

	return xasprintf("{\"deleted\":false,\"dev\":\"%s\",\"fstype\":\"tmpfs\",\"id\":%" PRIu64
			 ",\"idmap\":null,\"master_id\":%" PRIu64 ",\"mnt_id\":%" PRIu64
			 ",\"mount_options\":[%s],\"mountpoint\":\"%s\",\"nsfs\":null,"
			 "\"parent\":%s,\"propagate_from\":0,\"root\":\"/\",\"shared_id\":%" PRIu64
			 ",\"source\":\"t\",\"super_options\":[\"rw\"],\"unbindable\":false}",
			 m->dev, m->id, m->master, m->id, m->options ? m->options : "\"rw\"",
			 m->mountpoint, parent, m->shared);
}

/* A linked snapshot of one namespace "ns0" holding mounts[0..n-1] (the
 * first is the root). */
static struct mnts_snapshot *snap_of(const struct m *mounts, size_t n)
{
	char *text = NULL, *body = xstrdup("");
	struct mnts_snapshot *snap = NULL;
	struct mnts_error err = {0};

	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *one = mount_json(&mounts[i]);
		char *more = xasprintf("%s%s%s", body, i ? "," : "", one);

		free(body);
		body = more;
	}
	text = xasprintf(
	    "{\"capture\":{\"method\":\"listmount\",\"selection\":\"all\",\"subtree\":null},"
	    "\"created\":\"2021-09-20T10:00:00Z\",\"format\":\"mntsnap\",\"format_version\":1,"
	    "\"host\":{\"arch\":\"x86_64\",\"hostname\":\"h\",\"kernel\":\"6.18\"},"
	    "\"namespaces\":[{\"label\":\"ns0\",\"mnt_ns_id\":4300,\"ns_ino\":4026532300,"
	    "\"nsfs_paths\":[],\"owner_userns_ino\":4026531837,\"pids\":[],"
	    "\"root_mount\":%" PRIu64 ",\"mounts\":[%s]}],"
	    "\"tool\":{\"name\":\"mntsnap\",\"version\":\"0.1.0\"},\"warnings\":[]}",
	    mounts[0].id, body);
	if (mnts_snapshot_parse(text, strlen(text), "test", &snap, &err) < 0)
		printf("# parse: %s\n", err.msg);
	free(text);
	free(body);
	return snap;
}

/* The layout the tests vary: / with /a and /b peers of one group, /c a
 * slave of it, /d stacked twice. */
static const struct m base[] = {
    {1, 0, "/", "8:1", 0, 0, NULL},   {2, 1, "/a", "0:40", 5, 0, NULL},
    {3, 1, "/b", "0:40", 5, 0, NULL}, {4, 1, "/c", "0:40", 0, 5, NULL},
    {5, 1, "/d", "0:41", 0, 0, NULL}, {6, 5, "/d", "0:42", 0, 0, NULL},
};

/* Compares a with b; returns the differences (done with mnts_diff_done). */
static struct mnts_diff compare(const struct m *a, size_t na, const struct m *b, size_t nb)
{
	_cleanup_snapshot_ struct mnts_snapshot *sa = snap_of(a, na), *sb = snap_of(b, nb);
	struct mnts_diff d = {0};
	struct mnts_error err = {0};

	if (!sa || !sb || mnts_compare(sa, sb, NULL, &d, &err) < 0)
		d.n = SIZE_MAX;
	return d;
}

/* The differences as diff prints them (free it). */
static char *report(const struct mnts_diff *d, enum mnts_diff_format format, int *ret)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct mnts_error err = {0};

	*ret = mnts_diff_report(d, f, format, &err);
	fclose(f);
	return text;
}

/* JSON's value for a string member that may be null, as the item has it. */
static bool same_str(json_t *obj, const char *key, const char *want)
{
	json_t *v = json_object_get(obj, key);

	if (!want)
		return json_is_null(v);
	return json_is_string(v) && strlen(want) == json_string_length(v) &&
	       memcmp(json_string_value(v), want, strlen(want)) == 0;
}

/* JSON's value v is the typed value want: the same kind, and the same
 * members, recursively (values nest a few levels deep). */
static bool same_value(json_t *v, const struct mnts_value *want)
{
	switch (want->kind) {
	case MNTS_VALUE_NULL:
		return json_is_null(v);
	case MNTS_VALUE_BOOL:
		return json_is_boolean(v) && json_boolean_value(v) == want->b;
	case MNTS_VALUE_NUMBER:
		return json_is_integer(v) && (uint64_t)json_integer_value(v) == want->num;
	case MNTS_VALUE_STRING:
		return json_is_string(v) && streq(json_string_value(v), want->s);
	case MNTS_VALUE_ARRAY:
		if (!json_is_array(v) || json_array_size(v) != want->n)
			return false;
		for (size_t i = 0; i < want->n; i++)
			if (!same_value(json_array_get(v, i), &want->items[i]))
				return false;
		return true;
	case MNTS_VALUE_OBJECT:
		if (!json_is_object(v) || json_object_size(v) != want->n)
			return false;
		for (size_t i = 0; i < want->n; i++)
			if (!same_value(json_object_get(v, want->keys[i]), &want->items[i]))
				return false;
		return true;
	}
	return false;
}

/* Checks the JSON report of d with jansson (an independent parser): valid,
 * no duplicate keys, one object of nine keys per item with its values. */
static void check_json_report(const struct mnts_diff *d)
{
	static const char *const kinds[] = {[MNTS_DIFF_ADDED] = "added",
					    [MNTS_DIFF_REMOVED] = "removed",
					    [MNTS_DIFF_CHANGED] = "changed"};
	int r;
	_cleanup_free_ char *t = report(d, MNTS_DIFF_JSON, &r);
	json_error_t jerr;
	json_t *root = json_loads(t, JSON_REJECT_DUPLICATES, &jerr);

	CHECK_INT(r, 0);
	if (!root)
		printf("# %d:%d: %s\n", jerr.line, jerr.column, jerr.text);
	CHECK(json_is_array(root));
	CHECK_INT(json_array_size(root), d->n);
	for (size_t i = 0; root && i < d->n && i < json_array_size(root); i++) {
		const struct mnts_diff_item *it = &d->items[i];
		json_t *o = json_array_get(root, i);

		CHECK_INT(json_object_size(o), 9);
		CHECK(same_str(o, "kind", kinds[it->kind]));
		CHECK(same_str(o, "field", it->field));
		CHECK(same_str(o, "ns", it->ns));
		CHECK(same_str(o, "mountpoint", it->mountpoint));
		CHECK(same_str(o, "ns_b", it->ns_other));
		CHECK(same_value(json_object_get(o, "old"), &it->old_data));
		CHECK(same_value(json_object_get(o, "new"), &it->new_data));
		if (it->mountpoint)
			CHECK(json_integer_value(json_object_get(o, "layer")) == it->layer);
		else
			CHECK(json_is_null(json_object_get(o, "layer")));
		CHECK(same_str(o, "text", it->text));
	}
	json_decref(root);
}

/* The texts of d's items, one per line (free it). */
static char *texts(const struct mnts_diff *d)
{
	char *all = xstrdup("");

	for (size_t i = 0; i < d->n; i++) {
		char *more = xasprintf("%s%s\n", all, d->items[i].text);

		free(all);
		all = more;
	}
	return all;
}

/* A's side prepared once serves comparison after comparison with what a
 * side made by each comparison gives: one with B's root deeper (A's
 * mounts outside it marked), one of a namespace chosen by label, and the
 * ones after them, which must not see what those left in it. */
static void test_prepared(void)
{
	const size_t n = ARRAY_SIZE(base);
	static const struct m deeper[] = {
	    {1, 0, "/d", "0:41", 0, 0, NULL},
	    {6, 1, "/d", "0:42", 0, 0, NULL},
	};
	char *labels[] = {"ns0"};
	_cleanup_snapshot_ struct mnts_snapshot *sa = snap_of(base, n);
	_cleanup_snapshot_ struct mnts_snapshot *other = snap_of(base, n);
	struct mnts_compare_prepared *prepared = sa ? mnts_compare_prepare(sa) : NULL;
	struct mnts_error err = {0};
	struct m b[ARRAY_SIZE(base)];

	CHECK(prepared != NULL);
	if (!prepared)
		return;
	for (int variant = 0; variant < 6; variant++) {
		_cleanup_snapshot_ struct mnts_snapshot *sb = NULL;
		_cleanup_free_ char *want = NULL, *got = NULL;
		struct mnts_compare_opts fresh = {0}, ahead = {.a_prepared = prepared};
		struct mnts_diff d1 = {0}, d2 = {0};
		size_t nb = n;

		memcpy(b, base, sizeof(base));
		if (variant == 1)
			sb = snap_of(deeper, ARRAY_SIZE(deeper));
		if (variant == 2)
			b[1].options = "\"ro\"";
		if (variant == 3)
			nb = n - 1;
		if (variant == 4)
			b[2].shared = 6;
		if (variant == 5) {
			fresh.ns_labels = ahead.ns_labels = labels;
			fresh.n_ns_labels = ahead.n_ns_labels = 1;
		}
		if (!sb)
			sb = snap_of(b, nb);
		CHECK_INT(mnts_compare(sa, sb, &fresh, &d1, &err), 0);
		CHECK_INT(mnts_compare(sa, sb, &ahead, &d2, &err), 0);
		CHECK_INT(d2.n, d1.n);
		want = texts(&d1);
		got = texts(&d2);
		CHECK_STR(got, want);
		/* what each variant changed is found (B's deeper root is
		 * paired with the top of A's stack there: what differs is
		 * not the point) */
		if (variant != 1)
			CHECK_INT(d1.n, variant >= 2 && variant <= 4 ? 1 : 0);
		mnts_diff_done(&d1);
		mnts_diff_done(&d2);
	}
	{
		struct mnts_compare_opts ahead = {.a_prepared = prepared};
		struct mnts_diff d = {0};

		CHECK_INT(mnts_compare(other, sa, &ahead, &d, &err), -EINVAL);
		CHECK_STR(err.msg, "compare: a_prepared was made of another snapshot");
	}
	mnts_compare_prepared_free(prepared);
}

/* B read mount for mount like A (a replayed copy) is paired index for
 * index (match.c, pair_alike), but only where each parent is at its
 * partner's index too: here /a/x is on /a in A and hidden under /a, on the
 * root, in B, at the same index, mountpoint and layer.  Both ways of
 * comparing must tell the same: /a/x removed, and added. */
static void test_alike_parents(void)
{
	static const struct m on_a[] =
	    {
		{1, 0, "/", "8:1", 0, 0, NULL},
		{2, 1, "/a", "0:40", 0, 0, NULL},
		{3, 2, "/a/x", "0:41", 0, 0, NULL},
	    },
			      under_a[] = {
				  {1, 0, "/", "8:1", 0, 0, NULL},
				  {2, 1, "/a", "0:40", 0, 0, NULL},
				  {3, 1, "/a/x", "0:41", 0, 0, NULL},
			      };
	_cleanup_snapshot_ struct mnts_snapshot *sa = snap_of(on_a, ARRAY_SIZE(on_a));
	_cleanup_snapshot_ struct mnts_snapshot *sb = snap_of(under_a, ARRAY_SIZE(under_a));
	struct mnts_compare_prepared *prepared = sa ? mnts_compare_prepare(sa) : NULL;
	struct mnts_compare_opts fresh = {0}, ahead = {.a_prepared = prepared};
	struct mnts_diff d1 = {0}, d2 = {0};
	struct mnts_error err = {0};
	_cleanup_free_ char *want = NULL, *got = NULL;

	CHECK(prepared != NULL);
	CHECK(sb != NULL);
	if (!prepared || !sb) {
		mnts_compare_prepared_free(prepared);
		return;
	}
	CHECK_INT(mnts_compare(sa, sb, &fresh, &d1, &err), 0);
	CHECK_INT(mnts_compare(sa, sb, &ahead, &d2, &err), 0);
	CHECK_INT(d1.n, 2);
	CHECK_INT(d1.n > 0 ? (int)d1.items[0].kind : -1, MNTS_DIFF_REMOVED);
	CHECK_INT(d1.n > 1 ? (int)d1.items[1].kind : -1, MNTS_DIFF_ADDED);
	want = texts(&d1);
	got = texts(&d2);
	CHECK_STR(got, want);
	mnts_diff_done(&d1);
	mnts_diff_done(&d2);
	mnts_compare_prepared_free(prepared);
}

/* Replay's verification ahead (replay_verify.h): run for a first executor
 * and again for a second, then freed (valgrind: nothing left). */
static void test_verify_ahead(void)
{
	_cleanup_snapshot_ struct mnts_snapshot *sa = snap_of(base, ARRAY_SIZE(base));
	struct mnts_replay_opts opts = {0};
	struct mnts_replay_verify_ahead *ahead =
	    sa ? mnts_replay_verify_ahead_new(sa, &opts) : NULL;

	CHECK(ahead != NULL);
	if (!ahead)
		return;
	mnts_replay_verify_ahead_run(ahead);
	mnts_replay_verify_ahead_run(ahead);
	mnts_replay_verify_ahead_free(ahead);
}

int main(void)
{
	const size_t n = ARRAY_SIZE(base);
	struct m b[ARRAY_SIZE(base)];
	struct mnts_diff d;
	int r;

	TEST("A's side prepared gives, comparison after comparison, what each would make")
	test_prepared();
	TEST("a copy like A mount for mount but for one parent: paired as by mountpoints")
	test_alike_parents();
	TEST("replay's verification ahead: run twice, freed")
	test_verify_ahead();
	TEST("reader: mounts with the same option words, escaped or not, share one vector")
	{
		static const struct m opts[] = {
		    {1, 0, "/", "8:1", 0, 0, "\"rw\",\"relatime\""},
		    {2, 1, "/a", "0:40", 0, 0, "\"r\\u0077\",\"rel\\u0061time\""},
		    {3, 1, "/b", "0:41", 0, 0, "\"rw\",\"noatime\""},
		};
		_cleanup_snapshot_ struct mnts_snapshot *snap = snap_of(opts, ARRAY_SIZE(opts));
		const struct mnts_mount *ms = snap ? snap->nss[0].mounts : NULL;

		CHECK(snap != NULL);
		if (snap) {
			CHECK(ms[1].mount_options.v == ms[0].mount_options.v);
			CHECK_STR(ms[1].mount_options.v[0], "rw");
			CHECK_STR(ms[1].mount_options.v[1], "relatime");
			CHECK(ms[2].mount_options.v != ms[0].mount_options.v);
			CHECK_STR(ms[2].mount_options.v[1], "noatime");
			CHECK(ms[2].super_options.v == ms[0].super_options.v);
		}
	}
	TEST("identical snapshots compare equal")
	{
		d = compare(base, n, base, n);
		CHECK_INT(d.n, 0);
		mnts_diff_done(&d);
	}
	TEST("renumbered mount ids, group ids and anonymous devs compare equal")
	{
		/* ids + 100 in reverse order, group 5 -> 9, 0:N -> 0:N+7 */
		for (size_t i = 0; i < n; i++) {
			struct m x = base[n - 1 - i];

			x.id += 100;
			x.parent = x.parent ? x.parent + 100 : 0;
			x.shared = x.shared ? 9 : 0;
			x.master = x.master ? 9 : 0;
			x.dev = streq(x.dev, "0:40")   ? "0:47"
				: streq(x.dev, "0:41") ? "0:48"
				: streq(x.dev, "0:42") ? "0:49"
						       : x.dev;
			b[i] = x;
		}
		/* the root first: the snapshot names it by root_mount */
		b[n - 1] = b[0];
		b[0] = (struct m){101, 0, "/", "8:1", 0, 0, NULL};
		d = compare(base, n, b, n);
		CHECK_INT(d.n, 0);
		mnts_diff_done(&d);
	}
	TEST("a changed option is reported as a set difference")
	{
		memcpy(b, base, sizeof(base));
		b[1].options = "\"ro\"";
		d = compare(base, n, b, n);
		CHECK_INT(d.n, 1);
		if (d.n == 1) {
			CHECK_INT(d.items[0].kind, MNTS_DIFF_CHANGED);
			CHECK_STR(d.items[0].field, "mount_options");
			CHECK_STR(d.items[0].mountpoint, "/a");
			CHECK_STR(d.items[0].text, "~ /a: options: +ro");
		}
		mnts_diff_done(&d);
	}
	TEST("a missing mount is reported removed, with its layer")
	{
		d = compare(base, n, base, n - 1);
		CHECK_INT(d.n, 1);
		if (d.n == 1) {
			CHECK_INT(d.items[0].kind, MNTS_DIFF_REMOVED);
			CHECK_STR(d.items[0].field, "mount");
			CHECK_STR(d.items[0].mountpoint, "/d");
			CHECK_INT(d.items[0].layer, 2);
			CHECK_STR(d.items[0].text, "- /d (layer 2) tmpfs");
		}
		mnts_diff_done(&d);
	}
	TEST("a peer group split in two is reported once, not at the slave")
	{
		memcpy(b, base, sizeof(base));
		b[2].shared = 6;
		d = compare(base, n, b, n);
		CHECK_INT(d.n, 1);
		if (d.n == 1) {
			CHECK_STR(d.items[0].field, "peers");
			CHECK_STR(d.items[0].text,
				  "~ /a: peers: group split: (group of /a), (group of /b)");
		}
		mnts_diff_done(&d);
	}
	TEST("any dev is a superblock: 4294967295:4294967295 and 0:0 compare equal to themselves")
	{
		memcpy(b, base, sizeof(base));
		b[0].dev = "4294967295:4294967295";
		b[4].dev = "0:0";
		d = compare(b, n, b, n);
		CHECK_INT(d.n, 0);
		mnts_diff_done(&d);
	}
	TEST("the JSON report writes a mountpoint that is not valid UTF-8 whole, and fails")
	{
		struct mnts_diff_item it = {.kind = MNTS_DIFF_REMOVED,
					    .ns = "ns0",
					    .mountpoint = "/x\xff",
					    .field = "mount",
					    .old_value = "tmpfs",
					    .text = "- /x\xff tmpfs",
					    .layer = 1};
		struct mnts_diff one = {&it, 1};
		char *t;

		it.old_data = mnts_value_object();
		mnts_value_set(&it.old_data, "fstype", mnts_value_string("tmpfs"));
		t = report(&one, MNTS_DIFF_JSON, &r);
		CHECK(r < 0);
		CHECK_STR(t, "[\n  {\n    \"field\": \"mount\",\n    \"kind\": \"removed\",\n"
			     "    \"layer\": 1,\n"
			     "    \"mountpoint\": \"/x\xff\",\n    \"new\": null,\n"
			     "    \"ns\": \"ns0\",\n    \"ns_b\": null,\n"
			     "    \"old\": {\n      \"fstype\": \"tmpfs\"\n    },\n"
			     "    \"text\": \"- /x\xff tmpfs\"\n  }\n]\n");
		mnts_value_done(&it.old_data);
		free(t);
		t = report(&one, MNTS_DIFF_TEXT, &r);
		CHECK_INT(r, 0);
		/* the text report escapes it (error.h): one line per item */
		CHECK_STR(t, "namespace ns0:\n- /x\\377 tmpfs\n");
		free(t);
	}
	TEST("several differences: the JSON report parses (jansson) to the items, the text is one "
	     "line each")
	{
		/* JSON text: the mountpoint holds a newline, a quote and a tab */
		struct m more[ARRAY_SIZE(base) + 1];
		int lines = 0;

		memcpy(more, base, sizeof(base));
		more[1].options = "\"ro\",\"nosuid\"";
		more[2].shared = 6;
		more[n] = (struct m){7, 1, "/e\\n\\\"q\\t", "0:43", 0, 0, NULL};
		d = compare(base, n - 1, more, n + 1);
		CHECK(d.n >= 4 && d.n != SIZE_MAX);
		if (d.n != SIZE_MAX) {
			char *t;

			check_json_report(&d);
			t = report(&d, MNTS_DIFF_TEXT, &r);
			CHECK_INT(r, 0);
			for (const char *p = t; p && *p; p++)
				lines += *p == '\n';
			CHECK_INT(lines, d.n + 1);
			CHECK(t && strstr(t, "+ /e\\012\"q\\011 tmpfs\n"));
			free(t);
		}
		mnts_diff_done(&d);
	}
	return tap_done();
}

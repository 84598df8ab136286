/* jsonwriter_test.c - the streaming JSON writer: layout and escaping, and
 * what it writes checked by an independent parser (jansson, which the
 * program itself no longer uses): valid JSON, no duplicate keys, the same
 * values, and the very bytes jansson dumps of them. */
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/core/macros.h"
#include "lib/core/readfile.h"
#include "lib/json/jsonwriter.h"
#include "lib/json/snapjson.h"
#include "tests/unit/tap.h"

/* Writes {"a": [1, true, null], "s": S} and returns the text (free it). */
static char *write_doc(const char *s, bool compact, const char **ret_bad)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct mnts_jw w;

	mnts_jw_init(&w, f, compact);
	mnts_jw_begin_object(&w);
	mnts_jw_key(&w, "a");
	mnts_jw_begin_array(&w);
	mnts_jw_elem(&w);
	mnts_jw_u64(&w, 1);
	mnts_jw_elem(&w);
	mnts_jw_bool(&w, true);
	mnts_jw_elem(&w);
	mnts_jw_null(&w);
	mnts_jw_end_array(&w);
	mnts_jw_key(&w, "s");
	mnts_jw_string(&w, s);
	mnts_jw_end_object(&w);
	*ret_bad = w.bad_utf8;
	mnts_jw_finish(&w);
	fclose(f);
	return text;
}

/* The bytes of path (free them), or NULL. */
static char *slurp(const char *path, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;

	if (fd < 0 || mnts_read_fd(fd, &buf, ret_len) < 0)
		return NULL;
	return buf;
}

/* Writes snap with snapjson (compact or indented) in dir, and checks the
 * file with jansson: it parses with duplicate keys rejected, has the keys of
 * the format, and jansson dumps it back to the same bytes. */
static void check_written(const struct mnts_snapshot *snap, const char *example, const char *dir,
			  bool compact)
{
	_cleanup_free_ char *path = xasprintf("%s/out.json", dir), *ours = NULL, *theirs = NULL;
	static const char *const keys[] = {"capture", "created",    "format", "format_version",
					   "host",    "namespaces", "tool",   "warnings"};
	struct mnts_error err = {0};
	json_error_t jerr;
	json_t *root = NULL, *mounts;
	size_t len = 0;

	CHECK_INT(mnts_snapshot_write(snap, path, compact, &err), 0);
	ours = slurp(path, &len);
	CHECK(ours != NULL);
	if (!ours)
		return;
	root = json_loadb(ours, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		printf("# %s: %d:%d: %s\n", example, jerr.line, jerr.column, jerr.text);
	CHECK(root != NULL);
	if (!root)
		return;
	CHECK_INT(json_object_size(root), ARRAY_SIZE(keys));
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		CHECK(json_object_get(root, keys[i]) != NULL);
	CHECK_STR(json_string_value(json_object_get(root, "format")), "mntsnap");
	CHECK_INT(json_array_size(json_object_get(root, "namespaces")), snap->n_ns);
	mounts = json_object_get(json_array_get(json_object_get(root, "namespaces"), 0), "mounts");
	CHECK_INT(json_array_size(mounts), snap->nss[0].n_mounts);
	CHECK_STR(json_string_value(json_object_get(json_array_get(mounts, 0), "mountpoint")),
		  snap->nss[0].mounts[0].mountpoint);
	/* the writer promises json_dumpf()'s bytes, keys sorted */
	theirs = json_dumps(root, JSON_SORT_KEYS | (compact ? JSON_COMPACT : JSON_INDENT(2)));
	CHECK(theirs != NULL);
	if (theirs) {
		char *nl = xasprintf("%s\n", theirs);

		CHECK_STR(ours, nl);
		free(nl);
	}
	json_decref(root);
	unlink(path);
}

/* check_written() of the snapshot in example */
static void check_roundtrip(const char *example, const char *dir, bool compact)
{
	_cleanup_snapshot_ struct mnts_snapshot *snap = NULL;
	struct mnts_error err = {0};

	CHECK_INT(mnts_snapshot_read(example, &snap, &err), 0);
	if (snap)
		check_written(snap, example, dir, compact);
}

/* A namespace of n mounts, more than one chunk of the writer (formatted on
 * two CPUs): /m0 ... below a root, with options, escapes and UTF-8; the
 * mountpoints of the mounts in bad[] (n_bad) are not UTF-8. */
static struct mnts_snapshot *many_mounts(size_t n, const size_t *bad, size_t n_bad)
{
	struct mnts_snapshot *snap = mnts_snapshot_new();
	struct mnts_ns *ns = mnts_snapshot_add_ns(snap, "ns0");

	snap->created = xstrdup("2026-12-04T00:00:00Z");
	ns->mnt_ns_id = 7;
	for (size_t i = 0; i < n; i++) {
		struct mnts_mount *m = mnts_ns_add_mount(ns);

		m->id = 1000 + i;
		m->mnt_id = 20 + (uint32_t)i;
		m->parent_id = i ? 1000 : 0;
		m->root = xstrdup(i % 7 ? "/" : "/sub/d\\u");
		if (i == 0)
			m->mountpoint = xstrdup("/");
		else
			m->mountpoint = xasprintf("/m%zu%s", i, i % 5 ? "" : "/caf\xc3\xa9\n\"");
		m->fstype = xstrdup("tmpfs");
		m->source = xstrdup("tmpfs");
		m->root_type = i % 3 ? MNTS_ROOT_DIR : MNTS_ROOT_FILE;
		m->shared_id = i % 4 ? 0 : i;
		mnts_strv_push(&m->mount_options, "rw");
		mnts_strv_push(&m->super_options, "rw");
		mnts_strv_push(&m->super_options, "size=1024k");
		for (size_t k = 0; k < n_bad; k++)
			if (bad[k] == i) {
				free(m->mountpoint);
				m->mountpoint = xasprintf("/bad\xff%zu", i);
			}
	}
	return snap;
}

int main(void)
{
	const char *bad;

	TEST("compact output has no spaces after separators")
	{
		char *t = write_doc("x", true, &bad);
		CHECK_STR(t, "{\"a\":[1,true,null],\"s\":\"x\"}");
		CHECK(bad == NULL);
		free(t);
	}
	TEST("control characters, quotes and backslashes are escaped")
	{
		char *t = write_doc("a\"b\\c\nd\x01", true, &bad);
		CHECK_STR(t, "{\"a\":[1,true,null],\"s\":\"a\\\"b\\\\c\\nd\\u0001\"}");
		free(t);
	}
	TEST("invalid UTF-8 is recorded as the writer's first bad string")
	{
		char *t = write_doc("\xff", true, &bad);
		CHECK(bad != NULL);
		free(t);
	}
	TEST("what the writer escapes, jansson reads back as the same string")
	{
		static const char s[] =
		    "a\"b\\c\nd\x01\x1f\x7f/\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xa7";
		char *t = write_doc(s, false, &bad);
		json_error_t jerr;
		json_t *root = json_loads(t, JSON_REJECT_DUPLICATES, &jerr);

		CHECK(root != NULL);
		CHECK_STR(json_string_value(json_object_get(root, "s")), s);
		CHECK_INT(json_integer_value(json_array_get(json_object_get(root, "a"), 0)), 1);
		CHECK(json_is_true(json_array_get(json_object_get(root, "a"), 1)));
		CHECK(json_is_null(json_array_get(json_object_get(root, "a"), 2)));
		json_decref(root);
		free(t);
	}
	TEST("snapshots written by snapjson round-trip through jansson with the same bytes")
	{
		static const char *const examples[] = {"spec/examples/group-tree.json",
						       "spec/examples/inverse-chain.json",
						       "spec/examples/lxd-seed003.json"};
		char dir[] = "/tmp/jsonwriter_test.XXXXXX";

		CHECK(mkdtemp(dir) != NULL);
		for (size_t i = 0; i < ARRAY_SIZE(examples); i++) {
			check_roundtrip(examples[i], dir, false);
			check_roundtrip(examples[i], dir, true);
		}
		rmdir(dir);
	}
	TEST("a document written in parts spliced in order has the bytes of one written straight")
	{
		for (int compact = 0; compact < 2; compact++) {
			char *one = NULL, *parts = NULL;
			size_t len1 = 0, len2 = 0;
			FILE *f1 = open_memstream(&one, &len1), *f2 = open_memstream(&parts, &len2);
			struct mnts_jw w1, w2, part[3];

			mnts_jw_init(&w1, f1, compact);
			mnts_jw_init(&w2, f2, compact);
			mnts_jw_begin_object(&w1);
			mnts_jw_begin_object(&w2);
			mnts_jw_key(&w1, "items");
			mnts_jw_key(&w2, "items");
			mnts_jw_begin_array(&w1);
			mnts_jw_begin_array(&w2);
			for (int p = 0; p < 3; p++)
				mnts_jw_init_part(&part[p], &w2, p == 0, NULL, 0);
			/* parts formatted out of order, spliced in order */
			for (int p = 2; p >= 0; p--)
				for (int i = 0; i < 3; i++) {
					mnts_jw_elem(&part[p]);
					mnts_jw_begin_object(&part[p]);
					mnts_jw_key(&part[p], "n");
					mnts_jw_u64(&part[p], (uint64_t)(p * 3 + i));
					mnts_jw_key(&part[p], "s");
					mnts_jw_string(&part[p], p == 1 && i == 2 ? "\xfe" : "x");
					mnts_jw_end_object(&part[p]);
				}
			for (int p = 0; p < 9; p++) {
				mnts_jw_elem(&w1);
				mnts_jw_begin_object(&w1);
				mnts_jw_key(&w1, "n");
				mnts_jw_u64(&w1, (uint64_t)p);
				mnts_jw_key(&w1, "s");
				mnts_jw_string(&w1, p == 5 ? "\xfe" : "x");
				mnts_jw_end_object(&w1);
			}
			for (int p = 0; p < 3; p++) {
				mnts_jw_splice(&w2, &part[p]);
				free(part[p].buf);
			}
			mnts_jw_end_array(&w1);
			mnts_jw_end_array(&w2);
			mnts_jw_end_object(&w1);
			mnts_jw_end_object(&w2);
			CHECK(w2.bad_utf8 != NULL);
			CHECK_STR(w2.bad_utf8, "\xfe");
			mnts_jw_finish(&w1);
			mnts_jw_finish(&w2);
			fclose(f1);
			fclose(f2);
			CHECK_STR(parts, one);
			free(one);
			free(parts);
		}
	}
	TEST("thousands of mounts (formatted in chunks on two CPUs): the bytes jansson dumps")
	{
		char dir[] = "/tmp/jsonwriter_test.XXXXXX";
		struct mnts_snapshot *snap = many_mounts(3000, NULL, 0);

		CHECK(mkdtemp(dir) != NULL);
		check_written(snap, "3000 mounts", dir, false);
		check_written(snap, "3000 mounts", dir, true);
		rmdir(dir);
		mnts_snapshot_free(snap);
	}
	TEST("thousands of mounts: the first string that is not UTF-8 is the one named")
	{
		static const size_t bad[] = {2900, 1300};
		char dir[] = "/tmp/jsonwriter_test.XXXXXX";
		struct mnts_snapshot *snap = many_mounts(3000, bad, ARRAY_SIZE(bad));
		_cleanup_free_ char *path = NULL;
		struct mnts_error err = {0};

		CHECK(mkdtemp(dir) != NULL);
		path = xasprintf("%s/out.json", dir);
		CHECK(mnts_snapshot_write(snap, path, false, &err) < 0);
		CHECK(strstr(err.msg, "'/bad\xff"
				      "1300'") != NULL);
		unlink(path);
		rmdir(dir);
		mnts_snapshot_free(snap);
	}
	TEST(
	    "nesting deeper than the inline levels: the bytes jansson dumps (indented and compact)")
	{
		/* 40 levels of {"c": [ ... ]}: a findmnt-like tree of 20 mounts */
		for (int compact = 0; compact < 2; compact++) {
			char *text = NULL;
			size_t len = 0;
			FILE *f = open_memstream(&text, &len);
			struct mnts_jw w;
			json_error_t jerr;
			json_t *root;

			mnts_jw_init(&w, f, compact);
			for (int i = 0; i < 20; i++) {
				if (i)
					mnts_jw_elem(&w);
				mnts_jw_begin_object(&w);
				mnts_jw_key(&w, "n");
				mnts_jw_u64(&w, (uint64_t)i);
				mnts_jw_key(&w, "c");
				mnts_jw_begin_array(&w);
			}
			for (int i = 0; i < 20; i++) {
				mnts_jw_end_array(&w);
				mnts_jw_key(&w, "z");
				mnts_jw_bool(&w, true);
				mnts_jw_end_object(&w);
			}
			mnts_jw_finish(&w);
			fclose(f);
			root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
			CHECK(root != NULL);
			if (root) {
				char *theirs =
				    json_dumps(root, compact ? JSON_COMPACT : JSON_INDENT(2));

				CHECK_STR(text, theirs);
				free(theirs);
				json_decref(root);
			}
			free(text);
		}
	}
	return tap_done();
}

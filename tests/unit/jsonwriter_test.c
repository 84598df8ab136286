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

/* Reads example, writes it with snapjson (compact or indented) in dir, and
 * checks the file with jansson: it parses with duplicate keys rejected, has
 * the keys of the format, and jansson dumps it back to the same bytes. */
static void check_roundtrip(const char *example, const char *dir, bool compact)
{
	_cleanup_snapshot_ struct mnts_snapshot *snap = NULL;
	_cleanup_free_ char *path = xasprintf("%s/out.json", dir), *ours = NULL, *theirs = NULL;
	static const char *const keys[] = {"capture", "created",    "format", "format_version",
					   "host",    "namespaces", "tool",   "warnings"};
	struct mnts_error err = {0};
	json_error_t jerr;
	json_t *root = NULL, *mounts;
	size_t len = 0;

	CHECK_INT(mnts_snapshot_read(example, &snap, &err), 0);
	if (!snap)
		return;
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
	TEST("nesting deeper than the inline levels: the bytes jansson dumps (indented and compact)")
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

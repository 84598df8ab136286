/* jsonwriter_test.c - the streaming JSON writer: layout and escaping. */
#include <stdlib.h>

#include "lib/json/jsonwriter.h"
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
	return tap_done();
}

/* jsonpull_test.c - the strict JSON pull tokenizer (lib/json/jsonpull.c):
 * tokens, strings and escapes, number limits, nesting, errors and where
 * they are. */
#include <stdlib.h>
#include <string.h>

#include "lib/json/jsonpull.h"
#include "tests/unit/tap.h"

/* The kinds of every token of text, as letters ({}[]k s n t f 0, E for
 * the error, . for the end), into out. */
static const char *kinds(const char *text, char *out, size_t size)
{
	static const char letter[] = {'.', '{', '}', '[', ']', 'k', 's', 'n', 't', 'f', '0'};
	struct mnts_jp jp;
	struct mnts_jp_token t;
	size_t n = 0;

	mnts_jp_init(&jp, text, strlen(text));
	while (n + 1 < size) {
		enum mnts_jp_kind k = mnts_jp_next(&jp, &t);

		out[n++] = k == MNTS_JP_ERROR ? 'E' : letter[k];
		if (k == MNTS_JP_ERROR || k == MNTS_JP_END)
			break;
	}
	out[n] = '\0';
	mnts_jp_done(&jp);
	return out;
}

/* The first token of text (a scalar document) into *t; the tokenizer is
 * left in *jp (mnts_jp_done() it). */
static enum mnts_jp_kind first(struct mnts_jp *jp, const char *text, struct mnts_jp_token *t)
{
	mnts_jp_init(jp, text, strlen(text));
	return mnts_jp_next(jp, t);
}

/* The error text reads and its line:column, "" when text is accepted. */
static const char *error_of(const char *text, char *out, size_t size)
{
	struct mnts_jp jp;
	struct mnts_jp_token t;
	enum mnts_jp_kind k;
	unsigned line, col;

	mnts_jp_init(&jp, text, strlen(text));
	while ((k = mnts_jp_next(&jp, &t)) != MNTS_JP_END && k != MNTS_JP_ERROR)
		;
	if (k == MNTS_JP_END) {
		out[0] = '\0';
	} else {
		mnts_jp_position(&jp, jp.err_off, &line, &col);
		snprintf(out, size, "%u:%u: %s", line, col, jp.err_text);
	}
	mnts_jp_done(&jp);
	return out;
}

int main(void)
{
	char buf[1200], e[256];
	struct mnts_jp jp;
	struct mnts_jp_token t;

	TEST("a document's tokens in order, keys apart from strings")
	{
		CHECK_STR(kinds("{\"a\": [1, true, false, null, \"x\"], \"b\": {}}", buf, sizeof(buf)),
			  "{k[ntf0s]k{}}.");
		CHECK_STR(kinds(" \n\t\r 7 \n", buf, sizeof(buf)), "n.");
		CHECK_STR(kinds("[[], {}, [{}]]", buf, sizeof(buf)), "[[]{}[{}]].");
	}
	TEST("a string without escapes points into the buffer; one with them is decoded")
	{
		const char *text = "\"plain\"";

		CHECK_INT(first(&jp, text, &t), MNTS_JP_STRING);
		CHECK(t.str == text + 1);
		CHECK_INT(t.len, 5);
		mnts_jp_done(&jp);
		CHECK_INT(first(&jp, "\"a\\\"b\\\\c\\/d\\n\\t\\u00e9\\ud83d\\ude00\"", &t), MNTS_JP_STRING);
		CHECK_INT(t.len, strlen("a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x80"));
		CHECK(memcmp(t.str, "a\"b\\c/d\n\t\xc3\xa9\xf0\x9f\x98\x80", t.len) == 0);
		mnts_jp_done(&jp);
		/* an escape first, then plain text */
		CHECK_INT(first(&jp, "\"\\u0041bc\"", &t), MNTS_JP_STRING);
		CHECK(t.len == 3 && memcmp(t.str, "Abc", 3) == 0);
		mnts_jp_done(&jp);
	}
	TEST("integers: the 64-bit limit, overflow, sign; fractions and exponents are not integers")
	{
		CHECK_INT(first(&jp, "18446744073709551615", &t), MNTS_JP_NUMBER);
		CHECK(t.integer && !t.overflow && !t.negative && t.u64 == UINT64_MAX);
		mnts_jp_done(&jp);
		CHECK_INT(first(&jp, "18446744073709551616", &t), MNTS_JP_NUMBER);
		CHECK(t.integer && t.overflow);
		mnts_jp_done(&jp);
		CHECK_INT(first(&jp, "-42", &t), MNTS_JP_NUMBER);
		CHECK(t.integer && t.negative && t.u64 == 42);
		mnts_jp_done(&jp);
		CHECK_INT(first(&jp, "1.5", &t), MNTS_JP_NUMBER);
		CHECK(!t.integer);
		CHECK(t.len == 3 && memcmp(t.str, "1.5", 3) == 0);
		mnts_jp_done(&jp);
		CHECK_INT(first(&jp, "1e999", &t), MNTS_JP_NUMBER);
		CHECK(!t.integer);
		mnts_jp_done(&jp);
	}
	TEST("number syntax errors name the place")
	{
		CHECK_STR(error_of("[01]", e, sizeof(e)), "1:2: number with a leading zero");
		CHECK_STR(error_of("[-]", e, sizeof(e)), "1:3: a digit expected, not ']'");
		CHECK_STR(error_of("[.5]", e, sizeof(e)), "1:2: a value expected, not '.'");
		CHECK(strstr(error_of("[1.]", e, sizeof(e)), "1:4: ") == e);
		CHECK(strstr(error_of("[1e]", e, sizeof(e)), "1:4: ") == e);
	}
	TEST("string errors point at the bad byte: UTF-8, escapes JSON forbids, control characters")
	{
		CHECK_STR(error_of("\n  [\"a\xff\"]", e, sizeof(e)),
			  "2:6: invalid UTF-8 (byte 0xff) in a string");
		CHECK_STR(error_of("[\"\xc0\xaf\"]", e, sizeof(e)),
			  "1:3: invalid UTF-8 (byte 0xc0) in a string");
		CHECK_STR(error_of("[\"\\u0000\"]", e, sizeof(e)),
			  "1:3: \\u0000 in a string (NUL bytes are not allowed)");
		CHECK_STR(error_of("[\"\\ud800x\"]", e, sizeof(e)),
			  "1:3: invalid \\u escape in a string: high surrogate \\uD800 without its low half");
		CHECK_STR(error_of("[\"\\q\"]", e, sizeof(e)), "1:3: invalid escape '\\q' in a string");
		CHECK_STR(error_of("[\"a\tb\"]", e, sizeof(e)),
			  "1:4: control character 0x09 in a string (it must be escaped)");
		CHECK_STR(error_of("\"abc", e, sizeof(e)),
			  "1:5: unexpected end of the file (inside a string)");
	}
	TEST("nesting: 512 levels are read, 513 are refused where the 513th opens")
	{
		char deep[1100];

		memset(deep, '[', 512);
		memset(deep + 512, ']', 512);
		deep[1024] = '\0';
		CHECK_STR(error_of(deep, e, sizeof(e)), "");
		memset(deep, '[', 513);
		memset(deep + 513, ']', 513);
		deep[1026] = '\0';
		CHECK_STR(error_of(deep, e, sizeof(e)), "1:513: nesting deeper than 512 levels");
	}
	TEST("grammar: commas, colons, one document, nothing after it but whitespace")
	{
		CHECK_STR(error_of("[1,]", e, sizeof(e)), "1:4: a value expected, not ']'");
		CHECK_STR(error_of("{\"a\" 1}", e, sizeof(e)), "1:6: ':' after the member name expected, not '1'");
		CHECK_STR(error_of("{1: 2}", e, sizeof(e)),
			  "1:2: a member name (string) or '}' expected, not '1'");
		CHECK_STR(error_of("[1 2]", e, sizeof(e)), "1:4: ',' or ']' expected, not '2'");
		CHECK_STR(error_of("{} x", e, sizeof(e)), "1:4: 'x' after the end of the document");
		CHECK_STR(error_of("{} \n", e, sizeof(e)), "");
		CHECK_STR(error_of("", e, sizeof(e)), "1:1: unexpected end of the file (a value expected)");
		CHECK_STR(error_of("[tru]", e, sizeof(e)), "1:2: invalid literal (true, false or null expected)");
	}
	TEST("errors are sticky; positions count characters, not bytes")
	{
		unsigned line, col;

		mnts_jp_init(&jp, "[1,,2]", 6);
		while (mnts_jp_next(&jp, &t) != MNTS_JP_ERROR)
			;
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_ERROR);
		CHECK_INT(jp.err_off, 3);
		mnts_jp_done(&jp);
		mnts_jp_init(&jp, "[\"\xc3\xbc\xc3\xbc\",\n\"\xe6\x97\xa5\", x]", 17);
		mnts_jp_position(&jp, 16, &line, &col); /* the x */
		CHECK_INT(line, 2);
		CHECK_INT(col, 6);
		mnts_jp_position(&jp, 7, &line, &col); /* the ',' after the first string */
		CHECK_INT(line, 1);
		CHECK_INT(col, 6);
		mnts_jp_done(&jp);
	}
	TEST("skip passes over a whole nested value")
	{
		const char *text = "{\"a\": {\"b\": [1, {\"c\": []}]}, \"d\": 2}";

		mnts_jp_init(&jp, text, strlen(text));
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_OBJECT);
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_KEY);
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_OBJECT);
		CHECK_INT(mnts_jp_skip(&jp, &t), MNTS_JP_OBJECT);
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_KEY);
		CHECK(t.len == 1 && t.str[0] == 'd');
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_NUMBER);
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_OBJECT_END);
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_END);
		mnts_jp_done(&jp);
	}
	TEST("a second tokenizer reads the rest of an array; the first carries on after it")
	{
		static const char doc[] = "{\"a\": [1, {\"b\": [2]}, 3], \"c\": 4}";
		size_t elem = (size_t)(strstr(doc, "{\"b") - doc);
		struct mnts_jp helper;
		unsigned depth;

		/* inside the top object (bit 0) and the array "a" */
		mnts_jp_init_inside(&helper, doc, strlen(doc), elem, 2, 0x1);
		CHECK_INT(mnts_jp_next(&helper, &t), MNTS_JP_OBJECT);
		CHECK_INT(mnts_jp_next(&helper, &t), MNTS_JP_KEY);
		CHECK_INT(mnts_jp_next(&helper, &t), MNTS_JP_ARRAY);
		CHECK_INT(mnts_jp_next(&helper, &t), MNTS_JP_NUMBER);
		CHECK_INT(mnts_jp_next(&helper, &t), MNTS_JP_ARRAY_END);
		CHECK_INT(mnts_jp_next(&helper, &t), MNTS_JP_OBJECT_END);
		CHECK_INT(mnts_jp_next(&helper, &t), MNTS_JP_NUMBER);
		CHECK_INT(mnts_jp_next(&helper, &t), MNTS_JP_ARRAY_END);
		/* the first one, at that element: the containers match */
		mnts_jp_init(&jp, doc, strlen(doc));
		for (int i = 0; i < 5; i++) /* { "a" [ 1 { */
			mnts_jp_next(&jp, &t);
		CHECK_INT(t.kind, MNTS_JP_OBJECT);
		CHECK_INT(t.off, elem);
		CHECK_INT(mnts_jp_containers(&jp, &depth), 0x5);
		CHECK_INT(depth, 3);
		mnts_jp_resume_at(&jp, helper.pos, 1);
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_KEY);
		CHECK(t.len == 1 && t.str[0] == 'c');
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_NUMBER);
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_OBJECT_END);
		CHECK_INT(mnts_jp_next(&jp, &t), MNTS_JP_END);
		mnts_jp_done(&jp);
		mnts_jp_done(&helper);
	}
	return tap_done();
}

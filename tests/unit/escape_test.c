/* escape_test.c - mnts_escape(): what reaches stderr is one line, and
 * readable text is left as it is. */
#include <stdlib.h>
#include <string.h>

#include "lib/core/error.h"
#include "tests/unit/tap.h"

static char out[256];

static const char *esc(const char *s)
{
	mnts_escape(out, sizeof(out), s);
	return out;
}

int main(void)
{
	TEST("printable ASCII, spaces and valid UTF-8 are kept")
	{
		CHECK_STR(esc("/mnt/a b/\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7"),
			  "/mnt/a b/\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7");
	}
	TEST("newline, tab, CR, ESC and DEL become \\ooo")
	{
		CHECK_STR(esc("a\nb\tc\rd\x1b[2Je\x7f"), "a\\012b\\011c\\015d\\033[2Je\\177");
	}
	TEST("a backslash is escaped only where it would read as \\ooo")
	{
		CHECK_STR(esc("a\\012b"), "a\\134012b");
		CHECK_STR(esc("\\u0000 \\x2d \\01 \\"), "\\u0000 \\x2d \\01 \\");
		CHECK_STR(esc("\\\\777"), "\\\\134777");
	}
	TEST("C1 controls (U+0080..U+009F) are escaped byte by byte")
	{
		CHECK_STR(esc("a\xc2\x9b" "b\xc2\xa0"), "a\\302\\233b\xc2\xa0");
	}
	TEST("invalid UTF-8 is escaped byte by byte")
	{
		CHECK_STR(esc("\xff\xc3(\xe2\x82"), "\\377\\303(\\342\\202");
		CHECK_STR(esc("\xc0\xaf"), "\\300\\257");       /* overlong '/' */
		CHECK_STR(esc("\xed\xa0\x80"), "\\355\\240\\200"); /* a surrogate */
	}
	TEST("output that does not fit is cut at a whole sequence")
	{
		char small[6];

		CHECK_INT(mnts_escape(small, sizeof(small), "ab\ncd"), 2);
		CHECK_STR(small, "ab");
		CHECK_INT(mnts_escape(small, sizeof(small), "a\xc3\xa9\xc3\xa9"), 5);
		CHECK_STR(small, "a\xc3\xa9\xc3\xa9");
		CHECK_INT(mnts_escape(small, 5, "a\xc3\xa9\xc3\xa9"), 3);
	}
	TEST("the worst case fits MNTS_ESCAPED_SIZE")
	{
		char in[65], big[MNTS_ESCAPED_SIZE(64)];

		memset(in, '\n', 64);
		in[64] = '\0';
		CHECK_INT(mnts_escape(big, sizeof(big), in), 256);
	}
	TEST("mnts_escape_dup")
	{
		char *s = mnts_escape_dup("x\ny");

		CHECK_STR(s, "x\\012y");
		free(s);
	}
	TEST("mnts_fputs_escaped and mnts_escaped_len agree with mnts_escape")
	{
		static const char *const in[] = {"", "plain", "a\nb\tc\xff\xc2\x9b\\012\xc3\xa9",
						 "\n\n"};
		char *buf = NULL;
		size_t len = 0;

		for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
			FILE *f = open_memstream(&buf, &len);

			CHECK_INT(mnts_fputs_escaped(in[i], f), strlen(esc(in[i])));
			fclose(f);
			CHECK_STR(buf, esc(in[i]));
			CHECK_INT(mnts_escaped_len(in[i]), strlen(esc(in[i])));
			free(buf);
		}
	}
	return tap_done();
}

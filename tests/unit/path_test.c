/* path_test.c - the paths of the format (lib/core/path.c): the normal
 * form, the kernel's limits, and one path at or below another, at a '/'
 * boundary. */
#include <stdlib.h>
#include <string.h>

#include "lib/core/path.h"
#include "tests/unit/tap.h"

int main(void)
{
	TEST("the normal form: absolute, no empty, '.' or '..' component, no trailing '/'")
	{
		const char *good[] = {"/", "/a", "/a/b", "/.a", "/a./..b", "/...", "/a b/\n"};
		const char *bad[] = {"",   "a",	  "a/b",  "//",	   "/a/",  "/a//b",
				     "/.", "/..", "/a/.", "/a/..", "/./a", "/a/../b"};

		for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++)
			CHECK(mnts_path_is_normal(good[i]));
		for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
			CHECK(!mnts_path_is_normal(bad[i]));
		CHECK(!mnts_path_is_normal(NULL));
	}
	TEST("a fault names why: not normalised, or NULL")
	{
		char buf[80];

		CHECK_STR(mnts_path_fault("/a//b", buf), "not an absolute normalised path");
		CHECK_STR(mnts_path_fault("/a/.", buf), "not an absolute normalised path");
		CHECK_STR(mnts_path_fault("tmp", buf), "not an absolute normalised path");
		CHECK_STR(mnts_path_fault(NULL, buf), "not an absolute normalised path");
		CHECK(mnts_path_fault("/", buf) == NULL);
		CHECK(mnts_path_fault("/.a/..b", buf) == NULL);
	}
	TEST("limits: PATH_MAX with the NUL, NAME_MAX per component")
	{
		char p[4200], buf[80];

		memset(p, 'a', sizeof(p));
		p[0] = '/';
		p[256] = '\0'; /* one component of 255 */
		CHECK(mnts_path_fault(p, buf) == NULL);
		p[256] = 'a';
		p[257] = '\0';
		CHECK_STR(mnts_path_fault(p, buf),
			  "component 1 is 256 bytes, longer than NAME_MAX (255)");
		p[257] = 'a';
		for (size_t i = 0; i < 4095; i += 200)
			p[i] = '/';
		p[4095] = '\0';
		CHECK(mnts_path_fault(p, buf) == NULL);
		p[4095] = 'a';
		p[4096] = '\0';
		CHECK_STR(mnts_path_fault(p, buf),
			  "4096 bytes, longer than PATH_MAX (4096 with the NUL)");
		/* the third component too long, after short ones */
		strcpy(p, "/a/b/");
		memset(p + 5, 'c', 256);
		strcpy(p + 5 + 256, "/d");
		CHECK_STR(mnts_path_fault(p, buf),
			  "component 3 is 256 bytes, longer than NAME_MAX (255)");
		CHECK_INT(MNTS_PATH_MAX, 4096);
		CHECK_INT(MNTS_NAME_MAX, 255);
	}
	TEST("below a base: the rest without its '/', \"\" for the base itself")
	{
		CHECK_STR(mnts_path_below("/tmp/a", "/tmp"), "a");
		CHECK_STR(mnts_path_below("/tmp/a/b", "/tmp"), "a/b");
		CHECK_STR(mnts_path_below("/tmp", "/tmp"), "");
		CHECK(mnts_path_below("/", "/tmp") == NULL);
		CHECK(mnts_path_below("/srv/a", "/tmp") == NULL);
	}
	TEST("at a '/' boundary: /a holds neither /ab nor /a.b, and /ab does not hold /a")
	{
		CHECK(mnts_path_below("/ab", "/a") == NULL);
		CHECK(mnts_path_below("/a.b", "/a") == NULL);
		CHECK(mnts_path_below("/tmpa", "/tmp") == NULL);
		CHECK(mnts_path_below("/a", "/ab") == NULL);
		CHECK(!mnts_path_at_or_below("/ab", "/a"));
		CHECK(!mnts_path_at_or_below("/ab/c", "/a"));
		CHECK(mnts_path_at_or_below("/a/b", "/a"));
		CHECK(mnts_path_at_or_below("/a", "/a"));
		CHECK(!mnts_path_at_or_below("/a", "/a/b"));
	}
	TEST("/ holds everything; a NULL base is everywhere")
	{
		CHECK_STR(mnts_path_below("/", "/"), "");
		CHECK_STR(mnts_path_below("/x", "/"), "x");
		CHECK_STR(mnts_path_below("/x/y", "/"), "x/y");
		CHECK(mnts_path_at_or_below("/", "/"));
		CHECK(mnts_path_at_or_below("/x/y", "/"));
		CHECK(mnts_path_at_or_below("/x", NULL));
		CHECK(mnts_path_at_or_below("/", NULL));
	}
	return tap_done();
}

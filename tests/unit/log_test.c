/* log_test.c - mnts_warn_once(): while on, a warning said before is not
 * said again (replay's second plan says the first one's again). */
#include <string.h>

#include "lib/core/log.h"
#include "tests/unit/tap.h"

static int n_said;
static char last[64];

static void count(const char *msg)
{
	n_said++;
	snprintf(last, sizeof(last), "%s", msg);
}

int main(void)
{
	mnts_warn_hook = count;
	mnts_verbosity = -1; /* the hook sees each, stderr none */
	TEST("without mnts_warn_once() every warning is said")
	{
		mnts_warn("'%s': a", "/m");
		mnts_warn("'%s': a", "/m");
		CHECK(n_said == 2);
	}
	TEST("with it, a warning said before is not said again; others are")
	{
		n_said = 0;
		mnts_warn_once(true);
		mnts_warn("'%s': a", "/m");
		mnts_warn("'%s': a", "/m");
		mnts_warn("'%s': b", "/m");
		CHECK(n_said == 2);
		CHECK_STR(last, "'/m': b");
	}
	TEST("turned off, it forgets what was said")
	{
		n_said = 0;
		mnts_warn_once(false);
		mnts_warn_once(true);
		mnts_warn("'%s': a", "/m");
		mnts_warn_once(false);
		mnts_warn("'%s': a", "/m");
		CHECK(n_said == 2);
	}
	return tap_done();
}

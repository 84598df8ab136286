/* resolve_test.c - pins and --root are resolved beneath their directory,
 * never through a symlink (a scratch directory; no root needed). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/replay/resolve.h"
#include "tests/unit/tap.h"

static char top[] = "/tmp/mntsnap-resolve-XXXXXX";

static bool exists(const char *rel)
{
	char p[256];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	return lstat(p, &st) == 0;
}

int main(void)
{
	char p[256], q[256];
	int dir, root, fd;

	if (!mkdtemp(top))
		return 2;
	snprintf(p, sizeof(p), "%s/dir", top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/outside", top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/dir/link", top);
	snprintf(q, sizeof(q), "%s/outside/pin", top);
	(void)!symlink(q, p);
	snprintf(p, sizeof(p), "%s/dir/sub", top);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/dir/inlink", top);
	(void)!symlink("sub", p);
	snprintf(p, sizeof(p), "%s/dir", top);
	dir = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	root = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);

	TEST("plain names: one component, not . or ..")
	{
		CHECK(mnts_plain_name("ns0"));
		CHECK(mnts_plain_name("..x"));
		CHECK(!mnts_plain_name(""));
		CHECK(!mnts_plain_name("."));
		CHECK(!mnts_plain_name(".."));
		CHECK(!mnts_plain_name("../escaped"));
		CHECK(!mnts_plain_name("/abs"));
		CHECK(!mnts_plain_name("a/b"));
	}
	TEST("a pin is created beneath its directory")
	{
		fd = mnts_create_beneath(dir, "ns0", 0444);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		CHECK(exists("dir/ns0"));
		CHECK_INT(mnts_create_beneath(dir, "ns0", 0444), -EEXIST);
	}
	TEST("a pin over a symlink is refused, not followed")
	{
		CHECK(mnts_create_beneath(dir, "link", 0444) < 0);
		CHECK(!exists("outside/pin"));
	}
	TEST("a pin outside its directory is refused")
	{
		CHECK_INT(mnts_create_beneath(dir, "../escaped", 0444), -EXDEV);
		CHECK(!exists("escaped"));
		snprintf(p, sizeof(p), "%s/abs", top);
		CHECK_INT(mnts_create_beneath(dir, p, 0444), -EXDEV);
		CHECK(!exists("abs"));
		CHECK_INT(mnts_create_beneath(dir, "link/x", 0444), -ELOOP);
	}
	TEST("--root: no symlink in any component, even one that stays inside")
	{
		fd = mnts_open_in_root(root, "/dir/sub", O_DIRECTORY);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
		CHECK_INT(mnts_open_in_root(root, "/dir/inlink", O_DIRECTORY), -ELOOP);
		CHECK_INT(mnts_open_in_root(root, "/dir/inlink/.", O_DIRECTORY), -ELOOP);
		CHECK_INT(mnts_open_in_root(root, "/dir/link", 0), -ELOOP);
		/* ".." stays in the root */
		fd = mnts_open_in_root(root, "/../../dir/sub", O_DIRECTORY);
		CHECK(fd >= 0);
		if (fd >= 0)
			close(fd);
	}
	snprintf(p, sizeof(p), "rm -rf '%s'", top);
	(void)!system(p);
	return tap_done();
}

/* features_test.c - the per-fstype table: a shared superblock is never created. */
#include "lib/replay/features.h"
#include "tests/unit/tap.h"

/* The types issue 10 names as shared by the kernel: each must be in the
 * table as NEVER_SHARED (bpf and proc are new per create on 5.8+, see the
 * table's reasons). */
static const char *const must_be_shared[] = {
    "cgroup2", "cgroup",   "sysfs",	 "mqueue",   "devtmpfs", "debugfs",
    "tracefs", "securityfs", "pstore", "configfs", "fusectl",  "binfmt_misc",
    "efivarfs",
};

int main(void)
{
	size_t n;
	const struct mnts_fs_feature *all = mnts_fs_features(&n);

	TEST("every entry has a kernel reason")
	{
		for (size_t i = 0; i < n; i++) {
			CHECK(all[i].reason && *all[i].reason);
			if (all[i].create == MNTS_FS_NEVER_SHARED)
				CHECK(all[i].shared && *all[i].shared);
		}
	}
	TEST("the shared types of issue 10 are all NEVER_SHARED")
	{
		for (size_t i = 0; i < sizeof(must_be_shared) / sizeof(*must_be_shared); i++) {
			const struct mnts_fs_feature *f = mnts_fs_feature(must_be_shared[i]);

			if (f->create != MNTS_FS_NEVER_SHARED)
				printf("# %s is not NEVER_SHARED\n", must_be_shared[i]);
			CHECK_INT(f->create, MNTS_FS_NEVER_SHARED);
		}
	}
	TEST("a shared or unknown type is never FRESH, in any mode")
	{
		const char *extra[] = {"fuse.sshfs", "ext4", "cgroup2.x", "nosuchfs"};

		for (size_t i = 0; i < n + 4; i++) {
			const struct mnts_fs_feature *f =
			    i < n ? &all[i] : mnts_fs_feature(extra[i - n]);

			if (f->create == MNTS_FS_CREATE_NEW)
				continue;
			for (int fresh = 0; fresh < 2; fresh++) {
				CHECK(mnts_fs_wants_live(f, fresh));
				CHECK_INT(mnts_fs_source(f, fresh, true), MNTS_FS_SOURCE_LIVE);
				CHECK_INT(mnts_fs_source(f, fresh, false), MNTS_FS_SOURCE_NONE);
			}
		}
	}
	TEST("a type new per create: FRESH under --fresh, else a live one first")
	{
		const struct mnts_fs_feature *f = mnts_fs_feature("tmpfs");

		CHECK(!mnts_fs_wants_live(f, true));
		CHECK_INT(mnts_fs_source(f, true, false), MNTS_FS_SOURCE_FRESH);
		CHECK(mnts_fs_wants_live(f, false));
		CHECK_INT(mnts_fs_source(f, false, true), MNTS_FS_SOURCE_LIVE);
		CHECK_INT(mnts_fs_source(f, false, false), MNTS_FS_SOURCE_FRESH);
	}
	TEST("why a shared type has no source names its scope")
	{
		char buf[256];

		CHECK_STR(mnts_fs_why_no_source(mnts_fs_feature("cgroup2"), buf, sizeof(buf)),
			  "cgroup2 is shared machine-wide: replay never creates it");
		CHECK_STR(mnts_fs_why_no_source(mnts_fs_feature("sysfs"), buf, sizeof(buf)),
			  "sysfs is shared per network namespace: replay never creates it");
		CHECK_STR(mnts_fs_why_no_source(mnts_fs_feature("fuse.sshfs"), buf, sizeof(buf)),
			  "fuse.sshfs cannot be created");
	}
	return tap_done();
}

/* features.h - what replay may do with each filesystem type.
 *
 * One table answers, per fstype: can fsopen() give us a superblock, is that
 * superblock new per create (so fsconfig options are ours to set) or a
 * per-namespace / machine-wide one that must never receive options
 * (kernel-api.md §5.1, the cgroup2 incident), and is the type replayable at
 * all.  Types not in the table can only come from a live mount or --external.
 */
#pragma once

#include <stdbool.h>

enum mnts_fs_create {
	MNTS_FS_NO_CREATE = 0, /* only a live mount or --external can provide it */
	MNTS_FS_CREATE_NEW,    /* a new superblock per create; options are applied */
	MNTS_FS_CREATE_SHARED, /* fsopen hands back a shared superblock: never any option */
};

struct mnts_fs_feature {
	const char *fstype;
	enum mnts_fs_create create;
	const char *why_not; /* for NO_CREATE types that can never be replayed, or NULL */
};

/* Returns: the entry for fstype (a "type.subtype" matches on "type"); an entry
 * with create = MNTS_FS_NO_CREATE for unknown types.  Never NULL. */
const struct mnts_fs_feature *mnts_fs_feature(const char *fstype);

/* features.h - what replay may do with each filesystem type.
 *
 * One table answers, per fstype, with the kernel's reason: does fsopen()
 * give a new superblock per create (so fsconfig options are ours to set),
 * or one the kernel shares machine-wide or per namespace, or nothing
 * replayable.  A shared superblock is never created, even without options:
 * its get_tree hands back (and may reconfigure) the one everybody uses, as
 * cgroup_get_tree() does by rewriting the cgroup2 root flags on every get
 * (kernel-api.md §5.1, the cgroup2 incident).  Such a superblock comes
 * from a live mount of it or from --external, or the mount is refused.
 * Types not in the table are treated the same way as shared ones: only a
 * live mount or --external can provide them.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum mnts_fs_create {
	MNTS_FS_NO_CREATE = 0, /* only a live mount or --external can provide it */
	MNTS_FS_CREATE_NEW,    /* a new superblock per create; options are applied */
	MNTS_FS_NEVER_SHARED,  /* the kernel shares its superblock: never fsopen it */
};

struct mnts_fs_feature {
	const char *fstype;
	enum mnts_fs_create create;
	const char *shared; /* NEVER_SHARED: "machine-wide", "per network namespace", ... */
	const char *reason; /* why, in the kernel's terms (NULL for unknown types) */
};

/* Returns: the entry for fstype (a "type.subtype" matches on "type"); an entry
 * with create = MNTS_FS_NO_CREATE for unknown types.  Never NULL. */
const struct mnts_fs_feature *mnts_fs_feature(const char *fstype);

/* The whole table, for tests and documentation. */
const struct mnts_fs_feature *mnts_fs_features(size_t *ret_n);

enum mnts_fs_source {
	MNTS_FS_SOURCE_FRESH, /* fsopen a new superblock */
	MNTS_FS_SOURCE_LIVE,  /* clone the live mount of the same superblock */
	MNTS_FS_SOURCE_NONE,  /* refuse the mount (mnts_fs_why_no_source says why) */
};

/* Whether a live mount of the superblock is worth looking for: not for a
 * type created anew under --fresh. */
bool mnts_fs_wants_live(const struct mnts_fs_feature *feat, bool fresh);

/* Where a superblock not given with --external comes from.  live: a live
 * mount of the same superblock, containing every root cloned from it, was
 * found.  Never FRESH for a shared or unknown type, in any mode. */
enum mnts_fs_source mnts_fs_source(const struct mnts_fs_feature *feat, bool fresh, bool live);

/* For MNTS_FS_SOURCE_NONE: why the type has no source but a live mount,
 * e.g. "cgroup2 is shared machine-wide: replay never creates it". */
const char *mnts_fs_why_no_source(const struct mnts_fs_feature *feat, char *buf, size_t size);

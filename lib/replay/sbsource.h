/* sbsource.h - where each superblock of a replay comes from.
 *
 * A superblock is created anew (fsopen/fsconfig/fsmount), cloned from a live
 * mount of the same superblock in the caller's namespace, or cloned from a
 * path the user names with --external.  Whatever its origin, the result is
 * one detached, private, childless mount: every mount of that superblock is
 * cloned from it (performance.md §2b: clones of a mount with children cost
 * O(children)).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/core/u64map.h"

enum mnts_reach_state { MNTS_REACH_UNKNOWN, MNTS_REACH_YES, MNTS_REACH_NO, MNTS_REACH_ASK };

/* A mount of the caller's namespace (from /proc/self/mountinfo). */
struct mnts_live_mount {
	uint64_t id, parent_id;
	uint32_t dev_major, dev_minor;
	char *root, *target, *fstype;
	bool shared;
	bool unbindable; /* cannot be cloned */
	/* whether a lookup of target ends on it, from the table alone
	 * (MNTS_REACH_ASK: the table cannot tell, statx does) */
	enum mnts_reach_state reach;
};

struct mnts_live_table {
	struct mnts_live_mount *v;
	size_t n;
	/* index: device number -> first entry of that device, each entry
	 * linking to the next (-1 ends): one lookup per superblock */
	struct mnts_u64map by_dev;
	int *next_same_dev;
};

int mnts_live_table_read(struct mnts_live_table *t, struct mnts_error *err);
void mnts_live_table_done(struct mnts_live_table *t);

/* The live mount of superblock dev/fstype, bindable, reachable at its mountpoint, with
 * the shortest root containing root (the common ancestor of every root to be
 * cloned from it); NULL when none. */
const struct mnts_live_mount *mnts_live_find(const struct mnts_live_table *t, uint32_t dev_major,
					     uint32_t dev_minor, const char *fstype,
					     const char *root);

/* True when path inner is at or below outer (both normalised, absolute). */
bool mnts_path_contains(const char *outer, const char *inner);

/* The (old, mountinfo) mount id of the mount an fd is on.  Returns: 0 or -errno. */
int mnts_fd_mount_id(int fd, uint64_t *ret_id);

/* A new superblock of fstype as a detached private mount.  options: apply
 * the fs options of super_options.  Fails (EBUSY) when the kernel would
 * hand back an existing superblock (FSCONFIG_CMD_CREATE_EXCL): replay never
 * uses, nor reconfigures, a shared one this way.  Returns: mount fd or -errno. */
int mnts_sb_create(const char *fstype, const char *source, const struct mnts_strv *super_options,
		   bool options, struct mnts_error *err);

/* A detached private non-recursive clone of path (relative to dirfd, or
 * AT_FDCWD), without per-mount flags; with check, it must be a mount of
 * superblock dev_major:dev_minor.  Returns: mount fd or -errno. */
int mnts_sb_clone(int dirfd, const char *path, bool check, uint32_t dev_major,
		  uint32_t dev_minor, struct mnts_error *err);

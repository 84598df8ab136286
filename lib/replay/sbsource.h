/* sbsource.h - making the source of each superblock of a replay.
 *
 * A superblock is created anew (fsopen/fsconfig/fsmount), cloned from a live
 * mount of the same superblock (host.h finds one), or cloned from a path the
 * user names with --external.  Whatever its origin, the result is one
 * detached, private, childless mount: every mount of that superblock is
 * cloned from it, because a clone (open_tree) or a SET_GROUP from a mount
 * with children costs time per child (the kernel's has_locked_children()
 * scan in __do_loopback() and do_set_group(): milliseconds per clone at
 * 50,000 children).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/replay/mapping.h"

/* The (old, mountinfo) mount id of the mount an fd is on.  Returns: 0 or -errno. */
int mnts_fd_mount_id(int fd, uint64_t *ret_id);

/* A new superblock of fstype as a detached private mount.  options: apply
 * the fs options of super_options.  layers (an overlay; NULL: none): its
 * layers, given by fd, and its other options instead of super_options.  Fails (EBUSY) when the kernel would
 * hand back an existing superblock (FSCONFIG_CMD_CREATE_EXCL): replay never
 * uses, nor reconfigures, a shared one this way.  Returns: mount fd or -errno. */
int mnts_sb_create(const char *fstype, const char *source, const struct mnts_strv *super_options,
		   bool options, const struct mnts_layers *layers, struct mnts_error *err);

/* A detached private non-recursive clone of path (relative to dirfd, or
 * AT_FDCWD), without per-mount flags; with check, it must be a mount of
 * superblock dev_major:dev_minor.  Returns: mount fd or -errno. */
int mnts_sb_clone(int dirfd, const char *path, bool check, uint32_t dev_major, uint32_t dev_minor,
		  struct mnts_error *err);

/* The source (devname) of the mount at path (relative to dirfd, or
 * AT_FDCWD), in this mount namespace, as mountinfo shows it: what every
 * clone of it shows too.  Returns: a string to free, or NULL when the
 * kernel cannot say (before 6.8). */
char *mnts_mount_source_at(int dirfd, const char *path);

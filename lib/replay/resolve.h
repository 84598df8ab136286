/* resolve.h - safe path resolution for replay.
 *
 * Paths inside a mount we build are resolved from that mount's fd with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS: a kernel-printed
 * mountpoint never contains a symlink, so a symlink on the way means the
 * filesystem is not what the snapshot saw, and must not take us elsewhere.
 * Paths the user gives in a target namespace are resolved with
 * RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS from that namespace's root.
 */
#pragma once

#include <stdbool.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

/* O_PATH fd of rel ("" = dirfd itself) beneath dirfd.  Returns: fd or -errno. */
int mnts_open_beneath(int dirfd, const char *rel);

/* Creates the missing components of rel beneath dirfd: directories, and the
 * last one as an empty file when last_is_file.  Returns: 0 or -errno, with
 * *ret_created_from set to the offset in rel of the first component created
 * (-1: none), so that an undo removes exactly what was made. */
int mnts_mkpath_beneath(int dirfd, const char *rel, bool last_is_file, int *ret_created_from);

/* O_PATH fd of path resolved inside rootfd (RESOLVE_IN_ROOT).  Returns: fd
 * or -errno. */
int mnts_open_in_root(int rootfd, const char *path, int extra_flags);

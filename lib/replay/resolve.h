/* resolve.h - safe path resolution for replay.
 *
 * Paths inside a mount we build are resolved from that mount's fd with
 * RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS: a kernel-printed
 * mountpoint never contains a symlink, so a symlink on the way means the
 * filesystem is not what the snapshot saw, and must not take us elsewhere.
 * Paths the user gives in a target namespace (--root) are resolved with
 * RESOLVE_IN_ROOT|RESOLVE_NO_SYMLINKS|RESOLVE_NO_MAGICLINKS from that
 * namespace's root, once, and the fd is what the tree is attached to.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

/* O_PATH fd of rel ("" = dirfd itself) beneath dirfd.  Returns: fd or -errno. */
int mnts_open_beneath(int dirfd, const char *rel);

/* The same opened with flags (O_RDONLY | O_DIRECTORY, ...).  Returns: fd
 * or -errno. */
int mnts_open_beneath_flags(int dirfd, const char *rel, int flags);

/* True when name is one plain path component: not empty, ".", "..", and
 * no '/'.  Returns: true or false. */
bool mnts_plain_name(const char *name);

/* Creates the regular file name (one component, mode) beneath dirfd, never
 * through a symlink and never over anything.  Returns: O_WRONLY fd or
 * -errno (EXDEV, ELOOP, EEXIST: it would have left dirfd or replaced
 * something). */
int mnts_create_beneath(int dirfd, const char *name, mode_t mode);

/* Creates the missing components of rel beneath dirfd: directories, and the
 * last one as an empty file when last_is_file.  Returns: 0 or -errno, with
 * *ret_created_from set to the offset in rel of the first component created
 * (-1: none), so that an undo removes exactly what was made. */
int mnts_mkpath_beneath(int dirfd, const char *rel, bool last_is_file, int *ret_created_from);

/* O_PATH fd of path resolved inside rootfd (RESOLVE_IN_ROOT), following no
 * symlink in any component.  Returns: fd or -errno (ELOOP: a symlink). */
int mnts_open_in_root(int rootfd, const char *path, int extra_flags);

/* Fills err for r, the failure of mnts_open_in_root() on --root root_dir
 * (where: "" or " in the target namespace").  Returns: r's -errno, or
 * -EINVAL for a symlink (ELOOP). */
int mnts_root_dir_error(struct mnts_error *err, int r, const char *root_dir, const char *where);

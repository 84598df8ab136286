/* userns.h - the user namespace that owns a mount namespace: which one, and
 * its uid and gid maps.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

/* PROC_USER_INIT_INO: the initial user namespace's nsfs inode, fixed by the
 * kernel (include/linux/proc_ns.h). */
#define MNTS_INIT_USERNS_INO 0xEFFFFFFDULL

/* An fd (O_CLOEXEC) of the user namespace owning the namespace nsfd (a
 * mount namespace or any other kind).  Returns: fd or -errno. */
int mnts_userns_owner_fd(int nsfd);

/* The nsfs inode of the user namespace userns_fd.  Returns: 0 or -errno. */
int mnts_userns_ino(int userns_fd, uint64_t *ret_ino);

/* The uid and gid map lines ("INSIDE OUTSIDE COUNT", single spaces) of
 * userns_fd as the caller's user namespace sees them, pushed onto uid_map
 * and gid_map.  For a namespace other than the caller's own, a child enters
 * it and the caller reads the child's maps (a pinned namespace may have no
 * process).  Returns: 0 or -errno. */
int mnts_userns_read_maps(int userns_fd, struct mnts_strv *uid_map, struct mnts_strv *gid_map,
			  struct mnts_error *err);

/* Whether the caller runs in the initial user namespace.  Returns: true or
 * false (false when it cannot tell). */
bool mnts_userns_self_initial(void);

/* The live user namespace with this nsfs inode, found among the processes
 * in /proc.  Returns: fd or -ENOENT. */
int mnts_userns_open_live(uint64_t ino);

/* Which mounts of ns, read from the live mount namespace nsfd owned by the
 * user namespace userns_fd (not the initial one), are locked (MNT_LOCKED):
 * a child enters both and copies the namespace (a copy by the same owner
 * keeps every lock, and takes no new one), makes the copy private, and
 * tries umount2() of each mount by its path while an O_PATH fd holds it: EINVAL is
 * locked, EBUSY (the fd holds it) is not.  The root, nsfs mounts and a
 * mount its path does not reach (covered) count as locked, as a copy of
 * the namespace makes them.  Sets each mount's locked and
 * ns->owner.locked_known.  Returns: 0 or -errno (nothing set). */
int mnts_userns_probe_locked(int nsfd, int userns_fd, struct mnts_ns *ns, struct mnts_error *err);

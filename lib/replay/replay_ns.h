/* replay_ns.h - namespaces for replay: new mount namespaces whose only
 * mounts are a replayed tree, and user namespaces for idmapped mounts.
 *
 * All of these change the calling process's namespaces and come back to
 * orig_ns: call them only from the single-threaded replay executor.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

/* The 64-bit id of the mount namespace of an nsfs fd.  Returns: 0 or -errno. */
int mnts_mnt_ns_id(int nsfd, uint64_t *ret_id);

/* A mount namespace that holds only one empty tmpfs, to make the new
 * namespaces from: each is then a copy of one mount, not of the caller's
 * whole namespace (copied once, here, and detached at once).
 * Returns: ns fd or -errno. */
int mnts_ns_seed(int orig_ns, struct mnts_error *err);

/* A new mount namespace whose id is above min_id: the kernel only lets a
 * namespace hold an nsfs mount of a younger one, and ids come in per-CPU
 * batches, so creation is retried on each CPU.  It is a copy of seed_ns
 * (mnts_ns_seed(): one empty tmpfs, so that a tree as large as a namespace
 * holds fits, its last subtree attached after the rest), or with seed_ns -1 a private copy of
 * orig_ns. Returns: ns fd or -errno. */
int mnts_ns_create(int orig_ns, int seed_ns, uint64_t min_id, uint64_t *ret_id,
		   struct mnts_error *err);

/* Makes the detached tree tree_fd the root of namespace ns_fd (made empty):
 * attach it on the root, pivot_root, detach the old root.  With root_dir,
 * attaches the tree at root_dir instead and keeps the rest.  Returns to
 * orig_ns.  Returns: 0 or -errno. */
int mnts_ns_populate(int orig_ns, int ns_fd, int tree_fd, const char *root_dir,
		     struct mnts_error *err);

/* A user namespace with these uid/gid map lines ("inside outside count").
 * Returns: userns fd or -errno. */
int mnts_userns_from_maps(const struct mnts_strv *uid_map, const struct mnts_strv *gid_map,
			  struct mnts_error *err);

/* Whether the mount fd is on is shared: 1 (and, each when not NULL, its
 * peer group and its mountpoint as the caller sees it, "?" when the kernel
 * does not say; free it), 0 not, or -errno. */
int mnts_fd_shared_mount(int fd, uint64_t *ret_group, char **ret_mountpoint);

/* The user namespace to own a replayed namespace that ns's capture says
 * was owned by a user namespace other than the initial one: the live one
 * with its inode and its maps (same host, still alive), else a new one with
 * its maps (*ret_created).  Returns: userns fd or -errno. */
int mnts_userns_for(const struct mnts_ns *ns, bool *ret_created, struct mnts_error *err);

/* A copy of the mount namespace ns_fd owned by user namespace userns_fd, as
 * a container runtime makes one: a child enters ns_fd, then userns_fd, and
 * unshares.  Every copied mount is locked (MNT_LOCKED: it cannot be
 * unmounted alone, nor its ro/nosuid/nodev/noexec/atime cleared) and copies
 * of shared mounts are slaves of the originals.  Returns: ns fd or -errno. */
int mnts_ns_copy_owned(int ns_fd, int userns_fd, struct mnts_error *err);

/* The detached tree tree_fd again, with every mount below its root locked
 * (MNT_LOCKED) and its root not, as when a container clones a subtree it
 * inherited (mount --rbind): the tree goes onto the root of a namespace
 * made from seed_ns, that namespace is copied into userns_fd (the copy
 * locks it), and the copy's tree is cloned recursively (the clone's root
 * loses its lock, the rest keep theirs).  tree_fd is left attached in the
 * carrier namespace, gone once it is closed; the copies of shared mounts
 * are slaves of the originals' groups.  Returns to orig_ns.
 * Returns: the clone's fd or -errno. */
int mnts_tree_lock_below(int orig_ns, int seed_ns, int userns_fd, int tree_fd,
			 struct mnts_error *err);

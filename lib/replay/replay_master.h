/* replay_master.h - live mounts and peer groups of other mount namespaces.
 *
 * A slave whose master group has no member in the snapshot can still be
 * replayed as a slave of that group when the group is alive on this host:
 * its members may sit in any mount namespace.  A superblock replay never
 * creates may be mounted only in another namespace.  The mounts that may
 * be wanted are read (host.c, only when such a slave or superblock exists,
 * and only until each is found) and a mount is picked here: for a master, a member on the same
 * superblock with a root containing the slave's root (the narrow-root rule of
 * MOVE_MOUNT_SET_GROUP), the caller's namespace first.
 */
#pragma once

#include <stdint.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

struct mnts_live_groups {
	struct mnts_snapshot *all; /* every mount namespace, captured */
	uint64_t self_ns_id;	   /* the caller's mount namespace */
	/* a dry run did not look for the master groups outside the snapshot */
	bool masters_unread;
};

/* A live member of peer group group_id on superblock dev/fstype whose root
 * contains root (the common ancestor of the roots replayed from it), or NULL: the caller's
 * namespace first, then the shortest root.  m->ns->mnt_ns_id is the namespace it is in. */
const struct mnts_mount *mnts_live_group_member(const struct mnts_live_groups *lg,
						uint64_t group_id, uint32_t dev_major,
						uint32_t dev_minor, const char *fstype,
						const char *root);

/* A live mount of superblock dev/fstype in another mount namespace than
 * the caller's (the source of a superblock replay must not create), bindable,
 * not deleted, whose root contains root; the shortest root.  NULL when none
 * (or when lg->all was not read). */
const struct mnts_mount *mnts_live_sb_elsewhere(const struct mnts_live_groups *lg,
						uint32_t dev_major, uint32_t dev_minor,
						const char *fstype, const char *root);

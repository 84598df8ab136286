/* replay_master.h - live members of peer groups outside a snapshot.
 *
 * A slave whose master group has no member in the snapshot can still be
 * replayed as a slave of that group when the group is alive on this host:
 * its members may sit in any mount namespace.  Every namespace is captured
 * (only when such a slave exists) and a member usable as the master is
 * picked: same superblock, a root containing the slave's root (the
 * narrow-root rule of MOVE_MOUNT_SET_GROUP), the caller's namespace first.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

struct mnts_live_groups {
	struct mnts_snapshot *all; /* every mount namespace, captured */
	uint64_t self_ns_id;	   /* the caller's mount namespace */
	bool tried;		   /* mnts_live_sb_elsewhere read them (or failed to) */
};

/* Returns: 0 or -errno. */
int mnts_live_groups_read(struct mnts_live_groups *lg, struct mnts_error *err);
void mnts_live_groups_done(struct mnts_live_groups *lg);

/* A live member of peer group group_id on superblock dev/fstype whose root
 * contains root (the common ancestor of the roots replayed from it), or NULL: the caller's
 * namespace first, then the shortest root.  m->ns->mnt_ns_id is the namespace it is in. */
const struct mnts_mount *mnts_live_group_member(const struct mnts_live_groups *lg,
						uint64_t group_id, uint32_t dev_major,
						uint32_t dev_minor, const char *fstype,
						const char *root);

/* A live mount of superblock dev/fstype in another mount namespace than
 * the caller's (the source of a superblock replay must not create), bindable,
 * not deleted, whose root contains root; the shortest root.  Reads every
 * namespace on first use (a failure is only logged at -v).  NULL when none. */
const struct mnts_mount *mnts_live_sb_elsewhere(struct mnts_live_groups *lg, uint32_t dev_major,
						uint32_t dev_minor, const char *fstype,
						const char *root);

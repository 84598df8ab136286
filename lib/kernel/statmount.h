/* statmount.h - the listmount(2)+statmount(2) capture backend (6.8+; the
 * fields mntsnap needs are complete from 6.15: kernel-api.md §0, §1). */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/kernel/syscalls.h"

/* What capture asks of every mount (bench/floor.c -s asks the same: the
 * kernel's own cost of a capture). */
#define MNTS_STATMOUNT_CAPTURE_MASK                                                                \
	(STATMOUNT_SB_BASIC | STATMOUNT_MNT_BASIC | STATMOUNT_MNT_ROOT | STATMOUNT_MNT_POINT |     \
	 STATMOUNT_FS_TYPE | STATMOUNT_FS_SUBTYPE | STATMOUNT_SB_SOURCE | STATMOUNT_OPT_ARRAY |    \
	 STATMOUNT_OPT_SEC_ARRAY | STATMOUNT_MNT_UIDMAP | STATMOUNT_MNT_GIDMAP)

/* True when listmount/statmount can target a namespace by id and report
 * every field a snapshot holds (source, subtype, option array). */
bool mnts_statmount_supported(void);

/* Fills ns->mounts (ns must have none) with the mounts of namespace ns_id
 * in kernel order; nsfd (or -1) is that namespace, whose mount count lets
 * the statmount calls start before the whole list is in.  Strings are raw;
 * root and fstype are not post-processed (no "//deleted" or nsfs handling);
 * propagate_from is left 0 (statmount across namespaces always reports 0:
 * see mnts_statmount_propagate_from()).
 * Returns: 0; -EAGAIN when the namespace changed under us (a mount vanished
 * between listmount and statmount, or a parent is missing): retry; or
 * -errno. */
int mnts_statmount_ns(struct mnts_ns *ns, uint64_t ns_id, int nsfd, struct mnts_error *err);

/* The same with every call on this thread, for a caller that reads
 * several namespaces at once, one per CPU.  Not safe to run beside another
 * call on the same snapshot (its string pool). */
int mnts_statmount_ns_alone(struct mnts_ns *ns, uint64_t ns_id, struct mnts_error *err);

/* How many mounts the namespace nsfd holds (NS_MNT_GET_INFO, 6.12+), or 0
 * when unknown. */
size_t mnts_statmount_ns_count(int nsfd);

/* Another thread's say in a long mnts_statmount_ns_basic(), and how far it
 * is (each field atomic). */
struct mnts_statmount_ctl {
	bool stop;    /* once set, the calls stop and -ECANCELED is returned */
	size_t done;  /* mounts read so far */
	size_t total; /* of how many (0: not listed yet) */
};

/* The same with only what replay needs of the caller's live mounts (ns_id 0:
 * the caller's namespace): ids, device, propagation, root, mountpoint, fstype
 * and source (a string copy: the executor then need not look each source up);
 * no options or idmaps, which the kernel formats at a cost.  ctl may be
 * NULL. */
int mnts_statmount_ns_basic(struct mnts_ns *ns, uint64_t ns_id, struct mnts_statmount_ctl *ctl,
			    struct mnts_error *err);

/* The same for the mounts of the caller's namespace with unique ids ids[],
 * appended to ns in that order, up to the first id that names no mount of
 * this namespace below our root.  Parent ids are the kernel's.  Returns:
 * how many were appended (n: all), or -errno. */
long mnts_statmount_ids_basic(struct mnts_ns *ns, const uint64_t *ids, size_t n,
			      struct mnts_error *err);

/* The same from inside the namespace: a child setns()es into nsfd and runs
 * listmount/statmount there.  For namespaces that the kernel cannot list by
 * id (listmount ENOENT: 6.18's grab_requested_root() looks for the root's
 * first child among the mounts with higher ids, and misses a root mount made
 * before the namespace, as after pivot_root to an older mount).
 * Returns: as mnts_statmount_ns(). */
int mnts_statmount_ns_setns(struct mnts_ns *ns, int nsfd, struct mnts_error *err);

/* Appends to ns the mounts of namespace ns_id (0: the caller's) that keep()
 * wants, judged from a small record of each (ids, device, propagation:
 * STATMOUNT_SB_BASIC|MNT_BASIC); only those kept are asked for their root,
 * mountpoint and fstype, as mnts_statmount_ns_basic() gives them.  Mounts
 * that vanish meanwhile are skipped; parent ids are the kernel's, not linked.
 * Returns: the number of mounts looked at, or -errno. */
long mnts_statmount_ns_select(struct mnts_ns *ns, uint64_t ns_id,
			      bool (*keep)(void *data, const struct mnts_mount *basic), void *data,
			      struct mnts_error *err);

/* The master relation between peer groups, for propagate_from.  Built from
 * the namespace at hand and, lazily, once per capture, from every live
 * namespace (only when a master chain leaves the namespace). */
struct mnts_master_graph;
struct mnts_master_graph *mnts_master_graph_new(void);
void mnts_master_graph_free(struct mnts_master_graph *g);

/* Sets propagate_from on every mount of ns as /proc/PID/mountinfo prints it
 * for a process at the namespace root: the first group on the master chain
 * with a member in ns (kernel get_dominating_id()); 0 when that is the
 * master itself, or when no group on the chain has a member in ns.  A chain
 * through groups that live only in detached trees ends early (no way to
 * list them). */
void mnts_statmount_propagate_from(struct mnts_ns *ns, struct mnts_master_graph *g);

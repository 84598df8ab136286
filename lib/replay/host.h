/* host.h - what a replay plan needs to know about this host, gathered before
 * planning, so that the planner (plan.h) reads nothing itself and can be
 * run from fixtures:
 *
 * - the caller's live mounts: the superblocks replay may clone instead of
 *   creating, with whether a path lookup of each one's mountpoint ends on it;
 * - the live mounts the plan may want from other mount namespaces
 *   (plan.h, mnts_live_want): members of master groups outside the
 *   snapshot (not for a dry run), mounts of superblocks replay never creates
 *   and the caller's namespace lacks.  Only those are read, from a small
 *   statmount record of each mount, the caller's and the target's namespace
 *   first, until each is found: never a capture of every namespace;
 * - fs.mount-max.
 *
 * What the snapshot decides to ask (which devices, which groups) is worked
 * out from the snapshot first, so that the host is asked no more than before.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/core/u64map.h"
#include "lib/replay/plan.h"
#include "lib/replay/replay_master.h"

enum mnts_reach_state { MNTS_REACH_UNKNOWN, MNTS_REACH_YES, MNTS_REACH_NO, MNTS_REACH_ASK };

/* A mount of the caller's namespace. */
struct mnts_live_mount {
	uint64_t id, parent_id;
	uint32_t dev_major, dev_minor;
	char *root, *target, *fstype;
	/* its source (devname): NULL when unknown (mountinfo's, which
	 * libmount may normalise); a clone of it shows this one */
	char *source;
	bool shared;
	bool unbindable; /* cannot be cloned */
	/* whether a lookup of target ends on it, from the table alone
	 * (MNTS_REACH_ASK: the table cannot tell; mnts_host_gather() asks
	 * statx for the superblocks of the snapshot) */
	enum mnts_reach_state reach;
	/* in an assumed table: the snapshot's unique id of the mount, which
	 * livecheck.c finds in sight at target before it is cloned; else 0 */
	uint64_t assumed_id;
};

struct mnts_live_table {
	struct mnts_live_mount *v;
	size_t n;
	/* index: device number -> first entry of that device, each entry
	 * linking to the next (-1 ends): one lookup per superblock */
	struct mnts_u64map by_dev;
	int *next_same_dev;
	/* when set, the strings are in it (read by statmount), else each
	 * is malloc'd */
	struct mnts_snapshot *pool;
	/* the entries are the snapshot's own mounts, their strings the
	 * snapshot's (not freed), each checked while the plan runs; and the
	 * mounts that must stay out of sight, the only ones of superblocks
	 * the plan cannot clone (mnts_live_hide()) */
	bool assumed;
	const struct mnts_live_mount **hidden;
	size_t n_hidden;
	const char *read_by; /* how it was read, for -vvv */
};

/* A block device of this host that holds a superblock of the snapshot,
 * found by the filesystem's UUID or by the recorded source (host_ident.c). */
struct mnts_host_dev {
	uint32_t dev_major, dev_minor;	 /* the snapshot's */
	uint32_t here_major, here_minor; /* the device's number here */
	char *path;			 /* the device here, e.g. /dev/vdb */
	bool by_uuid;			 /* found by UUID, else by the source path */
};

struct mnts_host {
	struct mnts_live_table live;
	/* what the prefetch had read when it was not wanted, to free */
	struct mnts_live_table dropped;
	struct mnts_live_groups groups; /* .all NULL: not needed, or unreadable (warned) */
	unsigned long mount_max;	/* fs.mount-max; 0: unknown */
	/* the snapshot's boot id is known and is not this boot's: its device
	 * numbers name nothing here (FORMAT.md §2) */
	bool other_boot;
	struct mnts_host_dev *devs; /* by identity, for superblocks on block devices */
	size_t n_devs;
	/* overlay layer paths (as replay would open them here) that do not
	 * exist: an overlay with one cannot be created */
	struct mnts_strv missing_layers;
};

/* host_ident.c: the identity facts above, for snap's superblocks that may
 * need them (every block one from another boot; one with no live mount
 * from this boot), and the overlays' layers. */
void mnts_host_gather_ident(struct mnts_host *h, const struct mnts_snapshot *snap,
			    const struct mnts_plan_opts *opts);
void mnts_host_ident_done(struct mnts_host *h);
/* The device found here for superblock major:minor of the snapshot, or NULL. */
const struct mnts_host_dev *mnts_host_dev_find(const struct mnts_host *h, uint32_t dev_major,
					       uint32_t dev_minor);

/* The caller's live table, read on a helper thread while the snapshot at
 * snapshot_path is read (it needs nothing of it): NULL with one CPU, where
 * it would gain nothing, and for a snapshot whose live mounts are likely
 * found without it (mnts_live_byid_likely()), which is read on both CPUs
 * instead.  Free it after mnts_host_gather() (this waits for the thread). */
struct mnts_live_prefetch;
struct mnts_live_prefetch *mnts_live_prefetch_start(const char *snapshot_path);
void mnts_live_prefetch_free(struct mnts_live_prefetch *p);

/* The live mounts of snap found by its ids or assumed (host_byid.c), begun
 * on a helper thread while the caller begins planning: NULL with one CPU.
 * mnts_host_gather() takes the result. */
struct mnts_host_ids;
struct mnts_host_ids *mnts_host_ids_start(const struct mnts_snapshot *snap,
					  const struct mnts_plan_opts *opts,
					  struct mnts_live_prefetch *live);

/* Waits for ids and frees it with what it found (NULL: nothing). */
void mnts_host_ids_free(struct mnts_host_ids *ids);

/* Gathers the facts a plan of snap with opts needs: the live table found by
 * ids (NULL: looked up here; freed either way), else from live when not
 * NULL (once), else read.  Returns: 0 or -errno (then nothing is left to
 * free). */
int mnts_host_gather(struct mnts_host *h, const struct mnts_snapshot *snap,
		     const struct mnts_plan_opts *opts, struct mnts_live_prefetch *live,
		     struct mnts_host_ids *ids, struct mnts_error *err);
void mnts_host_done(struct mnts_host *h);

/* Builds the table's device index and works out reachability from the
 * table alone (no I/O: for host facts made by hand too). */
void mnts_live_table_index(struct mnts_live_table *t);
/* The same for an assumed table (the snapshot's mounts, linked): entry i's
 * parent is entry parent_of[i] (-1: none), so no lookup by id or place is
 * needed but for mounts more than a component below their parent's. */
void mnts_live_table_index_linked(struct mnts_live_table *t, const int *parent_of);
/* The device index alone, for a table whose entries know their reach. */
void mnts_live_table_index_devs(struct mnts_live_table *t);
/* Whether a path lookup of lm's mountpoint ends on it (not covered): a
 * statx, a walk of the whole path. */
bool mnts_live_reachable(const struct mnts_live_mount *lm);

/* host_byid.c: whether the snapshot file at path looks, from its first
 * bytes, like a listmount capture of the caller's namespace in this boot
 * (our writer puts the method, the boot id and the first namespace's id
 * there): then its live mounts are most likely found by its ids or
 * assumed, without the whole table.  A guess of where the second CPU
 * helps most, nothing else. */
bool mnts_live_byid_likely(const char *path);

/* host_byid.c: the live table as the mounts the snapshot names by their
 * unique ids, one per superblock, when that is enough for every question
 * the planner will ask of the table, and cheaper than reading it whole:
 * looked up by id when few, else (opts->assume_live, a snapshot of the
 * caller's namespace) assumed as the snapshot saw them, and checked while
 * the plan runs (livecheck.h), when the whole table is table_wait_ms away
 * (HUGE_VAL: not being read), longer than the checks would slow the
 * executor down.  MNTSNAP_LIVE_TABLE=ids looks them up
 * whatever the cost, =assume assumes them whenever it may; =statmount or
 * =mountinfo neither.  Returns: 0 (*t filled and indexed), or -errno with
 * *t left empty: the caller reads the whole table. */
int mnts_live_read_by_ids(struct mnts_live_table *t, const struct mnts_snapshot *snap,
			  const struct mnts_plan_opts *opts, double table_wait_ms);
void mnts_live_table_done(struct mnts_live_table *t);

/* In an assumed table: lm (an entry of it) must stay out of sight while
 * the plan runs, checked as the mounts it clones are. */
void mnts_live_hide(struct mnts_live_table *t, const struct mnts_live_mount *lm);

/* The live mount of superblock dev/fstype, bindable, reachable at its mountpoint, with
 * the shortest root containing root (the common ancestor of every root to be
 * cloned from it); NULL when none.  No I/O: an entry still MNTS_REACH_ASK
 * counts as unreachable. */
const struct mnts_live_mount *mnts_live_find(const struct mnts_live_table *t, uint32_t dev_major,
					     uint32_t dev_minor, const char *fstype,
					     const char *root);
/* The same for a superblock known by its type alone (a spec's: its device
 * is made up), the first such mount with the shortest root. */
const struct mnts_live_mount *mnts_live_find_type(const struct mnts_live_table *t,
						  const char *fstype, const char *root);

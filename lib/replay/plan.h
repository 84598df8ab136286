/* plan.h - a replay as data: the superblocks, mounts, groups and namespaces
 * to build, and the ordered steps that build them.
 *
 * Planning is pure: what it needs to know about this host (live mounts to
 * clone, live peer groups) is gathered beforehand (host.h), so a plan can be
 * built from fixtures.  Steps refer to fd "slots" (indices into the
 * executor's fd array), so the plan can be printed (--dry-run), executed,
 * and failed at any step (fault injection).
 *
 * Step order: namespaces created (ids checked for nsfs pins), then each
 * namespace's tree built depth-first, in the caller's namespace.  For a
 * mount: clone it from its superblock's source (made on first use), idmap
 * and flags while it is the root of its own detached tree (mount_setattr
 * refuses other detached mounts), attach it to its parent (one mount at a
 * time: moving a subtree costs the kernel time per mount in it), then its
 * children (one whose mountpoint a sibling covers goes first; a missing
 * mountpoint is made through the superblock's writable source, never
 * through the mount, which may be read-only), then its
 * propagation once nothing more will be attached to it: so a parent is
 * private while anything is attached to it and nothing propagates.
 * Propagation comes from anchors by MOVE_MOUNT_SET_GROUP, which works on
 * any mount: a detached member of each peer group, and a detached pure
 * slave of each master group.  Unbindable needs mount_setattr: a leaf gets
 * it before it is attached, others at the end.  A namespace's root gets
 * its flags (read-only, for a container) after its children.  Then
 * read-only superblocks, once everything in them exists,
 * the trees moved into their namespaces (pivot_root) or grafted, a new
 * namespace's tree without the subtree of its root's last child, attached
 * right after from inside it (so the namespace never holds the tree and its
 * seed mount at once: a tree as large as a namespace holds fits), the roots'
 * propagation and the remaining unbindables from inside each namespace,
 * drop, pins.
 *
 * Every fd is closed after the last step naming it (exec.c), so a replay
 * holds about one fd per level of the tree being built, not one per mount:
 * 50,000 mounts fit RLIMIT_NOFILE.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/core/u64map.h"
#include "lib/replay/mapping.h"

struct mnts_host;

/* Something that stops a replay (a problem) or that it does differently
 * (a warning): what it is about ("--new '/run/x'", "'ns0:/a' (ext4 8:1)"),
 * and what.  cmd/ prints each as "mntsnap: replay: ITEM: TEXT". */
struct mnts_finding {
	char *item, *text;
};

struct mnts_findings {
	struct mnts_finding *v;
	size_t n;
};

void mnts_findings_add(struct mnts_findings *f, const char *item, const char *fmt, ...)
    _printf_(3, 4);
void mnts_findings_clear(struct mnts_findings *f);

enum mnts_plan_target {
	MNTS_PLAN_TARGET_NEW = 1,  /* new namespaces, pinned */
	MNTS_PLAN_TARGET_EXISTING, /* one namespace grafted into an existing one */
};

/* What the plan is asked to do (replay.c fills it from mnts_replay_opts). */
struct mnts_plan_opts {
	enum mnts_plan_target target;
	const char *new_dir;  /* TARGET_NEW: where pins go, for descriptions only */
	const char *root_dir; /* --root, for descriptions only (the executor opens it), or NULL */
	char **ns_labels;     /* --ns: only these namespaces; none = all */
	size_t n_ns_labels;
	char **externals; /* --external KEY:PATH */
	size_t n_externals;
	bool fresh;		 /* create anew every superblock that can be */
	bool create_mountpoints; /* also in reused filesystems */
	/* --map-source and --map-file rules; NULL: none */
	const struct mnts_map_rules *map_rules;
	/* --userns=none: every new namespace owned by the caller's user
	 * namespace, whatever the snapshot says */
	bool userns_none;
	bool userns_given; /* --userns=PID|NSFILE, for descriptions only */
	/* when set, every mount that cannot be replayed is added here too,
	 * one finding each (the error names them all on one line) */
	struct mnts_findings *problems;
	/* for the host facts (host.h): a dry run, which does not look for
	 * master groups outside the snapshot; the target namespace's id (-t,
	 * -m), looked at first for live mounts elsewhere (0: none) */
	bool dry_run;
	uint64_t target_ns_id;
	/* the live table may be assumed from the snapshot (host.h): only for
	 * a run whose executor checks it (livecheck.h) */
	bool assume_live;
};

/* A mapping the plan applies: the mounts the snapshot has at (or from)
 * `from` come from host path `to` here.  Each option that remaps a source
 * adds its own (kind: "external" for --external KEY:PATH, where from is
 * KEY; --map-source and --map-file add theirs). */
struct mnts_plan_mapping {
	const char *kind;
	char *from, *to;
	size_t n_mounts; /* mounts it applies to */
};

enum mnts_sb_how {
	MNTS_SB_FRESH,	  /* fsopen + fsconfig + fsmount */
	MNTS_SB_LIVE,	  /* clone of a live mount of the same superblock */
	MNTS_SB_EXTERNAL, /* clone of a --external path */
};

struct mnts_plan_sb {
	uint32_t dev_major, dev_minor;
	const char *fstype;
	const struct mnts_mount *first; /* source string and super options come from it */
	enum mnts_sb_how how;
	bool options;	    /* FRESH: apply super options */
	bool ro;	    /* FRESH: make the superblock read-only once mountpoints exist */
	char *path;	    /* LIVE/EXTERNAL: path to clone */
	char *root;	    /* the source's root inside the filesystem */
	/* the deepest path containing every root cloned from it: the first
	 * mount's root (the snapshot's) when that is it, else roots_own */
	const char *roots_common;
	char *roots_own;
	int next_same_dev;  /* another superblock with this device number (fs type differs), -1 */
	uint64_t ns_id;	    /* LIVE: the other mount namespace path is in; 0: the caller's */
	/* LIVE from the caller's live table: the source (devname) of the
	 * mount at path, which every clone of it shows; NULL: unknown (the
	 * executor asks the kernel) */
	char *live_source;
	/* path, root and live_source are the live table's strings (host.h),
	 * which outlives the plan: not copied (at 50,000 deep mounts the
	 * copies were a fifth of planning), not freed */
	bool live_strings;
	/* every mount of it has live_source as its own: the executor has
	 * no warning to give (worked out here, where the mounts are hot in
	 * the cache: a tenth of the executor's own time at 50,000 mounts) */
	bool live_sources_same;
	/* LIVE from an assumed table (host.h): the unique id the mount at
	 * path must have; the executor waits for livecheck.c to confirm it
	 * before cloning.  0: the table was read */
	uint64_t assumed_id;
	/* the device number a LIVE source must have here: dev_major:minor,
	 * unless the superblock was found by identity (host_ident.c) */
	uint32_t here_major, here_minor;
	/* EXTERNAL by a --map-source rule (its index, else -1): path is
	 * map_rel below the rule's NEW, resolved beneath it (no symlink) */
	int map_rule;
	char *map_base, *map_rel;
	/* FRESH from a block device found here: its path (else the first
	 * mount's source is the source) */
	char *source_here;
	/* FRESH overlay: its layers, each opened here and given by fd */
	bool layered;
	struct mnts_layers layers;
	int slot;
	int ns_slot; /* ns_id != 0: nsfs fd of that namespace, where every clone of
		      * the source is made (the kernel lets only the namespace a
		      * detached mount was made in clone it) */
};

/* What --map-source did: one entry per mount taken from a new path, and
 * per overlay layer moved (for reports: replay -n). */
/* One mount (or overlay layer) taken from elsewhere by --map-source. */
struct mnts_plan_remap {
	const struct mnts_mount *m;
	int rule;	 /* index into opts->map_rules */
	const char *what; /* "bind", or the overlay layer's key ("upperdir", ...) */
	char *old_path;	 /* the host path in the snapshot */
	char *new_path;	 /* where it is taken from here */
};

struct mnts_plan_mount {
	const struct mnts_mount *m;
	/* m's namespace, its index in the snapshot, -1 when not one of its
	 * own (mnts_plan_ns_index() without reading m, in the executor) */
	int snap_ns;
	int sb;		/* index into sbs; -1 for nsfs mounts */
	int nsfs_of;	/* nsfs pinning a replayed namespace: its index into nss, else -1 */
	char *ext_path; /* nsfs given by --external */
	int slot;
	int mp_slot;
	int group;    /* index into groups when shared, else -1 */
	int slave_of; /* pure slave: index of the master group, else -1 */
	bool unlink_root; /* its root was deleted and its CLONE makes it: UNLINK_ROOT
			   * removes it again once the trees are in place */
	/* made by the container: in a namespace replay copies into its owner
	 * (NS_OWN), a mount captured as not locked; built detached and attached
	 * inside the copy (ATTACH_INSIDE), so the copy does not lock it */
	bool inside;
	/* an inside mount with an inherited (locked) child: its tree, the
	 * inherited mounts below it attached, goes through a copy into the
	 * owner and is cloned back (ATTACH_CARRIED), so that those are locked
	 * and it is not; its inside children are attached after */
	bool carrier;
	/* in such a namespace, any other mount but the root: inherited, it
	 * goes through a copy into the owner, which makes it private if it
	 * was unbindable (UNBINDABLE_INSIDE puts that back) */
	bool copied;
};

struct mnts_plan_group {
	uint64_t shared_id, master_id;
	int master; /* index of the master group, -1 when none (or outside the snapshot) */
	int sb;
	int anchor_slot;       /* a detached member (or the live one) */
	int slave_anchor_slot; /* a detached pure slave of it, for SLAVE steps; -1 until made */
	/* a group outside the snapshot, alive on this host: its anchor is a
	 * live member (mount live_id at path in namespace ns_id, 0: the
	 * caller's), only ever the source of SET_GROUP */
	bool live;
	char *path;
	uint64_t live_id, ns_id;
};

struct mnts_plan_ns {
	const struct mnts_ns *ns;
	int base;	/* index of its first mount in plan->mounts */
	int slot;	/* namespace fd (new namespaces) */
	int *pinned_by; /* indices (into nss) of namespaces holding an nsfs mount of it */
	size_t n_pinned_by;
};

enum mnts_step_kind {
	MNTS_STEP_NS_CREATE,
	MNTS_STEP_SB_FRESH,
	MNTS_STEP_SB_LIVE,
	MNTS_STEP_SB_EXTERNAL,
	MNTS_STEP_CLONE,
	MNTS_STEP_NSFS,
	MNTS_STEP_IDMAP,
	MNTS_STEP_MOUNTPOINT,
	MNTS_STEP_ATTACH,
	MNTS_STEP_FLAGS,
	MNTS_STEP_SB_RO,
	MNTS_STEP_ANCHOR,
	MNTS_STEP_SLAVE_ANCHOR,
	MNTS_STEP_JOIN,
	MNTS_STEP_SHARE,
	MNTS_STEP_SLAVE,
	MNTS_STEP_UNBINDABLE,
	MNTS_STEP_DROP,
	MNTS_STEP_NS_POPULATE,
	MNTS_STEP_GRAFT,
	MNTS_STEP_PIN,
	MNTS_STEP_LIVE_MEMBER,
	MNTS_STEP_UNLINK_ROOT,
	MNTS_STEP_NS_OWN,
	MNTS_STEP_ATTACH_INSIDE,
	MNTS_STEP_REJOIN,
	MNTS_STEP_ATTACH_CARRIED,
	MNTS_STEP_UNBINDABLE_INSIDE,
	MNTS_STEP__COUNT
};

struct mnts_step {
	enum mnts_step_kind kind;
	int obj;	   /* index into sbs, mounts, groups or nss, per kind */
	int dst, src, aux; /* slots; -1 when unused */
	int keep;	   /* SB_LIVE: also keep an O_PATH fd of the path here, -1: no */
	int view;	   /* MOUNTPOINT/ATTACH that may create: the writable view of the
			    * parent's superblock (its source) missing mountpoints are
			    * made through, never the parent itself (it may be read-only);
			    * -1: through the parent */
	const char
	    *rel;    /* MOUNTPOINT: path below the parent mount's root; CLONE: below the source */
	bool create; /* MOUNTPOINT/CLONE: may create what is missing */
	uint64_t attr_set, attr_clr;
};

struct mnts_plan {
	const struct mnts_snapshot *snap;
	const struct mnts_plan_opts *opts;
	/* between mnts_plan_begin() and mnts_plan_finish() (plan.c) */
	struct mnts_plan_pending *pending;
	struct mnts_plan_sb *sbs;
	size_t n_sbs;
	struct mnts_plan_mount *mounts;
	size_t n_mounts;
	struct mnts_plan_group *groups;
	size_t n_groups;
	struct mnts_plan_ns *nss; /* in creation order: holders of nsfs pins first */
	size_t n_nss;
	int *ns_by_snap; /* per namespace of snap (its index there): index into nss, -1 */
	struct mnts_step *steps;
	size_t n_steps, cap_steps;
	int n_slots;
	/* the mounts of superblock s are sb_mounts[sb_mounts_off[s] ..
	 * sb_mounts_off[s + 1]) (indices into mounts) */
	int *sb_mounts, *sb_mounts_off;
	struct mnts_u64map sb_by_dev;	/* device number -> first superblock */
	struct mnts_u64map group_by_id; /* shared_id -> index into groups */
	bool *sb_made, *group_made; /* steps emitted for its source / anchor */
	int *group_uses; /* per group: members, slaves and slave groups */
	bool *deferred;		    /* mounts whose unbindable waits until the end */
	bool other_boot; /* the snapshot is from another boot (host.h) */
	/* the per-mount flags of the last option vector parsed (plan_steps.c):
	 * mounts with the same words share one (model.h) */
	struct {
		char *const *v;
		uint64_t attr;
	} attr_memo;
	struct mnts_plan_remap *remaps; /* what --map-source changed */
	size_t n_remaps;
	/* what the replay will do differently from the snapshot, one
	 * sentence each (superblocks found by identity, ...); the caller
	 * prints or reports them */
	struct mnts_strv warnings;
	/* the mappings applied, one entry per rule and kind (--external,
	 * --map-source), for reports */
	struct mnts_plan_mapping *mappings;
	size_t n_mappings;
	int *inside_tops; /* the inside mounts whose parent is not, in attach order */
	size_t n_inside_tops;
};

/* Adds a mapping to the plan (its strings copied). */
void mnts_plan_add_mapping(struct mnts_plan *plan, const char *kind, const char *from,
			   const char *to, size_t n_mounts);

/* Validates snap for host and opts, and builds the plan, without any I/O.
 * The plan points into snap and opts, and into host's live table (the
 * sources cloned from it): free the plan before them.  Every unresolvable
 * source is named in one error.  Returns: 0 or -errno (then nothing is
 * left to free). */
int mnts_plan_build(struct mnts_plan *plan, const struct mnts_snapshot *snap,
		    const struct mnts_host *host, const struct mnts_plan_opts *opts,
		    struct mnts_error *err);
/* The same in two halves: what needs only snap and opts (namespaces,
 * mounts, --external, each mount's superblock), done while the host's
 * facts are still being read (10 ms of 30 at 50,000 superblocks), then the
 * rest.  After a failed begin nothing is left to free; finish frees what
 * begin left on failure. */
int mnts_plan_begin(struct mnts_plan *plan, const struct mnts_snapshot *snap,
		    const struct mnts_plan_opts *opts, struct mnts_error *err);
int mnts_plan_finish(struct mnts_plan *plan, const struct mnts_host *host,
		     struct mnts_error *err);
void mnts_plan_done(struct mnts_plan *plan);

/* What a plan may look for in the mount namespaces of this host, outside
 * the snapshot (host.c reads only that, and stops once each is found):
 * - group_id != 0: a live member of a master group that no replayed mount
 *   belongs to (without --fresh; the slave then rejoins it);
 * - group_id 0: a mount, outside the caller's namespace, of a superblock
 *   replay never creates (features.h) that has no live mount here holding
 *   its roots, nor --external (without one the plan refuses it).
 * Either on superblock dev/fstype, with a root containing root, the deepest
 * path holding every root replayed from that superblock. */
struct mnts_live_want {
	uint64_t group_id;
	uint32_t dev_major, dev_minor;
	const char *fstype; /* into the snapshot */
	char *root;
};

struct mnts_live_wants {
	struct mnts_live_want *v;
	size_t n;
};

void mnts_live_wants_done(struct mnts_live_wants *w);

/* Appends the master groups a plan of snap with opts may rejoin (pure; may
 * list more than the plan ends up asking for, never fewer). */
void mnts_plan_want_masters(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts,
			    struct mnts_live_wants *w);

struct mnts_live_table;
/* Appends the superblocks a plan of snap with opts may clone from another
 * namespace: those live has no mount of (pure, and asks what the plan will
 * ask). */
void mnts_plan_want_elsewhere(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts,
			      const struct mnts_live_table *live, struct mnts_live_wants *w);

/* Whether mnts_plan_want_elsewhere() wants anything. */
bool mnts_plan_needs_other_ns(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts,
			      const struct mnts_live_table *live);

/* The name of the pin of the user namespace replay makes to own namespace
 * n (plan_steps.c: add_owner_step): "LABEL.userns", or NULL when it makes
 * none.  Free it. */
char *mnts_plan_userns_pin(const struct mnts_plan *plan, size_t n);

/* Index into plan->nss of ns (a namespace of plan->snap), -1 when it is
 * not replayed. */
int mnts_plan_ns_index(const struct mnts_plan *plan, const struct mnts_ns *ns);

/* Printing a plan (steps.c, from the table of step kinds). */

/* "ns0:/a/b" for a mount, written into buf.  Returns: buf. */
const char *mnts_plan_mount_name(const struct mnts_mount *m, char *buf, size_t size);

/* One line describing step i (no newline), into buf. */
void mnts_plan_step_text(const struct mnts_plan *plan, size_t i, char *buf, size_t size);
/* Prints every step, one per line, numbered from 1. */
void mnts_plan_print(const struct mnts_plan *plan, FILE *f);

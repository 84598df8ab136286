/* internal.h - what the files of the comparison engine share (not for use
 * outside lib/compare/).
 *
 * Every kernel number (mount id, group number, dev) is an arbitrary name, so
 * nothing is compared by number except under strict_ids.  Instead:
 *  - namespaces are paired by label, or by the mountpoints they share
 *    (match.c);
 *  - mounts are paired top-down: the roots, then a child of a paired mount
 *    with the child of its partner on the same mountpoint (siblings on one
 *    mountpoint under one parent cannot exist, so the chain of mountpoints
 *    from the root is a unique key; it handles overmounts and mounts tucked
 *    under others) (match.c);
 *  - a mount's own fields are compared with its partner's (fields.c);
 *  - superblocks and peer groups are partitions of the paired mounts, and
 *    two partitions are the same when they pair up class for class; a master
 *    (or propagate_from) is the same when A's group and B's group share a
 *    paired member (groups.c).
 * Each side's derived view (canonical order, layers, partitions) is built by
 * view.c; compare.c runs the steps and collects the differences.  All of it
 * is hashing and sorting, without recursion: O(n log n) in the number of
 * mounts, and a stack depth that does not grow with the tree's.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/compare/compare.h"
#include "lib/core/model.h"

#define NONE SIZE_MAX

/* ---- one side's derived view (view.c) ----------------------------------- */

/* A partition of a side's mounts into classes (peer groups or superblocks).
 * Classes are numbered in ascending key order. */
struct partition {
	size_t n_classes;
	size_t *cls;	/* per mount: its class, or NONE */
	uint64_t *keys; /* per class: the shared_id or dev, ascending */
	size_t *first;	/* per class: its first member in canonical order */
	size_t *second; /* per class: the member after first, or NONE */
};

struct view {
	const struct mnts_snapshot *snap;
	size_t n;		       /* mounts, all namespaces */
	size_t *ns_off;		       /* global index of each namespace's mounts[0] */
	const struct mnts_mount **mnt; /* global index -> mount */
	size_t *rank;		       /* canonical order: namespace, mountpoint, layer */
	size_t *by_rank;	       /* rank -> global index */
	unsigned int *layer;	       /* 1 + ancestors stacked on the same mountpoint */
	bool *scope;		       /* reported on (--ns, --subtree) */
	bool *outside;		       /* not below the other side's root (see anchor_roots) */
	size_t *partner;	       /* paired mount of the other side, or NONE */
	size_t *ns_partner;	       /* paired namespace of the other side, or NONE */
	struct partition groups;       /* peer groups (shared_id) */
	struct partition sbs;	       /* superblocks (dev) */
	bool alike;		       /* B: mount for mount like A (see orders_alike) */
};

static inline size_t gidx(const struct view *s, const struct mnts_mount *m)
{
	return s->ns_off[m->ns - s->snap->nss] + m->index;
}

static inline size_t ns_of(const struct view *s, size_t g)
{
	return (size_t)(s->mnt[g]->ns - s->snap->nss);
}

/* ---- the differences found ----------------------------------------------- */

/* The order of a mount's lines, and of a namespace's. */
enum seq {
	SEQ_NAMESPACE,
	SEQ_MOUNT,
	SEQ_FSTYPE,
	SEQ_SOURCE,
	SEQ_ROOT,
	SEQ_DELETED,
	SEQ_MOUNT_OPTIONS,
	SEQ_SUPER_OPTIONS,
	SEQ_SUPERBLOCK,
	SEQ_DEV,
	SEQ_SHARED,
	SEQ_PEERS,
	SEQ_MASTER,
	SEQ_PROPAGATE_FROM,
	SEQ_UNBINDABLE,
	SEQ_NSFS,
	SEQ_IDMAP,
	SEQ_LOCKED,
	SEQ_IDS,
};

struct found {
	struct mnts_diff_item it;
	size_t ns_key; /* A's namespace index; n_A + B's index for B-only */
	enum seq seq;
	size_t order; /* arrival, for a stable sort */
};

/* The members of each class of a partition, in canonical order: class k's
 * are list[off[k]] .. list[off[k + 1] - 1].  Built on first use (only a
 * difference about a group needs it). */
struct members {
	size_t *off, *list;
};

struct ctx {
	struct view a, b;
	/* A's groups, A's superblocks, B's groups, B's superblocks */
	struct members members[4];
	const struct mnts_compare_opts *opts;
	struct found *found;
	size_t n_found, cap_found;
	/* per A superblock: 1 + the B superblock whose options were
	 * reported, 0 for none */
	size_t *sb_reported;
	/* per A namespace: whether opts->ns_labels selects it (all when
	 * there are none) */
	bool *ns_selected;
};

static inline bool ignored(const struct ctx *c, unsigned int field)
{
	return c->opts->ignore & field;
}

/* ---- the steps (one file each, see above) ------------------------------- */

/* view.c: both sides' views (B's on a second thread); their release. */
void mnts_cmp_views_init(struct view *sa, const struct mnts_snapshot *a, struct view *sb,
			 const struct mnts_snapshot *b);
void mnts_cmp_view_done(struct view *s);
/* The snapshot prepared was made of. */
const struct mnts_snapshot *mnts_cmp_prepared_snap(const struct mnts_compare_prepared *prepared);
/* B's view, with A's prepared: *sa is a copy of it, reset for a
 * comparison; the arrays stay prepared's (not released by
 * mnts_cmp_view_done()). */
void mnts_cmp_views_init_ahead(struct view *sa, struct mnts_compare_prepared *prepared,
			       struct view *sb, const struct mnts_snapshot *b);
/* The class whose key is key, or NONE. */
size_t mnts_cmp_partition_find(const struct partition *p, uint64_t key);

/* compare.c: the differences found, and the words they are told in. */
/* Sets a found difference's sides as data (taken). */
static inline void mnts_cmp_set_data(struct found *f, struct mnts_value old_data,
				     struct mnts_value new_data)
{
	f->it.old_data = old_data;
	f->it.new_data = new_data;
}

struct found *mnts_cmp_add_found(struct ctx *c, enum mnts_diff_kind kind, size_t ns_key,
				 const char *ns, const char *ns_other, const char *mountpoint,
				 unsigned int layer, enum seq seq, const char *field,
				 char *old_value, char *new_value, char *text);
char *mnts_cmp_mount_words(const struct view *s, size_t g, size_t here_ns);
char *mnts_cmp_group_words(const struct view *s, size_t cls, size_t here_ns);
/* A mount as data: {"layer", "mountpoint", "ns"}. */
struct mnts_value mnts_cmp_mount_ref(const struct view *s, size_t g);
/* The differences about paired mount ga (of A); the result is valid until
 * the next difference is added. */
struct found *mnts_cmp_add_change(struct ctx *c, size_t ga, enum seq seq, const char *field,
				  const char *what, char *old_value, char *new_value);
struct found *mnts_cmp_add_change_text(struct ctx *c, size_t ga, enum seq seq, const char *field,
				       const char *what, char *old_value, char *new_value,
				       const char *tail);

/* match.c: namespaces paired, mounts paired, the scope marked. */
void mnts_cmp_match_ns(struct ctx *c);
void mnts_cmp_pair_mounts(struct ctx *c);
/* Whether A's namespace i is compared (opts->ns_labels). */
static inline bool mnts_cmp_ns_selected(const struct ctx *c, size_t i)
{
	return c->ns_selected[i];
}
void mnts_cmp_set_scope(struct ctx *c);

/* fields.c: a paired mount's own fields. */
void mnts_cmp_fields(struct ctx *c, size_t ga, size_t gb);
/* fields.c: the owning user namespaces of paired namespaces i (A), j (B). */
void mnts_cmp_ns_owner(struct ctx *c, size_t i, size_t j);

/* groups.c: the partitions (peer groups, masters, superblocks). */
void mnts_cmp_peers(struct ctx *c);
void mnts_cmp_masters(struct ctx *c);
void mnts_cmp_superblocks(struct ctx *c);
/* groups.c: class cls of partition p (s->groups or s->sbs) as data: the
 * array of its members (mnts_cmp_mount_ref), in canonical order. */
struct mnts_value mnts_cmp_class_value(struct ctx *c, const struct view *s,
				       const struct partition *p, size_t cls);
void mnts_cmp_members_done(struct ctx *c);

/* compare.h - two snapshots compared modulo renumbering (the engine of
 * `mntsnap diff` and of replay's verification: one implementation).
 *
 * Namespaces are matched by label, else by structure; mounts within a
 * namespace by mountpoint and stacking position; superblocks as a partition;
 * peer groups as a bijection with corresponding masters; options as sets.
 * The result is data (struct mnts_diff); lib/report/diffreport prints it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/compare/value.h"
#include "lib/core/error.h"
#include "lib/core/model.h"

enum mnts_diff_kind {
	MNTS_DIFF_ADDED,   /* only in B */
	MNTS_DIFF_REMOVED, /* only in A */
	MNTS_DIFF_CHANGED, /* in both, a field differs */
};

struct mnts_diff_item {
	enum mnts_diff_kind kind;
	char *ns;	  /* namespace label (A's, or B's when only in B) */
	char *mountpoint; /* NULL for a whole-namespace difference */
	char *field;	  /* "mount", "namespace", "fstype", "root", "source", ... */
	char *old_value;  /* A's side in words, or NULL */
	char *new_value;  /* B's side in words, or NULL */
	char *text; /* the line diff prints, e.g. "~ /mnt/a: master: (group of /mnt/b) -> none" */
	char *ns_other;	    /* B's label of the namespace when it differs from ns, else NULL */
	unsigned int layer; /* 1, or N for the Nth mount stacked on mountpoint (0: namespace) */
	/* A's and B's side as data (diff --json; spec/DIFF-JSON.md): null
	 * where a side has none */
	struct mnts_value old_data, new_data;
};

struct mnts_diff {
	struct mnts_diff_item *items;
	size_t n;
};

/* Fields that --ignore can name. */
enum {
	MNTS_FIELD_SOURCE = 1u << 0,
	MNTS_FIELD_MOUNT_OPTIONS = 1u << 1,
	MNTS_FIELD_SUPER_OPTIONS = 1u << 2,
	MNTS_FIELD_FSTYPE = 1u << 3,
	MNTS_FIELD_ROOT = 1u << 4,
	MNTS_FIELD_PROPAGATION = 1u << 5,
	MNTS_FIELD_SUPERBLOCK = 1u << 6,
	MNTS_FIELD_DEV = 1u << 7,
};

/* What a comparison derives from snapshot A alone (its canonical order
 * and its partitions into peer groups and superblocks: half of comparing
 * two large snapshots), worked out ahead by a caller that has the time
 * before B exists: replay does it for the snapshot while its executor
 * runs. */
struct mnts_compare_prepared;

/* For mnts_compare_opts.a_prepared; a must outlive it, unchanged. */
struct mnts_compare_prepared *mnts_compare_prepare(const struct mnts_snapshot *a);
void mnts_compare_prepared_free(struct mnts_compare_prepared *prepared);

struct mnts_compare_opts {
	unsigned int ignore; /* MNTS_FIELD_* */
	const char *subtree; /* compare only at or below this path */
	char **ns_labels;    /* compare only these namespaces (of A) */
	size_t n_ns_labels;
	bool strict_ids; /* also compare raw ids and group numbers */
	/* how namespaces are paired; AUTO: by label when both sides have the
	 * same set of labels, else by structure (shared mountpoints) */
	enum mnts_ns_match {
		MNTS_NS_MATCH_AUTO = 0,
		MNTS_NS_MATCH_LABEL,
		MNTS_NS_MATCH_STRUCTURE,
	} ns_match;
	/* what mnts_compare_prepare(a) made, or NULL: made here (it serves
	 * comparison after comparison, one at a time: each writes in it) */
	struct mnts_compare_prepared *a_prepared;
};

/* The MNTS_FIELD_* bit of an --ignore word ("source", "mount_options", ...).
 * Returns: the bit, or 0 when name is not a field. */
unsigned int mnts_field_from_name(const char *name);
/* The --ignore words, comma separated, for messages. */
const char *mnts_field_names(void);

/* Compares A and B (both linked); opts NULL: compare everything.  Items come
 * sorted: by namespace (A's order, then namespaces only in B), then by
 * mountpoint and layer, then field.  No printing.
 * Returns: 0 (ret->n == 0 means identical) or -errno (a --ns label not in A,
 * a bad subtree). */
int mnts_compare(const struct mnts_snapshot *a, const struct mnts_snapshot *b,
		 const struct mnts_compare_opts *opts, struct mnts_diff *ret,
		 struct mnts_error *err);

void mnts_diff_done(struct mnts_diff *d);

/* show.h - `mntsnap show`: a snapshot's mounts as findmnt(8) lists them
 * (a tree by default, or a list, raw, JSON), with findmnt's selections
 * (-t types, -T target, -M mountpoint, -R submounts) and a namespace
 * selection for snapshots of several. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/report/columns.h"

enum mnts_show_format {
	MNTS_SHOW_TREE, /* findmnt's default: TARGET drawn with ├─ └─ │ */
	MNTS_SHOW_LIST, /* -l */
	MNTS_SHOW_RAW,	/* -r: one space between columns, blanks escaped */
	MNTS_SHOW_JSON, /* -J: {"filesystems": [...]}, "children" in a tree */
};

/* Which mounts are shown. */
struct mnts_show_sel {
	char **ns_labels; /* these namespaces only (NULL: all) */
	size_t n_ns_labels;
	const char *types;	/* -t: "a,b" or "noa,b" (NULL: any) */
	const char *target;	/* -T: the mount PATH is on */
	const char *mountpoint; /* -M: the mounts at exactly DIR */
	bool submounts;		/* -R: and every mount below them */
};

struct mnts_show_opts {
	struct mnts_show_sel sel;
	enum mnts_show_format format;
	bool tree; /* -J: nest "children" (findmnt -J without -l) */
	bool noheadings;
	const enum mnts_col *cols;
	size_t n_cols;
};

/* The mounts of ns shown by sel, as a new array of flags by mount index;
 * NULL when the namespace is not selected.  *ret_n: how many are shown.
 * The snapshot must be linked. */
bool *mnts_show_select(const struct mnts_ns *ns, const struct mnts_show_sel *sel, size_t *ret_n);

/* Checks sel against snap (a --ns label it lacks is an error).
 * Returns: 0 or -EINVAL. */
int mnts_show_check(const struct mnts_snapshot *snap, const struct mnts_show_sel *sel,
		    struct mnts_error *err);

/* Writes snap as opts says to f.  *ret_n: the number of mounts shown (0:
 * nothing matched, findmnt's exit status 1).  Returns: 0 or -errno (a write
 * failure, a string JSON cannot carry). */
int mnts_show_render(const struct mnts_snapshot *snap, const struct mnts_show_opts *opts, FILE *f,
		     size_t *ret_n, struct mnts_error *err);

/* The mounts of ns in pre-order (a parent before its children; children in
 * snapshot order, or by mountinfo id as findmnt draws them when by_id),
 * without recursion: trees can be thousands deep.  out and depth (may be
 * NULL) hold ns->n_mounts entries.  Returns: how many (the mounts reachable
 * from the root). */
size_t mnts_ns_preorder(const struct mnts_ns *ns, bool by_id, const struct mnts_mount **out,
			size_t *depth);

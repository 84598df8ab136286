/* dot.h - a picture of propagation: a snapshot (show --dot) or both sides
 * of a comparison (diff --dot) as a Graphviz digraph.
 *
 * The mount tree is drawn as edges from each namespace's node down; each
 * peer group is a cluster (its members may be in several namespaces); each
 * master -> slave link is a dashed arrow from the master group (from a
 * placeholder when no member of the master group is drawn).  Read-only
 * mounts are filled grey, unbindable ones doubly outlined, namespaces
 * owned by a user namespace other than the initial one (whose inherited
 * mounts the kernel locks) drawn bold.  In a comparison, what is only in A
 * is red, only in B green, changed orange (on both sides).  Every string is
 * escaped (error.h: \ooo), then quoted for dot: the output is one
 * statement a line whatever the paths hold.
 */
#pragma once

#include <stdio.h>

#include "lib/compare/compare.h"
#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/report/show.h"

/* The mounts of snap that sel selects.  *ret_n: how many were drawn.
 * Returns: 0 or -errno (a write failure). */
int mnts_dot_snapshot(const struct mnts_snapshot *snap, const struct mnts_show_sel *sel, FILE *f,
		      size_t *ret_n, struct mnts_error *err);

/* Both sides, a cluster each (titled name_a and name_b), coloured by d
 * (mnts_compare(a, b)).  Returns: 0 or -errno (a write failure). */
int mnts_dot_diff(const struct mnts_snapshot *a, const struct mnts_snapshot *b, const char *name_a,
		  const char *name_b, const struct mnts_diff *d, FILE *f, struct mnts_error *err);

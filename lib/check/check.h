/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check.h - a spec (lib/spec) matched against a snapshot: `mntsnap check`.
 *
 * Layer 4.  Matching follows spec/SPEC.md §4: sections to namespaces, lines
 * in file order, each to the lowest unmatched mount at its path (below the
 * mount of its enclosing line) that meets every property it states, with
 * group and superblock names bound consistently and injectively.  The
 * result is data, one item per unmet expectation; check_report.c prints it.
 * Linear in the mounts: each namespace is indexed by mountpoint once.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/spec/spec.h"

struct mnts_check_item {
	unsigned line;	  /* of the spec line (or [LABEL] line) it comes from */
	char *mountpoint; /* as the spec states it, or "[LABEL]" */
	const char *property; /* "mount", "type", "propagation", "options", ... */
	char *expected, *found;
	size_t seq; /* the order found in (items of one line keep it) */
};

struct mnts_check_result {
	char *file; /* the spec's name */
	struct mnts_check_item *items; /* in spec line order */
	size_t n, cap;
};

struct mnts_check_opts {
	const char *subtree; /* the spec's "/" is this path of the target; NULL: "/" */
	const char *ns_label; /* the target namespace of the default section (--ns) */
	bool live;	      /* a live target: [LABEL] must name a namespace of it */
};

/* Matches spec against snap (linked).  The default section is checked
 * against the namespace opts->ns_label, or snap's only one; a [LABEL]
 * section against the namespace of that label (absent: one item, unless
 * opts->live, then an error).  Returns: 0 (res filled, possibly empty) or
 * -EINVAL (which namespace is meant cannot be told, "FILE:LINE:COL: ..."
 * for a section). */
int mnts_check(const struct mnts_spec *spec, const struct mnts_snapshot *snap,
	       const struct mnts_check_opts *opts, struct mnts_check_result *res,
	       struct mnts_error *err);

void mnts_check_result_free(struct mnts_check_result *res);

/* Prints res: "FILE:LINE: MOUNTPOINT: PROPERTY: expected X, found Y" per
 * item (user strings escaped as in mountinfo), or with json a JSON array of
 * objects {file, line, mountpoint, property, expected, found}.  Returns: 0
 * or -errno (a string that is not UTF-8 in JSON, a write error). */
int mnts_check_report(const struct mnts_check_result *res, FILE *f, bool json,
		      struct mnts_error *err);

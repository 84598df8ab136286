/* diffreport.h - the differences of a comparison for people and scripts:
 * `diff`'s text and JSON, and replay's verification lines. */
#pragma once

#include <stdio.h>

#include "lib/compare/compare.h"
#include "lib/core/error.h"

enum mnts_diff_format {
	/* one line per item, a "namespace LABEL:" header before each
	 * namespace's mount lines (diff) */
	MNTS_DIFF_TEXT,
	/* the same lines without headers (replay's verification) */
	MNTS_DIFF_LINES,
	/* a JSON array of objects: field, kind (added|removed|changed),
	 * layer, mountpoint, new, ns, ns_b, old, text, old and new typed
	 * (diff --json; spec/DIFF-JSON.md) */
	MNTS_DIFF_JSON,
};

/* Prints d to f.  JSON goes through lib/json/jsonwriter like every JSON
 * output: a string that is not valid UTF-8 is written whole, as the
 * snapshot writer writes it, and is an error.
 * Returns: 0 or -errno (a write failure, invalid UTF-8). */
int mnts_diff_report(const struct mnts_diff *d, FILE *f, enum mnts_diff_format format,
		     struct mnts_error *err);

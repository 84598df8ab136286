/* columns.h - the columns of `mntsnap show`: findmnt(8)'s names and
 * meanings (TARGET, SOURCE, OPTIONS, PROPAGATION, ...) plus the ones only a
 * snapshot has (PEERS, MASTER, NS, OWNER).  One value per mount, as text for
 * the table and typed for JSON. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

enum mnts_col {
	MNTS_COL_TARGET,
	MNTS_COL_SOURCE,
	MNTS_COL_FSTYPE,
	MNTS_COL_OPTIONS,
	MNTS_COL_VFS_OPTIONS,
	MNTS_COL_FS_OPTIONS,
	MNTS_COL_PROPAGATION,
	MNTS_COL_OPT_FIELDS,
	MNTS_COL_PEERS,
	MNTS_COL_MASTER,
	MNTS_COL_PROPAGATE_FROM,
	MNTS_COL_ID,
	MNTS_COL_UNIQ_ID,
	MNTS_COL_PARENT,
	MNTS_COL_MAJMIN,
	MNTS_COL_FSROOT,
	MNTS_COL_NS,
	MNTS_COL_NS_ID,
	MNTS_COL_OWNER,
	MNTS_COL__COUNT,
};

struct mnts_col_info {
	const char *name; /* the header, and -o's word (case-insensitive) */
	const char *json; /* the JSON key: the name in lower case, as findmnt */
	const char *help;
	bool number; /* a JSON number, right-aligned in the table */
};

const struct mnts_col_info *mnts_col_info(enum mnts_col c);

/* The columns of a -o list, findmnt's way: "A,B" replaces the defaults,
 * "+A,B" appends to them.  cols holds MNTS_COL__COUNT entries at least;
 * *n is the number of defaults on entry (kept with "+") and of columns on
 * return.  Returns: 0 or -EINVAL naming the unknown column. */
int mnts_cols_parse(const char *list, enum mnts_col *cols, size_t *n, struct mnts_error *err);

/* The value of column c for m, as a new string; "" when it has none (a JSON
 * null).  Numbers are decimal. */
char *mnts_col_value(enum mnts_col c, const struct mnts_mount *m);

/* findmnt's PROPAGATION: "shared" or "private", then ",slave" and
 * ",unbindable" (static text). */
const char *mnts_col_propagation(const struct mnts_mount *m);

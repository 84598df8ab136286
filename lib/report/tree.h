/* tree.h - the findmnt-like text rendering of a snapshot (capture --tree). */
#pragma once

#include "lib/core/model.h"

/* Renders every namespace of a linked snapshot: a header line with its label
 * and ids, then its mounts as a tree (TARGET SOURCE FSTYPE PROPAGATION, drawn
 * with ├─ └─ │ like findmnt).  Returns: a new string (never NULL). */
char *mnts_tree_render(const struct mnts_snapshot *snap);

/* The propagation column of one mount: "shared:3 master:1", "private", ... */
char *mnts_tree_propagation(const struct mnts_mount *m);

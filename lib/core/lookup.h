/* lookup.h - "the mount at a path" as path lookup finds it, one rule for
 * capture --subtree and for diff's alignment of a cut side. */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/core/model.h"

/* Sorts v (n mounts) by id, for mnts_mounts_find_id(). */
void mnts_mounts_sort_by_id(struct mnts_mount **v, size_t n);

/* The mount with id in by_id (n mounts sorted by id), or NULL. */
struct mnts_mount *mnts_mounts_find_id(struct mnts_mount *const *by_id, size_t n, uint64_t id);

/* The mount path lookup finds at path in ns, as a process at the
 * namespace's root sees it: from the root mount, each step enters the child
 * met first on the way down (the one whose mountpoint is nearest the root: it
 * hides its siblings below it), to the top of its stack (the child made
 * last).  Mounts stacked on the root itself are not entered, as absolute
 * lookup does not.  So a mount hidden under a later cover is not in sight.
 * Needs only parent_id, not a linked namespace.  by_id: ns's mounts sorted
 * by id (NULL: ns->by_id of a linked namespace).  Returns: the index in
 * ns->mounts, or -1 when what is in sight at path is not a mountpoint. */
ssize_t mnts_ns_mount_in_sight(const struct mnts_ns *ns, struct mnts_mount *const *by_id,
			       const char *path);

/* roottype.h - whether each mount's root is a directory or not, as replay
 * needs it for a file bind (a deleted one, or in a new superblock). */
#pragma once

#include "lib/core/model.h"

/* Directory listings that mnts_capture_root_types() would make, made ahead
 * on a helper thread. */
struct mnts_roottype_pre;

/* Sets root_type on every mount of the linked namespace ns: from the tree
 * where it tells (a filesystem's root, a mount with mounts below it, a
 * namespace file), else, for a live namespace (rootfd >= 0: its root as a
 * process at the namespace root sees it), what fstatat() of the mountpoint
 * through rootfd says when the mount found there is on the mount's device
 * (a chrooted process's root is not the namespace's), with one call per
 * root dentry or directory of many mountpoints rather than per mount
 * (roottype.c says how).  Unknown otherwise.  The listings of pre are used
 * (NULL: none), and pre freed. */
void mnts_capture_root_types(struct mnts_ns *ns, int rootfd, struct mnts_roottype_pre *pre);

/* Whether ns is big enough for listings made ahead to pay. */
bool mnts_capture_root_types_ahead(const struct mnts_ns *ns);

/* Starts listing, on a helper thread, the directories of many mountpoints of
 * ns through rootfd (both kept until the end), from the fields that a
 * capture read (not yet linked: the caller links ns meanwhile, which writes
 * none of them).  Returns: NULL when it would not pay (or rootfd < 0). */
struct mnts_roottype_pre *mnts_capture_root_types_start(const struct mnts_ns *ns, int rootfd);
/* Waits for pre's helper and frees pre (NULL: nothing). */
void mnts_capture_root_types_drop(struct mnts_roottype_pre *pre);

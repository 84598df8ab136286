/* roottype.h - whether each mount's root is a directory or not, as replay
 * needs it for a file bind (a deleted one, or in a new superblock). */
#pragma once

#include "lib/core/model.h"

/* Sets root_type on every mount of the linked namespace ns: from the tree
 * where it tells (a filesystem's root, a mount with mounts below it, a
 * namespace file), else, for a live namespace (rootfd >= 0: its root as a
 * process at the namespace root sees it), what fstatat() of the mountpoint
 * through rootfd says when the mount found there is on the mount's device
 * (a chrooted process's root is not the namespace's), with one call per
 * root dentry or directory of many mountpoints rather than per mount
 * (roottype.c says how).  Unknown otherwise. */
void mnts_capture_root_types(struct mnts_ns *ns, int rootfd);

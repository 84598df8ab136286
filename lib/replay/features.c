/* features.c - per-fstype replay capabilities (see features.h) */
#include <stdio.h>
#include <string.h>

#include "lib/replay/features.h"
#include "lib/core/macros.h"

#define NEW(type, why) {type, MNTS_FS_CREATE_NEW, NULL, why}
#define SHARED(type, scope, why) {type, MNTS_FS_NEVER_SHARED, scope, why}
#define NO_CREATE(type, why) {type, MNTS_FS_NO_CREATE, NULL, why}

/* The get_tree of each type, read on Linux 6.18 (and checked on this host
 * with CMD_CREATE_EXCL in kernel-api.md §5.1, never with options on a
 * shared type).  get_tree_nodev: a new superblock per create;
 * get_tree_single: one per machine; get_tree_keyed: one per key. */
static const struct mnts_fs_feature table[] = {
    NEW("tmpfs", "shmem_get_tree: get_tree_nodev, a new superblock per create"),
    NEW("ramfs", "ramfs_get_tree: get_tree_nodev, a new superblock per create"),
    NEW("devpts", "devpts_get_tree: get_tree_nodev, every mount a new instance (4.7+)"),
    NEW("hugetlbfs", "hugetlbfs_get_tree: get_tree_nodev, a new superblock per create"),
    NEW("bpf", "bpf_get_tree: get_tree_nodev, a new empty bpffs per create (pins live "
	       "in the superblock: a new one has none)"),
    NEW("proc", "proc_get_tree: get_tree_nodev (5.8+), a new superblock per create with "
		"its own hidepid/subset; it shows the pid namespace of the task calling "
		"fsopen, not the snapshot's"),

    SHARED("cgroup2", "machine-wide",
	   "cgroup_get_tree: the one default hierarchy (cgrp_dfl_root), and "
	   "apply_cgroup_root_flags() rewrites its root flags (nsdelegate, "
	   "memory_recursiveprot, ...) on every get from the initial cgroup namespace"),
    SHARED("cgroup", "machine-wide",
	   "cgroup1_get_tree: cgroup1_root_to_use() reuses the hierarchy with the same "
	   "controllers or name= (other options ignored) or makes a new hierarchy, "
	   "taking controllers from the whole machine"),
    SHARED("cpuset", "machine-wide",
	   "the legacy cpuset type is cgroup v1 with the cpuset controller "
	   "(cgroup1_get_tree)"),
    SHARED("sysfs", "per network namespace",
	   "sysfs_get_tree: kernfs_get_tree finds the superblock by kernfs root and the "
	   "network namespace of the task calling fsopen"),
    SHARED("mqueue", "per IPC namespace",
	   "mqueue_get_tree: get_tree_keyed on the IPC namespace of the task calling "
	   "fsopen"),
    SHARED("binfmt_misc", "per user namespace",
	   "bm_get_tree: get_tree_keyed on the user namespace (6.7+; get_tree_single "
	   "before): the registered formats are that namespace's"),
    SHARED("devtmpfs", "machine-wide",
	   "devtmpfs_get_tree: a reference to the kernel's one internal devtmpfs mount "
	   "(FSCONFIG_CMD_CREATE_EXCL is not even honoured)"),
    SHARED("debugfs", "machine-wide",
	   "debugfs_get_tree: get_tree_single; uid/gid/mode options reconfigure every "
	   "mount of it"),
    SHARED("tracefs", "machine-wide",
	   "tracefs_get_tree: get_tree_single; options reconfigure every mount of it"),
    SHARED("securityfs", "machine-wide", "securityfs_get_tree: get_tree_single"),
    SHARED("pstore", "machine-wide",
	   "pstore_get_tree: get_tree_single, and reconfigures (kmsg_bytes) the existing "
	   "one"),
    SHARED("configfs", "machine-wide", "configfs_get_tree: get_tree_single"),
    SHARED("fusectl", "machine-wide", "fuse_ctl_get_tree: get_tree_single"),
    SHARED("efivarfs", "machine-wide",
	   "efivarfs_get_tree: get_tree_single over the firmware's variables"),
    SHARED("selinuxfs", "machine-wide", "sel_get_tree: get_tree_single"),
    SHARED("rpc_pipefs", "per network namespace",
	   "rpc_fs_get_tree: get_tree_keyed on the network namespace"),
    SHARED("nfsd", "per network namespace",
	   "nfsd_fs_get_tree: get_tree_keyed on the network namespace"),

    NO_CREATE("autofs", "needs its automount daemon (fd=)"),
    NO_CREATE("nsfs", "exists only as a bind of a namespace file"),
};

const struct mnts_fs_feature *mnts_fs_features(size_t *ret_n)
{
	*ret_n = ARRAY_SIZE(table);
	return table;
}

const struct mnts_fs_feature *mnts_fs_feature(const char *fstype)
{
	static struct mnts_fs_feature unknown = {NULL, MNTS_FS_NO_CREATE, NULL, NULL};
	size_t len = strcspn(fstype, ".");

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (strlen(table[i].fstype) == len && strncmp(table[i].fstype, fstype, len) == 0)
			return &table[i];
	unknown.fstype = fstype;
	return &unknown;
}

bool mnts_fs_wants_live(const struct mnts_fs_feature *feat, bool fresh)
{
	return !(fresh && feat->create == MNTS_FS_CREATE_NEW);
}

enum mnts_fs_source mnts_fs_source(const struct mnts_fs_feature *feat, bool fresh, bool live)
{
	if (feat->create == MNTS_FS_CREATE_NEW)
		return fresh || !live ? MNTS_FS_SOURCE_FRESH : MNTS_FS_SOURCE_LIVE;
	/* shared or unknown: only ever a clone of what is mounted */
	return live ? MNTS_FS_SOURCE_LIVE : MNTS_FS_SOURCE_NONE;
}

const char *mnts_fs_why_no_source(const struct mnts_fs_feature *feat, char *buf, size_t size)
{
	size_t len = strcspn(feat->fstype, ".");

	if (feat->create == MNTS_FS_NEVER_SHARED)
		snprintf(buf, size, "%.*s is shared %s: replay never creates it", (int)len,
			 feat->fstype, feat->shared);
	else if (feat->reason)
		snprintf(buf, size, "%s cannot be created: %s", feat->fstype, feat->reason);
	else
		snprintf(buf, size, "%s cannot be created", feat->fstype);
	return buf;
}

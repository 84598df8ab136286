/* features.c - per-fstype replay capabilities (see features.h) */
#include <string.h>

#include "lib/replay/features.h"
#include "lib/core/macros.h"

static const struct mnts_fs_feature table[] = {
    {"tmpfs", MNTS_FS_CREATE_NEW, NULL},
    {"ramfs", MNTS_FS_CREATE_NEW, NULL},
    {"proc", MNTS_FS_CREATE_NEW, NULL},
    {"devpts", MNTS_FS_CREATE_NEW, NULL},
    {"bpf", MNTS_FS_CREATE_NEW, NULL},
    {"hugetlbfs", MNTS_FS_CREATE_NEW, NULL},
    /* one superblock per net/ipc/cgroup/user namespace or per machine:
     * fsopen gives the existing one, and options would rewrite it */
    {"sysfs", MNTS_FS_CREATE_SHARED, NULL},
    {"mqueue", MNTS_FS_CREATE_SHARED, NULL},
    {"cgroup2", MNTS_FS_CREATE_SHARED, NULL},
    {"binfmt_misc", MNTS_FS_CREATE_SHARED, NULL},
    {"debugfs", MNTS_FS_CREATE_SHARED, NULL},
    {"tracefs", MNTS_FS_CREATE_SHARED, NULL},
    {"securityfs", MNTS_FS_CREATE_SHARED, NULL},
    {"devtmpfs", MNTS_FS_CREATE_SHARED, NULL},
    {"fusectl", MNTS_FS_CREATE_SHARED, NULL},
    {"pstore", MNTS_FS_CREATE_SHARED, NULL},
    /* never created by replay */
    {"autofs", MNTS_FS_NO_CREATE, "needs its automount daemon"},
    {"nsfs", MNTS_FS_NO_CREATE, "exists only as a bind of a namespace file"},
};

const struct mnts_fs_feature *mnts_fs_feature(const char *fstype)
{
	static struct mnts_fs_feature unknown = {NULL, MNTS_FS_NO_CREATE, NULL};
	size_t len = strcspn(fstype, ".");

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if (strlen(table[i].fstype) == len && strncmp(table[i].fstype, fstype, len) == 0)
			return &table[i];
	unknown.fstype = fstype;
	return &unknown;
}

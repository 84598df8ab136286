/* syscalls.h - the only place raw mount-API syscalls are made.
 *
 * Debian 12 builds against glibc 2.36 and 6.1 UAPI headers: the 6.8+ calls
 * (statmount, listmount, open_tree_attr), their structs and the new nsfs
 * ioctls are defined here by hand, with values verified on 6.18
 * (../shared/docs/kernel-api.md §0).  Wrappers are named mnts_sys_*: glibc
 * already declares fsopen(), move_mount() and friends, and redefining them is
 * a compile error.  Each returns what the kernel returns (-1 and errno).
 */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/types.h>

#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_fsopen
#define __NR_fsopen 430
#endif
#ifndef __NR_fsconfig
#define __NR_fsconfig 431
#endif
#ifndef __NR_fsmount
#define __NR_fsmount 432
#endif
#ifndef __NR_fspick
#define __NR_fspick 433
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef __NR_statmount
#define __NR_statmount 457
#endif
#ifndef __NR_listmount
#define __NR_listmount 458
#endif
#ifndef __NR_open_tree_attr
#define __NR_open_tree_attr 467
#endif

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_SYMLINKS 0x00000001
#define MOVE_MOUNT_F_AUTOMOUNTS 0x00000002
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#define MOVE_MOUNT_T_SYMLINKS 0x00000010
#define MOVE_MOUNT_T_AUTOMOUNTS 0x00000020
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef MOVE_MOUNT_SET_GROUP
#define MOVE_MOUNT_SET_GROUP 0x00000100 /* 5.15 */
#endif
#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x00000200 /* 6.5 */
#endif
#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x00000001
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x00000001
#endif
#ifndef FSPICK_CLOEXEC
#define FSPICK_CLOEXEC 0x00000001
#define FSPICK_SYMLINK_NOFOLLOW 0x00000002
#define FSPICK_NO_AUTOMOUNT 0x00000004
#define FSPICK_EMPTY_PATH 0x00000008
#endif

/* fsconfig commands under our own names (glibc has an enum of its own). */
#define MNTS_FSCONFIG_SET_FLAG 0
#define MNTS_FSCONFIG_SET_STRING 1
#define MNTS_FSCONFIG_SET_BINARY 2
#define MNTS_FSCONFIG_SET_PATH 3
#define MNTS_FSCONFIG_SET_PATH_EMPTY 4
#define MNTS_FSCONFIG_SET_FD 5
#define MNTS_FSCONFIG_CMD_CREATE 6
#define MNTS_FSCONFIG_CMD_RECONFIGURE 7
#define MNTS_FSCONFIG_CMD_CREATE_EXCL 8 /* 6.6: EBUSY when an existing sb would be reused */

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#define MOUNT_ATTR_NOEXEC 0x00000008
#define MOUNT_ATTR__ATIME 0x00000070
#define MOUNT_ATTR_RELATIME 0x00000000
#define MOUNT_ATTR_NOATIME 0x00000010
#define MOUNT_ATTR_STRICTATIME 0x00000020
#define MOUNT_ATTR_NODIRATIME 0x00000080
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

struct mnts_mount_attr {
	__u64 attr_set;
	__u64 attr_clr;
	__u64 propagation; /* MS_SHARED, MS_SLAVE, MS_PRIVATE, MS_UNBINDABLE or 0 */
	__u64 userns_fd;
};
#define MNTS_MOUNT_ATTR_SIZE_VER0 32

#ifndef STATX_MNT_ID
#define STATX_MNT_ID 0x00001000U
#endif
#ifndef STATX_MNT_ID_UNIQUE
#define STATX_MNT_ID_UNIQUE 0x00004000U
#endif

/* statmount(2) result; strings are byte offsets into str[]. */
struct mnts_statmount {
	__u32 size;
	__u32 mnt_opts;
	__u64 mask;
	__u32 sb_dev_major;
	__u32 sb_dev_minor;
	__u64 sb_magic;
	__u32 sb_flags;
	__u32 fs_type;
	__u64 mnt_id;
	__u64 mnt_parent_id;
	__u32 mnt_id_old;
	__u32 mnt_parent_id_old;
	__u64 mnt_attr;
	__u64 mnt_propagation;
	__u64 mnt_peer_group;
	__u64 mnt_master;
	__u64 propagate_from;
	__u32 mnt_root;
	__u32 mnt_point;
	__u64 mnt_ns_id;
	__u32 fs_subtype;
	__u32 sb_source;
	__u32 opt_num;
	__u32 opt_array;
	__u32 opt_sec_num;
	__u32 opt_sec_array;
	__u64 supported_mask;
	__u32 mnt_uidmap_num;
	__u32 mnt_uidmap;
	__u32 mnt_gidmap_num;
	__u32 mnt_gidmap;
	__u64 __spare2[43];
	char str[];
};

struct mnts_mnt_id_req {
	__u32 size;
	__u32 spare; /* must be 0 on 6.18 */
	__u64 mnt_id;
	__u64 param; /* statmount: mask; listmount: last id returned */
	__u64 mnt_ns_id;
};
#define MNTS_MNT_ID_REQ_SIZE_VER0 24
#define MNTS_MNT_ID_REQ_SIZE_VER1 32

#define STATMOUNT_SB_BASIC 0x00000001U
#define STATMOUNT_MNT_BASIC 0x00000002U
#define STATMOUNT_PROPAGATE_FROM 0x00000004U
#define STATMOUNT_MNT_ROOT 0x00000008U
#define STATMOUNT_MNT_POINT 0x00000010U
#define STATMOUNT_FS_TYPE 0x00000020U
#define STATMOUNT_MNT_NS_ID 0x00000040U
#define STATMOUNT_MNT_OPTS 0x00000080U
#define STATMOUNT_FS_SUBTYPE 0x00000100U
#define STATMOUNT_SB_SOURCE 0x00000200U
#define STATMOUNT_OPT_ARRAY 0x00000400U
#define STATMOUNT_OPT_SEC_ARRAY 0x00000800U
#define STATMOUNT_SUPPORTED_MASK 0x00001000U
#define STATMOUNT_MNT_UIDMAP 0x00002000U
#define STATMOUNT_MNT_GIDMAP 0x00004000U

#define MNTS_LSMT_ROOT 0xffffffffffffffffULL

/* nsfs ioctls (NSIO 0xb7) */
#define MNTS_NSIO 0xb7
#ifndef NS_GET_USERNS
#define NS_GET_USERNS _IO(MNTS_NSIO, 0x1)
#define NS_GET_PARENT _IO(MNTS_NSIO, 0x2)
#define NS_GET_NSTYPE _IO(MNTS_NSIO, 0x3)
#define NS_GET_OWNER_UID _IO(MNTS_NSIO, 0x4)
#endif
#define MNTS_NS_GET_MNTNS_ID _IOR(MNTS_NSIO, 0x5, __u64)
struct mnts_mnt_ns_info {
	__u32 size;
	__u32 nr_mounts;
	__u64 mnt_ns_id;
};
#define MNTS_MNT_NS_INFO_SIZE_VER0 16
#define MNTS_NS_MNT_GET_INFO _IOR(MNTS_NSIO, 10, struct mnts_mnt_ns_info)
#define MNTS_NS_MNT_GET_NEXT _IOR(MNTS_NSIO, 11, struct mnts_mnt_ns_info)
#define MNTS_NS_MNT_GET_PREV _IOR(MNTS_NSIO, 12, struct mnts_mnt_ns_info)
#define MNTS_NS_GET_ID _IOR(MNTS_NSIO, 13, __u64)

struct mnts_open_how {
	__u64 flags;
	__u64 mode;
	__u64 resolve;
};
#ifndef RESOLVE_NO_XDEV
#define RESOLVE_NO_XDEV 0x01
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#define RESOLVE_IN_ROOT 0x10
#define RESOLVE_CACHED 0x20
#endif

static inline int mnts_sys_open_tree(int dfd, const char *path, unsigned int flags)
{
	return (int)syscall(__NR_open_tree, dfd, path, flags);
}

static inline int mnts_sys_open_tree_attr(int dfd, const char *path, unsigned int flags,
					  struct mnts_mount_attr *attr, size_t size)
{
	return (int)syscall(__NR_open_tree_attr, dfd, path, flags, attr, size);
}

static inline int mnts_sys_move_mount(int from_dfd, const char *from_path, int to_dfd,
				      const char *to_path, unsigned int flags)
{
	return (int)syscall(__NR_move_mount, from_dfd, from_path, to_dfd, to_path, flags);
}

static inline int mnts_sys_fsopen(const char *fstype, unsigned int flags)
{
	return (int)syscall(__NR_fsopen, fstype, flags);
}

static inline int mnts_sys_fsconfig(int fd, unsigned int cmd, const char *key, const void *value,
				    int aux)
{
	return (int)syscall(__NR_fsconfig, fd, cmd, key, value, aux);
}

static inline int mnts_sys_fsmount(int fd, unsigned int flags, unsigned int attr_flags)
{
	return (int)syscall(__NR_fsmount, fd, flags, attr_flags);
}

static inline int mnts_sys_fspick(int dfd, const char *path, unsigned int flags)
{
	return (int)syscall(__NR_fspick, dfd, path, flags);
}

static inline int mnts_sys_mount_setattr(int dfd, const char *path, unsigned int flags,
					 struct mnts_mount_attr *attr, size_t size)
{
	return (int)syscall(__NR_mount_setattr, dfd, path, flags, attr, size);
}

static inline int mnts_sys_openat2(int dfd, const char *path, struct mnts_open_how *how,
				   size_t size)
{
	return (int)syscall(__NR_openat2, dfd, path, how, size);
}

static inline int mnts_sys_pivot_root(const char *new_root, const char *put_old)
{
	return (int)syscall(__NR_pivot_root, new_root, put_old);
}

/* statmount(2).  ns_id 0 means the caller's namespace.  EOVERFLOW when buf
 * is too small (and size is not filled in): grow and retry. */
static inline int mnts_sys_statmount(uint64_t mnt_id, uint64_t ns_id, uint64_t mask,
				     struct mnts_statmount *buf, size_t bufsize)
{
	struct mnts_mnt_id_req req = {
		.size = ns_id ? MNTS_MNT_ID_REQ_SIZE_VER1 : MNTS_MNT_ID_REQ_SIZE_VER0,
		.mnt_id = mnt_id,
		.param = mask,
		.mnt_ns_id = ns_id,
	};
	return (int)syscall(__NR_statmount, &req, buf, bufsize, 0);
}

/* listmount(2): ids of every mount below parent (MNTS_LSMT_ROOT: the whole
 * namespace) with unique id > last, ascending.  Returns the count. */
static inline long mnts_sys_listmount(uint64_t parent, uint64_t ns_id, uint64_t last,
				      uint64_t *ids, size_t n)
{
	struct mnts_mnt_id_req req = {
		.size = ns_id ? MNTS_MNT_ID_REQ_SIZE_VER1 : MNTS_MNT_ID_REQ_SIZE_VER0,
		.mnt_id = parent,
		.param = last,
		.mnt_ns_id = ns_id,
	};
	return syscall(__NR_listmount, &req, ids, n, 0);
}

/* superblock flags as statmount.sb_flags reports them (kernel-api.md §1) */
#define MNTS_SB_RDONLY 0x00000001U
#define MNTS_SB_SYNCHRONOUS 0x00000010U
#define MNTS_SB_DIRSYNC 0x00000080U
#define MNTS_SB_LAZYTIME 0x02000000U

#ifndef CLONE_NEWNS
#define CLONE_NEWNS 0x00020000
#endif

static inline int mnts_sys_setns(int fd, int nstype)
{
	return (int)syscall(__NR_setns, fd, nstype);
}

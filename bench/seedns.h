/* seedns.h - new mount namespaces of one mount, for gen.c and floor.c (each
 * defines die() before including it).
 *
 * A seed namespace is a copy of the caller's (unshare), or of a much smaller
 * namespace when there is one (lib/kernel/nssmall.h, as replay does; with
 * FLOOR_SEED_OURS set in the environment, always the caller's), made rprivate (its
 * copies of shared mounts are peers of the originals: detaching them would
 * unmount the originals), emptied down to one tmpfs (pivot_root into it,
 * the copied mounts detached).  Each namespace made from it (setns into it,
 * unshare) is then a copy of one mount, whatever the caller's holds, as
 * replay makes them (lib/replay/replay_ns.c). */
#pragma once

#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <unistd.h>

#include "lib/kernel/nssmall.h"
#include "lib/kernel/syscalls.h"

static void die(const char *fmt, ...);

static inline uint64_t seed_ns_id(int fd)
{
	uint64_t id = 0;

	if (ioctl(fd, MNTS_NS_GET_MNTNS_ID, &id) < 0)
		die("mount namespace id: %m");
	return id;
}

/* pivot_root into the mount fd is the root of, and drop the old root. */
static inline void seed_enter_root(int fd)
{
	if (fchdir(fd) < 0 || mnts_sys_pivot_root(".", ".") < 0 || umount2(".", MNT_DETACH) < 0)
		die("pivot_root: %m");
}

/* The seed namespace (an nsfs fd); back in orig after.  nsdir: an O_PATH fd
 * of /proc/thread-self/ns, opened where /proc is.  With ret_root, an fd of
 * its tmpfs root is left there (to make mountpoints in it). */
static inline int seed_make(int orig, int nsdir, int *ret_root)
{
	int from = getenv("FLOOR_SEED_OURS") ? -1 : mnts_mnt_ns_smaller(orig);
	int ctx, root, fd;

	if (from >= 0 && setns(from, CLONE_NEWNS) < 0)
		die("setns into a smaller namespace to copy: %m");
	if (from >= 0)
		close(from);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		die("seed namespace: %m");
	ctx = mnts_sys_fsopen("tmpfs", FSOPEN_CLOEXEC);
	if (ctx < 0 || mnts_sys_fsconfig(ctx, MNTS_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0 ||
	    (root = mnts_sys_fsmount(ctx, FSMOUNT_CLOEXEC, 0)) < 0 ||
	    mnts_sys_move_mount(root, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		die("seed tmpfs: %m");
	close(ctx);
	seed_enter_root(root);
	fd = openat(nsdir, "mnt", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(orig, CLONE_NEWNS) < 0)
		die("seed namespace: %m");
	if (ret_root)
		*ret_root = root;
	else
		close(root);
	return fd;
}

/* A copy of seed, entered, with an id above min_id: a namespace can only pin
 * (hold an nsfs mount of) a younger one (mnt_ns_loop), and ids come in
 * per-CPU batches, so the other CPUs are tried (back in orig between). */
static inline int seed_copy(int seed, int orig, int nsdir, uint64_t min_id)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	for (long attempt = 0; attempt < 4 * ncpu + 4; attempt++) {
		cpu_set_t set;
		int fd;

		if (setns(seed, CLONE_NEWNS) < 0 || unshare(CLONE_NEWNS) < 0)
			die("new mount namespace: %m");
		fd = openat(nsdir, "mnt", O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("open the new namespace: %m");
		if (seed_ns_id(fd) > min_id)
			return fd;
		close(fd);
		if (setns(orig, CLONE_NEWNS) < 0)
			die("setns back: %m");
		CPU_ZERO(&set);
		CPU_SET((int)((attempt + 1) % ncpu), &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	die("no new mount namespace with an id above %llu", (unsigned long long)min_id);
	return -1;
}

/* replay_ns.c - mount and user namespaces for replay (see replay_ns.h) */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/replay/replay_ns.h"
#include "lib/replay/resolve.h"
#include "lib/kernel/fsctx.h"
#include "lib/kernel/nssmall.h"
#include "lib/kernel/syscalls.h"
#include "lib/kernel/userns.h"

int mnts_mnt_ns_id(int nsfd, uint64_t *ret_id)
{
	__u64 id = 0;

	if (ioctl(nsfd, MNTS_NS_GET_MNTNS_ID, &id) < 0)
		return -errno;
	*ret_id = id;
	return 0;
}

/* Makes the tree at tree_fd, attached somewhere in the current namespace,
 * its root, and detaches the old root with everything under it. */
static int pivot_into(int tree_fd, struct mnts_error *err)
{
	/* cwd onto the tree's root: fchdir to the tree fd is its root dentry */
	if (fchdir(tree_fd) < 0)
		return mnts_err(err, errno, "chdir into the tree");
	if (mnts_sys_pivot_root(".", ".") < 0)
		return mnts_err(err, errno, "pivot_root");
	/* the old root is now stacked on "."; detach it and all it holds */
	if (umount2(".", MNT_DETACH) < 0)
		return mnts_err(err, errno, "detach the old root");
	return 0;
}

/* Swaps the copy's mounts for one empty tmpfs: a copy of a 50,000-mount
 * namespace plus a 50,000-mount tree would not fit fs.mount-max (nor does
 * the seed plus a tree as large as a namespace holds: the tree's root goes in
 * without its last child's subtree, plan_steps.c). */
static int empty_namespace(struct mnts_error *err)
{
	_cleanup_close_ int tmpfs = mnts_tmpfs_detached();

	if (tmpfs < 0)
		return mnts_err(err, -tmpfs, "make the new namespace's tmpfs");
	if (mnts_sys_move_mount(tmpfs, "", AT_FDCWD, "/", MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return mnts_err(err, errno, "attach the new namespace's tmpfs");
	return pivot_into(tmpfs, err);
}

/* A new namespace, a copy of from_ns (the caller's, or a seed); back in
 * orig_ns after. */
static int create_once(int orig_ns, int from_ns, struct mnts_error *err)
{
	/* opened here: a seed has no /proc */
	_cleanup_close_ int nsdir = open("/proc/thread-self/ns", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd;

	if (nsdir < 0)
		return mnts_err(err, errno, "open '/proc/thread-self/ns'");
	if (from_ns != orig_ns && setns(from_ns, CLONE_NEWNS) < 0)
		return mnts_err(err, errno, "setns into the seed mount namespace");
	if (unshare(CLONE_NEWNS) < 0) {
		int saved = errno;
		setns(orig_ns, CLONE_NEWNS);
		return mnts_err(err, saved, "unshare mount namespace");
	}
	/* nothing made in the copy may reach the caller's peer groups */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		int saved = errno;
		setns(orig_ns, CLONE_NEWNS);
		return mnts_err(err, saved, "make '/' rprivate in the new namespace");
	}
	fd = openat(nsdir, "mnt", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int saved = errno;
		setns(orig_ns, CLONE_NEWNS);
		return mnts_err(err, saved, "open '/proc/thread-self/ns/mnt'");
	}
	if (setns(orig_ns, CLONE_NEWNS) < 0) {
		int saved = errno;
		close(fd);
		return mnts_err(err, saved, "setns back to the caller's mount namespace");
	}
	return fd;
}

/* The namespace the seed is copied from: the caller's, or a much smaller
 * one (nssmall.h).  The copy is emptied at once, so which one is copied
 * changes nothing but the cost: copying and then detaching a 50,000-mount
 * namespace was a fifth of a replay of 50,000 mounts, while a host's own
 * namespace usually holds a few dozen.  Returns an fd to close, or -1: the
 * caller's. */
static int smaller_source(int orig_ns)
{
	int fd = mnts_mnt_ns_smaller(orig_ns);

	/* setns() wants an fs_struct of our own (a thread shares it) */
	if (fd >= 0 && unshare(CLONE_FS) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A copy of from_ns, emptied (empty_namespace()); back in orig_ns after.
 * Returns: ns fd or -errno. */
static int seed_from(int orig_ns, int from_ns, struct mnts_error *err)
{
	int fd = create_once(orig_ns, from_ns, err), r;
	uint32_t n;

	if (fd < 0)
		return fd;
	if (setns(fd, CLONE_NEWNS) < 0)
		r = mnts_err(err, errno, "setns into the seed mount namespace");
	else if ((r = empty_namespace(err)) >= 0 && setns(orig_ns, CLONE_NEWNS) < 0)
		r = mnts_err(err, errno, "setns back to the caller's mount namespace");
	if (r < 0) {
		setns(orig_ns, CLONE_NEWNS);
		close(fd);
		return r;
	}
	n = mnts_mnt_ns_count(from_ns);
	mnts_debug(2, "seed namespace: a copy of %s (%u mount%s), emptied",
		   from_ns != orig_ns ? "a smaller namespace" : "ours", n, n == 1 ? "" : "s");
	return fd;
}

int mnts_ns_seed(int orig_ns, struct mnts_error *err)
{
	_cleanup_close_ int from = smaller_source(orig_ns);
	int fd = from >= 0 ? seed_from(orig_ns, from, err) : -1;

	/* whatever went wrong with the other one, ours is copied as before */
	if (fd < 0 && from >= 0)
		mnts_debug(2, "seed namespace: a copy of a smaller namespace: %s", err->msg);
	return fd >= 0 ? fd : seed_from(orig_ns, orig_ns, err);
}

int mnts_ns_create(int orig_ns, int seed_ns, uint64_t min_id, uint64_t *ret_id,
		   struct mnts_error *err)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	int cpu = sched_getcpu();

	if (ncpu < 1)
		ncpu = 1;
	for (long attempt = 0; attempt < 4 * ncpu + 4; attempt++) {
		cpu_set_t set;
		uint64_t id = 0;
		int fd;

		/* stay on one CPU: ids from one CPU's batches only grow */
		CPU_ZERO(&set);
		CPU_SET((int)((cpu + attempt) % ncpu), &set);
		sched_setaffinity(0, sizeof(set), &set);
		fd = create_once(orig_ns, seed_ns >= 0 ? seed_ns : orig_ns, err);
		if (fd < 0)
			return fd;
		if (mnts_mnt_ns_id(fd, &id) < 0 || id > min_id) {
			*ret_id = id;
			return fd;
		}
		mnts_debug(2, "new mount namespace id %llu not above %llu, retrying",
			   (unsigned long long)id, (unsigned long long)min_id);
		close(fd);
	}
	return mnts_err(err, EAGAIN,
			"new mount namespace: no id above %llu on any CPU (it could not be pinned)",
			(unsigned long long)min_id);
}

int mnts_ns_populate(int orig_ns, int ns_fd, int tree_fd, const char *root_dir,
		     struct mnts_error *err)
{
	_cleanup_close_ int at = -1, rootfd = -1;
	int r = 0;

	if (setns(ns_fd, CLONE_NEWNS) < 0)
		return mnts_err(err, errno, "setns into the new namespace");
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0) {
		r = mnts_err(err, errno, "open '/' in the new namespace");
		goto back;
	}
	if (root_dir) {
		at = mnts_open_in_root(rootfd, root_dir, O_DIRECTORY);
		if (at < 0) {
			r = mnts_root_dir_error(err, at, root_dir, "");
			goto back;
		}
		if (mnts_sys_move_mount(tree_fd, "", at, "",
					MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
			r = mnts_err(err, errno, "attach the tree at '%s'", root_dir);
		goto back;
	}
	/* onto the empty tmpfs the namespace was made with */
	if (mnts_sys_move_mount(tree_fd, "", rootfd, "",
				MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		r = mnts_err(err, errno, "attach the tree in the new namespace");
		goto back;
	}
	if (mnts_verbosity >= 2) {
		/* the most it ever holds, against fs.mount-max (tests) */
		struct mnts_mnt_ns_info info = {.size = MNTS_MNT_NS_INFO_SIZE_VER0};

		if (ioctl(ns_fd, MNTS_NS_MNT_GET_INFO, &info) == 0)
			mnts_debug(2, "new namespace: %u mounts with its seed, the most it holds",
				   info.nr_mounts);
	}
	r = pivot_into(tree_fd, err);
back:
	if (setns(orig_ns, CLONE_NEWNS) < 0 && r == 0)
		r = mnts_err(err, errno, "setns back to the caller's mount namespace");
	return r;
}

static int write_map(pid_t pid, const char *file, const struct mnts_strv *map,
		     struct mnts_error *err)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (fd < 0)
		return mnts_err(err, errno, "open '%s'", path);
	for (size_t i = 0; i < map->n; i++)
		len += strlen(map->v[i]) + 1;
	text = xcalloc(len + 1, 1);
	for (size_t i = 0; i < map->n; i++) {
		strcat(text, map->v[i]);
		strcat(text, "\n");
	}
	if (len && write(fd, text, len) != (ssize_t)len)
		return mnts_err(err, errno, "write '%s'", path);
	return 0;
}

int mnts_userns_from_maps(const struct mnts_strv *uid_map, const struct mnts_strv *gid_map,
			  struct mnts_error *err)
{
	int ready[2], hold[2], fd = -1, r = 0;
	_cleanup_free_ char *path = NULL;
	pid_t pid;
	char c;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return mnts_err(err, errno, "pipe");
	if (pipe2(hold, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return mnts_err(err, errno, "pipe");
	}
	pid = fork();
	if (pid < 0) {
		r = mnts_err(err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		close(ready[0]);
		close(hold[1]);
		c = unshare(CLONE_NEWUSER) < 0 ? 'e' : 'k';
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		/* live until the parent has the namespace */
		(void)!read(hold[0], &c, 1);
		_exit(0);
	}
	close(ready[1]);
	ready[1] = -1;
	close(hold[0]);
	hold[0] = -1;
	if (read(ready[0], &c, 1) != 1 || c != 'k') {
		r = mnts_err(err, EPERM, "unshare user namespace for an idmapped mount");
		goto reap;
	}
	if ((r = write_map(pid, "uid_map", uid_map, err)) < 0 ||
	    (r = write_map(pid, "gid_map", gid_map, err)) < 0)
		goto reap;
	path = xasprintf("/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		r = mnts_err(err, errno, "open '%s'", path);
reap:
	close(hold[1]);
	hold[1] = -1;
	waitpid(pid, NULL, 0);
out:
	if (ready[0] >= 0)
		close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	if (hold[0] >= 0)
		close(hold[0]);
	if (hold[1] >= 0)
		close(hold[1]);
	return r < 0 ? r : fd;
}

int mnts_fd_shared_mount(int fd, uint64_t *ret_group, char **ret_mountpoint)
{
	struct statx stx;
	struct {
		struct mnts_statmount sm;
		char buf[4096];
	} b;
	uint64_t mask = STATMOUNT_MNT_BASIC | (ret_mountpoint ? STATMOUNT_MNT_POINT : 0);

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID_UNIQUE, &stx) < 0)
		return -errno;
	if (mnts_sys_statmount(stx.stx_mnt_id, 0, mask, &b.sm, sizeof(b)) < 0)
		return -errno;
	if (!(b.sm.mnt_propagation & MS_SHARED))
		return 0;
	if (ret_group)
		*ret_group = b.sm.mnt_peer_group;
	if (ret_mountpoint)
		*ret_mountpoint =
		    xstrdup((b.sm.mask & STATMOUNT_MNT_POINT) ? b.sm.str + b.sm.mnt_point : "?");
	return 1;
}

int mnts_userns_for(const struct mnts_ns *ns, bool *ret_created, struct mnts_error *err)
{
	int fd = -1;

	if (ns->owner_userns_ino) {
		fd = mnts_userns_open_live(ns->owner_userns_ino);
		if (fd >= 0) {
			struct mnts_strv uid = {0}, gid = {0};
			struct mnts_error ignored;
			/* an inode is reused once its namespace is gone: the
			 * maps tell another host's (or a later) one apart */
			bool same = mnts_userns_read_maps(fd, &uid, &gid, &ignored) == 0 &&
				    mnts_strv_equal(&uid, &ns->owner.uid_map) &&
				    mnts_strv_equal(&gid, &ns->owner.gid_map);

			mnts_strv_clear(&uid);
			mnts_strv_clear(&gid);
			if (same) {
				*ret_created = false;
				return fd;
			}
			close(fd);
		}
	}
	fd = mnts_userns_from_maps(&ns->owner.uid_map, &ns->owner.gid_map, err);
	if (fd < 0)
		return fd;
	*ret_created = true;
	return fd;
}

int mnts_ns_copy_owned(int ns_fd, int userns_fd, struct mnts_error *err)
{
	int ready[2] = {-1, -1}, hold[2] = {-1, -1}, fd = -1, r = 0;
	char path[64], c = 0;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return mnts_err(err, errno, "pipe");
	if (pipe2(hold, O_CLOEXEC) < 0) {
		r = mnts_err(err, errno, "pipe");
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		r = mnts_err(err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		/* the mount namespace first, while we are root of the initial
		 * user namespace; then the owner: unshare copies the tree */
		close(hold[1]);
		if (setns(ns_fd, CLONE_NEWNS) < 0)
			c = 'm';
		else if (setns(userns_fd, CLONE_NEWUSER) < 0)
			c = 'u';
		else if (unshare(CLONE_NEWNS) < 0)
			c = 'c';
		if (c)
			c = (char)errno, (void)!write(ready[1], "e", 1),
			(void)!write(ready[1], &c, 1);
		else if (write(ready[1], "k", 1) != 1)
			_exit(1);
		(void)!read(hold[0], &c, 1);
		_exit(0);
	}
	close(TAKE_FD(ready[1]));
	close(TAKE_FD(hold[0]));
	if (read(ready[0], &c, 1) != 1) {
		r = mnts_err(err, EIO, "copy the namespace into its owning user namespace");
	} else if (c != 'k') {
		if (read(ready[0], &c, 1) != 1)
			c = EIO;
		r = mnts_err(err, c, "copy the namespace into its owning user namespace");
	} else {
		snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = mnts_err(err, errno, "open '%s'", path);
	}
	close(TAKE_FD(hold[1]));
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
out:
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
		if (hold[i] >= 0)
			close(hold[i]);
	}
	return r < 0 ? r : fd;
}

/* Kernel 6.18, probed (in a private namespace: copies into a user
 * namespace U, umount2 with an O_PATH fd held: EINVAL locked, EBUSY not):
 * copy_mnt_ns into U locks every copied mount; a copy by U again keeps
 * each lock and adds none; open_tree(OPEN_TREE_CLONE) drops the lock of
 * the clone's root, and with AT_RECURSIVE keeps it on every mount below
 * (made by root of U or of the initial user namespace alike), without it
 * refuses a mount with locked children (EINVAL); the clone keeps its locks
 * when it is attached in another namespace owned by U and when moved
 * there; the root keeps its MNT_LOCK_* flag locks (nosuid could not be
 * cleared); mounts that propagate into a slave in U's namespace are not
 * locked.  So the one way to a locked mount below an unlocked one is a
 * recursive clone of a tree copied into the owner. */
int mnts_tree_lock_below(int orig_ns, int seed_ns, int userns_fd, int tree_fd,
			 struct mnts_error *err)
{
	_cleanup_close_ int carrier = -1, copy = -1, root = -1;
	int fd = -1, r = 0;

	/* a namespace of one empty tmpfs, the tree on its root */
	carrier = create_once(orig_ns, seed_ns, err);
	if (carrier < 0)
		return carrier;
	if (setns(carrier, CLONE_NEWNS) < 0)
		return mnts_err(err, errno, "setns into the carrier namespace");
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		r = mnts_err(err, errno, "open '/' in the carrier namespace");
	else if (mnts_sys_move_mount(tree_fd, "", root, "",
				     MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		r = mnts_err(err, errno, "attach the tree in the carrier namespace");
	if (setns(orig_ns, CLONE_NEWNS) < 0 && r == 0)
		r = mnts_err(err, errno, "setns back to the caller's mount namespace");
	if (r < 0)
		return r;
	copy = mnts_ns_copy_owned(carrier, userns_fd, err);
	if (copy < 0)
		return copy;
	/* setns puts the root on the topmost mount there: the tree's copy */
	if (setns(copy, CLONE_NEWNS) < 0)
		return mnts_err(err, errno, "setns into the carrier's copy");
	close(root);
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		r = mnts_err(err, errno, "open '/' in the carrier's copy");
	else if ((fd = mnts_sys_open_tree(root, "",
					  OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE |
					      AT_EMPTY_PATH)) < 0)
		r = mnts_err(err, errno, "open_tree the tree in the carrier's copy");
	if (setns(orig_ns, CLONE_NEWNS) < 0 && r == 0) {
		close(fd);
		r = mnts_err(err, errno, "setns back to the caller's mount namespace");
	}
	return r < 0 ? r : fd;
}

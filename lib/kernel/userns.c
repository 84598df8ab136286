/* userns.c - see userns.h */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/core/readfile.h"
#include "lib/kernel/syscalls.h"
#include "lib/kernel/userns.h"

int mnts_userns_owner_fd(int nsfd)
{
	int fd = ioctl(nsfd, NS_GET_USERNS);

	if (fd < 0)
		return -errno;
	/* the kernel's nsfs fds are O_CLOEXEC already; make sure */
	(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int mnts_userns_ino(int userns_fd, uint64_t *ret_ino)
{
	struct stat st;

	if (fstat(userns_fd, &st) < 0)
		return -errno;
	*ret_ino = st.st_ino;
	return 0;
}

bool mnts_userns_self_initial(void)
{
	struct stat st;

	return stat("/proc/self/ns/user", &st) == 0 && st.st_ino == MNTS_INIT_USERNS_INO;
}

/* /proc/PID/FILE's lines, their fields joined by single spaces (the kernel
 * pads them to columns). */
static int read_map(const char *pid, const char *file, struct mnts_strv *out,
		    struct mnts_error *err)
{
	char path[64];
	_cleanup_fclose_ FILE *f = NULL;
	char line[256];

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, file);
	f = fopen(path, "re");
	if (!f)
		return mnts_err(err, errno, "open '%s'", path);
	while (fgets(line, sizeof(line), f)) {
		unsigned long long in, outside, count;

		if (sscanf(line, "%llu %llu %llu", &in, &outside, &count) != 3)
			return mnts_err(err, EINVAL, "read '%s': unexpected line", path);
		mnts_strv_push_take(out, xasprintf("%llu %llu %llu", in, outside, count));
	}
	if (ferror(f))
		return mnts_err(err, EIO, "read '%s'", path);
	return 0;
}

int mnts_userns_read_maps(int userns_fd, struct mnts_strv *uid_map, struct mnts_strv *gid_map,
			  struct mnts_error *err)
{
	struct stat self, st;
	int ready[2] = {-1, -1}, hold[2] = {-1, -1}, r;
	char pid_s[24], c = 0;
	pid_t pid;

	if (fstat(userns_fd, &st) < 0)
		return mnts_err(err, errno, "fstat user namespace");
	if (stat("/proc/self/ns/user", &self) == 0 && self.st_ino == st.st_ino &&
	    self.st_dev == st.st_dev) {
		r = read_map("self", "uid_map", uid_map, err);
		return r < 0 ? r : read_map("self", "gid_map", gid_map, err);
	}
	if (pipe2(ready, O_CLOEXEC) < 0)
		return mnts_err(err, errno, "pipe");
	if (pipe2(hold, O_CLOEXEC) < 0) {
		r = mnts_err(err, errno, "pipe");
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		r = mnts_err(err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		/* one thread and a fresh fs_struct: setns into a user namespace
		 * is allowed; the caller reads our maps from outside */
		close(hold[1]);
		c = mnts_sys_setns(userns_fd, CLONE_NEWUSER) < 0 ? (char)errno : 0;
		if (write(ready[1], &c, 1) != 1)
			_exit(1);
		(void)!read(hold[0], &c, 1);
		_exit(0);
	}
	close(TAKE_FD(ready[1]));
	close(TAKE_FD(hold[0]));
	if (read(ready[0], &c, 1) != 1)
		r = mnts_err(err, EIO, "enter the owning user namespace");
	else if (c != 0)
		r = mnts_err(err, c, "enter the owning user namespace");
	else {
		snprintf(pid_s, sizeof(pid_s), "%d", (int)pid);
		r = read_map(pid_s, "uid_map", uid_map, err);
		if (r >= 0)
			r = read_map(pid_s, "gid_map", gid_map, err);
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
	return r < 0 ? r : 0;
}

int mnts_userns_open_live(uint64_t ino)
{
	_cleanup_closedir_ DIR *d = opendir("/proc");
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		char path[300];
		struct stat st;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/ns/user", de->d_name);
		if (stat(path, &st) == 0 && st.st_ino == ino) {
			int fd = open(path, O_RDONLY | O_CLOEXEC);

			if (fd >= 0)
				return fd;
		}
	}
	return -ENOENT;
}

/* The copy's mount at fd is the snapshot's m: same superblock and root (a
 * mount covered by another one is not reachable by its path). */
static bool same_mount(int fd, const struct mnts_mount *m)
{
	struct statx stx;
	struct {
		struct mnts_statmount sm;
		char buf[2 * PATH_MAX + 64];
	} b;
	const char *root;
	size_t len = strlen(m->root);

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID_UNIQUE, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID_UNIQUE))
		return false;
	if (stx.stx_dev_major != m->dev_major || stx.stx_dev_minor != m->dev_minor)
		return false;
	if (mnts_sys_statmount(stx.stx_mnt_id, 0, STATMOUNT_MNT_ROOT, &b.sm, sizeof(b)) < 0 ||
	    !(b.sm.mask & STATMOUNT_MNT_ROOT))
		return true; /* no statmount: the device has to do */
	root = b.sm.str + b.sm.mnt_root;
	return !strncmp(root, m->root, len) && (!root[len] || !strcmp(root + len, "//deleted"));
}

/* Whether fd is the caller's own namespace of that kind ("mnt", "user"). */
static bool same_ns(int fd, const char *kind)
{
	char path[32];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/self/ns/%s", kind);
	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

/* In the child: 'L' (locked) or 'u' (not) per mount of ns, in order. */
static int probe_child(const struct mnts_ns *ns, int out)
{
	char buf[4096];
	size_t n = 0;

	/* the copy must not propagate anything back to the namespace */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		int e = errno;

		(void)!write(out, "p", 1);
		return -e;
	}
	for (size_t i = 0; i < ns->n_mounts; i++) {
		const struct mnts_mount *m = &ns->mounts[i];
		int fd = -1;
		char c = 'L';

		/* the root: not unmountable alone whatever its lock (and
		 * umount2 of one's own root remounts it read-only); a mount
		 * the path does not reach: as the kernel's copy would have it */
		if (m->parent_id && m->nsfs_type == NULL &&
		    (fd = open(m->mountpoint, O_PATH | O_NOFOLLOW | O_CLOEXEC)) >= 0 &&
		    same_mount(fd, m)) {
			/* by its path (the namespace may have no /proc): the
			 * fd holds the mount, so an unlocked one is busy
			 * (EBUSY) and stays; a locked one is refused first
			 * (EINVAL) */
			if (umount2(m->mountpoint, UMOUNT_NOFOLLOW) == 0 || errno == EBUSY)
				c = 'u';
		}
		if (fd >= 0)
			close(fd);
		buf[n++] = c;
		if (n == sizeof(buf) || i + 1 == ns->n_mounts) {
			if (write(out, buf, n) != (ssize_t)n)
				return -EIO;
			n = 0;
		}
	}
	return 0;
}

int mnts_userns_probe_locked(int nsfd, int userns_fd, struct mnts_ns *ns, struct mnts_error *err)
{
	int p[2], r = 0;
	_cleanup_free_ char *res = xmalloc(ns->n_mounts + 1);
	size_t got = 0;
	pid_t pid;
	int status;

	if (pipe2(p, O_CLOEXEC) < 0)
		return mnts_err(err, errno, "pipe");
	pid = fork();
	if (pid < 0) {
		r = mnts_err(err, errno, "fork");
		close(p[0]);
		close(p[1]);
		return r;
	}
	if (pid == 0) {
		/* the namespace, then its owner (root of the initial user
		 * namespace may enter both; setns refuses one's own user
		 * namespace): a copy by the same owner keeps every lock, and
		 * is ours to try umount in */
		char stage = 'm';

		close(p[0]);
		if ((same_ns(nsfd, "mnt") || setns(nsfd, CLONE_NEWNS) == 0) &&
		    (stage = 'u', same_ns(userns_fd, "user") || setns(userns_fd, CLONE_NEWUSER) == 0) &&
		    (stage = 'c', unshare(CLONE_NEWNS) == 0)) {
			r = probe_child(ns, p[1]);
			_exit(r < 0 ? -r & 0xff : 0);
		}
		r = errno;
		(void)!write(p[1], &stage, 1);
		_exit(r & 0xff);
	}
	close(p[1]);
	while (got < ns->n_mounts) {
		ssize_t k = read(p[0], res + got, ns->n_mounts - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) || got != ns->n_mounts) {
		static const char *const stages[] = {
		    ['m'] = "enter the namespace", ['u'] = "enter its owning user namespace",
		    ['c'] = "copy the namespace", ['p'] = "make the copy private"};
		unsigned char st = got == 1 ? (unsigned char)res[0] : 0;

		return mnts_err(err,
				WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : EIO,
				"%s", st < ARRAY_SIZE(stages) && stages[st] ? stages[st] : "probe");
	}
	for (size_t i = 0; i < ns->n_mounts; i++)
		ns->mounts[i].locked = res[i] == 'L';
	ns->owner.locked_known = true;
	return 0;
}

/* userns.c - see userns.h */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
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

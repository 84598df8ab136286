/* nschild.c - see nschild.h */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/kernel/nschild.h"
#include "lib/kernel/syscalls.h"

int mnts_ns_child_collect(int nsfd, int (*fn)(int out_fd, void *data), void *data,
			  const char *what, char **ret, size_t *ret_len, struct mnts_error *err)
{
	_cleanup_close_ int memfd = memfd_create("mntsnap-nschild", MFD_CLOEXEC);
	_cleanup_free_ char *buf = NULL;
	struct stat st;
	int status;
	pid_t pid;

	if (memfd < 0)
		return mnts_err(err, errno, "memfd_create");
	fflush(NULL); /* or the child's exit would write our buffers twice */
	pid = fork();
	if (pid < 0)
		return mnts_err(err, errno, "fork");
	if (pid == 0) {
		/* a fresh fs_struct (fork) and one thread: setns may change our root */
		if (mnts_sys_setns(nsfd, CLONE_NEWNS) < 0)
			_exit(errno & 0xff);
		_exit(fn(memfd, data) & 0xff);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return mnts_err(err, errno, "waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return mnts_err(err, WIFEXITED(status) ? WEXITSTATUS(status) : EIO,
				"%s from inside the namespace", what);
	if (fstat(memfd, &st) < 0)
		return mnts_err(err, errno, "fstat");
	buf = xmalloc((size_t)st.st_size + 1);
	if (pread(memfd, buf, (size_t)st.st_size, 0) != st.st_size)
		return mnts_err(err, EIO, "%s from inside the namespace: short read", what);
	buf[st.st_size] = '\0';
	*ret_len = (size_t)st.st_size;
	*ret = TAKE_PTR(buf);
	return 0;
}

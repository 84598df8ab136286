/* atomicfile.c - see atomicfile.h */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/atomicfile.h"

/* Runs emit on fd (taken) through a big buffer: the default one costs a
 * write(2) every 4 KiB.  A file is fsync'ed and made 0644 (mkostemp gives
 * 0600).  Returns: 0; emit's error (err filled); or -errno of the write,
 * err not filled: the caller names the target. */
static int emit_to_fd(int fd, bool is_file,
		      int (*emit)(FILE *f, void *data, struct mnts_error *err), void *data,
		      struct mnts_error *err, bool *emit_failed)
{
	FILE *f = fdopen(fd, "w");
	int r;

	*emit_failed = false;
	if (!f) {
		r = -errno;
		close(fd);
		return r;
	}
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	r = emit(f, data, err);
	if (r < 0) {
		*emit_failed = true;
		fclose(f);
		return r;
	}
	errno = 0;
	if (fflush(f) != 0 || ferror(f) ||
	    (is_file && (fsync(fileno(f)) < 0 || fchmod(fileno(f), 0644) < 0)))
		r = errno ? -errno : -EIO;
	if (fclose(f) != 0 && r == 0)
		r = errno ? -errno : -EIO;
	return r;
}

int mnts_write_atomic(const char *path, int (*emit)(FILE *f, void *data, struct mnts_error *err),
		      void *data, struct mnts_error *err)
{
	_cleanup_free_ char *tmp = NULL;
	bool emit_failed;
	struct stat st;
	int fd, r;

	if (!path || streq(path, "-")) {
		r = emit(stdout, data, err);
		if (r < 0)
			return r;
		if (fflush(stdout) != 0 || ferror(stdout))
			return mnts_err(err, errno, "write failure on standard output");
		return 0;
	}
	/* A device, FIFO or socket (-o /dev/null, /dev/stdout) is written
	 * through: a rename over it would replace the node with a regular file,
	 * and /dev is the host's even in a private mount namespace. */
	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
		if (fd < 0)
			return mnts_err(err, errno, "cannot write '%s'", path);
		r = emit_to_fd(fd, false, emit, data, err, &emit_failed);
		if (r < 0 && !emit_failed)
			return mnts_err(err, -r, "cannot write '%s'", path);
		return r;
	}

	tmp = xasprintf("%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return mnts_err(err, errno, "cannot write '%s'", path);
	r = emit_to_fd(fd, true, emit, data, err, &emit_failed);
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return emit_failed ? r : mnts_err(err, -r, "cannot write '%s'", path);
	}
	return 0;
}

/* atomicfile.c - see atomicfile.h */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/atomicfile.h"

int mnts_write_atomic(const char *path, int (*emit)(FILE *f, void *data, struct mnts_error *err),
		      void *data, struct mnts_error *err)
{
	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	FILE *f;
	int r;

	if (!path || streq(path, "-")) {
		r = emit(stdout, data, err);
		if (r < 0)
			return r;
		if (fflush(stdout) != 0 || ferror(stdout))
			return mnts_err(err, errno, "write failure on standard output");
		return 0;
	}

	tmp = xasprintf("%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return mnts_err(err, errno, "cannot write '%s'", path);
	f = fdopen(fd, "w");
	if (!f) {
		r = mnts_err(err, errno, "cannot write '%s'", path);
		unlink(tmp);
		return r;
	}
	fd = -1; /* now owned by f */
	/* a big buffer: the default one costs a write(2) every 4 KiB */
	setvbuf(f, NULL, _IOFBF, 1 << 20);
	r = emit(f, data, err);
	if (r < 0) {
		fclose(f);
		unlink(tmp);
		return r;
	}
	errno = 0;
	if (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) < 0 || fchmod(fileno(f), 0644) < 0)
		r = errno ? -errno : -EIO;
	if (fclose(f) != 0 && r == 0)
		r = errno ? -errno : -EIO;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return mnts_err(err, -r, "cannot write '%s'", path);
	}
	return 0;
}

/* atomicfile.c - see atomicfile.h */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

/* Temporary names are ".BASE.mntsnap-tmp-PID-N" in the target's directory
 * (BASE cut to fit NAME_MAX): a run killed between creating and renaming
 * one leaves it, and the next run into that directory removes every such
 * file whose process is gone.  With O_TMPFILE the data is written to an
 * unnamed file, so only an existing target needs a name, for the rename,
 * and only for an instant. */
#define TMP_TAG ".mntsnap-tmp-"

struct target {
	int dirfd;
	const char *base;
	char prefix[NAME_MAX + 1]; /* ".BASE.mntsnap-tmp-" */
};

static void sweep_stale(const struct target *t)
{
	_cleanup_closedir_ DIR *d = NULL;
	size_t plen = strlen(t->prefix);
	struct dirent *de;
	int fd = openat(t->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((de = readdir(d))) {
		char *end;
		long pid;

		if (strncmp(de->d_name, t->prefix, plen) != 0)
			continue;
		errno = 0;
		pid = strtol(de->d_name + plen, &end, 10);
		if (errno || pid <= 0 || *end != '-')
			continue;
		/* EPERM: alive, someone else's */
		if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			unlinkat(t->dirfd, de->d_name, 0);
	}
}

/* Runs fn(t, name) on fresh temporary names until it does not say EEXIST.
 * Returns: 0 with name filled, or fn's -errno. */
static int with_tmp_name(const struct target *t,
			 int (*fn)(const struct target *t, const char *name, void *data),
			 void *data, char name[static NAME_MAX + 1])
{
	int r = -EEXIST;

	for (unsigned n = 0; n < 1000 && r == -EEXIST; n++) {
		snprintf(name, NAME_MAX + 1, "%s%d-%u", t->prefix, (int)getpid(), n);
		r = fn(t, name, data);
	}
	return r;
}

static int create_named(const struct target *t, const char *name, void *data)
{
	int fd = openat(t->dirfd, name, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return -errno;
	*(int *)data = fd;
	return 0;
}

/* Gives the unnamed file fd the name name in t's directory: by the fd
 * itself (needs CAP_DAC_READ_SEARCH), else through /proc. */
static int link_tmpfile(const struct target *t, const char *name, void *data)
{
	int fd = *(int *)data;
	char proc[64];

	if (linkat(fd, "", t->dirfd, name, AT_EMPTY_PATH) == 0)
		return 0;
	if (errno == EEXIST)
		return -EEXIST;
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return linkat(AT_FDCWD, proc, t->dirfd, name, AT_SYMLINK_FOLLOW) == 0 ? 0 : -errno;
}

/* The content, written and synced in an unnamed file (or a named one when
 * the filesystem has no O_TMPFILE), then given the target's name at once.
 * Returns: 0, emit's error (*emit_failed), or -errno. */
static int write_replace(const struct target *t,
			 int (*emit)(FILE *f, void *data, struct mnts_error *err), void *data,
			 struct mnts_error *err, bool *emit_failed)
{
	char tmp[NAME_MAX + 1] = "";
	_cleanup_close_ int keep = -1;
	int fd, r;

	fd = openat(t->dirfd, ".", O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
	if (fd >= 0) {
		keep = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (keep < 0) {
			r = -errno;
			close(fd);
			return r;
		}
	} else if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL) {
		r = with_tmp_name(t, create_named, &fd, tmp);
		if (r < 0)
			return r;
	} else {
		return -errno;
	}
	r = emit_to_fd(fd, true, emit, data, err, emit_failed);
	if (r == 0 && keep >= 0) {
		/* a new target: its name right away, atomically */
		r = link_tmpfile(t, t->base, &keep);
		if (r == -EEXIST)
			r = with_tmp_name(t, link_tmpfile, &keep, tmp);
		if (r == 0 && !*tmp)
			return 0;
	}
	if (r == 0 && renameat(t->dirfd, tmp, t->dirfd, t->base) < 0)
		r = -errno;
	if (r < 0 && *tmp)
		unlinkat(t->dirfd, tmp, 0);
	return r;
}

int mnts_write_atomic(const char *path, int (*emit)(FILE *f, void *data, struct mnts_error *err),
		      void *data, struct mnts_error *err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int dirfd = -1;
	struct target t;
	bool emit_failed = false;
	struct stat st;
	const char *slash;
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

	slash = strrchr(path, '/');
	dir = slash ? xstrndup(path, (size_t)(slash - path) + 1) : xstrdup(".");
	t.base = slash ? slash + 1 : path;
	if (!*t.base)
		return mnts_err(err, EISDIR, "cannot write '%s'", path);
	dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return mnts_err(err, errno, "cannot write '%s'", path);
	t.dirfd = dirfd;
	/* room for "-PID-N" after the prefix */
	snprintf(t.prefix, sizeof(t.prefix), ".%.*s" TMP_TAG,
		 (int)(NAME_MAX - 1 - strlen(TMP_TAG) - 24), t.base);
	sweep_stale(&t);
	r = write_replace(&t, emit, data, err, &emit_failed);
	if (r < 0)
		return emit_failed ? r : mnts_err(err, -r, "cannot write '%s'", path);
	return 0;
}

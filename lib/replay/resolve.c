/* resolve.c - openat2-based path resolution (see resolve.h) */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/replay/resolve.h"
#include "lib/kernel/syscalls.h"

static int openat2_beneath(int dirfd, const char *rel, int flags, mode_t mode)
{
	struct mnts_open_how how = {
	    .flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
	    .mode = (flags & O_CREAT) ? mode : 0,
	    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = mnts_sys_openat2(dirfd, *rel ? rel : ".", &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

int mnts_open_beneath(int dirfd, const char *rel)
{
	return openat2_beneath(dirfd, rel, O_PATH, 0);
}

int mnts_open_beneath_flags(int dirfd, const char *rel, int flags)
{
	return openat2_beneath(dirfd, rel, flags, 0);
}

bool mnts_plain_name(const char *name)
{
	return *name && !streq(name, ".") && !streq(name, "..") && !strchr(name, '/');
}

int mnts_create_beneath(int dirfd, const char *name, mode_t mode)
{
	return openat2_beneath(dirfd, name, O_CREAT | O_EXCL | O_WRONLY, mode);
}

int mnts_mkpath_beneath(int dirfd, const char *rel, bool last_is_file, int *ret_created_from)
{
	_cleanup_free_ char *copy = xstrdup(rel);
	_cleanup_close_ int cur = -1;
	char *p = copy;
	int created_from = -1;

	cur = openat2_beneath(dirfd, "", O_PATH | O_DIRECTORY, 0);
	if (cur < 0)
		return cur;
	while (*p) {
		char *slash = strchr(p, '/');
		bool last = !slash;
		int next;

		if (slash)
			*slash = '\0';
		next = openat2_beneath(cur, p, O_PATH, 0);
		if (next == -ENOENT) {
			if (last && last_is_file) {
				next = openat2_beneath(cur, p, O_CREAT | O_EXCL | O_WRONLY, 0644);
			} else {
				/* mkdirat needs a real dir fd path; cur is O_PATH, which
				 * mkdirat accepts as a dirfd */
				if (mkdirat(cur, p, 0755) < 0 && errno != EEXIST)
					return -errno;
				next = openat2_beneath(cur, p, O_PATH, 0);
			}
			if (created_from < 0)
				created_from = (int)(p - copy);
		}
		if (next < 0)
			return next;
		closep(&cur);
		cur = next;
		if (last)
			break;
		p = slash + 1;
	}
	if (ret_created_from)
		*ret_created_from = created_from;
	return 0;
}

int mnts_open_in_root(int rootfd, const char *path, int extra_flags)
{
	struct mnts_open_how how = {
	    .flags = (uint64_t)(O_PATH | O_CLOEXEC | extra_flags),
	    /* no symlink at all, even one that stays inside: a symlink the
	     * target's owner can swap in (or rename over a directory, racing
	     * us) would choose where the tree goes; ELOOP says so */
	    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = mnts_sys_openat2(rootfd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

int mnts_root_dir_error(struct mnts_error *err, int r, const char *root_dir, const char *where)
{
	if (r == -ELOOP)
		return mnts_err(err, 0,
				"--root '%s'%s: a component is a symbolic link (not followed: "
				"give the path without symlinks)",
				root_dir, where);
	return mnts_err(err, -r, "--root '%s'%s", root_dir, where);
}

/* sbsource.c - superblock sources: create, clone (see sbsource.h) */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "lib/kernel/statmount.h"
#include "lib/kernel/syscalls.h"
#include "lib/kernel/userns.h"
#include "lib/replay/fsopts.h"
#include "lib/replay/resolve.h"
#include "lib/replay/sbsource.h"

int mnts_fd_mount_id(int fd, uint64_t *ret_id)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0)
		return -errno;
	if (!(stx.stx_mask & STATX_MNT_ID))
		return -EOPNOTSUPP;
	*ret_id = stx.stx_mnt_id;
	return 0;
}

char *mnts_mount_source_at(int dirfd, const char *path)
{
	size_t size = 4096;
	_cleanup_free_ struct mnts_statmount *sm = NULL;
	struct statx stx;

	if (!mnts_statmount_supported())
		return NULL;
	if (statx(dirfd, path, AT_SYMLINK_NOFOLLOW | (*path ? 0 : AT_EMPTY_PATH),
		  STATX_MNT_ID_UNIQUE, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID_UNIQUE))
		return NULL;
	for (;;) {
		sm = xmalloc(size);
		if (mnts_sys_statmount(stx.stx_mnt_id, 0, STATMOUNT_SB_SOURCE, sm, size) == 0)
			break;
		if (errno != EOVERFLOW || size >= (1U << 20))
			return NULL;
		free(TAKE_PTR(sm));
		size *= 2;
	}
	/* the kernel drops the bit of an empty string: the source "" */
	return xstrdup((sm->mask & STATMOUNT_SB_SOURCE) ? sm->str + sm->sb_source : "");
}

/* The directory of layer l, opened here: below its NEW without following
 * a symlink out of it, when mapped.  Returns: fd or -errno. */
static int open_layer(const struct mnts_layer *l, struct mnts_error *err)
{
	_cleanup_close_ int base = -1;
	int fd;

	if (l->rule < 0) {
		fd = open(l->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return mnts_err(err, errno, "overlay layer %s '%s'", l->key, l->path);
		return fd;
	}
	base = open(l->new_base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (base < 0)
		return mnts_err(err, errno, "overlay layer %s: '%s'", l->key, l->new_base);
	fd = mnts_open_beneath_flags(base, l->rel, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		return mnts_err(err, -fd, "overlay layer %s: '%s' beneath '%s'%s", l->key, l->rel,
				l->new_base,
				fd == -ELOOP || fd == -EXDEV ? " (a symlink on the way)" : "");
	return fd;
}

/* Each layer by fd (lowerdir+, datadir+, upperdir, workdir: Linux 6.13):
 * no path is parsed or escaped, and what was opened is what is used. */
static int set_layers(int fsfd, const struct mnts_layers *layers, struct mnts_error *err)
{
	for (size_t i = 0; i < layers->n; i++) {
		_cleanup_close_ int fd = open_layer(&layers->v[i], err);

		if (fd < 0)
			return fd;
		if (mnts_sys_fsconfig(fsfd, MNTS_FSCONFIG_SET_FD, layers->v[i].key, NULL, fd) < 0) {
			int saved = errno;
			char log[256];

			mnts_fsctx_message(fsfd, log, sizeof(log));
			return mnts_err(err, saved, "overlay layer %s '%s'%s%s", layers->v[i].key,
					layers->v[i].path, *log ? ": kernel says " : "", log);
		}
	}
	return 0;
}

static int create_once(const char *fstype, const char *source, const struct mnts_strv *opts,
		       const struct mnts_layers *layers, unsigned int cmd, struct mnts_error *err)
{
	_cleanup_close_ int fsfd = mnts_sys_fsopen(fstype, FSOPEN_CLOEXEC);
	int r;

	if (fsfd < 0)
		return mnts_err(err, errno, "fsopen '%s'", fstype);
	/* "none" is what the kernel shows without one; "" is kept: it shows
	 * as an empty field */
	if (source && !streq(source, "none") &&
	    mnts_sys_fsconfig(fsfd, MNTS_FSCONFIG_SET_STRING, "source", source, 0) < 0)
		return mnts_err(err, errno, "fsconfig source '%s'", source);
	if (layers) {
		r = set_layers(fsfd, layers, err);
		if (r < 0)
			return r;
	}
	if (opts) {
		r = mnts_fsopts_apply(fsfd, opts, err);
		if (r < 0)
			return r;
	}
	if (mnts_sys_fsconfig(fsfd, cmd, NULL, NULL, 0) < 0) {
		int saved = errno;
		char log[256];

		mnts_fsctx_message(fsfd, log, sizeof(log));
		if (saved == EBUSY && cmd == MNTS_FSCONFIG_CMD_CREATE_EXCL)
			return -EBUSY; /* an existing superblock: the caller decides */
		return mnts_err(err, saved, "create '%s' superblock%s%s", fstype,
				*log ? ": kernel says " : "", log);
	}
	r = mnts_sys_fsmount(fsfd, FSMOUNT_CLOEXEC, 0);
	if (r < 0)
		return mnts_err(err, errno, "fsmount '%s'", fstype);
	return r;
}

int mnts_sb_create(const char *fstype, const char *source, const struct mnts_strv *super_options,
		   bool options, const struct mnts_layers *layers, struct mnts_error *err)
{
	int fd = create_once(fstype, source,
			     layers ? &layers->other : options ? super_options : NULL, layers,
			     MNTS_FSCONFIG_CMD_CREATE_EXCL, err);

	/* The kernel would hand back a superblock it already has: a shared
	 * one (features.c should have said so).  A second, plain create is
	 * what rewrote the cgroup2 root flags: never retry without EXCL. */
	if (fd == -EBUSY)
		return mnts_err(err, EBUSY,
				"create '%s' superblock: the kernel would reuse an existing one, "
				"and replay never touches a shared superblock (give a source "
				"with --external)",
				fstype);
	return fd;
}

int mnts_sb_clone(int dirfd, const char *path, bool check, uint32_t dev_major, uint32_t dev_minor,
		  struct mnts_error *err)
{
	/* private at once (a clone of a shared mount is a peer of it), and
	 * without the live mount's flags: clones of it get only their own */
	struct mnts_mount_attr attr = {.attr_clr = MNTS_MOUNT_ATTR_ALL_FLAGS,
				       .propagation = MS_PRIVATE};
	_cleanup_close_ int fd = -1;
	struct statx stx;

	/* "": dirfd itself (an O_PATH fd resolved beneath a mapped source) */
	unsigned int flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (*path ? 0 : AT_EMPTY_PATH);

	fd = mnts_sys_open_tree_attr(dirfd, path, flags, &attr, MNTS_MOUNT_ATTR_SIZE_VER0);
	if (fd < 0 && errno == ENOSYS) {
		fd = mnts_sys_open_tree(dirfd, path, flags);
		if (fd >= 0 && mnts_sys_mount_setattr(fd, "", AT_EMPTY_PATH, &attr,
						      MNTS_MOUNT_ATTR_SIZE_VER0) < 0)
			return mnts_err(err, errno, "make clone of '%s' private", path);
	}
	if (fd < 0 && errno == EINVAL && !mnts_userns_self_initial())
		/* a mount that has locked mounts on it (copied into a less
		 * privileged user namespace) is cloned only with them */
		return mnts_err(
		    err, EINVAL,
		    "open_tree '%s' (mounts on it are locked: mntsnap runs in a user "
		    "namespace other than the initial one, where a mount inherited "
		    "from the parent may not be cloned without the mounts on it; replay "
		    "from the initial user namespace, or a --subtree capture)",
		    path);
	if (fd < 0)
		return mnts_err(err, errno, "open_tree '%s'", path);
	/* checked on the clone, which cannot change under us: one syscall
	 * instead of opening the path first */
	if (check && (statx(fd, "", AT_EMPTY_PATH, 0, &stx) < 0 || stx.stx_dev_major != dev_major ||
		      stx.stx_dev_minor != dev_minor))
		return mnts_err(err, ESTALE, "'%s': no longer a mount of superblock %u:%u", path,
				dev_major, dev_minor);
	return TAKE_FD(fd);
}

/* sbsource.c - superblock sources: live table, create, clone (see sbsource.h) */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <libmount.h>

#include "lib/replay/fsopts.h"
#include "lib/core/log.h"
#include "lib/replay/resolve.h"
#include "lib/replay/sbsource.h"
#include "lib/kernel/statmount.h"
#include "lib/kernel/syscalls.h"

bool mnts_path_contains(const char *outer, const char *inner)
{
	return mnts_path_below(inner, outer) != NULL;
}

static uint64_t path_key(int parent, const char *path, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uint64_t)parent;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)path[i]) * 1099511628211ULL;
	return h;
}

struct reach_walk {
	struct mnts_live_table *t;
	int *parent_of;
	bool *stacked, *tucked;
	enum mnts_reach_state *route; /* the lookup gets to its mountpoint */
};

static enum mnts_reach_state route_of(struct reach_walk *w, int i)
{
	const struct mnts_live_mount *lm = &w->t->v[i];
	int p = w->parent_of[i];
	enum mnts_reach_state up;

	if (w->route[i] != MNTS_REACH_UNKNOWN)
		return w->route[i];
	if (p < 0) /* the process root: its parent is not in the table */
		return w->route[i] = streq(lm->target, "/") ? MNTS_REACH_YES : MNTS_REACH_ASK;
	w->route[i] = MNTS_REACH_ASK; /* for now: a cycle in the table ends here */
	up = route_of(w, p);
	/* stacked on its parent, it is where the lookup of the parent's
	 * mountpoint goes; otherwise the parent must be the top of its stack */
	if (up == MNTS_REACH_YES && !streq(lm->target, w->t->v[p].target) && w->stacked[p])
		up = MNTS_REACH_NO;
	return w->route[i] = w->tucked[i] && up != MNTS_REACH_ASK ? MNTS_REACH_NO : up;
}

/* Which live mounts a path lookup of their mountpoint ends on, from the
 * table: a statx per superblock walks the whole path, hundreds of mounts
 * for a deep chain.  The lookup gets to a mount's mountpoint when it gets
 * to its parent's and no sibling sits on a strict ancestor of the
 * mountpoint; it ends there unless something is stacked on the mount.
 * Siblings on one mountpoint, a cycle or a missing parent leave the answer
 * to statx. */
static void compute_reachability(struct mnts_live_table *t)
{
	struct reach_walk w = {.t = t};
	struct mnts_u64map by_id = {0}, by_place = {0};
	_cleanup_free_ bool *ask = xcalloc(t->n + 1, sizeof(bool));

	w.parent_of = xcalloc(t->n + 1, sizeof(int));
	w.stacked = xcalloc(t->n + 1, sizeof(bool));
	w.tucked = xcalloc(t->n + 1, sizeof(bool));
	w.route = xcalloc(t->n + 1, sizeof(*w.route));
	for (size_t i = 0; i < t->n; i++)
		mnts_u64map_put(&by_id, t->v[i].id, (int)i);
	for (size_t i = 0; i < t->n; i++) {
		int p = mnts_u64map_get(&by_id, t->v[i].parent_id);
		uint64_t key;
		int other;

		w.parent_of[i] = p == (int)i ? -1 : p;
		if (w.parent_of[i] < 0)
			continue;
		if (streq(t->v[i].target, t->v[p].target))
			w.stacked[p] = true;
		key = path_key(p, t->v[i].target, strlen(t->v[i].target));
		other = mnts_u64map_get(&by_place, key);
		if (other >= 0)
			ask[i] = ask[other] = true;
		else
			mnts_u64map_put(&by_place, key, (int)i);
	}
	for (size_t i = 0; i < t->n; i++) {
		const char *mp = t->v[i].target;
		int p = w.parent_of[i];
		const char *rel = p < 0 ? NULL : mnts_path_below(mp, t->v[p].target);

		for (const char *sl = rel ? strchr(rel, '/') : NULL; sl && !w.tucked[i];
		     sl = strchr(sl + 1, '/')) {
			size_t len = (size_t)(sl - mp);
			int s = mnts_u64map_get(&by_place, path_key(p, mp, len));

			w.tucked[i] = s >= 0 && !strncmp(t->v[s].target, mp, len) &&
				      !t->v[s].target[len];
		}
	}
	for (size_t i = 0; i < t->n; i++) {
		enum mnts_reach_state r = route_of(&w, (int)i);

		t->v[i].reach = ask[i] || r == MNTS_REACH_ASK ? MNTS_REACH_ASK
				: r == MNTS_REACH_YES && !w.stacked[i] ? MNTS_REACH_YES
								       : MNTS_REACH_NO;
	}
	free(w.parent_of);
	free(w.stacked);
	free(w.tucked);
	free(w.route);
	mnts_u64map_free(&by_id);
	mnts_u64map_free(&by_place);
}

static struct mnts_live_mount *live_push(struct mnts_live_table *t)
{
	struct mnts_live_mount *lm;

	if ((t->n & (t->n - 1)) == 0)
		t->v = xreallocarray(t->v, t->n ? 2 * t->n : 64, sizeof(*t->v));
	lm = &t->v[t->n++];
	*lm = (struct mnts_live_mount){0};
	return lm;
}

static int read_mountinfo(struct mnts_live_table *t, struct mnts_error *err)
{
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	struct libmnt_iter *it;
	struct libmnt_fs *fs;

	if (!tb)
		return mnts_err(err, errno ? errno : EIO, "read '/proc/self/mountinfo'");
	it = mnt_new_iter(MNT_ITER_FORWARD);
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		struct mnts_live_mount *lm = live_push(t);
		const char *opt = mnt_fs_get_optional_fields(fs);
		dev_t dev = mnt_fs_get_devno(fs);

		lm->id = (uint64_t)mnt_fs_get_id(fs);
		lm->parent_id = (uint64_t)mnt_fs_get_parent_id(fs);
		lm->dev_major = major(dev);
		lm->dev_minor = minor(dev);
		lm->root = xstrdup(mnt_fs_get_root(fs) ? mnt_fs_get_root(fs) : "/");
		lm->target = xstrdup(mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : "/");
		lm->fstype = xstrdup(mnt_fs_get_fstype(fs) ? mnt_fs_get_fstype(fs) : "");
		lm->shared = opt && strstr(opt, "shared:") != NULL;
		lm->unbindable = opt && strstr(opt, "unbindable") != NULL;
	}
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return 0;
}

/* The same table from listmount+statmount, shared by two CPUs, without the
 * options and sources mountinfo formats and libmount parses: at 50,000
 * mounts, reading mountinfo was a fifth of a replay of a deep layout.  The
 * ids are the old ones mountinfo and statx show.  Returns: 0, or -errno
 * when the kernel cannot list this namespace from here (too old, a root
 * below the namespace's): the caller reads mountinfo. */
static int read_statmount(struct mnts_live_table *t)
{
	_cleanup_snapshot_ struct mnts_snapshot *snap = mnts_snapshot_new();
	struct mnts_ns *ns = mnts_snapshot_add_ns(snap, "live");
	struct mnts_error ignored = {0}; /* only logged: mountinfo is read instead */
	struct mnts_u64map old_id = {0};
	int r;

	if (!mnts_statmount_supported())
		return -EOPNOTSUPP;
	r = mnts_statmount_ns_basic(ns, 0, &ignored);
	if (r < 0) {
		mnts_debug(1, "live mounts by statmount: %s; reading mountinfo", ignored.msg);
		return r;
	}
	for (size_t i = 0; i < ns->n_mounts; i++)
		mnts_u64map_put(&old_id, ns->mounts[i].id, (int)i);
	for (size_t i = 0; i < ns->n_mounts; i++) {
		const struct mnts_mount *m = &ns->mounts[i];
		struct mnts_live_mount *lm = live_push(t);
		int p = m->parent_id ? mnts_u64map_get(&old_id, m->parent_id) : -1;

		lm->id = m->mnt_id;
		lm->parent_id = p >= 0 ? ns->mounts[p].mnt_id : 0;
		lm->dev_major = m->dev_major;
		lm->dev_minor = m->dev_minor;
		lm->root = xstrdup(m->root);
		lm->target = xstrdup(m->mountpoint);
		lm->fstype = xstrdup(m->fstype);
		lm->shared = m->shared_id != 0;
		lm->unbindable = m->unbindable;
	}
	mnts_u64map_free(&old_id);
	return 0;
}

static const char *const reach_names[] = {"unknown", "yes", "no", "ask statx"};

int mnts_live_table_read(struct mnts_live_table *t, struct mnts_error *err)
{
	/* for tests: the fallback, to compare the two (see the man page) */
	const char *force = getenv("MNTSNAP_LIVE_TABLE");
	bool by_statmount = !(force && streq(force, "mountinfo")) && read_statmount(t) == 0;

	if (!by_statmount) {
		int r;

		mnts_live_table_done(t);
		r = read_mountinfo(t, err);
		if (r < 0)
			return r;
	}
	t->next_same_dev = xcalloc(t->n + 1, sizeof(*t->next_same_dev));
	/* built backwards so that each chain is in mountinfo order */
	for (size_t i = t->n; i-- > 0;) {
		uint64_t dev = (uint64_t)t->v[i].dev_major << 32 | t->v[i].dev_minor;

		t->next_same_dev[i] = mnts_u64map_get(&t->by_dev, dev);
		mnts_u64map_put(&t->by_dev, dev, (int)i);
	}
	compute_reachability(t);
	mnts_debug(3, "live mounts (%s): %zu", by_statmount ? "statmount" : "mountinfo", t->n);
	for (size_t i = 0; i < t->n; i++) {
		const struct mnts_live_mount *lm = &t->v[i];

		mnts_debug(3,
			   "live mount %" PRIu64 " parent %" PRIu64 " dev %u:%u root %s at %s %s%s%s "
			   "reachable: %s",
			   lm->id, lm->parent_id, lm->dev_major, lm->dev_minor, lm->root, lm->target,
			   lm->fstype, lm->shared ? " shared" : "", lm->unbindable ? " unbindable" : "",
			   reach_names[lm->reach]);
	}
	return 0;
}

void mnts_live_table_done(struct mnts_live_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->v[i].root);
		free(t->v[i].target);
		free(t->v[i].fstype);
	}
	free(t->v);
	free(t->next_same_dev);
	mnts_u64map_free(&t->by_dev);
	*t = (struct mnts_live_table){0};
}

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

/* Whether a path lookup of its mountpoint ends on it (not covered). */
static bool reachable(const struct mnts_live_mount *lm)
{
	struct statx stx;

	return statx(AT_FDCWD, lm->target, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) == 0 &&
	       (stx.stx_mask & STATX_MNT_ID) && stx.stx_mnt_id == lm->id;
}

const struct mnts_live_mount *mnts_live_find(const struct mnts_live_table *t, uint32_t dev_major,
					     uint32_t dev_minor, const char *fstype,
					     const char *root)
{
	const struct mnts_live_mount *best = NULL;
	int i = mnts_u64map_get(&t->by_dev, (uint64_t)dev_major << 32 | dev_minor);

	for (; i >= 0; i = t->next_same_dev[i]) {
		const struct mnts_live_mount *lm = &t->v[i];

		if (!streq(lm->fstype, fstype) || lm->unbindable ||
		    !mnts_path_contains(lm->root, root))
			continue;
		if (best && strlen(best->root) <= strlen(lm->root))
			continue;
		if (lm->reach == MNTS_REACH_NO || (lm->reach != MNTS_REACH_YES && !reachable(lm)))
			continue;
		best = lm;
	}
	return best;
}

static int create_once(const char *fstype, const char *source, const struct mnts_strv *opts,
		       unsigned int cmd, struct mnts_error *err)
{
	_cleanup_close_ int fsfd = mnts_sys_fsopen(fstype, FSOPEN_CLOEXEC);
	int r;

	if (fsfd < 0)
		return mnts_err(err, errno, "fsopen '%s'", fstype);
	if (source && *source && !streq(source, "none") &&
	    mnts_sys_fsconfig(fsfd, MNTS_FSCONFIG_SET_STRING, "source", source, 0) < 0)
		return mnts_err(err, errno, "fsconfig source '%s'", source);
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
		   bool options, struct mnts_error *err)
{
	int fd = create_once(fstype, source, options ? super_options : NULL,
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

int mnts_sb_clone(int dirfd, const char *path, bool check, uint32_t dev_major,
		  uint32_t dev_minor, struct mnts_error *err)
{
	/* private at once (a clone of a shared mount is a peer of it), and
	 * without the live mount's flags: clones of it get only their own */
	struct mnts_mount_attr attr = {.attr_clr = MNTS_MOUNT_ATTR_ALL_FLAGS,
				       .propagation = MS_PRIVATE};
	_cleanup_close_ int fd = -1;
	struct statx stx;

	fd = mnts_sys_open_tree_attr(dirfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC, &attr,
				     MNTS_MOUNT_ATTR_SIZE_VER0);
	if (fd < 0 && errno == ENOSYS) {
		fd = mnts_sys_open_tree(dirfd, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fd >= 0 && mnts_sys_mount_setattr(fd, "", AT_EMPTY_PATH, &attr,
						      MNTS_MOUNT_ATTR_SIZE_VER0) < 0)
			return mnts_err(err, errno, "make clone of '%s' private", path);
	}
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

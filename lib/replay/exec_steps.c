/* exec_steps.c - the runs of the steps that build the trees, detached
 * until NS_POPULATE (see exec_steps.h; the table in steps.c says which
 * syscalls each makes) */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/log.h"
#include "lib/core/path.h"
#include "lib/kernel/nsenum.h"
#include "lib/kernel/syscalls.h"
#include "lib/replay/exec_steps.h"
#include "lib/replay/replay_ns.h"
#include "lib/replay/resolve.h"
#include "lib/replay/sbsource.h"

/* Propagation of an attached mount changes only from inside its namespace
 * (mount_setattr's check_mnt); n = -1 goes back to the caller's. */
static int enter_ns(struct mnts_exec *x, int n, struct mnts_error *err)
{
	int fd;

	if (x->cur_ns == n)
		return 0;
	if (n < 0)
		fd = x->env->orig_ns;
	else if (x->env->target_ns >= 0)
		fd = x->env->target_ns;
	else
		fd = x->slots[x->plan->nss[n].slot];
	if (setns(fd, CLONE_NEWNS) < 0)
		return mnts_err(err, errno, "setns");
	x->cur_ns = n;
	return 0;
}

/* Into another mount namespace (a superblock source or a live group member
 * lives there); leave_foreign() comes back to the caller's. */
static int enter_foreign(struct mnts_exec *x, int fd, struct mnts_error *err)
{
	if (setns(fd, CLONE_NEWNS) < 0)
		return mnts_err(err, errno, "setns into the source's mount namespace");
	x->cur_ns = -2;
	return 0;
}

static int leave_foreign(struct mnts_exec *x, int r, struct mnts_error *err)
{
	if (setns(x->env->orig_ns, CLONE_NEWNS) < 0)
		return r < 0 ? r : mnts_err(err, errno, "setns back to the caller's namespace");
	x->cur_ns = -1;
	return r;
}

static int open_ns_id(uint64_t ns_id, struct mnts_error *err)
{
	struct mnts_nsref ref = {.fd = -1};
	int r = mnts_nsref_open_id(ns_id, &ref, err);

	if (r < 0)
		return r;
	r = TAKE_FD(ref.fd);
	mnts_nsref_done(&ref);
	return r;
}

/* The nsfs fd of the namespace the clones of superblock sb are made in, or
 * -1 for the caller's. */
static int sb_ns_fd(struct mnts_exec *x, int sb)
{
	const struct mnts_plan_sb *psb = &x->plan->sbs[sb];

	return psb->ns_slot >= 0 ? x->slots[psb->ns_slot] : -1;
}

/* Where the propagation of a mount is set: in the caller's namespace while
 * its tree is detached, from inside its namespace once the tree is there
 * (mount_setattr's check_mnt). */
static int propagation_ns(const struct mnts_exec *x, int mount)
{
	const struct mnts_plan *plan = x->plan;
	int k = plan->mounts[mount].snap_ns;
	int n = plan->ns_by_snap && k >= 0 ? plan->ns_by_snap[k]
					   : mnts_plan_ns_index(plan, plan->mounts[mount].m->ns);

	return n >= 0 && x->populated[n] ? n : -1;
}

static int setattr(int fd, uint64_t set, uint64_t clr, uint64_t propagation, int userns)
{
	struct mnts_mount_attr attr = {
	    .attr_set = set,
	    .attr_clr = clr,
	    .propagation = propagation,
	    .userns_fd = userns >= 0 ? (uint64_t)userns : 0,
	};

	return mnts_sys_mount_setattr(fd, "", AT_EMPTY_PATH, &attr, MNTS_MOUNT_ATTR_SIZE_VER0);
}

static int set_group(int from, int to)
{
	return mnts_sys_move_mount(from, "", to, "",
				   MOVE_MOUNT_SET_GROUP | MOVE_MOUNT_F_EMPTY_PATH |
				       MOVE_MOUNT_T_EMPTY_PATH);
}

/* Whether the mountpoint of a mount is a file in its parent (cloned
 * before it): move_mount refuses to put a directory on a file and the
 * reverse (EINVAL), and a fresh filesystem must give the mount a root of the
 * same kind (an lxcfs-style file bind onto /proc/cpuinfo).  The captured
 * root_type says; without it, unknown (no parent, or a mountpoint still to
 * be created) means a directory. */
static bool mountpoint_is_file(struct mnts_exec *x, const struct mnts_step *s)
{
	const struct mnts_mount *m = x->plan->mounts[s->obj].m;
	_cleanup_close_ int at = -1;
	const char *rel;
	struct stat st;

	/* recorded (format 3): the parent of a new superblock has no
	 * mountpoint yet to tell */
	if (m->root_type != MNTS_ROOT_UNKNOWN)
		return m->root_type == MNTS_ROOT_FILE;
	if (s->aux < 0 || *slot(x, s->aux) < 0 || !m->parent)
		return false;
	rel = mnts_path_below(m->mountpoint, m->parent->mountpoint);
	if (!rel)
		return false;
	at = mnts_open_beneath(*slot(x, s->aux), rel);
	return at >= 0 && fstat(at, &st) == 0 && !S_ISDIR(st.st_mode);
}

/* True for a path of at most one component: looked up with the last
 * component never followed, it cannot leave the directory it starts from,
 * so the syscall taking it saves the openat2 (RESOLVE_BENEATH) and close
 * that a longer path needs. */
static bool one_component(const char *rel)
{
	return !strchr(rel, '/');
}

/* A detached clone of what is at rel below the root of mount fd.
 * Returns: fd or -errno. */
static int clone_below(int fd, const char *rel)
{
	_cleanup_close_ int at = -1;
	int r;

	if (one_component(rel)) {
		r = mnts_sys_open_tree(fd, rel,
				       OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW |
					   (*rel ? 0 : AT_EMPTY_PATH));
		return r < 0 ? -errno : r;
	}
	at = mnts_open_beneath(fd, rel);
	if (at < 0)
		return at;
	r = clone_fd(at);
	return r < 0 ? -errno : r;
}

/* The clone of the source's s->rel into s->dst, from at (an O_PATH fd of
 * it; -1: opened here, which takes it). */
static int clone_at(struct mnts_exec *x, const struct mnts_step *s, int at, struct mnts_error *err)
{
	_cleanup_close_ int fd_at = at >= 0 ? at : mnts_open_beneath(*slot(x, s->src), s->rel);
	int fd;

	if (fd_at < 0)
		return mnts_err(err, -fd_at, "open root '/%s' in its source", s->rel);
	fd = clone_fd(fd_at);
	if (fd < 0)
		return mnts_err(err, errno, "open_tree clone");
	*slot(x, s->dst) = fd;
	return 0;
}

/* A clone of the first mount with a root deleted on the host: the root is
 * made again in the source (never over something there: that would be
 * another file, and UNLINK_ROOT would remove it), and removed once the
 * mounts are attached (the kernel attaches none whose root is unlinked).
 * Made in a reused filesystem, it is undone if the replay fails. */
static int clone_deleted(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const struct mnts_plan_sb *sb = &x->plan->sbs[x->plan->mounts[s->obj].sb];
	int from = -1, r;

	r = mnts_mkpath_beneath(*slot(x, s->src), s->rel, mountpoint_is_file(x, s), &from);
	if (r < 0)
		return mnts_err(err, -r, "make the deleted root '/%s' again in its source", s->rel);
	if (from < 0)
		return mnts_err(err, EEXIST,
				"make the deleted root '/%s' again in its source: something else "
				"is there now",
				s->rel);
	if (sb->how == MNTS_SB_FRESH)
		return clone_at(x, s, -1, err);
	push_undo(x, UNDO_MKPATH, fcntl(*slot(x, s->src), F_DUPFD_CLOEXEC, 3), s->rel, from);
	/* in a reused filesystem only the root itself may be missing: one
	 * removed with its directory cannot be made again as it was */
	if (strchr(s->rel + from, '/'))
		return mnts_err(err, ENOENT,
				"make the deleted root '/%s' again in its source: its directory "
				"is gone too",
				s->rel);
	return clone_at(x, s, -1, err);
}

int mnts_run_unlink_root(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const char *slash = strrchr(s->rel, '/');
	_cleanup_free_ char *dir = xstrndup(s->rel, slash ? (size_t)(slash - s->rel) : 0);
	const char *name = slash ? slash + 1 : s->rel;
	_cleanup_close_ int at = mnts_open_beneath(*slot(x, s->src), dir);

	if (at < 0)
		return mnts_err(err, -at, "open '/%s' in the source", dir);
	if (unlinkat(at, name, AT_REMOVEDIR) < 0 && (errno != ENOTDIR || unlinkat(at, name, 0) < 0))
		return mnts_err(err, errno, "remove '/%s'", s->rel);
	/* removed: nothing left for the undo to remove */
	for (size_t i = 0; i < x->n_undo; i++)
		if (x->undo[i].kind == UNDO_MKPATH && x->undo[i].fd >= 0 &&
		    streq(x->undo[i].path, s->rel)) {
			close(x->undo[i].fd);
			free(x->undo[i].path);
			/* the rest keep their order: the undo runs backwards */
			memmove(&x->undo[i], &x->undo[i + 1], (--x->n_undo - i) * sizeof(*x->undo));
			break;
		}
	return 0;
}

static int do_clone(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	_cleanup_close_ int at = -1;
	int fd;

	if (x->plan->mounts[s->obj].unlink_root)
		return clone_deleted(x, s, err);

	if (one_component(s->rel)) {
		fd = mnts_sys_open_tree(*slot(x, s->src), s->rel,
					OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW |
					    (*s->rel ? 0 : AT_EMPTY_PATH));
		if (fd >= 0) {
			*slot(x, s->dst) = fd;
			return 0;
		}
		/* on any error, the long way: it creates what is missing, and
		 * says what failed */
	}
	at = mnts_open_beneath(*slot(x, s->src), s->rel);
	if (at == -ENOENT && s->create) {
		int r =
		    mnts_mkpath_beneath(*slot(x, s->src), s->rel, mountpoint_is_file(x, s), NULL);
		if (r < 0)
			return mnts_err(err, -r, "create root '/%s' in the new superblock", s->rel);
		at = -1;
	}
	return clone_at(x, s, TAKE_FD(at), err);
}

int mnts_run_clone(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	int nsfd = sb_ns_fd(x, x->plan->mounts[s->obj].sb), r;

	if (nsfd < 0)
		return do_clone(x, s, err);
	if ((r = enter_foreign(x, nsfd, err)) < 0)
		return r;
	return leave_foreign(x, do_clone(x, s, err), err);
}

/* A detached clone of the source (src) at s->rel, made in the namespace the
 * source lives in.  Returns: fd or -errno. */
static int clone_anchor(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	int nsfd = sb_ns_fd(x, x->plan->groups[s->obj].sb), fd, r;

	if (nsfd >= 0 && (r = enter_foreign(x, nsfd, err)) < 0)
		return r;
	fd = clone_below(*slot(x, s->src), s->rel);
	if (nsfd >= 0 && (r = leave_foreign(x, 0, err)) < 0) {
		if (fd >= 0)
			close(fd);
		return r;
	}
	if (fd < 0)
		return mnts_err(err, -fd, "clone the superblock at '/%s'", s->rel);
	return fd;
}

/* An O_PATH fd of a live member of a group outside the snapshot, checked
 * to be that mount: the source of SET_GROUP (which works across
 * namespaces) for its replayed slaves. */
int mnts_run_live_member(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const struct mnts_plan_group *g = &x->plan->groups[s->obj];
	_cleanup_close_ int nsfd = -1;
	int fd, r = 0;
	uint64_t id;

	if (g->ns_id) {
		nsfd = open_ns_id(g->ns_id, err);
		if (nsfd < 0)
			return nsfd;
		if ((r = enter_foreign(x, nsfd, err)) < 0)
			return r;
	}
	fd = open(g->path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		r = mnts_err(err, errno, "open '%s'", g->path);
	else if (mnts_fd_mount_id(fd, &id) < 0 || id != g->live_id)
		r = mnts_err(err, ESTALE, "live mount %" PRIu64 " at '%s': no longer there",
			     g->live_id, g->path);
	if (r < 0 && fd >= 0)
		close(fd);
	else if (r == 0)
		*slot(x, s->dst) = fd;
	return g->ns_id ? leave_foreign(x, r, err) : r;
}

/* Creates the missing mountpoint rel (below the parent's root) of mount
 * obj: through view, the writable source of the parent's superblock, at the
 * parent's root below it (a read-only parent refuses), else through the
 * parent.  A file when the mount's root is one (a file bind needs a file to
 * sit on), else a directory.  Returns: 0 or -errno. */
static int make_mountpoint(struct mnts_exec *x, int obj, int parent, const char *rel, int view,
			   struct mnts_error *err)
{
	const struct mnts_plan_mount *pm = &x->plan->mounts[obj];
	const struct mnts_plan_mount *pp = &x->plan->mounts[x->plan->nss[0].base];
	const struct mnts_plan_sb *sb = NULL;
	_cleanup_free_ char *path = NULL;
	const char *below = NULL;
	struct stat st;
	int from = -1, dir = parent, r;

	/* the parent's plan entry: same namespace, its index */
	for (size_t n = 0; n < x->plan->n_nss; n++)
		if (x->plan->nss[n].ns == pm->m->ns)
			pp = &x->plan->mounts[x->plan->nss[n].base + (int)pm->m->parent->index];
	if (pp->sb >= 0)
		sb = &x->plan->sbs[pp->sb];
	if (view >= 0 && sb)
		below = mnts_path_below(pp->m->root, sb->root);
	if (below) {
		dir = *slot(x, view);
		path = *below ? xasprintf("%s/%s", below, rel) : xstrdup(rel);
	}
	if (fstat(*slot(x, pm->slot), &st) < 0)
		return mnts_err(err, errno, "stat the mount");
	r = mnts_mkpath_beneath(dir, path ? path : rel, !S_ISDIR(st.st_mode), &from);
	if (r == -EROFS && sb && sb->how != MNTS_SB_FRESH)
		/* a live or --external superblock read-only at the superblock
		 * level: it is the host's, never made writable */
		return mnts_err(err, EROFS,
				"create missing mountpoint '/%s' in the host's read-only %s "
				"superblock (replay never makes it writable)",
				rel, sb->fstype);
	if (r < 0)
		return mnts_err(err, -r, "create mountpoint '/%s'", rel);
	/* what replay made in a reused filesystem goes on failure */
	if (from >= 0 && (!sb || sb->how != MNTS_SB_FRESH))
		push_undo(x, UNDO_MKPATH, fcntl(dir, F_DUPFD_CLOEXEC, 3), path ? path : rel, from);
	return 0;
}

/* An O_PATH fd of the mountpoint rel (below parent's root) of mount obj,
 * created when missing if create (make_mountpoint()).  Returns: fd or -errno. */
static int open_mountpoint(struct mnts_exec *x, int obj, int parent, const char *rel, bool create,
			   int view, struct mnts_error *err)
{
	int at = mnts_open_beneath(parent, rel);

	if (at == -ENOENT && create) {
		int r = make_mountpoint(x, obj, parent, rel, view, err);

		if (r < 0)
			return r;
		at = mnts_open_beneath(parent, rel);
	}
	if (at == -ENOENT)
		return mnts_err(err, ENOENT,
				"mountpoint '/%s' is missing in a reused filesystem "
				"(--create-mountpoints creates it)",
				rel);
	if (at < 0)
		return mnts_err(err, -at, "open mountpoint '/%s'", rel);
	return at;
}

int mnts_run_mountpoint(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	int at = open_mountpoint(x, s->obj, *slot(x, s->src), s->rel, s->create, s->view, err);

	if (at < 0)
		return at;
	*slot(x, s->dst) = at;
	return 0;
}

/* The mount of step s (its src) onto the mountpoint fd at (or -errno, as
 * returned by what opened it). */
static int move_onto(struct mnts_exec *x, const struct mnts_step *s, int at, struct mnts_error *err)
{
	if (at < 0)
		return at;
	if (mnts_sys_move_mount(*slot(x, s->src), "", at, "",
				MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return mnts_err(err, errno, "move_mount");
	return 0;
}

/* ATTACH onto the parent (aux) at rel, one component (plan.c). */
static int do_attach_at(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	_cleanup_close_ int at = -1;

	if (mnts_sys_move_mount(*slot(x, s->src), "", *slot(x, s->aux), s->rel,
				MOVE_MOUNT_F_EMPTY_PATH |
				    (*s->rel ? 0 : MOVE_MOUNT_T_EMPTY_PATH)) == 0)
		return 0;
	if (errno != ENOENT)
		return mnts_err(err, errno, "move_mount");
	at = open_mountpoint(x, s->obj, *slot(x, s->aux), s->rel, s->create, s->view, err);
	return move_onto(x, s, at, err);
}

int mnts_run_ns_create(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const struct mnts_plan *plan = x->plan;
	const struct mnts_plan_ns *pn = &plan->nss[s->obj];
	uint64_t min_id = x->ns_ids[plan->n_nss]; /* the caller's */
	int fd;

	for (size_t k = 0; k < pn->n_pinned_by; k++)
		if (x->ns_ids[pn->pinned_by[k]] > min_id)
			min_id = x->ns_ids[pn->pinned_by[k]];
	/* with --root, the tree goes into a copy of the caller's namespace */
	if (!x->env->root_dir && x->seed_ns < 0) {
		x->seed_ns = mnts_ns_seed(x->env->orig_ns, err);
		if (x->seed_ns < 0)
			return x->seed_ns;
	}
	fd = mnts_ns_create(x->env->orig_ns, x->seed_ns, min_id, &x->ns_ids[s->obj], err);
	if (fd < 0)
		return fd;
	*slot(x, s->dst) = fd;
	return 0;
}

int mnts_run_sb_fresh(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const struct mnts_plan_sb *sb = &x->plan->sbs[s->obj];
	char fstype[64];
	int fd;

	snprintf(fstype, sizeof(fstype), "%.*s", (int)strcspn(sb->fstype, "."), sb->fstype);
	fd = mnts_sb_create(fstype, sb->source_here ? sb->source_here : sb->first->source,
			    &sb->first->super_options, sb->options,
			    sb->layered ? &sb->layers : NULL, err);
	if (fd < 0)
		return fd;
	*slot(x, s->dst) = fd;
	return 0;
}

/* Every clone of a mount shows its source (devname), which belongs to the
 * mount: the mounts of superblock sb, cloned from the live mount at
 * dirfd/path, show its source, whatever theirs was.  Keeping theirs would
 * take reconfiguring a superblock the host uses: each that differs is
 * named in a warning instead (and verification reports it). */
static void warn_sources(const struct mnts_exec *x, int sb, int dirfd, const char *path)
{
	const struct mnts_plan *plan = x->plan;
	/* known from the live table (the mount at path when planned), else
	 * asked: a statx and a statmount per superblock were a tenth of a
	 * 50,000-mount replay */
	const char *known = plan->sbs[sb].live_source;
	_cleanup_free_ char *asked = NULL;
	const char *live;
	char name[512];

	if (plan->sbs[sb].live_sources_same)
		return;
	asked = known ? NULL : mnts_mount_source_at(dirfd, path);
	live = known ? known : asked;

	for (int k = plan->sb_mounts_off[sb]; live && k < plan->sb_mounts_off[sb + 1]; k++) {
		const struct mnts_mount *m = plan->mounts[plan->sb_mounts[k]].m;

		if (!streq(m->source, live))
			mnts_warn("'%s': its source '%s' comes back as '%s', the source "
				  "of the live mount it is cloned from (replay never reconfigures "
				  "a superblock it reuses)",
				  mnts_plan_mount_name(m, name, sizeof(name)), m->source, live);
	}
}

/* SB_LIVE and SB_EXTERNAL: only the first checks the superblock it gets. */
int mnts_run_sb_clone(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const struct mnts_plan_sb *sb = &x->plan->sbs[s->obj];
	int fd, r;

	if (sb->assumed_id) {
		/* assumed where the snapshot saw it: cloned once confirmed */
		r = x->env->livecheck
			? mnts_livecheck_wait(x->env->livecheck, s->obj, x->env->cancelled)
			: -ESTALE;
		if (r == -EINTR)
			return mnts_err(err, EINTR, "interrupted");
		if (r < 0)
			return mnts_err(
			    err, ESTALE,
			    "'%s': no longer the mount of superblock %u:%u the snapshot saw there",
			    sb->path, sb->dev_major, sb->dev_minor);
	}
	if (s->aux >= 0) {
		/* a live mount in another namespace: cloned there */
		fd = open_ns_id(sb->ns_id, err);
		if (fd < 0)
			return fd;
		*slot(x, s->aux) = fd;
		if ((r = enter_foreign(x, fd, err)) < 0)
			return r;
	}
	if (sb->map_base && s->src < 0) {
		/* --map-source: below NEW, never through a symlink out of it */
		/* NEW itself may be a file (OLD=NEW of one file) */
		_cleanup_close_ int base =
		    open(sb->map_base, O_PATH | O_CLOEXEC | (*sb->map_rel ? O_DIRECTORY : 0));
		_cleanup_close_ int at = base < 0	    ? -errno
					 : !*sb->map_rel ? fcntl(base, F_DUPFD_CLOEXEC, 3)
							 : mnts_open_beneath(base, sb->map_rel);
		struct stat st;

		if (at == -1)
			at = -errno;
		/* O_PATH opens a last component that is a symlink as itself */
		if (at >= 0 && fstat(at, &st) == 0 && S_ISLNK(st.st_mode)) {
			close(at);
			at = -ELOOP;
		}

		if (at < 0)
			return mnts_err(err, -at, "--map-source: '%s'%s", sb->path,
					at == -ELOOP || at == -EXDEV ? " (a symlink on the way)"
								     : "");
		/* its mounts show NEW's source: that is the mapping */
		fd = mnts_sb_clone(at, "", false, 0, 0, err);
		if (fd < 0)
			return fd;
		*slot(x, s->dst) = fd;
		return 0;
	} else {
		fd = mnts_sb_clone(s->src >= 0 ? *slot(x, s->src) : AT_FDCWD,
				   s->src >= 0 ? s->rel : sb->path, s->kind == MNTS_STEP_SB_LIVE,
				   sb->here_major, sb->here_minor, err);
	}
	if (fd >= 0)
		warn_sources(x, s->obj, s->src >= 0 ? *slot(x, s->src) : AT_FDCWD,
			     s->src >= 0 ? s->rel : sb->path);
	else if (sb->assumed_id && x->env->livecheck &&
		 (err->code == ESTALE || err->code == ENOENT || err->code == EINVAL))
		/* another superblock there, gone or unbindable since the
		 * check: the whole live table may have another mount of it */
		mnts_livecheck_fail(x->env->livecheck);
	if (s->aux >= 0)
		fd = leave_foreign(x, fd, err);
	if (fd < 0)
		return fd;
	*slot(x, s->dst) = fd;
	if (s->keep >= 0) {
		/* the next source's path extends this one (plan.c) */
		fd = openat(s->src >= 0 ? *slot(x, s->src) : AT_FDCWD,
			    s->src >= 0 ? s->rel : sb->path, O_PATH | O_CLOEXEC);
		if (fd < 0)
			return mnts_err(err, errno, "open '%s'", sb->path);
		*slot(x, s->keep) = fd;
	}
	return 0;
}

int mnts_run_nsfs(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	int fd;

	if (s->src >= 0)
		fd = clone_fd(*slot(x, s->src));
	else
		fd = mnts_sys_open_tree(AT_FDCWD, x->plan->mounts[s->obj].ext_path,
					OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (fd < 0)
		return mnts_err(err, errno, "clone the namespace file");
	*slot(x, s->dst) = fd;
	return 0;
}

int mnts_run_idmap(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const struct mnts_mount *m = x->plan->mounts[s->obj].m;
	_cleanup_close_ int userns = mnts_userns_from_maps(&m->uid_map, &m->gid_map, err);

	if (userns < 0)
		return userns;
	if (setattr(*slot(x, s->src), MOUNT_ATTR_IDMAP, 0, 0, userns) < 0)
		return mnts_err(err, errno, "mount_setattr idmap");
	return 0;
}

int mnts_run_attach(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	/* the last child of a new namespace's root goes in from inside it
	 * (plan_steps.c: hold_last_root_child()) */
	int r = enter_ns(x, propagation_ns(x, s->obj), err);

	if (r < 0)
		return r;
	if (s->rel)
		return do_attach_at(x, s, err);
	if (mnts_sys_move_mount(*slot(x, s->src), "", *slot(x, s->aux), "",
				MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return mnts_err(err, errno, "move_mount");
	close_slot(x, s->aux);
	return 0;
}

int mnts_run_flags(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	if (setattr(*slot(x, s->src), s->attr_set, s->attr_clr, 0, -1) < 0)
		return mnts_err(err, errno, "mount_setattr");
	return 0;
}

int mnts_run_sb_ro(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	_cleanup_close_ int fsfd =
	    mnts_sys_fspick(*slot(x, s->src), "", FSPICK_CLOEXEC | FSPICK_EMPTY_PATH);

	if (fsfd < 0)
		return mnts_err(err, errno, "fspick");
	if (mnts_sys_fsconfig(fsfd, MNTS_FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
	    mnts_sys_fsconfig(fsfd, MNTS_FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0)
		return mnts_err(err, errno, "reconfigure read-only");
	return 0;
}

/* ANCHOR and SLAVE_ANCHOR: only a group's anchor is shared. */
int mnts_run_anchor(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	int fd = clone_anchor(x, s, err);

	if (fd < 0)
		return fd;
	*slot(x, s->dst) = fd;
	if (s->aux >= 0) {
		/* a peer of the master (or of the group), then its slave */
		if (set_group(*slot(x, s->aux), fd) < 0)
			return mnts_err(err, errno, "join the master group");
		if (setattr(fd, 0, 0, MS_SLAVE, -1) < 0)
			return mnts_err(err, errno, "make slave");
	}
	/* then, for a group, a group of its own */
	if (s->kind == MNTS_STEP_ANCHOR && setattr(fd, 0, 0, MS_SHARED, -1) < 0)
		return mnts_err(err, errno, "make shared");
	return 0;
}

/* JOIN (from a member: the mount becomes a peer) and SLAVE (from a pure
 * slave: the mount becomes a slave of the same master). */
int mnts_run_set_group(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	int r = enter_ns(x, propagation_ns(x, s->obj), err);

	if (r < 0)
		return r;
	if (set_group(*slot(x, s->src), *slot(x, s->aux)) < 0)
		return mnts_err(err, errno, "move_mount set-group");
	return 0;
}

/* The anchor recipe on the mount itself: a detached leaf, or a namespace's
 * root once its namespace holds it (entered, as for JOIN). */
int mnts_run_share(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	int r = enter_ns(x, propagation_ns(x, s->obj), err);

	if (r < 0)
		return r;
	if (s->aux >= 0) {
		if (set_group(*slot(x, s->aux), *slot(x, s->src)) < 0)
			return mnts_err(err, errno, "join the master group");
		if (setattr(*slot(x, s->src), 0, 0, MS_SLAVE, -1) < 0)
			return mnts_err(err, errno, "make slave");
	}
	if (setattr(*slot(x, s->src), 0, 0, MS_SHARED, -1) < 0)
		return mnts_err(err, errno, "make shared");
	return 0;
}

int mnts_run_unbindable(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	int r = enter_ns(x, propagation_ns(x, s->obj), err);

	if (r < 0)
		return r;
	if (setattr(*slot(x, s->aux), 0, 0, MS_UNBINDABLE, -1) < 0)
		return mnts_err(err, errno, "make unbindable");
	return 0;
}

int mnts_run_drop(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const struct mnts_plan *plan = x->plan;
	int r = enter_ns(x, -1, err);

	(void)s;
	if (r < 0)
		return r;
	for (size_t g = 0; g < plan->n_groups; g++) {
		mnts_exec_drop_slot(x, plan->groups[g].anchor_slot);
		mnts_exec_drop_slot(x, plan->groups[g].slave_anchor_slot);
	}
	for (size_t k = 0; k < plan->n_sbs; k++) {
		mnts_exec_drop_slot(x, plan->sbs[k].slot);
		close_slot(x, plan->sbs[k].ns_slot);
	}
	return 0;
}

/* Inside the owned copy of mount obj's namespace (entered): an O_PATH fd
 * of its mountpoint (of the mount itself, when it is attached), checked
 * to be on the superblock of same (the fd of a mount of it, or of its
 * parent): a path only reaches the topmost mount.  Returns: fd or -errno. */
static int open_inside(struct mnts_exec *x, int obj, int same, struct mnts_error *err)
{
	const struct mnts_mount *m = x->plan->mounts[obj].m;
	_cleanup_close_ int root = open("/", O_PATH | O_CLOEXEC | O_DIRECTORY);
	struct stat want, got;
	const char *rel;
	int fd;

	if (root < 0)
		return mnts_err(err, errno, "open the namespace's root");
	/* the snapshot's paths are below its root's mountpoint (--subtree) */
	rel = mnts_path_below(m->mountpoint, m->ns->root->mountpoint);
	if (!rel)
		return mnts_err(err, EINVAL, "'%s': not below the namespace's root", m->mountpoint);
	fd = mnts_open_beneath(root, rel);
	if (fd < 0)
		return mnts_err(err, -fd, "open '%s' in the owned namespace", m->mountpoint);
	if (fstat(*slot(x, same), &want) < 0 || fstat(fd, &got) < 0 || want.st_dev != got.st_dev) {
		close(fd);
		return mnts_err(err, EXDEV,
				"open '%s' in the owned namespace: another mount covers it",
				m->mountpoint);
	}
	return fd;
}

/* The namespace (index into plan->nss) of mount i. */
static int ns_of_mount(const struct mnts_exec *x, int i)
{
	for (size_t n = 0; n < x->plan->n_nss; n++)
		if (x->plan->nss[n].ns == x->plan->mounts[i].m->ns)
			return (int)n;
	return -1;
}

/* Enters the owned copy of step s's mount's namespace: an O_PATH fd of
 * its mountpoint (open_inside(), checked against the slot aux).  Returns:
 * fd or -errno. */
static int enter_inside(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	int r = enter_ns(x, ns_of_mount(x, s->obj), err);

	return r < 0 ? r : open_inside(x, s->obj, s->aux, err);
}

int mnts_run_attach_inside(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	_cleanup_close_ int at = enter_inside(x, s, err);

	return move_onto(x, s, at, err);
}

int mnts_run_attach_carried(struct mnts_exec *x, const struct mnts_step *s,
			    struct mnts_error *err)
{
	const struct mnts_plan_ns *pn = &x->plan->nss[ns_of_mount(x, s->obj)];
	_cleanup_close_ int userns = -1;
	int r = enter_ns(x, -1, err), fd;

	if (r < 0)
		return r;
	/* the owner the copy (NS_OWN) went to, found or made there */
	userns = ioctl(*slot(x, pn->slot), NS_GET_USERNS);
	if (userns < 0)
		return mnts_err(err, errno, "the owner of the owned copy");
	if (x->seed_ns < 0) {
		x->seed_ns = mnts_ns_seed(x->env->orig_ns, err);
		if (x->seed_ns < 0)
			return x->seed_ns;
	}
	/* the inherited mounts below: locked, as the container's clone of
	 * them is (replay_ns.c says which operations lock); the slots of
	 * those mounts still name their superblocks (open_inside()) */
	fd = mnts_tree_lock_below(x->env->orig_ns, x->seed_ns, userns, *slot(x, s->src), err);
	if (fd < 0)
		return fd;
	close_slot(x, s->src);
	*slot(x, s->src) = fd;
	return mnts_run_attach_inside(x, s, err);
}

int mnts_run_unbindable_inside(struct mnts_exec *x, const struct mnts_step *s,
			       struct mnts_error *err)
{
	_cleanup_close_ int fd = enter_inside(x, s, err);

	if (fd < 0)
		return fd;
	if (setattr(fd, 0, 0, MS_UNBINDABLE, -1) < 0)
		return mnts_err(err, errno, "make unbindable");
	return 0;
}

int mnts_run_rejoin(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	_cleanup_close_ int fd = enter_inside(x, s, err);

	if (fd < 0)
		return fd;
	/* set-group wants a private mount: the copy made this one a slave
	 * of the mount it was copied from */
	if (setattr(fd, 0, 0, MS_PRIVATE, -1) < 0)
		return mnts_err(err, errno, "make private");
	if (set_group(*slot(x, s->src), fd) < 0)
		return mnts_err(err, errno, "move_mount set-group");
	return 0;
}

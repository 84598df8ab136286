/* exec.c - the replay executor (see exec.h) */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/replay/exec.h"
#include "lib/core/log.h"
#include "lib/kernel/nsenum.h"
#include "lib/replay/replay_ns.h"
#include "lib/replay/resolve.h"
#include "lib/replay/sbsource.h"
#include "lib/kernel/syscalls.h"

enum undo_kind {
	UNDO_FILE,   /* unlinkat(fd, path) */
	UNDO_PIN,    /* detach the pin mount held by fd */
	UNDO_MKPATH, /* remove path components of fd/path from created_from on */
	UNDO_GRAFT,  /* in the target namespace, detach the tree held by fd */
};

struct undo {
	enum undo_kind kind;
	int fd; /* owned except for UNDO_FILE (the DIR fd) */
	char *path;
	int created_from;
};

struct exec {
	const struct mnts_plan *plan;
	const struct mnts_exec_env *env;
	int *slots;
	uint64_t *ns_ids;
	struct undo *undo;
	size_t n_undo;
	int cur_ns; /* index into plan->nss of the namespace we are in; -1: the caller's */
	bool *populated; /* per namespace: its tree is in it */
};

/* Propagation of an attached mount changes only from inside its namespace
 * (mount_setattr's check_mnt); n = -1 goes back to the caller's. */
static int enter_ns(struct exec *x, int n, struct mnts_error *err)
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
static int enter_foreign(struct exec *x, int fd, struct mnts_error *err)
{
	if (setns(fd, CLONE_NEWNS) < 0)
		return mnts_err(err, errno, "setns into the source's mount namespace");
	x->cur_ns = -2;
	return 0;
}

static int leave_foreign(struct exec *x, int r, struct mnts_error *err)
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
static int sb_ns_fd(struct exec *x, int sb)
{
	const struct mnts_plan_sb *psb = &x->plan->sbs[sb];

	return psb->ns_slot >= 0 ? x->slots[psb->ns_slot] : -1;
}

/* Where the propagation of a mount is set: in the caller's namespace while
 * its tree is detached, from inside its namespace once the tree is there
 * (mount_setattr's check_mnt). */
static int propagation_ns(const struct exec *x, int mount)
{
	const struct mnts_mount *m = x->plan->mounts[mount].m;

	for (size_t n = 0; n < x->plan->n_nss; n++)
		if (x->plan->nss[n].ns == m->ns)
			return x->populated[n] ? (int)n : -1;
	return -1;
}

static void push_undo(struct exec *x, enum undo_kind kind, int fd, const char *path,
		      int created_from)
{
	x->undo = xreallocarray(x->undo, x->n_undo + 1, sizeof(*x->undo));
	x->undo[x->n_undo++] = (struct undo){kind, fd, path ? xstrdup(path) : NULL, created_from};
}

static void run_undo(struct exec *x)
{
	while (x->n_undo > 0) {
		struct undo *u = &x->undo[--x->n_undo];
		_cleanup_free_ char *p = NULL;

		switch (u->kind) {
		case UNDO_FILE:
			if (unlinkat(u->fd, u->path, 0) < 0)
				mnts_warn("undo: remove '%s': %m", u->path);
			break;
		case UNDO_PIN:
			/* the pin itself, not whatever DIR/LABEL names now */
			p = xasprintf("/proc/self/fd/%d", u->fd);
			if (umount2(p, MNT_DETACH) < 0)
				mnts_warn("undo: unmount pin '%s': %m", u->path);
			close(u->fd);
			break;
		case UNDO_MKPATH: {
			char *slash;

			p = xstrdup(u->path);
			for (;;) {
				if (unlinkat(u->fd, p, AT_REMOVEDIR) < 0 &&
				    unlinkat(u->fd, p, 0) < 0)
					mnts_warn("undo: remove created mountpoint '%s': %m", p);
				slash = strrchr(p, '/');
				if (!slash || (int)(slash - p) <= u->created_from)
					break;
				*slash = '\0';
			}
			close(u->fd);
			break;
		}
		case UNDO_GRAFT:
			p = xasprintf("/proc/self/fd/%d", u->fd);
			if (setns(x->env->target_ns, CLONE_NEWNS) < 0 || umount2(p, MNT_DETACH) < 0)
				mnts_warn("undo: detach the grafted tree: %m");
			setns(x->env->orig_ns, CLONE_NEWNS);
			close(u->fd);
			break;
		}
		free(u->path);
	}
}

static int *slot(struct exec *x, int i)
{
	return &x->slots[i];
}

static void close_slot(struct exec *x, int i)
{
	if (i >= 0 && x->slots[i] >= 0) {
		close(x->slots[i]);
		x->slots[i] = -1;
	}
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

static int clone_fd(int fd)
{
	return mnts_sys_open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
}

/* Whether the mountpoint of a mount is a file in its parent (cloned
 * before it): move_mount refuses to put a directory on a file and the
 * reverse (EINVAL), and a fresh filesystem must give the mount a root of the
 * same kind (an lxcfs-style file bind onto /proc/cpuinfo).  Unknown (no
 * parent, or a mountpoint still to be created) means a directory. */
static bool mountpoint_is_file(struct exec *x, const struct mnts_step *s)
{
	const struct mnts_mount *m = x->plan->mounts[s->obj].m;
	_cleanup_close_ int at = -1;
	const char *rel;
	struct stat st;

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

static int do_clone(struct exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	_cleanup_close_ int at = -1;
	int fd;

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
		at = mnts_open_beneath(*slot(x, s->src), s->rel);
	}
	if (at < 0)
		return mnts_err(err, -at, "open root '/%s' in its source", s->rel);
	fd = clone_fd(at);
	if (fd < 0)
		return mnts_err(err, errno, "open_tree clone");
	*slot(x, s->dst) = fd;
	return 0;
}

static int do_clone_in_source_ns(struct exec *x, const struct mnts_step *s, struct mnts_error *err)
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
static int clone_anchor(struct exec *x, const struct mnts_step *s, struct mnts_error *err)
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
static int do_live_member(struct exec *x, const struct mnts_step *s, struct mnts_error *err)
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

/* An O_PATH fd of the mountpoint rel (below parent's root) of mount obj,
 * created when missing if create.  Returns: fd or -errno. */
static int open_mountpoint(struct exec *x, int obj, int parent, const char *rel, bool create,
			   struct mnts_error *err)
{
	const struct mnts_plan_mount *pm = &x->plan->mounts[obj];
	int at = mnts_open_beneath(parent, rel);

	if (at == -ENOENT && create) {
		const struct mnts_plan_mount *pp =
		    &x->plan->mounts[x->plan->nss[0].base]; /* replaced below */
		struct stat st;
		int from = -1, r;
		bool fresh_parent;

		/* the parent's plan entry: same namespace, its index */
		for (size_t n = 0; n < x->plan->n_nss; n++)
			if (x->plan->nss[n].ns == pm->m->ns)
				pp =
				    &x->plan
					 ->mounts[x->plan->nss[n].base + (int)pm->m->parent->index];
		fresh_parent = pp->sb >= 0 && x->plan->sbs[pp->sb].how == MNTS_SB_FRESH;
		/* a file bind needs a file to sit on */
		if (fstat(*slot(x, pm->slot), &st) < 0)
			return mnts_err(err, errno, "stat the mount");
		r = mnts_mkpath_beneath(parent, rel, !S_ISDIR(st.st_mode), &from);
		if (r < 0)
			return mnts_err(err, -r, "create mountpoint '/%s'", rel);
		if (from >= 0 && !fresh_parent)
			push_undo(x, UNDO_MKPATH, fcntl(parent, F_DUPFD_CLOEXEC, 3), rel, from);
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

static int do_mountpoint(struct exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	int at = open_mountpoint(x, s->obj, *slot(x, s->src), s->rel, s->create, err);

	if (at < 0)
		return at;
	*slot(x, s->dst) = at;
	return 0;
}

/* ATTACH onto the parent (aux) at rel, one component (plan.c). */
static int do_attach_at(struct exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	_cleanup_close_ int at = -1;

	if (mnts_sys_move_mount(*slot(x, s->src), "", *slot(x, s->aux), s->rel,
				MOVE_MOUNT_F_EMPTY_PATH | (*s->rel ? 0 : MOVE_MOUNT_T_EMPTY_PATH)) == 0)
		return 0;
	if (errno != ENOENT)
		return mnts_err(err, errno, "move_mount");
	at = open_mountpoint(x, s->obj, *slot(x, s->aux), s->rel, s->create, err);
	if (at < 0)
		return at;
	if (mnts_sys_move_mount(*slot(x, s->src), "", at, "",
				MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return mnts_err(err, errno, "move_mount");
	return 0;
}

static int do_pin(struct exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const char *label = x->plan->nss[s->obj].ns->label;
	_cleanup_close_ int file = -1, pin = -1;

	/* A pin outlives this process: create it only while mntsnap is
	 * there to report it (and to undo it if it dies: replay.c). */
	if (x->env->parent_alive && !x->env->parent_alive())
		return mnts_err(err, ESRCH, "pin '%s/%s': mntsnap is gone", x->env->new_dir, label);
	/* DIR/LABEL, beneath DIR and nowhere else: a label of more than one
	 * plain component, or a symlink or a mount put in DIR meanwhile,
	 * would place an nsfs mount anywhere in the caller's namespace */
	if (!mnts_plain_name(label))
		return mnts_err(err, EINVAL, "pin '%s/%s': the label is not a plain file name",
				x->env->new_dir, label);
	file = mnts_create_beneath(x->env->new_dir_fd, label, 0444);
	if (file < 0)
		return mnts_err(err, -file, "create '%s/%s'", x->env->new_dir, label);
	push_undo(x, UNDO_FILE, x->env->new_dir_fd, label, -1);
	closep(&file);
	file = mnts_open_beneath(x->env->new_dir_fd, label);
	if (file < 0)
		return mnts_err(err, -file, "open '%s/%s'", x->env->new_dir, label);
	pin = clone_fd(*slot(x, s->aux));
	if (pin < 0)
		return mnts_err(err, errno, "clone the namespace file");
	if (mnts_sys_move_mount(pin, "", file, "",
				MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return mnts_err(err, errno, "bind the namespace file at '%s/%s'", x->env->new_dir,
				label);
	push_undo(x, UNDO_PIN, TAKE_FD(pin), label, -1);
	return 0;
}

static int do_graft(struct exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const char *root_dir = x->plan->opts->root_dir;
	_cleanup_close_ int rootfd = -1, at = -1;
	int r = 0, shared;

	if (setns(x->env->target_ns, CLONE_NEWNS) < 0)
		return mnts_err(err, errno, "setns into the target namespace");
	rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	at = rootfd < 0 ? -errno : mnts_open_in_root(rootfd, root_dir, O_DIRECTORY);
	if (at < 0) {
		r = mnts_root_dir_error(err, at, root_dir, " in the target namespace");
		goto back;
	}
	shared = mnts_fd_on_shared_mount(at);
	if (shared != 0) {
		r = shared < 0
			? mnts_err(err, -shared, "--root '%s': statmount", root_dir)
			: mnts_err(err, 0,
				   "--root '%s': is on a shared mount in the target namespace "
				   "(the tree would propagate to its peers; make it private)",
				   root_dir);
		goto back;
	}
	if (mnts_sys_move_mount(*slot(x, s->src), "", at, "",
				MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		r = mnts_err(err, errno, "attach the tree at '%s'", root_dir);
		goto back;
	}
	push_undo(x, UNDO_GRAFT, fcntl(*slot(x, s->src), F_DUPFD_CLOEXEC, 3), NULL, -1);
back:
	if (setns(x->env->orig_ns, CLONE_NEWNS) < 0 && r == 0)
		r = mnts_err(err, errno, "setns back to the caller's namespace");
	return r;
}

static int run_step(struct exec *x, size_t i, struct mnts_error *err)
{
	const struct mnts_plan *plan = x->plan;
	const struct mnts_step *s = &plan->steps[i];
	const struct mnts_plan_sb *sb =
	    s->obj >= 0 && s->kind <= MNTS_STEP_SB_RO &&
		    (s->kind == MNTS_STEP_SB_FRESH || s->kind == MNTS_STEP_SB_LIVE ||
		     s->kind == MNTS_STEP_SB_EXTERNAL || s->kind == MNTS_STEP_SB_RO)
		? &plan->sbs[s->obj]
		: NULL;
	int fd, r;

	if (x->env->fail_at_step > 0 && (size_t)x->env->fail_at_step == i + 1)
		return mnts_err(err, 0, "fault injected (MNTSNAP_FAIL_AT_STEP=%d)",
				x->env->fail_at_step);

	switch (s->kind) {
	case MNTS_STEP_NS_CREATE: {
		const struct mnts_plan_ns *pn = &plan->nss[s->obj];
		uint64_t min_id = x->ns_ids[plan->n_nss]; /* the caller's */

		for (size_t k = 0; k < pn->n_pinned_by; k++)
			if (x->ns_ids[pn->pinned_by[k]] > min_id)
				min_id = x->ns_ids[pn->pinned_by[k]];
		fd = mnts_ns_create(x->env->orig_ns, !plan->opts->root_dir, min_id,
				    &x->ns_ids[s->obj], err);
		if (fd < 0)
			return fd;
		*slot(x, s->dst) = fd;
		return 0;
	}
	case MNTS_STEP_SB_FRESH: {
		bool reused = false;
		char fstype[64];

		snprintf(fstype, sizeof(fstype), "%.*s", (int)strcspn(sb->fstype, "."), sb->fstype);
		fd = mnts_sb_create(fstype, sb->first->source, &sb->first->super_options,
				    sb->options, &reused, err);
		if (fd < 0)
			return fd;
		if (reused && sb->options)
			mnts_warn("%s superblock (was %u:%u): the kernel reused an existing one: "
				  "its options were not applied",
				  sb->fstype, sb->dev_major, sb->dev_minor);
		*slot(x, s->dst) = fd;
		return 0;
	}
	case MNTS_STEP_SB_LIVE:
	case MNTS_STEP_SB_EXTERNAL:
		if (s->aux >= 0) {
			/* a live mount in another namespace: cloned there */
			fd = open_ns_id(sb->ns_id, err);
			if (fd < 0)
				return fd;
			*slot(x, s->aux) = fd;
			if ((r = enter_foreign(x, fd, err)) < 0)
				return r;
		}
		fd = mnts_sb_clone(s->src >= 0 ? *slot(x, s->src) : AT_FDCWD,
				   s->src >= 0 ? s->rel : sb->path, s->kind == MNTS_STEP_SB_LIVE,
				   sb->dev_major, sb->dev_minor, err);
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
	case MNTS_STEP_CLONE:
		return do_clone_in_source_ns(x, s, err);
	case MNTS_STEP_LIVE_MEMBER:
		return do_live_member(x, s, err);
	case MNTS_STEP_NSFS:
		if (s->src >= 0)
			fd = clone_fd(*slot(x, s->src));
		else
			fd = mnts_sys_open_tree(AT_FDCWD, plan->mounts[s->obj].ext_path,
						OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
		if (fd < 0)
			return mnts_err(err, errno, "clone the namespace file");
		*slot(x, s->dst) = fd;
		return 0;
	case MNTS_STEP_IDMAP: {
		const struct mnts_mount *m = plan->mounts[s->obj].m;
		_cleanup_close_ int userns = mnts_userns_from_maps(&m->uid_map, &m->gid_map, err);

		if (userns < 0)
			return userns;
		if (setattr(*slot(x, s->src), MOUNT_ATTR_IDMAP, 0, 0, userns) < 0)
			return mnts_err(err, errno, "mount_setattr idmap");
		return 0;
	}
	case MNTS_STEP_MOUNTPOINT:
		return do_mountpoint(x, s, err);
	case MNTS_STEP_ATTACH:
		if (s->rel)
			return do_attach_at(x, s, err);
		r = mnts_sys_move_mount(*slot(x, s->src), "", *slot(x, s->aux), "",
					MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
		if (r < 0)
			return mnts_err(err, errno, "move_mount");
		close_slot(x, s->aux);
		return 0;
	case MNTS_STEP_FLAGS:
		if (setattr(*slot(x, s->src), s->attr_set, s->attr_clr, 0, -1) < 0)
			return mnts_err(err, errno, "mount_setattr");
		return 0;
	case MNTS_STEP_SB_RO: {
		_cleanup_close_ int fsfd =
		    mnts_sys_fspick(*slot(x, s->src), "", FSPICK_CLOEXEC | FSPICK_EMPTY_PATH);

		if (fsfd < 0)
			return mnts_err(err, errno, "fspick");
		if (mnts_sys_fsconfig(fsfd, MNTS_FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0 ||
		    mnts_sys_fsconfig(fsfd, MNTS_FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0)
			return mnts_err(err, errno, "reconfigure read-only");
		return 0;
	}
	case MNTS_STEP_ANCHOR:
	case MNTS_STEP_SLAVE_ANCHOR:
		fd = clone_anchor(x, s, err);
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
	case MNTS_STEP_JOIN:
		if ((r = enter_ns(x, propagation_ns(x, s->obj), err)) < 0)
			return r;
		if (set_group(*slot(x, s->src), *slot(x, s->aux)) < 0)
			return mnts_err(err, errno, "move_mount set-group");
		return 0;
	case MNTS_STEP_SHARE:
		/* the anchor recipe on the mount itself (a detached root) */
		if (s->aux >= 0) {
			if (set_group(*slot(x, s->aux), *slot(x, s->src)) < 0)
				return mnts_err(err, errno, "join the master group");
			if (setattr(*slot(x, s->src), 0, 0, MS_SLAVE, -1) < 0)
				return mnts_err(err, errno, "make slave");
		}
		if (setattr(*slot(x, s->src), 0, 0, MS_SHARED, -1) < 0)
			return mnts_err(err, errno, "make shared");
		return 0;
	case MNTS_STEP_SLAVE:
		/* from a pure slave: the mount becomes a slave of the same master */
		if ((r = enter_ns(x, propagation_ns(x, s->obj), err)) < 0)
			return r;
		if (set_group(*slot(x, s->src), *slot(x, s->aux)) < 0)
			return mnts_err(err, errno, "move_mount set-group");
		return 0;
	case MNTS_STEP_UNBINDABLE:
		if ((r = enter_ns(x, propagation_ns(x, s->obj), err)) < 0)
			return r;
		if (setattr(*slot(x, s->aux), 0, 0, MS_UNBINDABLE, -1) < 0)
			return mnts_err(err, errno, "make unbindable");
		return 0;
	case MNTS_STEP_DROP:
		if ((r = enter_ns(x, -1, err)) < 0)
			return r;
		for (size_t g = 0; g < plan->n_groups; g++)
			close_slot(x, plan->groups[g].anchor_slot);
		for (size_t k = 0; k < plan->n_sbs; k++) {
			close_slot(x, plan->sbs[k].slot);
			close_slot(x, plan->sbs[k].ns_slot);
		}
		return 0;
	case MNTS_STEP_NS_POPULATE:
		x->populated[s->obj] = true;
		return mnts_ns_populate(x->env->orig_ns, *slot(x, s->aux), *slot(x, s->src),
					plan->opts->root_dir, err);
	case MNTS_STEP_GRAFT:
		x->populated[s->obj] = true;
		return do_graft(x, s, err);
	case MNTS_STEP_PIN:
		return do_pin(x, s, err);
	}
	return mnts_err(err, EINVAL, "unknown step kind %d", (int)s->kind);
}

/* For each slot, the index of the last step naming it (as dst, src or
 * aux): it is closed after that step.  -1 for the slots some step uses
 * without naming them, which live until DROP or the end: namespaces (entered
 * by JOIN/SLAVE/UNBINDABLE of a root) and the namespaces of foreign sources.
 * The MOUNTPOINT step's look at its own mount comes before its ATTACH. */
static ssize_t *slots_last_use(const struct mnts_plan *plan)
{
	ssize_t *last = xcalloc((size_t)plan->n_slots + 1, sizeof(*last));
	bool *keep = xcalloc((size_t)plan->n_slots + 1, sizeof(*keep));

	for (size_t n = 0; n < plan->n_nss; n++)
		if (plan->nss[n].slot >= 0)
			keep[plan->nss[n].slot] = true;
	for (size_t k = 0; k < plan->n_sbs; k++)
		if (plan->sbs[k].ns_slot >= 0)
			keep[plan->sbs[k].ns_slot] = true;
	for (int i = 0; i < plan->n_slots; i++)
		last[i] = -1;
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct mnts_step *s = &plan->steps[i];
		const int used[] = {s->dst, s->src, s->aux, s->keep};

		for (size_t k = 0; k < ARRAY_SIZE(used); k++)
			if (used[k] >= 0 && !keep[used[k]])
				last[used[k]] = (ssize_t)i;
	}
	free(keep);
	return last;
}

int mnts_exec_run(const struct mnts_plan *plan, const struct mnts_exec_env *env, size_t *ret_step,
		  struct mnts_error *err)
{
	struct exec x = {.plan = plan, .env = env, .cur_ns = -1};
	_cleanup_free_ ssize_t *last_use = NULL;
	int r = 0;

	x.slots = xcalloc((size_t)plan->n_slots + 1, sizeof(int));
	for (int i = 0; i < plan->n_slots; i++)
		x.slots[i] = -1;
	x.ns_ids = xcalloc(plan->n_nss + 1, sizeof(uint64_t));
	x.populated = xcalloc(plan->n_nss + 1, sizeof(bool));
	if (mnts_mnt_ns_id(env->orig_ns, &x.ns_ids[plan->n_nss]) < 0)
		x.ns_ids[plan->n_nss] = 0;

	last_use = slots_last_use(plan);
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct mnts_step *s = &plan->steps[i];
		char text[2048];

		/* formatting every step costs more than many of them take */
		if (mnts_verbosity >= 2) {
			mnts_plan_step_text(plan, i, text, sizeof(text));
			mnts_debug(2, "step %zu: %s", i + 1, text);
		}
		if (env->cancelled && env->cancelled())
			r = mnts_err(err, EINTR, "interrupted");
		else
			r = run_step(&x, i, err);
		if (r >= 0) {
			/* fds are done with after their last step: holding one per
			 * mount would hit RLIMIT_NOFILE at 20,000 mounts */
			const int used[] = {s->dst, s->src, s->aux, s->keep};

			for (size_t k = 0; k < ARRAY_SIZE(used); k++)
				if (used[k] >= 0 && last_use[used[k]] == (ssize_t)i)
					close_slot(&x, used[k]);
		}
		if (r < 0) {
			mnts_plan_step_text(plan, i, text, sizeof(text));
			mnts_err_prefix(err, "step %zu, %s", i + 1, text);
			*ret_step = i + 1;
			if (x.cur_ns >= 0 && setns(env->orig_ns, CLONE_NEWNS) == 0)
				x.cur_ns = -1;
			run_undo(&x);
			break;
		}
	}
	if (r >= 0 && env->commit) {
		r = enter_ns(&x, -1, err);
		if (r >= 0)
			r = env->commit(err);
		if (r < 0) {
			*ret_step = 0;
			run_undo(&x);
		}
	}
	for (size_t i = 0; i < x.n_undo; i++) {
		if (x.undo[i].kind != UNDO_FILE)
			close(x.undo[i].fd);
		free(x.undo[i].path);
	}
	free(x.undo);
	for (int i = 0; i < plan->n_slots; i++)
		close_slot(&x, i);
	free(x.slots);
	free(x.ns_ids);
	free(x.populated);
	return r;
}

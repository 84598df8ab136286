/* exec.c - the replay executor (see exec.h): each step run through the
 * table of step kinds (steps.c), fds closed after their last use, and on
 * failure the undo log run backwards.  The runs of the steps that reach a
 * namespace or the target (graft, pin) are here, next to that log; those
 * that build the detached trees are in exec_steps.c. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/replay/exec.h"
#include "lib/replay/exec_steps.h"
#include "lib/replay/preflight.h"
#include "lib/core/log.h"
#include "lib/replay/replay_ns.h"
#include "lib/replay/resolve.h"
#include "lib/replay/steps.h"
#include "lib/kernel/fsctx.h"
#include "lib/kernel/syscalls.h"

static void run_undo(struct mnts_exec *x)
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

/* Binds the namespace file nsfd at DIR/name. */
static int pin_at(struct mnts_exec *x, const char *label, int nsfd, struct mnts_error *err)
{
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
	if (file == -EEXIST) {
		/* a stale pin (its namespace gone) is made again in place,
		 * and left as it was by the undo; anything else is refused */
		int state = mnts_pin_state(x->env->new_dir_fd, label);

		if (state != MNTS_PIN_STALE)
			return mnts_err(
			    err, state < 0 ? -state : EEXIST, "pin '%s/%s'%s", x->env->new_dir,
			    label, state == MNTS_PIN_LIVE ? ": a namespace is pinned there" : "");
	} else if (file < 0) {
		return mnts_err(err, -file, "create '%s/%s'", x->env->new_dir, label);
	} else {
		push_undo(x, UNDO_FILE, x->env->new_dir_fd, label, -1);
	}
	closep(&file);
	file = mnts_open_beneath(x->env->new_dir_fd, label);
	if (file < 0)
		return mnts_err(err, -file, "open '%s/%s'", x->env->new_dir, label);
	pin = clone_fd(nsfd);
	if (pin < 0)
		return mnts_err(err, errno, "clone the namespace file");
	if (mnts_sys_move_mount(pin, "", file, "",
				MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return mnts_err(err, errno, "bind the namespace file at '%s/%s'", x->env->new_dir,
				label);
	push_undo(x, UNDO_PIN, TAKE_FD(pin), label, -1);
	return 0;
}

int mnts_run_pin(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const char *label = x->plan->nss[s->obj].ns->label;
	_cleanup_free_ char *userns_label = NULL;
	int r = pin_at(x, label, *slot(x, s->aux), err);

	/* a user namespace replay made (NS_OWN) lives only as long as
	 * something holds it: DIR/LABEL.userns */
	if (r < 0 || s->src < 0 || *slot(x, s->src) < 0)
		return r;
	userns_label = xasprintf("%s.userns", label);
	return pin_at(x, userns_label, *slot(x, s->src), err);
}

int mnts_run_ns_own(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const struct mnts_ns *ns = x->plan->nss[s->obj].ns;
	_cleanup_close_ int userns = -1;
	bool created = false;
	int fd;

	/* from the caller's namespace: the user namespace is found or made
	 * through its /proc (a namespace being built has none, and an ATTACH
	 * before may have entered one: plan_steps.c) */
	if (x->cur_ns != -1) {
		if (setns(x->env->orig_ns, CLONE_NEWNS) < 0)
			return mnts_err(err, errno, "setns back to the caller's namespace");
		x->cur_ns = -1;
	}
	if (x->env->userns_fd >= 0) {
		userns = fcntl(x->env->userns_fd, F_DUPFD_CLOEXEC, 3);
		if (userns < 0)
			return mnts_err(err, errno, "dup the --userns namespace");
	} else {
		userns = mnts_userns_for(ns, &created, err);
		if (userns < 0)
			return userns;
	}
	fd = mnts_ns_copy_owned(*slot(x, s->aux), userns, err);
	if (fd < 0)
		return fd;
	close_slot(x, s->aux);
	*slot(x, s->aux) = fd;
	/* entering the namespace now means entering the copy */
	if (x->cur_ns == s->obj)
		x->cur_ns = -2;
	(void)mnts_mnt_ns_id(fd, &x->ns_ids[s->obj]);
	if (created)
		*slot(x, s->dst) = TAKE_FD(userns);
	return 0;
}

static int do_graft(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	const char *root_dir = x->env->root_dir;
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
	shared = mnts_fd_shared_mount(at, NULL, NULL);
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

int mnts_run_ns_populate(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	/* from the caller's namespace, and back there: an ATTACH after the
	 * namespace before may have entered that one (plan_steps.c) */
	if (x->cur_ns != -1) {
		if (setns(x->env->orig_ns, CLONE_NEWNS) < 0)
			return mnts_err(err, errno, "setns back to the caller's namespace");
		x->cur_ns = -1;
	}
	x->populated[s->obj] = true;
	return mnts_ns_populate(x->env->orig_ns, *slot(x, s->aux), *slot(x, s->src),
				x->env->root_dir, err);
}

int mnts_run_graft(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err)
{
	x->populated[s->obj] = true;
	return do_graft(x, s, err);
}

static int run_step(struct mnts_exec *x, size_t i, struct mnts_error *err)
{
	const struct mnts_step *s = &x->plan->steps[i];

	if (x->env->fail_at_step > 0 && (size_t)x->env->fail_at_step == i + 1)
		return mnts_err(err, 0, "fault injected (MNTSNAP_FAIL_AT_STEP=%d)",
				x->env->fail_at_step);
	if ((unsigned)s->kind >= MNTS_STEP__COUNT)
		return mnts_err(err, EINVAL, "unknown step kind %d", (int)s->kind);
	return mnts_step_kinds[s->kind].run(x, s, err);
}

/* For each slot, the index of the last step naming it (as dst, src, aux,
 * keep or view): it is closed after that step.  -1 for the slots some step uses
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
		const int used[] = {s->dst, s->src, s->aux, s->keep, s->view};

		for (size_t k = 0; k < ARRAY_SIZE(used); k++)
			if (used[k] >= 0 && !keep[used[k]])
				last[used[k]] = (ssize_t)i;
	}
	free(keep);
	return last;
}

size_t mnts_exec_peak_fds(const struct mnts_plan *plan)
{
	_cleanup_free_ ssize_t *last_use = slots_last_use(plan);
	_cleanup_free_ bool *open = xcalloc((size_t)plan->n_slots + 1, sizeof(*open));
	size_t cur = 0, peak = 0;

	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct mnts_step *s = &plan->steps[i];
		const int used[] = {s->dst, s->src, s->aux, s->keep, s->view};

		for (size_t k = 0; k < ARRAY_SIZE(used); k++)
			if (used[k] >= 0 && !open[used[k]]) {
				open[used[k]] = true;
				cur++;
			}
		if (cur > peak)
			peak = cur;
		for (size_t k = 0; k < ARRAY_SIZE(used); k++)
			if (used[k] >= 0 && open[used[k]] && last_use[used[k]] == (ssize_t)i) {
				open[used[k]] = false;
				cur--;
			}
	}
	return peak;
}

/* An anchor (a detached member of a peer group, only ever the source of
 * SET_GROUP or of a slave) or a superblock's source clone is moved into one
 * detached tmpfs, the trash, before its fd is closed: closing the last fd
 * of a detached tree dissolves it and waits for an RCU grace period
 * (namespace_unlock()), and a layout of containers has thousands of them
 * (a 50,000-mount container layout: 19,000 waits, half of the replay's
 * wall time).  The trash is closed once, at the end.  The kernel refuses to
 * move a mount that is attached (a live anchor, a source that is a mount of
 * the tree) or is not the root of its tree: such a one is closed as before.
 * Each gets a directory of its own: stacked on one, each move would walk
 * the whole stack. */
void mnts_exec_drop_slot(struct mnts_exec *x, int i)
{
	char name[16];

	if (i < 0 || x->slots[i] < 0)
		return;
	if (x->trashable[i] && x->trash == -1) {
		int fd = mnts_tmpfs_detached();

		x->trash = fd >= 0 ? fd : -2;
	}
	if (x->trashable[i] && x->trash >= 0) {
		/* a directory that stayed empty is taken again */
		snprintf(name, sizeof(name), "%u", x->n_trash);
		if ((mkdirat(x->trash, name, 0700) == 0 || errno == EEXIST) &&
		    !mnts_sys_move_mount(x->slots[i], "", x->trash, name, MOVE_MOUNT_F_EMPTY_PATH))
			x->n_trash++;
	}
	close_slot(x, i);
}

int mnts_exec_run(const struct mnts_plan *plan, const struct mnts_exec_env *env, size_t *ret_step,
		  struct mnts_error *err)
{
	struct mnts_exec x = {.plan = plan, .env = env, .cur_ns = -1, .seed_ns = env->seed_ns};
	_cleanup_free_ ssize_t *last_use = NULL;
	int r = 0;

	x.slots = xcalloc((size_t)plan->n_slots + 1, sizeof(int));
	x.trash = -1;
	x.trashable = xcalloc((size_t)plan->n_slots + 1, sizeof(bool));
	for (size_t g = 0; g < plan->n_groups; g++) {
		if (plan->groups[g].anchor_slot >= 0)
			x.trashable[plan->groups[g].anchor_slot] = true;
		if (plan->groups[g].slave_anchor_slot >= 0)
			x.trashable[plan->groups[g].slave_anchor_slot] = true;
	}
	/* a superblock's source, once no mount is cloned from it any more,
	 * unless it is a mount of the tree itself (attached: a move would fail,
	 * two wasted calls per mount in a layout of one mount per superblock) */
	for (size_t k = 0; k < plan->n_sbs; k++)
		if (plan->sbs[k].slot >= 0)
			x.trashable[plan->sbs[k].slot] = true;
	for (size_t i = 0; i < plan->n_mounts; i++)
		if (plan->mounts[i].slot >= 0)
			x.trashable[plan->mounts[i].slot] = false;
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
			const int used[] = {s->dst, s->src, s->aux, s->keep, s->view};

			for (size_t k = 0; k < ARRAY_SIZE(used); k++)
				if (used[k] >= 0 && last_use[used[k]] == (ssize_t)i)
					mnts_exec_drop_slot(&x, used[k]);
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
	if (r >= 0 && env->livecheck) {
		/* what the plan assumed holds to the end, those that must stay
		 * out of sight too (no step waits for them) */
		r = mnts_livecheck_wait_all(env->livecheck, env->cancelled);
		if (r < 0) {
			r = mnts_err(err, -r,
				     r == -EINTR ? "interrupted"
						 : "a live mount is not as the snapshot saw it");
			*ret_step = 0;
			if (x.cur_ns >= 0 && setns(env->orig_ns, CLONE_NEWNS) == 0)
				x.cur_ns = -1;
			run_undo(&x);
		}
	}
	if (r >= 0 && env->commit) {
		/* back in the caller's namespace, where the undo starts */
		if (x.cur_ns != -1 && setns(env->orig_ns, CLONE_NEWNS) < 0)
			r = mnts_err(err, errno, "setns back to the caller's namespace");
		else
			x.cur_ns = -1;
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
	if (x.trash >= 0)
		mnts_debug(2, "peer group anchors and sources: %u dropped at once", x.n_trash);
	/* kept, and nothing of it held any more (pins, grafts, namespaces):
	 * the caller need not wait for the rest */
	if (r >= 0 && env->kept)
		env->kept();
	/* every anchor at once: one wait for the RCU grace period */
	if (x.trash >= 0)
		close(x.trash);
	free(x.trashable);
	if (x.seed_ns >= 0)
		close(x.seed_ns);
	free(x.slots);
	free(x.ns_ids);
	free(x.populated);
	return r;
}

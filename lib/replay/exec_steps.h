/* exec_steps.h - the run of each step kind, and the executor state they
 * share with exec.c (only exec.c, exec_steps.c and steps.c include it).
 *
 * The table of step kinds (steps.c) names, per kind, the function here that
 * runs it and the syscalls it makes.  They are called only by mnts_exec_run,
 * in step order, in the single-threaded replay child.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>

#include "lib/core/error.h"
#include "lib/core/macros.h"
#include "lib/kernel/syscalls.h"
#include "lib/replay/exec.h"
#include "lib/replay/plan.h"

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

/* What a run of the plan holds: its fds, where it is, what to undo. */
struct mnts_exec {
	const struct mnts_plan *plan;
	const struct mnts_exec_env *env;
	int *slots;
	uint64_t *ns_ids;
	struct undo *undo;
	size_t n_undo;
	int cur_ns;	 /* index into plan->nss of the namespace we are in; -1: the caller's */
	bool *populated; /* per namespace: its tree is in it */
	int seed_ns;	 /* the namespace new ones are copied from, or -1 (mnts_ns_seed()) */
	/* anchors and sources are put here when done (exec.c, drop_slot()):
	 * a detached tree of its own; -1 not made yet, -2 cannot be */
	int trash;
	unsigned n_trash;
	bool *trashable; /* per slot: a group's anchor or slave anchor, a source */
};

static inline int *slot(struct mnts_exec *x, int i)
{
	return &x->slots[i];
}

static inline void close_slot(struct mnts_exec *x, int i)
{
	if (i >= 0 && x->slots[i] >= 0) {
		close(x->slots[i]);
		x->slots[i] = -1;
	}
}

/* Closes slot i when done with it; an anchor or a source goes into the
 * trash first. */
void mnts_exec_drop_slot(struct mnts_exec *x, int i);

static inline void push_undo(struct mnts_exec *x, enum undo_kind kind, int fd, const char *path,
			     int created_from)
{
	x->undo = xreallocarray(x->undo, x->n_undo + 1, sizeof(*x->undo));
	x->undo[x->n_undo++] = (struct undo){kind, fd, path ? xstrdup(path) : NULL, created_from};
}

static inline int clone_fd(int fd)
{
	return mnts_sys_open_tree(fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
}

/* Each runs step s.  Returns: 0 or -errno with err set. */

/* exec_steps.c: building the trees, detached (and in the caller's
 * namespace, or a source's) until NS_POPULATE */
int mnts_run_ns_create(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_sb_fresh(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_sb_clone(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_clone(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_nsfs(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_idmap(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_mountpoint(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_attach(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_flags(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_sb_ro(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_anchor(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_set_group(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_share(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_unbindable(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_drop(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_live_member(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_unlink_root(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);

/* exec.c: what reaches a namespace or the target, and is undone on failure */
int mnts_run_ns_populate(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_graft(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_ns_own(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
/* inside an owned copy (NS_OWN): what the container made */
int mnts_run_attach_inside(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_attach_carried(struct mnts_exec *x, const struct mnts_step *s,
			    struct mnts_error *err);
int mnts_run_rejoin(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
int mnts_run_unbindable_inside(struct mnts_exec *x, const struct mnts_step *s,
			       struct mnts_error *err);
int mnts_run_pin(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);

/* exec.h - run a replay plan, and undo it when a step fails.
 *
 * Runs in the replay child (single-threaded, it changes namespaces).  Every
 * fd the plan names lives in a slot array.  Until namespaces are populated
 * everything is detached and dies with its fds; what reaches a target
 * (grafted trees, pins, created files and directories) is logged and undone
 * in reverse order on failure.
 */
#pragma once

#include <stdbool.h>

#include "lib/core/error.h"
#include "lib/replay/livecheck.h"
#include "lib/replay/plan.h"

struct mnts_exec_env {
	int orig_ns;	     /* the caller's mount namespace */
	int target_ns;	     /* -t/-m: the target namespace, else -1 */
	int new_dir_fd;	     /* --new: O_PATH fd of DIR, else -1 */
	const char *new_dir; /* --new: DIR, absolute (where namespaces are pinned) */
	/* --root: graft under this path in the target namespace, or NULL */
	const char *root_dir;
	/* --userns=PID|NSFILE: the user namespace to own each namespace
	 * captured as owned by one other than the initial, else -1 */
	int userns_fd;
	int fail_at_step;    /* test-only: this step (from 1) fails; 0 = none */
	/* the seed namespace made beforehand (replay.h), or -1; the run
	 * closes it */
	int seed_ns;
	/* the checks of the live mounts the plan assumed (livecheck.h), or
	 * NULL when it assumed none */
	const struct mnts_livecheck *livecheck;
	/* The caller's say in the replay's lifetime (replay.c), each NULL
	 * for "always go on": cancelled() is read before every step (true:
	 * stop and undo); parent_alive() before a pin, which would outlive
	 * everything; commit() after the last step, before the undo log is
	 * dropped, returns 0 to keep the replay or -errno (err filled) to
	 * undo it. */
	bool (*cancelled)(void);
	bool (*parent_alive)(void);
	int (*commit)(struct mnts_error *err);
	/* kept() (or NULL), once the replay is kept and the run holds nothing
	 * of it: before the detached trees it made are closed, which waits
	 * for an RCU grace period */
	void (*kept)(void);
};

/* Returns: 0, or -errno with err naming the step (and *ret_step its number
 * from 1; 0 when commit() refused) after undoing everything done. */
int mnts_exec_run(const struct mnts_plan *plan, const struct mnts_exec_env *env, size_t *ret_step,
		  struct mnts_error *err);

/* The most fds the run of plan holds at once (each is closed after the last
 * step naming it), without the executor's few of its own.  Pure. */
size_t mnts_exec_peak_fds(const struct mnts_plan *plan);

/* preflight.h - everything a replay's execution would find wrong, found
 * before the first change.
 *
 * The executor checks as it goes (a bind root that is gone, a mountpoint
 * missing in a reused filesystem, a pin that exists, a shared --root), and
 * then undoes what it did.  The preflight makes those checks, and the ones
 * made before the executor starts (the target, --userns, the pin directory,
 * fs.mount-max, RLIMIT_NOFILE), up front, without changing anything, and
 * collects every problem instead of stopping at the first: `replay -n`
 * reports them all, and the real run refuses to start while there is one.
 * It reads the host (the plan itself stays pure, plan.h); what it opens
 * (target, user namespace, pin directory) the real run goes on with.
 *
 * Not checked here, left to the executor: sources that live in another
 * mount namespace (cloned there), and what changes between the two.
 */
#pragma once

#include <stdbool.h>

#include "lib/replay/plan.h"
#include "lib/replay/replay.h"

struct mnts_preflight {
	struct mnts_findings problems; /* each one stops the replay */
	struct mnts_findings warnings; /* what the replay does, to know */
	/* for the real run, -1 or NULL when not opened */
	int new_dir_fd;	   /* --new: O_PATH fd of DIR (not when it is to be made) */
	char *new_dir_abs; /* --new: DIR, absolute */
	bool new_dir_make; /* --new DIR is missing and --mkdir makes it */
	int target_ns;	   /* --target/--mount: the target namespace */
	int userns_fd;	   /* --userns=PID|NSFILE */
};

/* A preflight not run yet: no descriptors. */
#define MNTS_PREFLIGHT_INIT {.new_dir_fd = -1, .target_ns = -1, .userns_fd = -1}

/* Checks opts against this host, and plan (NULL when planning failed:
 * then only what needs no plan) with mount_max (fs.mount-max, 0:
 * unknown).  Raises RLIMIT_NOFILE as far as the plan needs and the limits
 * allow (the caller's own, not the target's).  Every problem goes to
 * pf->problems.  Returns: the number of problems, or -errno when the
 * checks themselves failed (err filled). */
int mnts_preflight_run(struct mnts_preflight *pf, const struct mnts_plan *plan,
		       const struct mnts_replay_opts *opts, unsigned long mount_max,
		       struct mnts_error *err);
void mnts_preflight_done(struct mnts_preflight *pf);

enum mnts_pin_state {
	MNTS_PIN_ABSENT, /* nothing at DIR/NAME */
	MNTS_PIN_STALE,	 /* a regular file, nothing mounted on it: a pin whose
			  * namespace is gone, made again there */
	MNTS_PIN_LIVE,	 /* an nsfs mount: a namespace pinned there */
	MNTS_PIN_OTHER,	 /* anything else: never replaced */
};

/* What is at name (one component) in the pin directory dirfd.
 * Returns: an mnts_pin_state or -errno. */
int mnts_pin_state(int dirfd, const char *name);

/* livecheck.h - the live mounts a plan assumed, checked beside its executor.
 *
 * A plan made on an assumed live table (host.h: the snapshot's own mounts,
 * for a snapshot of the caller's namespace in this boot) clones each of
 * those superblocks from the path where the snapshot saw a mount of it.
 * That holds while the mount in sight at the path still has the unique id
 * the snapshot gave it.  A thread of the caller checks each, in the
 * executor's order, while the executor (a child process) runs; the executor
 * waits for a mount's verdict before it clones it.  One that changed stops
 * the executor, which undoes everything, and replay plans again on the
 * whole live table.
 */
#pragma once

#include <stdbool.h>

#include "lib/core/error.h"
#include "lib/replay/plan.h"

struct mnts_livecheck;

struct mnts_live_table;

/* The checks plan needs, made on the live table live (host.h): the mounts
 * it clones, then those that must stay out of sight; their verdicts in
 * memory the executor forked later shares.  *ret NULL when the plan
 * assumed nothing.  Returns: 0 or -errno. */
int mnts_livecheck_new(const struct mnts_plan *plan, const struct mnts_live_table *live,
		       struct mnts_livecheck **ret, struct mnts_error *err);
/* Starts the checks on a thread (in the caller, after the fork). */
void mnts_livecheck_start(struct mnts_livecheck *lc);
/* In the executor: waits for the verdict on superblock sb of the plan.
 * Returns: 0 when its mount is as assumed, -ESTALE when it is not (or
 * another was not), -EINTR when cancelled() said so meanwhile. */
int mnts_livecheck_wait(const struct mnts_livecheck *lc, int sb, bool (*cancelled)(void));
/* In the executor, before it keeps what it did: waits for every check.
 * Returns: as mnts_livecheck_wait(). */
int mnts_livecheck_wait_all(const struct mnts_livecheck *lc, bool (*cancelled)(void));
/* Something assumed is not so (the executor met it): the replay must be
 * planned again.  Also stops the checks. */
void mnts_livecheck_fail(const struct mnts_livecheck *lc);
bool mnts_livecheck_failed(const struct mnts_livecheck *lc);
/* In the caller: waits until the checks end, every verdict given or one
 * not as assumed (NULL: nothing). */
void mnts_livecheck_finish(struct mnts_livecheck *lc);
/* Stops the checks, waits for the thread, frees (NULL: nothing). */
void mnts_livecheck_free(struct mnts_livecheck *lc);

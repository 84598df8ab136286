/* replay_verify.h - after a replay, capture what was built and compare it
 * with the snapshot (the same engine as `mntsnap diff`). */
#pragma once

#include "lib/compare/compare.h"
#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/replay/replay.h"

/* The part of the verification of snap that can be done before the
 * replay is: what the comparison derives from the snapshot alone, and
 * memory of the caller's own for the rest.  It runs while the executor
 * does (replay.h, while_executing), where the caller would only wait.
 * The memory changes malloc's thresholds for the rest of the process
 * (M_TRIM_THRESHOLD, M_MMAP_THRESHOLD): meant for a process that ends
 * after the verification.  After the verification it also holds the
 * capture of the result, for the caller to free when it likes (a process
 * about to exit need not). */
struct mnts_replay_verify_ahead;

/* For a replay of snap with opts (its --ns selection). */
struct mnts_replay_verify_ahead *mnts_replay_verify_ahead_new(const struct mnts_snapshot *snap,
							      const struct mnts_replay_opts *opts);
/* Does it: the while_executing hook, data an mnts_replay_verify_ahead.
 * Called again for a second executor, it prepares the comparison no more
 * but touches the memory again (the first executor's is given back). */
void mnts_replay_verify_ahead_run(void *data);
void mnts_replay_verify_ahead_free(struct mnts_replay_verify_ahead *ahead);

/* Captures the replayed namespaces (--new: DIR/LABEL pins; else the target)
 * and compares them with the replayed part of snap; ahead (or NULL) as made
 * for snap.  Returns: 0 with ret->n == 0 when identical, or -errno. */
int mnts_replay_verify(const struct mnts_snapshot *snap, const struct mnts_replay_opts *opts,
		       struct mnts_replay_verify_ahead *ahead, struct mnts_diff *ret,
		       struct mnts_error *err);

/* replay_verify.h - after a replay, capture what was built and compare it
 * with the snapshot (the same engine as `mntsnap diff`). */
#pragma once

#include "lib/compare/compare.h"
#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/replay/replay.h"

/* Captures the replayed namespaces (--new: DIR/LABEL pins; else the target)
 * and compares them with the replayed part of snap.  Returns: 0 with
 * ret->n == 0 when identical, or -errno. */
int mnts_replay_verify(const struct mnts_snapshot *snap, const struct mnts_replay_opts *opts,
		       struct mnts_diff *ret, struct mnts_error *err);


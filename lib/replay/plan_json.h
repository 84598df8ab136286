/* plan_json.h - `replay -n --json`: the plan and its preflight as one JSON
 * document for scripts (spec/PLAN-JSON.md), written with the project's
 * JSON writer.
 */
#pragma once

#include <stdio.h>

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/replay/plan.h"
#include "lib/replay/replay.h"

#define MNTS_PLAN_JSON_VERSION 1

/* Writes the plan (NULL when planning failed: no steps nor sources), the
 * warnings (strings) and problems to f.  Returns: 0 or -errno (a string
 * that is not UTF-8; the document is written all the same). */
int mnts_plan_json(const struct mnts_plan *plan, const struct mnts_replay_opts *opts,
		   const struct mnts_strv *warnings, const struct mnts_findings *problems, FILE *f,
		   struct mnts_error *err);

/* steps.h - the kinds of replay step, in one table.
 *
 * An entry says all there is to know about a kind: what step.obj indexes,
 * how the step runs (exec_steps.h) and how it reads (--dry-run, -vv and error
 * context).  So running step i is mnts_step_kinds[kind].run and printing it
 * .describe; the comment on each entry (steps.c) names the syscalls the
 * kind makes, as libmount's hook_*.c do for each stage of a mount.
 */
#pragma once

#include <stddef.h>

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/replay/plan.h"

/* What step.obj indexes. */
enum mnts_step_obj {
	MNTS_STEP_OBJ_NONE,
	MNTS_STEP_OBJ_SB,    /* plan->sbs */
	MNTS_STEP_OBJ_MOUNT, /* plan->mounts */
	MNTS_STEP_OBJ_GROUP, /* plan->groups */
	MNTS_STEP_OBJ_NS,    /* plan->nss */
};

/* A step and its object, resolved by its kind's obj (the others NULL). */
struct mnts_step_ref {
	const struct mnts_plan *plan;
	const struct mnts_step *s;
	const struct mnts_plan_sb *sb;
	const struct mnts_plan_mount *pm;
	const struct mnts_mount *m; /* pm->m */
	char name[512];		    /* a mount: mnts_plan_mount_name(m) */
	const struct mnts_plan_group *g;
	const struct mnts_ns *ns;
};

struct mnts_exec; /* the executor's state (exec_steps.h) */

struct mnts_step_kind_def {
	const char *name; /* for scripts: the enum's suffix, lowercase */
	enum mnts_step_obj obj;
	/* Runs step s (exec_steps.h).  Returns: 0 or -errno with err set. */
	int (*run)(struct mnts_exec *x, const struct mnts_step *s, struct mnts_error *err);
	/* One line (no newline) into buf. */
	void (*describe)(const struct mnts_step_ref *r, char *buf, size_t size);
};

/* Indexed by enum mnts_step_kind, every kind present. */
extern const struct mnts_step_kind_def mnts_step_kinds[];

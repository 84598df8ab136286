/* plan_internal.h - what the planner's files share; nothing else includes it.
 *
 * mnts_plan_build() (plan.c) runs the phases in order: namespaces selected,
 * --external applied, each mount's superblock and where each superblock
 * comes from (plan_sources.c), peer groups and masters (plan_groups.c), an
 * error naming every unresolvable mount, namespaces ordered, then the steps
 * (plan_steps.c).  Every phase reads the host facts it is given, never the
 * host itself.
 */
#pragma once

#include <stdbool.h>

#include "lib/core/error.h"
#include "lib/core/model.h"
#include "lib/replay/host.h"
#include "lib/replay/plan.h"

/* plan.c */
int plan_new_slot(struct mnts_plan *plan);
struct mnts_step *plan_add_step(struct mnts_plan *plan, enum mnts_step_kind kind, int obj);
/* Index into plan->nss of ns, or -1 when it is not replayed. */
int plan_ns_index(const struct mnts_plan *plan, const struct mnts_ns *ns);
/* Index into plan->mounts of m, or -1. */
int plan_mount_index(const struct mnts_plan *plan, const struct mnts_mount *m);
/* Whether ns is replayed (--ns). */
bool plan_ns_wanted(const struct mnts_plan_opts *opts, const struct mnts_ns *ns);
/* Adds "'ns0:/a' (fstype dev): why" to the mounts that cannot be replayed. */
void plan_unresolved(struct mnts_strv *bad, const struct mnts_mount *m, const char *fmt, ...)
    _printf_(3, 4);

/* plan_sources.c */
/* --external KEY:PATH, KEY = MOUNTPOINT or LABEL:MOUNTPOINT: *ret_label is
 * NULL without a label, *ret_path points into arg.  Returns: 0 or -errno. */
int plan_parse_external(const char *arg, char **ret_label, char **ret_key, const char **ret_path,
			struct mnts_error *err);
/* The topmost of the mounts stacked at path in ns, or NULL. */
const struct mnts_mount *plan_top_mount_at(const struct mnts_ns *ns, const char *path);
/* Whether m's superblock (one (dev, fstype) across namespaces) comes from
 * --external. */
bool plan_on_external(const struct mnts_snapshot *snap, const struct mnts_mount *m,
		      const struct mnts_plan_opts *opts);
/* Length of the deepest common ancestor of a (its first len bytes) and b,
 * both normalised absolute paths. */
size_t plan_common_ancestor_len(const char *a, size_t len, const char *b);
/* ext_of[i]: the --external path of plan->mounts[i], or NULL.  Returns: 0 or -errno. */
int plan_apply_externals(struct mnts_plan *plan, char **ext_of, struct mnts_error *err);
/* Each mount's superblock (rule_of[i]: the --map-source rule mount i is
 * taken by, or -1, filled here; hp: the host paths, NULL without rules);
 * mounts that cannot be replayed are added to bad. */
void plan_group_superblocks(struct mnts_plan *plan, char **ext_of, int *rule_of,
			    const struct mnts_host_paths *hp, struct mnts_strv *bad);
/* Each superblock's source, after plan_group_superblocks(). */
void plan_resolve_sources(struct mnts_plan *plan, char **ext_of, const struct mnts_host_paths *hp,
			  const struct mnts_host *host, struct mnts_strv *bad);

/* plan_groups.c: peer groups, their masters and the masters of pure slaves,
 * rejoining live groups outside the snapshot where lg has them. */
void plan_build_groups(struct mnts_plan *plan, const struct mnts_live_groups *lg,
		       struct mnts_strv *bad);

/* plan_steps.c: every step, in order.  Returns: 0 or -errno. */
int plan_build_steps(struct mnts_plan *plan, struct mnts_error *err);

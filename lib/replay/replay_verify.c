/* replay_verify.c - capture the result of a replay and compare (see replay_verify.h) */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compare/side.h"
#include "lib/replay/replay_verify.h"
#include "lib/replay/resolve.h"

static bool selected(const struct mnts_replay_opts *opts, const char *label)
{
	if (opts->n_ns_labels == 0)
		return true;
	for (size_t i = 0; i < opts->n_ns_labels; i++)
		if (streq(opts->ns_labels[i], label))
			return true;
	return false;
}

int mnts_replay_verify(const struct mnts_snapshot *snap, const struct mnts_replay_opts *opts,
		       struct mnts_diff *ret, struct mnts_error *err)
{
	_cleanup_snapshot_ struct mnts_snapshot *got = NULL;
	_cleanup_free_ struct mnts_target *targets = NULL;
	_cleanup_free_ char **paths = NULL;
	_cleanup_free_ char **labels = NULL;
	struct mnts_compare_opts cmp = {0};
	size_t n = 0;
	int r;

	targets = xcalloc(snap->n_ns + 1, sizeof(*targets));
	paths = xcalloc(snap->n_ns + 1, sizeof(*paths));
	labels = xcalloc(snap->n_ns + 1, sizeof(*labels));
	for (size_t i = 0; i < snap->n_ns; i++) {
		const struct mnts_ns *ns = &snap->nss[i];

		if (!selected(opts, ns->label))
			continue;
		labels[n] = ns->label;
		if (opts->target == MNTS_REPLAY_NEW) {
			paths[n] = xasprintf("%s/%s", opts->new_dir, ns->label);
			targets[n] = (struct mnts_target){
			    .kind = MNTS_TARGET_NSFILE, .arg = paths[n], .label = ns->label};
		} else if (opts->target == MNTS_REPLAY_PID) {
			targets[n] = (struct mnts_target){.kind = MNTS_TARGET_PID,
							  .num = (uint64_t)opts->pid,
							  .label = ns->label};
		} else {
			targets[n] = (struct mnts_target){
			    .kind = MNTS_TARGET_NSFILE, .arg = opts->nsfile, .label = ns->label};
		}
		n++;
	}
	r = mnts_side_open_targets(targets, n, opts->root_dir, &got, err);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	if (r < 0)
		return mnts_err_prefix(err, "capture the result");

	mnts_side_rebase_onto(got, snap);
	cmp.ns_labels = labels;
	cmp.n_ns_labels = n;
	r = mnts_compare(snap, got, &cmp, ret, err);
	if (r < 0)
		return mnts_err_prefix(err, "compare with the snapshot");
	return 0;
}

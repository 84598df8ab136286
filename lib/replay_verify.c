/* replay_verify.c - capture the result of a replay and compare (see replay_verify.h) */
#include <errno.h>
#include <stdlib.h>

#include "lib/replay_verify.h"

int mnts_replay_verify(const struct mnts_snapshot *snap, const struct mnts_replay_opts *opts,
		       struct mnts_diff *ret, struct mnts_error *err)
{
	(void)snap;
	(void)opts;
	(void)ret;
	/* filled in once lib/capture.c and lib/compare.c land on main */
	return mnts_err(err, ENOSYS, "verification: capture is not available in this build "
				     "(use --no-verify)");
}

void mnts_replay_verify_done(struct mnts_diff *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->items[i].ns);
		free(d->items[i].mountpoint);
		free(d->items[i].field);
		free(d->items[i].old_value);
		free(d->items[i].new_value);
		free(d->items[i].text);
	}
	free(d->items);
	d->items = NULL;
	d->n = 0;
}

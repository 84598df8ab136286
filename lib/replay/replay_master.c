/* replay_master.c - live members of peer groups outside a snapshot (see replay_master.h) */
#include <string.h>

#include "lib/capture/capture.h"
#include "lib/core/log.h"
#include "lib/kernel/nsenum.h"
#include "lib/replay/replay_master.h"
#include "lib/replay/sbsource.h"

int mnts_live_groups_read(struct mnts_live_groups *lg, struct mnts_error *err)
{
	struct mnts_capture_opts opts = {.backend = MNTS_BACKEND_AUTO};
	int r;

	lg->self_ns_id = mnts_nsenum_self_id();
	r = mnts_capture(&opts, &lg->all, err);
	if (r < 0)
		return mnts_err_prefix(err, "capture the live peer groups");
	return 0;
}

void mnts_live_groups_done(struct mnts_live_groups *lg)
{
	mnts_snapshot_free(lg->all);
	lg->all = NULL;
}

/* The member of group_id (0: any mount) on superblock dev/fstype whose
 * root contains root: the caller's namespace first, then the shortest root. */
static const struct mnts_mount *find_member(const struct mnts_live_groups *lg, uint64_t group_id,
					    uint32_t dev_major, uint32_t dev_minor,
					    const char *fstype, const char *root, bool other_ns)
{
	const struct mnts_mount *best = NULL;
	bool best_self = false;

	if (!lg->all)
		return NULL;
	for (size_t n = 0; n < lg->all->n_ns; n++) {
		const struct mnts_ns *ns = &lg->all->nss[n];
		bool self = ns->mnt_ns_id && ns->mnt_ns_id == lg->self_ns_id;

		/* a namespace that cannot be entered again by id is no use */
		if (!ns->mnt_ns_id || (self && other_ns))
			continue;
		for (size_t i = 0; i < ns->n_mounts; i++) {
			const struct mnts_mount *m = &ns->mounts[i];

			if ((group_id && m->shared_id != group_id) || m->dev_major != dev_major ||
			    m->dev_minor != dev_minor || !streq(m->fstype, fstype) || m->deleted ||
			    m->unbindable || !mnts_path_contains(m->root, root))
				continue;
			if (best && (best_self && !self))
				continue;
			if (best && best_self == self && strlen(best->root) <= strlen(m->root))
				continue;
			best = m;
			best_self = self;
		}
	}
	return best;
}

const struct mnts_mount *mnts_live_group_member(const struct mnts_live_groups *lg,
						uint64_t group_id, uint32_t dev_major,
						uint32_t dev_minor, const char *fstype,
						const char *root)
{
	return find_member(lg, group_id, dev_major, dev_minor, fstype, root, false);
}

const struct mnts_mount *mnts_live_sb_elsewhere(struct mnts_live_groups *lg, uint32_t dev_major,
						uint32_t dev_minor, const char *fstype,
						const char *root)
{
	struct mnts_error err = {0};

	if (!lg->all && !lg->tried) {
		lg->tried = true;
		if (mnts_live_groups_read(lg, &err) < 0)
			mnts_debug(1, "%s", err.msg);
	}
	return find_member(lg, 0, dev_major, dev_minor, fstype, root, true);
}

/* replay_master.c - live members of peer groups outside a snapshot (see replay_master.h) */
#include <string.h>

#include "lib/replay/replay_master.h"
#include "lib/replay/sbsource.h"

const struct mnts_mount *mnts_live_group_member(const struct mnts_live_groups *lg,
						uint64_t group_id, uint32_t dev_major,
						uint32_t dev_minor, const char *fstype,
						const char *root)
{
	const struct mnts_mount *best = NULL;
	bool best_self = false;

	if (!lg->all)
		return NULL;
	for (size_t n = 0; n < lg->all->n_ns; n++) {
		const struct mnts_ns *ns = &lg->all->nss[n];
		bool self = ns->mnt_ns_id && ns->mnt_ns_id == lg->self_ns_id;

		/* a namespace that cannot be entered again by id is no use */
		if (!ns->mnt_ns_id)
			continue;
		for (size_t i = 0; i < ns->n_mounts; i++) {
			const struct mnts_mount *m = &ns->mounts[i];

			if (m->shared_id != group_id || m->dev_major != dev_major ||
			    m->dev_minor != dev_minor || !streq(m->fstype, fstype) || m->deleted ||
			    !mnts_path_contains(m->root, root))
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

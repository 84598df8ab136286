/* replay_master.c - live mounts and peer groups of other namespaces (see replay_master.h) */
#include <string.h>

#include "lib/core/path.h"
#include "lib/replay/replay_master.h"
#include "lib/replay/sbsource.h"

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
			    m->unbindable || !mnts_path_at_or_below(root, m->root))
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

const struct mnts_mount *mnts_live_sb_elsewhere(const struct mnts_live_groups *lg,
						uint32_t dev_major, uint32_t dev_minor,
						const char *fstype, const char *root)
{
	return find_member(lg, 0, dev_major, dev_minor, fstype, root, true);
}

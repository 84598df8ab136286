/* plan_groups.c - peer groups and masters of a replay (see plan.h) */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/log.h"
#include "lib/spec/spec_snap.h"
#include "lib/replay/plan_internal.h"

static int find_group(const struct mnts_plan *plan, uint64_t shared_id)
{
	return mnts_u64map_get(&plan->group_by_id, shared_id);
}

static int add_group(struct mnts_plan *plan, struct mnts_plan_group grp)
{
	plan->groups = xreallocarray(plan->groups, plan->n_groups + 1, sizeof(*plan->groups));
	plan->groups[plan->n_groups] = grp;
	mnts_u64map_put(&plan->group_by_id, grp.shared_id, (int)plan->n_groups);
	return (int)plan->n_groups++;
}

/* Master group master_id has no member in the replay: without --fresh,
 * rejoin it where it is still alive on this host.  A member on the same
 * superblock whose root contains every root replayed from that superblock
 * (SET_GROUP needs the from root to contain the to root) becomes a live
 * group; when the superblock is not mounted in the caller's namespace, that
 * member is also its source (a fresh superblock could not join the group).
 * Returns: its index into groups, or -1 (warning left to the caller). */
static int live_master(struct mnts_plan *plan, const struct mnts_live_groups *lg,
		       uint64_t master_id, int sb_index)
{
	struct mnts_plan_sb *sb = &plan->sbs[sb_index];
	const struct mnts_mount *lm;

	/* group ids and device numbers of another boot name nothing here */
	if (plan->opts->fresh || sb->how == MNTS_SB_EXTERNAL || plan->other_boot || sb->layered ||
	    sb->source_here)
		return -1;
	lm = mnts_live_group_member(lg, master_id, sb->dev_major, sb->dev_minor, sb->fstype,
				    sb->roots_common);
	if (!lm)
		return -1;
	if (sb->how == MNTS_SB_FRESH) {
		/* the member is the source too: mounts must share its superblock */
		sb->how = MNTS_SB_LIVE;
		sb->options = sb->ro = false;
		free(sb->root);
		sb->root = xstrdup(lm->root);
		sb->path = xstrdup(lm->mountpoint);
		sb->ns_id = lm->ns->mnt_ns_id == lg->self_ns_id ? 0 : lm->ns->mnt_ns_id;
	}
	mnts_debug(1, "master group %" PRIu64 ": live member '%s' in mount namespace %" PRIu64,
		   master_id, lm->mountpoint, lm->ns->mnt_ns_id);
	return add_group(plan,
			 (struct mnts_plan_group){
			     .shared_id = master_id,
			     .master = -1,
			     .sb = sb_index,
			     .anchor_slot = -1,
			     .slave_anchor_slot = -1,
			     .live = true,
			     .path = xstrdup(lm->mountpoint),
			     .live_id = lm->mnt_id,
			     .ns_id = lm->ns->mnt_ns_id == lg->self_ns_id ? 0 : lm->ns->mnt_ns_id,
			 });
}

/* A group per shared_id of the replayed mounts. */
static void find_peer_groups(struct mnts_plan *plan, struct mnts_strv *bad)
{
	char name[512];

	for (size_t i = 0; i < plan->n_mounts; i++) {
		struct mnts_plan_mount *pm = &plan->mounts[i];
		int g;

		if (!pm->m->shared_id)
			continue;
		if (pm->sb < 0) {
			mnts_warn("'%s': a shared namespace file mount: replayed private",
				  mnts_plan_mount_name(pm->m, name, sizeof(name)));
			continue;
		}
		g = find_group(plan, pm->m->shared_id);
		if (g < 0) {
			g = add_group(plan, (struct mnts_plan_group){
						.shared_id = pm->m->shared_id,
						.master_id = pm->m->master_id,
						.master = -1,
						.sb = pm->sb,
						.anchor_slot = -1,
						.slave_anchor_slot = -1,
					    });
		} else if (plan->groups[g].sb != pm->sb) {
			plan_unresolved(bad, pm->m, "peer group %" PRIu64 " spans two superblocks",
					pm->m->shared_id);
		}
		pm->group = g;
	}
}

/* What a warning about a missing master adds when the dry run did not look
 * on this host (host.c). */
static const char *unread(const struct mnts_plan *plan, const struct mnts_live_groups *lg)
{
	return lg->masters_unread && !plan->opts->fresh
		   ? " (unless it is alive on this host: a dry run does not look)"
		   : "";
}

/* Each group's master group: in the replay, or live on this host. */
static void find_group_masters(struct mnts_plan *plan, const struct mnts_live_groups *lg,
			       struct mnts_strv *bad)
{
	for (size_t g = 0; g < plan->n_groups; g++) {
		struct mnts_plan_group *grp = &plan->groups[g];
		int master;

		if (!grp->master_id)
			continue;
		master = find_group(plan, grp->master_id);
		if (master < 0)
			master = live_master(plan, lg, grp->master_id, grp->sb);
		/* live_master() may grow groups and so move grp: not
		 * `grp->master = live_master(...)`, whose left side C may
		 * evaluate before the call */
		grp = &plan->groups[g];
		grp->master = master;
		if (grp->master < 0)
			mnts_warn("peer group %" PRIu64 ": its master group %" PRIu64
				  " has no member in the replay: replayed without a master%s",
				  grp->shared_id, grp->master_id, unread(plan, lg));
		else if (plan->groups[grp->master].sb != grp->sb)
			mnts_strv_push_take(bad, xasprintf("peer group %" PRIu64
							   ": its master group %" PRIu64
							   " is on another superblock",
							   grp->shared_id, grp->master_id));
	}
}

/* The master group of each pure slave. */
static void find_slave_masters(struct mnts_plan *plan, const struct mnts_live_groups *lg,
			       struct mnts_strv *bad)
{
	char name[512];

	for (size_t i = 0; i < plan->n_mounts; i++) {
		struct mnts_plan_mount *pm = &plan->mounts[i];

		if (pm->m->shared_id || !pm->m->master_id || pm->sb < 0)
			continue;
		pm->slave_of = find_group(plan, pm->m->master_id);
		if (pm->slave_of < 0)
			pm->slave_of = live_master(plan, lg, pm->m->master_id, pm->sb);
		if (pm->slave_of < 0)
			mnts_warn("'%s': its master group %" PRIu64
				  " has no member in the replay: replayed private%s",
				  mnts_plan_mount_name(pm->m, name, sizeof(name)), pm->m->master_id,
				  unread(plan, lg));
		else if (plan->groups[pm->slave_of].sb != pm->sb)
			plan_unresolved(bad, pm->m,
					"its master group %" PRIu64 " is on another superblock",
					pm->m->master_id);
	}
}

void plan_build_groups(struct mnts_plan *plan, const struct mnts_live_groups *lg,
		       struct mnts_strv *bad)
{
	find_peer_groups(plan, bad);
	find_group_masters(plan, lg, bad);
	find_slave_masters(plan, lg, bad);
}

/* A superblock of wanted masters, and the common ancestor of the roots
 * replayed from it (its first len bytes of root). */
struct want_sb {
	uint32_t dev_major, dev_minor;
	const char *fstype, *root;
	size_t len;
	int next; /* another with this device number (fstype differs), -1 */
};

static int want_sb_of(struct want_sb **v, size_t *n, struct mnts_u64map *by_dev,
		      const struct mnts_mount *m, bool add)
{
	uint64_t dev = (uint64_t)m->dev_major << 32 | m->dev_minor;
	int first = mnts_u64map_get(by_dev, dev);

	for (int i = first; i >= 0; i = (*v)[i].next)
		if (streq((*v)[i].fstype, m->fstype))
			return i;
	if (!add)
		return -1;
	*v = xreallocarray(*v, *n + 1, sizeof(**v));
	(*v)[*n] = (struct want_sb){m->dev_major, m->dev_minor, m->fstype, NULL, 0, first};
	mnts_u64map_put(by_dev, dev, (int)*n);
	return (int)(*n)++;
}

void mnts_plan_want_masters(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts,
			    struct mnts_live_wants *w)
{
	struct mnts_u64map shared = {0}, seen = {0}, by_dev = {0};
	_cleanup_free_ struct want_sb *sbs = NULL;
	_cleanup_free_ int *sb_of = NULL;
	size_t n_sbs = 0, first = w->n;
	bool any = false;

	if (opts->fresh)
		return;
	/* most snapshots have no slave at all */
	for (size_t n = 0; n < snap->n_ns && !any; n++)
		for (size_t i = 0; i < snap->nss[n].n_mounts && !any; i++)
			any = snap->nss[n].mounts[i].master_id != 0;
	if (!any)
		return;
	for (size_t n = 0; n < snap->n_ns; n++) {
		const struct mnts_ns *ns = &snap->nss[n];

		if (!plan_ns_wanted(opts, ns))
			continue;
		for (size_t i = 0; i < ns->n_mounts; i++)
			if (ns->mounts[i].shared_id && !ns->mounts[i].nsfs_type)
				mnts_u64map_put(&shared, ns->mounts[i].shared_id, 0);
	}
	/* each master group outside, once per superblock of its slaves */
	for (size_t n = 0; n < snap->n_ns; n++) {
		const struct mnts_ns *ns = &snap->nss[n];

		if (!plan_ns_wanted(opts, ns))
			continue;
		for (size_t i = 0; i < ns->n_mounts; i++) {
			const struct mnts_mount *m = &ns->mounts[i];
			int sb;

			/* a spec's master group is never live: its device is made up */
			if (!m->master_id || m->nsfs_type ||
			    mnts_spec_dev_is_made_up(m->dev_major, m->dev_minor) ||
			    mnts_u64map_get(&shared, m->master_id) >= 0 ||
			    plan_on_external(snap, m, opts))
				continue;
			sb = want_sb_of(&sbs, &n_sbs, &by_dev, m, true);
			if (mnts_u64map_get(&seen, m->master_id) == sb)
				continue;
			mnts_u64map_put(&seen, m->master_id, sb);
			w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
			w->v[w->n++] = (struct mnts_live_want){
			    .group_id = m->master_id,
			    .dev_major = m->dev_major,
			    .dev_minor = m->dev_minor,
			    .fstype = m->fstype,
			};
			sb_of = xreallocarray(sb_of, w->n - first, sizeof(*sb_of));
			sb_of[w->n - first - 1] = sb;
		}
	}
	/* the roots replayed from those superblocks: only when there are any */
	for (size_t n = 0; n < snap->n_ns && n_sbs; n++) {
		const struct mnts_ns *ns = &snap->nss[n];

		if (!plan_ns_wanted(opts, ns))
			continue;
		for (size_t i = 0; i < ns->n_mounts; i++) {
			const struct mnts_mount *m = &ns->mounts[i];
			int sb = m->nsfs_type ? -1 : want_sb_of(&sbs, &n_sbs, &by_dev, m, false);

			if (sb < 0)
				continue;
			if (!sbs[sb].root) {
				sbs[sb].root = m->root;
				sbs[sb].len = strlen(m->root);
			} else if (sbs[sb].len > 1) {
				sbs[sb].len =
				    plan_common_ancestor_len(sbs[sb].root, sbs[sb].len, m->root);
			}
		}
	}
	for (size_t k = first; k < w->n; k++)
		w->v[k].root = xstrndup(sbs[sb_of[k - first]].root, sbs[sb_of[k - first]].len);
	mnts_u64map_free(&shared);
	mnts_u64map_free(&seen);
	mnts_u64map_free(&by_dev);
}

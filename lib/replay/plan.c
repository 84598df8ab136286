/* plan.c - validate a snapshot for replay and compute the steps (see plan.h) */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>

#include "lib/replay/features.h"
#include "lib/core/log.h"
#include "lib/replay/plan.h"
#include "lib/replay/replay_master.h"
#include "lib/replay/resolve.h"
#include "lib/replay/sbsource.h"
#include "lib/kernel/syscalls.h"

static int new_slot(struct mnts_plan *plan)
{
	return plan->n_slots++;
}

static struct mnts_step *add_step(struct mnts_plan *plan, enum mnts_step_kind kind, int obj)
{
	struct mnts_step *s;

	if (plan->n_steps == plan->cap_steps) {
		plan->cap_steps = plan->cap_steps ? 2 * plan->cap_steps : 256;
		plan->steps = xreallocarray(plan->steps, plan->cap_steps, sizeof(*plan->steps));
	}
	s = &plan->steps[plan->n_steps++];
	*s = (struct mnts_step){
	    .kind = kind, .obj = obj, .dst = -1, .src = -1, .aux = -1, .keep = -1};
	return s;
}

static int plan_ns_index(const struct mnts_plan *plan, const struct mnts_ns *ns)
{
	for (size_t i = 0; i < plan->n_nss; i++)
		if (plan->nss[i].ns == ns)
			return (int)i;
	return -1;
}

static int mount_index(const struct mnts_plan *plan, const struct mnts_mount *m)
{
	int n = plan_ns_index(plan, m->ns);

	return n < 0 ? -1 : plan->nss[n].base + (int)m->index;
}

static int select_namespaces(struct mnts_plan *plan, struct mnts_error *err)
{
	const struct mnts_snapshot *snap = plan->snap;
	const struct mnts_replay_opts *opts = plan->opts;

	plan->nss = xcalloc(snap->n_ns ? snap->n_ns : 1, sizeof(*plan->nss));
	for (size_t i = 0; i < opts->n_ns_labels; i++)
		if (!mnts_snapshot_find_ns(snap, opts->ns_labels[i]))
			return mnts_err(err, 0, "--ns '%s': no such namespace in the snapshot",
					opts->ns_labels[i]);
	for (size_t i = 0; i < snap->n_ns; i++) {
		const struct mnts_ns *ns = &snap->nss[i];
		bool want = opts->n_ns_labels == 0;

		for (size_t k = 0; k < opts->n_ns_labels && !want; k++)
			want = streq(opts->ns_labels[k], ns->label);
		if (want)
			plan->nss[plan->n_nss++] = (struct mnts_plan_ns){.ns = ns, .slot = -1};
	}
	if (plan->n_nss == 0)
		return mnts_err(err, 0, "snapshot: has no namespace to replay");
	if (opts->target != MNTS_REPLAY_NEW && plan->n_nss != 1)
		return mnts_err(err, 0,
				"target namespace: receives one snapshot namespace, the snapshot "
				"has %zu (choose one with --ns)",
				plan->n_nss);
	return 0;
}

/* --external KEY:PATH, KEY = MOUNTPOINT or LABEL:MOUNTPOINT. */
static int apply_externals(struct mnts_plan *plan, char **ext_of, struct mnts_error *err)
{
	for (size_t e = 0; e < plan->opts->n_externals; e++) {
		const char *arg = plan->opts->externals[e];
		_cleanup_free_ char *label = NULL, *key = NULL;
		const char *p = arg, *colon;
		size_t found = 0;

		if (*p != '/') {
			colon = strchr(p, ':');
			if (!colon)
				return mnts_err(err, 0, "--external '%s': expected KEY:PATH", arg);
			label = strndup(p, (size_t)(colon - p));
			p = colon + 1;
		}
		colon = strchr(p, ':');
		if (!colon || colon[1] == '\0')
			return mnts_err(err, 0, "--external '%s': expected KEY:PATH", arg);
		key = strndup(p, (size_t)(colon - p));
		if (!mnts_path_is_normal(key))
			return mnts_err(err, 0, "--external '%s': key '%s': not an absolute path",
					arg, key);
		for (size_t n = 0; n < plan->n_nss; n++) {
			const struct mnts_ns *ns = plan->nss[n].ns;
			const struct mnts_mount *top = NULL;

			if (label && !streq(label, ns->label))
				continue;
			/* the topmost of the mounts stacked at KEY */
			for (size_t i = 0; i < ns->n_mounts; i++) {
				const struct mnts_mount *m = &ns->mounts[i];
				bool covered = false;

				if (!streq(m->mountpoint, key))
					continue;
				for (size_t k = 0; k < m->n_children; k++)
					covered |= streq(m->children[k]->mountpoint, key);
				if (!covered)
					top = m;
			}
			if (top) {
				free(ext_of[plan->nss[n].base + (int)top->index]);
				ext_of[plan->nss[n].base + (int)top->index] = xstrdup(colon + 1);
				found++;
			}
		}
		if (!found)
			return mnts_err(err, 0, "--external '%s': no mount at '%s' in the snapshot",
					arg, key);
	}
	return 0;
}

static int find_sb(struct mnts_plan *plan, const struct mnts_mount *m)
{
	uint64_t dev = (uint64_t)m->dev_major << 32 | m->dev_minor;
	int first = mnts_u64map_get(&plan->sb_by_dev, dev);

	for (int i = first; i >= 0; i = plan->sbs[i].next_same_dev)
		if (streq(plan->sbs[i].fstype, m->fstype))
			return i;
	plan->sbs = xreallocarray(plan->sbs, plan->n_sbs + 1, sizeof(*plan->sbs));
	plan->sbs[plan->n_sbs] = (struct mnts_plan_sb){
	    .dev_major = m->dev_major,
	    .dev_minor = m->dev_minor,
	    .fstype = m->fstype,
	    .first = m,
	    .slot = -1,
	    .ns_slot = -1,
	    .next_same_dev = first,
	};
	mnts_u64map_put(&plan->sb_by_dev, dev, (int)plan->n_sbs);
	return (int)plan->n_sbs++;
}

/* Length of the deepest common ancestor of a (its first len bytes) and b,
 * both normalised absolute paths. */
static size_t common_ancestor_len(const char *a, size_t len, const char *b)
{
	size_t i = 0;

	while (i < len && a[i] == b[i])
		i++;
	if ((i == len || a[i] == '/') && (b[i] == '\0' || b[i] == '/'))
		return i ? i : 1;
	while (i > 0 && a[i - 1] != '/')
		i--;
	/* i is just past a slash: drop it unless it is the root */
	return i > 1 ? i - 1 : 1;
}

/* Groups the mounts by superblock (sb_mounts), and finds the deepest path
 * containing every root of each superblock: what its source must contain. */
static void index_sb_mounts(struct mnts_plan *plan)
{
	int *off = xcalloc(plan->n_sbs + 2, sizeof(*off));
	_cleanup_free_ int *fill = NULL;

	for (size_t i = 0; i < plan->n_mounts; i++)
		if (plan->mounts[i].sb >= 0)
			off[plan->mounts[i].sb + 1]++;
	for (size_t sb = 0; sb < plan->n_sbs; sb++)
		off[sb + 1] += off[sb];
	fill = xcalloc(plan->n_sbs + 1, sizeof(*fill));
	memcpy(fill, off, plan->n_sbs * sizeof(*fill));
	plan->sb_mounts = xcalloc(plan->n_mounts + 1, sizeof(*plan->sb_mounts));
	for (size_t i = 0; i < plan->n_mounts; i++)
		if (plan->mounts[i].sb >= 0)
			plan->sb_mounts[fill[plan->mounts[i].sb]++] = (int)i;
	plan->sb_mounts_off = off;
	for (size_t sb = 0; sb < plan->n_sbs; sb++) {
		const char *first = plan->mounts[plan->sb_mounts[off[sb]]].m->root;
		size_t len = strlen(first);

		for (int k = off[sb] + 1; k < off[sb + 1] && len > 1; k++)
			len = common_ancestor_len(first, len,
						  plan->mounts[plan->sb_mounts[k]].m->root);
		plan->sbs[sb].roots_common = xstrndup(first, len);
	}
}

static void unresolved(struct mnts_strv *bad, const struct mnts_mount *m, const char *fmt, ...)
    _printf_(3, 4);
static void unresolved(struct mnts_strv *bad, const struct mnts_mount *m, const char *fmt, ...)
{
	char name[512], why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	mnts_strv_push_take(bad, xasprintf("'%s' (%s %u:%u): %s",
					   mnts_plan_mount_name(m, name, sizeof(name)), m->fstype,
					   m->dev_major, m->dev_minor, why));
}

static void resolve_sources(struct mnts_plan *plan, char **ext_of,
			    const struct mnts_live_table *live, struct mnts_strv *bad)
{
	const struct mnts_replay_opts *opts = plan->opts;
	struct mnts_live_groups lg = {0}; /* every namespace, read only when needed */

	for (size_t i = 0; i < plan->n_mounts; i++) {
		struct mnts_plan_mount *pm = &plan->mounts[i];
		const struct mnts_mount *m = pm->m;

		if (!m->nsfs_type) {
			pm->sb = find_sb(plan, m);
			continue;
		}
		if (ext_of[i]) {
			pm->ext_path = xstrdup(ext_of[i]);
			continue;
		}
		if (!m->nsfs_ns || opts->target != MNTS_REPLAY_NEW) {
			unresolved(bad, m,
				   "pins a %s namespace that is not replayed here "
				   "(give its file with --external)",
				   m->nsfs_type);
			continue;
		}
		pm->nsfs_of = plan_ns_index(plan, mnts_snapshot_find_ns(plan->snap, m->nsfs_ns));
		if (pm->nsfs_of < 0)
			unresolved(bad, m, "pins namespace '%s', which is not selected with --ns",
				   m->nsfs_ns);
		else if (plan->nss[pm->nsfs_of].ns == m->ns)
			unresolved(bad, m,
				   "pins its own namespace: the kernel refuses such a loop "
				   "(mnt_ns_loop)");
	}
	index_sb_mounts(plan);

	for (size_t s = 0; s < plan->n_sbs; s++) {
		struct mnts_plan_sb *sb = &plan->sbs[s];
		const struct mnts_fs_feature *feat = mnts_fs_feature(sb->fstype);
		const int *mine = plan->sb_mounts + plan->sb_mounts_off[s];
		const int n_mine = plan->sb_mounts_off[s + 1] - plan->sb_mounts_off[s];
		const struct mnts_mount *ext_mount = NULL;
		const char *ext_path = NULL;
		const struct mnts_live_mount *lm = NULL;
		const struct mnts_mount *fm;

		for (int k = 0; k < n_mine && !ext_mount; k++)
			if (ext_of[mine[k]]) {
				ext_mount = plan->mounts[mine[k]].m;
				ext_path = ext_of[mine[k]];
			}
		if (ext_mount) {
			sb->how = MNTS_SB_EXTERNAL;
			sb->path = xstrdup(ext_path);
			sb->root = xstrdup(ext_mount->root);
		} else {
			/* never FRESH for a superblock the kernel shares (features.c) */
			if (mnts_fs_wants_live(feat, opts->fresh))
				lm = mnts_live_find(live, sb->dev_major, sb->dev_minor, sb->fstype,
						    sb->roots_common);
			switch (mnts_fs_source(feat, opts->fresh, lm != NULL)) {
			case MNTS_FS_SOURCE_FRESH:
				sb->how = MNTS_SB_FRESH;
				break;
			case MNTS_FS_SOURCE_LIVE:
				sb->how = MNTS_SB_LIVE;
				sb->path = xstrdup(lm->target);
				sb->root = xstrdup(lm->root);
				break;
			case MNTS_FS_SOURCE_NONE:
				/* cloned where it is mounted: inside that namespace */
				fm = mnts_live_sb_elsewhere(&lg, sb->dev_major, sb->dev_minor,
							    sb->fstype, sb->roots_common);
				if (fm) {
					sb->how = MNTS_SB_LIVE;
					sb->path = xstrdup(fm->mountpoint);
					sb->root = xstrdup(fm->root);
					sb->ns_id = fm->ns->mnt_ns_id;
					break;
				}
				for (int k = 0; k < n_mine; k++) {
					const struct mnts_mount *m = plan->mounts[mine[k]].m;
					char why[256];

					unresolved(bad, m,
						   "no live mount of this superblock contains "
						   "its root '%s', and %s (give one with "
						   "--external %s%s%s:PATH)",
						   m->root,
						   mnts_fs_why_no_source(feat, why, sizeof(why)),
						   plan->n_nss > 1 ? m->ns->label : "",
						   plan->n_nss > 1 ? ":" : "", m->mountpoint);
				}
				continue;
			}
		}
		if (sb->how == MNTS_SB_FRESH) {
			sb->root = xstrdup("/");
			sb->options = feat->create == MNTS_FS_CREATE_NEW;
			sb->ro = sb->options && mnts_strv_contains(&sb->first->super_options, "ro");
			continue;
		}
		for (int k = 0; k < n_mine; k++) {
			const struct mnts_mount *m = plan->mounts[mine[k]].m;

			if (m->deleted)
				unresolved(bad, m, "its root '%s' was deleted on the host",
					   m->root);
			else if (!mnts_path_contains(sb->root, m->root))
				unresolved(bad, m,
					   "root '%s' is not inside the source '%s' (root '%s')",
					   m->root, sb->path, sb->root);
		}
	}
	mnts_live_groups_done(&lg);
}

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
static int live_master(struct mnts_plan *plan, struct mnts_live_groups *lg, bool *lg_read,
		       uint64_t master_id, int sb_index)
{
	struct mnts_plan_sb *sb = &plan->sbs[sb_index];
	const struct mnts_mount *lm;
	struct mnts_error lerr = {0};

	if (plan->opts->fresh || sb->how == MNTS_SB_EXTERNAL)
		return -1;
	if (!*lg_read) {
		*lg_read = true;
		if (mnts_live_groups_read(lg, &lerr) < 0) {
			mnts_warn("%s", lerr.msg);
			return -1;
		}
	}
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

static void build_groups(struct mnts_plan *plan, struct mnts_strv *bad)
{
	struct mnts_live_groups lg = {0};
	bool lg_read = false;
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
			unresolved(bad, pm->m, "peer group %" PRIu64 " spans two superblocks",
				   pm->m->shared_id);
		}
		pm->group = g;
	}
	for (size_t g = 0; g < plan->n_groups; g++) {
		struct mnts_plan_group *grp = &plan->groups[g];

		if (!grp->master_id)
			continue;
		grp->master = find_group(plan, grp->master_id);
		if (grp->master < 0)
			grp->master = live_master(plan, &lg, &lg_read, grp->master_id, grp->sb);
		grp = &plan->groups[g]; /* live_master may move the array */
		if (grp->master < 0)
			mnts_warn("peer group %" PRIu64 ": its master group %" PRIu64
				  " has no member in the replay: replayed without a master",
				  grp->shared_id, grp->master_id);
		else if (plan->groups[grp->master].sb != grp->sb)
			mnts_strv_push_take(bad, xasprintf("peer group %" PRIu64
							   ": its master group %" PRIu64
							   " is on another superblock",
							   grp->shared_id, grp->master_id));
	}
	for (size_t i = 0; i < plan->n_mounts; i++) {
		struct mnts_plan_mount *pm = &plan->mounts[i];

		if (pm->m->shared_id || !pm->m->master_id || pm->sb < 0)
			continue;
		pm->slave_of = find_group(plan, pm->m->master_id);
		if (pm->slave_of < 0)
			pm->slave_of = live_master(plan, &lg, &lg_read, pm->m->master_id, pm->sb);
		if (pm->slave_of < 0)
			mnts_warn("'%s': its master group %" PRIu64
				  " has no member in the replay: replayed private",
				  mnts_plan_mount_name(pm->m, name, sizeof(name)),
				  pm->m->master_id);
		else if (plan->groups[pm->slave_of].sb != pm->sb)
			unresolved(bad, pm->m,
				   "its master group %" PRIu64 " is on another superblock",
				   pm->m->master_id);
	}
	mnts_live_groups_done(&lg);
}

/* Namespaces holding an nsfs mount of another must be created first: the
 * kernel only lets a namespace pin a younger one. */
static int order_namespaces(struct mnts_plan *plan, struct mnts_error *err)
{
	size_t n = plan->n_nss, done = 0;
	_cleanup_free_ struct mnts_plan_ns *sorted = xcalloc(n, sizeof(*sorted));
	_cleanup_free_ bool *placed = xcalloc(n, sizeof(*placed));
	_cleanup_free_ int *remap = xcalloc(n, sizeof(*remap));

	for (size_t i = 0; i < plan->n_mounts; i++) {
		const struct mnts_plan_mount *pm = &plan->mounts[i];
		struct mnts_plan_ns *pinned;

		if (pm->nsfs_of < 0)
			continue;
		pinned = &plan->nss[pm->nsfs_of];
		pinned->pinned_by =
		    xreallocarray(pinned->pinned_by, pinned->n_pinned_by + 1, sizeof(int));
		pinned->pinned_by[pinned->n_pinned_by++] = plan_ns_index(plan, pm->m->ns);
	}
	while (done < n) {
		bool progress = false;

		for (size_t i = 0; i < n; i++) {
			bool ready = !placed[i];

			for (size_t k = 0; ready && k < plan->nss[i].n_pinned_by; k++)
				ready = placed[plan->nss[i].pinned_by[k]];
			if (!ready)
				continue;
			placed[i] = true;
			remap[i] = (int)done;
			sorted[done++] = plan->nss[i];
			progress = true;
		}
		if (!progress) {
			for (size_t i = 0; i < n; i++)
				if (!placed[i])
					return mnts_err(
					    err, 0,
					    "namespace '%s': its nsfs pins form a cycle "
					    "(each must be younger than its holder)",
					    plan->nss[i].ns->label);
		}
	}
	for (size_t i = 0; i < n; i++) {
		plan->nss[i] = sorted[i];
		for (size_t k = 0; k < plan->nss[i].n_pinned_by; k++)
			plan->nss[i].pinned_by[k] = remap[plan->nss[i].pinned_by[k]];
	}
	for (size_t i = 0; i < plan->n_mounts; i++)
		if (plan->mounts[i].nsfs_of >= 0)
			plan->mounts[i].nsfs_of = remap[plan->mounts[i].nsfs_of];
	return 0;
}

/* The source of superblock sb, made on first use: fds are held from the
 * first clone to the last (exec.c closes them), not for the whole replay. */
static void ensure_sb(struct mnts_plan *plan, int sb_index)
{
	struct mnts_plan_sb *sb = &plan->sbs[sb_index];
	struct mnts_step *s;

	if (plan->sb_made[sb_index])
		return;
	plan->sb_made[sb_index] = true;
	sb->slot = new_slot(plan);
	if (sb->ns_id)
		sb->ns_slot = new_slot(plan);
	s = add_step(plan,
		     sb->how == MNTS_SB_FRESH  ? MNTS_STEP_SB_FRESH
		     : sb->how == MNTS_SB_LIVE ? MNTS_STEP_SB_LIVE
					       : MNTS_STEP_SB_EXTERNAL,
		     sb_index);
	s->dst = sb->slot;
	s->aux = sb->ns_slot;
}

/* Where anchors of superblock sb are cloned, below its source's root: the
 * common ancestor of every root replayed from it, which SET_GROUP needs
 * (the from mount's root must contain the to mount's), and which a live
 * master member's root contains too. */
static const char *anchor_root(const struct mnts_plan *plan, int sb)
{
	const char *rel = mnts_path_below(plan->sbs[sb].roots_common, plan->sbs[sb].root);

	return rel ? rel : "";
}

/* A group's anchor (masters first), cloned from its superblock's source in
 * the caller's namespace, where the sources were made: the kernel lets only
 * that namespace clone a detached mount. */
static void ensure_group(struct mnts_plan *plan, int g)
{
	struct mnts_plan_group *grp = &plan->groups[g];
	struct mnts_step *s;

	if (plan->group_made[g])
		return;
	plan->group_made[g] = true;
	if (grp->master >= 0)
		ensure_group(plan, grp->master);
	if (!grp->live)
		ensure_sb(plan, grp->sb);
	grp = &plan->groups[g];
	grp->anchor_slot = new_slot(plan);
	if (grp->live) {
		s = add_step(plan, MNTS_STEP_LIVE_MEMBER, g);
		s->dst = grp->anchor_slot;
		return;
	}
	s = add_step(plan, MNTS_STEP_ANCHOR, g);
	s->src = plan->sbs[grp->sb].slot;
	s->dst = grp->anchor_slot;
	s->aux = grp->master >= 0 ? plan->groups[grp->master].anchor_slot : -1;
	s->rel = anchor_root(plan, grp->sb);
}

/* A pure slave of group g, the source of SET_GROUP for the slaves of g (a
 * mount with children can only be made a slave that way). */
static void ensure_slave_anchor(struct mnts_plan *plan, int g, int sb)
{
	struct mnts_step *s;

	if (plan->groups[g].slave_anchor_slot >= 0)
		return;
	ensure_group(plan, g);
	ensure_sb(plan, sb);
	plan->groups[g].slave_anchor_slot = new_slot(plan);
	s = add_step(plan, MNTS_STEP_SLAVE_ANCHOR, g);
	s->src = plan->sbs[sb].slot;
	s->dst = plan->groups[g].slave_anchor_slot;
	s->aux = plan->groups[g].anchor_slot;
	s->rel = anchor_root(plan, sb);
}

/* Whether mount i is made shared itself (MNTS_STEP_SHARE): the only use of
 * its group, and a leaf, which mount_setattr reaches as a detached root. */
static bool shares_itself(const struct mnts_plan *plan, int i)
{
	const struct mnts_plan_mount *pm = &plan->mounts[i];

	return pm->group >= 0 && plan->group_uses[pm->group] == 1 && !pm->m->n_children &&
	       !plan->groups[pm->group].live;
}

/* Sharing, slavery and (unless left for later) unbindable for mount i,
 * with the anchors they need. */
static void add_propagation_steps(struct mnts_plan *plan, int i, bool unbindable)
{
	const struct mnts_plan_mount *pm = &plan->mounts[i];
	struct mnts_step *s;

	if (shares_itself(plan, i)) {
		/* no anchor cloned and dropped */
		const struct mnts_plan_group *grp = &plan->groups[pm->group];

		if (grp->master >= 0)
			ensure_group(plan, grp->master);
		s = add_step(plan, MNTS_STEP_SHARE, i);
		s->aux = grp->master >= 0 ? plan->groups[grp->master].anchor_slot : -1;
		s->src = pm->slot;
	} else if (pm->group >= 0) {
		ensure_group(plan, pm->group);
		s = add_step(plan, MNTS_STEP_JOIN, i);
		s->src = plan->groups[pm->group].anchor_slot;
		s->aux = pm->slot;
	} else if (pm->slave_of >= 0) {
		ensure_slave_anchor(plan, pm->slave_of, pm->sb);
		s = add_step(plan, MNTS_STEP_SLAVE, i);
		s->src = plan->groups[pm->slave_of].slave_anchor_slot;
		s->aux = pm->slot;
	}
	if (pm->m->unbindable && unbindable) {
		s = add_step(plan, MNTS_STEP_UNBINDABLE, i);
		s->aux = pm->slot;
	}
}

struct prefix_key {
	const char *p;
	size_t len;
};

static int cmp_prefix_key(const void *a, const void *b)
{
	const struct prefix_key *k = a;
	const char *s = *(const char *const *)b;
	int r = strncmp(k->p, s, k->len);

	return r ? r : s[k->len] ? -1 : 0;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The order in which m's children are attached.  A child whose mountpoint
 * lies below a sibling's mountpoint was covered by that sibling: it goes
 * first (the deepest first), while its path in m is still reachable.  The
 * others keep snapshot order.  Free the result. */
static size_t *child_order(const struct mnts_mount *m)
{
	size_t n = m->n_children, k = 0;
	size_t *order = xcalloc(n + 1, sizeof(*order));
	_cleanup_free_ const char **sorted = NULL;
	_cleanup_free_ bool *tucked = NULL;

	for (size_t c = 0; c < n && !sorted; c++) {
		const char *rel = mnts_path_below(m->children[c]->mountpoint, m->mountpoint);

		if (rel && strchr(rel, '/'))
			sorted = xcalloc(n, sizeof(*sorted));
	}
	if (sorted) {
		tucked = xcalloc(n, sizeof(*tucked));
		for (size_t c = 0; c < n; c++)
			sorted[c] = m->children[c]->mountpoint;
		qsort(sorted, n, sizeof(*sorted), cmp_str_ptr);
		for (size_t c = 0; c < n; c++) {
			const char *mp = m->children[c]->mountpoint;
			const char *rel = mnts_path_below(mp, m->mountpoint);

			/* each strict ancestor of mp below m's mountpoint */
			for (const char *sl = rel ? strchr(rel, '/') : NULL; sl && !tucked[c];
			     sl = strchr(sl + 1, '/')) {
				struct prefix_key key = {mp, (size_t)(sl - mp)};

				tucked[c] = bsearch(&key, sorted, n, sizeof(*sorted),
						    cmp_prefix_key) != NULL;
			}
		}
		/* tucked ones first, longest mountpoint first (stable) */
		for (size_t c = 0; c < n; c++)
			if (tucked[c])
				order[k++] = c;
		for (size_t x = 1; x < k; x++)
			for (size_t y = x;
			     y > 0 && strlen(m->children[order[y]]->mountpoint) >
					  strlen(m->children[order[y - 1]]->mountpoint);
			     y--) {
				size_t t = order[y];
				order[y] = order[y - 1];
				order[y - 1] = t;
			}
	}
	for (size_t c = 0; c < n; c++)
		if (!tucked || !tucked[c])
			order[k++] = c;
	return order;
}

/* Whether mount i can be its superblock's source itself, saving a clone and
 * the unmount of the source (most of the cost of a mount made anew).  It
 * must be the only mount of the superblock, with the source's root, in the
 * caller's namespace, and no group anchor may be cloned from the source. */
static bool source_is_mount(const struct mnts_plan *plan, int i)
{
	const struct mnts_plan_mount *pm = &plan->mounts[i];
	const struct mnts_plan_sb *sb;
	const char *rel;

	if (pm->sb < 0 || pm->slave_of >= 0 || (pm->group >= 0 && !shares_itself(plan, i)))
		return false;
	sb = &plan->sbs[pm->sb];
	if (plan->sb_mounts_off[pm->sb + 1] - plan->sb_mounts_off[pm->sb] != 1 || sb->ns_id)
		return false;
	rel = mnts_path_below(pm->m->root, sb->root);
	return rel && !*rel;
}

static int add_attach_steps(struct mnts_plan *plan, int i, struct mnts_error *err);

/* Steps that make m's clone the root of a detached tree holding its whole
 * subtree, then (unless m is a namespace's root) attach it to its parent. */
static int add_subtree_steps(struct mnts_plan *plan, const struct mnts_mount *m,
			     struct mnts_error *err)
{
	int i = mount_index(plan, m);
	struct mnts_plan_mount *pm = &plan->mounts[i];
	const struct mnts_plan_mount *pp =
	    m->parent ? &plan->mounts[mount_index(plan, m->parent)] : NULL;
	_cleanup_free_ size_t *order = NULL;
	struct mnts_step *s;
	uint64_t attr;
	int r;

	if (source_is_mount(plan, i)) {
		ensure_sb(plan, pm->sb);
		pm->slot = plan->sbs[pm->sb].slot;
	} else if (pm->sb >= 0) {
		struct mnts_plan_sb *sb = &plan->sbs[pm->sb];

		pm->slot = new_slot(plan);
		ensure_sb(plan, pm->sb);
		s = add_step(plan, MNTS_STEP_CLONE, i);
		s->src = sb->slot;
		s->rel = mnts_path_below(m->root, sb->root);
		s->create = sb->how == MNTS_SB_FRESH;
		s->aux = pp ? pp->slot : -1;
		s->dst = pm->slot;
	} else {
		pm->slot = new_slot(plan);
		s = add_step(plan, MNTS_STEP_NSFS, i);
		s->src = pm->nsfs_of >= 0 ? plan->nss[pm->nsfs_of].slot : -1;
		s->dst = pm->slot;
	}
	if (m->uid_map.n || m->gid_map.n) {
		s = add_step(plan, MNTS_STEP_IDMAP, i);
		s->src = pm->slot;
	}
	/* sources come without per-mount flags (sbsource.c): only set ones
	 * need a call; namespace files keep whatever nsfs gives */
	attr = mnts_mount_attr_from_options(&m->mount_options) & ~(uint64_t)MOUNT_ATTR_IDMAP;
	if (attr || pm->sb < 0) {
		s = add_step(plan, MNTS_STEP_FLAGS, i);
		s->src = pm->slot;
		s->attr_set = attr;
		s->attr_clr = MNTS_MOUNT_ATTR_ALL_FLAGS;
	}

	if (pp) {
		/* a leaf is done: its propagation now, while mount_setattr can
		 * still reach it (a detached tree's root) */
		if (!m->n_children)
			add_propagation_steps(plan, i, true);
		r = add_attach_steps(plan, i, err);
		if (r < 0)
			return r;
	}
	order = child_order(m);
	for (size_t k = 0; k < m->n_children; k++) {
		r = add_subtree_steps(plan, m->children[order[k]], err);
		if (r < 0)
			return r;
	}
	/* a namespace's root gets its propagation inside the namespace */
	if (pp && m->n_children) {
		add_propagation_steps(plan, i, false);
		plan->deferred[i] = m->unbindable;
	}
	return 0;
}

/* Steps that attach mount i onto its parent at its mountpoint. */
static int add_attach_steps(struct mnts_plan *plan, int i, struct mnts_error *err)
{
	const struct mnts_mount *m = plan->mounts[i].m;
	struct mnts_plan_mount *pm = &plan->mounts[i];
	const struct mnts_plan_mount *pp = &plan->mounts[mount_index(plan, m->parent)];
	const char *rel = mnts_path_below(m->mountpoint, m->parent->mountpoint);
	bool create = plan->opts->create_mountpoints ||
		      (pp->sb >= 0 && plan->sbs[pp->sb].how == MNTS_SB_FRESH);
	struct mnts_step *s;
	char name[512];

	if (!rel)
		return mnts_err(err, 0, "mount '%s': mountpoint is not below its parent's '%s'",
				mnts_plan_mount_name(m, name, sizeof(name)), m->parent->mountpoint);
	if (strchr(rel, '/')) {
		/* a longer path is resolved RESOLVE_BENEATH first (exec.c) */
		pm->mp_slot = new_slot(plan);
		s = add_step(plan, MNTS_STEP_MOUNTPOINT, i);
		s->src = pp->slot;
		s->dst = pm->mp_slot;
		s->rel = rel;
		s->create = create;
		s = add_step(plan, MNTS_STEP_ATTACH, i);
		s->src = pm->slot;
		s->aux = pm->mp_slot;
	} else {
		s = add_step(plan, MNTS_STEP_ATTACH, i);
		s->src = pm->slot;
		s->aux = pp->slot;
		s->rel = rel;
		s->create = create;
	}
	return 0;
}

/* A live source whose path extends the previous one's is looked up from
 * an O_PATH fd of that one (src, rel): along a deep chain an absolute
 * lookup crosses hundreds of mounts. */
static void chain_live_sources(struct mnts_plan *plan)
{
	struct mnts_step *prev = NULL;

	for (size_t i = 0; i < plan->n_steps; i++) {
		struct mnts_step *s = &plan->steps[i];
		const struct mnts_plan_sb *sb = &plan->sbs[s->obj];
		const char *prev_path;
		size_t len;

		if (s->kind != MNTS_STEP_SB_LIVE || sb->ns_id)
			continue;
		if (prev) {
			prev_path = plan->sbs[prev->obj].path;
			len = strlen(prev_path);
			if (!strncmp(sb->path, prev_path, len) && sb->path[len] == '/' &&
			    sb->path[len + 1]) {
				prev->keep = new_slot(plan);
				s->src = prev->keep;
				s->rel = sb->path + len + 1;
			}
		}
		prev = s;
	}
}

static int build_steps(struct mnts_plan *plan, struct mnts_error *err)
{
	const struct mnts_replay_opts *opts = plan->opts;
	struct mnts_step *s;
	int r;

	plan->sb_made = xcalloc(plan->n_sbs + 1, sizeof(bool));
	plan->group_made = xcalloc(plan->n_groups + 1, sizeof(bool));
	plan->deferred = xcalloc(plan->n_mounts + 1, sizeof(bool));
	plan->group_uses = xcalloc(plan->n_groups + 1, sizeof(int));
	for (size_t i = 0; i < plan->n_mounts; i++) {
		if (plan->mounts[i].group >= 0)
			plan->group_uses[plan->mounts[i].group]++;
		if (plan->mounts[i].slave_of >= 0)
			plan->group_uses[plan->mounts[i].slave_of]++;
	}
	for (size_t g = 0; g < plan->n_groups; g++)
		if (plan->groups[g].master >= 0)
			plan->group_uses[plan->groups[g].master]++;
	if (opts->target == MNTS_REPLAY_NEW)
		for (size_t n = 0; n < plan->n_nss; n++) {
			plan->nss[n].slot = new_slot(plan);
			s = add_step(plan, MNTS_STEP_NS_CREATE, (int)n);
			s->dst = plan->nss[n].slot;
		}
	for (size_t n = 0; n < plan->n_nss; n++) {
		const struct mnts_plan_mount *root =
		    &plan->mounts[mount_index(plan, plan->nss[n].ns->root)];

		r = add_subtree_steps(plan, plan->nss[n].ns->root, err);
		if (r < 0)
			return r;
		/* anchors are made in the caller's namespace, where the
		 * sources are: the roots' too */
		if (root->group >= 0)
			ensure_group(plan, root->group);
		else if (root->slave_of >= 0)
			ensure_slave_anchor(plan, root->slave_of, root->sb);
	}
	/* once every root and mountpoint inside them exists */
	for (size_t i = 0; i < plan->n_sbs; i++)
		if (plan->sbs[i].how == MNTS_SB_FRESH && plan->sbs[i].ro) {
			s = add_step(plan, MNTS_STEP_SB_RO, (int)i);
			s->src = plan->sbs[i].slot;
		}
	for (size_t n = 0; n < plan->n_nss; n++) {
		int root = mount_index(plan, plan->nss[n].ns->root);

		s = add_step(
		    plan, opts->target == MNTS_REPLAY_NEW ? MNTS_STEP_NS_POPULATE : MNTS_STEP_GRAFT,
		    (int)n);
		s->src = plan->mounts[root].slot;
		s->aux = plan->nss[n].slot;
	}
	/* a root's propagation from inside its namespace: pivot_root refuses
	 * shared parents, and nothing may propagate while the old root goes */
	for (size_t n = 0; n < plan->n_nss; n++)
		add_propagation_steps(plan, mount_index(plan, plan->nss[n].ns->root), true);
	for (size_t i = 0; i < plan->n_mounts; i++)
		if (plan->deferred[i]) {
			s = add_step(plan, MNTS_STEP_UNBINDABLE, (int)i);
			s->aux = plan->mounts[i].slot;
		}
	chain_live_sources(plan);
	add_step(plan, MNTS_STEP_DROP, -1);
	if (opts->target == MNTS_REPLAY_NEW)
		for (size_t n = 0; n < plan->n_nss; n++) {
			s = add_step(plan, MNTS_STEP_PIN, (int)n);
			s->aux = plan->nss[n].slot;
		}
	return 0;
}

int mnts_plan_build(struct mnts_plan *plan, const struct mnts_snapshot *snap,
		    const struct mnts_replay_opts *opts, struct mnts_error *err)
{
	struct mnts_live_table live = {0};
	struct mnts_strv bad = {0};
	char **ext_of = NULL;
	int r;

	memset(plan, 0, sizeof(*plan));
	plan->snap = snap;
	plan->opts = opts;
	if (!snap->linked)
		return mnts_err(err, 0, "snapshot: not validated");
	r = select_namespaces(plan, err);
	if (r < 0)
		goto out;
	for (size_t n = 0; n < plan->n_nss; n++) {
		const struct mnts_ns *ns = plan->nss[n].ns;

		plan->nss[n].base = (int)plan->n_mounts;
		plan->mounts = xreallocarray(plan->mounts, plan->n_mounts + ns->n_mounts,
					     sizeof(*plan->mounts));
		for (size_t i = 0; i < ns->n_mounts; i++)
			plan->mounts[plan->n_mounts++] = (struct mnts_plan_mount){
			    .m = &ns->mounts[i],
			    .sb = -1,
			    .nsfs_of = -1,
			    .slot = -1,
			    .mp_slot = -1,
			    .group = -1,
			    .slave_of = -1,
			};
	}
	ext_of = xcalloc(plan->n_mounts + 1, sizeof(*ext_of));
	r = apply_externals(plan, ext_of, err);
	if (r < 0)
		goto out;
	r = mnts_live_table_read(&live, err);
	if (r < 0)
		goto out;
	resolve_sources(plan, ext_of, &live, &bad);
	build_groups(plan, &bad);
	if (bad.n) {
		size_t len = 0;
		_cleanup_free_ char *all = NULL;

		for (size_t i = 0; i < bad.n; i++)
			len += strlen(bad.v[i]) + 2;
		all = xcalloc(len + 1, 1);
		for (size_t i = 0; i < bad.n; i++) {
			if (i)
				strcat(all, "; ");
			strcat(all, bad.v[i]);
		}
		r = mnts_err(err, 0, "cannot replay %zu mount%s: %s", bad.n, bad.n == 1 ? "" : "s",
			     all);
		goto out;
	}
	r = order_namespaces(plan, err);
	if (r < 0)
		goto out;
	r = build_steps(plan, err);
out:
	for (size_t i = 0; i < plan->n_mounts; i++)
		free(ext_of ? ext_of[i] : NULL);
	free(ext_of);
	mnts_strv_clear(&bad);
	mnts_live_table_done(&live);
	/* the caller owns a plan only when it was built */
	if (r < 0)
		mnts_plan_done(plan);
	return r;
}

void mnts_plan_done(struct mnts_plan *plan)
{
	for (size_t i = 0; i < plan->n_sbs; i++) {
		free(plan->sbs[i].path);
		free(plan->sbs[i].root);
		free(plan->sbs[i].roots_common);
	}
	free(plan->sb_mounts);
	free(plan->sb_mounts_off);
	free(plan->sb_made);
	free(plan->group_made);
	free(plan->deferred);
	free(plan->group_uses);
	mnts_u64map_free(&plan->sb_by_dev);
	mnts_u64map_free(&plan->group_by_id);
	free(plan->sbs);
	for (size_t i = 0; i < plan->n_mounts; i++)
		free(plan->mounts[i].ext_path);
	free(plan->mounts);
	for (size_t i = 0; i < plan->n_groups; i++)
		free(plan->groups[i].path);
	free(plan->groups);
	for (size_t i = 0; i < plan->n_nss; i++)
		free(plan->nss[i].pinned_by);
	free(plan->nss);
	free(plan->steps);
	memset(plan, 0, sizeof(*plan));
}

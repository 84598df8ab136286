/* plan.c - validate a snapshot for replay and compute the steps (see plan.h) */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <sys/mount.h>

#include "lib/features.h"
#include "lib/log.h"
#include "lib/plan.h"
#include "lib/resolve.h"
#include "lib/sbsource.h"
#include "lib/syscalls.h"

#define ATTR_ALL_FLAGS                                                                             \
	(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |            \
	 MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW)

const char *mnts_plan_mount_name(const struct mnts_mount *m, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%s", m->ns->label, m->mountpoint);
	return buf;
}

static int new_slot(struct mnts_plan *plan)
{
	return plan->n_slots++;
}

static struct mnts_step *add_step(struct mnts_plan *plan, enum mnts_step_kind kind, int obj)
{
	struct mnts_step *s;

	plan->steps = xreallocarray(plan->steps, plan->n_steps + 1, sizeof(*plan->steps));
	s = &plan->steps[plan->n_steps++];
	*s = (struct mnts_step){.kind = kind, .obj = obj, .dst = -1, .src = -1, .aux = -1};
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
	for (size_t i = 0; i < plan->n_sbs; i++)
		if (plan->sbs[i].dev_major == m->dev_major &&
		    plan->sbs[i].dev_minor == m->dev_minor && streq(plan->sbs[i].fstype, m->fstype))
			return (int)i;
	plan->sbs = xreallocarray(plan->sbs, plan->n_sbs + 1, sizeof(*plan->sbs));
	plan->sbs[plan->n_sbs] = (struct mnts_plan_sb){
	    .dev_major = m->dev_major,
	    .dev_minor = m->dev_minor,
	    .fstype = m->fstype,
	    .first = m,
	    .slot = -1,
	};
	return (int)plan->n_sbs++;
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

	for (size_t s = 0; s < plan->n_sbs; s++) {
		struct mnts_plan_sb *sb = &plan->sbs[s];
		const struct mnts_fs_feature *feat = mnts_fs_feature(sb->fstype);
		_cleanup_free_ char **roots = NULL;
		size_t n_roots = 0;
		const struct mnts_mount *ext_mount = NULL;
		const char *ext_path = NULL;
		const struct mnts_live_mount *lm = NULL;

		roots = xcalloc(plan->n_mounts, sizeof(*roots));
		for (size_t i = 0; i < plan->n_mounts; i++) {
			if (plan->mounts[i].sb != (int)s)
				continue;
			roots[n_roots++] = plan->mounts[i].m->root;
			if (ext_of[i] && !ext_mount) {
				ext_mount = plan->mounts[i].m;
				ext_path = ext_of[i];
			}
		}
		if (ext_mount) {
			sb->how = MNTS_SB_EXTERNAL;
			sb->path = xstrdup(ext_path);
			sb->root = xstrdup(ext_mount->root);
		} else if (opts->fresh && feat->create != MNTS_FS_NO_CREATE) {
			sb->how = MNTS_SB_FRESH;
		} else if ((lm = mnts_live_find(live, sb->dev_major, sb->dev_minor, sb->fstype,
						roots, n_roots))) {
			sb->how = MNTS_SB_LIVE;
			sb->path = xstrdup(lm->target);
			sb->root = xstrdup(lm->root);
			sb->live_id = lm->id;
		} else if (feat->create != MNTS_FS_NO_CREATE) {
			sb->how = MNTS_SB_FRESH;
		} else {
			for (size_t i = 0; i < plan->n_mounts; i++)
				if (plan->mounts[i].sb == (int)s)
					unresolved(
					    bad, plan->mounts[i].m,
					    "no live mount of this superblock contains its "
					    "root '%s', and %s cannot be created%s%s (give a "
					    "source with --external)",
					    plan->mounts[i].m->root, sb->fstype,
					    feat->why_not ? ": " : "",
					    feat->why_not ? feat->why_not : "");
			continue;
		}
		if (sb->how == MNTS_SB_FRESH) {
			sb->root = xstrdup("/");
			sb->options = feat->create == MNTS_FS_CREATE_NEW;
			sb->ro = sb->options && mnts_strv_contains(&sb->first->super_options, "ro");
			continue;
		}
		for (size_t i = 0; i < plan->n_mounts; i++) {
			const struct mnts_mount *m = plan->mounts[i].m;

			if (plan->mounts[i].sb != (int)s)
				continue;
			if (m->deleted)
				unresolved(bad, m, "its root '%s' was deleted on the host",
					   m->root);
			else if (!mnts_path_contains(sb->root, m->root))
				unresolved(bad, m,
					   "root '%s' is not inside the source '%s' (root '%s')",
					   m->root, sb->path, sb->root);
		}
	}
}

static int find_group(const struct mnts_plan *plan, uint64_t shared_id)
{
	for (size_t g = 0; g < plan->n_groups; g++)
		if (plan->groups[g].shared_id == shared_id)
			return (int)g;
	return -1;
}

static void build_groups(struct mnts_plan *plan, struct mnts_strv *bad)
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
			plan->groups =
			    xreallocarray(plan->groups, plan->n_groups + 1, sizeof(*plan->groups));
			plan->groups[plan->n_groups] = (struct mnts_plan_group){
			    .shared_id = pm->m->shared_id,
			    .master_id = pm->m->master_id,
			    .master = -1,
			    .sb = pm->sb,
			    .anchor_slot = -1,
			};
			g = (int)plan->n_groups++;
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
			mnts_warn("'%s': its master group %" PRIu64
				  " has no member in the replay: replayed private",
				  mnts_plan_mount_name(pm->m, name, sizeof(name)),
				  pm->m->master_id);
		else if (plan->groups[pm->slave_of].sb != pm->sb)
			unresolved(bad, pm->m,
				   "its master group %" PRIu64 " is on another superblock",
				   pm->m->master_id);
	}
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

static void attach_subtree(struct mnts_plan *plan, const struct mnts_mount *m)
{
	for (size_t k = 0; k < m->n_children; k++) {
		const struct mnts_mount *c = m->children[k];
		const struct mnts_plan_mount *pc = &plan->mounts[mount_index(plan, c)];
		struct mnts_step *s = add_step(plan, MNTS_STEP_ATTACH, mount_index(plan, c));

		s->src = pc->slot;
		s->aux = pc->mp_slot;
		attach_subtree(plan, c);
	}
}

static void add_group_steps(struct mnts_plan *plan, int g, bool *done)
{
	struct mnts_plan_group *grp = &plan->groups[g];
	struct mnts_step *s;

	if (done[g])
		return;
	done[g] = true;
	if (grp->master >= 0)
		add_group_steps(plan, grp->master, done);
	grp->anchor_slot = new_slot(plan);
	s = add_step(plan, MNTS_STEP_ANCHOR, g);
	s->src = plan->sbs[grp->sb].slot;
	s->dst = grp->anchor_slot;
	s->aux = grp->master >= 0 ? plan->groups[grp->master].anchor_slot : -1;
}

static int build_steps(struct mnts_plan *plan, struct mnts_error *err)
{
	const struct mnts_replay_opts *opts = plan->opts;
	_cleanup_free_ bool *group_done = xcalloc(plan->n_groups + 1, sizeof(bool));
	struct mnts_step *s;

	if (opts->target == MNTS_REPLAY_NEW)
		for (size_t n = 0; n < plan->n_nss; n++) {
			plan->nss[n].slot = new_slot(plan);
			s = add_step(plan, MNTS_STEP_NS_CREATE, (int)n);
			s->dst = plan->nss[n].slot;
		}
	for (size_t i = 0; i < plan->n_sbs; i++) {
		struct mnts_plan_sb *sb = &plan->sbs[i];
		enum mnts_step_kind k = sb->how == MNTS_SB_FRESH  ? MNTS_STEP_SB_FRESH
					: sb->how == MNTS_SB_LIVE ? MNTS_STEP_SB_LIVE
								  : MNTS_STEP_SB_EXTERNAL;

		sb->slot = new_slot(plan);
		s = add_step(plan, k, (int)i);
		s->dst = sb->slot;
	}
	for (size_t i = 0; i < plan->n_mounts; i++) {
		struct mnts_plan_mount *pm = &plan->mounts[i];

		pm->slot = new_slot(plan);
		if (pm->sb >= 0) {
			struct mnts_plan_sb *sb = &plan->sbs[pm->sb];

			s = add_step(plan, MNTS_STEP_CLONE, (int)i);
			s->src = sb->slot;
			s->rel = mnts_path_below(pm->m->root, sb->root);
			s->create = sb->how == MNTS_SB_FRESH;
		} else {
			s = add_step(plan, MNTS_STEP_NSFS, (int)i);
			s->src = pm->nsfs_of >= 0 ? plan->nss[pm->nsfs_of].slot : -1;
		}
		s->dst = pm->slot;
		if (pm->m->uid_map.n || pm->m->gid_map.n) {
			s = add_step(plan, MNTS_STEP_IDMAP, (int)i);
			s->src = pm->slot;
		}
	}
	for (size_t i = 0; i < plan->n_mounts; i++) {
		struct mnts_plan_mount *pm = &plan->mounts[i];
		const struct mnts_mount *parent = pm->m->parent;
		const struct mnts_plan_mount *pp;
		char name[512];

		if (!parent)
			continue;
		pp = &plan->mounts[mount_index(plan, parent)];
		pm->mp_slot = new_slot(plan);
		s = add_step(plan, MNTS_STEP_MOUNTPOINT, (int)i);
		s->src = pp->slot;
		s->dst = pm->mp_slot;
		s->rel = mnts_path_below(pm->m->mountpoint, parent->mountpoint);
		s->create = opts->create_mountpoints ||
			    (pp->sb >= 0 && plan->sbs[pp->sb].how == MNTS_SB_FRESH);
		if (!s->rel)
			return mnts_err(
			    err, 0, "mount '%s': mountpoint is not below its parent's '%s'",
			    mnts_plan_mount_name(pm->m, name, sizeof(name)), parent->mountpoint);
	}
	/* flags while every mount is the root of its own detached tree:
	 * mount_setattr refuses non-root mounts of detached trees */
	for (size_t i = 0; i < plan->n_mounts; i++) {
		struct mnts_plan_mount *pm = &plan->mounts[i];

		s = add_step(plan, MNTS_STEP_FLAGS, (int)i);
		s->src = pm->slot;
		s->attr_set = mnts_mount_attr_from_options(&pm->m->mount_options) &
			      ~(uint64_t)MOUNT_ATTR_IDMAP;
		s->attr_clr = ATTR_ALL_FLAGS;
	}
	for (size_t i = 0; i < plan->n_sbs; i++)
		if (plan->sbs[i].how == MNTS_SB_FRESH && plan->sbs[i].ro) {
			s = add_step(plan, MNTS_STEP_SB_RO, (int)i);
			s->src = plan->sbs[i].slot;
		}
	/* anchors are cloned in the caller's namespace, where the sources were
	 * made (the kernel lets only that namespace clone a detached mount) */
	for (size_t g = 0; g < plan->n_groups; g++)
		add_group_steps(plan, (int)g, group_done);
	for (size_t n = 0; n < plan->n_nss; n++)
		attach_subtree(plan, plan->nss[n].ns->root);
	for (size_t n = 0; n < plan->n_nss; n++) {
		int root = mount_index(plan, plan->nss[n].ns->root);

		s = add_step(
		    plan, opts->target == MNTS_REPLAY_NEW ? MNTS_STEP_NS_POPULATE : MNTS_STEP_GRAFT,
		    (int)n);
		s->src = plan->mounts[root].slot;
		s->aux = plan->nss[n].slot;
	}
	/* sharing last, inside each namespace: the trees are in place and every
	 * parent was private while they were attached, so nothing propagated */
	for (size_t i = 0; i < plan->n_mounts; i++) {
		struct mnts_plan_mount *pm = &plan->mounts[i];

		if (pm->group >= 0) {
			s = add_step(plan, MNTS_STEP_JOIN, (int)i);
			s->src = plan->groups[pm->group].anchor_slot;
			s->aux = pm->slot;
		} else if (pm->slave_of >= 0) {
			s = add_step(plan, MNTS_STEP_SLAVE, (int)i);
			s->src = plan->groups[pm->slave_of].anchor_slot;
			s->aux = pm->slot;
		}
	}
	for (size_t i = 0; i < plan->n_mounts; i++)
		if (plan->mounts[i].m->unbindable) {
			s = add_step(plan, MNTS_STEP_UNBINDABLE, (int)i);
			s->aux = plan->mounts[i].slot;
		}
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
		return r;
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
	return r;
}

void mnts_plan_done(struct mnts_plan *plan)
{
	for (size_t i = 0; i < plan->n_sbs; i++) {
		free(plan->sbs[i].path);
		free(plan->sbs[i].root);
	}
	free(plan->sbs);
	for (size_t i = 0; i < plan->n_mounts; i++)
		free(plan->mounts[i].ext_path);
	free(plan->mounts);
	free(plan->groups);
	for (size_t i = 0; i < plan->n_nss; i++)
		free(plan->nss[i].pinned_by);
	free(plan->nss);
	free(plan->steps);
	memset(plan, 0, sizeof(*plan));
}

static void join_strv(const struct mnts_strv *sv, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sv->n && off < size; i++)
		off += (size_t)snprintf(buf + off, size - off, "%s%s", i ? "," : "", sv->v[i]);
}

void mnts_plan_step_text(const struct mnts_plan *plan, size_t i, char *buf, size_t size)
{
	const struct mnts_step *s = &plan->steps[i];
	const struct mnts_replay_opts *opts = plan->opts;
	char a[512], b[512], o[512];
	const struct mnts_plan_sb *sb = NULL;
	const struct mnts_mount *m = NULL;
	const struct mnts_plan_group *g = NULL;
	const struct mnts_ns *ns = NULL;

	switch (s->kind) {
	case MNTS_STEP_SB_FRESH:
	case MNTS_STEP_SB_LIVE:
	case MNTS_STEP_SB_EXTERNAL:
	case MNTS_STEP_SB_RO:
		sb = &plan->sbs[s->obj];
		break;
	case MNTS_STEP_ANCHOR:
		g = &plan->groups[s->obj];
		break;
	case MNTS_STEP_NS_CREATE:
	case MNTS_STEP_NS_POPULATE:
	case MNTS_STEP_GRAFT:
	case MNTS_STEP_PIN:
		ns = plan->nss[s->obj].ns;
		break;
	case MNTS_STEP_DROP:
		break;
	default:
		m = plan->mounts[s->obj].m;
		mnts_plan_mount_name(m, a, sizeof(a));
		break;
	}

	switch (s->kind) {
	case MNTS_STEP_NS_CREATE:
		snprintf(buf, size, "create mount namespace for '%s'", ns->label);
		break;
	case MNTS_STEP_SB_FRESH:
		if (sb->options)
			join_strv(&sb->first->super_options, o, sizeof(o));
		snprintf(buf, size, "create %s superblock (was %u:%u) source '%s' options '%s'%s",
			 sb->fstype, sb->dev_major, sb->dev_minor, sb->first->source,
			 sb->options ? o : "", sb->options ? "" : " (never options: shared type)");
		break;
	case MNTS_STEP_SB_LIVE:
		snprintf(buf, size, "clone %s superblock %u:%u from live mount '%s' (root '%s')",
			 sb->fstype, sb->dev_major, sb->dev_minor, sb->path, sb->root);
		break;
	case MNTS_STEP_SB_EXTERNAL:
		snprintf(buf, size, "clone %s superblock (was %u:%u) from external '%s'",
			 sb->fstype, sb->dev_major, sb->dev_minor, sb->path);
		break;
	case MNTS_STEP_CLONE:
		snprintf(buf, size, "clone mount '%s' from superblock %u:%u path '/%s'%s", a,
			 m->dev_major, m->dev_minor, s->rel ? s->rel : "",
			 s->create ? " (create if missing)" : "");
		break;
	case MNTS_STEP_NSFS:
		if (plan->mounts[s->obj].ext_path)
			snprintf(buf, size, "bind namespace file '%s' as '%s'",
				 plan->mounts[s->obj].ext_path, a);
		else
			snprintf(buf, size, "bind namespace file of '%s' as '%s'", m->nsfs_ns, a);
		break;
	case MNTS_STEP_IDMAP:
		join_strv(&m->uid_map, o, sizeof(o));
		join_strv(&m->gid_map, b, sizeof(b));
		snprintf(buf, size, "idmap '%s' uid_map '%s' gid_map '%s'", a, o, b);
		break;
	case MNTS_STEP_MOUNTPOINT:
		snprintf(buf, size, "open mountpoint of '%s' in '%s' path '/%s'%s", a,
			 mnts_plan_mount_name(m->parent, b, sizeof(b)), s->rel,
			 s->create ? " (create if missing)" : "");
		break;
	case MNTS_STEP_ATTACH:
		snprintf(buf, size, "attach '%s' onto '%s'", a,
			 mnts_plan_mount_name(m->parent, b, sizeof(b)));
		break;
	case MNTS_STEP_FLAGS: {
		struct mnts_strv words = {0};

		mnts_options_from_mount_attr(&words, s->attr_set);
		join_strv(&words, o, sizeof(o));
		mnts_strv_clear(&words);
		snprintf(buf, size, "set flags of '%s' to '%s'", a, o);
		break;
	}
	case MNTS_STEP_SB_RO:
		snprintf(buf, size, "make %s superblock (was %u:%u) read-only", sb->fstype,
			 sb->dev_major, sb->dev_minor);
		break;
	case MNTS_STEP_ANCHOR:
		if (g->master >= 0)
			snprintf(buf, size,
				 "anchor peer group %" PRIu64 " as a slave of group %" PRIu64,
				 g->shared_id, plan->groups[g->master].shared_id);
		else
			snprintf(buf, size, "anchor peer group %" PRIu64, g->shared_id);
		break;
	case MNTS_STEP_JOIN:
		snprintf(buf, size, "join '%s' to peer group %" PRIu64, a, m->shared_id);
		break;
	case MNTS_STEP_SLAVE:
		snprintf(buf, size, "make '%s' a slave of peer group %" PRIu64, a, m->master_id);
		break;
	case MNTS_STEP_UNBINDABLE:
		snprintf(buf, size, "make '%s' unbindable", a);
		break;
	case MNTS_STEP_DROP:
		snprintf(buf, size, "drop group anchors and superblock sources");
		break;
	case MNTS_STEP_NS_POPULATE:
		if (opts->root_dir)
			snprintf(buf, size, "graft '%s' at '%s' in its new namespace", ns->label,
				 opts->root_dir);
		else
			snprintf(buf, size, "make '%s' the root of its new namespace (pivot_root)",
				 ns->label);
		break;
	case MNTS_STEP_GRAFT:
		snprintf(buf, size, "attach '%s' at '%s' in the target namespace", ns->label,
			 opts->root_dir ? opts->root_dir : "/");
		break;
	case MNTS_STEP_PIN:
		snprintf(buf, size, "pin '%s' at '%s/%s'", ns->label, opts->new_dir, ns->label);
		break;
	}
}

void mnts_plan_print(const struct mnts_plan *plan, FILE *f)
{
	char line[2048];

	for (size_t i = 0; i < plan->n_steps; i++) {
		mnts_plan_step_text(plan, i, line, sizeof(line));
		fprintf(f, "%zu %s\n", i + 1, line);
	}
}

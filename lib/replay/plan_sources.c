/* plan_sources.c - each mount's superblock, and where each superblock comes
 * from: an --external path, a live mount of it, or a new one (see plan.h) */
#include <string.h>

#include "lib/core/log.h"
#include "lib/core/path.h"
#include "lib/core/strbuf.h"
#include "lib/replay/features.h"
#include "lib/replay/plan_internal.h"
#include "lib/replay/sbsource.h"
#include "lib/spec/spec_snap.h"

int plan_parse_external(const char *arg, char **ret_label, char **ret_key, const char **ret_path,
			struct mnts_error *err)
{
	_cleanup_free_ char *label = NULL, *key = NULL;
	const char *p = arg, *colon;

	if (*p != '/') {
		colon = strchr(p, ':');
		if (!colon)
			return mnts_err(err, 0, "--external '%s': expected KEY:PATH", arg);
		label = xstrndup(p, (size_t)(colon - p));
		p = colon + 1;
	}
	colon = strchr(p, ':');
	if (!colon || colon[1] == '\0')
		return mnts_err(err, 0, "--external '%s': expected KEY:PATH", arg);
	key = xstrndup(p, (size_t)(colon - p));
	if (!mnts_path_is_normal(key))
		return mnts_err(err, 0, "--external '%s': key '%s': not an absolute path", arg,
				key);
	*ret_label = TAKE_PTR(label);
	*ret_key = TAKE_PTR(key);
	*ret_path = colon + 1;
	return 0;
}

const struct mnts_mount *plan_top_mount_at(const struct mnts_ns *ns, const char *path)
{
	const struct mnts_mount *top = NULL;

	for (size_t i = 0; i < ns->n_mounts; i++) {
		const struct mnts_mount *m = &ns->mounts[i];
		bool covered = false;

		if (!streq(m->mountpoint, path))
			continue;
		for (size_t k = 0; k < m->n_children; k++)
			covered |= streq(m->children[k]->mountpoint, path);
		if (!covered)
			top = m;
	}
	return top;
}

int plan_apply_externals(struct mnts_plan *plan, char **ext_of, struct mnts_error *err)
{
	for (size_t e = 0; e < plan->opts->n_externals; e++) {
		const char *arg = plan->opts->externals[e];
		_cleanup_free_ char *label = NULL, *key = NULL, *from = NULL;
		const char *path;
		size_t found = 0;
		int r = plan_parse_external(arg, &label, &key, &path, err);

		if (r < 0)
			return r;
		for (size_t n = 0; n < plan->n_nss; n++) {
			const struct mnts_ns *ns = plan->nss[n].ns;
			const struct mnts_mount *top;

			if (label && !streq(label, ns->label))
				continue;
			top = plan_top_mount_at(ns, key);
			if (top) {
				free(ext_of[plan->nss[n].base + (int)top->index]);
				ext_of[plan->nss[n].base + (int)top->index] = xstrdup(path);
				found++;
			}
		}
		if (!found)
			return mnts_err(err, 0, "--external '%s': no mount at '%s' in the snapshot",
					arg, key);
		/* from: KEY as given, with its label */
		from = xstrndup(arg, (size_t)(path - 1 - arg));
		mnts_plan_add_mapping(plan, "external", from, path, found);
	}
	return 0;
}

/* The superblock of m in the plan: one per (dev, fstype), and per
 * --map-source rule (rule, or -1) its mounts are taken from.  plan->sbs
 * has room for one per mount. */
static int find_sb(struct mnts_plan *plan, const struct mnts_mount *m, int rule)
{
	uint64_t dev = (uint64_t)m->dev_major << 32 | m->dev_minor;
	int first = mnts_u64map_get(&plan->sb_by_dev, dev);

	for (int i = first; i >= 0; i = plan->sbs[i].next_same_dev)
		if (streq(plan->sbs[i].fstype, m->fstype) && plan->sbs[i].map_rule == rule)
			return i;
	plan->sbs[plan->n_sbs] = (struct mnts_plan_sb){
	    .dev_major = m->dev_major,
	    .dev_minor = m->dev_minor,
	    .fstype = m->fstype,
	    .first = m,
	    .slot = -1,
	    .ns_slot = -1,
	    .next_same_dev = first,
	    .here_major = m->dev_major,
	    .here_minor = m->dev_minor,
	    .map_rule = rule,
	};
	mnts_u64map_put(&plan->sb_by_dev, dev, (int)plan->n_sbs);
	return (int)plan->n_sbs++;
}

size_t plan_common_ancestor_len(const char *a, size_t len, const char *b)
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
			len = plan_common_ancestor_len(first, len,
						       plan->mounts[plan->sb_mounts[k]].m->root);
		/* one mount a superblock is common (50,000 tmpfs): a copy
		 * each was a sixth of grouping them */
		if (first[len])
			plan->sbs[sb].roots_common = plan->sbs[sb].roots_own = xstrndup(first, len);
		else
			plan->sbs[sb].roots_common = first;
	}
}

/* The --map-source rule each mount is taken by (rule_of[i], -1: none),
 * recorded in plan->mappings.  Not nsfs mounts, nor overlays (their layers
 * are mapped), nor mounts given with --external. */
static void map_mounts(struct mnts_plan *plan, char **ext_of, const struct mnts_host_paths *hp,
		       int *rule_of)
{
	const struct mnts_map_rules *rules = plan->opts->map_rules;

	for (size_t i = 0; i < plan->n_mounts; i++) {
		const struct mnts_mount *m = plan->mounts[i].m;
		_cleanup_free_ char *host_path = NULL;
		const char *rest = NULL;
		struct mnts_plan_remap *pmap;

		rule_of[i] = -1;
		if (!hp || m->nsfs_type || ext_of[i] || mnts_fs_is_layered(m->fstype) ||
		    !(host_path = mnts_host_path(hp, m, m->root, NULL)))
			continue;
		rule_of[i] = mnts_map_match(rules, host_path, &rest);
		if (rule_of[i] < 0)
			continue;
		plan->remaps = xreallocarray(plan->remaps, plan->n_remaps + 1,
					     sizeof(*plan->remaps));
		pmap = &plan->remaps[plan->n_remaps++];
		*pmap = (struct mnts_plan_remap){
		    .m = m,
		    .rule = rule_of[i],
		    .what = "bind",
		    .old_path = TAKE_PTR(host_path),
		    .new_path = *rest ? xasprintf("%s/%s", rules->v[rule_of[i]].new_path, rest)
				      : xstrdup(rules->v[rule_of[i]].new_path),
		};
		mnts_plan_add_mapping(plan, "map-source", pmap->old_path, pmap->new_path, 1);
	}
}

/* Each mount's superblock; for an nsfs mount, the replayed namespace it
 * pins (or its --external file). */
static void assign_superblocks(struct mnts_plan *plan, char **ext_of, const int *rule_of,
			       struct mnts_strv *bad)
{
	/* room for one each (find_sb()): one superblock per mount is
	 * common (50,000 tmpfs), and copying a doubling array was half of
	 * finding them; the pages not needed are never touched */
	plan->sbs = xreallocarray(NULL, plan->n_mounts + 1, sizeof(*plan->sbs));
	mnts_u64map_reserve(&plan->sb_by_dev, plan->n_mounts);
	for (size_t i = 0; i < plan->n_mounts; i++) {
		struct mnts_plan_mount *pm = &plan->mounts[i];
		const struct mnts_mount *m = pm->m;

		if (!m->nsfs_type) {
			pm->sb = find_sb(plan, m, rule_of[i]);
			continue;
		}
		if (ext_of[i]) {
			pm->ext_path = xstrdup(ext_of[i]);
			continue;
		}
		if (!m->nsfs_ns || plan->opts->target != MNTS_PLAN_TARGET_NEW) {
			plan_unresolved(bad, m,
					"pins a %s namespace that is not replayed here "
					"(give its file with --external)",
					m->nsfs_type);
			continue;
		}
		pm->nsfs_of = plan_ns_index(plan, mnts_snapshot_find_ns(plan->snap, m->nsfs_ns));
		if (pm->nsfs_of < 0)
			plan_unresolved(bad, m,
					"pins namespace '%s', which is not selected with --ns",
					m->nsfs_ns);
		else if (plan->nss[pm->nsfs_of].ns == m->ns)
			plan_unresolved(bad, m,
					"pins its own namespace: the kernel refuses such a loop "
					"(mnt_ns_loop)");
	}
}

/* sb is cloned from the caller's live mount lm. */
static void use_live(struct mnts_plan_sb *sb, const struct mnts_live_mount *lm)
{
	sb->how = MNTS_SB_LIVE;
	sb->path = lm->target;
	sb->root = lm->root;
	sb->live_source = lm->source;
	sb->live_strings = true;
	sb->assumed_id = lm->assumed_id;
}

/* Where superblock sb comes from when no --external names it: features.c
 * decides between a new superblock and a live mount of it here (never a
 * new one for a type the kernel shares); a type replay never creates may
 * be mounted only in another namespace, and is cloned inside that one.
 * Returns: false when it has no source. */
static bool choose_source(const struct mnts_plan *plan, struct mnts_plan_sb *sb,
			  const struct mnts_fs_feature *feat, const struct mnts_host *host)
{
	const struct mnts_live_mount *lm = NULL;
	const struct mnts_mount *fm;
	/* a spec's superblock: a type replay creates is created, one it
	 * never creates is the live one of that type (the caller's sysfs) */
	bool made_up = mnts_spec_dev_is_made_up(sb->dev_major, sb->dev_minor);

	if (made_up && feat->create != MNTS_FS_CREATE_NEW)
		lm = mnts_live_find_type(&host->live, sb->fstype, sb->roots_common);
	else if (!made_up && mnts_fs_wants_live(feat, plan->opts->fresh))
		lm = mnts_live_find(&host->live, sb->dev_major, sb->dev_minor, sb->fstype,
				    sb->roots_common);
	switch (mnts_fs_source(feat, plan->opts->fresh, lm != NULL)) {
	case MNTS_FS_SOURCE_FRESH:
		sb->how = MNTS_SB_FRESH;
		return true;
	case MNTS_FS_SOURCE_LIVE:
		use_live(sb, lm);
		/* a spec's made-up device becomes the one cloned (the clone
		 * checks it has not changed since) */
		sb->dev_major = sb->here_major = lm->dev_major;
		sb->dev_minor = sb->here_minor = lm->dev_minor;
		return true;
	case MNTS_FS_SOURCE_NONE:
		break;
	}
	if (made_up)
		return false;
	fm = mnts_live_sb_elsewhere(&host->groups, sb->dev_major, sb->dev_minor, sb->fstype,
				    sb->roots_common);
	if (!fm)
		return false;
	sb->how = MNTS_SB_LIVE;
	sb->path = xstrdup(fm->mountpoint);
	sb->root = xstrdup(fm->root);
	sb->ns_id = fm->ns->mnt_ns_id;
	return true;
}

/* Each mount of a superblock without a source, with what to pass. */
static void no_source(const struct mnts_plan *plan, const struct mnts_fs_feature *feat,
		      const int *mine, int n_mine, struct mnts_strv *bad)
{
	char why[256];

	mnts_fs_why_no_source(feat, why, sizeof(why));
	for (int k = 0; k < n_mine; k++) {
		const struct mnts_mount *m = plan->mounts[mine[k]].m;

		plan_unresolved(bad, m,
				"no live mount of this superblock contains its root '%s', and %s "
				"(give one with --external %s%s%s:PATH)",
				m->root, why, plan->n_nss > 1 ? m->ns->label : "",
				plan->n_nss > 1 ? ":" : "", m->mountpoint);
	}
}

/* The source (devname) belongs to a mount, not its superblock: a new
 * superblock gets the first mount's, and every mount cloned from it shows
 * that one.  Mounts of one superblock with different sources come from
 * mounting a shared superblock again; each that cannot be kept is named. */
static void warn_sources(const struct mnts_plan_sb *sb, const int *mine, int n_mine,
			 const struct mnts_plan *plan)
{
	char name[512], first[512];

	for (int k = 0; k < n_mine; k++) {
		const struct mnts_mount *m = plan->mounts[mine[k]].m;

		if (!streq(m->source, sb->first->source))
			mnts_warn("'%s': its source '%s' comes back as '%s', the source of the "
				  "new superblock's first mount '%s'",
				  mnts_plan_mount_name(m, name, sizeof(name)), m->source,
				  sb->first->source,
				  mnts_plan_mount_name(sb->first, first, sizeof(first)));
	}
}

/* A cloned source must hold every root replayed from it (a deleted one
 * below it: it is made again there, plan_steps.c). */
static void check_roots(const struct mnts_plan *plan, const struct mnts_plan_sb *sb,
			const int *mine, int n_mine, struct mnts_strv *bad)
{
	for (int k = 0; k < n_mine; k++) {
		const struct mnts_mount *m = plan->mounts[mine[k]].m;

		if (!mnts_path_at_or_below(m->root, sb->root))
			plan_unresolved(bad, m,
					"root '%s' is not inside the source '%s' (root '%s')",
					m->root, sb->path, sb->root);
	}
}

/* A superblock found here by identity (host_ident.c): its block device is
 * mounted (a live mount of it holds every root), or it is mounted from the
 * device with its recorded options, never reconfiguring a mounted one
 * (CMD_CREATE_EXCL).  Returns: false when nothing identifies it here. */
static bool source_by_identity(struct mnts_plan *plan, struct mnts_plan_sb *sb,
			       const struct mnts_host *host)
{
	const struct mnts_host_dev *d = mnts_host_dev_find(host, sb->dev_major, sb->dev_minor);
	const struct mnts_live_mount *lm;
	char name[512];

	if (!d)
		return false;
	mnts_plan_mount_name(sb->first, name, sizeof(name));
	lm = mnts_live_find(&host->live, d->here_major, d->here_minor, sb->fstype,
			    sb->roots_common);
	if (lm) {
		use_live(sb, lm);
		sb->here_major = d->here_major;
		sb->here_minor = d->here_minor;
		mnts_strv_push_take(
		    &plan->warnings,
		    xasprintf("'%s' (%s %u:%u): captured in another boot: its superblock is taken "
			      "from the mount of %s (%u:%u) at '%s' here, found by %s",
			      name, sb->fstype, sb->dev_major, sb->dev_minor, d->path,
			      d->here_major, d->here_minor, lm->target,
			      d->by_uuid ? "its UUID" : "its source path"));
		return true;
	}
	sb->how = MNTS_SB_FRESH;
	sb->source_here = xstrdup(d->path);
	if (host->other_boot)
		mnts_strv_push_take(&plan->warnings,
				    xasprintf("'%s' (%s %u:%u): captured in another boot: mounted "
					      "from %s (%u:%u) here, found by %s",
					      name, sb->fstype, sb->dev_major, sb->dev_minor,
					      d->path, d->here_major, d->here_minor,
					      d->by_uuid ? "its UUID" : "its source path"));
	return true;
}

/* A superblock taken by --map-source: a clone of the path its common root
 * has under the rule's NEW. */
static bool source_mapped(struct mnts_plan *plan, struct mnts_plan_sb *sb,
			  const struct mnts_host_paths *hp, const int *mine, int n_mine,
			  struct mnts_strv *bad)
{
	const struct mnts_map_rule *rule = &plan->opts->map_rules->v[sb->map_rule];
	_cleanup_free_ char *host_path = mnts_host_path(hp, sb->first, sb->roots_common, NULL);
	const char *rest = host_path ? mnts_path_below(host_path, rule->old_path) : NULL;

	if (!rest) {
		/* its mounts' host paths are under OLD, their common root's is not */
		for (int k = 0; k < n_mine; k++)
			plan_unresolved(bad, plan->mounts[mine[k]].m,
					"--map-source '%s=%s': its superblock is visible at "
					"several host paths: map the other mounts of it too",
					rule->old_path, rule->new_path);
		return false;
	}
	sb->how = MNTS_SB_EXTERNAL;
	sb->root = xstrdup(sb->roots_common);
	sb->map_base = xstrdup(rule->new_path);
	sb->map_rel = xstrdup(rest);
	sb->path = *rest ? xasprintf("%s/%s", rule->new_path, rest) : xstrdup(rule->new_path);
	return true;
}

/* An overlay: a live one of this boot is reused (a second overlay on the
 * same upper and work directories would corrupt them), else it is made
 * from its recorded options, its layers moved by --map-source; a layer
 * that is not here is a mount that cannot be replayed. */
static bool source_layered(struct mnts_plan *plan, struct mnts_plan_sb *sb,
			   const struct mnts_host *host, const int *mine, int n_mine,
			   struct mnts_strv *bad)
{
	const struct mnts_live_mount *lm = NULL;
	const struct mnts_mount *fm;
	struct mnts_strbuf missing = {0};
	size_t n_missing = 0;
	bool ok = true;

	if (!host->other_boot)
		lm = mnts_live_find(&host->live, sb->dev_major, sb->dev_minor, sb->fstype,
				    sb->roots_common);
	if (lm) {
		use_live(sb, lm);
		return true;
	}
	/* live in another namespace (same boot, not --fresh): cloned there,
	 * never a second overlay on the same upper directory */
	fm = host->other_boot || plan->opts->fresh
		     ? NULL
		     : mnts_live_sb_elsewhere(&host->groups, sb->dev_major, sb->dev_minor,
					      sb->fstype, sb->roots_common);
	if (fm) {
		sb->how = MNTS_SB_LIVE;
		sb->path = xstrdup(fm->mountpoint);
		sb->root = xstrdup(fm->root);
		sb->ns_id = fm->ns->mnt_ns_id;
		return true;
	}
	sb->how = MNTS_SB_FRESH;
	sb->layered = true;
	mnts_layers_parse(&sb->first->super_options, plan->opts->map_rules, &sb->layers);
	for (size_t i = 0; i < sb->layers.n; i++) {
		const struct mnts_layer *l = &sb->layers.v[i];
		_cleanup_free_ char *here = mnts_layer_here(l);

		if (mnts_strv_contains(&host->missing_layers, here)) {
			mnts_strbuf_addf(&missing, "%s%.*s '%s'", missing.len ? ", " : "",
					 (int)strcspn(l->key, "+"), l->key, here);
			n_missing++;
			ok = false;
		}
		if (l->rule < 0)
			continue;
		plan->remaps = xreallocarray(plan->remaps, plan->n_remaps + 1,
					     sizeof(*plan->remaps));
		plan->remaps[plan->n_remaps++] = (struct mnts_plan_remap){
		    .m = sb->first,
		    .rule = l->rule,
		    .what = l->key,
		    .old_path = xstrdup(l->path),
		    .new_path = TAKE_PTR(here),
		};
		mnts_plan_add_mapping(plan, "map-source", plan->remaps[plan->n_remaps - 1].old_path,
				      plan->remaps[plan->n_remaps - 1].new_path, 1);
	}
	for (int k = 0; !ok && k < n_mine; k++)
		plan_unresolved(bad, plan->mounts[mine[k]].m,
				"overlay layer%s %s %s not here (map %s with --map-source OLD=NEW)",
				n_missing > 1 ? "s" : "", missing.s, n_missing > 1 ? "are" : "is",
				n_missing > 1 ? "them" : "it");
	free(missing.s);
	return ok;
}

/* A superblock captured in another boot: its device number names nothing
 * here.  A type made anew per create is made anew, unless a mount binds a
 * part of it (its content is elsewhere: map it); others come from a block
 * device found by identity, or are external and must be mapped. */
static bool source_other_boot(struct mnts_plan *plan, struct mnts_plan_sb *sb,
			      const struct mnts_fs_feature *feat, const struct mnts_host *host,
			      const int *mine, int n_mine, struct mnts_strv *bad)
{
	const char *bound = NULL;

	if (feat->create == MNTS_FS_CREATE_NEW) {
		/* a new one is empty: fine for a whole mount, not when a part
		 * of it is bound somewhere (its content is what counts) */
		for (int k = 0; k < n_mine && !bound; k++)
			if (!streq(plan->mounts[mine[k]].m->root, "/"))
				bound = plan->mounts[mine[k]].m->root;
		sb->how = MNTS_SB_FRESH;
		for (int k = 0; bound && k < n_mine; k++) {
			const struct mnts_mount *m = plan->mounts[mine[k]].m;

			if (streq(m->root, "/"))
				plan_unresolved(bad, m,
						"captured in another boot: a %s whose content "
						"(bound as '%s') is not here (map its source with "
						"--map-source OLD=NEW)",
						sb->fstype, bound);
			else
				plan_unresolved(bad, m,
						"captured in another boot: a bind of '%s' of a %s "
						"whose content is not here (map its source with "
						"--map-source OLD=NEW)",
						m->root, sb->fstype);
		}
		return !bound;
	}
	if (source_by_identity(plan, sb, host))
		return true;
	for (int k = 0; k < n_mine; k++)
		plan_unresolved(bad, plan->mounts[mine[k]].m,
				"captured in another boot, and no UUID or block device finds its "
				"superblock here (map its source with --map-source OLD=NEW, or "
				"--external)");
	return false;
}

void plan_group_superblocks(struct mnts_plan *plan, char **ext_of, int *rule_of,
			    const struct mnts_host_paths *hp, struct mnts_strv *bad)
{
	map_mounts(plan, ext_of, hp, rule_of);
	assign_superblocks(plan, ext_of, rule_of, bad);
	index_sb_mounts(plan);
}

void plan_resolve_sources(struct mnts_plan *plan, char **ext_of, const struct mnts_host_paths *hp,
			  const struct mnts_host *host, struct mnts_strv *bad)
{
	plan->other_boot = host->other_boot;
	for (size_t s = 0; s < plan->n_sbs; s++) {
		struct mnts_plan_sb *sb = &plan->sbs[s];
		const struct mnts_fs_feature *feat = mnts_fs_feature(sb->fstype);
		const int *mine = plan->sb_mounts + plan->sb_mounts_off[s];
		const int n_mine = plan->sb_mounts_off[s + 1] - plan->sb_mounts_off[s];
		const struct mnts_mount *ext_mount = NULL;
		const char *ext_path = NULL;

		for (int k = 0; k < n_mine && !ext_mount; k++)
			if (ext_of[mine[k]]) {
				ext_mount = plan->mounts[mine[k]].m;
				ext_path = ext_of[mine[k]];
			}
		if (ext_mount) {
			sb->how = MNTS_SB_EXTERNAL;
			sb->path = xstrdup(ext_path);
			sb->root = xstrdup(ext_mount->root);
		} else if (sb->map_rule >= 0) {
			source_mapped(plan, sb, hp, mine, n_mine, bad);
			continue; /* its roots are inside by construction */
		} else if (mnts_fs_is_layered(sb->fstype)) {
			if (!source_layered(plan, sb, host, mine, n_mine, bad))
				continue;
		} else if (host->other_boot) {
			if (!source_other_boot(plan, sb, feat, host, mine, n_mine, bad))
				continue;
		} else if (!choose_source(plan, sb, feat, host) &&
			   !source_by_identity(plan, sb, host)) {
			no_source(plan, feat, mine, n_mine, bad);
			continue;
		}
		if (sb->how == MNTS_SB_FRESH) {
			warn_sources(sb, mine, n_mine, plan);
			sb->root = xstrdup("/");
			/* a block device's or an overlay's options are its own */
			sb->options = feat->create == MNTS_FS_CREATE_NEW || sb->source_here ||
				      sb->layered;
			sb->ro = sb->options && mnts_strv_contains(&sb->first->super_options, "ro");
			continue;
		}
		check_roots(plan, sb, mine, n_mine, bad);
		sb->live_sources_same = sb->live_source != NULL;
		for (int k = 0; k < n_mine && sb->live_sources_same; k++)
			sb->live_sources_same =
			    streq(plan->mounts[mine[k]].m->source, sb->live_source);
	}
}

bool plan_on_external(const struct mnts_snapshot *snap, const struct mnts_mount *m,
		      const struct mnts_plan_opts *opts)
{
	for (size_t e = 0; e < opts->n_externals; e++) {
		_cleanup_free_ char *label = NULL, *key = NULL;
		struct mnts_error ignored = {0}; /* the planner reports it */
		const char *path;

		if (plan_parse_external(opts->externals[e], &label, &key, &path, &ignored) < 0)
			continue;
		for (size_t n = 0; n < snap->n_ns; n++) {
			const struct mnts_ns *ns = &snap->nss[n];
			const struct mnts_mount *top;

			if ((label && !streq(label, ns->label)) || !plan_ns_wanted(opts, ns))
				continue;
			top = plan_top_mount_at(ns, key);
			if (top && !top->nsfs_type && top->dev_major == m->dev_major &&
			    top->dev_minor == m->dev_minor && streq(top->fstype, m->fstype))
				return true;
		}
	}
	return false;
}

/* Orders mounts by superblock: (dev, fstype). */
static int cmp_by_sb(const void *a, const void *b)
{
	const struct mnts_mount *x = *(const struct mnts_mount *const *)a;
	const struct mnts_mount *y = *(const struct mnts_mount *const *)b;

	if (x->dev_major != y->dev_major)
		return x->dev_major < y->dev_major ? -1 : 1;
	if (x->dev_minor != y->dev_minor)
		return x->dev_minor < y->dev_minor ? -1 : 1;
	return strcmp(x->fstype, y->fstype);
}

/* The mounts of the replayed namespaces whose type replay never creates:
 * the only ones choose_source() may look for elsewhere.  Few; free it. */
static const struct mnts_mount **never_created(const struct mnts_snapshot *snap,
					       const struct mnts_plan_opts *opts, size_t *ret_n)
{
	const struct mnts_mount **v = NULL;
	const char *type = NULL;
	bool created = false;
	size_t n = 0;

	for (size_t i = 0; i < snap->n_ns; i++) {
		const struct mnts_ns *ns = &snap->nss[i];

		if (!plan_ns_wanted(opts, ns))
			continue;
		for (size_t k = 0; k < ns->n_mounts; k++) {
			const struct mnts_mount *m = &ns->mounts[k];

			/* nsfs mounts are pins, made from the namespaces they pin or
			 * --external, never cloned from a live nsfs mount (whose
			 * root is no path: none would hold theirs) */
			if (m->nsfs_type || streq(m->fstype, "nsfs"))
				continue;
			/* one look-up per run of one type, not per mount; an
			 * overlay is looked for elsewhere (not with --fresh):
			 * made only when it is live nowhere */
			if (!type || !streq(type, m->fstype)) {
				type = m->fstype;
				created = mnts_fs_feature(type)->create == MNTS_FS_CREATE_NEW ||
					  (mnts_fs_is_layered(type) && opts->fresh);
			}
			if (created)
				continue;
			if ((n & (n - 1)) == 0)
				v = xreallocarray(v, n ? 2 * n : 8, sizeof(*v));
			v[n++] = m;
		}
	}
	*ret_n = n;
	return v;
}

void mnts_plan_want_elsewhere(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts,
			      const struct mnts_live_table *live, struct mnts_live_wants *w)
{
	size_t n = 0, j;
	_cleanup_free_ const struct mnts_mount **v = never_created(snap, opts, &n);

	if (n)
		qsort(v, n, sizeof(*v), cmp_by_sb);
	/* per superblock, as choose_source() asks: a live mount here holding
	 * the common ancestor of its roots */
	for (size_t i = 0; i < n; i = j) {
		size_t len = strlen(v[i]->root);
		_cleanup_free_ char *common = NULL;

		for (j = i + 1; j < n && cmp_by_sb(&v[i], &v[j]) == 0; j++)
			if (len > 1)
				len = plan_common_ancestor_len(v[i]->root, len, v[j]->root);
		/* a spec's superblock is looked for here only (choose_source) */
		if (plan_on_external(snap, v[i], opts) ||
		    mnts_spec_dev_is_made_up(v[i]->dev_major, v[i]->dev_minor))
			continue;
		common = xstrndup(v[i]->root, len);
		if (mnts_live_find(live, v[i]->dev_major, v[i]->dev_minor, v[i]->fstype, common))
			continue;
		w->v = xreallocarray(w->v, w->n + 1, sizeof(*w->v));
		w->v[w->n++] = (struct mnts_live_want){
		    .dev_major = v[i]->dev_major,
		    .dev_minor = v[i]->dev_minor,
		    .fstype = v[i]->fstype,
		    .root = TAKE_PTR(common),
		};
	}
}

bool mnts_plan_needs_other_ns(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts,
			      const struct mnts_live_table *live)
{
	struct mnts_live_wants w = {0};
	bool need;

	mnts_plan_want_elsewhere(snap, opts, live, &w);
	need = w.n > 0;
	mnts_live_wants_done(&w);
	return need;
}

void mnts_live_wants_done(struct mnts_live_wants *w)
{
	for (size_t i = 0; i < w->n; i++)
		free(w->v[i].root);
	free(w->v);
	*w = (struct mnts_live_wants){0};
}

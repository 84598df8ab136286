/* plan.c - validate a snapshot for replay and compute the steps (see plan.h
 * and plan_internal.h for the phases and their files) */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/replay/plan_internal.h"

int plan_new_slot(struct mnts_plan *plan)
{
	return plan->n_slots++;
}

struct mnts_step *plan_add_step(struct mnts_plan *plan, enum mnts_step_kind kind, int obj)
{
	struct mnts_step *s;

	if (plan->n_steps == plan->cap_steps) {
		/* first room for about what a plan takes (four steps a mount:
		 * its clone, mountpoint, attach and propagation; two a
		 * superblock, its source; four a group, its anchors):
		 * the pages not written cost nothing, where doubling copied
		 * and faulted in twice what it kept (groups 50k: 14 MB) */
		plan->cap_steps = plan->cap_steps ? 2 * plan->cap_steps
						  : 256 + 4 * plan->n_mounts + 2 * plan->n_sbs +
							4 * plan->n_groups;
		plan->steps = xreallocarray(plan->steps, plan->cap_steps, sizeof(*plan->steps));
	}
	s = &plan->steps[plan->n_steps++];
	*s = (struct mnts_step){
	    .kind = kind, .obj = obj, .dst = -1, .src = -1, .aux = -1, .keep = -1, .view = -1};
	return s;
}

int mnts_plan_ns_index(const struct mnts_plan *plan, const struct mnts_ns *ns)
{
	const struct mnts_snapshot *snap = plan->snap;

	/* once per mount and step: a search of 1,000 namespaces per mount
	 * made planning quadratic in the number of namespaces */
	if (plan->ns_by_snap && ns >= snap->nss && ns < snap->nss + snap->n_ns)
		return plan->ns_by_snap[ns - snap->nss];
	for (size_t i = 0; i < plan->n_nss; i++)
		if (plan->nss[i].ns == ns)
			return (int)i;
	return -1;
}

int plan_ns_index(const struct mnts_plan *plan, const struct mnts_ns *ns)
{
	return mnts_plan_ns_index(plan, ns);
}

/* plan->ns_by_snap from plan->nss, after each change of their order. */
static void index_namespaces(struct mnts_plan *plan)
{
	const struct mnts_snapshot *snap = plan->snap;

	if (!plan->ns_by_snap)
		plan->ns_by_snap = xcalloc(snap->n_ns + 1, sizeof(*plan->ns_by_snap));
	for (size_t i = 0; i < snap->n_ns; i++)
		plan->ns_by_snap[i] = -1;
	for (size_t n = 0; n < plan->n_nss; n++)
		if (plan->nss[n].ns >= snap->nss && plan->nss[n].ns < snap->nss + snap->n_ns)
			plan->ns_by_snap[plan->nss[n].ns - snap->nss] = (int)n;
}

int plan_mount_index(const struct mnts_plan *plan, const struct mnts_mount *m)
{
	int n = plan_ns_index(plan, m->ns);

	return n < 0 ? -1 : plan->nss[n].base + (int)m->index;
}

bool plan_ns_wanted(const struct mnts_plan_opts *opts, const struct mnts_ns *ns)
{
	bool want = opts->n_ns_labels == 0;

	for (size_t k = 0; k < opts->n_ns_labels && !want; k++)
		want = streq(opts->ns_labels[k], ns->label);
	return want;
}

void mnts_findings_add(struct mnts_findings *f, const char *item, const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	if (vasprintf(&text, fmt, ap) < 0)
		text = NULL;
	va_end(ap);
	if (!text)
		abort(); /* as xalloc does: out of memory */
	if ((f->n & (f->n - 1)) == 0)
		f->v = xreallocarray(f->v, f->n ? 2 * f->n : 4, sizeof(*f->v));
	f->v[f->n++] = (struct mnts_finding){.item = xstrdup(item), .text = text};
}

void mnts_findings_clear(struct mnts_findings *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->v[i].item);
		free(f->v[i].text);
	}
	free(f->v);
	f->v = NULL;
	f->n = 0;
}

void mnts_plan_add_mapping(struct mnts_plan *plan, const char *kind, const char *from,
			   const char *to, size_t n_mounts)
{
	plan->mappings =
	    xreallocarray(plan->mappings, plan->n_mappings + 1, sizeof(*plan->mappings));
	plan->mappings[plan->n_mappings++] = (struct mnts_plan_mapping){
	    .kind = kind, .from = xstrdup(from), .to = xstrdup(to), .n_mounts = n_mounts};
}

/* The mount and the reason are kept apart by UNRESOLVED_SEP, so that each
 * can become a finding (item, text); the one-line error joins them. */
#define UNRESOLVED_SEP '\x1f'

void plan_unresolved(struct mnts_strv *bad, const struct mnts_mount *m, const char *fmt, ...)
{
	char name[512], why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	mnts_strv_push_take(bad, xasprintf("'%s' (%s %u:%u)%c%s",
					   mnts_plan_mount_name(m, name, sizeof(name)), m->fstype,
					   m->dev_major, m->dev_minor, UNRESOLVED_SEP, why));
}

/* Each reason as a finding: the mount, and why (a reason not about one
 * mount, "peer group N: ...", is split at its first ": "). */
static void unresolved_findings(const struct mnts_strv *bad, struct mnts_findings *f)
{
	for (size_t i = 0; i < bad->n; i++) {
		const char *s = bad->v[i], *sep = strchr(s, UNRESOLVED_SEP);
		size_t skip = 1;
		_cleanup_free_ char *item = NULL;

		if (!sep) {
			sep = strstr(s, ": ");
			skip = 2;
		}
		if (!sep) {
			mnts_findings_add(f, "snapshot", "%s", s);
			continue;
		}
		item = xstrndup(s, (size_t)(sep - s));
		mnts_findings_add(f, item, "%s", sep + skip);
	}
}

static int select_namespaces(struct mnts_plan *plan, struct mnts_error *err)
{
	const struct mnts_snapshot *snap = plan->snap;
	const struct mnts_plan_opts *opts = plan->opts;

	plan->nss = xcalloc(snap->n_ns ? snap->n_ns : 1, sizeof(*plan->nss));
	for (size_t i = 0; i < opts->n_ns_labels; i++)
		if (!mnts_snapshot_find_ns(snap, opts->ns_labels[i]))
			return mnts_err(err, 0, "--ns '%s': no such namespace in the snapshot",
					opts->ns_labels[i]);
	for (size_t i = 0; i < snap->n_ns; i++)
		if (plan_ns_wanted(opts, &snap->nss[i]))
			plan->nss[plan->n_nss++] =
			    (struct mnts_plan_ns){.ns = &snap->nss[i], .slot = -1};
	if (plan->n_nss == 0)
		return mnts_err(err, 0, "snapshot: has no namespace to replay");
	if (opts->target != MNTS_PLAN_TARGET_NEW && plan->n_nss != 1)
		return mnts_err(err, 0,
				"target namespace: receives one snapshot namespace, the snapshot "
				"has %zu (choose one with --ns)",
				plan->n_nss);
	return 0;
}

/* plan->mounts: every mount of the replayed namespaces, in order. */
static void list_mounts(struct mnts_plan *plan)
{
	for (size_t n = 0; n < plan->n_nss; n++) {
		const struct mnts_ns *ns = plan->nss[n].ns;
		const struct mnts_snapshot *snap = plan->snap;
		int snap_ns =
		    ns >= snap->nss && ns < snap->nss + snap->n_ns ? (int)(ns - snap->nss) : -1;

		plan->nss[n].base = (int)plan->n_mounts;
		plan->mounts = xreallocarray(plan->mounts, plan->n_mounts + ns->n_mounts,
					     sizeof(*plan->mounts));
		for (size_t i = 0; i < ns->n_mounts; i++)
			plan->mounts[plan->n_mounts++] = (struct mnts_plan_mount){
			    .m = &ns->mounts[i],
			    .snap_ns = snap_ns,
			    .sb = -1,
			    .nsfs_of = -1,
			    .slot = -1,
			    .mp_slot = -1,
			    .group = -1,
			    .slave_of = -1,
			};
	}
}

/* One error naming every mount that cannot be replayed. */
static int unresolved_error(const struct mnts_strv *bad, struct mnts_error *err)
{
	size_t len = 0;
	_cleanup_free_ char *all = NULL;

	for (size_t i = 0; i < bad->n; i++)
		len += strlen(bad->v[i]) + 3;
	all = xcalloc(len + 1, 1);
	/* stpcpy, not strcat: 100,000 reasons are joined in linear time */
	for (size_t i = 0, end = 0; i < bad->n; i++) {
		char *start = stpcpy(all + end, i ? "; " : ""), *sep;

		end = (size_t)(stpcpy(start, bad->v[i]) - all);
		sep = strchr(start, UNRESOLVED_SEP);
		if (sep) { /* ": " in place of the one-byte separator */
			memmove(sep + 2, sep + 1, (size_t)(all + end - sep));
			memcpy(sep, ": ", 2);
			end++;
		}
	}
	return mnts_err(err, 0, "cannot replay %zu mount%s: %s", bad->n, bad->n == 1 ? "" : "s",
			all);
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

/* What mnts_plan_begin() leaves for mnts_plan_finish(). */
struct mnts_plan_pending {
	char **ext_of; /* per mount: its --external path, or NULL */
	int *rule_of;  /* per mount: its --map-source rule, or -1 */
	struct mnts_host_paths *hp;
	struct mnts_strv bad; /* mounts that cannot be replayed, so far */
};

static void pending_free(struct mnts_plan *plan)
{
	struct mnts_plan_pending *p = plan->pending;

	if (!p)
		return;
	for (size_t i = 0; p->ext_of && i < plan->n_mounts; i++)
		free(p->ext_of[i]);
	free(p->ext_of);
	free(p->rule_of);
	mnts_host_paths_free(p->hp);
	mnts_strv_clear(&p->bad);
	free(p);
	plan->pending = NULL;
}

int mnts_plan_begin(struct mnts_plan *plan, const struct mnts_snapshot *snap,
		    const struct mnts_plan_opts *opts, struct mnts_error *err)
{
	struct mnts_plan_pending *p;
	int r;

	memset(plan, 0, sizeof(*plan));
	plan->snap = snap;
	plan->opts = opts;
	if (!snap->linked)
		return mnts_err(err, 0, "snapshot: not validated");
	r = select_namespaces(plan, err);
	if (r < 0) {
		mnts_plan_done(plan);
		return r;
	}
	index_namespaces(plan);
	list_mounts(plan);
	p = plan->pending = xcalloc(1, sizeof(*p));
	p->ext_of = xcalloc(plan->n_mounts + 1, sizeof(*p->ext_of));
	p->rule_of = xcalloc(plan->n_mounts + 1, sizeof(*p->rule_of));
	r = plan_apply_externals(plan, p->ext_of, err);
	if (r < 0) {
		mnts_plan_done(plan);
		return r;
	}
	if (opts->map_rules && opts->map_rules->n)
		p->hp = mnts_host_paths_new(snap);
	plan_group_superblocks(plan, p->ext_of, p->rule_of, p->hp, &p->bad);
	return 0;
}

int mnts_plan_finish(struct mnts_plan *plan, const struct mnts_host *host, struct mnts_error *err)
{
	struct mnts_plan_pending *p = plan->pending;
	int r;

	plan_resolve_sources(plan, p->ext_of, p->hp, host, &p->bad);
	plan_build_groups(plan, &host->groups, &p->bad);
	if (p->bad.n) {
		if (plan->opts->problems)
			unresolved_findings(&p->bad, plan->opts->problems);
		r = unresolved_error(&p->bad, err);
		goto out;
	}
	r = order_namespaces(plan, err);
	if (r < 0)
		goto out;
	index_namespaces(plan);
	r = plan_build_steps(plan, err);
out:
	pending_free(plan);
	/* the caller owns a plan only when it was built */
	if (r < 0)
		mnts_plan_done(plan);
	return r;
}

int mnts_plan_build(struct mnts_plan *plan, const struct mnts_snapshot *snap,
		    const struct mnts_host *host, const struct mnts_plan_opts *opts,
		    struct mnts_error *err)
{
	int r = mnts_plan_begin(plan, snap, opts, err);

	return r < 0 ? r : mnts_plan_finish(plan, host, err);
}

char *mnts_plan_userns_pin(const struct mnts_plan *plan, size_t n)
{
	const struct mnts_ns *ns = plan->nss[n].ns;

	if (plan->opts->userns_none || plan->opts->userns_given || !ns->owner.known ||
	    ns->owner.initial)
		return NULL;
	return xasprintf("%s.userns", ns->label);
}

void mnts_plan_done(struct mnts_plan *plan)
{
	pending_free(plan);
	for (size_t i = 0; i < plan->n_sbs; i++) {
		if (!plan->sbs[i].live_strings) {
			free(plan->sbs[i].path);
			free(plan->sbs[i].live_source);
			free(plan->sbs[i].root);
		}
		free(plan->sbs[i].roots_own);
		free(plan->sbs[i].map_base);
		free(plan->sbs[i].map_rel);
		free(plan->sbs[i].source_here);
		mnts_layers_done(&plan->sbs[i].layers);
	}
	for (size_t i = 0; i < plan->n_remaps; i++) {
		free(plan->remaps[i].old_path);
		free(plan->remaps[i].new_path);
	}
	free(plan->remaps);
	mnts_strv_clear(&plan->warnings);
	free(plan->sb_mounts);
	free(plan->sb_mounts_off);
	free(plan->sb_made);
	free(plan->group_made);
	free(plan->deferred);
	free(plan->inside_tops);
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
	free(plan->ns_by_snap);
	free(plan->steps);
	for (size_t i = 0; i < plan->n_mappings; i++) {
		free(plan->mappings[i].from);
		free(plan->mappings[i].to);
	}
	free(plan->mappings);
	memset(plan, 0, sizeof(*plan));
}

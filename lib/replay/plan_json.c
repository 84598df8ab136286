/* plan_json.c - the plan as JSON (see plan_json.h and spec/PLAN-JSON.md).
 * Keys in sorted order in every object, as the snapshot writer does. */
#include <inttypes.h>
#include <stdio.h>

#include "lib/json/jsonwriter.h"
#include "lib/replay/plan_json.h"
#include "lib/replay/steps.h"

static void w_str(struct mnts_jw *w, const char *key, const char *s)
{
	mnts_jw_key(w, key);
	if (s)
		mnts_jw_string(w, s);
	else
		mnts_jw_null(w);
}

static void w_u64_or_null(struct mnts_jw *w, const char *key, uint64_t v, bool set)
{
	mnts_jw_key(w, key);
	if (set)
		mnts_jw_u64(w, v);
	else
		mnts_jw_null(w);
}

static const char *target_kind(enum mnts_replay_target t)
{
	switch (t) {
	case MNTS_REPLAY_NEW:
		return "new";
	case MNTS_REPLAY_PID:
		return "pid";
	case MNTS_REPLAY_NSFILE:
		return "nsfile";
	}
	return "?";
}

static void w_target(struct mnts_jw *w, const struct mnts_replay_opts *opts)
{
	char pid[32];

	snprintf(pid, sizeof(pid), "/proc/%d/ns/mnt", (int)opts->pid);
	mnts_jw_key(w, "target");
	mnts_jw_begin_object(w);
	w_str(w, "kind", target_kind(opts->target));
	w_str(w, "namespace",
	      opts->target == MNTS_REPLAY_PID	   ? pid
	      : opts->target == MNTS_REPLAY_NSFILE ? opts->nsfile
						   : NULL);
	w_str(w, "new_dir", opts->target == MNTS_REPLAY_NEW ? opts->new_dir : NULL);
	w_str(w, "root", opts->root_dir);
	mnts_jw_end_object(w);
}

static const char *sb_from(enum mnts_sb_how how)
{
	switch (how) {
	case MNTS_SB_FRESH:
		return "new";
	case MNTS_SB_LIVE:
		return "live";
	case MNTS_SB_EXTERNAL:
		return "external";
	}
	return "?";
}

static void w_sources(struct mnts_jw *w, const struct mnts_plan *plan)
{
	char dev[32], name[512];

	mnts_jw_key(w, "sources");
	mnts_jw_begin_array(w);
	for (size_t s = 0; plan && s < plan->n_sbs; s++) {
		const struct mnts_plan_sb *sb = &plan->sbs[s];

		snprintf(dev, sizeof(dev), "%u:%u", sb->dev_major, sb->dev_minor);
		mnts_jw_elem(w);
		mnts_jw_begin_object(w);
		w_str(w, "dev", dev);
		w_str(w, "first", mnts_plan_mount_name(sb->first, name, sizeof(name)));
		w_str(w, "from", sb_from(sb->how));
		w_str(w, "fstype", sb->fstype);
		mnts_jw_key(w, "mounts");
		mnts_jw_u64(w, (uint64_t)(plan->sb_mounts_off[s + 1] - plan->sb_mounts_off[s]));
		w_u64_or_null(w, "namespace_id", sb->ns_id, sb->ns_id != 0);
		w_str(w, "path", sb->how == MNTS_SB_FRESH ? NULL : sb->path);
		w_str(w, "root", sb->root);
		mnts_jw_end_object(w);
	}
	mnts_jw_end_array(w);
}

static void w_mappings(struct mnts_jw *w, const struct mnts_plan *plan)
{
	mnts_jw_key(w, "mappings");
	mnts_jw_begin_array(w);
	for (size_t i = 0; plan && i < plan->n_mappings; i++) {
		const struct mnts_plan_mapping *mp = &plan->mappings[i];

		mnts_jw_elem(w);
		mnts_jw_begin_object(w);
		w_str(w, "from", mp->from);
		w_str(w, "kind", mp->kind);
		mnts_jw_key(w, "mounts");
		mnts_jw_u64(w, mp->n_mounts);
		w_str(w, "to", mp->to);
		mnts_jw_end_object(w);
	}
	mnts_jw_end_array(w);
}

static void w_namespaces(struct mnts_jw *w, const struct mnts_plan *plan,
			 const struct mnts_replay_opts *opts)
{
	mnts_jw_key(w, "namespaces");
	mnts_jw_begin_array(w);
	for (size_t n = 0; plan && n < plan->n_nss; n++) {
		const struct mnts_ns *ns = plan->nss[n].ns;
		_cleanup_free_ char *pin = NULL;

		if (opts->target == MNTS_REPLAY_NEW)
			pin = xasprintf("%s/%s", opts->new_dir, ns->label);
		mnts_jw_elem(w);
		mnts_jw_begin_object(w);
		w_str(w, "label", ns->label);
		mnts_jw_key(w, "mounts");
		mnts_jw_u64(w, ns->n_mounts);
		w_str(w, "pin", pin);
		mnts_jw_end_object(w);
	}
	mnts_jw_end_array(w);
}

/* One step: its kind, what it acts on (and what kind of thing that is),
 * the mount's target path and namespace, its peer group, and its line. */
static void w_step(struct mnts_jw *w, const struct mnts_plan *plan, size_t i)
{
	const struct mnts_step *s = &plan->steps[i];
	const struct mnts_step_kind_def *def = &mnts_step_kinds[s->kind];
	const struct mnts_mount *m = NULL;
	const struct mnts_ns *ns = NULL;
	const char *obj_kind = NULL, *path = NULL;
	char obj[512], text[2048];
	uint64_t group = 0;

	obj[0] = '\0';
	switch (def->obj) {
	case MNTS_STEP_OBJ_NONE:
		break;
	case MNTS_STEP_OBJ_SB:
		obj_kind = "superblock";
		snprintf(obj, sizeof(obj), "%s %u:%u", plan->sbs[s->obj].fstype,
			 plan->sbs[s->obj].dev_major, plan->sbs[s->obj].dev_minor);
		if (plan->sbs[s->obj].how != MNTS_SB_FRESH)
			path = plan->sbs[s->obj].path;
		break;
	case MNTS_STEP_OBJ_MOUNT:
		obj_kind = "mount";
		m = plan->mounts[s->obj].m;
		mnts_plan_mount_name(m, obj, sizeof(obj));
		path = m->mountpoint;
		ns = m->ns;
		group = m->shared_id;
		break;
	case MNTS_STEP_OBJ_GROUP:
		obj_kind = "group";
		group = plan->groups[s->obj].shared_id;
		snprintf(obj, sizeof(obj), "peer group %" PRIu64, group);
		path = plan->groups[s->obj].live ? plan->groups[s->obj].path : NULL;
		break;
	case MNTS_STEP_OBJ_NS:
		obj_kind = "namespace";
		ns = plan->nss[s->obj].ns;
		snprintf(obj, sizeof(obj), "%s", ns->label);
		break;
	}
	mnts_plan_step_text(plan, i, text, sizeof(text));
	mnts_jw_elem(w);
	mnts_jw_begin_object(w);
	w_u64_or_null(w, "group", group, group != 0);
	w_str(w, "kind", def->name);
	w_str(w, "namespace", ns ? ns->label : NULL);
	w_str(w, "object", obj_kind ? obj : NULL);
	w_str(w, "object_kind", obj_kind);
	w_str(w, "path", path);
	mnts_jw_key(w, "step");
	mnts_jw_u64(w, i + 1);
	w_str(w, "text", text);
	mnts_jw_end_object(w);
}

static void w_findings(struct mnts_jw *w, const char *key, const struct mnts_findings *f)
{
	mnts_jw_key(w, key);
	mnts_jw_begin_array(w);
	for (size_t i = 0; f && i < f->n; i++) {
		mnts_jw_elem(w);
		mnts_jw_begin_object(w);
		w_str(w, "item", f->v[i].item);
		w_str(w, "problem", f->v[i].text);
		mnts_jw_end_object(w);
	}
	mnts_jw_end_array(w);
}

int mnts_plan_json(const struct mnts_plan *plan, const struct mnts_replay_opts *opts,
		   const struct mnts_strv *warnings, const struct mnts_findings *problems, FILE *f,
		   struct mnts_error *err)
{
	struct mnts_jw w;

	mnts_jw_init(&w, f, false);
	mnts_jw_begin_object(&w);
	w_mappings(&w, plan);
	w_namespaces(&w, plan, opts);
	mnts_jw_key(&w, "ok");
	mnts_jw_bool(&w, plan && (!problems || !problems->n));
	mnts_jw_key(&w, "plan_version");
	mnts_jw_u64(&w, MNTS_PLAN_JSON_VERSION);
	w_findings(&w, "problems", problems);
	w_sources(&w, plan);
	mnts_jw_key(&w, "steps");
	mnts_jw_begin_array(&w);
	for (size_t i = 0; plan && i < plan->n_steps; i++)
		w_step(&w, plan, i);
	mnts_jw_end_array(&w);
	w_target(&w, opts);
	mnts_jw_key(&w, "warnings");
	mnts_jw_begin_array(&w);
	for (size_t i = 0; warnings && i < warnings->n; i++) {
		mnts_jw_elem(&w);
		mnts_jw_string(&w, warnings->v[i]);
	}
	mnts_jw_end_array(&w);
	mnts_jw_end_object(&w);
	return mnts_jw_end_document(&w, err);
}

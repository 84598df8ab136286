/* plan_json_test.c - `replay -n --json` (spec/PLAN-JSON.md) read back by
 * jansson, an independent parser: a plan of a fixture with an --external,
 * and a refused plan with its problems. */
#include <jansson.h>
#include <stdlib.h>

#include "lib/json/snapjson.h"
#include "lib/replay/host.h"
#include "lib/replay/plan.h"
#include "lib/replay/plan_json.h"
#include "lib/replay/steps.h"
#include "tests/unit/tap.h"

/* The document for plan (or NULL) as a string (free it); *ret_rc: what
 * mnts_plan_json() returned. */
static char *write_json(const struct mnts_plan *plan, const struct mnts_replay_opts *opts,
			const struct mnts_strv *warnings, const struct mnts_findings *problems,
			int *ret_rc)
{
	struct mnts_error err = {0};
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	*ret_rc = mnts_plan_json(plan, opts, warnings, problems, f, &err);
	fclose(f);
	return buf;
}

/* Whether text is what jansson writes for the same document with sorted
 * keys: the writer's promise (jsonwriter.h). */
static bool sorted_like_jansson(json_t *doc, const char *text)
{
	char *again = json_dumps(doc, JSON_SORT_KEYS | JSON_INDENT(2));
	bool same =
	    again && strlen(text) == strlen(again) + 1 && !strncmp(text, again, strlen(again));

	free(again);
	return same;
}

int main(void)
{
	struct mnts_snapshot *snap = NULL;
	struct mnts_error err = {0};

	if (mnts_snapshot_read("tests/unit/fixtures/plan/sources.json", &snap, &err) < 0)
		printf("# %s\n", err.msg);

	TEST("a plan with --external: every step, source and mapping, as jansson reads it")
	{
		char *ext[] = {"/data:/srv/b/data"};
		const struct mnts_plan_opts popts = {.target = MNTS_PLAN_TARGET_NEW,
						     .new_dir = "/run/ct",
						     .externals = ext,
						     .n_externals = 1};
		const struct mnts_replay_opts opts = {.target = MNTS_REPLAY_NEW,
						      .new_dir = "/run/ct"};
		struct mnts_strv warnings = {0};
		struct mnts_host h = {0};
		struct mnts_plan plan;
		json_error_t jerr;
		json_t *doc = NULL, *steps, *sources, *mp;
		char *text = NULL;
		int rc = -1;

		mnts_strv_push(&warnings, "a warning");
		mnts_live_table_index(&h.live);
		CHECK(snap && mnts_plan_build(&plan, snap, &h, &popts, &err) == 0);
		if (snap && plan.n_steps) {
			text = write_json(&plan, &opts, &warnings, NULL, &rc);
			doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
		}
		CHECK(rc == 0);
		CHECK(doc != NULL);
		CHECK(doc && sorted_like_jansson(doc, text));
		CHECK(json_integer_value(json_object_get(doc, "plan_version")) == 1);
		CHECK(json_is_true(json_object_get(doc, "ok")));
		steps = json_object_get(doc, "steps");
		CHECK(json_array_size(steps) == (doc ? plan.n_steps : 1));
		for (size_t i = 0; doc && i < json_array_size(steps); i++) {
			json_t *s = json_array_get(steps, i);

			CHECK((size_t)json_integer_value(json_object_get(s, "step")) == i + 1);
			CHECK(streq(json_string_value(json_object_get(s, "kind")),
				    mnts_step_kinds[plan.steps[i].kind].name));
			CHECK(json_is_string(json_object_get(s, "text")));
		}
		sources = json_object_get(doc, "sources");
		CHECK(json_array_size(sources) == (doc ? plan.n_sbs : 1));
		for (size_t i = 0; doc && i < json_array_size(sources); i++) {
			json_t *s = json_array_get(sources, i);
			const char *from = json_string_value(json_object_get(s, "from"));

			CHECK(
			    streq(from, plan.sbs[i].how == MNTS_SB_EXTERNAL ? "external" : "new"));
			if (plan.sbs[i].how == MNTS_SB_EXTERNAL)
				CHECK(streq(json_string_value(json_object_get(s, "path")),
					    "/srv/b/data"));
		}
		mp = json_array_get(json_object_get(doc, "mappings"), 0);
		CHECK(streq(json_string_value(json_object_get(mp, "kind")), "external"));
		CHECK(streq(json_string_value(json_object_get(mp, "from")), "/data"));
		CHECK(streq(json_string_value(json_object_get(mp, "to")), "/srv/b/data"));
		CHECK(json_integer_value(json_object_get(mp, "mounts")) == 1);
		CHECK(streq(json_string_value(json_array_get(json_object_get(doc, "warnings"), 0)),
			    "a warning"));
		CHECK(streq(
		    json_string_value(json_object_get(json_object_get(doc, "target"), "new_dir")),
		    "/run/ct"));
		json_decref(doc);
		free(text);
		mnts_strv_clear(&warnings);
		if (snap)
			mnts_plan_done(&plan);
		mnts_host_done(&h);
	}

	TEST("a plan refused: ok false, no steps, each problem with its item")
	{
		const struct mnts_replay_opts opts = {
		    .target = MNTS_REPLAY_PID, .pid = 42, .root_dir = "/mnt"};
		struct mnts_findings problems = {0};
		json_error_t jerr;
		json_t *doc, *p;
		char *text;
		int rc;

		mnts_findings_add(&problems, "'ns0:/data' (ext4 8:1)", "no source %d", 1);
		mnts_findings_add(&problems, "--new '/run/x'", "does not exist");
		text = write_json(NULL, &opts, NULL, &problems, &rc);
		doc = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
		CHECK(rc == 0);
		CHECK(doc && sorted_like_jansson(doc, text));
		CHECK(json_is_false(json_object_get(doc, "ok")));
		CHECK(json_array_size(json_object_get(doc, "steps")) == 0);
		CHECK(json_array_size(json_object_get(doc, "problems")) == 2);
		p = json_array_get(json_object_get(doc, "problems"), 0);
		CHECK(
		    streq(json_string_value(json_object_get(p, "item")), "'ns0:/data' (ext4 8:1)"));
		CHECK(streq(json_string_value(json_object_get(p, "problem")), "no source 1"));
		CHECK(streq(
		    json_string_value(json_object_get(json_object_get(doc, "target"), "namespace")),
		    "/proc/42/ns/mnt"));
		CHECK(streq(
		    json_string_value(json_object_get(json_object_get(doc, "target"), "root")),
		    "/mnt"));
		json_decref(doc);
		free(text);
		mnts_findings_clear(&problems);
	}

	TEST("the planner's refused mounts become findings: the mount, and why")
	{
		const struct mnts_plan_opts base = {.target = MNTS_PLAN_TARGET_NEW,
						    .new_dir = "/run/ct"};
		struct mnts_findings problems = {0};
		struct mnts_plan_opts popts = base;
		struct mnts_host h = {0};
		struct mnts_plan plan;
		int r;

		popts.problems = &problems;
		mnts_live_table_index(&h.live);
		/* no live ext4 8:1 and no --external: /data has no source */
		r = snap ? mnts_plan_build(&plan, snap, &h, &popts, &err) : 0;
		CHECK(r < 0);
		CHECK(strstr(err.msg, "cannot replay 1 mount: 'ns0:/data' (ext4 8:1): no live ") ==
		      err.msg);
		CHECK(problems.n == 1);
		CHECK(problems.n && streq(problems.v[0].item, "'ns0:/data' (ext4 8:1)"));
		CHECK(problems.n && !strncmp(problems.v[0].text, "no live mount", 13));
		mnts_findings_clear(&problems);
		mnts_host_done(&h);
	}

	mnts_snapshot_free(snap);
	return tap_done();
}

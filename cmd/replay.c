/* replay.c - `mntsnap replay`: rebuild a snapshot's mount namespaces */
#include <argp.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/compare/compare.h"
#include "lib/compare/side.h"
#include "lib/core/log.h"
#include "lib/core/macros.h"
#include "lib/replay/host.h"
#include "lib/replay/replay.h"
#include "lib/replay/replay_verify.h"
#include "lib/json/snapjson.h"
#include "lib/report/diffreport.h"

enum {
	OPT_NEW = 0x100,
	OPT_ROOT,
	OPT_NS,
	OPT_EXTERNAL,
	OPT_FRESH,
	OPT_CREATE_MP,
	OPT_NO_VERIFY,
	OPT_USERNS,
	OPT_TARGET,
	OPT_DRY_RUN,
	OPT_MAP_SOURCE,
	OPT_MAP_FILE,
	OPT_MKDIR,
	OPT_JSON,
};

struct replay_args {
	struct mnts_replay_opts opts;
	const char *snapshot;
	int n_targets;
	bool no_verify;
	struct mnts_strv ns_labels, externals;
	struct mnts_map_rules map_rules;
};

static const struct argp_option options[] = {
    {NULL, 0, NULL, 0, "Target (exactly one):", 1},
    {"new", OPT_NEW, "DIR", 0,
     "One new mount namespace per snapshot namespace, pinned at DIR/LABEL", 1},
    {"target", OPT_TARGET, "PID", 0, "Replay into PID's existing mount namespace", 1},
    /* -t and -n are findmnt's --types and --noheadings (and show's): the
     * long forms are the documented ones, the short ones still work */
    {NULL, 't', "PID", OPTION_HIDDEN, NULL, 1},
    {"mkdir", OPT_MKDIR, NULL, 0, "Create the --new DIR (mode 0700) when it is missing", 1},
    {"mount", 'm', "NSFILE", 0, "Replay into the mount namespace of an nsfs file", 1},
    {NULL, 0, NULL, 0, "Options:", 2},
    {"root", OPT_ROOT, "DIR", 0, "Graft the snapshot's tree under DIR in the target", 2},
    {"ns", OPT_NS, "LABEL", 0, "Replay only this snapshot namespace (repeatable)", 2},
    {"external", OPT_EXTERNAL, "KEY:PATH", 0,
     "Source of the mount at KEY ([LABEL:]MOUNTPOINT) is host PATH (repeatable)", 2},
    {"map-source", OPT_MAP_SOURCE, "OLD=NEW", 0,
     "Mounts whose source was at host path OLD or below it come from the same place "
     "below NEW here: binds of it, overlay layers (repeatable)",
     2},
    {"map-file", OPT_MAP_FILE, "FILE", 0,
     "Read mappings from FILE: one a line, OLD=NEW or --external KEY:PATH; # comments "
     "(repeatable)",
     2},
    {"fresh", OPT_FRESH, NULL, 0, "Create anew every superblock that can be created", 2},
    {"create-mountpoints", OPT_CREATE_MP, NULL, 0,
     "Create missing mountpoints in reused filesystems too", 2},
    {"userns", OPT_USERNS, "PID|NSFILE|none", 0,
     "Owner of namespaces captured in another user namespace: PID's or NSFILE's user "
     "namespace, or none (the caller's); default: the live one, else a new one with the "
     "captured maps",
     2},
    {"dry-run", OPT_DRY_RUN, NULL, 0,
     "Check everything the replay would and print the plan, one line per step; change "
     "nothing",
     2},
    {"json", OPT_JSON, NULL, 0, "With --dry-run: the plan and its problems as JSON", 2},
    {NULL, 'n', NULL, OPTION_HIDDEN, NULL, 2},
    {"no-verify", OPT_NO_VERIFY, NULL, 0, "Skip capturing and comparing the result", 2},
    {0}};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct replay_args *a = state->input;
	char *end;
	long pid;

	switch (key) {
	case OPT_NEW:
		a->opts.target = MNTS_REPLAY_NEW;
		a->opts.new_dir = arg;
		a->n_targets++;
		break;
	case OPT_TARGET:
	case 't':
		errno = 0;
		pid = strtol(arg, &end, 10);
		if (errno || *end || pid <= 0 || pid > INT_MAX)
			mnts_usage_error(state, "--target '%s': not a process id", arg);
		a->opts.target = MNTS_REPLAY_PID;
		a->opts.pid = (pid_t)pid;
		a->n_targets++;
		break;
	case 'm':
		a->opts.target = MNTS_REPLAY_NSFILE;
		a->opts.nsfile = arg;
		a->n_targets++;
		break;
	case OPT_ROOT:
		a->opts.root_dir = arg;
		break;
	case OPT_NS:
		mnts_strv_push(&a->ns_labels, arg);
		break;
	case OPT_EXTERNAL:
		mnts_strv_push(&a->externals, arg);
		break;
	case OPT_MAP_SOURCE: {
		struct mnts_error err = {0};
		_cleanup_free_ char *what = xasprintf("--map-source '%s'", arg);

		if (mnts_map_rule_add(&a->map_rules, arg, what, &err) < 0)
			mnts_usage_error(state, "%s", err.msg);
		break;
	}
	case OPT_MAP_FILE: {
		struct mnts_error err = {0};

		if (mnts_map_file_read(arg, &a->map_rules, &a->externals, &err) < 0)
			mnts_usage_error(state, "%s%s%s", err.msg, err.code ? ": " : "",
					 err.code ? strerror(err.code) : "");
		break;
	}
	case OPT_MKDIR:
		a->opts.mkdir_new = true;
		break;
	case OPT_JSON:
		a->opts.plan_json = true;
		break;
	case OPT_FRESH:
		a->opts.fresh = true;
		break;
	case OPT_CREATE_MP:
		a->opts.create_mountpoints = true;
		break;
	case OPT_DRY_RUN:
	case 'n':
		a->opts.dry_run = true;
		break;
	case OPT_NO_VERIFY:
		a->no_verify = true;
		break;
	case OPT_USERNS:
		if (!*arg)
			mnts_usage_error(state, "--userns: give a PID, an NSFILE or none");
		a->opts.userns = arg;
		break;
	case ARGP_KEY_ARG:
		if (a->snapshot)
			mnts_usage_error(state, "more than one snapshot given");
		a->snapshot = arg;
		break;
	case ARGP_KEY_END:
		if (!a->snapshot)
			mnts_usage_error(state, "no snapshot given");
		if (a->n_targets == 0)
			mnts_usage_error(
			    state, "no target: give --new=DIR, --target PID or --mount NSFILE");
		if (a->n_targets > 1)
			mnts_usage_error(state, "more than one target given");
		if (a->opts.plan_json && !a->opts.dry_run)
			mnts_usage_error(state, "--json: only with --dry-run");
		if (a->opts.mkdir_new && a->opts.target != MNTS_REPLAY_NEW)
			mnts_usage_error(state, "--mkdir: only with --new");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const char doc[] =
    "Recreate the mount namespaces of SNAPSHOT (\"-\" = stdin): every mount, its flags, its "
    "superblock sharing and its propagation.\v"
    "Exit status: 0 replayed and identical, 1 replayed but different, 2 error or interrupted "
    "(the target is left unchanged), 3 replayed but the verification could not run (the "
    "replay is kept).";

static const struct argp argp = {options, parse_opt, "SNAPSHOT", doc, mnts_common_children,
				 NULL, NULL};

static int fail_at_step_from_env(struct mnts_error *err)
{
	const char *v = getenv("MNTSNAP_FAIL_AT_STEP");
	char *end;
	long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end || n <= 0 || n > INT_MAX)
		return mnts_err(err, 0, "MNTSNAP_FAIL_AT_STEP '%s': not a step number", v);
	return (int)n;
}

/* --userns=none: the replay will differ where the snapshot says so. */
static void warn_userns_none(const struct mnts_snapshot *snap)
{
	if (mnts_quiet())
		return;
	for (size_t n = 0; n < snap->n_ns; n++)
		if (snap->nss[n].owner.known && !snap->nss[n].owner.initial)
			fprintf(stderr,
				"mntsnap: replay: warning: namespace '%s': --userns=none: owned by "
				"the caller's user namespace, not by one like the captured one "
				"(its mounts are not locked)\n",
				snap->nss[n].label);
}

/* Every problem found before the first change, one line each: "mntsnap:
 * replay: ITEM: PROBLEM"; else the one error. */
static void print_problems(const struct mnts_findings *problems, const struct mnts_error *err)
{
	struct mnts_error line = {0};

	if (!problems->n) {
		mnts_err_print("replay", err);
		return;
	}
	for (size_t i = 0; i < problems->n; i++) {
		snprintf(line.msg, sizeof(line.msg), "%s: %s", problems->v[i].item,
			 problems->v[i].text);
		mnts_err_print("replay", &line);
	}
}

/* The snapshot once replayed: the process ends right after, and freeing
 * 50,000 mounts is a hundredth of a replay (as capture does, cmd/capture.c:
 * kept reachable for leak checkers, volatile or the store is dropped). */
static struct mnts_snapshot *volatile left_to_exit;
static struct mnts_replay_verify_ahead *volatile ahead_left_to_exit;

int cmd_replay(int argc, char **argv)
{
	struct replay_args a = {0};
	_cleanup_snapshot_ struct mnts_snapshot *snap = NULL;
	struct mnts_error err = {0};
	struct mnts_diff diff = {0};
	struct mnts_replay_txn *txn = NULL;
	struct mnts_replay_verify_ahead *ahead = NULL;
	struct mnts_error verr = {0};
	_cleanup_fclose_ FILE *devnull = NULL;
	struct mnts_findings problems = {0};
	int r, rc = MNTS_EXIT_TROUBLE;

	if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0)
		goto out;
	a.opts.ns_labels = a.ns_labels.v;
	a.opts.n_ns_labels = a.ns_labels.n;
	a.opts.map_rules = &a.map_rules;
	a.opts.externals = a.externals.v;
	a.opts.n_externals = a.externals.n;
	/* -q -n: the plan is made and checked, not printed (/dev/null: the
	 * plan printer writes to a FILE) */
	if (mnts_quiet() && a.opts.dry_run) {
		devnull = fopen("/dev/null", "we");
		if (!devnull) {
			mnts_err(&err, errno, "open '/dev/null'");
			mnts_err_print("replay", &err);
			goto out;
		}
	}
	a.opts.plan_out = devnull ? devnull : stdout;
	a.opts.problems = &problems;
	r = fail_at_step_from_env(&err);
	if (r < 0) {
		mnts_err_print("replay", &err);
		goto out;
	}
	a.opts.fail_at_step = r;

	a.opts.leave_to_exit = true;
	/* made while the snapshot is read and planned */
	a.opts.seed = mnts_replay_seed_start(&a.opts);
	/* the second CPU reads the live table, or half the snapshot: both
	 * at once took turns on it (see bench/README.md) */
	a.opts.live = mnts_live_prefetch_start(a.snapshot);
	mnts_snapshot_parse_may_split(!a.opts.live);
	r = mnts_side_read(a.snapshot, &snap, &err);
	if (r >= 0 && a.opts.userns && streq(a.opts.userns, "none"))
		warn_userns_none(snap);
	if (r >= 0 && !a.opts.dry_run && !a.no_verify) {
		ahead = mnts_replay_verify_ahead_new(snap, &a.opts);
		a.opts.while_executing = mnts_replay_verify_ahead_run;
		a.opts.while_executing_data = ahead;
	}
	if (r >= 0)
		r = mnts_replay(snap, &a.opts, &txn, &err);
	if (r >= 0 && !a.opts.dry_run && !a.no_verify) {
		if (getenv("MNTSNAP_FAIL_VERIFY"))
			r = mnts_err(&err, 0, "fault injected (MNTSNAP_FAIL_VERIFY)");
		else
			r = mnts_replay_verify(snap, &a.opts, ahead, &diff, &err);
		if (r < 0) {
			/* the replay is kept all the same: status 3 says so */
			mnts_err_prefix(&err, "verification (the replay itself succeeded)");
			rc = MNTS_EXIT_UNVERIFIED;
		}
		verr = err;
	}
	/* kept now, or undone if a signal came meanwhile (status 2) */
	if (r >= 0 || rc == MNTS_EXIT_UNVERIFIED)
		r = mnts_replay_commit(TAKE_PTR(txn), &err);
	if (r < 0) {
		print_problems(&problems, &err);
		rc = MNTS_EXIT_TROUBLE;
		goto out;
	}
	if (rc == MNTS_EXIT_UNVERIFIED) {
		mnts_err_print("replay", &verr);
		goto out;
	}
	rc = MNTS_EXIT_OK;
	if (a.opts.dry_run || a.no_verify)
		goto out;
	if (diff.n && mnts_quiet()) {
		rc = MNTS_EXIT_DIFFER;
	} else if (diff.n) {
		printf("replayed, but the result differs from the snapshot:\n");
		/* stdout's write errors are checked by main() at exit */
		(void)mnts_diff_report(&diff, stdout, MNTS_DIFF_LINES, &err);
		rc = MNTS_EXIT_DIFFER;
	}
	mnts_diff_done(&diff);
out:
	left_to_exit = TAKE_PTR(snap);
	ahead_left_to_exit = TAKE_PTR(ahead);
	mnts_replay_seed_free(a.opts.seed);
	mnts_live_prefetch_free(a.opts.live);
	mnts_strv_clear(&a.ns_labels);
	mnts_strv_clear(&a.externals);
	mnts_map_rules_done(&a.map_rules);
	mnts_findings_clear(&problems);
	return rc;
}

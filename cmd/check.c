/* check.c - `mntsnap check`: does a mount layout meet a spec?
 *
 * SPEC is a spec file (spec/SPEC.md) or "-"; TARGET a live namespace
 * (pid:PID, ns:FILE; default: the caller's) or a snapshot file.  Exit 0
 * when every line matches, 1 with one line per unmet expectation, 2 on
 * trouble (a spec error names FILE:LINE:COL).  Reading the spec is
 * lib/spec's, opening the target lib/compare/side's, matching and printing
 * lib/check's: this file parses arguments.
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/check/check.h"
#include "lib/compare/side.h"
#include "lib/core/log.h"
#include "lib/core/path.h"
#include "lib/spec/spec.h"

enum {
	OPT_JSON = 1000,
	OPT_SUBTREE,
	OPT_NS,
};

struct check_args {
	const char *spec, *target;
	bool json;
	struct mnts_check_opts opts;
};

static const char doc[] =
    "Check a mount layout against a spec.\v"
    "SPEC is a spec file (the mntsnap spec language: one mount a line, only what is "
    "stated is checked) or \"-\" (standard input).  TARGET is a live namespace, pid:PID "
    "or ns:FILE (default: the caller's), or a snapshot file (\"-\": standard input).  "
    "Lines outside sections are checked against the target namespace (of a snapshot "
    "with several: the one --ns names); a [LABEL] section against the snapshot's "
    "namespace LABEL.\n\n"
    "Output: one line per unmet expectation, FILE:LINE: MOUNTPOINT: PROPERTY: expected X, "
    "found Y.\n\n"
    "Exit status: 0 the target meets the spec, 1 it does not, 2 trouble (a spec error "
    "names FILE:LINE:COL).";

static const struct argp_option options[] = {
    {"json", OPT_JSON, NULL, 0, "Print the unmet expectations as a JSON array", 0},
    {"subtree", OPT_SUBTREE, "PATH", 0, "The spec's / is PATH in the target (a container's root)",
     0},
    {"ns", OPT_NS, "LABEL", 0,
     "The namespace the lines outside sections describe; for a live target, the label its "
     "namespace answers to in [LABEL] sections",
     0},
    {0}};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct check_args *args = state->input;

	switch (key) {
	case OPT_JSON:
		args->json = true;
		break;
	case OPT_SUBTREE:
		if (!mnts_path_is_normal(arg))
			mnts_usage_error(state, "--subtree '%s': not an absolute normalised path",
					 arg);
		args->opts.subtree = arg;
		break;
	case OPT_NS:
		if (!mnts_label_is_valid(arg))
			mnts_usage_error(state, "--ns '%s': not a namespace label", arg);
		args->opts.ns_label = arg;
		break;
	case ARGP_KEY_ARG:
		if (!args->spec)
			args->spec = arg;
		else if (!args->target)
			args->target = arg;
		else
			mnts_usage_error(state, "'%s': too many arguments (SPEC and TARGET)", arg);
		break;
	case ARGP_KEY_END:
		if (!args->spec)
			mnts_usage_error(state, "no spec given");
		if (args->target && streq(args->spec, "-") && streq(args->target, "-"))
			mnts_usage_error(state, "'-': standard input can be only one of SPEC and TARGET");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {options, parse_opt, "SPEC [TARGET]", doc, mnts_common_children,
				    NULL, NULL};

/* A live target is captured as "ns0": with --ns it answers to that label. */
static void relabel_live(struct mnts_snapshot *snap, const char *label)
{
	if (!label || snap->n_ns != 1)
		return;
	mnts_snapshot_free_str(snap, snap->nss[0].label);
	snap->nss[0].label = xstrdup(label);
}

int cmd_check(int argc, char **argv)
{
	struct check_args args = {0};
	_cleanup_snapshot_ struct mnts_snapshot *snap = NULL;
	_cleanup_free_ char *self = NULL;
	struct mnts_spec spec = {0};
	struct mnts_check_result res = {0};
	struct mnts_error err = {0};
	int r;

	if (argp_parse(&argp, argc, argv, 0, NULL, &args) != 0)
		return MNTS_EXIT_TROUBLE;
	if (!args.target)
		args.target = self = xasprintf("pid:%d", (int)getpid());
	args.opts.live = mnts_side_is_live(args.target);

	/* the spec first: its errors need no root and no capture (a target
	 * file is read meanwhile) */
	r = mnts_side_open_with_spec(args.spec, &spec, args.target, &snap, &err);
	if (r >= 0) {
		if (args.opts.live)
			relabel_live(snap, args.opts.ns_label);
		r = mnts_check(&spec, snap, &args.opts, &res, &err);
	}
	if (r >= 0 && !mnts_quiet())
		r = mnts_check_report(&res, stdout, args.json, &err);
	mnts_spec_free(&spec);
	if (r < 0) {
		mnts_check_result_free(&res);
		mnts_err_print("check", &err);
		return MNTS_EXIT_TROUBLE;
	}
	r = res.n ? MNTS_EXIT_DIFFER : MNTS_EXIT_OK;
	mnts_check_result_free(&res);
	/* the process ends with this command: its memory goes with it (the
	 * model of a 50,000-mount target took 5 ms to free) */
	TAKE_PTR(snap);
	return r;
}

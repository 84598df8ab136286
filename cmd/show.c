/* show.c - `mntsnap show`: a layout as findmnt(8) shows one (a tree, a
 * list, raw or JSON, with findmnt's options and column names), or as a
 * Graphviz picture of its propagation (--dot).  The layout is a snapshot
 * file, "-", a live namespace (pid:PID, ns:FILE), or the caller's own.
 * Rendering is lib/report/show's and dot's: this file parses arguments.
 */
#include <errno.h>
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/compare/side.h"
#include "lib/core/path.h"
#include "lib/report/dot.h"
#include "lib/report/show.h"

enum {
	OPT_OUTPUT_ALL = 1000,
	OPT_DOT,
};

struct show_args {
	const char *spec;
	struct mnts_show_opts o;
	enum mnts_col cols[MNTS_COL__COUNT];
	struct mnts_strv ns_labels;
	bool list, raw, json, dot, cols_given;
};

static const char doc[] =
    "Show a mount layout as findmnt(8) does: a tree (the default), a list, raw or JSON, or "
    "its propagation as a Graphviz graph (--dot).\v"
    "SOURCE is a snapshot file, \"-\" (standard input), pid:PID or ns:FILE (a live "
    "namespace); without it, the caller's mount namespace.  Columns (-o, case-insensitive; "
    "\"+COL,...\" adds to the default TARGET,SOURCE,FSTYPE,OPTIONS,PROPAGATION): TARGET "
    "SOURCE FSTYPE OPTIONS VFS-OPTIONS FS-OPTIONS PROPAGATION OPT-FIELDS PEERS MASTER "
    "PROPAGATE-FROM ID UNIQ-ID PARENT MAJ:MIN FSROOT NS NS-ID OWNER.  With more than one "
    "namespace shown, NS comes first by default.\n\n"
    "Exit status: 0 something shown, 1 nothing matched, 2 trouble.";

static const struct argp_option options[] = {
    {"output", 'o', "COLUMNS", 0, "The columns to show (comma separated; +COL adds)", 0},
    {"output-all", OPT_OUTPUT_ALL, NULL, 0, "Show every column", 0},
    {"list", 'l', NULL, 0, "A list, not a tree (in the kernel's order)", 0},
    {"raw", 'r', NULL, 0, "Raw: one space between columns, blanks escaped as \\040", 0},
    {"json", 'J', NULL, 0, "JSON: {\"filesystems\": [...]} (nested \"children\" unless --list)", 0},
    {"noheadings", 'n', NULL, 0, "No header line", 0},
    {"types", 't', "LIST", 0, "Only these filesystem types (\"no\" first negates the list)", 1},
    {"target", 'T', "PATH", 0, "Only the mount PATH is on", 1},
    {"mountpoint", 'M', "DIR", 0, "Only the mounts at DIR", 1},
    {"submounts", 'R', NULL, 0, "With -T or -M: and every mount below", 1},
    {"ns", 'N', "LABEL", 0, "Only this namespace of the snapshot (repeatable)", 1},
    {"dot", OPT_DOT, NULL, 0,
     "Graphviz: the mount tree, each peer group a cluster, each master a dashed arrow", 2},
    {0}};

static const char *path_arg(struct argp_state *state, const char *opt, const char *arg)
{
	if (!mnts_path_is_normal(arg))
		mnts_usage_error(state, "%s '%s': not an absolute normalised path", opt, arg);
	return arg;
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct show_args *a = state->input;
	struct mnts_error err = {0};

	switch (key) {
	case 'o':
		if (mnts_cols_parse(arg, a->cols, &a->o.n_cols, &err) < 0)
			mnts_usage_error(state, "--output: %s", err.msg);
		a->cols_given = true;
		break;
	case OPT_OUTPUT_ALL:
		for (size_t c = 0; c < MNTS_COL__COUNT; c++)
			a->cols[c] = (enum mnts_col)c;
		a->o.n_cols = MNTS_COL__COUNT;
		a->cols_given = true;
		break;
	case 'l':
		a->list = true;
		break;
	case 'r':
		a->raw = true;
		break;
	case 'J':
		a->json = true;
		break;
	case 'n':
		a->o.noheadings = true;
		break;
	case 't':
		a->o.sel.types = arg;
		break;
	case 'T':
		a->o.sel.target = path_arg(state, "--target", arg);
		break;
	case 'M':
		a->o.sel.mountpoint = path_arg(state, "--mountpoint", arg);
		break;
	case 'R':
		a->o.sel.submounts = true;
		break;
	case 'N':
		mnts_strv_push(&a->ns_labels, arg);
		break;
	case OPT_DOT:
		a->dot = true;
		break;
	case ARGP_KEY_ARG:
		if (a->spec)
			mnts_usage_error(state, "'%s': too many arguments (at most one layout)",
					 arg);
		a->spec = arg;
		break;
	case ARGP_KEY_END:
		if (a->json + a->raw + a->dot > 1)
			mnts_usage_error(state, "--json, --raw and --dot exclude each other");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {options, parse_opt, "[SOURCE]", doc, mnts_common_children, NULL,
				    NULL};

/* findmnt's default columns, and ours: PROPAGATION is what mntsnap is
 * about. */
static const enum mnts_col defaults[] = {MNTS_COL_TARGET, MNTS_COL_SOURCE, MNTS_COL_FSTYPE,
					 MNTS_COL_OPTIONS, MNTS_COL_PROPAGATION};

/* The defaults, NS first when more than one namespace is shown. */
static void default_columns(struct show_args *a, const struct mnts_snapshot *snap)
{
	size_t n_ns = a->ns_labels.n ? a->ns_labels.n : snap->n_ns;

	if (a->cols_given)
		return;
	a->o.n_cols = 0;
	if (n_ns > 1)
		a->cols[a->o.n_cols++] = MNTS_COL_NS;
	for (size_t i = 0; i < ARRAY_SIZE(defaults); i++)
		a->cols[a->o.n_cols++] = defaults[i];
}

int cmd_show(int argc, char **argv)
{
	struct show_args a = {0};
	_cleanup_snapshot_ struct mnts_snapshot *snap = NULL;
	_cleanup_free_ char *self = NULL;
	struct mnts_error err = {0};
	size_t shown = 0;
	int r;

	/* "+COL" adds to the defaults: they are in place before -o is read */
	a.o.n_cols = ARRAY_SIZE(defaults);
	memcpy(a.cols, defaults, sizeof(defaults));
	if (argp_parse(&argp, argc, argv, 0, NULL, &a) != 0) {
		mnts_strv_clear(&a.ns_labels);
		return MNTS_EXIT_TROUBLE;
	}
	a.o.sel.ns_labels = a.ns_labels.v;
	a.o.sel.n_ns_labels = a.ns_labels.n;
	a.o.cols = a.cols;
	a.o.format = a.json   ? MNTS_SHOW_JSON
		     : a.raw  ? MNTS_SHOW_RAW
		     : a.list ? MNTS_SHOW_LIST
			      : MNTS_SHOW_TREE;
	a.o.tree = !a.list;
	if (!a.spec)
		a.spec = self = xasprintf("pid:%d", (int)getpid());
	FILE *out = stdout;

	r = mnts_side_open(a.spec, &snap, &err);
	if (r >= 0)
		r = mnts_show_check(snap, &a.o.sel, &err);
	/* -q: the exit status (something shown or not) still needs the walk */
	if (r >= 0 && mnts_quiet() && !(out = fopen("/dev/null", "we")))
		r = mnts_err(&err, -errno, "/dev/null: %m");
	if (r >= 0) {
		default_columns(&a, snap);
		if (a.dot)
			r = mnts_dot_snapshot(snap, &a.o.sel, out, &shown, &err);
		else
			r = mnts_show_render(snap, &a.o, out, &shown, &err);
	}
	if (out != stdout)
		fclose(out);
	mnts_strv_clear(&a.ns_labels);
	if (r < 0) {
		mnts_err_print("show", &err);
		return MNTS_EXIT_TROUBLE;
	}
	return shown ? MNTS_EXIT_OK : MNTS_EXIT_DIFFER;
}

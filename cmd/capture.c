/* capture.c - `mntsnap capture`: options, then lib/capture.c, then JSON (or
 * the --tree text) to stdout or atomically to -o FILE. */
#include <argp.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cmd/cmd.h"
#include "lib/core/atomicfile.h"
#include "lib/capture/capture.h"
#include "lib/core/error.h"
#include "lib/core/macros.h"
#include "lib/json/snapjson.h"
#include "lib/report/tree.h"
#include "lib/spec/write.h"

enum {
	OPT_SUBTREE = 1000,
	OPT_KERNEL,
	OPT_COMPACT,
	OPT_TREE,
	OPT_FORMAT,
};

struct capture_opts {
	struct mnts_target *targets;
	size_t n_targets;
	bool all;
	const char *subtree;
	enum mnts_backend backend;
	const char *output;
	bool compact;
	bool tree;
	bool spec; /* --format=spec */
};

static const char doc[] =
    "Write a JSON snapshot (or a spec) of mount namespaces (all of them when none is "
    "selected)."
    "\vNamespace labels are ns0, ns1, ... in ascending mnt_ns_id order for --all, in "
    "command-line order otherwise.  Exit status: 0 success, 2 trouble.";

static const struct argp_option options[] = {
    {"pid", 'p', "PID", 0, "Capture PID's mount namespace (repeatable)", 0},
    {"mount", 'm', "NSFILE", 0,
     "A namespace file: /proc/PID/ns/mnt or a bind-mounted nsfs file (repeatable)", 0},
    {"all", 'A', NULL, 0,
     "Every mount namespace, including ones kept alive only by an nsfs bind mount or "
     "an open fd (the default)",
     0},
    {"mountinfo", 'F', "FILE", 0,
     "Offline import of a saved mountinfo (repeatable; one namespace per file)", 0},
    {"subtree", OPT_SUBTREE, "PATH", 0,
     "Only mounts at or below PATH (the mount at PATH becomes the root)", 1},
    {"kernel", OPT_KERNEL, "auto|listmount|mountinfo", 0,
     "Data source (default auto: listmount where available)", 1},
    {"output", 'o', "FILE", 0, "Write atomically to FILE (\"-\" = stdout, the default)", 2},
    {"format", OPT_FORMAT, "json|spec", 0,
     "json: a snapshot (the default); spec: a full mount-tree spec (spec/SPEC.md), every "
     "mount and property, to trim into a check or replay",
     2},
    {"compact", OPT_COMPACT, NULL, 0, "One-line JSON", 2},
    {"tree", OPT_TREE, NULL, 0,
     "A findmnt-like tree for humans (propagation as shared:N master:M) instead of JSON", 2},
    {0}};

static void add_target(struct capture_opts *o, enum mnts_target_kind kind, const char *arg,
		       uint64_t num)
{
	o->targets = xreallocarray(o->targets, o->n_targets + 1, sizeof(*o->targets));
	o->targets[o->n_targets++] = (struct mnts_target){.kind = kind, .arg = arg, .num = num};
}

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct capture_opts *o = state->input;

	switch (key) {
	case 'p': {
		char *end;
		unsigned long long pid;

		errno = 0;
		pid = strtoull(arg, &end, 10);
		if (errno || end == arg || *end || pid == 0 || arg[0] == '-')
			mnts_usage_error(state, "invalid pid '%s'", arg);
		add_target(o, MNTS_TARGET_PID, arg, pid);
		break;
	}
	case 'm':
		add_target(o, MNTS_TARGET_NSFILE, arg, 0);
		break;
	case 'F':
		add_target(o, MNTS_TARGET_MOUNTINFO, arg, 0);
		break;
	case 'A':
		o->all = true;
		break;
	case OPT_SUBTREE:
		if (arg[0] != '/')
			mnts_usage_error(state, "--subtree '%s': not an absolute path", arg);
		o->subtree = arg;
		break;
	case OPT_KERNEL:
		if (streq(arg, "auto"))
			o->backend = MNTS_BACKEND_AUTO;
		else if (streq(arg, "listmount"))
			o->backend = MNTS_BACKEND_LISTMOUNT;
		else if (streq(arg, "mountinfo"))
			o->backend = MNTS_BACKEND_MOUNTINFO;
		else
			mnts_usage_error(
			    state, "--kernel '%s': expected auto, listmount or mountinfo", arg);
		break;
	case 'o':
		o->output = arg;
		break;
	case OPT_COMPACT:
		o->compact = true;
		break;
	case OPT_TREE:
		o->tree = true;
		break;
	case OPT_FORMAT:
		if (streq(arg, "json"))
			o->spec = false;
		else if (streq(arg, "spec"))
			o->spec = true;
		else
			mnts_usage_error(state, "--format '%s': expected json or spec", arg);
		break;
	case ARGP_KEY_ARG:
		mnts_usage_error(state, "unexpected argument '%s'", arg);
		break;
	case ARGP_KEY_END:
		if (o->all && o->n_targets)
			argp_error(state, "--all cannot be combined with --pid, --mount or "
					  "--mountinfo");
		if (o->spec && (o->tree || o->compact))
			argp_error(state, "--format=spec cannot be combined with --tree or "
					  "--compact");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {options, parse_opt, NULL, doc, mnts_common_children, NULL, NULL};

/* The snapshot once written: the process ends right after, and freeing
 * 50,000 mounts (half a million heap blocks) cost 7% of a capture.  Kept
 * reachable so that leak checkers do not count it as lost (volatile: or
 * the compiler drops a store that nothing reads). */
static struct mnts_snapshot *volatile left_to_exit;

static int emit_spec(FILE *f, void *snap, struct mnts_error *err)
{
	return mnts_spec_write(snap, f, err);
}

static int emit_text(FILE *f, void *text, struct mnts_error *err)
{
	size_t len = strlen(text);

	if (fwrite(text, 1, len, f) != len)
		return mnts_err(err, errno, "write failure");
	return 0;
}

int cmd_capture(int argc, char **argv)
{
	struct capture_opts o = {.backend = MNTS_BACKEND_AUTO};
	_cleanup_snapshot_ struct mnts_snapshot *snap = NULL;
	_cleanup_free_ struct mnts_target *targets = NULL;
	struct mnts_capture_opts copts;
	struct mnts_error err = {0};
	int r;

	if (argp_parse(&argp, argc, argv, 0, NULL, &o) != 0) {
		free(o.targets);
		return MNTS_EXIT_TROUBLE;
	}
	targets = o.targets;
	copts = (struct mnts_capture_opts){
	    .backend = o.backend,
	    .targets = o.targets,
	    .n_targets = o.n_targets,
	    .subtree = o.subtree,
	};
	r = mnts_capture(&copts, &snap, &err);
	if (r < 0) {
		mnts_err_print("capture", &err);
		return MNTS_EXIT_TROUBLE;
	}
	if (mnts_quiet() && (!o.output || streq(o.output, "-"))) {
		/* -q: nothing on stdout; the capture ran, the status tells */
		r = 0;
	} else if (o.tree) {
		_cleanup_free_ char *text = mnts_tree_render(snap);

		r = mnts_write_atomic(o.output, emit_text, text, &err);
	} else if (o.spec) {
		r = mnts_write_atomic(o.output, emit_spec, snap, &err);
	} else {
		r = mnts_snapshot_write(snap, o.output, o.compact, &err);
	}
	if (r < 0) {
		mnts_err_print("capture", &err);
		return MNTS_EXIT_TROUBLE;
	}
	left_to_exit = TAKE_PTR(snap);
	return MNTS_EXIT_OK;
}

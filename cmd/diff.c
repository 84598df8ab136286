/* diff.c - `mntsnap diff`: compare two mount layouts modulo renumbering.
 *
 * Each side is a snapshot file, "-" (stdin), or a live namespace captured on
 * the fly (pid:PID, ns:FILE).  With one side only, the other is the live
 * state of the namespaces it names.  Exit 0 same, 1 different, 2 trouble
 * (diff(1)'s contract).
 */
#include <argp.h>
#include <pthread.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "lib/capture/capture.h"
#include "lib/compare/compare.h"
#include "lib/core/log.h"
#include "lib/json/snapjson.h"
#include "lib/kernel/syscalls.h"

enum {
	OPT_JSON = 1000,
	OPT_SUBTREE,
	OPT_NS,
	OPT_IGNORE,
	OPT_STRICT_IDS,
};

struct diff_args {
	const char *sides[2];
	size_t n_sides;
	bool json, quiet;
	struct mnts_compare_opts cmp;
	struct mnts_strv ns_labels;
};

static const char doc[] =
    "Compare two mount layouts modulo renumbering.\v"
    "A and B are snapshot files, \"-\" (standard input, for one side at most), or live "
    "namespaces captured on the fly: pid:PID or ns:FILE (/proc/PID/ns/mnt or a bind-mounted "
    "nsfs file).  With A alone, A is compared with the live namespaces it names (by "
    "mnt_ns_id); a namespace that no longer exists is a difference.\n\n"
    "Mount ids, peer group numbers and anonymous device numbers are ignored: mounts are "
    "paired by mountpoint and stacking position, peer groups and superblocks are compared "
    "as partitions.  Output: one line per difference (+ only in B, - only in A, ~ changed), "
    "under a header per namespace.\n\n"
    "Exit status: 0 same, 1 different, 2 trouble.";

static const struct argp_option options[] = {
    {"json", OPT_JSON, NULL, 0, "Print the differences as a JSON array", 0},
    {"quiet", 'q', NULL, 0, "Print nothing; exit status only", 0},
    {"subtree", OPT_SUBTREE, "PATH", 0, "Only mounts at or below PATH", 0},
    {"ns", OPT_NS, "LABEL", 0, "Only this namespace of A (repeatable)", 0},
    {"ignore", OPT_IGNORE, "FIELD,...", 0,
     "Ignore fields: source, mount_options, super_options, fstype, root, propagation, "
     "superblock, dev",
     0},
    {"strict-ids", OPT_STRICT_IDS, NULL, 0, "Also compare raw mount ids and group numbers", 0},
    {0}};

static error_t parse_opt(int key, char *arg, struct argp_state *state)
{
	struct diff_args *args = state->input;

	switch (key) {
	case OPT_JSON:
		args->json = true;
		break;
	case 'q':
		args->quiet = true;
		break;
	case OPT_SUBTREE:
		if (!mnts_path_is_normal(arg))
			argp_error(state, "--subtree '%s': not an absolute normalised path", arg);
		args->cmp.subtree = arg;
		break;
	case OPT_NS:
		mnts_strv_push(&args->ns_labels, arg);
		break;
	case OPT_IGNORE: {
		_cleanup_free_ char *copy = xstrdup(arg);
		char *save = NULL;

		for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
			unsigned int bit = mnts_field_from_name(w);

			if (!bit)
				argp_error(state, "--ignore '%s': unknown field (one of: %s)", w,
					   mnts_field_names());
			args->cmp.ignore |= bit;
		}
		break;
	}
	case OPT_STRICT_IDS:
		args->cmp.strict_ids = true;
		break;
	case ARGP_KEY_ARG:
		if (args->n_sides == 2)
			argp_error(state, "'%s': too many arguments (at most A and B)", arg);
		args->sides[args->n_sides++] = arg;
		break;
	case ARGP_KEY_END:
		if (args->n_sides == 0)
			argp_error(state, "no snapshot given");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = {options, parse_opt, "A [B]", doc, NULL, NULL, NULL};

/* Captures one live namespace given as pid:PID or ns:FILE. */
static int load_live(const char *spec, struct mnts_snapshot **ret, struct mnts_error *err)
{
	struct mnts_target t = {0};
	struct mnts_capture_opts copts = {.targets = &t, .n_targets = 1};
	int r;

	if (strneq_prefix(spec, "pid:")) {
		char *end;

		errno = 0;
		t.kind = MNTS_TARGET_PID;
		t.num = strtoull(spec + 4, &end, 10);
		if (errno || end == spec + 4 || *end || t.num == 0)
			return mnts_err(err, 0, "'%s': not a process id", spec);
	} else {
		t.kind = MNTS_TARGET_NSFILE;
		t.arg = spec + 3;
		if (!*t.arg)
			return mnts_err(err, 0, "'%s': no namespace file given", spec);
	}
	r = mnts_capture(&copts, ret, err);
	if (r < 0)
		return mnts_err_prefix(err, "capture '%s'", spec);
	return 0;
}

static bool is_live(const char *spec)
{
	return strneq_prefix(spec, "pid:") || strneq_prefix(spec, "ns:");
}

static int load_side(const char *spec, struct mnts_snapshot **ret, struct mnts_error *err)
{
	if (is_live(spec))
		return load_live(spec, ret, err);
	return mnts_snapshot_read(spec, ret, err);
}

/* A --subtree snapshot replayed with --new is the whole of the new
 * namespace, at "/".  When the other side was not cut to a subtree and has
 * no mount at the subtree's path, compare the subtree as if taken at "/". */
static void rebase_lone_subtree(struct mnts_snapshot *sub, const struct mnts_snapshot *other)
{
	if (!sub->subtree || streq(sub->subtree, "/") || other->subtree)
		return;
	for (size_t i = 0; i < other->n_ns; i++)
		for (size_t j = 0; j < other->nss[i].n_mounts; j++)
			if (streq(other->nss[i].mounts[j].mountpoint, sub->subtree))
				return;
	for (size_t i = 0; i < sub->n_ns; i++)
		mnts_ns_rebase(&sub->nss[i], sub->subtree, "/");
}

struct file_load {
	const char *path;
	struct mnts_snapshot *snap;
	struct mnts_error err;
	int r;
};

static void *file_load_thread(void *data)
{
	struct file_load *l = data;

	l->r = mnts_snapshot_read(l->path, &l->snap, &l->err);
	return NULL;
}

/* Two snapshot files: parsing is most of a large diff, and the two are
 * independent, so B is read on a second thread while A is read here.
 * Errors are reported as if read in order: A's first. */
static int load_files(const char *path_a, const char *path_b, struct mnts_snapshot **ret_a,
		      struct mnts_snapshot **ret_b, struct mnts_error *err)
{
	struct file_load lb = {.path = path_b};
	pthread_t thread;
	int r;

	if (pthread_create(&thread, NULL, file_load_thread, &lb) != 0) {
		r = load_side(path_a, ret_a, err);
		return r < 0 ? r : load_side(path_b, ret_b, err);
	}
	r = mnts_snapshot_read(path_a, ret_a, err);
	pthread_join(thread, NULL);
	if (r < 0) {
		mnts_snapshot_free(lb.snap);
		return r;
	}
	if (lb.r < 0) {
		*err = lb.err;
		return lb.r;
	}
	*ret_b = lb.snap;
	return 0;
}

/* True when the mount namespace with this 64-bit id still exists (listmount
 * of a namespace that is gone fails with ENOENT). */
static int ns_id_exists(uint64_t ns_id, bool *ret, struct mnts_error *err)
{
	uint64_t id;

	if (mnts_sys_listmount(MNTS_LSMT_ROOT, ns_id, 0, &id, 1) >= 0) {
		*ret = true;
		return 0;
	}
	if (errno == ENOENT) {
		*ret = false;
		return 0;
	}
	if (errno == ENOSYS) {
		/* a kernel before 6.8 cannot tell; let the capture try */
		*ret = true;
		return 0;
	}
	return mnts_err(err, errno, "listmount of mount namespace %" PRIu64, ns_id);
}

/* The live state of the namespaces A names, labelled as in A; those that are
 * gone are left out (the comparison reports them missing). */
static int load_live_of(const struct mnts_snapshot *a, struct mnts_snapshot **ret,
			struct mnts_error *err)
{
	_cleanup_free_ struct mnts_target *targets = xcalloc(a->n_ns + 1, sizeof(*targets));
	struct mnts_capture_opts copts = {.targets = targets};
	int r;

	for (size_t i = 0; i < a->n_ns; i++) {
		const struct mnts_ns *ns = &a->nss[i];
		bool exists;

		if (!ns->mnt_ns_id)
			return mnts_err(err, 0,
					"namespace '%s': mnt_ns_id unknown, cannot find it live "
					"(give B)",
					ns->label);
		r = ns_id_exists(ns->mnt_ns_id, &exists, err);
		if (r < 0)
			return r;
		if (!exists) {
			mnts_debug(1, "namespace '%s' (id %" PRIu64 ") no longer exists", ns->label,
				   ns->mnt_ns_id);
			continue;
		}
		targets[copts.n_targets++] = (struct mnts_target){
		    .kind = MNTS_TARGET_NSID, .num = ns->mnt_ns_id, .label = ns->label};
	}
	if (copts.n_targets == 0) {
		/* no target would mean "every namespace": an empty snapshot instead */
		_cleanup_snapshot_ struct mnts_snapshot *empty = mnts_snapshot_new();

		r = mnts_snapshot_link(empty, err);
		if (r < 0)
			return r;
		*ret = TAKE_PTR(empty);
		return 0;
	}
	copts.subtree = a->subtree;
	r = mnts_capture(&copts, ret, err);
	if (r < 0)
		return mnts_err_prefix(err, "capture");
	return 0;
}

int cmd_diff(int argc, char **argv)
{
	struct diff_args args = {0};
	_cleanup_snapshot_ struct mnts_snapshot *a = NULL, *b = NULL;
	struct mnts_diff d = {0};
	struct mnts_error err = {0};
	int r;

	if (argp_parse(&argp, argc, argv, 0, NULL, &args) != 0) {
		mnts_strv_clear(&args.ns_labels);
		return MNTS_EXIT_TROUBLE;
	}
	if (args.n_sides == 2 && streq(args.sides[0], "-") && streq(args.sides[1], "-")) {
		mnts_err(&err, 0, "'-': standard input can be only one of A and B");
		mnts_err_print("diff", &err);
		mnts_strv_clear(&args.ns_labels);
		return MNTS_EXIT_TROUBLE;
	}
	args.cmp.ns_labels = args.ns_labels.v;
	args.cmp.n_ns_labels = args.ns_labels.n;

	if (args.n_sides == 2 && !is_live(args.sides[0]) && !is_live(args.sides[1]))
		r = load_files(args.sides[0], args.sides[1], &a, &b, &err);
	else
		r = load_side(args.sides[0], &a, &err);
	if (r >= 0 && !b) {
		if (args.n_sides == 2) {
			r = load_side(args.sides[1], &b, &err);
		} else {
			args.cmp.ns_match = MNTS_NS_MATCH_LABEL;
			r = load_live_of(a, &b, &err);
		}
	}
	if (r >= 0) {
		rebase_lone_subtree(a, b);
		rebase_lone_subtree(b, a);
		r = mnts_compare(a, b, &args.cmp, &d, &err);
	}
	if (r >= 0 && !args.quiet && mnts_verbosity >= 0)
		r = mnts_diff_print(&d, stdout, args.json, &err);
	mnts_strv_clear(&args.ns_labels);
	if (r < 0) {
		mnts_diff_done(&d);
		mnts_err_print("diff", &err);
		return MNTS_EXIT_TROUBLE;
	}
	r = d.n ? MNTS_EXIT_DIFFER : MNTS_EXIT_OK;
	mnts_diff_done(&d);
	return r;
}

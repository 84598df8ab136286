/* side.c - see side.h */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compare/side.h"
#include "lib/core/log.h"
#include "lib/core/lookup.h"
#include "lib/json/snapjson.h"
#include "lib/kernel/nsenum.h"
#include "lib/spec/spec.h"
#include "lib/spec/spec_snap.h"

bool mnts_side_is_live(const char *spec)
{
	return strneq_prefix(spec, "pid:") || strneq_prefix(spec, "ns:");
}

/* Captures one live namespace given as pid:PID or ns:FILE. */
static int open_live(const char *spec, struct mnts_snapshot **ret, struct mnts_error *err)
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

/* A spec by content (mnts_spec_detect: not '{'), except what is clearly
 * not meant as one and is refused as JSON as before: nothing at all (an
 * empty file, a pipe whose writer failed), binary (a NUL first: /dev/zero)
 * and an array ('[' then no label: a spec's sections are "[LABEL"). */
static bool is_spec(const char *text, size_t size)
{
	size_t i = 0;

	while (i < size && (text[i] == ' ' || text[i] == '\t' || text[i] == '\r' || text[i] == '\n'))
		i++;
	if (i == size || text[i] == '\0')
		return false;
	if (text[i] == '[' && (i + 1 == size || !((text[i + 1] >= 'a' && text[i + 1] <= 'z') ||
						(text[i + 1] >= 'A' && text[i + 1] <= 'Z') ||
						(text[i + 1] >= '0' && text[i + 1] <= '9'))))
		return false;
	return mnts_spec_detect(text, size);
}

int mnts_side_read(const char *path, struct mnts_snapshot **ret, struct mnts_error *err)
{
	struct mnts_snapshot_text t;
	struct mnts_spec spec = {0};
	_cleanup_snapshot_ struct mnts_snapshot *snap = NULL;
	int r;

	r = mnts_snapshot_read_text(path, &t, err);
	if (r < 0)
		return r;
	if (!is_spec(t.text, t.size)) {
		r = mnts_snapshot_parse(t.text, t.size, t.what, &snap, err);
	} else {
		r = mnts_spec_parse(&spec, t.what, t.text, t.size, err);
		if (r >= 0)
			r = mnts_spec_to_snapshot(&spec, &snap, err);
		mnts_spec_free(&spec);
	}
	r = mnts_snapshot_text_check(&t, r, err);
	mnts_snapshot_text_done(&t);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(snap);
	return 0;
}

int mnts_side_open(const char *spec, struct mnts_snapshot **ret, struct mnts_error *err)
{
	if (mnts_side_is_live(spec))
		return open_live(spec, ret, err);
	return mnts_side_read(spec, ret, err);
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

	/* one CPU each with what the caller reads meanwhile */
	mnts_snapshot_parse_may_split(false);
	l->r = mnts_side_read(l->path, &l->snap, &l->err);
	return NULL;
}

/* The result of file_load_thread() on thread; r, the result of what was
 * done here meanwhile, comes first. */
static int join_load(int r, pthread_t thread, struct file_load *l, struct mnts_snapshot **ret,
		     struct mnts_error *err)
{
	pthread_join(thread, NULL);
	if (r < 0) {
		mnts_snapshot_free(l->snap);
		return r;
	}
	if (l->r < 0) {
		*err = l->err;
		return l->r;
	}
	*ret = l->snap;
	return 0;
}

/* Two snapshot files: parsing is most of a large diff, and the two are
 * independent, so B is read on a second thread while A is read here. */
static int open_files(const char *path_a, const char *path_b, struct mnts_snapshot **ret_a,
		      struct mnts_snapshot **ret_b, struct mnts_error *err)
{
	_cleanup_snapshot_ struct mnts_snapshot *a = NULL;
	struct file_load lb = {.path = path_b};
	pthread_t thread;
	int r;

	if (pthread_create(&thread, NULL, file_load_thread, &lb) != 0) {
		r = mnts_side_read(path_a, ret_a, err);
		return r < 0 ? r : mnts_side_read(path_b, ret_b, err);
	}
	mnts_snapshot_parse_may_split(false);
	r = mnts_side_read(path_a, &a, err);
	mnts_snapshot_parse_may_split(true);
	r = join_load(r, thread, &lb, ret_b, err);
	if (r < 0)
		return r;
	*ret_a = TAKE_PTR(a);
	return 0;
}

int mnts_side_open_with_spec(const char *spec_path, struct mnts_spec *spec, const char *target,
			     struct mnts_snapshot **ret, struct mnts_error *err)
{
	struct file_load lt = {.path = target};
	pthread_t thread;
	int r;

	/* stdin is read by one of them only, and a live target is not
	 * captured for a spec that does not parse */
	if (mnts_side_is_live(target) || streq(target, "-") || streq(spec_path, "-") ||
	    pthread_create(&thread, NULL, file_load_thread, &lt) != 0) {
		r = mnts_spec_read(spec, spec_path, err);
		return r < 0 ? r : mnts_side_open(target, ret, err);
	}
	r = mnts_spec_read(spec, spec_path, err);
	return join_load(r, thread, &lt, ret, err);
}

int mnts_sides_open(const char *spec_a, const char *spec_b, struct mnts_snapshot **ret_a,
		    struct mnts_snapshot **ret_b, struct mnts_error *err)
{
	_cleanup_snapshot_ struct mnts_snapshot *a = NULL;
	int r;

	if (streq(spec_a, "-") && streq(spec_b, "-"))
		return mnts_err(err, 0, "'-': standard input can be only one of A and B");
	if (!mnts_side_is_live(spec_a) && !mnts_side_is_live(spec_b))
		return open_files(spec_a, spec_b, ret_a, ret_b, err);
	r = mnts_side_open(spec_a, &a, err);
	if (r < 0)
		return r;
	r = mnts_side_open(spec_b, ret_b, err);
	if (r < 0)
		return r;
	*ret_a = TAKE_PTR(a);
	return 0;
}

int mnts_side_open_targets(const struct mnts_target *targets, size_t n, const char *subtree,
			   struct mnts_snapshot **ret, struct mnts_error *err)
{
	struct mnts_capture_opts copts = {.backend = MNTS_BACKEND_AUTO,
					  .targets = targets,
					  .n_targets = n,
					  .subtree = subtree,
					  .no_pids = true};
	int r;

	if (n == 0) {
		/* no target would mean "every namespace": an empty snapshot instead */
		_cleanup_snapshot_ struct mnts_snapshot *empty = mnts_snapshot_new();

		r = mnts_snapshot_link(empty, err);
		if (r < 0)
			return r;
		*ret = TAKE_PTR(empty);
		return 0;
	}
	r = mnts_capture(&copts, ret, err);
	if (r < 0)
		return mnts_err_prefix(err, "capture");
	return 0;
}

int mnts_side_open_live_of(const struct mnts_snapshot *a, struct mnts_snapshot **ret,
			   struct mnts_error *err)
{
	_cleanup_free_ struct mnts_target *targets = xcalloc(a->n_ns + 1, sizeof(*targets));
	size_t n = 0;
	int r;

	for (size_t i = 0; i < a->n_ns; i++) {
		const struct mnts_ns *ns = &a->nss[i];
		bool exists;

		if (!ns->mnt_ns_id)
			return mnts_err(err, 0,
					"namespace '%s': mnt_ns_id unknown, cannot find it live "
					"(give B)",
					ns->label);
		r = mnts_ns_id_exists(ns->mnt_ns_id, &exists, err);
		if (r < 0)
			return r;
		if (!exists) {
			mnts_debug(1, "namespace '%s' (id %" PRIu64 ") no longer exists", ns->label,
				   ns->mnt_ns_id);
			continue;
		}
		targets[n++] = (struct mnts_target){
		    .kind = MNTS_TARGET_NSID, .num = ns->mnt_ns_id, .label = ns->label};
	}
	return mnts_side_open_targets(targets, n, a->subtree, ret, err);
}

static void rebase_lone_subtree(struct mnts_snapshot *sub, const struct mnts_snapshot *other)
{
	if (!sub->subtree || streq(sub->subtree, "/") || other->subtree)
		return;
	/* the other side has a mount in sight there: compare at it */
	for (size_t i = 0; i < other->n_ns; i++)
		if (mnts_ns_mount_in_sight(&other->nss[i], NULL, sub->subtree) >= 0)
			return;
	for (size_t i = 0; i < sub->n_ns; i++)
		mnts_ns_rebase(&sub->nss[i], sub->subtree, "/");
}

void mnts_sides_align_subtrees(struct mnts_snapshot *a, struct mnts_snapshot *b)
{
	rebase_lone_subtree(a, b);
	rebase_lone_subtree(b, a);
}

void mnts_side_rebase_onto(struct mnts_snapshot *got, const struct mnts_snapshot *want)
{
	for (size_t i = 0; i < got->n_ns; i++) {
		const struct mnts_ns *w = mnts_snapshot_find_ns(want, got->nss[i].label);

		if (w && w->root && got->nss[i].root) {
			/* a copy: rebase replaces the root's own string */
			_cleanup_free_ char *from = xstrdup(got->nss[i].root->mountpoint);

			mnts_ns_rebase(&got->nss[i], from, w->root->mountpoint);
		}
	}
}

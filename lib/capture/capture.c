/* capture.c - mnts_capture(): selects namespaces, runs a backend on each with
 * retries, then post-processes (deleted roots, nsfs mounts and the pins they
 * make, --subtree) and links.  See capture.h. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>

#include "lib/version.h"
#include "lib/capture/capture.h"
#include "lib/capture/identity.h"
#include "lib/capture/roottype.h"
#include "lib/core/log.h"
#include "lib/core/lookup.h"
#include "lib/core/macros.h"
#include "lib/core/path.h"
#include "lib/core/readfile.h"
#include "lib/core/split.h"
#include "lib/kernel/mountinfo.h"
#include "lib/kernel/nsenum.h"
#include "lib/kernel/userns.h"
#include "lib/kernel/statmount.h"

/* how often a namespace that changes under us is re-read before giving up */
#define CAPTURE_ATTEMPTS 5

/* One namespace to capture: live (ref.fd >= 0) or a mountinfo file. */
struct source {
	struct mnts_nsref ref;
	const char *file; /* -F path, or NULL */
	const char *what; /* how errors name it */
	char *what_owned;
	const char *label; /* requested label or NULL */
};

struct sources {
	struct source *v;
	size_t n;
};

static void sources_free(struct sources *s)
{
	for (size_t i = 0; i < s->n; i++) {
		mnts_nsref_done(&s->v[i].ref);
		free(s->v[i].what_owned);
	}
	free(s->v);
}

static struct source *sources_add(struct sources *s)
{
	struct source *src;

	s->v = xreallocarray(s->v, s->n + 1, sizeof(*s->v));
	src = &s->v[s->n++];
	memset(src, 0, sizeof(*src));
	src->ref.fd = -1;
	return src;
}

/* Moves every owned field of src (but the label) into the empty dst. */
static void ns_take(struct mnts_ns *dst, struct mnts_ns *src)
{
	dst->mounts = TAKE_PTR(src->mounts);
	dst->n_mounts = src->n_mounts;
	dst->cap_mounts = src->cap_mounts;
	src->n_mounts = src->cap_mounts = 0;
}

/* Strips "//deleted" from roots and decodes nsfs roots ("mnt:[4026532179]"),
 * which are not paths: the root becomes "/" and the namespace goes to the
 * nsfs fields. */
static void fix_mount(const struct mnts_snapshot *snap, struct mnts_mount *m)
{
	size_t len = strlen(m->root);
	static const char deleted[] = "//deleted";

	if (len >= sizeof(deleted) - 1 && streq(m->root + len - (sizeof(deleted) - 1), deleted)) {
		m->root[len - (sizeof(deleted) - 1)] = '\0';
		if (!m->root[0]) {
			mnts_snapshot_free_str(snap, m->root);
			m->root = xstrdup("/");
		}
		m->deleted = true;
	}
	if (streq(m->fstype, "nsfs") && m->root[0] != '/') {
		const char *colon = strchr(m->root, ':');
		unsigned long long ino;

		if (colon && sscanf(colon, ":[%llu]", &ino) == 1) {
			m->nsfs_type = xasprintf("%.*s", (int)(colon - m->root), m->root);
			m->nsfs_ino = ino;
		}
		mnts_snapshot_free_str(snap, m->root);
		m->root = xstrdup("/");
	}
}

/* Marks the mounts of the subtree at path in keep[]: the mount in sight at
 * path (mnts_ns_mount_in_sight(), the rule diff aligns by too) and its
 * descendants.  Returns: the root's index, or -1 when path is not a
 * mountpoint. */
static ssize_t subtree_select(const struct mnts_ns *ns, const char *path, bool *keep)
{
	_cleanup_free_ struct mnts_mount **by_id = xcalloc(ns->n_mounts + 1, sizeof(*by_id));
	_cleanup_free_ signed char *state = xcalloc(ns->n_mounts + 1, 1);
	_cleanup_free_ size_t *chain = xcalloc(ns->n_mounts + 1, sizeof(*chain));
	ssize_t root;

	for (size_t i = 0; i < ns->n_mounts; i++)
		by_id[i] = &ns->mounts[i];
	mnts_mounts_sort_by_id(by_id, ns->n_mounts);
	root = mnts_ns_mount_in_sight(ns, by_id, path);
	if (root < 0)
		return -1;
	/* state: 0 unknown, 1 inside, -1 outside; each mount resolved once */
	state[root] = 1;
	for (size_t i = 0; i < ns->n_mounts; i++) {
		size_t n_chain = 0, cur = i;
		signed char verdict = -1;

		while (!state[cur]) {
			const struct mnts_mount *m = &ns->mounts[cur], *p;

			chain[n_chain++] = cur;
			p = m->parent_id ? mnts_mounts_find_id(by_id, ns->n_mounts, m->parent_id)
					 : NULL;
			if (!p || n_chain > ns->n_mounts)
				break;
			cur = (size_t)(p - ns->mounts);
		}
		if (state[cur])
			verdict = state[cur];
		for (size_t k = 0; k < n_chain; k++)
			state[chain[k]] = verdict;
	}
	for (size_t i = 0; i < ns->n_mounts; i++)
		keep[i] = state[i] > 0;
	return root;
}

/* Reads one live namespace with the mountinfo backend. */
static int read_live_mountinfo(const struct source *src, struct mnts_ns *ns, uint64_t self_ino,
			       struct mnts_error *err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;

	if (src->ref.ino == self_ino) {
		_cleanup_close_ int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);

		if (fd < 0)
			return mnts_err(err, errno, "cannot open '/proc/self/mountinfo'");
		r = mnts_read_fd(fd, &buf, &len);
		if (r < 0)
			return mnts_err(err, -r, "cannot read '/proc/self/mountinfo'");
	} else {
		r = mnts_mountinfo_read_ns(src->ref.fd, &buf, &len, err);
		/* no right to setns: a process in it may still be readable */
		if (r < 0 && src->ref.n_pids > 0) {
			char path[64];
			_cleanup_close_ int fd = -1;

			snprintf(path, sizeof(path), "/proc/%" PRIu64 "/mountinfo",
				 src->ref.pids[0]);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0 && mnts_read_fd(fd, &buf, &len) == 0)
				r = 0;
		}
		if (r < 0)
			return r;
	}
	return mnts_mountinfo_parse(ns, buf, len, "mountinfo", true, err);
}

static int read_file(const struct source *src, struct mnts_ns *ns, struct mnts_error *err)
{
	_cleanup_free_ char *buf = NULL;
	_cleanup_close_ int fd = open(src->file, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	int r;

	if (fd < 0)
		return mnts_err(err, errno, "%s", src->what);
	r = mnts_read_fd(fd, &buf, &len);
	if (r < 0)
		return mnts_err(err, -r, "%s", src->what);
	return mnts_mountinfo_parse(ns, buf, len, src->what, false, err);
}

struct ctx {
	bool use_listmount;
	uint64_t self_ino;
	struct mnts_master_graph *graph;
};

/* A namespace's first read, made ahead on one of two CPUs (read_ahead()). */
struct ahead {
	struct mnts_snapshot *tmp; /* its one namespace; NULL: not read ahead */
	int r;
	struct mnts_error err;
};

struct ahead_job {
	const struct sources *srcs;
	const size_t *which; /* the indexes in srcs read ahead */
	struct ahead *ahead; /* per source */
};

static bool read_ahead_chunk(void *data, unsigned worker _unused_, size_t begin, size_t end)
{
	struct ahead_job *job = data;

	for (size_t i = begin; i < end; i++) {
		size_t k = job->which[i];
		struct ahead *a = &job->ahead[k];

		a->tmp = mnts_snapshot_new();
		mnts_snapshot_add_ns(a->tmp, "");
		a->r = mnts_statmount_ns_alone(&a->tmp->nss[0], job->srcs->v[k].ref.ns_id, &a->err);
	}
	return true;
}

/* namespaces of at most this many mounts are read whole, one per CPU; a
 * bigger one shares its own calls between the CPUs (statmount.c) */
#define AHEAD_MAX_MOUNTS 4096

/* Reads the small live namespaces of srcs, two at a time, before they are
 * taken in order: a host of containers is a thousand namespaces of fifty
 * mounts, whose calls each CPU makes for its own namespace.  Returns the
 * reads (free with ahead_free()), or NULL when none is made ahead. */
static struct ahead *read_ahead(const struct ctx *c, const struct sources *srcs)
{
	_cleanup_free_ size_t *which = NULL;
	struct ahead *ahead;
	size_t n = 0;

	if (!c->use_listmount || srcs->n < 2 || !mnts_split_worth_it())
		return NULL;
	which = xcalloc(srcs->n, sizeof(*which));
	for (size_t i = 0; i < srcs->n; i++) {
		const struct source *src = &srcs->v[i];
		size_t count;

		if (src->file || !src->ref.ns_id || src->ref.fd < 0)
			continue;
		count = mnts_statmount_ns_count(src->ref.fd);
		if (count > 0 && count <= AHEAD_MAX_MOUNTS)
			which[n++] = i;
	}
	if (n < 2)
		return NULL;
	ahead = xcalloc(srcs->n, sizeof(*ahead));
	mnts_debug(2, "%zu namespaces of at most %d mounts: read two at a time", n,
		   AHEAD_MAX_MOUNTS);
	/* one namespace a claim: two of 4,000 mounts go one to each CPU */
	mnts_split_run(n, 1, read_ahead_chunk,
		       &(struct ahead_job){.srcs = srcs, .which = which, .ahead = ahead});
	return ahead;
}

static void ahead_free(struct ahead *ahead, size_t n)
{
	if (!ahead)
		return;
	for (size_t i = 0; i < n; i++)
		mnts_snapshot_free(ahead[i].tmp);
	free(ahead);
}

/* Captures one source into the empty namespace ns (label set), retrying
 * while it changes.  Returns: 0, 1 when --subtree dropped it (-A only), or
 * -errno. */
static int capture_one(struct ctx *c, const struct source *src, struct mnts_ns *ns,
		       const char *subtree, bool drop_if_no_subtree, struct ahead *ahead,
		       struct mnts_error *err)
{
	_cleanup_snapshot_ struct mnts_snapshot *tmp = NULL;
	_cleanup_free_ bool *keep = NULL;
	struct mnts_ns *tns = NULL;
	ssize_t root = -1;
	int r = 0;

	for (int attempt = 0; attempt < CAPTURE_ATTEMPTS; attempt++) {
		/* the first attempt may have been made ahead (read_ahead()) */
		bool made = attempt == 0 && ahead && ahead->tmp;

		mnts_snapshot_free(TAKE_PTR(tmp));
		tmp = made ? TAKE_PTR(ahead->tmp) : mnts_snapshot_new();
		tns = made ? &tmp->nss[0] : mnts_snapshot_add_ns(tmp, ns->label);
		if (src->file)
			r = read_file(src, tns, err);
		else if (c->use_listmount && src->ref.ns_id) {
			if (made) {
				r = ahead->r;
				if (r < 0)
					*err = ahead->err;
			} else {
				r = mnts_statmount_ns(tns, src->ref.ns_id, src->ref.fd, err);
			}
			if (r == -ENOENT && src->ref.fd >= 0) {
				mnts_debug(1, "%s: %s; listing it from inside", src->what,
					   err->msg);
				mnts_snapshot_free(TAKE_PTR(tmp));
				tmp = mnts_snapshot_new();
				tns = mnts_snapshot_add_ns(tmp, ns->label);
				r = mnts_statmount_ns_setns(tns, src->ref.fd, err);
			}
		} else
			r = read_live_mountinfo(src, tns, c->self_ino, err);
		if (r != -EAGAIN)
			break;
		mnts_debug(1, "%s changed while being read (%s); again", src->what, err->msg);
	}
	if (r == -EAGAIN)
		return mnts_err_prefix(err, "%s: keeps changing during the capture", src->what);
	if (r < 0)
		return src->file ? r : mnts_err_prefix(err, "%s", src->what);

	if (!src->file && c->use_listmount && src->ref.ns_id)
		mnts_statmount_propagate_from(tns, c->graph);
	for (size_t i = 0; i < tns->n_mounts; i++)
		fix_mount(tmp, &tns->mounts[i]);

	if (subtree) {
		keep = xcalloc(tns->n_mounts + 1, sizeof(*keep));
		root = subtree_select(tns, subtree, keep);
		if (root < 0 && drop_if_no_subtree)
			return 1;
		if (root < 0)
			return mnts_err(err, 0, "subtree '%s': not a mountpoint in %s", subtree,
					src->what);
		tns->mounts[root].parent_id = 0;
		mnts_ns_remove_mounts(tns, keep);
	}
	ns_take(ns, tns);
	/* their pooled strings go with them */
	mnts_snapshot_take_pool(ns->snap, tmp);
	return 0;
}

/* Whether the root of each mount of the linked namespace ns is a
 * directory (roottype.h), through the namespace's root: the caller's own
 * for its namespace, else a process's in it. */
static void fill_root_types(struct mnts_ns *ns, bool live, bool self)
{
	_cleanup_close_ int rootfd = -1;
	char base[64];

	if (!live)
		;
	else if (self)
		rootfd = open("/proc/self/root", O_PATH | O_DIRECTORY | O_CLOEXEC);
	else if (ns->n_pids) {
		snprintf(base, sizeof(base), "/proc/%" PRIu64 "/root", ns->pids[0]);
		rootfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	}
	mnts_capture_root_types(ns, rootfd);
}

/* nsfs mounts of a mount namespace we captured name it and pin it. */
static void resolve_nsfs(struct mnts_snapshot *snap, const bool *live)
{
	for (size_t i = 0; i < snap->n_ns; i++) {
		if (!live[i])
			continue;
		for (size_t j = 0; j < snap->nss[i].n_mounts; j++) {
			struct mnts_mount *m = &snap->nss[i].mounts[j];

			if (!m->nsfs_type || !streq(m->nsfs_type, "mnt"))
				continue;
			for (size_t k = 0; k < snap->n_ns; k++) {
				struct mnts_ns *pinned = &snap->nss[k];

				if (!live[k] || pinned->ns_ino != m->nsfs_ino)
					continue;
				m->nsfs_ns = xstrdup(pinned->label);
				mnts_ns_add_pin(pinned, snap->nss[i].label, m->mountpoint);
				break;
			}
		}
	}
}

static void fill_meta(struct mnts_snapshot *snap, const struct mnts_capture_opts *opts,
		      bool use_listmount)
{
	struct utsname u;
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	const char *sel = "all";
	bool any_live = false;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snap->created = xstrdup(stamp);
	snap->tool_version = xstrdup(MNTSNAP_VERSION);
	if (uname(&u) == 0) {
		snap->host_kernel = xstrdup(u.release);
		snap->host_arch = xstrdup(u.machine);
		snap->host_name = xstrdup(u.nodename);
	}
	for (size_t i = 0; i < opts->n_targets; i++) {
		const char *kind;

		switch (opts->targets[i].kind) {
		case MNTS_TARGET_PID:
			kind = "pid";
			break;
		case MNTS_TARGET_MOUNTINFO:
			kind = "mountinfo";
			break;
		default:
			kind = "mount";
			break;
		}
		any_live = any_live || opts->targets[i].kind != MNTS_TARGET_MOUNTINFO;
		sel = i == 0 || streq(sel, kind) ? kind : "mixed";
	}
	if (!opts->n_targets)
		any_live = true;
	snap->selection = xstrdup(sel);
	snap->method = xstrdup(any_live && use_listmount ? "listmount" : "mountinfo");
	if (opts->subtree)
		snap->subtree = xstrdup(opts->subtree);
}

/* Resolves the targets (or every namespace) into sources, one per distinct
 * namespace, in label order.  gaps: what -A could not look into. */
static int collect_sources(const struct mnts_capture_opts *opts, struct sources *out,
			   struct mnts_nsenum_gaps *gaps, struct mnts_error *err)
{
	struct mnts_nslist all = {0};
	int r;

	if (opts->n_targets == 0) {
		r = mnts_nslist_all(&all, gaps, err);
		if (r < 0)
			return r;
		mnts_nslist_attach_pids(&all, getpid());
		for (size_t i = 0; i < all.n; i++) {
			struct source *src = sources_add(out);

			src->ref = all.v[i];
			src->what_owned = xasprintf("mount namespace %" PRIu64, src->ref.ns_id);
			src->what = src->what_owned;
		}
		free(all.v);
		return 0;
	}
	for (size_t i = 0; i < opts->n_targets; i++) {
		const struct mnts_target *t = &opts->targets[i];
		struct mnts_nsref ref = {.fd = -1};
		struct source *src;
		bool dup = false;

		switch (t->kind) {
		case MNTS_TARGET_PID:
			r = mnts_nsref_open_pid(t->num, &ref, err);
			break;
		case MNTS_TARGET_NSFILE:
			r = mnts_nsref_open_file(t->arg, &ref, err);
			break;
		case MNTS_TARGET_NSID:
			r = mnts_nsref_open_id(t->num, &ref, err);
			break;
		default:
			r = 0;
			break;
		}
		if (r < 0)
			return r;
		/* the same namespace twice: capture it once, first label wins */
		for (size_t k = 0; k < out->n && ref.fd >= 0; k++)
			dup = dup || (out->v[k].ref.fd >= 0 && out->v[k].ref.ino == ref.ino);
		if (dup) {
			mnts_nsref_done(&ref);
			continue;
		}
		src = sources_add(out);
		src->ref = ref;
		src->label = t->label;
		switch (t->kind) {
		case MNTS_TARGET_PID:
			src->what_owned = xasprintf("pid '%" PRIu64 "'", t->num);
			break;
		case MNTS_TARGET_NSFILE:
			src->what_owned = xasprintf("namespace file '%s'", t->arg);
			break;
		case MNTS_TARGET_NSID:
			src->what_owned = xasprintf("mount namespace %" PRIu64, t->num);
			break;
		default:
			src->file = t->arg;
			src->what_owned = xasprintf("mountinfo file '%s'", t->arg);
			break;
		}
		src->what = src->what_owned;
	}
	/* pids for the live ones */
	{
		struct mnts_nslist view = {0};

		for (size_t i = 0; i < out->n; i++)
			if (out->v[i].ref.fd >= 0) {
				view.v = xreallocarray(view.v, view.n + 1, sizeof(*view.v));
				view.v[view.n++] = out->v[i].ref;
			}
		if (!opts->no_pids)
			mnts_nslist_attach_pids(&view, getpid());
		for (size_t i = 0, k = 0; i < out->n; i++)
			if (out->v[i].ref.fd >= 0)
				out->v[i].ref = view.v[k++];
		free(view.v);
	}
	return 0;
}

/* The namespaces -A could not read, by kind of failure (errno): one
 * warning line each, with a count. */
#define SKIP_KINDS 8
struct skipped {
	struct skip_kind {
		int code;
		size_t n;
	} kinds[SKIP_KINDS];
	size_t n_kinds;
	struct mnts_error first; /* the first failure, for when none was read */
};

static void skipped_add(struct skipped *sk, const struct source *src,
			const struct mnts_error *err)
{
	size_t k;

	mnts_debug(1, "%s: skipped: %s%s%s", src->what, err->msg, err->code ? ": " : "",
		   err->code ? strerror(err->code) : "");
	if (sk->n_kinds == 0)
		sk->first = *err;
	for (k = 0; k < sk->n_kinds && sk->kinds[k].code != err->code; k++)
		;
	if (k == sk->n_kinds && k < SKIP_KINDS)
		sk->kinds[sk->n_kinds++].code = err->code;
	sk->kinds[k < SKIP_KINDS ? k : SKIP_KINDS - 1].n++;
}

static void warn_gap(struct mnts_snapshot *snap, char *text)
{
	mnts_warn("%s", text);
	mnts_strv_push_take(&snap->warnings, text);
}

/* -A: says what could not be seen (on stderr and in the snapshot's
 * warnings), as lsns would not.  Partial is fine when something was read:
 * an unprivileged user gets the namespaces it may see.  Returns: 0, or
 * -errno when nothing could be read at all. */
static int report_gaps(struct mnts_snapshot *snap, const struct mnts_nsenum_gaps *gaps,
		       const struct skipped *sk, struct mnts_error *err)
{
	if (snap->n_ns == 0 && sk->n_kinds)
		return mnts_err(err, sk->first.code, "no mount namespace could be read: %s",
				sk->first.msg);
	if (snap->n_ns == 0 && gaps->n_procs)
		return mnts_err(err, gaps->procs_errno,
				"no mount namespace could be read: /proc/PID/ns/mnt of %zu "
				"processes",
				gaps->n_procs);
	if (gaps->walk_errno)
		warn_gap(snap, xasprintf("mount namespaces without a process were not looked "
					 "for: namespace walk: %s",
					 strerror(gaps->walk_errno)));
	if (gaps->n_procs)
		warn_gap(snap, xasprintf("the mount namespaces of %zu process%s (pid %ld%s) "
					 "could not be read: %s",
					 gaps->n_procs, gaps->n_procs == 1 ? "" : "es",
					 gaps->procs_example, gaps->n_procs == 1 ? "" : " and others",
					 strerror(gaps->procs_errno)));
	for (size_t k = 0; k < sk->n_kinds; k++) {
		const struct skip_kind *kind = &sk->kinds[k];

		warn_gap(snap, xasprintf("%zu mount namespace%s could not be read: %s", kind->n,
					 kind->n == 1 ? "" : "s",
					 kind->code ? strerror(kind->code) : sk->first.msg));
	}
	return 0;
}

/* Which mounts of ns, owned by the user namespace ufd (not the initial
 * one), are locked: the ones it inherited, which replay copies in; the
 * others the container made.  Unknown (null, and said) when the probe
 * fails: replay then copies every mount in, locked. */
static void probe_locked(struct mnts_snapshot *snap, struct mnts_ns *ns, int nsfd, int ufd)
{
	struct mnts_error perr = {0};

	if (mnts_userns_probe_locked(nsfd, ufd, ns, &perr) < 0)
		warn_gap(snap, xasprintf("namespace '%s': which mounts are locked could not be "
					 "probed (%s%s%s): not recorded",
					 ns->label, perr.msg, perr.code ? ": " : "",
					 perr.code ? strerror(perr.code) : ""));
}

/* The user namespace owning the namespace nsfd: whether it is the initial
 * one, and its maps.  A namespace owned by another one is what a rootless
 * or unprivileged container has: its inherited mounts are locked. */
static int capture_owner(struct mnts_snapshot *snap, struct mnts_ns *ns, int nsfd,
			 struct mnts_error *err)
{
	_cleanup_close_ int ufd = mnts_userns_owner_fd(nsfd);
	uint64_t ino = 0;
	int r;

	if (ufd < 0)
		return 0; /* a kernel without NS_GET_USERNS: unknown, as with -F */
	r = mnts_userns_ino(ufd, &ino);
	if (r < 0)
		return mnts_err(err, -r, "fstat the owning user namespace");
	if (!ns->owner_userns_ino)
		ns->owner_userns_ino = ino;
	ns->owner.initial = ino == MNTS_INIT_USERNS_INO;
	if (!ns->owner.initial)
		probe_locked(snap, ns, nsfd, ufd);
	/* many namespaces share an owner: read its maps once (a fork) */
	for (size_t i = 0; i < snap->n_ns; i++) {
		const struct mnts_ns *o = &snap->nss[i];

		if (o != ns && o->owner.known && o->owner_userns_ino == ino) {
			mnts_strv_push_n(&ns->owner.uid_map,
					 (const char *const *)o->owner.uid_map.v,
					 o->owner.uid_map.n, NULL);
			mnts_strv_push_n(&ns->owner.gid_map,
					 (const char *const *)o->owner.gid_map.v,
					 o->owner.gid_map.n, NULL);
			ns->owner.known = true;
			return 0;
		}
	}
	r = mnts_userns_read_maps(ufd, &ns->owner.uid_map, &ns->owner.gid_map, err);
	if (r < 0) {
		/* e.g. a user namespace we may not enter: unknown, and said */
		mnts_strv_push_take(&snap->warnings,
				    xasprintf("namespace '%s': the maps of its owning user namespace "
					      "could not be read (%s): owner not recorded",
					      ns->label, err->msg));
		mnts_strv_clear(&ns->owner.uid_map);
		mnts_strv_clear(&ns->owner.gid_map);
		return 0;
	}
	ns->owner.known = true;
	return 0;
}

int mnts_capture(const struct mnts_capture_opts *opts, struct mnts_snapshot **ret,
		 struct mnts_error *err)
{
	struct mnts_nsenum_gaps gaps = {0};
	struct skipped skipped = {0};
	_cleanup_snapshot_ struct mnts_snapshot *snap = mnts_snapshot_new();
	_cleanup_free_ bool *live = NULL;
	_cleanup_free_ char *subtree = NULL;
	struct sources srcs = {0};
	struct ahead *ahead = NULL;
	struct ctx c = {0};
	struct stat st;
	int r = 0;

	if (opts->subtree) {
		size_t len = strlen(opts->subtree);

		subtree = xstrdup(opts->subtree);
		while (len > 1 && subtree[len - 1] == '/')
			subtree[--len] = '\0';
		if (!mnts_path_is_normal(subtree))
			return mnts_err(err, 0, "subtree '%s': not an absolute normalised path",
					opts->subtree);
	}
	switch (opts->backend) {
	case MNTS_BACKEND_LISTMOUNT:
		if (!mnts_statmount_supported())
			return mnts_err(err, ENOSYS,
					"listmount: this kernel lacks listmount/statmount with "
					"namespace ids and option arrays (6.15+)");
		c.use_listmount = true;
		break;
	case MNTS_BACKEND_MOUNTINFO:
		break;
	default:
		c.use_listmount = mnts_statmount_supported();
		break;
	}
	if (stat("/proc/self/ns/mnt", &st) == 0)
		c.self_ino = st.st_ino;
	fill_meta(snap, opts, c.use_listmount);
	if (subtree) {
		free(snap->subtree);
		snap->subtree = xstrdup(subtree);
	}

	r = collect_sources(opts, &srcs, &gaps, err);
	if (r < 0)
		goto out;
	c.graph = mnts_master_graph_new();
	ahead = read_ahead(&c, &srcs);
	live = xcalloc(srcs.n + 1, sizeof(*live));
	for (size_t i = 0; i < srcs.n; i++) {
		const struct source *src = &srcs.v[i];
		_cleanup_free_ char *label =
		    src->label ? xstrdup(src->label) : xasprintf("ns%zu", snap->n_ns);
		struct mnts_ns *ns = mnts_snapshot_add_ns(snap, label);

		r = capture_one(&c, src, ns, subtree, opts->n_targets == 0,
				ahead ? &ahead[i] : NULL, err);
		if (r == 1 || (r < 0 && opts->n_targets == 0 && r != -EAGAIN)) {
			/* -A: a namespace without the subtree, or one we may not
			 * read (or that died) */
			if (r < 0)
				skipped_add(&skipped, src, err);
			free(snap->nss[--snap->n_ns].label);
			r = 0;
			continue;
		}
		if (r < 0)
			goto out;
		live[snap->n_ns - 1] = src->ref.fd >= 0;
		ns->mnt_ns_id = src->ref.ns_id;
		ns->ns_ino = src->ref.ino;
		ns->owner_userns_ino = src->ref.userns_ino;
		if (src->ref.fd >= 0) {
			r = capture_owner(snap, ns, src->ref.fd, err);
			if (r < 0)
				goto out;
		}
		for (size_t k = 0; k < src->ref.n_pids; k++)
			mnts_ns_add_pid(ns, src->ref.pids[k]);
	}
	if (opts->n_targets == 0) {
		r = report_gaps(snap, &gaps, &skipped, err);
		if (r < 0)
			goto out;
	}
	if (subtree && snap->n_ns == 0) {
		r = mnts_err(err, 0, "subtree '%s': not a mountpoint in any mount namespace",
			     subtree);
		goto out;
	}
	resolve_nsfs(snap, live);
	mnts_capture_identity(snap, live);
	r = mnts_snapshot_link(snap, err);
	if (r < 0) {
		mnts_err_prefix(err, "captured snapshot is inconsistent");
		goto out;
	}
	for (size_t i = 0; i < snap->n_ns; i++)
		fill_root_types(&snap->nss[i], live[i], live[i] && snap->nss[i].ns_ino == c.self_ino);
	*ret = TAKE_PTR(snap);
out:
	ahead_free(ahead, srcs.n);
	mnts_master_graph_free(c.graph);
	sources_free(&srcs);
	return r;
}

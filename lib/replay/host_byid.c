/* host_byid.c - the caller's live mounts replay may clone, found by the
 * snapshot's own mount ids instead of reading every live mount (host.h).
 *
 * A snapshot captured by listmount in this boot names each mount by its
 * unique id, which the kernel does not reuse until it reboots: statmount()
 * of that id in the caller's namespace describes the very mount the capture
 * saw, as it is now, or fails when it is not here.  Reading the caller's
 * whole table costs one statmount per live mount, 50,000 in a benchmark
 * cell for a snapshot of one superblock bound 50,000 times; this costs one
 * per superblock of the snapshot, and a statx of its mountpoint.
 *
 * Nothing is decided on a partial table: it stands for the whole one only
 * when it answers every question the planner asks of the table
 * (mnts_live_find() per superblock, host_ident.c with the root "/" for a
 * block device, plan_sources.c with the common ancestor of its roots) with
 * a mount, as the whole table would.  Otherwise the whole table is read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/capture/identity.h"
#include "lib/core/log.h"
#include "lib/core/path.h"
#include "lib/core/split.h"
#include "lib/core/u64map.h"
#include "lib/kernel/nssmall.h"
#include "lib/kernel/statmount.h"
#include "lib/kernel/syscalls.h"
#include "lib/replay/host.h"
#include "lib/replay/mapping.h"
#include "lib/replay/plan_internal.h"
#include "lib/replay/replay_ns.h"
#include "lib/spec/spec_snap.h"

/* One superblock of the snapshot: the mount of it to look up (the one with
 * the shortest root) and the root a live mount of it must hold. */
struct sb_probe {
	const struct mnts_mount *first, *shortest;
	size_t common_len; /* of first->root: the common ancestor of the roots */
	char *needed;	   /* what a live mount of it must hold (holds_needed()) */
};

static void probes_free(struct sb_probe *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i].needed);
	free(v);
}

/* How many mounts the namespaces of snap that opts replays hold. */
static size_t wanted_mounts(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts)
{
	size_t n = 0;

	for (size_t i = 0; i < snap->n_ns; i++)
		if (plan_ns_wanted(opts, &snap->nss[i]))
			n += snap->nss[i].n_mounts;
	return n;
}

/* The snapshot's superblocks, one probe each, into *ret; -EOPNOTSUPP when
 * the table must be read whole whatever it holds, -E2BIG when there are
 * more than max. */
static int collect(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts, size_t max,
		   struct sb_probe **ret, size_t *ret_n)
{
	struct mnts_u64map by_dev = {0};
	struct sb_probe *v = NULL;
	size_t n = 0, n_mounts;
	int r = 0;

	/* room for a superblock per mount at once: the map rehashed, and the
	 * probes copied, a dozen times on the way to 50,000 */
	n_mounts = wanted_mounts(snap, opts);
	mnts_u64map_reserve(&by_dev, n_mounts < max ? n_mounts : max);
	v = xreallocarray(NULL, n_mounts + 1, sizeof(*v));
	for (size_t i = 0; i < snap->n_ns && r == 0; i++) {
		const struct mnts_ns *ns = &snap->nss[i];

		if (!plan_ns_wanted(opts, ns))
			continue;
		for (size_t k = 0; k < ns->n_mounts && r == 0; k++) {
			const struct mnts_mount *m = &ns->mounts[k];
			uint64_t dev = (uint64_t)m->dev_major << 32 | m->dev_minor;
			int at;

			/* pins are made from namespaces, never cloned */
			if (m->nsfs_type || streq(m->fstype, "nsfs"))
				continue;
			/* a spec's made-up device is looked up by type, over
			 * the whole table */
			if (mnts_spec_dev_is_made_up(m->dev_major, m->dev_minor)) {
				r = -EOPNOTSUPP;
				break;
			}
			at = mnts_u64map_get(&by_dev, dev);
			if (at < 0 && n == max) {
				r = -E2BIG;
				break;
			}
			if (at < 0) {
				v[n] = (struct sb_probe){
				    .first = m, .shortest = m, .common_len = strlen(m->root)};
				mnts_u64map_put(&by_dev, dev, (int)n++);
				continue;
			}
			/* two types on one device: the planner's questions
			 * differ from ours */
			if (!streq(v[at].first->fstype, m->fstype)) {
				r = -EOPNOTSUPP;
				break;
			}
			if (v[at].common_len > 1)
				v[at].common_len = plan_common_ancestor_len(
				    v[at].first->root, v[at].common_len, m->root);
			if (strlen(m->root) < strlen(v[at].shortest->root))
				v[at].shortest = m;
		}
	}
	mnts_u64map_free(&by_dev);
	if (r < 0) {
		free(v);
		return r;
	}
	/* what the planner will ask a live mount of it to hold: the whole
	 * superblock for a block device (host_ident.c asks for "/"), else
	 * the common ancestor of its roots (plan_sources.c) */
	for (size_t i = 0; i < n; i++)
		v[i].needed = v[i].first->dev_major != 0 && !mnts_fs_is_layered(v[i].first->fstype)
				  ? xstrdup("/")
				  : xstrndup(v[i].first->root, v[i].common_len);
	*ret = v;
	*ret_n = n;
	return 0;
}

/* How many superblocks are worth looking up one by one rather than reading
 * the table: a statmount and a statx each against one statmount per live
 * mount, with a margin (the table is read on another CPU meanwhile). */
static size_t worth_it_max(void)
{
	_cleanup_close_ int nsfd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	uint32_t here = nsfd < 0 ? UINT32_MAX : mnts_mnt_ns_count(nsfd);

	return here == UINT32_MAX ? 0 : here / 4;
}

/* Whether a live mount of probe p's superblock with root live_root holds
 * what the planner will ask for. */
static bool holds_needed(const struct sb_probe *p, const char *live_root)
{
	return mnts_path_at_or_below(p->needed, live_root);
}

/* A live table's entry for mount m, in sight at its mountpoint; its
 * strings are m's. */
static struct mnts_live_mount live_entry(const struct mnts_mount *m)
{
	return (struct mnts_live_mount){
	    .id = m->mnt_id,
	    .dev_major = m->dev_major,
	    .dev_minor = m->dev_minor,
	    .root = m->root,
	    .target = m->mountpoint,
	    .fstype = m->fstype,
	    .source = m->source,
	    .shared = m->shared_id != 0,
	    .unbindable = m->unbindable,
	    .reach = MNTS_REACH_YES,
	};
}

/* The probes' mounts looked up by id into *t.  Returns: 0, or -ENOENT
 * (*t left empty) when one of them will not do. */
static int lookup(struct mnts_live_table *t, const struct sb_probe *probes, size_t n)
{
	_cleanup_free_ uint64_t *ids = NULL;
	_cleanup_snapshot_ struct mnts_snapshot *pool = NULL;
	struct mnts_error err = {0};
	struct mnts_ns *ns;
	long got;

	/* a shortest root that cannot hold what is needed: no mount of the
	 * snapshot will do, the live table may have one */
	for (size_t i = 0; i < n; i++)
		if (!holds_needed(&probes[i], probes[i].shortest->root)) {
			mnts_debug(2,
				   "live mounts: reading them all (no mount of %s holds the "
				   "roots replayed from it)",
				   probes[i].first->mountpoint);
			return -ENOENT;
		}
	ids = xcalloc(n + 1, sizeof(*ids));
	for (size_t i = 0; i < n; i++)
		ids[i] = probes[i].shortest->id;
	pool = mnts_snapshot_new();
	ns = mnts_snapshot_add_ns(pool, "live");
	got = mnts_statmount_ids_basic(ns, ids, n, &err);
	if (got < 0)
		mnts_debug(1, "live mounts by the snapshot's ids: %s", err.msg);
	if (got < (long)n) {
		mnts_debug(2, "live mounts: not every superblock is where the snapshot saw it; "
			      "reading them all");
		return -ENOENT;
	}
	t->v = xcalloc(n + 1, sizeof(*t->v));
	for (size_t i = 0; i < n; i++) {
		const struct mnts_mount *m = &ns->mounts[i];
		const struct mnts_mount *want = probes[i].shortest;
		struct mnts_live_mount *lm = &t->v[t->n++];

		/* the pool's strings: it stays with the table */
		*lm = live_entry(m);
		/* the same superblock, as the planner will look for it,
		 * cloneable, and where a lookup of its mountpoint gets */
		if (m->dev_major != want->dev_major || m->dev_minor != want->dev_minor ||
		    !streq(m->fstype, want->fstype) || m->unbindable ||
		    !holds_needed(&probes[i], m->root) || !mnts_live_reachable(lm)) {
			mnts_debug(
			    2,
			    "live mounts: mount %s is not as the snapshot saw it; reading them all",
			    want->mountpoint);
			free(t->v); /* its strings are the pool's */
			*t = (struct mnts_live_table){0};
			return -ENOENT;
		}
	}
	t->pool = TAKE_PTR(pool);
	t->read_by = "by the snapshot's mount ids";
	mnts_live_table_index_devs(t);
	mnts_debug(2, "live mounts: the %zu superblocks of the snapshot found by its mount ids", n);
	return 0;
}

/* Whether every namespace of snap that opts replays is the caller's: the
 * one whose mounts a path here leads to. */
static bool callers_own(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts)
{
	_cleanup_close_ int nsfd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	uint64_t self = 0;

	if (nsfd < 0 || mnts_mnt_ns_id(nsfd, &self) < 0 || !self)
		return false;
	for (size_t i = 0; i < snap->n_ns; i++)
		if (plan_ns_wanted(opts, &snap->nss[i]) && snap->nss[i].mnt_ns_id != self)
			return false;
	return true;
}

/* The mounts of the namespaces opts replays (the caller's) as a live table
 * into *t: every one, so that which are in sight is worked out as for a
 * table read (host.c; the root of a --subtree capture is taken as in sight:
 * capture chose the mount in sight there), their strings the snapshot's. */
static void table_of_snapshot(struct mnts_live_table *t, const struct mnts_snapshot *snap,
			      const struct mnts_plan_opts *opts)
{
	_cleanup_free_ int *parent_of = NULL; /* per entry: its parent's entry */
	size_t n = wanted_mounts(snap, opts);

	parent_of = xcalloc(n + 1, sizeof(*parent_of));
	t->v = xcalloc(n + 1, sizeof(*t->v));
	for (size_t i = 0; i < snap->n_ns; i++) {
		const struct mnts_ns *ns = &snap->nss[i];
		size_t base = t->n; /* the entry of the namespace's first mount */

		if (!plan_ns_wanted(opts, ns))
			continue;
		for (size_t k = 0; k < ns->n_mounts; k++) {
			const struct mnts_mount *m = &ns->mounts[k];
			struct mnts_live_mount *lm = &t->v[t->n];

			*lm = live_entry(m);
			lm->parent_id = m->parent ? m->parent->mnt_id : 0;
			lm->assumed_id = m->id;
			parent_of[t->n++] = m->parent ? (int)(base + m->parent->index) : -1;
		}
	}
	t->assumed = true;
	mnts_live_table_index_linked(t, parent_of);
}

/* Up to max ids of the caller's namespace's mounts into *ret (sorted).
 * Returns: how many, or -1 (more than max, or listmount failed). */
static long list_live_ids(size_t max, uint64_t **ret)
{
	size_t n = 0, cap = 4096;
	uint64_t *ids = xmalloc(cap * sizeof(*ids));

	for (;;) {
		long got;

		if (n == cap) {
			cap *= 2;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		got = mnts_sys_listmount(MNTS_LSMT_ROOT, 0, n ? ids[n - 1] : 0, ids + n, cap - n);
		if (got < 0 || n + (size_t)got > max) {
			free(ids);
			return -1;
		}
		n += (size_t)got;
		if (n < cap)
			break;
	}
	*ret = ids;
	return (long)n;
}

/* Whether a mount of the caller's namespace that the assumed table t (the
 * snapshot's) does not have (outside its subtree, or made since) is of one
 * of the devices in devs: the whole table would clone that superblock from
 * it, where the snapshot shows no mount of it to clone.  Returns: 0
 * (none), 1, or -1 when there are too many such mounts to look at. */
static int outside_mount_of(const struct mnts_live_table *t, const struct mnts_u64map *devs)
{
	_cleanup_snapshot_ struct mnts_snapshot *pool = NULL;
	_cleanup_free_ uint64_t *live = NULL, *outside = NULL;
	struct mnts_u64map known = {0};
	struct mnts_error ignored = {0};
	struct mnts_ns *ns;
	long n_live, got;
	size_t n_out = 0;
	int r = 0;

	for (size_t i = 0; i < t->n; i++)
		mnts_u64map_put(&known, t->v[i].assumed_id, 0);
	/* a quarter more than the snapshot's: past that, read the table */
	n_live = list_live_ids(t->n + t->n / 4 + 64, &live);
	if (n_live < 0) {
		mnts_u64map_free(&known);
		return -1;
	}
	outside = xcalloc((size_t)n_live + 1, sizeof(*outside));
	for (long i = 0; i < n_live; i++)
		if (mnts_u64map_get(&known, live[i]) < 0)
			outside[n_out++] = live[i];
	mnts_u64map_free(&known);
	pool = mnts_snapshot_new();
	ns = mnts_snapshot_add_ns(pool, "outside");
	got = mnts_statmount_ids_basic(ns, outside, n_out, &ignored);
	if (got < (long)n_out)
		return -1; /* one went away meanwhile: the table tells */
	for (size_t i = 0; i < n_out && !r; i++)
		if (mnts_u64map_get(devs, (uint64_t)ns->mounts[i].dev_major << 32 |
					      ns->mounts[i].dev_minor) >= 0)
			r = 1;
	return r;
}

/* The superblocks of the probes that no mount of the assumed table t may
 * be cloned from (all covered, say: the lower of two tmpfs on /run): the
 * mounts of them a clone could come from must stay out of sight, each
 * checked as the others (t->hidden).  Returns: NULL, or why the table is
 * read instead. */
static const char *keep_hidden(struct mnts_live_table *t, const struct sb_probe *probes, size_t n)
{
	struct mnts_u64map devs = {0};
	const char *why = NULL;
	int outside;

	for (size_t i = 0; i < n && !why; i++) {
		const struct mnts_mount *m = probes[i].first;
		uint64_t dev = (uint64_t)m->dev_major << 32 | m->dev_minor;

		if (mnts_live_find(t, m->dev_major, m->dev_minor, m->fstype, probes[i].needed))
			continue;
		/* a block device is also looked for by identity and mounted
		 * anew (host_ident.c): a question this table cannot answer */
		if (m->dev_major != 0 && !mnts_fs_is_layered(m->fstype)) {
			why = "a block device of it has no mount to clone from";
			break;
		}
		mnts_u64map_put(&devs, dev, 0);
		for (int e = mnts_u64map_get(&t->by_dev, dev); e >= 0 && !why;
		     e = t->next_same_dev[e]) {
			const struct mnts_live_mount *lm = &t->v[e];

			if (!streq(lm->fstype, m->fstype) || !holds_needed(&probes[i], lm->root))
				continue; /* never a source of it, wherever it is */
			if (lm->reach == MNTS_REACH_YES)
				why = "a superblock of it is mounted unbindable";
			else if (lm->reach == MNTS_REACH_ASK)
				/* statx decides later (host.c): it may be cloned */
				why = "a mount of it shares its place with another";
			else
				mnts_live_hide(t, lm);
		}
	}
	if (!why && devs.n) {
		outside = outside_mount_of(t, &devs);
		why = outside < 0 ? "too many mounts outside it to look at"
		      : outside > 0
			  ? "a superblock it has no mount to clone from is mounted outside it"
			  : NULL;
	}
	mnts_u64map_free(&devs);
	return why;
}

/* The mounts of the snapshot as the live table (table_of_snapshot()),
 * unchecked: only for a plan whose executor checks each it clones, and
 * that those it may not clone stay out of sight (livecheck.h).  Returns:
 * 0, or -ENOENT (*t left empty). */
static int assume(struct mnts_live_table *t, const struct mnts_snapshot *snap,
		  const struct mnts_plan_opts *opts, const struct sb_probe *probes, size_t n)
{
	const char *why;

	table_of_snapshot(t, snap, opts);
	why = keep_hidden(t, probes, n);
	if (why) {
		mnts_debug(2, "live mounts: reading them all (%s)", why);
		mnts_live_table_done(t);
		return -ENOENT;
	}
	t->read_by = "assumed from the snapshot, each checked before it is cloned";
	mnts_debug(2,
		   "live mounts: the %zu superblocks of the snapshot assumed where it saw them, "
		   "each checked while replaying",
		   n);
	return 0;
}

/* What the checks of an assumed table cost the executor per superblock,
 * in milliseconds: 50 ms at 50,000 superblocks of a flat layout, 24 ms at
 * 50,000 in deep chains (the statx calls contend with its own). */
#define ASSUME_COST_MS 0.001

int mnts_live_read_by_ids(struct mnts_live_table *t, const struct mnts_snapshot *snap,
			  const struct mnts_plan_opts *opts, double table_wait_ms)
{
	const char *force = getenv("MNTSNAP_LIVE_TABLE");
	bool force_ids = force && streq(force, "ids");
	bool force_assume = force && streq(force, "assume");
	struct sb_probe *probes = NULL;
	_cleanup_free_ char *boot = NULL;
	size_t n = 0, max;
	bool may_assume;
	const char *why;
	int r;

	*t = (struct mnts_live_table){0};
	if (force && !force_ids && !force_assume)
		return -EOPNOTSUPP;
	boot = mnts_boot_id();
	/* ids of this boot's listmount; externals and mappings take
	 * superblocks from elsewhere, and are left to the whole table */
	why = !snap->method || !streq(snap->method, "listmount")       ? "not captured by listmount"
	      : !snap->boot_id || !boot || !streq(boot, snap->boot_id) ? "not captured in this boot"
	      : opts->n_externals || (opts->map_rules && opts->map_rules->n)
		  ? "--external or --map-source"
	      : !mnts_statmount_supported() ? "statmount cannot"
					    : NULL;
	if (why) {
		mnts_debug(2, "live mounts: reading them all (the snapshot: %s)", why);
		return -EOPNOTSUPP;
	}
	/* the checks run on the CPU the executor leaves idle (livecheck.c) */
	may_assume = opts->assume_live && !force_ids && (force_assume || mnts_split_worth_it()) &&
		     callers_own(snap, opts);
	max = force_ids ? SIZE_MAX : force_assume && may_assume ? 0 : worth_it_max();
	/* past max, assumed when it may be: as many as there are */
	r = collect(snap, opts, may_assume ? SIZE_MAX : max, &probes, &n);
	if (r == -E2BIG)
		mnts_debug(2,
			   "live mounts: reading them all (more than %zu superblocks, a quarter "
			   "of the live mounts)",
			   max);
	else if (r < 0)
		mnts_debug(2, "live mounts: reading them all (superblocks made up by a spec, or "
			      "two types on one device)");
	if (r < 0)
		return r;
	if (n > max)
		mnts_debug(3,
			   "live mounts: the table in %.0f ms, checks of %zu superblocks %.0f ms",
			   table_wait_ms, n, (double)n * ASSUME_COST_MS);
	if (n > max && !force_assume && table_wait_ms < (double)n * ASSUME_COST_MS) {
		mnts_debug(2,
			   "live mounts: reading them all (%zu superblocks: the table is in "
			   "%.0f ms, the checks would cost %.0f ms)",
			   n, table_wait_ms, (double)n * ASSUME_COST_MS);
		r = -E2BIG;
	} else {
		r = n > max ? assume(t, snap, opts, probes, n) : lookup(t, probes, n);
	}
	probes_free(probes, n);
	return r;
}

/* The string value of key in the JSON text buf (its first occurrence,
 * written "key": "value"), into out; false when not there so. */
static bool peek_string(const char *buf, const char *key, char *out, size_t size)
{
	const char *p = strstr(buf, key), *end;

	if (!p)
		return false;
	p += strlen(key);
	p += strspn(p, " \t\r\n");
	if (*p++ != ':')
		return false;
	p += strspn(p, " \t\r\n");
	if (*p++ != '"' || !(end = strchr(p, '"')) || (size_t)(end - p) >= size)
		return false;
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
	return true;
}

bool mnts_live_byid_likely(const char *path)
{
	_cleanup_close_ int fd = -1, nsfd = -1;
	_cleanup_free_ char *boot = NULL;
	char buf[4096], method[32], boot_id[64];
	const char *ns_id;
	uint64_t self = 0;
	struct stat st;
	ssize_t n;

	/* only a regular file is opened: a FIFO's writer would see us */
	if (!path || streq(path, "-") || stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	nsfd = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	boot = mnts_boot_id();
	ns_id = strstr(buf, "\"mnt_ns_id\"");
	if (!peek_string(buf, "\"method\"", method, sizeof(method)) ||
	    !streq(method, "listmount") ||
	    !peek_string(buf, "\"boot_id\"", boot_id, sizeof(boot_id)) || !boot ||
	    !streq(boot, boot_id) || !ns_id || nsfd < 0 || mnts_mnt_ns_id(nsfd, &self) < 0)
		return false;
	ns_id += strlen("\"mnt_ns_id\"");
	ns_id += strspn(ns_id, " \t\r\n:");
	return strtoull(ns_id, NULL, 10) == self;
}

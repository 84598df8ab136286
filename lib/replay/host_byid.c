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
#include <unistd.h>

#include "lib/capture/identity.h"
#include "lib/core/log.h"
#include "lib/core/path.h"
#include "lib/core/split.h"
#include "lib/core/u64map.h"
#include "lib/kernel/nssmall.h"
#include "lib/kernel/statmount.h"
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

/* The snapshot's superblocks, one probe each, into *ret; -EOPNOTSUPP when
 * the table must be read whole whatever it holds, -E2BIG when there are
 * more than max. */
static int collect(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts, size_t max,
		   struct sb_probe **ret, size_t *ret_n)
{
	struct mnts_u64map by_dev = {0};
	struct sb_probe *v = NULL;
	size_t n = 0;
	int r = 0;

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
				if ((n & (n - 1)) == 0)
					v = xreallocarray(v, n ? 2 * n : 64, sizeof(*v));
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

/* Whether a mount of a namespace of snap that opts replays covers another:
 * one on the same mountpoint of the same parent, or on its parent's root.
 * Keyed by parent and last component (mountpoints along a deep chain are
 * long, and a hash of each whole one was 20 ms at 50,000); two keys alike
 * but for their paths count as a cover too: a rare false yes only reads
 * the table. */
static bool any_overmount(const struct mnts_snapshot *snap, const struct mnts_plan_opts *opts)
{
	struct mnts_u64map seen = {0};
	bool found = false;

	for (size_t i = 0; i < snap->n_ns && !found; i++) {
		const struct mnts_ns *ns = &snap->nss[i];
		_cleanup_free_ size_t *len = NULL;

		if (!plan_ns_wanted(opts, ns))
			continue;
		len = xcalloc(ns->n_mounts + 1, sizeof(*len));
		for (size_t k = 0; k < ns->n_mounts; k++)
			len[k] = strlen(ns->mounts[k].mountpoint);
		for (size_t k = 0; k < ns->n_mounts && !found; k++) {
			const struct mnts_mount *m = &ns->mounts[k];
			const char *last = strrchr(m->mountpoint, '/');
			uint64_t h = 1469598103934665603ULL ^
				     (m->parent_id * 0x9E3779B97F4A7C15ULL) ^ len[k];

			for (const char *c = last ? last : m->mountpoint; *c; c++)
				h = (h ^ (unsigned char)*c) * 1099511628211ULL;
			found = (m->parent && len[m->parent->index] == len[k] &&
				 streq(m->parent->mountpoint, m->mountpoint)) ||
				mnts_u64map_get(&seen, h) >= 0;
			mnts_u64map_put(&seen, h, 0);
		}
	}
	mnts_u64map_free(&seen);
	return found;
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

/* Why the probes' mounts may not be assumed to be as the snapshot saw them
 * (in sight, cloneable), or NULL. */
static const char *why_not_assumed(const struct mnts_snapshot *snap,
				   const struct mnts_plan_opts *opts, const struct sb_probe *probes,
				   size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!holds_needed(&probes[i], probes[i].shortest->root) ||
		    probes[i].shortest->unbindable || !probes[i].shortest->id)
			return "a superblock of it has no mount to clone it from";
	if (any_overmount(snap, opts))
		return "a mount of it covers another";
	return NULL;
}

/* The probes' mounts as the snapshot saw them into *t, unchecked: only
 * for a plan whose executor checks each before it clones it
 * (livecheck.h).  Returns: 0, or -ENOENT (*t left empty). */
static int assume(struct mnts_live_table *t, const struct mnts_snapshot *snap,
		  const struct mnts_plan_opts *opts, const struct sb_probe *probes, size_t n)
{
	const char *why = why_not_assumed(snap, opts, probes, n);

	if (why) {
		mnts_debug(2, "live mounts: reading them all (%s)", why);
		return -ENOENT;
	}
	t->v = xcalloc(n + 1, sizeof(*t->v));
	for (size_t i = 0; i < n; i++) {
		const struct mnts_mount *m = probes[i].shortest;

		/* the snapshot's strings: it outlives the table */
		t->v[t->n] = live_entry(m);
		t->v[t->n++].assumed_id = m->id;
	}
	t->assumed = true;
	t->read_by = "assumed from the snapshot, each checked before it is cloned";
	mnts_live_table_index_devs(t);
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

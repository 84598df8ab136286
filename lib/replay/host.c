/* host.c - the host facts a replay plan needs (see host.h) */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include <libmount.h>

#include "lib/capture/capture.h"
#include "lib/core/log.h"
#include "lib/core/path.h"
#include "lib/core/split.h"
#include "lib/kernel/nsenum.h"
#include "lib/kernel/statmount.h"
#include "lib/replay/features.h"
#include "lib/replay/host.h"
#include "lib/replay/sbsource.h"

/* A place's key: the parent and the length mixed first (splitmix64's
 * finalizer), so that they cannot cancel out with the path's first bytes
 * as they did when XORed into the seed ((0, "a") and (2, "c") were one key).
 * Still only a hash: a walk that finds another place under a key says it
 * cannot tell (walk_places(), walk_tucked()). */
static uint64_t path_key(int parent, const char *path, size_t len)
{
	uint64_t h = ((uint64_t)(uint32_t)parent << 32 | (uint32_t)len) + 0x9E3779B97F4A7C15ULL;
	size_t i = 0;

	h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9ULL;
	h = (h ^ (h >> 27)) * 0x94D049BB133111EBULL;
	h ^= h >> 31;

	/* eight bytes a step: mountpoints along a deep chain are 500 bytes
	 * long, and a byte a step was half of working out reachability */
	for (; i + 8 <= len; i += 8) {
		uint64_t w;

		memcpy(&w, path + i, 8);
		h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
		h ^= h >> 29;
	}
	for (; i < len; i++)
		h = (h ^ (unsigned char)path[i]) * 1099511628211ULL;
	return h ^ (h >> 32);
}

struct reach_walk {
	struct mnts_live_table *t;
	int *parent_of;		      /* -1: the parent is not in the table */
	bool *stacked, *tucked, *ask; /* ask: another entry at its place */
	enum mnts_reach_state *route; /* the lookup gets to its mountpoint */
	const char **rel;	      /* the mountpoint below its parent's, or NULL */
	int *stack;		      /* route_of's walk up the parents, t->n at most */
	struct mnts_u64map by_place;  /* (parent, rel) -> the first entry there */
};

static void walk_init(struct reach_walk *w, struct mnts_live_table *t)
{
	*w = (struct reach_walk){.t = t};
	w->parent_of = xcalloc(t->n + 1, sizeof(*w->parent_of));
	w->stacked = xcalloc(t->n + 1, sizeof(*w->stacked));
	w->tucked = xcalloc(t->n + 1, sizeof(*w->tucked));
	w->ask = xcalloc(t->n + 1, sizeof(*w->ask));
	w->route = xcalloc(t->n + 1, sizeof(*w->route));
	w->rel = xcalloc(t->n + 1, sizeof(*w->rel));
	w->stack = xcalloc(t->n + 1, sizeof(*w->stack));
}

static void walk_done(struct reach_walk *w)
{
	free(w->parent_of);
	free(w->stacked);
	free(w->tucked);
	free(w->ask);
	free(w->route);
	free(w->rel);
	free(w->stack);
	mnts_u64map_free(&w->by_place);
}

/* Whether the lookup gets to mount i's mountpoint, and to that of each
 * ancestor not known yet.  Iterative: a chain of mounts stacked on one path
 * is as deep as fs.mount-max (100,000), too deep to recurse. */
static enum mnts_reach_state route_of(struct reach_walk *w, int i)
{
	size_t depth = 0;
	int x = i;

	/* up to the first mount whose answer is known, or the process root */
	while (w->route[x] == MNTS_REACH_UNKNOWN) {
		if (w->parent_of[x] < 0) { /* the process root: its parent is not in the table */
			/* an assumed table's is the root of the snapshot's
			 * subtree, which capture saw in sight (and which is
			 * checked as the others) */
			w->route[x] = streq(w->t->v[x].target, "/") || w->t->assumed
					  ? MNTS_REACH_YES
					  : MNTS_REACH_ASK;
			break;
		}
		w->route[x] = MNTS_REACH_ASK; /* for now: a cycle in the table ends here */
		w->stack[depth++] = x;
		x = w->parent_of[x];
	}
	/* then down again, each from its parent's answer */
	while (depth > 0) {
		int c = w->stack[--depth], p = w->parent_of[c];
		enum mnts_reach_state up = w->route[p];

		/* stacked on its parent, it is where the lookup of the parent's
		 * mountpoint goes; otherwise the parent must be the top of its stack */
		if (up == MNTS_REACH_YES && !(w->rel[c] && !*w->rel[c]) && w->stacked[p])
			up = MNTS_REACH_NO;
		w->route[c] = w->tucked[c] && up != MNTS_REACH_ASK ? MNTS_REACH_NO : up;
	}
	return w->route[i];
}

/* Each entry with a parent at its place, keyed by (parent, the mountpoint
 * below the parent's): along a deep chain the rest is a component, the
 * whole 500 bytes.  Two at one place, or two places under one key: statx
 * decides for both. */
static void walk_places(struct reach_walk *w)
{
	const struct mnts_live_table *t = w->t;

	for (size_t i = 0; i < t->n; i++) {
		int p = w->parent_of[i], other;
		const char *key_path = w->rel[i] ? w->rel[i] : t->v[i].target;
		uint64_t key;

		if (p < 0)
			continue;
		key = path_key(p, key_path, strlen(key_path));
		other = mnts_u64map_get(&w->by_place, key);
		if (other >= 0)
			w->ask[i] = w->ask[other] = true;
		else
			mnts_u64map_put(&w->by_place, key, (int)i);
	}
}

/* tucked: a sibling sits on a directory the mountpoint is below. */
static void walk_tucked(struct reach_walk *w)
{
	for (size_t i = 0; i < w->t->n; i++) {
		const char *rel = w->rel[i];
		int p = w->parent_of[i];

		for (const char *sl = rel ? strchr(rel, '/') : NULL; sl && !w->tucked[i];
		     sl = strchr(sl + 1, '/')) {
			size_t len = (size_t)(sl - rel);
			int s = mnts_u64map_get(&w->by_place, path_key(p, rel, len));

			if (s < 0)
				continue;
			if (w->parent_of[s] == p && w->rel[s] && !strncmp(w->rel[s], rel, len) &&
			    !w->rel[s][len])
				w->tucked[i] = true;
			else
				/* another place under this key: a sibling here,
				 * if any, is not in the map (the first of a key
				 * is), so whether it hides this one is unknown */
				w->ask[i] = true;
		}
	}
}

static void walk_route(struct reach_walk *w)
{
	for (size_t i = 0; i < w->t->n; i++) {
		enum mnts_reach_state r = route_of(w, (int)i);

		w->t->v[i].reach = w->ask[i] || r == MNTS_REACH_ASK	   ? MNTS_REACH_ASK
				   : r == MNTS_REACH_YES && !w->stacked[i] ? MNTS_REACH_YES
									   : MNTS_REACH_NO;
	}
}

/* Which live mounts a path lookup of their mountpoint ends on, from the
 * table: a statx per superblock walks the whole path, hundreds of mounts
 * for a deep chain.  The lookup gets to a mount's mountpoint when it gets
 * to its parent's and no sibling sits on a strict ancestor of the
 * mountpoint; it ends there unless something is stacked on the mount.
 * Siblings on one mountpoint, a cycle or a missing parent leave the answer
 * to statx. */
static void compute_reachability(struct mnts_live_table *t)
{
	struct reach_walk w;
	struct mnts_u64map by_id = {0};

	walk_init(&w, t);
	for (size_t i = 0; i < t->n; i++)
		mnts_u64map_put(&by_id, t->v[i].id, (int)i);
	for (size_t i = 0; i < t->n; i++) {
		int p = mnts_u64map_get(&by_id, t->v[i].parent_id);

		w.parent_of[i] = p == (int)i ? -1 : p;
		if (w.parent_of[i] < 0)
			continue;
		w.rel[i] = mnts_path_below(t->v[i].target, t->v[p].target);
		if (w.rel[i] && !*w.rel[i])
			w.stacked[p] = true;
	}
	mnts_u64map_free(&by_id);
	walk_places(&w);
	walk_tucked(&w);
	walk_route(&w);
	walk_done(&w);
}

static struct mnts_live_mount *live_push(struct mnts_live_table *t)
{
	struct mnts_live_mount *lm;

	if ((t->n & (t->n - 1)) == 0)
		t->v = xreallocarray(t->v, t->n ? 2 * t->n : 64, sizeof(*t->v));
	lm = &t->v[t->n++];
	*lm = (struct mnts_live_mount){0};
	return lm;
}

static int read_mountinfo(struct mnts_live_table *t, struct mnts_error *err)
{
	struct libmnt_table *tb = mnt_new_table_from_file("/proc/self/mountinfo");
	struct libmnt_iter *it;
	struct libmnt_fs *fs;

	if (!tb)
		return mnts_err(err, errno ? errno : EIO, "read '/proc/self/mountinfo'");
	it = mnt_new_iter(MNT_ITER_FORWARD);
	while (mnt_table_next_fs(tb, it, &fs) == 0) {
		struct mnts_live_mount *lm = live_push(t);
		const char *opt = mnt_fs_get_optional_fields(fs);
		dev_t dev = mnt_fs_get_devno(fs);

		lm->id = (uint64_t)mnt_fs_get_id(fs);
		lm->parent_id = (uint64_t)mnt_fs_get_parent_id(fs);
		lm->dev_major = major(dev);
		lm->dev_minor = minor(dev);
		lm->root = xstrdup(mnt_fs_get_root(fs) ? mnt_fs_get_root(fs) : "/");
		lm->target = xstrdup(mnt_fs_get_target(fs) ? mnt_fs_get_target(fs) : "/");
		lm->fstype = xstrdup(mnt_fs_get_fstype(fs) ? mnt_fs_get_fstype(fs) : "");
		lm->shared = opt && strstr(opt, "shared:") != NULL;
		lm->unbindable = opt && strstr(opt, "unbindable") != NULL;
	}
	mnt_free_iter(it);
	mnt_unref_table(tb);
	return 0;
}

/* Whether ctl (or NULL) was told to stop by another thread. */
static bool stopped(struct mnts_statmount_ctl *ctl)
{
	return ctl && __atomic_load_n(&ctl->stop, __ATOMIC_RELAXED);
}

/* The same table from listmount+statmount, shared by two CPUs, without the
 * options and sources mountinfo formats and libmount parses: at 50,000
 * mounts, reading mountinfo was a fifth of a replay of a deep layout.  The
 * ids are the old ones mountinfo and statx show.  Returns: 0, -ECANCELED
 * once *stop is set, or -errno when the kernel cannot list this namespace
 * from here (too old, a root below the namespace's): the caller reads
 * mountinfo. */
static int read_statmount(struct mnts_live_table *t, struct mnts_statmount_ctl *ctl)
{
	struct mnts_error ignored = {0}; /* only logged: mountinfo is read instead */
	struct mnts_u64map old_id = {0};
	struct mnts_ns *ns;
	int r;

	if (!mnts_statmount_supported())
		return -EOPNOTSUPP;
	/* the table's from the start: whatever happens, its owner frees it */
	t->pool = mnts_snapshot_new();
	ns = mnts_snapshot_add_ns(t->pool, "live");
	r = mnts_statmount_ns_basic(ns, 0, ctl, &ignored);
	if (r == -ECANCELED || stopped(ctl))
		return -ECANCELED;
	if (r < 0) {
		mnts_debug(1, "live mounts by statmount: %s; reading mountinfo", ignored.msg);
		return r;
	}
	for (size_t i = 0; i < ns->n_mounts; i++)
		mnts_u64map_put(&old_id, ns->mounts[i].id, (int)i);
	for (size_t i = 0; i < ns->n_mounts; i++) {
		const struct mnts_mount *m = &ns->mounts[i];
		struct mnts_live_mount *lm = live_push(t);
		int p = m->parent_id ? mnts_u64map_get(&old_id, m->parent_id) : -1;

		lm->id = m->mnt_id;
		lm->parent_id = p >= 0 ? ns->mounts[p].mnt_id : 0;
		lm->dev_major = m->dev_major;
		lm->dev_minor = m->dev_minor;
		/* the snapshot's strings, not copies: it stays with the table */
		lm->root = m->root;
		lm->target = m->mountpoint;
		lm->fstype = m->fstype;
		lm->source = m->source;
		lm->shared = m->shared_id != 0;
		lm->unbindable = m->unbindable;
	}
	mnts_u64map_free(&old_id);
	return 0;
}

static const char *const reach_names[] = {"unknown", "yes", "no", "ask statx"};

void mnts_live_table_index_devs(struct mnts_live_table *t)
{
	t->next_same_dev = xcalloc(t->n + 1, sizeof(*t->next_same_dev));
	mnts_u64map_reserve(&t->by_dev, t->n);
	/* built backwards so that each chain is in mountinfo order */
	for (size_t i = t->n; i-- > 0;) {
		uint64_t dev = (uint64_t)t->v[i].dev_major << 32 | t->v[i].dev_minor;

		t->next_same_dev[i] = mnts_u64map_get(&t->by_dev, dev);
		mnts_u64map_put(&t->by_dev, dev, (int)i);
	}
}

void mnts_live_table_index(struct mnts_live_table *t)
{
	mnts_live_table_index_devs(t);
	compute_reachability(t);
}

void mnts_live_table_index_linked(struct mnts_live_table *t, const int *parent_of)
{
	struct reach_walk w;
	bool deeper = false;

	mnts_live_table_index_devs(t);
	walk_init(&w, t);
	for (size_t i = 0; i < t->n; i++) {
		int p = parent_of[i];
		const char *target = t->v[i].target;
		size_t plen;

		w.parent_of[i] = p;
		if (p < 0)
			continue;
		/* at or below the parent's: the snapshot is linked */
		plen = strlen(t->v[p].target);
		w.rel[i] = plen == 1 ? target + 1 : target + plen + (target[plen] == '/');
		if (!*w.rel[i])
			w.stacked[p] = true;
		else if (strchr(w.rel[i], '/'))
			deeper = true;
	}
	/* no two siblings share a mountpoint in a linked snapshot: places
	 * are needed only to find mounts tucked below a sibling's */
	if (deeper) {
		walk_places(&w);
		walk_tucked(&w);
	}
	walk_route(&w);
	walk_done(&w);
}

/* -vvv: the table */
static void debug_table(const struct mnts_live_table *t)
{
	mnts_debug(3, "live mounts (%s): %zu", t->read_by, t->n);
	for (size_t i = 0; i < t->n; i++) {
		const struct mnts_live_mount *lm = &t->v[i];

		mnts_debug(3,
			   "live mount %" PRIu64 " parent %" PRIu64
			   " dev %u:%u root %s at %s %s%s%s "
			   "reachable: %s",
			   lm->id, lm->parent_id, lm->dev_major, lm->dev_minor, lm->root,
			   lm->target, lm->fstype, lm->shared ? " shared" : "",
			   lm->unbindable ? " unbindable" : "", reach_names[lm->reach]);
	}
}

/* Every live mount of the caller's namespace.  Returns: 0, or -ECANCELED
 * when *stop was set meanwhile (what was read is left to free), or -errno. */
static int read_live_table(struct mnts_live_table *t, struct mnts_statmount_ctl *ctl,
			   struct mnts_error *err)
{
	/* for tests: the fallback, to compare the two (see the man page) */
	const char *force = getenv("MNTSNAP_LIVE_TABLE");
	bool by_statmount = !(force && streq(force, "mountinfo"));
	int r = by_statmount ? read_statmount(t, ctl) : -1;

	if (r == -ECANCELED)
		return r;
	if (r < 0) {
		by_statmount = false;
		mnts_live_table_done(t);
		r = read_mountinfo(t, err);
		if (r < 0)
			return r;
	}
	if (stopped(ctl))
		return -ECANCELED;
	mnts_live_table_index(t);
	t->read_by = by_statmount ? "statmount" : "mountinfo";
	return 0;
}

/* The caller's live table read on a helper thread from the start of a
 * replay: it needs nothing of the snapshot, and at 50,000 mounts reading it
 * took as long as reading the snapshot, one after the other while the
 * second CPU sat idle once the seed namespace was made. */
struct mnts_live_prefetch {
	struct mnts_helper thread;
	/* stop: not wanted any more, the thread gives up; and its progress */
	struct mnts_statmount_ctl ctl;
	struct timespec started;
	bool finished; /* (atomic) */
	bool taken;
	int r;
	struct mnts_live_table table;
	struct mnts_error err;
};

static void prefetch_live(void *data)
{
	struct mnts_live_prefetch *p = data;

	p->r = read_live_table(&p->table, &p->ctl, &p->err);
	__atomic_store_n(&p->finished, true, __ATOMIC_RELEASE);
}

struct mnts_live_prefetch *mnts_live_prefetch_start(const char *snapshot_path)
{
	struct mnts_live_prefetch *p;

	if (!mnts_split_worth_it() || mnts_live_byid_likely(snapshot_path))
		return NULL;
	p = xcalloc(1, sizeof(*p));
	clock_gettime(CLOCK_MONOTONIC, &p->started);
	mnts_helper_start(&p->thread, prefetch_live, p);
	return p;
}

/* How many more milliseconds the table will take, from the thread's pace so
 * far: its statmount calls, and a fifth as long again to index them (a
 * plain guess when it has read nothing yet); 0 once read. */
static double prefetch_wait_ms(struct mnts_live_prefetch *p)
{
	size_t done, total;
	struct timespec now;
	double elapsed;

	if (!p || p->taken)
		return HUGE_VAL;
	if (__atomic_load_n(&p->finished, __ATOMIC_ACQUIRE))
		return 0;
	done = __atomic_load_n(&p->ctl.done, __ATOMIC_RELAXED);
	total = __atomic_load_n(&p->ctl.total, __ATOMIC_RELAXED);
	if (!done || !total)
		return HUGE_VAL;
	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (double)(now.tv_sec - p->started.tv_sec) * 1e3 +
		  (double)(now.tv_nsec - p->started.tv_nsec) / 1e6;
	if (done > total)
		done = total;
	return elapsed * (double)(total - done) / (double)done +
	       0.2 * elapsed * (double)total / (double)done;
}

/* Moves the table read into *t, or returns the error met; a second call
 * reads the table anew (the first took it). */
static int prefetch_take(struct mnts_live_prefetch *p, struct mnts_live_table *t,
			 struct mnts_error *err)
{
	mnts_helper_join(&p->thread);
	if (p->taken)
		return read_live_table(t, NULL, err);
	p->taken = true;
	if (p->r < 0) {
		*err = p->err;
		return p->r;
	}
	*t = p->table;
	p->table = (struct mnts_live_table){0};
	return 0;
}

/* The table is not wanted: the thread stops at its next batch of mounts
 * rather than take a CPU from the planner, and is waited for (a thread
 * shares our fs_struct, and setns() into a mount namespace refuses a
 * process with another).  What it read goes to *dropped, freed with the
 * host facts while the executor runs; a later take reads the table anew. */
static void prefetch_drop(struct mnts_live_prefetch *p, struct mnts_live_table *dropped)
{
	if (!p)
		return;
	__atomic_store_n(&p->ctl.stop, true, __ATOMIC_RELAXED);
	mnts_helper_join(&p->thread);
	*dropped = p->table;
	p->table = (struct mnts_live_table){0};
	p->taken = true;
}

void mnts_live_prefetch_free(struct mnts_live_prefetch *p)
{
	if (!p)
		return;
	mnts_helper_join(&p->thread);
	mnts_live_table_done(&p->table);
	free(p);
}

void mnts_live_table_done(struct mnts_live_table *t)
{
	for (size_t i = 0; i < t->n && !t->pool && !t->assumed; i++) {
		free(t->v[i].root);
		free(t->v[i].target);
		free(t->v[i].fstype);
		free(t->v[i].source);
	}
	mnts_snapshot_free(t->pool);
	free(t->hidden);
	free(t->v);
	free(t->next_same_dev);
	mnts_u64map_free(&t->by_dev);
	*t = (struct mnts_live_table){0};
}

void mnts_live_hide(struct mnts_live_table *t, const struct mnts_live_mount *lm)
{
	if ((t->n_hidden & (t->n_hidden - 1)) == 0)
		t->hidden =
		    xreallocarray(t->hidden, t->n_hidden ? 2 * t->n_hidden : 1, sizeof(*t->hidden));
	t->hidden[t->n_hidden++] = lm;
}

const struct mnts_live_mount *mnts_live_find(const struct mnts_live_table *t, uint32_t dev_major,
					     uint32_t dev_minor, const char *fstype,
					     const char *root)
{
	const struct mnts_live_mount *best = NULL;
	int i = mnts_u64map_get(&t->by_dev, (uint64_t)dev_major << 32 | dev_minor);

	for (; i >= 0; i = t->next_same_dev[i]) {
		const struct mnts_live_mount *lm = &t->v[i];

		if (!streq(lm->fstype, fstype) || lm->unbindable ||
		    !mnts_path_at_or_below(root, lm->root))
			continue;
		if (best && strlen(best->root) <= strlen(lm->root))
			continue;
		if (lm->reach != MNTS_REACH_YES)
			continue;
		best = lm;
	}
	return best;
}

const struct mnts_live_mount *mnts_live_find_type(const struct mnts_live_table *t,
						  const char *fstype, const char *root)
{
	const struct mnts_live_mount *best = NULL;

	for (size_t i = 0; i < t->n; i++) {
		const struct mnts_live_mount *lm = &t->v[i];

		if (!streq(lm->fstype, fstype) || lm->unbindable || lm->reach != MNTS_REACH_YES ||
		    !mnts_path_at_or_below(root, lm->root))
			continue;
		if (!best || strlen(lm->root) < strlen(best->root))
			best = lm;
	}
	return best;
}

bool mnts_live_reachable(const struct mnts_live_mount *lm)
{
	struct statx stx;

	return statx(AT_FDCWD, lm->target, AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) == 0 &&
	       (stx.stx_mask & STATX_MNT_ID) && stx.stx_mnt_id == lm->id;
}

/* The live mounts the table cannot tell about (siblings on one mountpoint,
 * a cycle, a process root that is not "/") are looked up with statx, each a
 * walk of the whole path: only those of the snapshot's superblocks, the
 * only ones mnts_live_find() is asked about. */
static void ask_statx(struct mnts_live_table *t, const struct mnts_snapshot *snap)
{
	struct mnts_u64map devs = {0};
	bool any = false;

	for (size_t i = 0; i < t->n && !any; i++)
		any = t->v[i].reach == MNTS_REACH_ASK && !t->v[i].unbindable;
	if (!any)
		return;
	for (size_t n = 0; n < snap->n_ns; n++)
		for (size_t i = 0; i < snap->nss[n].n_mounts; i++) {
			const struct mnts_mount *m = &snap->nss[n].mounts[i];

			if (!m->nsfs_type)
				mnts_u64map_put(&devs, (uint64_t)m->dev_major << 32 | m->dev_minor,
						0);
		}
	for (size_t i = 0; i < t->n; i++) {
		struct mnts_live_mount *lm = &t->v[i];

		if (lm->reach == MNTS_REACH_ASK && !lm->unbindable &&
		    mnts_u64map_get(&devs, (uint64_t)lm->dev_major << 32 | lm->dev_minor) >= 0)
			lm->reach = mnts_live_reachable(lm) ? MNTS_REACH_YES : MNTS_REACH_NO;
	}
	mnts_u64map_free(&devs);
}

/* Every mount namespace, captured: kernels without statmount by namespace
 * id (before 6.15) only. */
static int capture_all(struct mnts_live_groups *lg, struct mnts_error *err)
{
	struct mnts_capture_opts opts = {.backend = MNTS_BACKEND_AUTO};
	int r;

	r = mnts_capture(&opts, &lg->all, err);
	if (r < 0)
		return mnts_err_prefix(err, "capture the live peer groups");
	return 0;
}

/* What the look-up of the wanted mounts keeps of a namespace. */
struct want_scan {
	const struct mnts_live_wants *w;
	struct mnts_u64map groups;  /* wanted master groups */
	struct mnts_u64map sb_devs; /* devices of superblocks wanted elsewhere */
	bool *found;		    /* per want */
	size_t n_found;
	bool self; /* the namespace is the caller's */
};

static uint64_t dev_key(uint32_t major, uint32_t minor)
{
	return (uint64_t)major << 32 | minor;
}

/* From a mount's small record: the mounts that might be wanted. */
static bool keep_wanted(void *data, const struct mnts_mount *m)
{
	const struct want_scan *ws = data;

	if (m->unbindable)
		return false;
	return (m->shared_id && mnts_u64map_get(&ws->groups, m->shared_id) >= 0) ||
	       (!ws->self &&
		mnts_u64map_get(&ws->sb_devs, dev_key(m->dev_major, m->dev_minor)) >= 0);
}

/* Marks the wants the mounts of ns (just read) satisfy as mnts_live_group_member()
 * and mnts_live_sb_elsewhere() will ask, and keeps only the mounts that might be
 * picked: a deleted root is "/x//deleted" from statmount. */
static void mark_found(struct want_scan *ws, struct mnts_ns *ns)
{
	static const char deleted[] = "//deleted";
	_cleanup_free_ bool *keep = xcalloc(ns->n_mounts + 1, sizeof(bool));

	for (size_t i = 0; i < ns->n_mounts; i++) {
		struct mnts_mount *m = &ns->mounts[i];
		size_t len = strlen(m->root);

		m->deleted = len >= sizeof(deleted) - 1 &&
			     streq(m->root + len - (sizeof(deleted) - 1), deleted);
		for (size_t k = 0; k < ws->w->n && !m->deleted; k++) {
			const struct mnts_live_want *want = &ws->w->v[k];

			if ((want->group_id ? m->shared_id != want->group_id : ws->self) ||
			    m->dev_major != want->dev_major || m->dev_minor != want->dev_minor ||
			    !streq(m->fstype, want->fstype) ||
			    !mnts_path_at_or_below(want->root, m->root))
				continue;
			keep[i] = true;
			if (!ws->found[k]) {
				ws->found[k] = true;
				ws->n_found++;
			}
		}
	}
	mnts_ns_remove_mounts(ns, keep);
}

/* The mounts of one namespace that keep_wanted() keeps, into a namespace of
 * lg->all: listed by id, or from inside it when the kernel cannot list it
 * by id (statmount.h).  Returns: the mounts looked at, or -errno. */
static long read_wanted(struct mnts_live_groups *lg, struct want_scan *ws,
			const struct mnts_nsref *ref, struct mnts_error *err)
{
	struct mnts_ns *ns = mnts_snapshot_add_ns(lg->all, "live");
	long r;

	ns->mnt_ns_id = ref->ns_id;
	r = mnts_statmount_ns_select(ns, ws->self ? 0 : ref->ns_id, keep_wanted, ws, err);
	if (r == -ENOENT && ref->fd >= 0) {
		bool *keep;

		r = mnts_statmount_ns_setns(ns, ref->fd, err);
		if (r < 0)
			return r;
		keep = xcalloc(ns->n_mounts + 1, sizeof(bool));
		for (size_t i = 0; i < ns->n_mounts; i++)
			keep[i] = keep_wanted(ws, &ns->mounts[i]);
		r = (long)ns->n_mounts;
		mnts_ns_remove_mounts(ns, keep);
		free(keep);
	}
	if (r >= 0)
		mark_found(ws, ns);
	return r;
}

/* The live mounts the wants name, from the mount namespaces of this host:
 * the caller's first (for master groups), then the target's, then the
 * others by id, each asked only for the few fields that tell whether a
 * mount is wanted, and only until every want is found.  Namespaces that
 * vanish or cannot be listed meanwhile are skipped. */
static int read_live_groups(struct mnts_live_groups *lg, const struct mnts_live_wants *w,
			    uint64_t first_ns_id, struct mnts_error *err)
{
	struct want_scan ws = {.w = w};
	struct mnts_nslist list = {0};
	size_t n_read = 0, n_mounts = 0;
	bool want_groups = false;
	int r;

	lg->self_ns_id = mnts_nsenum_self_id();
	if (!lg->self_ns_id || !mnts_statmount_supported())
		return capture_all(lg, err);
	r = mnts_nslist_all(&list, NULL, err);
	if (r < 0)
		return mnts_err_prefix(err, "find the live peer groups");
	ws.found = xcalloc(w->n + 1, sizeof(bool));
	for (size_t k = 0; k < w->n; k++) {
		if (w->v[k].group_id) {
			mnts_u64map_put(&ws.groups, w->v[k].group_id, 0);
			want_groups = true;
		} else {
			mnts_u64map_put(&ws.sb_devs, dev_key(w->v[k].dev_major, w->v[k].dev_minor),
					0);
		}
	}
	lg->all = mnts_snapshot_new();
	/* pass 0: the caller's namespace (only masters may be there); pass 1:
	 * the target's; pass 2: the others */
	for (int pass = 0; pass < 3 && ws.n_found < w->n; pass++) {
		for (size_t i = 0; i < list.n && ws.n_found < w->n; i++) {
			const struct mnts_nsref *ref = &list.v[i];
			bool self = ref->ns_id == lg->self_ns_id;
			int want_pass = self ? 0 : ref->ns_id == first_ns_id ? 1 : 2;
			struct mnts_error ignored = {0};
			long got;

			if (!ref->ns_id || want_pass != pass || (self && !want_groups))
				continue;
			ws.self = self;
			got = read_wanted(lg, &ws, ref, &ignored);
			if (got < 0) {
				mnts_debug(2, "live groups: mount namespace %" PRIu64 ": %s",
					   ref->ns_id, ignored.msg);
				continue;
			}
			n_read++;
			n_mounts += (size_t)got;
		}
	}
	/* mnts_live_group_member() names a mount's namespace */
	for (size_t n = 0; n < lg->all->n_ns; n++)
		for (size_t i = 0; i < lg->all->nss[n].n_mounts; i++)
			lg->all->nss[n].mounts[i].ns = &lg->all->nss[n];
	mnts_debug(1,
		   "live groups: %zu of %zu wanted found in %zu of %zu mount namespaces "
		   "(%zu mounts looked at)",
		   ws.n_found, w->n, n_read, list.n, n_mounts);
	mnts_nslist_free(&list);
	mnts_u64map_free(&ws.groups);
	mnts_u64map_free(&ws.sb_devs);
	free(ws.found);
	return 0;
}

/* Whether filesystem type `type` (the part before a ".subtype") is
 * registered with the kernel: a type that is not has no mount anywhere. */
static bool fs_registered(const char *fstype)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/filesystems", "re");
	size_t len = strcspn(fstype, ".");
	char line[256];

	if (!f)
		return true; /* cannot tell: look */
	while (fgets(line, sizeof(line), f)) {
		char *name = strrchr(line, '\t');

		name = name ? name + 1 : line;
		name[strcspn(name, "\n")] = '\0';
		if (strlen(name) == len && !strncmp(name, fstype, len))
			return true;
	}
	return false;
}

/* Drops the wants no namespace can satisfy, known without reading any
 * (each statmount waits for the kernel's namespace lock, which another
 * process building or tearing down a big namespace holds for seconds): a
 * type the kernel does not know, or another superblock of a type that has
 * only one machine-wide (get_tree_single, devtmpfs: not cgroup, whose v1
 * hierarchies and per-cgroup-namespace v2 roots are superblocks of their
 * own), when the caller's namespace shows that one. */
static void drop_impossible(struct mnts_live_wants *w, const struct mnts_live_table *live)
{
	size_t k = 0;

	for (size_t i = 0; i < w->n; i++) {
		struct mnts_live_want *want = &w->v[i];
		const struct mnts_fs_feature *feat = mnts_fs_feature(want->fstype);
		bool other_sb = false;

		bool single = feat->reason && (strstr(feat->reason, "get_tree_single") ||
					       streq(want->fstype, "devtmpfs"));

		if (!want->group_id && single)
			for (size_t j = 0; j < live->n && !other_sb; j++)
				other_sb = streq(live->v[j].fstype, want->fstype) &&
					   (live->v[j].dev_major != want->dev_major ||
					    live->v[j].dev_minor != want->dev_minor);
		if (other_sb || !fs_registered(want->fstype)) {
			mnts_debug(1, "live mounts of %s %u:%u: none can exist on this host",
				   want->fstype, want->dev_major, want->dev_minor);
			free(want->root);
			continue;
		}
		w->v[k++] = *want;
	}
	w->n = k;
}

/* fs.mount-max, or 0 when it cannot be read. */
static unsigned long read_mount_max(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/sys/fs/mount-max", "re");
	unsigned long max = 0;

	if (!f || fscanf(f, "%lu", &max) != 1)
		return 0;
	return max;
}

struct mnts_host_ids {
	struct mnts_helper thread;
	const struct mnts_snapshot *snap;
	const struct mnts_plan_opts *opts;
	struct mnts_live_prefetch *live;
	struct mnts_live_table table;
	int r;
};

static void read_ids(void *data)
{
	struct mnts_host_ids *ids = data;

	ids->r =
	    mnts_live_read_by_ids(&ids->table, ids->snap, ids->opts, prefetch_wait_ms(ids->live));
}

struct mnts_host_ids *mnts_host_ids_start(const struct mnts_snapshot *snap,
					  const struct mnts_plan_opts *opts,
					  struct mnts_live_prefetch *live)
{
	struct mnts_host_ids *ids;

	if (!mnts_split_worth_it())
		return NULL;
	ids = xcalloc(1, sizeof(*ids));
	*ids = (struct mnts_host_ids){.snap = snap, .opts = opts, .live = live};
	mnts_helper_start(&ids->thread, read_ids, ids);
	return ids;
}

/* The result of ids into *t, and ids freed.  Returns: as
 * mnts_live_read_by_ids(). */
static int ids_take(struct mnts_host_ids *ids, struct mnts_live_table *t)
{
	int r;

	mnts_helper_join(&ids->thread);
	r = ids->r;
	*t = ids->table;
	free(ids);
	return r;
}

void mnts_host_ids_free(struct mnts_host_ids *ids)
{
	struct mnts_live_table t;

	if (!ids)
		return;
	ids_take(ids, &t);
	mnts_live_table_done(&t);
}

int mnts_host_gather(struct mnts_host *h, const struct mnts_snapshot *snap,
		     const struct mnts_plan_opts *opts, struct mnts_live_prefetch *live,
		     struct mnts_host_ids *ids, struct mnts_error *err)
{
	struct mnts_live_wants w = {0};
	size_t n_masters;
	int r;

	*h = (struct mnts_host){0};
	r = ids ? ids_take(ids, &h->live)
		: mnts_live_read_by_ids(&h->live, snap, opts, prefetch_wait_ms(live));
	if (r == 0)
		prefetch_drop(live, &h->dropped);
	else
		r = live ? prefetch_take(live, &h->live, err)
			 : read_live_table(&h->live, NULL, err);
	if (r < 0) {
		mnts_host_done(h);
		return r;
	}
	debug_table(&h->live);
	ask_statx(&h->live, snap);
	mnts_host_gather_ident(h, snap, opts);
	mnts_plan_want_masters(snap, opts, &w);
	n_masters = w.n;
	/* the plan is valid with or without them (slaves only lose their
	 * master): a dry run does not read other namespaces for them */
	if (opts->dry_run && n_masters) {
		mnts_live_wants_done(&w);
		h->groups.masters_unread = true;
		n_masters = 0;
	}
	/* device numbers of another boot name nothing in any namespace */
	if (!h->other_boot) {
		mnts_plan_want_elsewhere(snap, opts, &h->live, &w);
		drop_impossible(&w, &h->live);
	}
	if (w.n) {
		struct mnts_error lerr = {0};

		/* without them, such slaves are replayed without their master
		 * (the planner warns for each), and such superblocks are
		 * refused */
		if (read_live_groups(&h->groups, &w, opts->target_ns_id, &lerr) < 0) {
			if (n_masters)
				mnts_warn("%s", lerr.msg);
			else
				mnts_debug(1, "%s", lerr.msg);
		}
	}
	mnts_live_wants_done(&w);
	h->mount_max = read_mount_max();
	return 0;
}

void mnts_host_done(struct mnts_host *h)
{
	mnts_live_table_done(&h->live);
	mnts_live_table_done(&h->dropped);
	mnts_snapshot_free(h->groups.all);
	mnts_host_ident_done(h);
	*h = (struct mnts_host){0};
}

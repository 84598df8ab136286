/* view.c - one side's derived view for the comparison (see internal.h):
 * global indexes, layers, the canonical order, and the partitions into peer
 * groups and superblocks. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compare/internal.h"
#include "lib/core/radixsort.h"

/* The canonical order's key, copied out of the mounts: sorting 50,000 keys
 * that point into the mounts cost a cache miss per comparison. */
struct canonical_key {
	const char *mountpoint;
	uint32_t layer;
	size_t g;
};

/* The 8 bytes of a path from byte depth on (it has at least depth bytes),
 * big-endian, zero-padded: ordered as strcmp() orders the rest of the paths
 * as far as those bytes go. */
static uint64_t path_chunk(const char *p, size_t depth)
{
	uint64_t key = 0;
	size_t i = 0;

	p += depth;
	for (; i < 8 && p[i]; i++)
		key = key << 8 | (unsigned char)p[i];
	/* a path that ends at depth has no bytes left: 0 (a shift by 64
	 * is undefined) */
	return i == 8 ? key : i == 0 ? 0 : key << (8 * (8 - i));
}

/* Keys of one namespace whose paths agree on their first *depth bytes. */
static int cmp_from_depth(const void *x, const void *y, void *depth)
{
	const struct canonical_key *a = x, *b = y;
	int c =
	    strcmp(a->mountpoint + *(const size_t *)depth, b->mountpoint + *(const size_t *)depth);

	if (c)
		return c;
	if (a->layer != b->layer)
		return a->layer < b->layer ? -1 : 1;
	return a->g < b->g ? -1 : a->g > b->g;
}

/* a run this short is sorted by comparison: a radix pass costs more */
#define RADIX_MIN 32

struct sort_task {
	size_t lo, hi, depth;
};

/* Sorts v[0, n), one namespace's keys, into the canonical order: an MSD
 * radix sort on 8 bytes of path at a time (mnts_radix_sort() per run), the
 * rest by comparison from the bytes a run shares on.  A comparison sort of
 * 50,000 absolute paths (a --subtree capture: every one starts with the same
 * directories) walked their shared bytes in every strcmp(), and was most of
 * building a view.  Bytes every path of a run shares are stepped over
 * without sorting; a run that a radix pass barely splits (paths stacked one
 * below the other, a deep chain: each 8 bytes end a few of them) is sorted
 * by comparison, or each chain of 256 took 64 radix passes. */
static void sort_paths(struct canonical_key *v, size_t n, struct mnts_keyed *k,
		       struct canonical_key *tmp)
{
	_cleanup_free_ struct sort_task *stack = NULL;
	size_t top = 0, cap = 0;

	if (n < 2)
		return;
	stack = xreallocarray(NULL, cap = 64, sizeof(*stack));
	stack[top++] = (struct sort_task){0, n, 0};
	while (top > 0) {
		struct sort_task t = stack[--top];
		size_t len = t.hi - t.lo;
		bool same = true;

		if (len <= RADIX_MIN) {
			qsort_r(v + t.lo, len, sizeof(*v), cmp_from_depth, &t.depth);
			continue;
		}
		for (size_t i = t.lo; i < t.hi; i++) {
			k[i] = (struct mnts_keyed){path_chunk(v[i].mountpoint, t.depth), i};
			same = same && k[i].key == k[t.lo].key;
		}
		/* 8 bytes every path has (none ends in them): the next 8 */
		if (same && strnlen(v[t.lo].mountpoint + t.depth, 8) == 8) {
			stack[top++] = (struct sort_task){t.lo, t.hi, t.depth + 8};
			continue;
		}
		mnts_radix_sort(k + t.lo, len);
		for (size_t i = t.lo; i < t.hi; i++)
			tmp[i] = v[k[i].idx];
		memcpy(v + t.lo, tmp + t.lo, len * sizeof(*v));
		for (size_t i = t.lo, j; i < t.hi; i = j) {
			size_t depth = t.depth + 8;

			for (j = i + 1; j < t.hi && k[j].key == k[i].key; j++)
				;
			if (j - i < 2)
				continue;
			/* the paths end within these 8 bytes: all the same path,
			 * ordered by layer (and then index) alone */
			if (strnlen(v[i].mountpoint + t.depth, 8) < 8)
				depth = strlen(v[i].mountpoint);
			if (depth != t.depth + 8 || j - i > len - len / 8) {
				qsort_r(v + i, j - i, sizeof(*v), cmp_from_depth, &depth);
				continue;
			}
			if (top == cap)
				stack = xreallocarray(stack, cap *= 2, sizeof(*stack));
			stack[top++] = (struct sort_task){i, j, depth};
		}
	}
}

/* The canonical order: by namespace, path (strcmp), layer, index.  keys[]
 * is in namespace order (ns_off). */
static void sort_canonical(struct view *s, struct canonical_key *keys, size_t *order)
{
	_cleanup_free_ struct mnts_keyed *k = xcalloc(s->n + 1, sizeof(*k));
	_cleanup_free_ struct canonical_key *tmp = xcalloc(s->n + 1, sizeof(*tmp));

	for (size_t ns = 0; ns < s->snap->n_ns; ns++) {
		size_t off = s->ns_off[ns];

		sort_paths(keys + off, s->snap->nss[ns].n_mounts, k + off, tmp + off);
	}
	for (size_t i = 0; i < s->n; i++)
		order[i] = keys[i].g;
}

/* key_of tells whether a mount is in a class, and its class's key. */
static void partition_build(struct view *s, struct partition *p,
			    bool (*key_of)(const struct mnts_mount *, uint64_t *))
{
	_cleanup_free_ struct mnts_keyed *k = xcalloc(s->n + 1, sizeof(*k));
	size_t n = 0;

	p->cls = xcalloc(s->n, sizeof(*p->cls));
	p->keys = xcalloc(s->n, sizeof(*p->keys));
	p->first = xcalloc(s->n, sizeof(*p->first));
	p->second = xcalloc(s->n, sizeof(*p->second));
	/* in canonical order, so that the stable sort by key leaves each
	 * class's members in canonical order */
	for (size_t r = 0; r < s->n; r++) {
		size_t i = s->by_rank[r];
		uint64_t key;

		p->cls[i] = NONE;
		if (key_of(s->mnt[i], &key))
			k[n++] = (struct mnts_keyed){key, i};
	}
	mnts_radix_sort(k, n);
	p->n_classes = 0;
	for (size_t i = 0; i < n; i++) {
		if (i == 0 || k[i].key != k[i - 1].key) {
			p->keys[p->n_classes] = k[i].key;
			p->first[p->n_classes] = k[i].idx;
			p->second[p->n_classes] = NONE;
			p->n_classes++;
		} else if (p->second[p->n_classes - 1] == NONE) {
			p->second[p->n_classes - 1] = k[i].idx;
		}
		p->cls[k[i].idx] = p->n_classes - 1;
	}
}

size_t mnts_cmp_partition_find(const struct partition *p, uint64_t key)
{
	size_t lo = 0, hi = p->n_classes;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->keys[mid] == key)
			return mid;
		if (p->keys[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NONE;
}

static void partition_done(struct partition *p)
{
	free(p->cls);
	free(p->keys);
	free(p->first);
	free(p->second);
}

/* Group 0 is "not shared": no class. */
static bool key_shared(const struct mnts_mount *m, uint64_t *ret)
{
	*ret = m->shared_id;
	return m->shared_id != 0;
}

/* Every mount is on a superblock, whatever its dev: the key uses all 64
 * bits (4294967295:4294967295 included), so nothing is left as "no key". */
static bool key_dev(const struct mnts_mount *m, uint64_t *ret)
{
	*ret = ((uint64_t)m->dev_major << 32) | m->dev_minor;
	return true;
}

/* True when s's canonical order is like's, without sorting: the same
 * namespaces by index, each with as many mounts, and mount for mount the
 * same mountpoint and layer (the order is a function of those and the
 * index alone).  A replayed copy, captured in the order its mounts were
 * made, is read so; the test costs a string comparison per mount where the
 * sort costs a fifth of verifying it. */
static bool orders_alike(const struct view *s, const struct view *like)
{
	if (s->snap->n_ns != like->snap->n_ns || s->n != like->n)
		return false;
	for (size_t i = 0; i < s->snap->n_ns; i++)
		if (s->ns_off[i] != like->ns_off[i])
			return false;
	for (size_t g = 0; g < s->n; g++)
		if (s->layer[g] != like->layer[g] ||
		    !streq(s->mnt[g]->mountpoint, like->mnt[g]->mountpoint))
			return false;
	return true;
}

/* like: a view whose order to take when it is provably s's (orders_alike),
 * or NULL. */
static void view_init(struct view *s, const struct mnts_snapshot *snap, const struct view *like)
{
	size_t *order;
	_cleanup_free_ struct canonical_key *keys = NULL;
	_cleanup_free_ const struct mnts_mount **stack = NULL;
	size_t g = 0;

	s->snap = snap;
	s->ns_off = xcalloc(snap->n_ns, sizeof(*s->ns_off));
	s->ns_partner = xcalloc(snap->n_ns, sizeof(*s->ns_partner));
	s->n = 0;
	for (size_t i = 0; i < snap->n_ns; i++) {
		s->ns_off[i] = s->n;
		s->ns_partner[i] = NONE;
		s->n += snap->nss[i].n_mounts;
	}
	s->mnt = xcalloc(s->n, sizeof(*s->mnt));
	s->rank = xcalloc(s->n, sizeof(*s->rank));
	s->layer = xcalloc(s->n, sizeof(*s->layer));
	s->scope = xcalloc(s->n, sizeof(*s->scope));
	s->outside = xcalloc(s->n, sizeof(*s->outside));
	s->partner = xcalloc(s->n, sizeof(*s->partner));
	for (size_t i = 0; i < snap->n_ns; i++)
		for (size_t j = 0; j < snap->nss[i].n_mounts; j++) {
			s->mnt[g] = &snap->nss[i].mounts[j];
			s->partner[g] = NONE;
			g++;
		}

	/* layers top-down: a parent's layer is known before its children's */
	stack = xcalloc(s->n ? s->n : 1, sizeof(*stack));
	for (size_t i = 0; i < snap->n_ns; i++) {
		size_t top = 0;

		if (!snap->nss[i].root)
			continue;
		stack[top++] = snap->nss[i].root;
		while (top > 0) {
			const struct mnts_mount *m = stack[--top];
			const struct mnts_mount *p = m->parent;

			s->layer[gidx(s, m)] =
			    p && streq(p->mountpoint, m->mountpoint) ? s->layer[gidx(s, p)] + 1 : 1;
			for (size_t k = 0; k < m->n_children; k++)
				stack[top++] = m->children[k];
		}
	}

	order = xcalloc(s->n ? s->n : 1, sizeof(*order));
	s->alike = like && orders_alike(s, like);
	if (s->alike) {
		memcpy(order, like->by_rank, s->n * sizeof(*order));
	} else {
		keys = xcalloc(s->n ? s->n : 1, sizeof(*keys));
		for (size_t i = 0; i < s->n; i++)
			keys[i] = (struct canonical_key){s->mnt[i]->mountpoint, s->layer[i], i};
		sort_canonical(s, keys, order);
	}
	for (size_t i = 0; i < s->n; i++)
		s->rank[order[i]] = i;
	s->by_rank = order;

	partition_build(s, &s->groups, key_shared);
	partition_build(s, &s->sbs, key_dev);
}

struct view_job {
	struct view *s;
	const struct mnts_snapshot *snap;
};

static void *view_init_thread(void *data)
{
	struct view_job *job = data;

	view_init(job->s, job->snap, NULL);
	return NULL;
}

/* The two sides are independent and their sorts are most of a large
 * comparison: B's is built on a second thread. */
void mnts_cmp_views_init(struct view *sa, const struct mnts_snapshot *a, struct view *sb,
			 const struct mnts_snapshot *b)
{
	struct view_job job = {sb, b};
	pthread_t thread;
	bool threaded = pthread_create(&thread, NULL, view_init_thread, &job) == 0;

	view_init(sa, a, NULL);
	if (threaded)
		pthread_join(thread, NULL);
	else
		view_init(sb, b, NULL);
	/* sorted each on its own (at the same time), but B may still be
	 * paired index for index, as a capture of A's replayed copy is */
	sb->alike = orders_alike(sb, sa);
}

struct mnts_compare_prepared {
	struct view view;
};

struct mnts_compare_prepared *mnts_compare_prepare(const struct mnts_snapshot *a)
{
	struct mnts_compare_prepared *prepared = xcalloc(1, sizeof(*prepared));

	view_init(&prepared->view, a, NULL);
	return prepared;
}

void mnts_compare_prepared_free(struct mnts_compare_prepared *prepared)
{
	if (!prepared)
		return;
	mnts_cmp_view_done(&prepared->view);
	free(prepared);
}

const struct mnts_snapshot *mnts_cmp_prepared_snap(const struct mnts_compare_prepared *prepared)
{
	return prepared->view.snap;
}

/* What a comparison writes in a view (scope, the pairing) is set back to
 * what view_init() leaves; the order and partitions are only read. */
void mnts_cmp_views_init_ahead(struct view *sa, struct mnts_compare_prepared *prepared,
			       struct view *sb, const struct mnts_snapshot *b)
{
	*sa = prepared->view;
	memset(sa->scope, 0, sa->n * sizeof(*sa->scope));
	memset(sa->outside, 0, sa->n * sizeof(*sa->outside));
	for (size_t i = 0; i < sa->n; i++)
		sa->partner[i] = NONE;
	for (size_t i = 0; i < sa->snap->n_ns; i++)
		sa->ns_partner[i] = NONE;
	view_init(sb, b, sa);
}

void mnts_cmp_view_done(struct view *s)
{
	free(s->ns_off);
	free(s->ns_partner);
	free(s->mnt);
	free(s->rank);
	free(s->by_rank);
	free(s->layer);
	free(s->scope);
	free(s->outside);
	free(s->partner);
	partition_done(&s->groups);
	partition_done(&s->sbs);
}

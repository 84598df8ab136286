/* match.c - namespaces paired (by label or by structure), mounts paired
 * top-down from the roots, and the scope of the report (see internal.h).
 * Every walk of a tree keeps its own stack: none recurses. */
#include <stdlib.h>
#include <string.h>

#include "lib/compare/internal.h"
#include "lib/core/lookup.h"
#include "lib/core/path.h"

/* The namespace of s labelled label, looked for first at index at: two
 * captures list their namespaces in the same order, and a search for each
 * of 1,000 namespaces was 7 ms of a diff. */
static struct mnts_ns *find_ns_at(const struct mnts_snapshot *s, const char *label, size_t at)
{
	if (at < s->n_ns && streq(s->nss[at].label, label))
		return &s->nss[at];
	return mnts_snapshot_find_ns(s, label);
}

static bool label_sets_equal(const struct mnts_snapshot *a, const struct mnts_snapshot *b)
{
	if (a->n_ns != b->n_ns)
		return false;
	for (size_t i = 0; i < a->n_ns; i++)
		if (!find_ns_at(b, a->nss[i].label, i))
			return false;
	return true;
}

static void match_ns_by_label(struct ctx *c)
{
	for (size_t i = 0; i < c->a.snap->n_ns; i++) {
		struct mnts_ns *nb = find_ns_at(c->b.snap, c->a.snap->nss[i].label, i);

		if (nb) {
			size_t j = (size_t)(nb - c->b.snap->nss);
			c->a.ns_partner[i] = j;
			c->b.ns_partner[j] = i;
		}
	}
}

struct path_ns {
	const char *path;
	size_t ns;
};

static int cmp_path_ns(const void *x, const void *y)
{
	const struct path_ns *a = x, *b = y;
	int r = strcmp(a->path, b->path);

	if (r)
		return r;
	return a->ns < b->ns ? -1 : a->ns > b->ns;
}

/* Distinct (mountpoint, namespace) pairs of a side, sorted. */
static struct path_ns *distinct_paths(const struct view *s, size_t *ret_n, size_t *per_ns)
{
	struct path_ns *p = xcalloc(s->n ? s->n : 1, sizeof(*p));
	size_t n = 0, w = 0;

	for (size_t i = 0; i < s->n; i++)
		p[n++] = (struct path_ns){s->mnt[i]->mountpoint, ns_of(s, i)};
	qsort(p, n, sizeof(*p), cmp_path_ns);
	for (size_t r = 0; r < n; r++) {
		if (w > 0 && p[w - 1].ns == p[r].ns && streq(p[w - 1].path, p[r].path))
			continue;
		p[w++] = p[r];
		per_ns[p[r].ns]++;
	}
	*ret_n = w;
	return p;
}

struct candidate {
	size_t i, j;
	size_t score;
	bool same_label;
};

static int cmp_candidate(const void *x, const void *y)
{
	const struct candidate *a = x, *b = y;

	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	if (a->same_label != b->same_label)
		return a->same_label ? -1 : 1;
	if (a->i != b->i)
		return a->i < b->i ? -1 : 1;
	return a->j < b->j ? -1 : a->j > b->j;
}

/* Pairs namespaces whose sets of mountpoints overlap most (Dice coefficient
 * at least 1/2), greedily; the same 64-bit namespace id always pairs. */
static void match_ns_by_structure(struct ctx *c)
{
	size_t na = c->a.snap->n_ns, nb = c->b.snap->n_ns, npa, npb;
	_cleanup_free_ size_t *common = xcalloc(na * nb + 1, sizeof(*common));
	_cleanup_free_ size_t *per_a = xcalloc(na + 1, sizeof(*per_a));
	_cleanup_free_ size_t *per_b = xcalloc(nb + 1, sizeof(*per_b));
	_cleanup_free_ struct path_ns *pa = distinct_paths(&c->a, &npa, per_a);
	_cleanup_free_ struct path_ns *pb = distinct_paths(&c->b, &npb, per_b);
	_cleanup_free_ struct candidate *cand = NULL;
	size_t ia = 0, ib = 0, n_cand = 0;

	/* merge the two sorted lists: for each path, every A ns x B ns having it */
	while (ia < npa && ib < npb) {
		int r = strcmp(pa[ia].path, pb[ib].path);
		size_t ea = ia, eb = ib;

		if (r < 0) {
			ia++;
			continue;
		}
		if (r > 0) {
			ib++;
			continue;
		}
		while (ea < npa && streq(pa[ea].path, pa[ia].path))
			ea++;
		while (eb < npb && streq(pb[eb].path, pb[ib].path))
			eb++;
		for (size_t x = ia; x < ea; x++)
			for (size_t y = ib; y < eb; y++)
				common[pa[x].ns * nb + pb[y].ns]++;
		ia = ea;
		ib = eb;
	}

	cand = xcalloc(na * nb + 1, sizeof(*cand));
	for (size_t i = 0; i < na; i++)
		for (size_t j = 0; j < nb; j++) {
			const struct mnts_ns *x = &c->a.snap->nss[i], *y = &c->b.snap->nss[j];
			bool same_id = x->mnt_ns_id && x->mnt_ns_id == y->mnt_ns_id;
			size_t score = common[i * nb + j];

			if (!same_id && score * 4 < per_a[i] + per_b[j])
				continue; /* 2c / (a + b) < 1/2 */
			cand[n_cand++] = (struct candidate){i, j, same_id ? SIZE_MAX : score,
							    streq(x->label, y->label)};
		}
	qsort(cand, n_cand, sizeof(*cand), cmp_candidate);
	for (size_t k = 0; k < n_cand; k++) {
		if (c->a.ns_partner[cand[k].i] != NONE || c->b.ns_partner[cand[k].j] != NONE)
			continue;
		c->a.ns_partner[cand[k].i] = cand[k].j;
		c->b.ns_partner[cand[k].j] = cand[k].i;
	}
}

void mnts_cmp_match_ns(struct ctx *c)
{
	if (c->opts->ns_match == MNTS_NS_MATCH_LABEL ||
	    (c->opts->ns_match == MNTS_NS_MATCH_AUTO && label_sets_equal(c->a.snap, c->b.snap)))
		match_ns_by_label(c);
	else
		match_ns_by_structure(c);
}

/* ---- pairing mounts -------------------------------------------------------- */

/* B's children by (parent, mountpoint).  An entry holds the hash and the
 * parent, so that a probe touches no mount: at 50,000 mounts the mounts do
 * not fit in the cache, and reading three of them per probe made pairing the
 * part of diff that grew fastest with N. */
struct child_entry {
	uint64_t hash;
	size_t g; /* B global index + 1; 0 = empty */
	size_t parent;
	const char *mountpoint; /* B's, read without its mount */
};

struct child_table {
	struct child_entry *slot;
	size_t mask;
};

/* B's mount g's key: its parent (NONE for a root) and hash. */
static uint64_t child_key(const struct view *b, size_t g, size_t *ret_parent)
{
	const struct mnts_mount *m = b->mnt[g];

	*ret_parent = m->parent ? gidx(b, m->parent) : NONE;
	return m->parent ? mnts_child_hash(*ret_parent, m->mountpoint) : 0;
}

static void child_table_build(struct child_table *t, const struct view *b)
{
	uint64_t hashes[MNTS_CHILD_PREFETCH];
	size_t parents[MNTS_CHILD_PREFETCH];
	size_t size = 16;

	while (size < b->n * 2)
		size *= 2;
	/* zeroed by writing: calloc's fresh pages, read first by the probes,
	 * would each fault twice (the zero page, then a copy of it) */
	t->slot = xreallocarray(NULL, size, sizeof(*t->slot));
	memset(t->slot, 0, size * sizeof(*t->slot));
	t->mask = size - 1;
	for (size_t g = 0; g < b->n && g < MNTS_CHILD_PREFETCH; g++) {
		hashes[g] = child_key(b, g, &parents[g]);
		__builtin_prefetch(&t->slot[hashes[g] & t->mask], 1);
	}
	for (size_t g = 0; g < b->n; g++) {
		uint64_t hash = hashes[g % MNTS_CHILD_PREFETCH];
		size_t parent = parents[g % MNTS_CHILD_PREFETCH], h;

		if (g + MNTS_CHILD_PREFETCH < b->n) {
			size_t i = g % MNTS_CHILD_PREFETCH;

			hashes[i] = child_key(b, g + MNTS_CHILD_PREFETCH, &parents[i]);
			__builtin_prefetch(&t->slot[hashes[i] & t->mask], 1);
		}
		if (parent == NONE)
			continue;
		for (h = hash & t->mask; t->slot[h].g; h = (h + 1) & t->mask)
			;
		t->slot[h] = (struct child_entry){hash, g + 1, parent, b->mnt[g]->mountpoint};
	}
}

static size_t child_table_find(const struct child_table *t, uint64_t hash, size_t parent,
			       const char *mountpoint)
{
	for (size_t h = hash & t->mask; t->slot[h].g; h = (h + 1) & t->mask) {
		const struct child_entry *e = &t->slot[h];

		if (e->hash == hash && e->parent == parent && streq(e->mountpoint, mountpoint))
			return e->g - 1;
	}
	return NONE;
}

/* The mount path lookup finds at path in namespace ns (the rule capture
 * --subtree cut the other side by), or NULL. */
static const struct mnts_mount *mount_in_sight(const struct view *s, size_t ns, const char *path)
{
	const struct mnts_ns *n = &s->snap->nss[ns];
	ssize_t k = mnts_ns_mount_in_sight(n, NULL, path);

	return k < 0 ? NULL : &n->mounts[k];
}

/* Marks every mount of namespace ns outside the tree under top. */
static void mark_outside(struct view *s, size_t ns, const struct mnts_mount *top,
			 const struct mnts_mount **stack)
{
	const struct mnts_ns *n = &s->snap->nss[ns];
	size_t sp = 0;

	for (size_t k = 0; k < n->n_mounts; k++)
		s->outside[gidx(s, &n->mounts[k])] = true;
	stack[sp++] = top;
	while (sp > 0) {
		const struct mnts_mount *m = stack[--sp];

		s->outside[gidx(s, m)] = false;
		for (size_t k = 0; k < m->n_children; k++)
			stack[sp++] = m->children[k];
	}
}

/* The mounts where pairing starts: the two roots, unless one side was
 * captured with --subtree (its root is deeper): then the other side's
 * mount in sight at that path, and what is not under it is left out. */
static bool anchor_roots(struct ctx *c, size_t i, size_t j, const struct mnts_mount **ret_a,
			 const struct mnts_mount **ret_b, const struct mnts_mount **stack)
{
	const struct mnts_mount *ra = c->a.snap->nss[i].root, *rb = c->b.snap->nss[j].root;

	if (!streq(ra->mountpoint, rb->mountpoint)) {
		if (mnts_path_at_or_below(ra->mountpoint, rb->mountpoint)) {
			rb = mount_in_sight(&c->b, j, ra->mountpoint);
			if (rb)
				mark_outside(&c->b, j, rb, stack);
		} else if (mnts_path_at_or_below(rb->mountpoint, ra->mountpoint)) {
			ra = mount_in_sight(&c->a, i, rb->mountpoint);
			if (ra)
				mark_outside(&c->a, i, ra, stack);
		} else {
			return false;
		}
		if (!ra || !rb)
			return false;
	}
	*ret_a = ra;
	*ret_b = rb;
	return true;
}

/* Pairs namespace i of A with the same of B mount for mount, when B is A's
 * like (view.c, orders_alike: same mountpoints and layers, index for index)
 * and each mount's parent is at its partner's index too.  Then the pairing
 * below would find the same: a child of paired parents is paired by its
 * mountpoint, which no sibling shares (mnts_snapshot_link() refuses one).
 * A replayed copy is read so, and the hash of every mount, at 50,000, was a
 * quarter of comparing it.  Returns false, pairing nothing, otherwise. */
static bool pair_alike(struct ctx *c, size_t i, const struct mnts_mount *ra,
		       const struct mnts_mount *rb)
{
	size_t off = c->a.ns_off[i], n = c->a.snap->nss[i].n_mounts;

	if (!c->b.alike || c->a.ns_partner[i] != i || gidx(&c->a, ra) != gidx(&c->b, rb))
		return false;
	for (size_t g = off; g < off + n; g++) {
		const struct mnts_mount *pa = c->a.mnt[g]->parent, *pb = c->b.mnt[g]->parent;

		if (!pa != !pb || (pa && gidx(&c->a, pa) != gidx(&c->b, pb)))
			return false;
	}
	for (size_t g = off; g < off + n; g++) {
		c->a.partner[g] = g;
		c->b.partner[g] = g;
	}
	return true;
}

void mnts_cmp_pair_mounts(struct ctx *c)
{
	struct child_table t = {0};
	_cleanup_free_ const struct mnts_mount **stack = NULL;

	stack = xcalloc((c->a.n > c->b.n ? c->a.n : c->b.n) + 1, sizeof(*stack));
	for (size_t i = 0; i < c->a.snap->n_ns; i++) {
		size_t j = c->a.ns_partner[i], top = 0;
		const struct mnts_mount *ra, *rb;

		if (j == NONE || !anchor_roots(c, i, j, &ra, &rb, stack) ||
		    pair_alike(c, i, ra, rb))
			continue;
		if (!t.slot) /* B's children, all namespaces: once, when needed */
			child_table_build(&t, &c->b);
		c->a.partner[gidx(&c->a, ra)] = gidx(&c->b, rb);
		c->b.partner[gidx(&c->b, rb)] = gidx(&c->a, ra);
		stack[top++] = ra;
		while (top > 0) {
			const struct mnts_mount *m = stack[--top];
			size_t pb = c->a.partner[gidx(&c->a, m)];
			uint64_t hashes[MNTS_CHILD_PREFETCH];

			for (size_t k = 0; k < m->n_children && k < MNTS_CHILD_PREFETCH; k++) {
				hashes[k] = mnts_child_hash(pb, m->children[k]->mountpoint);
				__builtin_prefetch(&t.slot[hashes[k] & t.mask]);
			}
			for (size_t k = 0; k < m->n_children; k++) {
				const struct mnts_mount *kid = m->children[k];
				uint64_t hash = hashes[k % MNTS_CHILD_PREFETCH];
				size_t kb;

				if (k + MNTS_CHILD_PREFETCH < m->n_children) {
					uint64_t next = mnts_child_hash(
					    pb, m->children[k + MNTS_CHILD_PREFETCH]->mountpoint);

					hashes[k % MNTS_CHILD_PREFETCH] = next;
					__builtin_prefetch(&t.slot[next & t.mask]);
				}
				kb = child_table_find(&t, hash, pb, kid->mountpoint);
				if (kb == NONE)
					continue;
				c->a.partner[gidx(&c->a, kid)] = kb;
				c->b.partner[kb] = gidx(&c->a, kid);
				stack[top++] = kid;
			}
		}
	}
	free(t.slot);
}

/* ---- scope ------------------------------------------------------------------ */

void mnts_cmp_set_scope(struct ctx *c)
{
	for (size_t g = 0; g < c->a.n; g++)
		c->a.scope[g] = !c->a.outside[g] &&
				mnts_cmp_ns_selected(c, ns_of(&c->a, g)) &&
				mnts_path_at_or_below(c->a.mnt[g]->mountpoint, c->opts->subtree);
	for (size_t g = 0; g < c->b.n; g++) {
		size_t pa = c->b.ns_partner[ns_of(&c->b, g)];
		bool ns_ok = pa == NONE ? !c->opts->n_ns_labels
					: mnts_cmp_ns_selected(c, pa);

		c->b.scope[g] = !c->b.outside[g] && ns_ok &&
				mnts_path_at_or_below(c->b.mnt[g]->mountpoint, c->opts->subtree);
	}
}

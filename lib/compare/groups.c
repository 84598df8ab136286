/* groups.c - the partitions of the paired mounts compared (see internal.h):
 * peer groups (split, merged, joined, left), masters and propagate_from
 * through the group pairing, and superblocks. */
#include <stdlib.h>
#include <string.h>

#include "lib/compare/internal.h"
#include "lib/core/strbuf.h"

struct uf {
	size_t *parent;
};

static size_t uf_find(struct uf *u, size_t x)
{
	while (u->parent[x] != x) {
		u->parent[x] = u->parent[u->parent[x]];
		x = u->parent[x];
	}
	return x;
}

static void uf_union(struct uf *u, size_t x, size_t y)
{
	x = uf_find(u, x);
	y = uf_find(u, y);
	if (x != y)
		u->parent[x > y ? x : y] = x > y ? y : x;
}

struct comp_pair {
	size_t comp, rank, ga; /* rank: A's canonical rank of ga */
};

static int cmp_comp_pair(const void *x, const void *y)
{
	const struct comp_pair *a = x, *b = y;

	if (a->comp != b->comp)
		return a->comp < b->comp ? -1 : 1;
	return a->rank < b->rank ? -1 : a->rank > b->rank;
}

static int cmp_cls_by_first(const void *x, const void *y, void *arg)
{
	const struct view *cls_sort_side = arg;
	size_t a = cls_sort_side->rank[cls_sort_side->groups.first[*(const size_t *)x]];
	size_t b = cls_sort_side->rank[cls_sort_side->groups.first[*(const size_t *)y]];

	return a < b ? -1 : a > b;
}

/* Builds the member lists of p's classes once: a counting sort of the
 * mounts in canonical order by class. */
static const struct members *members_of(struct ctx *c, const struct view *s,
					const struct partition *p)
{
	struct members *m = &c->members[(s == &c->b) * 2 + (p == &s->sbs)];

	if (m->off)
		return m;
	/* off[k + 2] counts class k; after the sums off[k + 1] is where class
	 * k starts, then (as it is filled) where it ends */
	m->off = xcalloc(p->n_classes + 2, sizeof(*m->off));
	m->list = xcalloc(s->n + 1, sizeof(*m->list));
	for (size_t g = 0; g < s->n; g++)
		if (p->cls[g] != NONE)
			m->off[p->cls[g] + 2]++;
	for (size_t k = 0; k < p->n_classes; k++)
		m->off[k + 2] += m->off[k + 1];
	for (size_t r = 0; r < s->n; r++) {
		size_t g = s->by_rank[r];

		if (p->cls[g] != NONE)
			m->list[m->off[p->cls[g] + 1]++] = g;
	}
	return m;
}

struct mnts_value mnts_cmp_class_value(struct ctx *c, const struct view *s,
				       const struct partition *p, size_t cls)
{
	const struct members *m = members_of(c, s, p);
	struct mnts_value a = mnts_value_array();

	for (size_t i = m->off[cls]; i < m->off[cls + 1]; i++)
		mnts_value_push(&a, mnts_cmp_mount_ref(s, m->list[i]));
	return a;
}

void mnts_cmp_members_done(struct ctx *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(c->members); i++) {
		free(c->members[i].off);
		free(c->members[i].list);
	}
}

/* Peer groups cls[0..n-1] of side s as data: an array of groups, each the
 * array of its members; in the order of their first members. */
static struct mnts_value groups_value(struct ctx *c, const struct view *s, size_t *cls, size_t n)
{
	struct mnts_value a = mnts_value_array();

	qsort_r(cls, n, sizeof(*cls), cmp_cls_by_first, (void *)s);
	for (size_t i = 0; i < n; i++)
		mnts_value_push(&a, mnts_cmp_class_value(c, s, &s->groups, cls[i]));
	return a;
}

static char *group_list_words(const struct view *s, size_t *cls, size_t n, size_t here_ns)
{
	struct mnts_strbuf sb = {0};

	qsort_r(cls, n, sizeof(*cls), cmp_cls_by_first, (void *)s);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *w = mnts_cmp_group_words(s, cls[i], here_ns);
		mnts_strbuf_addf(&sb, "%s%s", i ? ", " : "", w);
	}
	return mnts_strbuf_take(&sb);
}

/* The paired mounts in scope that are shared on either side, sorted by
 * component of the bipartite graph "A group -- B group through a paired
 * mount" (a mount shared on one side only stands alone on the other), then
 * by A's canonical order.  Returns: how many. */
static size_t peer_components(struct ctx *c, struct comp_pair *cp)
{
	const struct partition *pa = &c->a.groups, *pb = &c->b.groups;
	size_t base_none = pa->n_classes + pb->n_classes;
	struct uf u = {xcalloc(base_none + 2 * c->a.n + 1, sizeof(size_t))};
	size_t n = 0;

	for (size_t i = 0; i < base_none + 2 * c->a.n; i++)
		u.parent[i] = i;
	for (size_t ga = 0; ga < c->a.n; ga++) {
		size_t gb = c->a.partner[ga], na, nb;

		if (gb == NONE || !c->a.scope[ga] || !c->b.scope[gb])
			continue;
		if (pa->cls[ga] == NONE && pb->cls[gb] == NONE)
			continue;
		na = pa->cls[ga] != NONE ? pa->cls[ga] : base_none + ga;
		nb = pb->cls[gb] != NONE ? pa->n_classes + pb->cls[gb] : base_none + c->a.n + ga;
		uf_union(&u, na, nb);
		cp[n++] = (struct comp_pair){.ga = ga, .rank = c->a.rank[ga]};
	}
	for (size_t i = 0; i < n; i++) {
		size_t ga = cp[i].ga;
		cp[i].comp = uf_find(&u, pa->cls[ga] != NONE ? pa->cls[ga] : base_none + ga);
	}
	qsort(cp, n, sizeof(*cp), cmp_comp_pair);
	free(u.parent);
	return n;
}

/* One component, cp[start..end-1], being reported. */
struct component {
	const struct comp_pair *cp;
	size_t start, end;
	size_t *list_a, *list_b; /* its A groups and B groups */
	size_t n_a, n_b;
	size_t at;   /* the mount the line is about */
	size_t here; /* A's namespace of at */
};

/* Lists the groups of a component (seen_* remember which are listed, by the
 * component's start) and picks the mount the line is about. */
static void component_groups(const struct ctx *c, struct component *k, size_t *seen_a,
			     size_t *seen_b)
{
	const struct partition *pa = &c->a.groups, *pb = &c->b.groups;

	k->n_a = k->n_b = 0;
	k->at = NONE;
	for (size_t i = k->start; i < k->end; i++) {
		size_t ga = k->cp[i].ga, gb = c->a.partner[ga];
		size_t ca = pa->cls[ga], cb = pb->cls[gb];

		if (ca != NONE && seen_a[ca] != k->start) {
			seen_a[ca] = k->start;
			k->list_a[k->n_a++] = ca;
		}
		if (cb != NONE && seen_b[cb] != k->start) {
			seen_b[cb] = k->start;
			k->list_b[k->n_b++] = cb;
		}
		if (ca != NONE && k->at == NONE)
			k->at = ga;
	}
	if (k->at == NONE)
		k->at = k->cp[k->start].ga;
	k->here = ns_of(&c->a, k->at);
}

/* Mounts leaving (shared only in A), then joining (only in B), as
 * "-M +N"; "" when there are none or one side has no group. */
static char *component_moves(const struct ctx *c, const struct component *k)
{
	struct mnts_strbuf moves = {0};

	for (int joining = 0; joining < 2; joining++)
		for (size_t i = k->start; i < k->end; i++) {
			size_t ga = k->cp[i].ga, gb = c->a.partner[ga];
			bool in_a = c->a.groups.cls[ga] != NONE, in_b = c->b.groups.cls[gb] != NONE;

			if (in_a == in_b || in_b != joining || k->n_a == 0 || k->n_b == 0)
				continue;
			_cleanup_free_ char *w = mnts_cmp_mount_words(&c->a, ga, k->here);
			mnts_strbuf_addf(&moves, "%s%c%s", moves.len ? " " : "", in_b ? '+' : '-',
					 w);
		}
	return mnts_strbuf_take(&moves);
}

/* A component with groups on one side only: a mount made shared or
 * private, a new group, a group dissolved. */
static void report_one_sided(struct ctx *c, const struct component *k)
{
	struct mnts_strbuf members = {0};
	_cleanup_free_ char *tail = NULL;
	char *old_w, *new_w;

	if (k->end - k->start == 1) {
		old_w = xstrdup(k->n_a ? "yes" : "no");
		new_w = xstrdup(k->n_b ? "yes" : "no");
		tail = xasprintf("%s -> %s", old_w, new_w);
		mnts_cmp_set_data(mnts_cmp_add_change_text(c, k->at, SEQ_SHARED, "shared",
							   "shared", old_w, new_w, tail),
				  mnts_value_bool(k->n_a), mnts_value_bool(k->n_b));
		return;
	}
	for (size_t i = k->start; i < k->end; i++) {
		_cleanup_free_ char *w = mnts_cmp_mount_words(&c->a, k->cp[i].ga, k->here);
		mnts_strbuf_addf(&members, "%s%s", members.len ? " " : "", w);
	}
	if (k->n_b) {
		old_w = xstrdup("none");
		new_w = mnts_strbuf_take(&members);
		tail = xasprintf("new group: %s", new_w);
	} else {
		old_w = mnts_strbuf_take(&members);
		new_w = xstrdup("none");
		tail = xasprintf("group dissolved: %s", old_w);
	}
	mnts_cmp_set_data(
	    mnts_cmp_add_change_text(c, k->at, SEQ_PEERS, "peers", "peers", old_w, new_w, tail),
	    groups_value(c, &c->a, k->list_a, k->n_a), groups_value(c, &c->b, k->list_b, k->n_b));
}

/* A component with groups on both sides: members moved, a split, a merge,
 * a regrouping. */
static void report_two_sided(struct ctx *c, const struct component *k, const char *mv)
{
	char *old_w = group_list_words(&c->a, k->list_a, k->n_a, k->here);
	char *new_w = group_list_words(&c->b, k->list_b, k->n_b, c->a.ns_partner[k->here]);
	_cleanup_free_ char *tail = NULL;
	const char *sp = *mv ? " " : "";

	if (k->n_a == 1 && k->n_b == 1)
		tail = xstrdup(mv);
	else if (k->n_a == 1)
		tail = xasprintf("group split: %s%s%s", new_w, sp, mv);
	else if (k->n_b == 1)
		tail = xasprintf("groups merged: %s%s%s", old_w, sp, mv);
	else
		tail = xasprintf("regrouped: %s -> %s%s%s", old_w, new_w, sp, mv);
	mnts_cmp_set_data(
	    mnts_cmp_add_change_text(c, k->at, SEQ_PEERS, "peers", "peers", old_w, new_w, tail),
	    groups_value(c, &c->a, k->list_a, k->n_a), groups_value(c, &c->b, k->list_b, k->n_b));
}

/* One line per changed component (see peer_components).  Components of one
 * A group and one B group and no mount joining or leaving are unchanged. */
void mnts_cmp_peers(struct ctx *c)
{
	const struct partition *pa = &c->a.groups, *pb = &c->b.groups;
	_cleanup_free_ struct comp_pair *cp = xcalloc(c->a.n + 1, sizeof(*cp));
	_cleanup_free_ size_t *seen_a = xcalloc(pa->n_classes + 1, sizeof(*seen_a));
	_cleanup_free_ size_t *seen_b = xcalloc(pb->n_classes + 1, sizeof(*seen_b));
	_cleanup_free_ size_t *list_a = xcalloc(pa->n_classes + 1, sizeof(*list_a));
	_cleanup_free_ size_t *list_b = xcalloc(pb->n_classes + 1, sizeof(*list_b));
	size_t n = peer_components(c, cp);
	struct component k = {.cp = cp, .list_a = list_a, .list_b = list_b};

	for (size_t i = 0; i < pa->n_classes; i++)
		seen_a[i] = NONE;
	for (size_t i = 0; i < pb->n_classes; i++)
		seen_b[i] = NONE;
	for (k.start = 0; k.start < n; k.start = k.end) {
		_cleanup_free_ char *mv = NULL;

		for (k.end = k.start; k.end < n && cp[k.end].comp == cp[k.start].comp; k.end++)
			;
		component_groups(c, &k, seen_a, seen_b);
		mv = component_moves(c, &k);
		if (k.n_a == 1 && k.n_b == 1 && !*mv)
			continue;
		if (k.n_a == 0 || k.n_b == 0)
			report_one_sided(c, &k);
		else
			report_two_sided(c, &k, mv);
	}
}

struct run_pair {
	size_t c1, c2, rank, ga;
};

/* main[c1] = the c2 most of c1's paired mounts are in (ties: the one
 * holding the first mount in canonical order).  Linear: the pairs are put
 * in buckets by c1, then counted by c2. */
static void main_class(const struct run_pair *rp, size_t n, size_t *main_of, size_t n_c1,
		       size_t n_c2)
{
	_cleanup_free_ size_t *start = xcalloc(n_c1 + 2, sizeof(*start));
	_cleanup_free_ size_t *order = xcalloc(n + 1, sizeof(*order));
	_cleanup_free_ size_t *count = xcalloc(n_c2 + 1, sizeof(*count));
	_cleanup_free_ size_t *first_rank = xcalloc(n_c2 + 1, sizeof(*first_rank));

	for (size_t i = 0; i < n; i++)
		start[rp[i].c1 + 2]++;
	for (size_t c1 = 0; c1 < n_c1; c1++)
		start[c1 + 2] += start[c1 + 1];
	for (size_t i = 0; i < n; i++)
		order[start[rp[i].c1 + 1]++] = i;
	/* now start[c1] .. start[c1 + 1] is c1's bucket */
	for (size_t c1 = 0; c1 < n_c1; c1++) {
		size_t best = NONE;

		for (size_t k = start[c1]; k < start[c1 + 1]; k++) {
			const struct run_pair *x = &rp[order[k]];

			if (count[x->c2]++ == 0 || x->rank < first_rank[x->c2])
				first_rank[x->c2] = x->rank;
		}
		for (size_t k = start[c1]; k < start[c1 + 1]; k++) {
			size_t c2 = rp[order[k]].c2;

			if (best == NONE || count[c2] > count[best] ||
			    (count[c2] == count[best] && first_rank[c2] < first_rank[best]))
				best = c2;
		}
		for (size_t k = start[c1]; k < start[c1 + 1]; k++)
			count[rp[order[k]].c2] = 0;
		main_of[c1] = best;
	}
}

/* A master (or propagate_from) group in words, or NULL for none. */
static char *master_words(const struct view *s, uint64_t id, size_t here_ns)
{
	size_t cls;

	if (!id)
		return NULL;
	cls = mnts_cmp_partition_find(&s->groups, id);
	if (cls == NONE)
		return xstrdup("external");
	return mnts_cmp_group_words(s, cls, here_ns);
}

/* A master (or propagate_from) group as data: null for none, its members,
 * or [] for a group with no member in the snapshot. */
static struct mnts_value master_value(struct ctx *c, const struct view *s, uint64_t id)
{
	size_t cls;

	if (!id)
		return (struct mnts_value){0};
	cls = mnts_cmp_partition_find(&s->groups, id);
	if (cls == NONE)
		return mnts_value_array();
	return mnts_cmp_class_value(c, s, &s->groups, cls);
}

/* A master is the same when B's master group is the one most members of
 * A's master group went to (a split or merge is reported once, as peers,
 * not again at every slave). */
static void compare_master_field(struct ctx *c, const size_t *main_b, size_t ga, uint64_t ida,
				 uint64_t idb, enum seq seq, const char *field)
{
	size_t ca, cb, here = ns_of(&c->a, ga);
	bool same;

	if (!ida && !idb)
		return;
	ca = ida ? mnts_cmp_partition_find(&c->a.groups, ida) : NONE;
	cb = idb ? mnts_cmp_partition_find(&c->b.groups, idb) : NONE;
	if (!ida || !idb)
		same = false;
	else if (ca == NONE || cb == NONE)
		same = ca == NONE && cb == NONE && (!c->opts->strict_ids || ida == idb);
	else
		same = main_b[ca] == cb;
	if (same)
		return;
	mnts_cmp_set_data(mnts_cmp_add_change(c, ga, seq, field, field,
					      master_words(&c->a, ida, here),
					      master_words(&c->b, idb, c->a.ns_partner[here])),
			  master_value(c, &c->a, ida), master_value(c, &c->b, idb));
}

void mnts_cmp_masters(struct ctx *c)
{
	_cleanup_free_ struct run_pair *rp = xcalloc(c->a.n + 1, sizeof(*rp));
	_cleanup_free_ size_t *main_b = xcalloc(c->a.groups.n_classes + 1, sizeof(*main_b));
	size_t n = 0;

	/* every paired member counts, in scope or not: a master can be
	 * anywhere */
	for (size_t ga = 0; ga < c->a.n; ga++) {
		size_t gb = c->a.partner[ga];

		if (gb != NONE && c->a.groups.cls[ga] != NONE && c->b.groups.cls[gb] != NONE)
			rp[n++] = (struct run_pair){c->a.groups.cls[ga], c->b.groups.cls[gb],
						    c->a.rank[ga], ga};
	}
	main_class(rp, n, main_b, c->a.groups.n_classes, c->b.groups.n_classes);
	for (size_t ga = 0; ga < c->a.n; ga++) {
		size_t gb = c->a.partner[ga];

		if (gb == NONE || !c->a.scope[ga] || !c->b.scope[gb])
			continue;
		compare_master_field(c, main_b, ga, c->a.mnt[ga]->master_id,
				     c->b.mnt[gb]->master_id, SEQ_MASTER, "master");
		compare_master_field(c, main_b, ga, c->a.mnt[ga]->propagate_from,
				     c->b.mnt[gb]->propagate_from, SEQ_PROPAGATE_FROM,
				     "propagate_from");
	}
}

static char *sb_words(const struct view *s, size_t g, size_t here_ns)
{
	size_t cls = s->sbs.cls[g];
	size_t other = s->sbs.first[cls] != g ? s->sbs.first[cls] : s->sbs.second[cls];
	_cleanup_free_ char *w = NULL;

	if (other == NONE)
		return xstrdup("own");
	w = mnts_cmp_mount_words(s, other, here_ns);
	return xasprintf("shared with %s", w);
}

/* Superblocks as a partition: a mount is reported when it left the
 * superblock most of its A companions are on in B, or joined one that most
 * of its B companions were not on in A. */
void mnts_cmp_superblocks(struct ctx *c)
{
	_cleanup_free_ struct run_pair *ab = xcalloc(c->a.n + 1, sizeof(*ab));
	_cleanup_free_ struct run_pair *ba = xcalloc(c->a.n + 1, sizeof(*ba));
	_cleanup_free_ size_t *main_b = xcalloc(c->a.sbs.n_classes + 1, sizeof(*main_b));
	_cleanup_free_ size_t *main_a = xcalloc(c->b.sbs.n_classes + 1, sizeof(*main_a));
	size_t n = 0;

	for (size_t ga = 0; ga < c->a.n; ga++) {
		size_t gb = c->a.partner[ga];

		if (gb == NONE || !c->a.scope[ga] || !c->b.scope[gb])
			continue;
		ab[n] = (struct run_pair){c->a.sbs.cls[ga], c->b.sbs.cls[gb], c->a.rank[ga], ga};
		ba[n] = (struct run_pair){c->b.sbs.cls[gb], c->a.sbs.cls[ga], c->a.rank[ga], ga};
		n++;
	}
	main_class(ab, n, main_b, c->a.sbs.n_classes, c->b.sbs.n_classes);
	main_class(ba, n, main_a, c->b.sbs.n_classes, c->a.sbs.n_classes);
	for (size_t ga = 0; ga < c->a.n; ga++) {
		size_t gb = c->a.partner[ga], ca, cb, here;

		if (gb == NONE || !c->a.scope[ga] || !c->b.scope[gb])
			continue;
		ca = c->a.sbs.cls[ga];
		cb = c->b.sbs.cls[gb];
		if (main_b[ca] == cb && main_a[cb] == ca)
			continue;
		here = ns_of(&c->a, ga);
		mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_SUPERBLOCK, "superblock",
						      "superblock", sb_words(&c->a, ga, here),
						      sb_words(&c->b, gb, c->a.ns_partner[here])),
				  mnts_cmp_class_value(c, &c->a, &c->a.sbs, ca),
				  mnts_cmp_class_value(c, &c->b, &c->b.sbs, cb));
	}
}

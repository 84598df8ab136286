/* compare.c - two snapshots compared modulo renumbering (see compare.h).
 *
 * Every kernel number (mount id, group number, dev) is an arbitrary name, so
 * nothing is compared by number except under strict_ids.  Instead:
 *  - namespaces are paired by label, or by the mountpoints they share;
 *  - mounts are paired top-down: the roots, then a child of a paired mount
 *    with the child of its partner on the same mountpoint (siblings on one
 *    mountpoint under one parent cannot exist, so the chain of mountpoints
 *    from the root is a unique key; it handles overmounts and mounts tucked
 *    under others);
 *  - superblocks and peer groups are partitions of the paired mounts, and
 *    two partitions are the same when they pair up class for class;
 *  - a master (or propagate_from) is the same when A's group and B's group
 *    share a paired member.
 * All of it is hashing and sorting: O(n log n) in the number of mounts.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "lib/compare/compare.h"

#define NONE SIZE_MAX

static const struct {
	const char *name;
	unsigned int bit;
} field_names[] = {
    {"source", MNTS_FIELD_SOURCE},
    {"mount_options", MNTS_FIELD_MOUNT_OPTIONS},
    {"super_options", MNTS_FIELD_SUPER_OPTIONS},
    {"fstype", MNTS_FIELD_FSTYPE},
    {"root", MNTS_FIELD_ROOT},
    {"propagation", MNTS_FIELD_PROPAGATION},
    {"superblock", MNTS_FIELD_SUPERBLOCK},
    {"dev", MNTS_FIELD_DEV},
};

unsigned int mnts_field_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(field_names); i++)
		if (streq(name, field_names[i].name))
			return field_names[i].bit;
	return 0;
}

const char *mnts_field_names(void)
{
	return "source, mount_options, super_options, fstype, root, propagation, superblock, dev";
}

/* ---- a growing string --------------------------------------------------- */

struct strbuf {
	char *s;
	size_t len, cap;
};

static void sb_addf(struct strbuf *sb, const char *fmt, ...) _printf_(2, 3);
static void sb_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (sb->len + (size_t)n + 1 > sb->cap) {
		sb->cap = (sb->len + (size_t)n + 1) * 2;
		sb->s = xrealloc(sb->s, sb->cap);
	}
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

static char *sb_take(struct strbuf *sb)
{
	char *s = sb->s ? sb->s : xstrdup("");
	*sb = (struct strbuf){0};
	return s;
}

/* ---- one side's derived view -------------------------------------------- */

/* A partition of a side's mounts into classes (peer groups or superblocks).
 * Classes are numbered in ascending key order. */
struct partition {
	size_t n_classes;
	size_t *cls;	/* per mount: its class, or NONE */
	uint64_t *keys; /* per class: the shared_id or dev, ascending */
	size_t *first;	/* per class: its first member in canonical order */
	size_t *second; /* per class: the member after first, or NONE */
};

struct side {
	const struct mnts_snapshot *snap;
	size_t n;		       /* mounts, all namespaces */
	size_t *ns_off;		       /* global index of each namespace's mounts[0] */
	const struct mnts_mount **mnt; /* global index -> mount */
	size_t *rank;		       /* canonical order: namespace, mountpoint, layer */
	size_t *by_rank;	       /* rank -> global index */
	unsigned int *layer;	       /* 1 + ancestors stacked on the same mountpoint */
	bool *scope;		       /* reported on (--ns, --subtree) */
	bool *outside;		       /* not below the other side's root (see anchor_roots) */
	size_t *partner;	       /* paired mount of the other side, or NONE */
	size_t *ns_partner;	       /* paired namespace of the other side, or NONE */
	struct partition groups;       /* peer groups (shared_id) */
	struct partition sbs;	       /* superblocks (dev) */
};

static size_t gidx(const struct side *s, const struct mnts_mount *m)
{
	return s->ns_off[m->ns - s->snap->nss] + m->index;
}

static size_t ns_of(const struct side *s, size_t g)
{
	return (size_t)(s->mnt[g]->ns - s->snap->nss);
}

/* The canonical order's key, copied out of the mounts: sorting 50,000 keys
 * that point into the mounts cost a cache miss per comparison. */
struct canonical_key {
	const char *mountpoint;
	uint32_t ns;
	uint32_t layer;
	size_t g;
};

static int cmp_canonical(const void *x, const void *y)
{
	const struct canonical_key *a = x, *b = y;
	int c;

	if (a->ns != b->ns)
		return a->ns < b->ns ? -1 : 1;
	c = strcmp(a->mountpoint, b->mountpoint);
	if (c)
		return c;
	if (a->layer != b->layer)
		return a->layer < b->layer ? -1 : 1;
	return a->g < b->g ? -1 : a->g > b->g;
}

struct keyed {
	uint64_t key;
	size_t idx;
};

/* Sorts a[0..n-1] by key, stably: an LSD radix sort, 11 bits a pass, that
 * skips the passes where every key has the same digit (keys are small
 * numbers: most passes are skipped).  A comparison sort of 50,000 keys
 * cost more than all the rest of the comparison. */
static void radix_sort(struct keyed *a, size_t n)
{
	enum { BITS = 11, BUCKETS = 1 << BITS, PASSES = (64 + BITS - 1) / BITS };
	_cleanup_free_ size_t(*count)[BUCKETS] = xcalloc(PASSES, sizeof(*count));
	_cleanup_free_ struct keyed *tmp = xcalloc(n + 1, sizeof(*tmp));
	struct keyed *from = a, *to = tmp, *swap;

	for (size_t i = 0; i < n; i++)
		for (int pass = 0; pass < PASSES; pass++)
			count[pass][(a[i].key >> (pass * BITS)) & (BUCKETS - 1)]++;
	for (int pass = 0; pass < PASSES; pass++) {
		size_t *c = count[pass], sum = 0;

		if (n == 0 || c[(a[0].key >> (pass * BITS)) & (BUCKETS - 1)] == n)
			continue;
		for (size_t d = 0; d < BUCKETS; d++) {
			size_t here = c[d];

			c[d] = sum;
			sum += here;
		}
		for (size_t i = 0; i < n; i++)
			to[c[(from[i].key >> (pass * BITS)) & (BUCKETS - 1)]++] = from[i];
		swap = from;
		from = to;
		to = swap;
	}
	if (from != a)
		memcpy(a, from, n * sizeof(*a));
}

/* key_of returns 0 for "in no class". */
static void partition_build(struct side *s, struct partition *p,
			    uint64_t (*key_of)(const struct mnts_mount *))
{
	_cleanup_free_ struct keyed *k = xcalloc(s->n + 1, sizeof(*k));
	size_t n = 0;

	p->cls = xcalloc(s->n, sizeof(*p->cls));
	p->keys = xcalloc(s->n, sizeof(*p->keys));
	p->first = xcalloc(s->n, sizeof(*p->first));
	p->second = xcalloc(s->n, sizeof(*p->second));
	/* in canonical order, so that the stable sort by key leaves each
	 * class's members in canonical order */
	for (size_t r = 0; r < s->n; r++) {
		size_t i = s->by_rank[r];
		uint64_t key = key_of(s->mnt[i]);

		p->cls[i] = NONE;
		if (key)
			k[n++] = (struct keyed){key, i};
	}
	radix_sort(k, n);
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

static size_t partition_find(const struct partition *p, uint64_t key)
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

static uint64_t key_shared(const struct mnts_mount *m)
{
	return m->shared_id;
}

static uint64_t key_dev(const struct mnts_mount *m)
{
	/* +1: dev 0:0 must still be a class */
	return (((uint64_t)m->dev_major << 32) | m->dev_minor) + 1;
}

static void side_init(struct side *s, const struct mnts_snapshot *snap)
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

	keys = xcalloc(s->n ? s->n : 1, sizeof(*keys));
	for (size_t i = 0; i < s->n; i++)
		keys[i] = (struct canonical_key){s->mnt[i]->mountpoint, (uint32_t)ns_of(s, i),
						 s->layer[i], i};
	qsort(keys, s->n, sizeof(*keys), cmp_canonical);
	order = xcalloc(s->n ? s->n : 1, sizeof(*order));
	for (size_t i = 0; i < s->n; i++) {
		order[i] = keys[i].g;
		s->rank[order[i]] = i;
	}
	s->by_rank = order;

	partition_build(s, &s->groups, key_shared);
	partition_build(s, &s->sbs, key_dev);
}

struct side_job {
	struct side *s;
	const struct mnts_snapshot *snap;
};

static void *side_init_thread(void *data)
{
	struct side_job *job = data;

	side_init(job->s, job->snap);
	return NULL;
}

/* The two sides are independent and their sorts are most of a large
 * comparison: B's is built on a second thread. */
static void sides_init(struct side *sa, const struct mnts_snapshot *a, struct side *sb,
		       const struct mnts_snapshot *b)
{
	struct side_job job = {sb, b};
	pthread_t thread;
	bool threaded = pthread_create(&thread, NULL, side_init_thread, &job) == 0;

	side_init(sa, a);
	if (threaded)
		pthread_join(thread, NULL);
	else
		side_init(sb, b);
}

static void side_done(struct side *s)
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

/* ---- the differences found ----------------------------------------------- */

/* The order of a mount's lines, and of a namespace's. */
enum seq {
	SEQ_NAMESPACE,
	SEQ_MOUNT,
	SEQ_FSTYPE,
	SEQ_SOURCE,
	SEQ_ROOT,
	SEQ_DELETED,
	SEQ_MOUNT_OPTIONS,
	SEQ_SUPER_OPTIONS,
	SEQ_SUPERBLOCK,
	SEQ_DEV,
	SEQ_SHARED,
	SEQ_PEERS,
	SEQ_MASTER,
	SEQ_PROPAGATE_FROM,
	SEQ_UNBINDABLE,
	SEQ_NSFS,
	SEQ_IDMAP,
	SEQ_IDS,
};

struct found {
	struct mnts_diff_item it;
	size_t ns_key; /* A's namespace index; n_A + B's index for B-only */
	enum seq seq;
	size_t order; /* arrival, for a stable sort */
};

struct ctx {
	struct side a, b;
	const struct mnts_compare_opts *opts;
	struct found *found;
	size_t n_found, cap_found;
	/* per A superblock: 1 + the B superblock whose options were
	 * reported, 0 for none */
	size_t *sb_reported;
};

static bool ignored(const struct ctx *c, unsigned int field)
{
	return c->opts->ignore & field;
}

static struct found *add_found(struct ctx *c, enum mnts_diff_kind kind, size_t ns_key,
			       const char *ns, const char *ns_other, const char *mountpoint,
			       unsigned int layer, enum seq seq, const char *field, char *old_value,
			       char *new_value, char *text)
{
	struct found *f;

	if (c->n_found == c->cap_found) {
		c->cap_found = c->cap_found ? c->cap_found * 2 : 16;
		c->found = xreallocarray(c->found, c->cap_found, sizeof(*c->found));
	}
	f = &c->found[c->n_found];
	*f = (struct found){
	    .it =
		{
		    .kind = kind,
		    .ns = xstrdup(ns),
		    .ns_other = ns_other && !streq(ns_other, ns) ? xstrdup(ns_other) : NULL,
		    .mountpoint = mountpoint ? xstrdup(mountpoint) : NULL,
		    .field = xstrdup(field),
		    .old_value = old_value,
		    .new_value = new_value,
		    .text = text,
		    .layer = layer,
		},
	    .ns_key = ns_key,
	    .seq = seq,
	    .order = c->n_found,
	};
	c->n_found++;
	return f;
}

/* A mount as a user names it: its mountpoint, with the layer when it is
 * stacked on another mount at the same place; with the namespace when it is
 * not in the namespace the line is about. */
static char *mount_words(const struct side *s, size_t g, size_t here_ns)
{
	const struct mnts_mount *m = s->mnt[g];
	struct strbuf sb = {0};

	if (ns_of(s, g) != here_ns)
		sb_addf(&sb, "%s:", m->ns->label);
	sb_addf(&sb, "%s", m->mountpoint);
	if (s->layer[g] > 1)
		sb_addf(&sb, " (layer %u)", s->layer[g]);
	return sb_take(&sb);
}

static char *group_words(const struct side *s, size_t cls, size_t here_ns)
{
	_cleanup_free_ char *who = mount_words(s, s->groups.first[cls], here_ns);
	return xasprintf("(group of %s)", who);
}

/* Adds a "~ MOUNT: what: old -> new" line about paired mount ga (of A). */
static void add_change(struct ctx *c, size_t ga, enum seq seq, const char *field, const char *what,
		       char *old_value, char *new_value)
{
	const struct mnts_mount *m = c->a.mnt[ga];
	size_t na = ns_of(&c->a, ga);
	_cleanup_free_ char *where = mount_words(&c->a, ga, na);
	char *text = xasprintf("~ %s: %s: %s -> %s", where, what, old_value ? old_value : "none",
			       new_value ? new_value : "none");

	add_found(c, MNTS_DIFF_CHANGED, na, m->ns->label, c->b.snap->nss[c->a.ns_partner[na]].label,
		  m->mountpoint, c->a.layer[ga], seq, field, old_value, new_value, text);
}

/* Like add_change, but the text after "MOUNT: what: " is given whole. */
static void add_change_text(struct ctx *c, size_t ga, enum seq seq, const char *field,
			    const char *what, char *old_value, char *new_value, const char *tail)
{
	const struct mnts_mount *m = c->a.mnt[ga];
	size_t na = ns_of(&c->a, ga);
	_cleanup_free_ char *where = mount_words(&c->a, ga, na);
	char *text = xasprintf("~ %s: %s: %s", where, what, tail);

	add_found(c, MNTS_DIFF_CHANGED, na, m->ns->label, c->b.snap->nss[c->a.ns_partner[na]].label,
		  m->mountpoint, c->a.layer[ga], seq, field, old_value, new_value, text);
}

/* ---- namespaces ----------------------------------------------------------- */

static bool label_sets_equal(const struct mnts_snapshot *a, const struct mnts_snapshot *b)
{
	if (a->n_ns != b->n_ns)
		return false;
	for (size_t i = 0; i < a->n_ns; i++)
		if (!mnts_snapshot_find_ns(b, a->nss[i].label))
			return false;
	return true;
}

static void match_ns_by_label(struct ctx *c)
{
	for (size_t i = 0; i < c->a.snap->n_ns; i++) {
		struct mnts_ns *nb = mnts_snapshot_find_ns(c->b.snap, c->a.snap->nss[i].label);

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
static struct path_ns *distinct_paths(const struct side *s, size_t *ret_n, size_t *per_ns)
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

/* ---- pairing mounts -------------------------------------------------------- */

/* B's children by (parent, mountpoint).  An entry holds the hash and the
 * parent, so that a probe touches no mount: at 50,000 mounts the mounts do
 * not fit in the cache, and reading three of them per probe made pairing the
 * part of diff that grew fastest with N. */
struct child_entry {
	uint64_t hash;
	size_t g; /* B global index + 1; 0 = empty */
	size_t parent;
};

struct child_table {
	struct child_entry *slot;
	size_t mask;
};

static void child_table_build(struct child_table *t, const struct side *b)
{
	size_t size = 16;

	while (size < b->n * 2)
		size *= 2;
	t->slot = xcalloc(size, sizeof(*t->slot));
	t->mask = size - 1;
	for (size_t g = 0; g < b->n; g++) {
		const struct mnts_mount *m = b->mnt[g];
		size_t parent, h;
		uint64_t hash;

		if (!m->parent)
			continue;
		parent = gidx(b, m->parent);
		hash = mnts_child_hash(parent, m->mountpoint);
		for (h = hash & t->mask; t->slot[h].g; h = (h + 1) & t->mask)
			;
		t->slot[h] = (struct child_entry){hash, g + 1, parent};
	}
}

static size_t child_table_find(const struct child_table *t, const struct side *b, size_t parent,
			       const char *mountpoint)
{
	uint64_t hash = mnts_child_hash(parent, mountpoint);

	for (size_t h = hash & t->mask; t->slot[h].g; h = (h + 1) & t->mask) {
		const struct child_entry *e = &t->slot[h];

		if (e->hash == hash && e->parent == parent &&
		    streq(b->mnt[e->g - 1]->mountpoint, mountpoint))
			return e->g - 1;
	}
	return NONE;
}

/* The mount on top of the stack at path in namespace ns, or NULL. */
static const struct mnts_mount *top_mount_at(const struct side *s, size_t ns, const char *path)
{
	const struct mnts_ns *n = &s->snap->nss[ns];
	const struct mnts_mount *best = NULL;

	for (size_t k = 0; k < n->n_mounts; k++) {
		const struct mnts_mount *m = &n->mounts[k];

		if (streq(m->mountpoint, path) &&
		    (!best || s->layer[gidx(s, m)] > s->layer[gidx(s, best)]))
			best = m;
	}
	return best;
}

/* Marks every mount of namespace ns outside the tree under top. */
static void mark_outside(struct side *s, size_t ns, const struct mnts_mount *top,
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
 * topmost mount at that path, and what is not under it is left out. */
static bool anchor_roots(struct ctx *c, size_t i, size_t j, const struct mnts_mount **ret_a,
			 const struct mnts_mount **ret_b, const struct mnts_mount **stack)
{
	const struct mnts_mount *ra = c->a.snap->nss[i].root, *rb = c->b.snap->nss[j].root;

	if (!streq(ra->mountpoint, rb->mountpoint)) {
		if (mnts_path_at_or_below(ra->mountpoint, rb->mountpoint)) {
			rb = top_mount_at(&c->b, j, ra->mountpoint);
			if (rb)
				mark_outside(&c->b, j, rb, stack);
		} else if (mnts_path_at_or_below(rb->mountpoint, ra->mountpoint)) {
			ra = top_mount_at(&c->a, i, rb->mountpoint);
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

static void pair_mounts(struct ctx *c)
{
	struct child_table t;
	_cleanup_free_ const struct mnts_mount **stack = NULL;

	child_table_build(&t, &c->b);
	stack = xcalloc((c->a.n > c->b.n ? c->a.n : c->b.n) + 1, sizeof(*stack));
	for (size_t i = 0; i < c->a.snap->n_ns; i++) {
		size_t j = c->a.ns_partner[i], top = 0;
		const struct mnts_mount *ra, *rb;

		if (j == NONE || !anchor_roots(c, i, j, &ra, &rb, stack))
			continue;
		c->a.partner[gidx(&c->a, ra)] = gidx(&c->b, rb);
		c->b.partner[gidx(&c->b, rb)] = gidx(&c->a, ra);
		stack[top++] = ra;
		while (top > 0) {
			const struct mnts_mount *m = stack[--top];
			size_t pb = c->a.partner[gidx(&c->a, m)];

			for (size_t k = 0; k < m->n_children; k++) {
				const struct mnts_mount *kid = m->children[k];
				size_t kb = child_table_find(&t, &c->b, pb, kid->mountpoint);

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

static bool ns_selected(const struct ctx *c, const char *label)
{
	if (!c->opts->n_ns_labels)
		return true;
	for (size_t i = 0; i < c->opts->n_ns_labels; i++)
		if (streq(c->opts->ns_labels[i], label))
			return true;
	return false;
}

static void set_scope(struct ctx *c)
{
	for (size_t g = 0; g < c->a.n; g++)
		c->a.scope[g] = !c->a.outside[g] && ns_selected(c, c->a.mnt[g]->ns->label) &&
				mnts_path_at_or_below(c->a.mnt[g]->mountpoint, c->opts->subtree);
	for (size_t g = 0; g < c->b.n; g++) {
		size_t pa = c->b.ns_partner[ns_of(&c->b, g)];
		bool ns_ok =
		    pa == NONE ? !c->opts->n_ns_labels : ns_selected(c, c->a.snap->nss[pa].label);

		c->b.scope[g] = !c->b.outside[g] && ns_ok &&
				mnts_path_at_or_below(c->b.mnt[g]->mountpoint, c->opts->subtree);
	}
}

/* ---- per-mount fields ---------------------------------------------------------- */

static char *join_strv(const struct mnts_strv *sv, const char *sep)
{
	struct strbuf sb = {0};

	for (size_t i = 0; i < sv->n; i++)
		sb_addf(&sb, "%s%s", i ? sep : "", sv->v[i]);
	return sb_take(&sb);
}

/* "-a +b" for options as sets; "rw" is the absence of "ro", not a word of
 * its own.  Returns: NULL when the sets are equal. */
static char *options_delta(const struct mnts_strv *a, const struct mnts_strv *b)
{
	struct strbuf sb = {0};

	for (size_t i = 0; i < a->n; i++)
		if (!streq(a->v[i], "rw") && !mnts_strv_contains(b, a->v[i]))
			sb_addf(&sb, "%s-%s", sb.len ? " " : "", a->v[i]);
	for (size_t i = 0; i < b->n; i++)
		if (!streq(b->v[i], "rw") && !mnts_strv_contains(a, b->v[i]))
			sb_addf(&sb, "%s+%s", sb.len ? " " : "", b->v[i]);
	return sb.s;
}

static bool str_differs(const char *x, const char *y)
{
	if (!x || !y)
		return x != y;
	return !streq(x, y);
}

static bool strv_equal(const struct mnts_strv *x, const struct mnts_strv *y)
{
	if (x->n != y->n)
		return false;
	for (size_t i = 0; i < x->n; i++)
		if (!streq(x->v[i], y->v[i]))
			return false;
	return true;
}

static char *idmap_words(const struct mnts_mount *m)
{
	_cleanup_free_ char *u = NULL, *g = NULL;

	if (!m->uid_map.n && !m->gid_map.n)
		return xstrdup("none");
	u = join_strv(&m->uid_map, "; ");
	g = join_strv(&m->gid_map, "; ");
	return xasprintf("uid %s, gid %s", u, g);
}

static char *nsfs_words(const struct mnts_mount *m)
{
	if (!m->nsfs_type)
		return xstrdup("none");
	if (m->nsfs_ns)
		return xasprintf("%s namespace %s", m->nsfs_type, m->nsfs_ns);
	return xasprintf("%s namespace (not captured)", m->nsfs_type);
}

static void compare_ids(struct ctx *c, size_t ga, const struct mnts_mount *x,
			const struct mnts_mount *y)
{
	static const struct {
		const char *name;
		size_t off;
	} ids[] = {
	    {"id", offsetof(struct mnts_mount, id)},
	    {"mnt_id", offsetof(struct mnts_mount, mnt_id)},
	    {"shared_id", offsetof(struct mnts_mount, shared_id)},
	    {"master_id", offsetof(struct mnts_mount, master_id)},
	    {"propagate_from", offsetof(struct mnts_mount, propagate_from)},
	    {"nsfs_ino", offsetof(struct mnts_mount, nsfs_ino)},
	};

	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		uint64_t vx = *(const uint64_t *)((const char *)x + ids[i].off);
		uint64_t vy = *(const uint64_t *)((const char *)y + ids[i].off);

		if (vx != vy)
			add_change(c, ga, SEQ_IDS, ids[i].name, ids[i].name,
				   xasprintf("%" PRIu64, vx), xasprintf("%" PRIu64, vy));
	}
}

static void compare_fields(struct ctx *c, size_t ga, size_t gb)
{
	const struct mnts_mount *x = c->a.mnt[ga], *y = c->b.mnt[gb];
	char *delta;

	if (!ignored(c, MNTS_FIELD_FSTYPE) && !streq(x->fstype, y->fstype))
		add_change(c, ga, SEQ_FSTYPE, "fstype", "fstype", xstrdup(x->fstype),
			   xstrdup(y->fstype));
	if (!ignored(c, MNTS_FIELD_SOURCE) && str_differs(x->source, y->source))
		add_change(c, ga, SEQ_SOURCE, "source", "source",
			   xstrdup(x->source ? x->source : "none"),
			   xstrdup(y->source ? y->source : "none"));
	if (!ignored(c, MNTS_FIELD_ROOT) && !streq(x->root, y->root))
		add_change(c, ga, SEQ_ROOT, "root", "root", xstrdup(x->root), xstrdup(y->root));
	if (!ignored(c, MNTS_FIELD_ROOT) && x->deleted != y->deleted)
		add_change(c, ga, SEQ_DELETED, "deleted", "deleted",
			   xstrdup(x->deleted ? "yes" : "no"), xstrdup(y->deleted ? "yes" : "no"));
	if (!ignored(c, MNTS_FIELD_MOUNT_OPTIONS) &&
	    (delta = options_delta(&x->mount_options, &y->mount_options))) {
		add_change_text(c, ga, SEQ_MOUNT_OPTIONS, "mount_options", "options",
				join_strv(&x->mount_options, ","),
				join_strv(&y->mount_options, ","), delta);
		free(delta);
	}
	/* superblock options once per superblock, at its first mount */
	if (!ignored(c, MNTS_FIELD_SUPER_OPTIONS) &&
	    c->sb_reported[c->a.sbs.cls[ga]] != c->b.sbs.cls[gb] + 1 &&
	    (delta = options_delta(&x->super_options, &y->super_options))) {
		add_change_text(c, ga, SEQ_SUPER_OPTIONS, "super_options", "super options",
				join_strv(&x->super_options, ","),
				join_strv(&y->super_options, ","), delta);
		free(delta);
		c->sb_reported[c->a.sbs.cls[ga]] = c->b.sbs.cls[gb] + 1;
	}
	/* a block device number names the device, not an accident of
	 * allocation; anonymous devices (major 0) are renumbered freely */
	if (!ignored(c, MNTS_FIELD_DEV) &&
	    (x->dev_major != y->dev_major || x->dev_minor != y->dev_minor) &&
	    (c->opts->strict_ids || x->dev_major || y->dev_major))
		add_change(c, ga, SEQ_DEV, "dev", "dev",
			   xasprintf("%u:%u", x->dev_major, x->dev_minor),
			   xasprintf("%u:%u", y->dev_major, y->dev_minor));
	if (!ignored(c, MNTS_FIELD_PROPAGATION) && x->unbindable != y->unbindable)
		add_change(c, ga, SEQ_UNBINDABLE, "unbindable", "unbindable",
			   xstrdup(x->unbindable ? "yes" : "no"),
			   xstrdup(y->unbindable ? "yes" : "no"));
	if (str_differs(x->nsfs_type, y->nsfs_type) || (x->nsfs_ns && !y->nsfs_ns) ||
	    (!x->nsfs_ns && y->nsfs_ns)) {
		add_change(c, ga, SEQ_NSFS, "nsfs", "pins", nsfs_words(x), nsfs_words(y));
	} else if (x->nsfs_ns) {
		/* the pinned namespace, through the namespace pairing */
		const struct mnts_ns *px = mnts_snapshot_find_ns(c->a.snap, x->nsfs_ns);
		size_t pj = c->a.ns_partner[px - c->a.snap->nss];
		const char *expect = pj == NONE ? NULL : c->b.snap->nss[pj].label;

		if (!expect || !streq(expect, y->nsfs_ns))
			add_change(c, ga, SEQ_NSFS, "nsfs", "pins", nsfs_words(x), nsfs_words(y));
	}
	if (!strv_equal(&x->uid_map, &y->uid_map) || !strv_equal(&x->gid_map, &y->gid_map))
		add_change(c, ga, SEQ_IDMAP, "idmap", "idmap", idmap_words(x), idmap_words(y));
	if (c->opts->strict_ids)
		compare_ids(c, ga, x, y);
}

/* ---- partitions: peer groups, superblocks ----------------------------------------- */

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
	const struct side *cls_sort_side = arg;
	size_t a = cls_sort_side->rank[cls_sort_side->groups.first[*(const size_t *)x]];
	size_t b = cls_sort_side->rank[cls_sort_side->groups.first[*(const size_t *)y]];

	return a < b ? -1 : a > b;
}

static char *group_list_words(const struct side *s, size_t *cls, size_t n, size_t here_ns)
{
	struct strbuf sb = {0};

	qsort_r(cls, n, sizeof(*cls), cmp_cls_by_first, (void *)s);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *w = group_words(s, cls[i], here_ns);
		sb_addf(&sb, "%s%s", i ? ", " : "", w);
	}
	return sb_take(&sb);
}

/* One line per changed component of the bipartite graph "A group -- B group
 * through a paired mount", where a mount shared on one side only stands
 * alone on the other.  Components of one A group and one B group and no
 * mount joining or leaving are unchanged. */
static void compare_peers(struct ctx *c)
{
	const struct partition *pa = &c->a.groups, *pb = &c->b.groups;
	size_t base_none = pa->n_classes + pb->n_classes;
	_cleanup_free_ struct comp_pair *cp = xcalloc(c->a.n + 1, sizeof(*cp));
	_cleanup_free_ size_t *seen_a = xcalloc(pa->n_classes + 1, sizeof(*seen_a));
	_cleanup_free_ size_t *seen_b = xcalloc(pb->n_classes + 1, sizeof(*seen_b));
	_cleanup_free_ size_t *list_a = xcalloc(pa->n_classes + 1, sizeof(*list_a));
	_cleanup_free_ size_t *list_b = xcalloc(pb->n_classes + 1, sizeof(*list_b));
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
	for (size_t i = 0; i < c->a.groups.n_classes; i++)
		seen_a[i] = NONE;
	for (size_t i = 0; i < c->b.groups.n_classes; i++)
		seen_b[i] = NONE;

	for (size_t start = 0, end; start < n; start = end) {
		size_t n_a = 0, n_b = 0, at = NONE, here;
		struct strbuf moves = {0};
		_cleanup_free_ char *old_w = NULL, *new_w = NULL, *tail = NULL, *mv = NULL;
		const char *what = "peers";
		enum seq seq = SEQ_PEERS;

		for (end = start; end < n && cp[end].comp == cp[start].comp; end++) {
			size_t ga = cp[end].ga, gb = c->a.partner[ga];
			size_t ca = pa->cls[ga], cb = pb->cls[gb];

			if (ca != NONE && seen_a[ca] != start) {
				seen_a[ca] = start;
				list_a[n_a++] = ca;
			}
			if (cb != NONE && seen_b[cb] != start) {
				seen_b[cb] = start;
				list_b[n_b++] = cb;
			}
			if (ca != NONE && at == NONE)
				at = ga;
		}
		if (at == NONE)
			at = cp[start].ga;
		here = ns_of(&c->a, at);
		/* mounts leaving (shared only in A), then joining (only in B) */
		for (int joining = 0; joining < 2; joining++)
			for (size_t k = start; k < end; k++) {
				size_t ga = cp[k].ga, gb = c->a.partner[ga];
				bool in_a = pa->cls[ga] != NONE, in_b = pb->cls[gb] != NONE;

				if (in_a == in_b || in_b != joining || n_a == 0 || n_b == 0)
					continue;
				_cleanup_free_ char *w = mount_words(&c->a, ga, here);
				sb_addf(&moves, "%s%c%s", moves.len ? " " : "", in_b ? '+' : '-',
					w);
			}
		mv = sb_take(&moves);

		if (n_a == 1 && n_b == 1 && !*mv)
			continue;
		if (n_a == 0 || n_b == 0) {
			struct strbuf members = {0};

			for (size_t k = start; k < end; k++) {
				_cleanup_free_ char *w = mount_words(&c->a, cp[k].ga, here);
				sb_addf(&members, "%s%s", members.len ? " " : "", w);
			}
			if (end - start == 1) {
				/* one mount made shared or private */
				what = "shared";
				seq = SEQ_SHARED;
				old_w = xstrdup(n_a ? "yes" : "no");
				new_w = xstrdup(n_b ? "yes" : "no");
				tail = xasprintf("%s -> %s", old_w, new_w);
				free(sb_take(&members));
			} else if (n_b) {
				old_w = xstrdup("none");
				new_w = sb_take(&members);
				tail = xasprintf("new group: %s", new_w);
			} else {
				old_w = sb_take(&members);
				new_w = xstrdup("none");
				tail = xasprintf("group dissolved: %s", old_w);
			}
		} else {
			old_w = group_list_words(&c->a, list_a, n_a, here);
			new_w = group_list_words(&c->b, list_b, n_b, c->a.ns_partner[here]);
			if (n_a == 1 && n_b == 1)
				tail = xstrdup(mv);
			else if (n_a == 1)
				tail = xasprintf("group split: %s%s%s", new_w, *mv ? " " : "", mv);
			else if (n_b == 1)
				tail =
				    xasprintf("groups merged: %s%s%s", old_w, *mv ? " " : "", mv);
			else
				tail = xasprintf("regrouped: %s -> %s%s%s", old_w, new_w,
						 *mv ? " " : "", mv);
		}
		add_change_text(c, at, seq, what, what, TAKE_PTR(old_w), TAKE_PTR(new_w), tail);
	}
	free(u.parent);
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
static char *master_words(const struct side *s, uint64_t id, size_t here_ns)
{
	size_t cls;

	if (!id)
		return NULL;
	cls = partition_find(&s->groups, id);
	if (cls == NONE)
		return xstrdup("external");
	return group_words(s, cls, here_ns);
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
	ca = ida ? partition_find(&c->a.groups, ida) : NONE;
	cb = idb ? partition_find(&c->b.groups, idb) : NONE;
	if (!ida || !idb)
		same = false;
	else if (ca == NONE || cb == NONE)
		same = ca == NONE && cb == NONE && (!c->opts->strict_ids || ida == idb);
	else
		same = main_b[ca] == cb;
	if (same)
		return;
	add_change(c, ga, seq, field, field, master_words(&c->a, ida, here),
		   master_words(&c->b, idb, c->a.ns_partner[here]));
}

static void compare_masters(struct ctx *c)
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

static char *sb_words(const struct side *s, size_t g, size_t here_ns)
{
	size_t cls = s->sbs.cls[g];
	size_t other = s->sbs.first[cls] != g ? s->sbs.first[cls] : s->sbs.second[cls];
	_cleanup_free_ char *w = NULL;

	if (other == NONE)
		return xstrdup("own");
	w = mount_words(s, other, here_ns);
	return xasprintf("shared with %s", w);
}

/* Superblocks as a partition: a mount is reported when it left the
 * superblock most of its A companions are on in B, or joined one that most
 * of its B companions were not on in A. */
static void compare_superblocks(struct ctx *c)
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
		add_change(c, ga, SEQ_SUPERBLOCK, "superblock", "superblock",
			   sb_words(&c->a, ga, here), sb_words(&c->b, gb, c->a.ns_partner[here]));
	}
}

/* ---- added, removed -------------------------------------------------------------- */

static void add_mount_only(struct ctx *c, const struct side *s, size_t g, bool in_a)
{
	const struct mnts_mount *m = s->mnt[g];
	size_t ns = ns_of(s, g);
	size_t ns_key = in_a ? ns : s->ns_partner[ns];
	const char *label = in_a ? m->ns->label : c->a.snap->nss[ns_key].label;
	const char *other = in_a ? c->b.snap->nss[s->ns_partner[ns]].label : m->ns->label;
	_cleanup_free_ char *where = mount_words(s, g, ns);

	add_found(c, in_a ? MNTS_DIFF_REMOVED : MNTS_DIFF_ADDED, ns_key, label, other,
		  m->mountpoint, s->layer[g], SEQ_MOUNT, "mount", in_a ? xstrdup(m->fstype) : NULL,
		  in_a ? NULL : xstrdup(m->fstype),
		  xasprintf("%c %s %s", in_a ? '-' : '+', where, m->fstype));
}

static void compare_namespaces(struct ctx *c)
{
	for (size_t i = 0; i < c->a.snap->n_ns; i++) {
		const struct mnts_ns *x = &c->a.snap->nss[i];
		size_t j = c->a.ns_partner[i];

		if (!ns_selected(c, x->label))
			continue;
		if (j == NONE) {
			add_found(c, MNTS_DIFF_REMOVED, i, x->label, NULL, NULL, 0, SEQ_NAMESPACE,
				  "namespace", xstrdup(x->label), NULL,
				  xasprintf("- namespace %s", x->label));
		} else if (c->opts->strict_ids && x->mnt_ns_id != c->b.snap->nss[j].mnt_ns_id) {
			const struct mnts_ns *y = &c->b.snap->nss[j];

			add_found(c, MNTS_DIFF_CHANGED, i, x->label, y->label, NULL, 0,
				  SEQ_NAMESPACE, "mnt_ns_id", xasprintf("%" PRIu64, x->mnt_ns_id),
				  xasprintf("%" PRIu64, y->mnt_ns_id),
				  xasprintf("~ namespace %s: mnt_ns_id: %" PRIu64 " -> %" PRIu64,
					    x->label, x->mnt_ns_id, y->mnt_ns_id));
		}
	}
	if (c->opts->n_ns_labels)
		return;
	for (size_t j = 0; j < c->b.snap->n_ns; j++) {
		const struct mnts_ns *y = &c->b.snap->nss[j];

		if (c->b.ns_partner[j] == NONE)
			add_found(c, MNTS_DIFF_ADDED, c->a.snap->n_ns + j, y->label, NULL, NULL, 0,
				  SEQ_NAMESPACE, "namespace", NULL, xstrdup(y->label),
				  xasprintf("+ namespace %s", y->label));
	}
}

/* ---- sorting and the result ------------------------------------------------------- */

static int cmp_found(const void *x, const void *y)
{
	const struct found *a = x, *b = y;
	int r;

	if (a->ns_key != b->ns_key)
		return a->ns_key < b->ns_key ? -1 : 1;
	if (!a->it.mountpoint != !b->it.mountpoint)
		return a->it.mountpoint ? 1 : -1;
	if (a->it.mountpoint) {
		r = strcmp(a->it.mountpoint, b->it.mountpoint);
		if (r)
			return r;
		if (a->it.layer != b->it.layer)
			return a->it.layer < b->it.layer ? -1 : 1;
	}
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int check_opts(const struct mnts_snapshot *a, const struct mnts_compare_opts *o,
		      struct mnts_error *err)
{
	if (o->subtree && !mnts_path_is_normal(o->subtree))
		return mnts_err(err, 0, "subtree '%s': not an absolute normalised path",
				o->subtree);
	for (size_t i = 0; i < o->n_ns_labels; i++)
		if (!mnts_snapshot_find_ns(a, o->ns_labels[i]))
			return mnts_err(err, 0, "namespace '%s': not in the first snapshot",
					o->ns_labels[i]);
	return 0;
}

int mnts_compare(const struct mnts_snapshot *a, const struct mnts_snapshot *b,
		 const struct mnts_compare_opts *opts, struct mnts_diff *ret,
		 struct mnts_error *err)
{
	static const struct mnts_compare_opts defaults = {0};
	struct ctx c = {.opts = opts ? opts : &defaults};
	int r;

	*ret = (struct mnts_diff){0};
	if (!a->linked || !b->linked)
		return mnts_err(err, 0, "compare: snapshot not linked");
	r = check_opts(a, c.opts, err);
	if (r < 0)
		return r;

	sides_init(&c.a, a, &c.b, b);
	if (c.opts->ns_match == MNTS_NS_MATCH_LABEL ||
	    (c.opts->ns_match == MNTS_NS_MATCH_AUTO && label_sets_equal(a, b)))
		match_ns_by_label(&c);
	else
		match_ns_by_structure(&c);
	pair_mounts(&c);
	set_scope(&c);

	compare_namespaces(&c);
	c.sb_reported = xcalloc(c.a.sbs.n_classes + 1, sizeof(*c.sb_reported));
	for (size_t i = 0; i < c.a.n; i++) {
		size_t ga = c.a.by_rank[i];

		if (!c.a.scope[ga] || c.a.ns_partner[ns_of(&c.a, ga)] == NONE)
			continue;
		if (c.a.partner[ga] == NONE)
			add_mount_only(&c, &c.a, ga, true);
		else if (c.b.scope[c.a.partner[ga]])
			compare_fields(&c, ga, c.a.partner[ga]);
	}
	for (size_t gb = 0; gb < c.b.n; gb++)
		if (c.b.scope[gb] && c.b.partner[gb] == NONE &&
		    c.b.ns_partner[ns_of(&c.b, gb)] != NONE)
			add_mount_only(&c, &c.b, gb, false);
	if (!ignored(&c, MNTS_FIELD_SUPERBLOCK))
		compare_superblocks(&c);
	if (!ignored(&c, MNTS_FIELD_PROPAGATION)) {
		compare_peers(&c);
		compare_masters(&c);
	}

	if (c.n_found) /* found is NULL when there are none */
		qsort(c.found, c.n_found, sizeof(*c.found), cmp_found);
	ret->n = c.n_found;
	ret->items = xcalloc(c.n_found + 1, sizeof(*ret->items));
	for (size_t i = 0; i < c.n_found; i++)
		ret->items[i] = c.found[i].it;
	free(c.found);
	free(c.sb_reported);
	side_done(&c.a);
	side_done(&c.b);
	return 0;
}

void mnts_diff_done(struct mnts_diff *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct mnts_diff_item *it = &d->items[i];

		free(it->ns);
		free(it->ns_other);
		free(it->mountpoint);
		free(it->field);
		free(it->old_value);
		free(it->new_value);
		free(it->text);
	}
	free(d->items);
	*d = (struct mnts_diff){0};
}

/* ---- output ------------------------------------------------------------------------ */

static const char *kind_name(enum mnts_diff_kind k)
{
	switch (k) {
	case MNTS_DIFF_ADDED:
		return "added";
	case MNTS_DIFF_REMOVED:
		return "removed";
	default:
		return "changed";
	}
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *mnts_diff_to_json(const struct mnts_diff *d)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < d->n; i++) {
		const struct mnts_diff_item *it = &d->items[i];
		json_t *o = json_object();

		json_object_set_new(o, "ns", json_string(it->ns));
		json_object_set_new(o, "mountpoint", str_or_null(it->mountpoint));
		json_object_set_new(o, "field", json_string(it->field));
		json_object_set_new(o, "kind", json_string(kind_name(it->kind)));
		json_object_set_new(o, "old", str_or_null(it->old_value));
		json_object_set_new(o, "new", str_or_null(it->new_value));
		json_object_set_new(o, "text", json_string(it->text));
		json_array_append_new(arr, o);
	}
	return arr;
}

int mnts_diff_print(const struct mnts_diff *d, FILE *f, bool json, struct mnts_error *err)
{
	const char *last_ns = NULL;

	if (json) {
		json_auto_t *arr = mnts_diff_to_json(d);

		if (json_dumpf(arr, f, JSON_INDENT(2) | JSON_SORT_KEYS) < 0 ||
		    fputc('\n', f) == EOF)
			return mnts_err(err, EIO, "write failure");
		return 0;
	}
	for (size_t i = 0; i < d->n; i++) {
		const struct mnts_diff_item *it = &d->items[i];

		/* a whole-namespace line names its namespace itself */
		if (it->mountpoint && (!last_ns || !streq(last_ns, it->ns))) {
			if (it->ns_other)
				fprintf(f, "namespace %s -> %s:\n", it->ns, it->ns_other);
			else
				fprintf(f, "namespace %s:\n", it->ns);
		}
		last_ns = it->mountpoint ? it->ns : NULL;
		fprintf(f, "%s\n", it->text);
	}
	if (ferror(f))
		return mnts_err(err, EIO, "write failure");
	return 0;
}

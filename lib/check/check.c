/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check.c - see check.h.
 *
 * Per section: the target namespace is indexed once (mountpoint -> the
 * mounts at it, lowest first; an Euler tour of the tree, so that "below
 * the enclosing line's mount" is two comparisons), then each line looks
 * up its path and tries the few mounts there.  Names live in two tables
 * (groups, superblocks), each both ways (name -> key, key -> name), so
 * that a name keeps its group and no group takes two names.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/check/check.h"
#include "lib/core/macros.h"
#include "lib/core/path.h"
#include "lib/core/strbuf.h"
#include "lib/core/u64map.h"

#define NONE SIZE_MAX

/* An open-addressing set of strings that live elsewhere: slots hold an
 * index + 1 (0: empty), key(ctx, index) gives the string, and its hash,
 * so that a probe of another string and a rehash touch no string (at 50,000
 * names of 500 bytes, reading them was most of a lookup). */
struct strmap_slot {
	size_t idx1;
	uint64_t hash;
};

struct strmap {
	struct strmap_slot *slot;
	size_t cap, n;
};

typedef const char *(*key_fn)(const void *ctx, size_t idx);

static uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9E3779B97F4A7C15ULL;
	return h ^ (h >> 29);
}

/* murmur3's finaliser: every bit of h reaches the low ones a slot takes */
static uint64_t finish(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	return h ^ (h >> 33);
}

/* The length and the first 16 and last 32 bytes: mountpoints of deep trees
 * are 500 bytes long, and hashing every byte of them, one multiply after
 * the other, was a third of checking one.  Strings that differ only
 * elsewhere collide, and are told apart by comparing them. */
static uint64_t hash_str(const char *s)
{
	size_t len = strlen(s);
	uint64_t h = mix(14695981039346656037ULL, len), w;

	if (len < 48) {
		for (size_t i = 0; i < len; i += 8) {
			w = 0;
			memcpy(&w, s + i, len - i < 8 ? len - i : 8);
			h = mix(h, w);
		}
		return finish(h);
	}
	for (size_t i = 0; i < 16; i += 8) {
		memcpy(&w, s + i, 8);
		h = mix(h, w);
	}
	for (size_t i = len - 32; i < len; i += 8) {
		memcpy(&w, s + i, 8);
		h = mix(h, w);
	}
	return finish(h);
}

/* The slot of s (hash: hash_str(s)): where it is, or the empty slot where
 * it would go. */
static size_t strmap_slot(const struct strmap *m, const char *s, uint64_t hash, key_fn key,
			  const void *ctx)
{
	size_t i = hash & (m->cap - 1);

	while (m->slot[i].idx1 &&
	       (m->slot[i].hash != hash || !streq(key(ctx, m->slot[i].idx1 - 1), s)))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static size_t strmap_get(const struct strmap *m, const char *s, key_fn key, const void *ctx)
{
	size_t i;

	if (!m->cap)
		return NONE;
	i = strmap_slot(m, s, hash_str(s), key, ctx);
	return m->slot[i].idx1 ? m->slot[i].idx1 - 1 : NONE;
}

/* Makes room for more (at most half full). */
static void strmap_reserve(struct strmap *m, size_t more)
{
	struct strmap bigger;

	if (2 * (m->n + more) <= m->cap)
		return;
	bigger = (struct strmap){.cap = m->cap ? m->cap : 16, .n = m->n};
	while (2 * (m->n + more) > bigger.cap)
		bigger.cap *= 2;
	bigger.slot = xcalloc(bigger.cap, sizeof(*bigger.slot));
	for (size_t i = 0; i < m->cap; i++) {
		size_t k = m->slot[i].hash & (bigger.cap - 1);

		if (!m->slot[i].idx1)
			continue;
		/* the keys are distinct: the first empty slot */
		while (bigger.slot[k].idx1)
			k = (k + 1) & (bigger.cap - 1);
		bigger.slot[k] = m->slot[i];
	}
	free(m->slot);
	*m = bigger;
}

/* Names the author gave (groups or superblocks), bound to kernel keys. */
struct names {
	struct strmap by_name;
	struct mnts_u64map by_key; /* key -> index */
	const char **name;	   /* the spec's strings */
	uint64_t *key;
	unsigned *line; /* where it was bound */
	size_t n, cap;
};

static const char *name_key(const void *ctx, size_t idx)
{
	return ((const struct names *)ctx)->name[idx];
}

static size_t names_find(const struct names *t, const char *name)
{
	return strmap_get(&t->by_name, name, name_key, t);
}

static void names_add(struct names *t, const char *name, uint64_t key, unsigned line)
{
	uint64_t hash = hash_str(name);

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->name = xreallocarray(t->name, t->cap, sizeof(*t->name));
		t->key = xreallocarray(t->key, t->cap, sizeof(*t->key));
		t->line = xreallocarray(t->line, t->cap, sizeof(*t->line));
	}
	strmap_reserve(&t->by_name, 1);
	t->name[t->n] = name;
	t->key[t->n] = key;
	t->line[t->n] = line;
	t->by_name.slot[strmap_slot(&t->by_name, name, hash, name_key, t)] =
	    (struct strmap_slot){t->n + 1, hash};
	t->by_name.n++;
	mnts_u64map_put(&t->by_key, key, (int)t->n);
	t->n++;
}

static void names_free(struct names *t)
{
	free(t->by_name.slot);
	mnts_u64map_free(&t->by_key);
	free(t->name);
	free(t->key);
	free(t->line);
}

/* One target namespace, indexed for one section. */
struct nsidx {
	const struct mnts_ns *ns;
	struct strmap at; /* mountpoint -> the lowest mount at it */
	size_t *head;	  /* per mount: the lowest mount at its mountpoint */
	size_t *next;	  /* the next mount at the same mountpoint, or NONE */
	size_t *order;	  /* the mounts in depth-first order */
	size_t n_order;
	size_t *tin, *tout; /* a's subtree is order[tin[a] .. tout[a]] */
	size_t *line_of;  /* 1 + the spec line a mount matched, 0: none */
};

static const char *mp_key(const void *ctx, size_t idx)
{
	return ((const struct mnts_ns *)ctx)->mounts[idx].mountpoint;
}

static void nsidx_build(struct nsidx *x, const struct mnts_ns *ns)
{
	size_t n = ns->n_mounts, k = 0, depth = 0;
	struct frame {
		const struct mnts_mount *m;
		size_t child;
	} *stack;

	*x = (struct nsidx){.ns = ns};
	x->next = xmalloc((n ? n : 1) * sizeof(*x->next));
	x->order = xmalloc((n ? n : 1) * sizeof(*x->order));
	x->tin = xmalloc((n ? n : 1) * sizeof(*x->tin));
	x->tout = xmalloc((n ? n : 1) * sizeof(*x->tout));
	x->line_of = xcalloc(n ? n : 1, sizeof(*x->line_of));
	x->head = xmalloc((n ? n : 1) * sizeof(*x->head));
	strmap_reserve(&x->at, n);
	/* backwards, so that each chain runs lowest first */
	for (size_t i = n; i-- > 0;) {
		const char *mp = ns->mounts[i].mountpoint;
		uint64_t hash = hash_str(mp);
		size_t s = strmap_slot(&x->at, mp, hash, mp_key, ns);

		x->next[i] = x->at.slot[s].idx1 ? x->at.slot[s].idx1 - 1 : NONE;
		if (!x->at.slot[s].idx1)
			x->at.n++;
		x->at.slot[s] = (struct strmap_slot){i + 1, hash};
		x->tin[i] = x->tout[i] = NONE;
	}
	for (size_t s = 0; s < x->at.cap; s++)
		for (size_t i = x->at.slot[s].idx1 ? x->at.slot[s].idx1 - 1 : NONE; i != NONE;
		     i = x->next[i])
			x->head[i] = x->at.slot[s].idx1 - 1;
	if (!ns->root)
		return;
	stack = xmalloc((n + 1) * sizeof(*stack));
	stack[depth++] = (struct frame){ns->root, 0};
	x->tin[ns->root->index] = k;
	x->order[k++] = ns->root->index;
	while (depth) {
		struct frame *f = &stack[depth - 1];

		if (f->child == f->m->n_children) {
			x->tout[f->m->index] = k - 1;
			depth--;
			continue;
		}
		const struct mnts_mount *c = f->m->children[f->child++];

		if (x->tin[c->index] != NONE || depth > n)
			continue; /* a linked tree has no cycle: a guard only */
		x->tin[c->index] = k;
		x->order[k++] = c->index;
		stack[depth++] = (struct frame){c, 0};
	}
	x->n_order = k;
	free(stack);
}

static void nsidx_free(struct nsidx *x)
{
	free(x->at.slot);
	free(x->head);
	free(x->next);
	free(x->order);
	free(x->tin);
	free(x->tout);
	free(x->line_of);
}

/* a is strictly below anc in the tree */
static bool is_below(const struct nsidx *x, size_t a, size_t anc)
{
	return x->tin[a] != NONE && x->tin[anc] != NONE && x->tin[a] > x->tin[anc] &&
	       x->tin[a] <= x->tout[anc];
}

struct checker {
	const struct mnts_spec *spec;
	const struct mnts_snapshot *snap;
	const char *subtree; /* NULL for "/" */
	struct mnts_check_result *res;
	struct names groups, sbs;
	struct mnts_u64map sb_count; /* superblock -> how many mounts it has */
	bool counted;
};

/* A line's verdict on one mount: tentative names are kept apart until the
 * line matches. */
struct pending {
	struct names *t;
	const char *name;
	uint64_t key;
};

struct eval {
	struct checker *c;
	const struct nsidx *x;
	const struct mnts_spec_mount *line;
	const struct mnts_mount *m;
	bool report; /* add an item per unmet property; else stop at the first */
	bool ok;
	struct pending pend[3];
	size_t n_pend;
};

static uint64_t sb_key(const struct mnts_mount *m)
{
	return (uint64_t)m->dev_major << 32 | m->dev_minor;
}

static void add_item(struct checker *c, unsigned line, const char *mountpoint,
		     const char *property, char *expected, char *found)
{
	struct mnts_check_result *res = c->res;

	if (res->n == res->cap) {
		res->cap = res->cap ? 2 * res->cap : 16;
		res->items = xreallocarray(res->items, res->cap, sizeof(*res->items));
	}
	res->items[res->n++] = (struct mnts_check_item){
	    .line = line,
	    .mountpoint = xstrdup(mountpoint),
	    .property = property,
	    .expected = expected,
	    .found = found,
	};
}

/* An unmet property: with report, an item; the verdict is false either way.
 * Takes expected and found (malloc()ed, or NULL when not reporting). */
static bool fail(struct eval *e, const char *property, char *expected, char *found)
{
	e->ok = false;
	if (e->report)
		add_item(e->c, e->line->line, e->line->mountpoint, property, expected, found);
	else {
		free(expected);
		free(found);
	}
	return false;
}

/* The name bound to key in t (committed or pending on this line), or NULL. */
static const char *name_of(const struct eval *e, const struct names *t, uint64_t key,
			   unsigned *line)
{
	int i = mnts_u64map_get(&t->by_key, key);

	if (i >= 0) {
		*line = t->line[i];
		return t->name[i];
	}
	for (size_t k = 0; k < e->n_pend; k++)
		if (e->pend[k].t == t && e->pend[k].key == key) {
			*line = e->line->line;
			return e->pend[k].name;
		}
	return NULL;
}

/* Whether name may stand for key: bound to it already, or unbound with key
 * not named otherwise (then pending). *why: what is in the way. */
static bool name_fits(struct eval *e, struct names *t, const char *name, uint64_t key,
		      const char **other, unsigned *other_line)
{
	size_t i = names_find(t, name);
	const char *n;

	*other = NULL;
	if (i != NONE) {
		if (t->key[i] == key)
			return true;
		*other = name_of(e, t, key, other_line);
		return false;
	}
	for (size_t k = 0; k < e->n_pend; k++)
		if (e->pend[k].t == t && streq(e->pend[k].name, name)) {
			if (e->pend[k].key == key)
				return true;
			*other = name_of(e, t, key, other_line);
			return false;
		}
	n = name_of(e, t, key, other_line);
	if (n) {
		*other = n;
		return false;
	}
	e->pend[e->n_pend++] = (struct pending){t, name, key};
	return true;
}

/* How m's propagation reads in spec words, with the names bound so far. */
static char *prop_words(const struct eval *e, const struct mnts_mount *m)
{
	struct mnts_strbuf sb = {0};
	const char *n;
	unsigned l;

	if (m->shared_id) {
		n = name_of(e, &e->c->groups, m->shared_id, &l);
		mnts_strbuf_addf(&sb, "shared%s%s", n ? ":" : "", n ? n : "");
	}
	if (m->master_id) {
		n = name_of(e, &e->c->groups, m->master_id, &l);
		mnts_strbuf_addf(&sb, "%sslave%s%s", m->shared_id ? " " : "", n ? ":" : "",
				 n ? n : "");
	}
	if (!m->shared_id && !m->master_id)
		mnts_strbuf_addf(&sb, "private");
	return mnts_strbuf_take(&sb);
}

/* shared[:NAME] or slave[:NAME] */
static void check_group(struct eval *e, bool shared, const char *name)
{
	uint64_t key = shared ? e->m->shared_id : e->m->master_id;
	const char *word = shared ? "shared" : "slave";
	const char *other;
	unsigned line;
	char *expected;

	if (key && (!name || name_fits(e, &e->c->groups, name, key, &other, &line)))
		return;
	if (!e->report) {
		fail(e, NULL, NULL, NULL);
		return;
	}
	expected = name ? xasprintf("%s:%s", word, name) : xstrdup(word);
	if (!key)
		fail(e, "propagation", expected, prop_words(e, e->m));
	else if (other)
		fail(e, "propagation", expected,
		     xasprintf("%s:%s (the group of line %u)", word, other, line));
	else
		fail(e, "propagation", expected,
		     xasprintf("%s (of another group than %s's)", word, name));
}

static char *join_strv(const struct mnts_strv *v, const char *sep)
{
	struct mnts_strbuf sb = {0};

	for (size_t i = 0; i < v->n; i++)
		mnts_strbuf_addf(&sb, "%s%s", i ? sep : "", v->v[i]);
	return mnts_strbuf_take(&sb);
}

/* The same words, in any order (each once in the spec). */
static bool same_set(const struct mnts_strv *want, const struct mnts_strv *got)
{
	if (want->n != got->n)
		return false;
	for (size_t i = 0; i < want->n; i++)
		if (!mnts_strv_contains(got, want->v[i]))
			return false;
	return true;
}

/* "IN OUT COUNT" lines as the spec writes them: IN:OUT:COUNT,... */
static char *map_words(const struct mnts_strv *v)
{
	struct mnts_strbuf sb = {0};

	if (!v->n)
		return xstrdup("none");
	for (size_t i = 0; i < v->n; i++) {
		mnts_strbuf_addf(&sb, "%s", i ? "," : "");
		for (const char *c = v->v[i]; *c; c++)
			mnts_strbuf_addf(&sb, "%c", *c == ' ' ? ':' : *c);
	}
	return mnts_strbuf_take(&sb);
}

/* The words that state a flag set and clear (as the spec writes them). */
static const struct {
	const char *opt, *on, *off;
} flag_names[] = {
    {"ro", "ro", "rw"},		      {"nosuid", "nosuid", "suid"},
    {"nodev", "nodev", "dev"},	      {"noexec", "noexec", "exec"},
    {"noatime", "noatime", "strictatime"}, {"relatime", "relatime", "strictatime"},
    {"nodiratime", "nodiratime", "diratime"}, {"nosymfollow", "nosymfollow", "symfollow"},
};

/* m's atime mode as a word */
static const char *atime_word(const struct mnts_mount *m)
{
	if (mnts_strv_contains(&m->mount_options, "noatime"))
		return "noatime";
	if (mnts_strv_contains(&m->mount_options, "relatime"))
		return "relatime";
	return "strictatime";
}

static void check_flag(struct eval *e, const char *opt, bool on)
{
	const char *want_word = opt, *got_word = "?";

	if (mnts_strv_contains(&e->m->mount_options, opt) == on)
		return;
	if (!e->report) {
		fail(e, NULL, NULL, NULL);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(flag_names); i++)
		if (streq(flag_names[i].opt, opt)) {
			want_word = on ? flag_names[i].on : flag_names[i].off;
			got_word = on ? flag_names[i].off : flag_names[i].on;
			break;
		}
	if (streq(opt, "noatime") || streq(opt, "relatime"))
		got_word = atime_word(e->m);
	fail(e, "options", xstrdup(want_word), xstrdup(got_word));
}

/* path of the spec as the target has it (--subtree); the caller frees */
static char *target_path(const struct checker *c, const char *path)
{
	if (!c->subtree)
		return xstrdup(path);
	if (streq(path, "/"))
		return xstrdup(c->subtree);
	return xasprintf("%s%s", c->subtree, path);
}

/* a target path as the spec would write it */
static const char *spec_path(const struct checker *c, const char *path)
{
	const char *below;

	if (!c->subtree)
		return path;
	below = mnts_path_below(path, c->subtree);
	return below && *below ? below - 1 : "/";
}

static size_t lookup(const struct nsidx *x, const char *path)
{
	return strmap_get(&x->at, path, mp_key, x->ns);
}

/* bind=PATH: the mount PATH is on (longest mountpoint prefix, not m nor
 * one above it), same superblock, root = its root joined with the rest. */
static void check_bind_path(struct eval *e)
{
	_cleanup_free_ char *path = target_path(e->c, e->line->bind_path);
	_cleanup_free_ char *want_root = NULL;
	const struct mnts_mount *src = NULL;
	size_t len = strlen(path);
	char save;

	/* from PATH up: each prefix ending at a '/' (or PATH itself) */
	for (size_t end = len;; end--) {
		if (end == len || path[end] == '/' || end == 0) {
			size_t cut = end ? end : 1;

			save = path[cut];
			path[cut] = '\0';
			for (size_t i = lookup(e->x, path); i != NONE; i = e->x->next[i]) {
				const struct mnts_mount *s = &e->x->ns->mounts[i];

				if (s != e->m && !is_below(e->x, i, e->m->index))
					src = s; /* the topmost one */
			}
			path[cut] = save;
			if (src) {
				const char *rest = path + (src->mountpoint[1] ? strlen(src->mountpoint) : 0);

				want_root = streq(src->root, "/")   ? xstrdup(*rest ? rest : "/")
					    : *rest		    ? xasprintf("%s%s", src->root, rest)
									    : xstrdup(src->root);
				break;
			}
		}
		if (end == 0)
			break;
	}
	if (src && sb_key(src) == sb_key(e->m) && streq(e->m->root, want_root))
		return;
	if (!e->report) {
		fail(e, NULL, NULL, NULL);
		return;
	}
	if (!src)
		fail(e, "bind", xasprintf("bind=%s", e->line->bind_path),
		     xstrdup("no mount at that path"));
	else if (sb_key(src) != sb_key(e->m))
		fail(e, "bind", xasprintf("bind=%s", e->line->bind_path),
		     xasprintf("another superblock than %s's", spec_path(e->c, src->mountpoint)));
	else
		fail(e, "bind", xasprintf("bind=%s (root %s)", e->line->bind_path, want_root),
		     xasprintf("root %s", e->m->root));
}

static void count_superblocks(struct checker *c)
{
	if (c->counted)
		return;
	c->counted = true;
	for (size_t i = 0; i < c->snap->n_ns; i++)
		for (size_t j = 0; j < c->snap->nss[i].n_mounts; j++) {
			uint64_t k = sb_key(&c->snap->nss[i].mounts[j]);
			int n = mnts_u64map_get(&c->sb_count, k);

			mnts_u64map_put(&c->sb_count, k, n < 0 ? 1 : (n < INT32_MAX ? n + 1 : n));
		}
}

/* Every property line states, on mount m.  Stops at the first unmet one
 * unless reporting.  Returns: whether all are met. */
static bool eval_line(struct eval *e)
{
	const struct mnts_spec_mount *l = e->line;
	const struct mnts_mount *m = e->m;

#define STOP()                                                                                     \
	do {                                                                                       \
		if (!e->ok && !e->report)                                                          \
			return false;                                                              \
	} while (0)
#define FAIL(prop, exp, got) fail(e, prop, e->report ? (exp) : NULL, e->report ? (got) : NULL)

	e->ok = true;
	e->n_pend = 0;
	if (l->fstype && !streq(l->fstype, m->fstype))
		FAIL("type", xstrdup(l->fstype), xstrdup(m->fstype));
	STOP();
	if (l->source && !streq(l->source, m->source))
		FAIL("source", xstrdup(l->source), xstrdup(m->source));
	STOP();
	if (l->root && !streq(l->root, m->root))
		FAIL("root", xstrdup(l->root), xstrdup(m->root));
	STOP();
	for (size_t i = 0; i < l->flags_on.n; i++) {
		check_flag(e, l->flags_on.v[i], true);
		STOP();
	}
	for (size_t i = 0; i < l->flags_off.n; i++) {
		/* strictatime clears noatime and relatime: one word reported */
		if (streq(l->flags_off.v[i], "relatime") && i &&
		    streq(l->flags_off.v[i - 1], "noatime") &&
		    mnts_strv_contains(&m->mount_options, "noatime"))
			continue;
		check_flag(e, l->flags_off.v[i], false);
		STOP();
	}
	if (l->has_opts && !same_set(&l->opts, &m->mount_options))
		FAIL("opts", join_strv(&l->opts, ","), join_strv(&m->mount_options, ","));
	STOP();
	if (l->has_sbopts && !same_set(&l->sbopts, &m->super_options))
		FAIL("sbopts", join_strv(&l->sbopts, ","), join_strv(&m->super_options, ","));
	STOP();
	for (size_t i = 0; i < l->fsopts.n; i++) {
		const char *want = l->fsopts.v[i];
		bool has_value = strchr(want, '=') != NULL;
		size_t klen = has_value ? (size_t)(strchr(want, '=') - want) : strlen(want);
		const char *got = NULL;

		for (size_t k = 0; k < m->super_options.n && !got; k++) {
			const char *o = m->super_options.v[k];

			if (strncmp(o, want, klen) == 0 && (o[klen] == '\0' || o[klen] == '='))
				got = o;
		}
		if (!got || (has_value && !streq(got, want)))
			FAIL("fsopt", xstrdup(want),
			     got ? xstrdup(got) : xasprintf("no %.*s", (int)klen, want));
		STOP();
	}
	if (l->private_ && (m->shared_id || m->master_id))
		FAIL("propagation", xstrdup("private"), prop_words(e, m));
	STOP();
	if (l->shared)
		check_group(e, true, l->shared_name);
	STOP();
	if (l->slave)
		check_group(e, false, l->master_name);
	STOP();
	if (l->unbindable != MNTS_SPEC_UNSET && m->unbindable != (l->unbindable == MNTS_SPEC_YES))
		FAIL("propagation", xstrdup(m->unbindable ? "bindable" : "unbindable"),
		     xstrdup(m->unbindable ? "unbindable" : "bindable"));
	STOP();
	if (l->sb_name) {
		const char *other;
		unsigned ol;

		if (!name_fits(e, &e->c->sbs, l->sb_name, sb_key(m), &other, &ol))
			FAIL("sb", xasprintf("sb=%s", l->sb_name),
			     other ? xasprintf("sb=%s (the superblock of line %u)", other, ol)
				   : xasprintf("another superblock (dev %u:%u)", m->dev_major,
					       m->dev_minor));
	}
	STOP();
	if (l->bind && !l->bind_path) {
		count_superblocks(e->c);
		if (streq(m->root, "/") && mnts_u64map_get(&e->c->sb_count, sb_key(m)) <= 1)
			FAIL("bind", xstrdup("bind"),
			     xstrdup("not a bind (root /, the only mount of its superblock)"));
	}
	STOP();
	if (l->bind_path)
		check_bind_path(e);
	STOP();
	if (l->deleted != MNTS_SPEC_UNSET && m->deleted != (l->deleted == MNTS_SPEC_YES))
		FAIL("deleted", xstrdup(m->deleted ? "not deleted" : "deleted"),
		     xstrdup(m->deleted ? "deleted" : "not deleted"));
	STOP();
	if (l->nsfs_type && (!m->nsfs_type || !streq(l->nsfs_type, m->nsfs_type) ||
			     (l->nsfs_ns && (!m->nsfs_ns || !streq(l->nsfs_ns, m->nsfs_ns)))))
		FAIL("nsfs",
		     xasprintf("nsfs=%s%s%s", l->nsfs_type, l->nsfs_ns ? ":" : "",
			       l->nsfs_ns ? l->nsfs_ns : ""),
		     m->nsfs_type ? xasprintf("nsfs=%s%s%s", m->nsfs_type, m->nsfs_ns ? ":" : "",
					      m->nsfs_ns ? m->nsfs_ns : "")
				  : xstrdup("not an nsfs mount"));
	STOP();
	if (l->uid_map.n && !mnts_strv_equal(&l->uid_map, &m->uid_map))
		FAIL("uidmap", map_words(&l->uid_map), map_words(&m->uid_map));
	STOP();
	if (l->gid_map.n && !mnts_strv_equal(&l->gid_map, &m->gid_map))
		FAIL("gidmap", map_words(&l->gid_map), map_words(&m->gid_map));
#undef STOP
#undef FAIL
	return e->ok;
}

static void commit_names(struct eval *e)
{
	for (size_t k = 0; k < e->n_pend; k++)
		names_add(e->pend[k].t, e->pend[k].name, e->pend[k].key, e->line->line);
	e->n_pend = 0;
}

/* The namespace attributes of a [LABEL] section. */
static void check_ns_attrs(struct checker *c, const struct mnts_spec_ns *sns,
			   const struct mnts_ns *ns)
{
	_cleanup_free_ char *where = xasprintf("[%s]", sns->label);

	if (sns->owner_initial != MNTS_SPEC_UNSET &&
	    (!ns->owner.known || ns->owner.initial != (sns->owner_initial == MNTS_SPEC_YES)))
		add_item(c, sns->line, where, "userns",
			 xstrdup(sns->owner_initial == MNTS_SPEC_YES ? "initial" : "child"),
			 xstrdup(!ns->owner.known ? "unknown"
				 : ns->owner.initial ? "initial"
						     : "child"));
	if (sns->owner_uid_map.n && !mnts_strv_equal(&sns->owner_uid_map, &ns->owner.uid_map))
		add_item(c, sns->line, where, "uidmap", map_words(&sns->owner_uid_map),
			 map_words(&ns->owner.uid_map));
	if (sns->owner_gid_map.n && !mnts_strv_equal(&sns->owner_gid_map, &ns->owner.gid_map))
		add_item(c, sns->line, where, "gidmap", map_words(&sns->owner_gid_map),
			 map_words(&ns->owner.gid_map));
}

/* An unmatched mount at or below a line with `exact` (or anywhere in an
 * exact section): one item each, under the first such line. */
static void report_extra(struct checker *c, struct nsidx *x, size_t from, size_t to,
			 unsigned line, const char *where, bool *reported)
{
	for (size_t k = from; k <= to && k != NONE; k++) {
		size_t i = x->order[k];
		const struct mnts_mount *m = &x->ns->mounts[i];

		if (x->line_of[i] || reported[i])
			continue;
		if (c->subtree && !mnts_path_at_or_below(m->mountpoint, c->subtree))
			continue;
		reported[i] = true;
		add_item(c, line, where, "exact", xstrdup("no other mount"),
			 xasprintf("%s %s", spec_path(c, m->mountpoint), m->fstype));
	}
}

/* What the lines of a section have come to. */
enum line_state { L_PENDING, L_MATCHED, L_FAILED };

struct section {
	struct checker *c;
	const struct mnts_spec_ns *sns;
	struct nsidx x;
	size_t *matched;	/* the mount of each matched line */
	unsigned char *state; /* enum line_state of each line */
	size_t guess;	      /* the mount after the one matched last */
};

/* The lowest mount at a line's path, as lookup() finds it, trying first
 * the mount after the one matched last: a target built from the layout
 * the spec was written of (a replayed copy) holds its mounts in the
 * spec's order, and the guess, right, costs one comparison of strings
 * read in order where the map costs a hash and reads at random (at 50,000
 * mounts of a deep tree, most of checking). */
static size_t lookup_line(const struct section *s, const char *path)
{
	const struct nsidx *x = &s->x;

	if (s->guess < x->ns->n_mounts && streq(x->ns->mounts[s->guess].mountpoint, path))
		return x->head[s->guess];
	return lookup(x, path);
}

/* Decides line li if it can be: it waits while its enclosing line does,
 * and (unless force) while it has several candidates and would bind a
 * name on the first: a line with one candidate, matched first, may bind
 * that name to the right group (a full spec with lines deleted, where
 * stacked mounts differ only in their groups).  Returns: whether decided. */
static bool decide_line(struct section *s, size_t li, bool force)
{
	const struct mnts_spec_mount *l = &s->sns->mounts[li];
	const struct nsidx *x = &s->x;
	size_t anc = NONE, top = NONE, taken = NONE, first = NONE, n_viable = 0;
	bool first_binds = false;
	struct eval e = {.c = s->c, .x = x, .line = l};
	_cleanup_free_ char *path = NULL;

	if (l->ancestor != MNTS_SPEC_NO_ANCESTOR) {
		if (s->state[l->ancestor] == L_PENDING)
			return false;
		if (s->state[l->ancestor] == L_MATCHED)
			anc = s->matched[l->ancestor];
	}
	path = target_path(s->c, l->mountpoint);
	for (size_t i = lookup_line(s, path); i != NONE; i = x->next[i]) {
		if (anc != NONE && !is_below(x, i, anc))
			continue;
		if (x->line_of[i]) {
			taken = i;
			continue;
		}
		top = i;
		if (first != NONE && (force || !first_binds || n_viable > 1))
			continue; /* decided already: only top is wanted */
		e.m = &x->ns->mounts[i];
		if (!eval_line(&e))
			continue;
		if (n_viable++ == 0) {
			first = i;
			first_binds = e.n_pend > 0;
		}
	}
	if (n_viable > 1 && first_binds && !force)
		return false;
	if (first != NONE) {
		/* its names again (the last candidate tried left its own) */
		e.m = &x->ns->mounts[first];
		eval_line(&e);
		commit_names(&e);
		s->matched[li] = first;
		s->state[li] = L_MATCHED;
		s->x.line_of[first] = li + 1;
		s->guess = first + 1;
		return true;
	}
	s->state[li] = L_FAILED;
	if (top != NONE) {
		e.m = &x->ns->mounts[top];
		e.report = true;
		eval_line(&e);
	} else if (taken != NONE) {
		add_item(s->c, l->line, l->mountpoint, "mount", xstrdup("another mount here"),
			 xasprintf("none (the one here matches line %u)",
				   s->sns->mounts[x->line_of[taken] - 1].line));
	} else {
		add_item(s->c, l->line, l->mountpoint, "mount", xstrdup("a mount"),
			 xstrdup(anc != NONE ? "none below the enclosing line's mount" : "none"));
	}
	return true;
}

static void check_section(struct checker *c, const struct mnts_spec_ns *sns,
			  const struct mnts_ns *ns)
{
	size_t n = sns->n_mounts ? sns->n_mounts : 1, n_pending = sns->n_mounts;
	_cleanup_free_ size_t *matched = xmalloc(n * sizeof(*matched));
	_cleanup_free_ unsigned char *state = xcalloc(n, sizeof(*state));
	_cleanup_free_ size_t *pending = xmalloc(n * sizeof(*pending));
	_cleanup_free_ bool *reported = NULL;
	struct section s = {.c = c, .sns = sns, .matched = matched, .state = state};
	struct nsidx *xp = &s.x;
	bool any_exact = sns->exact;

	if (sns->label)
		check_ns_attrs(c, sns, ns);
	nsidx_build(xp, ns);
	for (size_t li = 0; li < sns->n_mounts; li++) {
		matched[li] = NONE;
		pending[li] = li;
		any_exact |= sns->mounts[li].exact;
	}
	/* passes in file order while they decide something; one that decides
	 * nothing forces the first pending line (its enclosing line, above it,
	 * is decided).  In a spec where every line has one candidate, one
	 * pass.  After a few forced rounds the rest is matched greedily in
	 * one pass, in file order: never quadratic. */
	for (unsigned forced = 0; n_pending;) {
		size_t w = 0;
		bool progress = false, force = forced > 8;

		for (size_t k = 0; k < n_pending; k++) {
			if (decide_line(&s, pending[k], force))
				progress = true;
			else
				pending[w++] = pending[k];
		}
		n_pending = w;
		if (!progress && n_pending) {
			decide_line(&s, pending[0], true);
			memmove(pending, pending + 1, --n_pending * sizeof(*pending));
			forced++;
		}
	}
	if (any_exact && xp->n_order) {
		reported = xcalloc(ns->n_mounts, sizeof(*reported));
		for (size_t li = 0; li < sns->n_mounts; li++) {
			size_t i = matched[li];

			if (sns->mounts[li].exact && i != NONE)
				report_extra(c, xp, xp->tin[i], xp->tout[i], sns->mounts[li].line,
					     sns->mounts[li].mountpoint, reported);
		}
		if (sns->exact) {
			_cleanup_free_ char *where = xasprintf("[%s]", sns->label);

			report_extra(c, xp, 0, xp->n_order - 1, sns->line, where, reported);
		}
	}
	nsidx_free(xp);
}

static int item_cmp(const void *a, const void *b)
{
	const struct mnts_check_item *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

int mnts_check(const struct mnts_spec *spec, const struct mnts_snapshot *snap,
	       const struct mnts_check_opts *opts, struct mnts_check_result *res,
	       struct mnts_error *err)
{
	static const struct mnts_check_opts no_opts;
	struct checker c = {.spec = spec, .snap = snap, .res = res};
	const struct mnts_ns **target;

	if (!opts)
		opts = &no_opts;
	*res = (struct mnts_check_result){.file = xstrdup(spec->file ? spec->file : "-")};
	if (opts->subtree && !streq(opts->subtree, "/"))
		c.subtree = opts->subtree;
	target = xcalloc(spec->n_ns ? spec->n_ns : 1, sizeof(*target));
	/* which namespace each section means, before anything is checked */
	for (size_t i = 0; i < spec->n_ns; i++) {
		const struct mnts_spec_ns *sns = &spec->ns[i];

		if (!sns->label) {
			if (opts->ns_label) {
				target[i] = mnts_snapshot_find_ns(snap, opts->ns_label);
				if (!target[i]) {
					free(target);
					return mnts_err(err, 0, "--ns '%s': no such namespace in the target",
							opts->ns_label);
				}
			} else if (snap->n_ns == 1) {
				target[i] = &snap->nss[0];
			} else {
				free(target);
				return mnts_err(err, 0,
						"%s: the target has %zu namespaces: name the one the "
						"lines outside sections describe with --ns LABEL",
						res->file, snap->n_ns);
			}
			continue;
		}
		target[i] = mnts_snapshot_find_ns(snap, sns->label);
		if (!target[i] && opts->live) {
			free(target);
			return mnts_err(err, 0,
					"%s:%u:1: section: '[%s]': a live target has one namespace, "
					"unlabelled (name it with --ns %s)",
					res->file, sns->line, sns->label, sns->label);
		}
	}
	for (size_t i = 0; i < spec->n_ns; i++) {
		if (target[i]) {
			check_section(&c, &spec->ns[i], target[i]);
			continue;
		}
		_cleanup_free_ char *where = xasprintf("[%s]", spec->ns[i].label);

		add_item(&c, spec->ns[i].line, where, "namespace",
			 xasprintf("a namespace labelled '%s'", spec->ns[i].label),
			 xstrdup("none"));
	}
	free(target);
	for (size_t i = 0; i < res->n; i++)
		res->items[i].seq = i;
	if (res->n > 1) /* items is NULL when there is none */
		qsort(res->items, res->n, sizeof(*res->items), item_cmp);
	names_free(&c.groups);
	names_free(&c.sbs);
	mnts_u64map_free(&c.sb_count);
	return 0;
}

void mnts_check_result_free(struct mnts_check_result *res)
{
	for (size_t i = 0; i < res->n; i++) {
		free(res->items[i].mountpoint);
		free(res->items[i].expected);
		free(res->items[i].found);
	}
	free(res->items);
	free(res->file);
	*res = (struct mnts_check_result){0};
}

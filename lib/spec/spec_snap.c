/* spec_snap.c - a parsed spec as a snapshot (see spec_snap.h).
 *
 * Three steps: each line's parent (its enclosing line, or the deepest line
 * whose mountpoint is a prefix of its own: SPEC.md §3), each line's
 * superblock and root (bind=PATH, sb=NAME, a group's superblock, or a new
 * one), then the model in tree order, linked. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "lib/core/macros.h"
#include "lib/core/path.h"
#include "lib/core/u64map.h"
#include "lib/spec/spec_snap.h"
#include "lib/spec/strmap.h"

enum { TODO = 0, BUSY, DONE };

/* The longest chain of lines that take their superblock from the next
 * (bind=PATH, a group's): resolve() recurses along it. */
#define MAX_CHAIN 4096

struct line {
	const struct mnts_spec_mount *sm; /* NULL: a root no line states */
	size_t ns;
	const char *mountpoint;
	int parent; /* index in lines, -1 for a namespace's root */
	int state;  /* of the superblock's resolution */
	int sb;
	char *root;
	const char *source;
	size_t model; /* its index in the namespace's mounts */
};

struct sb {
	const char *name; /* sb=NAME, or NULL */
	const char *fstype;
	const struct mnts_strv *options; /* stated sbopts, or NULL: the defaults */
	const struct mnts_strv *fsopts;
	int line; /* the line that made it */
};

struct group {
	const char *name;
	int anchor; /* the first line that is a member (shared:NAME), or -1 */
	int first;  /* the first line that names it */
	uint64_t id;
};

struct conv {
	const struct mnts_spec *spec;
	struct mnts_error *err;
	unsigned depth; /* of resolve()'s recursion */
	struct spec_strmap *by_mp; /* per section: mountpoint -> its last line */
	int *prev_same;	 /* per line: the line before it at its mountpoint, or -1 */
	struct line *lines;
	size_t n_lines;
	size_t *ns_first, *ns_root; /* per section: first line, root line */
	struct sb *sbs;
	size_t n_sbs;
	int nsfs_sb; /* the one nsfs superblock, or -1 */
	struct spec_strmap sb_names; /* sb=NAME -> index in sbs */
	struct group *groups;
	size_t n_groups;
	struct spec_strmap group_names;
	uint64_t next_group_id;
	char **labels; /* per section */
};

static const char *file_of(const struct conv *c)
{
	return c->spec->file ? c->spec->file : "-";
}

/* The line number of line l, 0 for a root no line states. */
static unsigned lineno(const struct conv *c, size_t l)
{
	return c->lines[l].sm ? c->lines[l].sm->line : 0;
}

#define line_err(c, l, fmt, ...)                                                                   \
	mnts_err((c)->err, 0, "%s:%u: " fmt, file_of(c), (c)->lines[l].sm->line, ##__VA_ARGS__)

static int group_of(struct conv *c, const char *name)
{
	int g = spec_strmap_get(&c->group_names, name, strlen(name));

	if (g >= 0)
		return g;
	c->groups = xreallocarray(c->groups, c->n_groups + 1, sizeof(*c->groups));
	c->groups[c->n_groups] = (struct group){
	    .name = name, .anchor = -1, .first = -1, .id = ++c->next_group_id};
	spec_strmap_put(&c->group_names, name, strlen(name), (int)c->n_groups);
	return (int)c->n_groups++;
}

/* Labels: a section's own, or for the default section "ns0" unless a
 * section has that name ("ns1", ...). */
static int choose_labels(struct conv *c)
{
	const struct mnts_spec *spec = c->spec;

	c->labels = xcalloc(spec->n_ns + 1, sizeof(*c->labels));
	for (size_t n = 0; n < spec->n_ns; n++) {
		if (spec->ns[n].label) {
			c->labels[n] = xstrdup(spec->ns[n].label);
			continue;
		}
		for (unsigned k = 0;; k++) {
			char *l = xasprintf("ns%u", k);
			bool taken = false;

			for (size_t o = 0; o < spec->n_ns; o++)
				taken |= spec->ns[o].label && streq(spec->ns[o].label, l);
			if (!taken) {
				c->labels[n] = l;
				break;
			}
			free(l);
		}
	}
	return 0;
}

/* The line before i whose mountpoint is mp[0..len-1] (the last one), else
 * the first after it; or -1. */
static int line_at(const struct spec_strmap *last, const struct spec_strmap *first,
		   const char *mp, size_t len, bool only_before)
{
	int l = spec_strmap_get(last, mp, len);

	if (l >= 0 || only_before)
		return l;
	return spec_strmap_get(first, mp, len);
}

/* Parents of one section's lines (SPEC.md §3), in file order. */
static int link_section(struct conv *c, size_t n)
{
	const struct mnts_spec_ns *sns = &c->spec->ns[n];
	size_t base = c->ns_first[n], root = c->ns_root[n];
	struct spec_strmap first = {0}, last = {0}, stack = {0};
	struct mnts_strv keys = {0};
	int r = 0;

	for (size_t i = 0; i < sns->n_mounts; i++) {
		const char *mp = sns->mounts[i].mountpoint;

		if (spec_strmap_get(&first, mp, strlen(mp)) < 0)
			spec_strmap_put(&first, mp, strlen(mp), (int)(base + i));
	}
	for (size_t i = 0; i < sns->n_mounts && r >= 0; i++) {
		const struct mnts_spec_mount *sm = &sns->mounts[i];
		struct line *ln = &c->lines[base + i];
		const char *mp = sm->mountpoint;
		size_t len = strlen(mp);
		int p = -1;

		if (base + i == root) {
			ln->parent = -1;
			spec_strmap_put(&last, mp, len, (int)(base + i));
			continue;
		}
		if (sm->ancestor != MNTS_SPEC_NO_ANCESTOR) {
			p = (int)(base + sm->ancestor);
			if (!mnts_path_at_or_below(mp, c->lines[p].mountpoint)) {
				r = line_err(c, base + i, "'%s' is not at or below '%s' (line %u)", mp,
					     c->lines[p].mountpoint, lineno(c, p));
				break;
			}
		} else {
			/* the deepest line at a prefix: at the same path only one
			 * above (a stack), at a shorter one any */
			p = line_at(&last, &first, mp, len, true);
			for (size_t k = len; p < 0 && k > 1;) {
				while (k > 1 && mp[k - 1] != '/')
					k--;
				k = k > 1 ? k - 1 : 1;
				p = line_at(&last, &first, mp, k, false);
				if (k == 1)
					break;
			}
			if (p < 0)
				p = (int)root;
		}
		/* on a path where the parent has a child already: on top of it */
		for (;;) {
			char *key = xasprintf("%d/%s", p, mp);
			int top = spec_strmap_get(&stack, key, strlen(key));

			if (top < 0) {
				mnts_strv_push_take(&keys, key);
				spec_strmap_put(&stack, key, strlen(key), (int)(base + i));
				break;
			}
			free(key);
			p = top;
		}
		ln->parent = p;
		spec_strmap_put(&last, mp, len, (int)(base + i));
	}
	spec_strmap_free(&first);
	spec_strmap_free(&last);
	spec_strmap_free(&stack);
	mnts_strv_clear(&keys);
	return r;
}

static int new_sb(struct conv *c, int l, const char *fstype)
{
	const struct mnts_spec_mount *sm = c->lines[l].sm;

	c->sbs = xreallocarray(c->sbs, c->n_sbs + 1, sizeof(*c->sbs));
	c->sbs[c->n_sbs] = (struct sb){
	    .fstype = fstype,
	    .options = sm && sm->has_sbopts ? &sm->sbopts : NULL,
	    .fsopts = sm ? &sm->fsopts : NULL,
	    .line = l,
	};
	return (int)c->n_sbs++;
}

static bool is_descendant(const struct conv *c, int l, int of)
{
	/* bounded: on a cycle of parents (refused after) too */
	size_t steps = 0;

	for (int p = l; p >= 0 && steps <= c->n_lines; p = c->lines[p].parent, steps++)
		if (p == of)
			return true;
	return false;
}

/* The line visible at path for line l's bind=: the longest mountpoint that
 * is a prefix of path, not l nor a mount above it; the last in file order
 * of those at one path.  -1: none (then the root). */
static int visible_at(const struct conv *c, int l, const char *path)
{
	const struct spec_strmap *map = &c->by_mp[c->lines[l].ns];

	for (size_t k = strlen(path);;) {
		for (int j = spec_strmap_get(map, path, k); j >= 0; j = c->prev_same[j])
			if (j != l && !is_descendant(c, j, l))
				return j;
		if (k == 1)
			return -1;
		while (k > 1 && path[k - 1] != '/')
			k--;
		k = k > 1 ? k - 1 : 1;
	}
}

static char *join_root(const char *root, const char *below)
{
	if (!*below)
		return xstrdup(root);
	if (streq(root, "/"))
		return xasprintf("/%s", below);
	return xasprintf("%s/%s", root, below);
}

static int resolve(struct conv *c, int l);

/* l takes the superblock of line t, its root and source (a bind of it). */
static int take_from(struct conv *c, int l, int t, const char *below)
{
	struct line *ln = &c->lines[l];
	int r;

	c->depth++;
	r = resolve(c, t);
	c->depth--;
	if (r < 0)
		return r;
	ln->sb = c->lines[t].sb;
	if (!ln->root)
		ln->root = join_root(c->lines[t].root, below);
	if (!ln->source)
		ln->source = c->lines[t].source;
	return 0;
}

static const char *default_source(const char *fstype)
{
	return streq(fstype, "tmpfs") ? "tmpfs" : "none";
}

/* The superblock, root and source of line l (recursive: bind=PATH and a
 * group name point to other lines). */
static int resolve(struct conv *c, int l)
{
	struct line *ln = &c->lines[l];
	const struct mnts_spec_mount *sm = ln->sm;
	int named = -1, g = -1, r = 0;

	if (ln->state == DONE)
		return 0;
	if (c->depth >= MAX_CHAIN)
		return line_err(c, l, "more than %d lines, each bound from or joining the next",
				MAX_CHAIN);
	if (ln->state == BUSY && sm->bind_path)
		return line_err(c, l, "bind=%s: a cycle of binds", sm->bind_path);
	if (ln->state == BUSY)
		return line_err(c, l, "'%s': its superblock is that of a group it is a slave of, "
				      "itself a slave of this one's: a cycle of masters",
				sm->mountpoint);
	ln->state = BUSY;
	ln->sb = -1;
	if (sm && sm->root)
		ln->root = xstrdup(sm->root);
	if (sm && sm->source)
		ln->source = sm->source;
	if (sm && sm->sb_name)
		named = spec_strmap_get(&c->sb_names, sm->sb_name, strlen(sm->sb_name));
	if (sm && sm->shared_name)
		g = group_of(c, sm->shared_name);
	if (g >= 0 && c->groups[g].anchor == l)
		g = -1; /* the group's first member: the others join it */
	if (g < 0 && sm && sm->master_name) {
		g = group_of(c, sm->master_name);
		if (c->groups[g].anchor < 0 || c->groups[g].anchor == l)
			g = -1; /* a master outside the spec: nothing to join */
	}

	if (!sm) {
		ln->sb = new_sb(c, l, "tmpfs");
	} else if (sm->nsfs_type) {
		if (c->nsfs_sb < 0)
			c->nsfs_sb = new_sb(c, l, "nsfs");
		ln->sb = c->nsfs_sb;
		if (!ln->root)
			ln->root = xstrdup("/");
		if (!ln->source)
			ln->source = "nsfs";
	} else if (sm->bind_path) {
		int t = visible_at(c, l, sm->bind_path);
		_cleanup_free_ char *root = sm->root ? xstrdup(sm->root) : NULL;

		if (t < 0)
			t = (int)c->ns_root[ln->ns];
		if (!c->lines[t].sm)
			return line_err(c, l, "bind=%s: no line of the spec is a mount at or above "
					      "'%s'",
					sm->bind_path, sm->bind_path);
		free(ln->root);
		ln->root = NULL;
		r = take_from(c, l, t, mnts_path_below(sm->bind_path, c->lines[t].mountpoint));
		if (r >= 0 && root && !streq(root, ln->root))
			r = line_err(c, l, "root=%s: bind=%s has root '%s'", root, sm->bind_path,
				     ln->root);
	} else if (named >= 0) {
		ln->sb = named;
	} else if (sm->sb_name) {
		/* a name of its own: another superblock than any other name's */
		ln->sb = new_sb(c, l, sm->fstype ? sm->fstype : "tmpfs");
	} else if (g >= 0) {
		r = take_from(c, l, c->groups[g].anchor, "");
	} else if (sm->bind && !sm->root) {
		r = line_err(c, l, "bind: bound from where? give bind=PATH, sb=NAME or root=PATH "
				   "to replay it");
	} else {
		ln->sb = new_sb(c, l, sm->fstype ? sm->fstype : "tmpfs");
	}
	if (r < 0)
		return r;
	if (!ln->root)
		ln->root = xstrdup("/");
	if (!ln->source)
		ln->source = default_source(c->sbs[ln->sb].fstype);
	if (sm && sm->sb_name) {
		if (named < 0 && c->sbs[ln->sb].name)
			return line_err(c, l, "sb=%s: this mount is on superblock %s (line %u)",
					sm->sb_name, c->sbs[ln->sb].name,
					lineno(c, c->sbs[ln->sb].line));
		if (named < 0) {
			spec_strmap_put(&c->sb_names, sm->sb_name, strlen(sm->sb_name), ln->sb);
			c->sbs[ln->sb].name = sm->sb_name;
		} else if (named != ln->sb)
			return line_err(c, l, "sb=%s: this mount is on the superblock of line %u, "
					      "not on that of sb=%s (line %u)",
					sm->sb_name, lineno(c, c->sbs[ln->sb].line),
					sm->sb_name, lineno(c, c->sbs[named].line));
	}
	if (sm && sm->fstype && !streq(sm->fstype, c->sbs[ln->sb].fstype))
		return line_err(c, l, "type %s: on the %s superblock of line %u", sm->fstype,
				c->sbs[ln->sb].fstype, lineno(c, c->sbs[ln->sb].line));
	if (sm && sm->has_sbopts && c->sbs[ln->sb].options != &sm->sbopts) {
		if (!c->sbs[ln->sb].options)
			c->sbs[ln->sb].options = &sm->sbopts;
		else if (!mnts_strv_equal(c->sbs[ln->sb].options, &sm->sbopts))
			return line_err(c, l, "sbopts: differ from those of its superblock "
					      "(line %u)",
					lineno(c, c->sbs[ln->sb].line));
	}
	ln->state = DONE;
	return 0;
}

/* Peers are on one superblock, and so is a slave with its master group. */
static int check_groups(struct conv *c)
{
	for (size_t l = 0; l < c->n_lines; l++) {
		const struct mnts_spec_mount *sm = c->lines[l].sm;
		int g;

		if (!sm)
			continue;
		if (sm->shared_name) {
			g = group_of(c, sm->shared_name);
			if (c->lines[c->groups[g].anchor].sb != c->lines[l].sb)
				return line_err(c, l,
						"shared:%s: on another superblock than its peer on line "
						"%u (peers share one)",
						sm->shared_name, lineno(c, c->groups[g].anchor));
		}
		if (sm->master_name) {
			g = group_of(c, sm->master_name);
			if (c->groups[g].anchor >= 0 &&
			    c->lines[c->groups[g].anchor].sb != c->lines[l].sb)
				return line_err(
				    c, l,
				    "slave:%s: on another superblock than its master on line %u (a "
				    "slave is a copy of a member of its master group)",
				    sm->master_name, lineno(c, c->groups[g].anchor));
		}
	}
	return 0;
}

static void fill_options(struct mnts_mount *m, const struct mnts_spec_mount *sm,
			 struct mnts_snapshot *snap)
{
	uint64_t attr = MOUNT_ATTR_RELATIME;

	if (sm && sm->has_opts) {
		mnts_strv_push_n(&m->mount_options, (const char *const *)sm->opts.v, sm->opts.n,
				 snap);
		return;
	}
	if (sm) {
		const struct mnts_strv *sets[2] = {&sm->flags_on, &sm->flags_off};

		for (int on = 0; on < 2; on++)
			for (size_t i = 0; i < sets[on]->n; i++) {
				struct mnts_strv one = {.v = &sets[on]->v[i], .n = 1};
				uint64_t bit = mnts_mount_attr_from_options(&one);
				const char *w = sets[on]->v[i];

				if (streq(w, "noatime") || streq(w, "relatime")) {
					attr &= ~(uint64_t)MOUNT_ATTR__ATIME;
					attr |= on == 0 ? bit & MOUNT_ATTR__ATIME
							: MOUNT_ATTR_STRICTATIME;
				} else if (on == 0) {
					attr |= bit & ~(uint64_t)MOUNT_ATTR__ATIME;
				} else {
					attr &= ~(bit & ~(uint64_t)MOUNT_ATTR__ATIME);
				}
			}
		if (sm->uid_map.n || sm->gid_map.n)
			attr |= MOUNT_ATTR_IDMAP;
	}
	mnts_options_from_mount_attr_in(&m->mount_options, attr, snap);
}

static void fill_super_options(struct mnts_mount *m, const struct sb *sb,
			       struct mnts_snapshot *snap)
{
	if (sb->options) {
		mnts_strv_push_n(&m->super_options, (const char *const *)sb->options->v,
				 sb->options->n, snap);
		return;
	}
	/* none stated: none recorded, so that the verification of a replay
	 * takes whatever the kernel's defaults are (lib/compare/fields.c) */
	if (!sb->fsopts || !sb->fsopts->n)
		return;
	if (!mnts_strv_contains(sb->fsopts, "ro"))
		mnts_strv_push_take(&m->super_options, mnts_snapshot_strndup(snap, "rw", 2));
	if (sb->fsopts)
		mnts_strv_push_n(&m->super_options, (const char *const *)sb->fsopts->v,
				 sb->fsopts->n, snap);
}

static uint64_t group_id(struct conv *c, const char *name)
{
	return c->groups[group_of(c, name)].id;
}

static char *pool_str(struct mnts_snapshot *snap, const char *s)
{
	return s ? mnts_snapshot_strndup(snap, s, strlen(s)) : NULL;
}

static int fill_mount(struct conv *c, struct mnts_snapshot *snap, struct mnts_ns *ns, size_t l,
		      size_t index)
{
	const struct line *ln = &c->lines[l];
	const struct mnts_spec_mount *sm = ln->sm;
	const struct sb *sb = &c->sbs[ln->sb];
	struct mnts_mount *m = mnts_ns_add_mount(ns);

	m->id = m->mnt_id = 1000 + index;
	m->parent_id = ln->parent < 0 ? 0 : 1000 + c->lines[ln->parent].model;
	m->dev_major = 0;
	m->dev_minor = MNTS_SPEC_DEV_MINOR_BASE + (uint32_t)ln->sb;
	m->root = pool_str(snap, ln->root);
	m->mountpoint = pool_str(snap, ln->mountpoint);
	m->fstype = pool_str(snap, sb->fstype);
	m->source = pool_str(snap, ln->source);
	fill_options(m, sm, snap);
	fill_super_options(m, sb, snap);
	if (!sm)
		return 0;
	if (sm->shared)
		m->shared_id = sm->shared_name ? group_id(c, sm->shared_name) : ++c->next_group_id;
	if (sm->slave)
		m->master_id = sm->master_name ? group_id(c, sm->master_name) : ++c->next_group_id;
	m->unbindable = sm->unbindable == MNTS_SPEC_YES;
	m->deleted = sm->deleted == MNTS_SPEC_YES;
	if (sm->nsfs_type) {
		m->nsfs_type = pool_str(snap, sm->nsfs_type);
		m->nsfs_ino = 0xF0000000u + l;
		if (sm->nsfs_ns) {
			size_t k;

			for (k = 0; k < c->spec->n_ns; k++)
				if (streq(c->labels[k], sm->nsfs_ns))
					break;
			if (k == c->spec->n_ns)
				return line_err(c, l, "nsfs=%s:%s: no section [%s] in the spec",
						sm->nsfs_type, sm->nsfs_ns, sm->nsfs_ns);
			m->nsfs_ns = pool_str(snap, c->labels[k]);
		}
	}
	mnts_strv_push_n(&m->uid_map, (const char *const *)sm->uid_map.v, sm->uid_map.n, snap);
	mnts_strv_push_n(&m->gid_map, (const char *const *)sm->gid_map.v, sm->gid_map.n, snap);
	return 0;
}

/* One section's mounts in tree order: parents before children, children
 * in file order. */
static int build_ns(struct conv *c, struct mnts_snapshot *snap, size_t n)
{
	const struct mnts_spec_ns *sns = &c->spec->ns[n];
	size_t first = c->ns_first[n], end = c->ns_first[n + 1], cnt = end - first;
	_cleanup_free_ size_t *n_kids = xcalloc(cnt + 1, sizeof(size_t));
	_cleanup_free_ size_t *off = xcalloc(cnt + 2, sizeof(size_t));
	_cleanup_free_ size_t *kids = xcalloc(cnt + 1, sizeof(size_t));
	_cleanup_free_ size_t *stack = xcalloc(cnt + 1, sizeof(size_t));
	size_t sp = 0, done = 0;
	struct mnts_ns *ns = mnts_snapshot_add_ns(snap, c->labels[n]);
	int r = 0;

	if (sns->owner_initial != MNTS_SPEC_UNSET) {
		ns->owner.known = true;
		ns->owner.initial = sns->owner_initial == MNTS_SPEC_YES;
		mnts_strv_push_n(&ns->owner.uid_map, (const char *const *)sns->owner_uid_map.v,
				 sns->owner_uid_map.n, snap);
		mnts_strv_push_n(&ns->owner.gid_map, (const char *const *)sns->owner_gid_map.v,
				 sns->owner_gid_map.n, snap);
		/* the initial user namespace's maps, as capture reads them */
		if (ns->owner.initial && !sns->has_owner_maps) {
			static const char *const all[] = {"0 0 4294967295"};

			mnts_strv_push_n(&ns->owner.uid_map, all, 1, snap);
			mnts_strv_push_n(&ns->owner.gid_map, all, 1, snap);
		}
	}
	for (size_t i = first; i < end; i++)
		if (c->lines[i].parent >= 0)
			off[c->lines[i].parent - first + 2]++;
	for (size_t i = 0; i < cnt; i++)
		off[i + 2] += off[i + 1];
	for (size_t i = first; i < end; i++)
		if (c->lines[i].parent >= 0)
			kids[off[c->lines[i].parent - first + 1]++] = i;
	/* off[k] is now where k's children start, off[k + 1] where they end */
	stack[sp++] = c->ns_root[n];
	while (sp && r >= 0) {
		size_t l = stack[--sp], k = l - first;

		c->lines[l].model = done;
		r = fill_mount(c, snap, ns, l, done);
		ns = &snap->nss[n];
		done++;
		for (size_t j = off[k + 1]; j-- > off[k];)
			stack[sp++] = kids[j];
	}
	if (r < 0)
		return r;
	if (done != cnt) {
		/* a line left out is on a cycle: its parent chain never reaches the root */
		for (size_t i = first; i < end; i++)
			if (c->lines[i].sm && !is_descendant(c, (int)i, (int)c->ns_root[n]))
				return line_err(c, i, "'%s': its enclosing lines form a cycle",
						c->lines[i].mountpoint);
	}
	ns->root_mount = 1000;
	return 0;
}

static void add_pins(struct mnts_snapshot *snap)
{
	for (size_t n = 0; n < snap->n_ns; n++)
		for (size_t i = 0; i < snap->nss[n].n_mounts; i++) {
			const struct mnts_mount *m = &snap->nss[n].mounts[i];
			struct mnts_ns *pinned;

			if (!m->nsfs_ns)
				continue;
			pinned = NULL;
			for (size_t k = 0; k < snap->n_ns; k++)
				if (streq(snap->nss[k].label, m->nsfs_ns))
					pinned = &snap->nss[k];
			if (pinned)
				mnts_ns_add_pin(pinned, snap->nss[n].label, m->mountpoint);
		}
}

/* propagate_from, as the kernel shows it (fs/pnode.c get_dominating_id):
 * for a slave, the first group up its chain of masters with a member in
 * its namespace, when that is not its master itself. */
static void add_propagate_from(struct mnts_snapshot *snap, uint64_t n_groups)
{
	_cleanup_free_ uint64_t *master = xcalloc(n_groups + 1, sizeof(*master));
	struct mnts_u64map here = {0}; /* group << 24 | namespace: a member there */

	for (size_t n = 0; n < snap->n_ns; n++)
		for (size_t i = 0; i < snap->nss[n].n_mounts; i++) {
			const struct mnts_mount *m = &snap->nss[n].mounts[i];

			if (!m->shared_id)
				continue;
			master[m->shared_id] = m->master_id;
			mnts_u64map_put(&here, m->shared_id << 24 | n, 1);
		}
	for (size_t n = 0; n < snap->n_ns; n++)
		for (size_t i = 0; i < snap->nss[n].n_mounts; i++) {
			struct mnts_mount *m = &snap->nss[n].mounts[i];
			uint64_t g = m->master_id;

			/* at most one step per group: the master graph may have a
			 * cycle here (link refuses it) */
			for (uint64_t steps = 0; g && steps <= n_groups; steps++) {
				if (mnts_u64map_get(&here, g << 24 | n) >= 0)
					break;
				g = master[g];
			}
			if (g && g != m->master_id && mnts_u64map_get(&here, g << 24 | n) >= 0)
				m->propagate_from = g;
		}
	mnts_u64map_free(&here);
}

static int convert(struct conv *c, struct mnts_snapshot *snap)
{
	const struct mnts_spec *spec = c->spec;
	size_t total = 0;
	int r;

	for (size_t n = 0; n < spec->n_ns; n++)
		total += spec->ns[n].n_mounts + 1;
	c->lines = xcalloc(total + 1, sizeof(*c->lines));
	c->prev_same = xcalloc(total + 1, sizeof(*c->prev_same));
	c->by_mp = xcalloc(spec->n_ns + 1, sizeof(*c->by_mp));
	c->ns_first = xcalloc(spec->n_ns + 1, sizeof(size_t));
	c->ns_root = xcalloc(spec->n_ns + 1, sizeof(size_t));
	c->nsfs_sb = -1;
	choose_labels(c);
	for (size_t n = 0; n < spec->n_ns; n++) {
		const struct mnts_spec_ns *sns = &spec->ns[n];
		bool have_root = false;

		c->ns_first[n] = c->n_lines;
		for (size_t i = 0; i < sns->n_mounts; i++) {
			const struct mnts_spec_mount *sm = &sns->mounts[i];

			c->lines[c->n_lines] = (struct line){
			    .sm = sm, .ns = n, .mountpoint = sm->mountpoint, .parent = -1};
			if (!have_root && streq(sm->mountpoint, "/") &&
			    sm->ancestor == MNTS_SPEC_NO_ANCESTOR) {
				c->ns_root[n] = c->n_lines;
				have_root = true;
			}
			c->n_lines++;
		}
		if (!have_root) {
			/* a missing root is a tmpfs (SPEC.md §3) */
			c->ns_root[n] = c->n_lines;
			c->lines[c->n_lines++] =
			    (struct line){.ns = n, .mountpoint = "/", .parent = -1};
		}
		c->ns_first[n + 1] = c->n_lines;
		for (size_t l = c->ns_first[n]; l < c->n_lines; l++) {
			const char *mp = c->lines[l].mountpoint;

			c->prev_same[l] = spec_strmap_get(&c->by_mp[n], mp, strlen(mp));
			spec_strmap_put(&c->by_mp[n], mp, strlen(mp), (int)l);
		}
		r = link_section(c, n);
		if (r < 0)
			return r;
	}
	/* group anchors: the first member of each, in file order */
	for (size_t l = 0; l < c->n_lines; l++) {
		const struct mnts_spec_mount *sm = c->lines[l].sm;
		int g;

		if (sm && sm->shared_name) {
			g = group_of(c, sm->shared_name);
			if (c->groups[g].anchor < 0)
				c->groups[g].anchor = (int)l;
		}
	}
	for (size_t l = 0; l < c->n_lines; l++) {
		r = resolve(c, (int)l);
		if (r < 0)
			return r;
	}
	r = check_groups(c);
	for (size_t n = 0; n < spec->n_ns && r >= 0; n++)
		r = build_ns(c, snap, n);
	if (r < 0)
		return r;
	add_propagate_from(snap, c->next_group_id);
	add_pins(snap);
	return 0;
}

int mnts_spec_to_snapshot(const struct mnts_spec *spec, struct mnts_snapshot **ret,
			  struct mnts_error *err)
{
	_cleanup_snapshot_ struct mnts_snapshot *snap = mnts_snapshot_new();
	struct conv c = {.spec = spec, .err = err};
	int r;

	r = convert(&c, snap);
	for (size_t l = 0; l < c.n_lines; l++)
		free(c.lines[l].root);
	for (size_t n = 0; c.labels && n < spec->n_ns; n++)
		free(c.labels[n]);
	free(c.labels);
	free(c.lines);
	free(c.prev_same);
	for (size_t n = 0; c.by_mp && n < spec->n_ns; n++)
		spec_strmap_free(&c.by_mp[n]);
	free(c.by_mp);
	free(c.ns_first);
	free(c.ns_root);
	free(c.sbs);
	free(c.groups);
	spec_strmap_free(&c.sb_names);
	spec_strmap_free(&c.group_names);
	if (r < 0)
		return r;
	r = mnts_snapshot_link(snap, err);
	if (r < 0)
		return mnts_err_prefix(err, "%s", file_of(&c));
	*ret = TAKE_PTR(snap);
	return 0;
}

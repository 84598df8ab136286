/* model_link.c - validating a snapshot and building its derived fields
 * (mnts_snapshot_link(), the rules of spec/FORMAT.md §9; see model.h). */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/model.h"
#include "lib/core/path.h"
#include "lib/core/sort.h"

static int cmp_mount_ptr_id(const void *a, const void *b)
{
	const struct mnts_mount *ma = *(struct mnts_mount *const *)a;
	const struct mnts_mount *mb = *(struct mnts_mount *const *)b;

	return ma->id < mb->id ? -1 : ma->id > mb->id;
}

static int check_path(struct mnts_ns *ns, struct mnts_mount *m, const char *field, const char *p,
		      struct mnts_error *err)
{
	char buf[80];
	const char *why = mnts_path_fault(p, buf);

	if (!why)
		return 0;
	if (p && strlen(p) < 256)
		return mnts_err(err, 0, "namespace '%s' mount %" PRIu64 ": %s '%s': %s", ns->label,
				m->id, field, p, why);
	return mnts_err(err, 0, "namespace '%s' mount %" PRIu64 ": %s: %s", ns->label, m->id, field,
			why);
}

static int check_mount_fields(struct mnts_ns *ns, struct mnts_mount *m, struct mnts_error *err)
{
	int r;

	if (m->id == 0)
		return mnts_err(err, 0, "namespace '%s': mount with id 0", ns->label);
	r = check_path(ns, m, "mountpoint", m->mountpoint, err);
	if (r < 0)
		return r;
	r = check_path(ns, m, "root", m->root, err);
	if (r < 0)
		return r;
	if (!m->fstype || !*m->fstype)
		return mnts_err(err, 0, "namespace '%s' mount %" PRIu64 ": fstype: missing",
				ns->label, m->id);
	for (size_t i = 0; i < m->mount_options.n; i++)
		if (!mnts_mount_option_is_known(m->mount_options.v[i]))
			return mnts_err(err, 0,
					"namespace '%s' mount %" PRIu64
					": mount_options: '%.64s': not a per-mount option",
					ns->label, m->id, m->mount_options.v[i]);
	/* the kernel names a namespace file TYPE:[INODE] only on nsfs */
	if (m->nsfs_type && !streq(m->fstype, "nsfs"))
		return mnts_err(err, 0,
				"namespace '%s' mount %" PRIu64
				": nsfs: set on a mount whose fstype '%.64s' is not nsfs",
				ns->label, m->id, m->fstype);
	if (m->nsfs_ns && !(m->nsfs_type && streq(m->nsfs_type, "mnt")))
		return mnts_err(err, 0,
				"namespace '%s' mount %" PRIu64
				": nsfs.ns '%.64s': set for a '%.16s' namespace (only a mnt "
				"namespace has a label)",
				ns->label, m->id, m->nsfs_ns, m->nsfs_type ? m->nsfs_type : "");
	if (m->master_id && m->master_id == m->shared_id)
		return mnts_err(err, 0,
				"namespace '%s' mount %" PRIu64 ": master_id %" PRIu64
				": equals its own shared_id",
				ns->label, m->id, m->master_id);
	/* mountinfo prints propagate_from only after master:M, and only when it
	 * names another group than M (FORMAT.md §6.3) */
	if (m->propagate_from && !m->master_id)
		return mnts_err(err, 0,
				"namespace '%s' mount %" PRIu64 ": propagate_from %" PRIu64
				": set on a mount that is not a slave (master_id 0)",
				ns->label, m->id, m->propagate_from);
	if (m->propagate_from && m->propagate_from == m->master_id)
		return mnts_err(err, 0,
				"namespace '%s' mount %" PRIu64 ": propagate_from %" PRIu64
				": equals master_id (recorded as 0 then)",
				ns->label, m->id, m->propagate_from);
	return 0;
}

uint64_t mnts_child_hash(size_t parent, const char *mountpoint)
{
	size_t len = strlen(mountpoint);
	uint64_t h = 1469598103934665603ULL ^ ((uint64_t)parent * 0x9E3779B97F4A7C15ULL) ^ len;

	for (const unsigned char *p = (const unsigned char *)mountpoint + (len > 32 ? len - 32 : 0);
	     *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	return h ^ (h >> 29);
}

/* A child's mountpoint is its parent's, or below it: the kernel names a
 * mount's place by the path to it through its parent (the root's may be
 * anything: --subtree).  Checked once the tree is known to be one, so that
 * a cycle is reported as such. */
static int check_below_parent(struct mnts_ns *ns, struct mnts_mount *m, struct mnts_error *err)
{
	if (!m->parent || mnts_path_below(m->mountpoint, m->parent->mountpoint))
		return 0;
	return mnts_err(err, 0,
			"namespace '%s' mount %" PRIu64 ": mountpoint '%s': "
			"not at or below that of its parent %" PRIu64 " ('%s')",
			ns->label, m->id, m->mountpoint, m->parent->id, m->parent->mountpoint);
}

struct sibling_entry {
	uint64_t hash; /* kept here: a probe reads no mount */
	struct mnts_mount *m;
};

/* Mount i's key in check_mountpoints()' table (0 when it is not hashed),
 * its slot fetched. */
static uint64_t sibling_key(const struct mnts_ns *ns, size_t i, size_t mask,
			    const struct sibling_entry *slot)
{
	const struct mnts_mount *m = &ns->mounts[i];
	uint64_t hash;

	if (!m->parent || m->parent->n_children < 2)
		return 0;
	hash = mnts_child_hash(m->parent->index, m->mountpoint);
	__builtin_prefetch(&slot[hash & mask]);
	return hash;
}

/* Each mount at or below its parent; and no two children of one parent on
 * one mountpoint: the kernel never makes them (a mount on an occupied
 * mountpoint goes on top of, or is tucked under, the one there), and diff
 * pairs mounts by that key.  Only children of parents with siblings are
 * hashed. */
static int check_mountpoints(struct mnts_ns *ns, struct mnts_error *err)
{
	_cleanup_free_ struct sibling_entry *slot = NULL;
	uint64_t hashes[MNTS_CHILD_PREFETCH];
	size_t n = 0, size = 16, mask;

	for (size_t i = 0; i < ns->n_mounts; i++) {
		int r = check_below_parent(ns, &ns->mounts[i], err);

		if (r < 0)
			return r;
		if (ns->mounts[i].parent && ns->mounts[i].parent->n_children > 1)
			n++;
	}
	if (n == 0)
		return 0;
	while (size < n * 2)
		size *= 2;
	mask = size - 1;
	/* zeroed by writing: calloc's fresh pages, read first by the probes,
	 * would each fault twice (the zero page, then a copy of it) */
	slot = xmalloc(size * sizeof(*slot));
	memset(slot, 0, size * sizeof(*slot));
	for (size_t i = 0; i < ns->n_mounts && i < MNTS_CHILD_PREFETCH; i++)
		hashes[i] = sibling_key(ns, i, mask, slot);
	for (size_t i = 0; i < ns->n_mounts; i++) {
		struct mnts_mount *m = &ns->mounts[i];
		uint64_t hash = hashes[i % MNTS_CHILD_PREFETCH];
		size_t h;

		if (i + MNTS_CHILD_PREFETCH < ns->n_mounts)
			hashes[i % MNTS_CHILD_PREFETCH] =
			    sibling_key(ns, i + MNTS_CHILD_PREFETCH, mask, slot);
		if (!m->parent || m->parent->n_children < 2)
			continue;
		for (h = hash & mask; slot[h].m; h = (h + 1) & mask)
			if (slot[h].hash == hash && slot[h].m->parent == m->parent &&
			    streq(slot[h].m->mountpoint, m->mountpoint))
				return mnts_err(err, 0,
						"namespace '%s' mount %" PRIu64 ": mountpoint '%s': "
						"also that of its sibling %" PRIu64
						" (a mount on an occupied mountpoint has the one there "
						"as parent or child)",
						ns->label, m->id, m->mountpoint, slot[h].m->id);
		slot[h] = (struct sibling_entry){hash, m};
	}
	return 0;
}

/* Checks each mount's own fields, then sorts the ids and finds duplicates. */
static int index_ns(struct mnts_ns *ns, struct mnts_error *err)
{
	bool unsorted = false;

	free(ns->by_id);
	ns->by_id = xcalloc(ns->n_mounts, sizeof(*ns->by_id));
	for (size_t i = 0; i < ns->n_mounts; i++) {
		struct mnts_mount *m = &ns->mounts[i];
		int r = check_mount_fields(ns, m, err);

		if (r < 0)
			return r;
		m->ns = ns;
		m->index = i;
		m->parent = NULL;
		m->children = NULL;
		m->n_children = 0;
		ns->by_id[i] = m;
		if (i > 0 && ns->by_id[i - 1]->id > m->id)
			unsorted = true;
	}
	/* kernel order is ascending unique id (listmount): usually sorted */
	if (unsorted)
		qsort(ns->by_id, ns->n_mounts, sizeof(*ns->by_id), cmp_mount_ptr_id);
	free(ns->ids);
	ns->ids = xcalloc(ns->n_mounts, sizeof(*ns->ids));
	for (size_t i = 0; i < ns->n_mounts; i++) {
		ns->ids[i] = ns->by_id[i]->id;
		if (i > 0 && ns->ids[i] == ns->ids[i - 1])
			return mnts_err(err, 0,
					"namespace '%s': mount id %" PRIu64 " appears twice",
					ns->label, ns->ids[i]);
	}
	return 0;
}

/* Resolves every parent and the root. */
static int find_parents(struct mnts_ns *ns, struct mnts_error *err)
{
	ns->root = NULL;
	for (size_t i = 0; i < ns->n_mounts; i++) {
		struct mnts_mount *m = &ns->mounts[i];

		if (m->parent_id == 0) {
			if (ns->root)
				return mnts_err(err, 0,
						"namespace '%s': two root mounts (%" PRIu64
						" and %" PRIu64 ")",
						ns->label, ns->root->id, m->id);
			ns->root = m;
			continue;
		}
		/* siblings usually follow each other: one search for them */
		m->parent = i > 0 && ns->mounts[i - 1].parent_id == m->parent_id
				? ns->mounts[i - 1].parent
				: mnts_ns_find(ns, m->parent_id);
		if (!m->parent)
			return mnts_err(err, 0,
					"namespace '%s' mount %" PRIu64 ": parent %" PRIu64
					": no such mount in the namespace",
					ns->label, m->id, m->parent_id);
		if (m->parent == m)
			return mnts_err(err, 0,
					"namespace '%s' mount %" PRIu64 ": parent: is itself",
					ns->label, m->id);
		m->parent->n_children++;
	}
	if (ns->n_mounts == 0)
		return mnts_err(err, 0, "namespace '%s': has no mounts", ns->label);
	if (!ns->root)
		return mnts_err(err, 0, "namespace '%s': no root mount (every parent is set: a cycle)",
				ns->label);
	if (ns->root_mount && ns->root_mount != ns->root->id)
		return mnts_err(err, 0,
				"namespace '%s': root_mount %" PRIu64 ": is not the mount without a "
				"parent (%" PRIu64 ")",
				ns->label, ns->root_mount, ns->root->id);
	ns->root_mount = ns->root->id;
	return 0;
}

/* Every mount's children are a slice of one array: each slice is placed,
 * then filled with n_children counting up again. */
static void fill_children(struct mnts_ns *ns)
{
	size_t n_kids = 0;

	free(ns->children);
	ns->children = xcalloc(ns->n_mounts, sizeof(*ns->children));
	for (size_t i = 0; i < ns->n_mounts; i++) {
		struct mnts_mount *m = &ns->mounts[i];

		m->children = ns->children + n_kids;
		n_kids += m->n_children;
		m->n_children = 0;
	}
	for (size_t i = 0; i < ns->n_mounts; i++) {
		struct mnts_mount *m = &ns->mounts[i];

		if (m->parent)
			m->parent->children[m->parent->n_children++] = m;
	}
}

/* How many mounts of ns are reached from its root going down, each marked
 * in reached[] unless NULL.  The walk keeps its own stack (room for every
 * mount): a tree may be 100,000 mounts deep. */
static size_t reach_from_root(struct mnts_ns *ns, struct mnts_mount **stack, bool *reached)
{
	size_t n = 0;

	stack[0] = ns->root;
	for (size_t top = 1; top > 0;) {
		struct mnts_mount *m = stack[--top];

		n++;
		if (reached)
			reached[m - ns->mounts] = true;
		for (size_t k = 0; k < m->n_children; k++)
			stack[top++] = m->children[k];
	}
	return n;
}

/* Every mount reachable from the root <=> no cycle, no second tree (the
 * root is the only mount without a parent): the first mount not reached
 * is on a cycle of parents or below one.  Found by walking down again,
 * marking: walking up from each mount took time quadratic in the depth. */
static int check_reachable(struct mnts_ns *ns, struct mnts_error *err)
{
	_cleanup_free_ struct mnts_mount **stack = xcalloc(ns->n_mounts, sizeof(*stack));
	_cleanup_free_ bool *reached = NULL;

	if (reach_from_root(ns, stack, NULL) == ns->n_mounts)
		return 0;
	reached = xcalloc(ns->n_mounts, sizeof(*reached));
	reach_from_root(ns, stack, reached);
	for (size_t i = 0; i < ns->n_mounts; i++)
		if (!reached[i])
			return mnts_err(err, 0,
					"namespace '%s' mount %" PRIu64
					": parent: cycle (not reachable from the root)",
					ns->label, ns->mounts[i].id);
	return 0;
}

/* owner_userns.locked as read: each id names a mount, which is locked. */
static int mark_locked(struct mnts_ns *ns, struct mnts_error *err)
{
	for (size_t i = 0; i < ns->owner.n_locked_ids; i++) {
		struct mnts_mount *m = mnts_ns_find(ns, ns->owner.locked_ids[i]);

		if (!m)
			return mnts_err(err, 0,
					"namespace '%s': owner_userns.locked[%zu]: no mount %" PRIu64,
					ns->label, i, ns->owner.locked_ids[i]);
		m->locked = true;
	}
	return 0;
}

/* Sorts ids, finds duplicates, resolves parents and the root, fills children,
 * and proves the tree acyclic by reaching every mount from the root. */
static int link_ns(struct mnts_ns *ns, struct mnts_error *err)
{
	int r = index_ns(ns, err);

	if (r < 0)
		return r;
	r = mark_locked(ns, err);
	if (r < 0)
		return r;
	r = find_parents(ns, err);
	if (r < 0)
		return r;
	fill_children(ns);
	r = check_reachable(ns, err);
	if (r < 0)
		return r;
	return check_mountpoints(ns, err);
}

struct group_info {
	uint64_t shared_id;
	uint64_t master_id;
	const struct mnts_mount *first; /* a member, for the superblock check */
	enum { GROUP_UNSEEN, GROUP_ON_WALK, GROUP_ACYCLIC } state; /* check_master_cycles() */
};

static int cmp_group(const void *a, const void *b)
{
	const struct group_info *ga = a, *gb = b;
	return ga->shared_id < gb->shared_id ? -1 : ga->shared_id > gb->shared_id;
}

static struct group_info *find_group(struct group_info *g, size_t n, uint64_t shared_id)
{
	struct group_info key = { .shared_id = shared_id };
	return bsearch(&key, g, n, sizeof(*g), cmp_group);
}

/* The master of group g among groups[0..n-1], or NULL when g has none or
 * it is outside the snapshot (allowed: replay warns). */
static struct group_info *master_of(struct group_info *groups, size_t n,
				    const struct group_info *g)
{
	return g->master_id ? find_group(groups, n, g->master_id) : NULL;
}

/* Following masters must never come back.  Each group has at most one
 * master, so a walk from a group either ends or enters a cycle.  A walk
 * stops at a group an earlier walk found acyclic, so each group is walked
 * once: a chain of 100,000 groups took minutes when each group walked its
 * whole chain.  The group reported is the first, in shared_id order, whose
 * masters lead into a cycle. */
static int check_master_cycles(struct group_info *groups, size_t n, struct mnts_error *err)
{
	for (size_t i = 0; i < n; i++) {
		struct group_info *g = &groups[i];

		while (g && g->state == GROUP_UNSEEN) {
			g->state = GROUP_ON_WALK;
			g = master_of(groups, n, g);
		}
		if (g && g->state == GROUP_ON_WALK)
			return mnts_err(err, 0,
					"peer group %" PRIu64 ": master_id %" PRIu64
					": cycle in the master graph",
					groups[i].shared_id, groups[i].master_id);
		for (g = &groups[i]; g && g->state == GROUP_ON_WALK; g = master_of(groups, n, g))
			g->state = GROUP_ACYCLIC;
	}
	return 0;
}

/* Peer groups span namespaces: each member must agree on the master and
 * the superblock, and following masters must never come back. */
static int check_groups(struct mnts_snapshot *snap, struct mnts_error *err)
{
	_cleanup_free_ struct group_info *groups = NULL;
	size_t n = 0, total = 0;

	for (size_t i = 0; i < snap->n_ns; i++)
		total += snap->nss[i].n_mounts;
	groups = xcalloc(total ? total : 1, sizeof(*groups));
	for (size_t i = 0; i < snap->n_ns; i++)
		for (size_t j = 0; j < snap->nss[i].n_mounts; j++) {
			const struct mnts_mount *m = &snap->nss[i].mounts[j];
			if (m->shared_id)
				groups[n++] = (struct group_info){ m->shared_id, m->master_id, m };
		}
	mnts_sort(groups, n, sizeof(*groups), cmp_group);
	{
		size_t w = 0;
		for (size_t r = 0; r < n; r++) {
			const struct mnts_mount *a, *b;

			if (w == 0 || groups[w - 1].shared_id != groups[r].shared_id) {
				groups[w++] = groups[r];
				continue;
			}
			a = groups[w - 1].first;
			b = groups[r].first;
			if (a->master_id != b->master_id)
				return mnts_err(err, 0,
						"namespace '%s' mount %" PRIu64 ": master_id %" PRIu64
						": differs from its peer %" PRIu64
						" in group %" PRIu64 " (master %" PRIu64 ")",
						b->ns->label, b->id, b->master_id, a->id, a->shared_id,
						a->master_id);
			if (a->dev_major != b->dev_major || a->dev_minor != b->dev_minor)
				return mnts_err(err, 0,
						"namespace '%s' mount %" PRIu64 ": dev %u:%u: its peer %" PRIu64
						" in group %" PRIu64 " is on another superblock (%u:%u)",
						b->ns->label, b->id, b->dev_major, b->dev_minor, a->id,
						a->shared_id, a->dev_major, a->dev_minor);
		}
		n = w;
	}
	return check_master_cycles(groups, n, err);
}

bool mnts_label_is_valid(const char *label)
{
	size_t n = 0;

	if (!label || !isalnum((unsigned char)label[0]))
		return false;
	for (const char *c = label; *c; c++, n++)
		if (n == MNTS_LABEL_MAX ||
		    !(isalnum((unsigned char)*c) || *c == '_' || *c == '.' || *c == '-'))
			return false;
	return true;
}

static int cmp_label_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Whether two namespaces of snap have one label (none is NULL): sorted,
 * rather than each against those before it (1,000 namespaces: half a
 * million comparisons, 5 ms of reading a snapshot). */
static bool labels_repeat(const struct mnts_snapshot *snap)
{
	_cleanup_free_ const char **v = xreallocarray(NULL, snap->n_ns + 1, sizeof(*v));
	bool repeat = false;

	for (size_t i = 0; i < snap->n_ns; i++)
		v[i] = snap->nss[i].label;
	qsort(v, snap->n_ns, sizeof(*v), cmp_label_ptr);
	for (size_t i = 1; i < snap->n_ns && !repeat; i++)
		repeat = streq(v[i - 1], v[i]);
	return repeat;
}

/* Labels name files (replay --new=DIR/LABEL): a strict pattern, so that
 * none is "..", absolute or has a '/'. */
static int check_labels(struct mnts_snapshot *snap, struct mnts_error *err)
{
	bool look_back = false;

	/* the first problem in namespace order is the one reported: only
	 * when a label repeats (or one is missing, which labels_repeat()
	 * cannot sort) is each compared with those before it */
	for (size_t i = 0; i < snap->n_ns && !look_back; i++)
		look_back = !snap->nss[i].label;
	look_back = look_back || labels_repeat(snap);
	for (size_t i = 0; i < snap->n_ns; i++) {
		const char *label = snap->nss[i].label;

		if (!label || !*label)
			return mnts_err(err, 0, "namespace #%zu: label: missing", i);
		if (!mnts_label_is_valid(label))
			return mnts_err(err, 0,
					"namespace #%zu: label '%.*s%s': not a valid label (1 to %d "
					"letters, digits, '_', '.' or '-', the first a letter or digit)",
					i, MNTS_LABEL_MAX, label,
					strlen(label) > MNTS_LABEL_MAX ? "..." : "", MNTS_LABEL_MAX);
		for (size_t j = 0; look_back && j < i; j++)
			if (streq(snap->nss[j].label, label))
				return mnts_err(err, 0, "namespace '%s': label: appears twice", label);
	}
	return 0;
}

/* Whether pinned lists the pin {holder, path}.  Pins are few (one per
 * nsfs mount of a captured mount namespace): a scan is enough. */
static bool has_pin(const struct mnts_ns *pinned, const char *holder, const char *path)
{
	for (size_t i = 0; i < pinned->n_pins; i++)
		if (streq(pinned->pins[i].ns, holder) && streq(pinned->pins[i].path, path))
			return true;
	return false;
}

/* Whether holder has an nsfs mount at path naming the namespace label. */
static bool has_nsfs_mount(const struct mnts_ns *holder, const char *label, const char *path)
{
	for (size_t i = 0; i < holder->n_mounts; i++) {
		const struct mnts_mount *m = &holder->mounts[i];

		if (m->nsfs_ns && streq(m->nsfs_ns, label) && streq(m->mountpoint, path))
			return true;
	}
	return false;
}

/* nsfs.ns and each pin name a namespace of the file; a pin's path is a
 * path; the nsfs mounts naming a namespace and its pins match (FORMAT.md
 * §7). */
static int check_references(struct mnts_snapshot *snap, struct mnts_error *err)
{
	for (size_t i = 0; i < snap->n_ns; i++) {
		const struct mnts_ns *ns = &snap->nss[i];

		for (size_t j = 0; j < ns->n_mounts; j++) {
			const struct mnts_mount *m = &ns->mounts[j];

			const struct mnts_ns *pinned;

			if (!m->nsfs_ns)
				continue;
			pinned = mnts_snapshot_find_ns(snap, m->nsfs_ns);
			if (!pinned)
				return mnts_err(err, 0,
						"namespace '%s' mount %" PRIu64
						": nsfs_ns '%s': no such namespace in the snapshot",
						ns->label, m->id, m->nsfs_ns);
			if (!has_pin(pinned, ns->label, m->mountpoint))
				return mnts_err(err, 0,
						"namespace '%s' mount %" PRIu64
						": nsfs.ns '%s': the pin is missing from that "
						"namespace's nsfs_paths",
						ns->label, m->id, m->nsfs_ns);
		}
		for (size_t j = 0; j < ns->n_pins; j++) {
			const struct mnts_pin *pin = &ns->pins[j];
			char buf[80];
			const char *why = mnts_path_fault(pin->path, buf);

			if (!mnts_snapshot_find_ns(snap, pin->ns))
				return mnts_err(err, 0,
						"namespace '%s': nsfs_paths[%zu]: ns '%.*s%s': no such "
						"namespace in the snapshot",
						ns->label, j, MNTS_LABEL_MAX, pin->ns,
						strlen(pin->ns) > MNTS_LABEL_MAX ? "..." : "");
			if (why)
				return mnts_err(err, 0, "namespace '%s': nsfs_paths[%zu]: path '%s': %s",
						ns->label, j, strlen(pin->path) < 256 ? pin->path : "...",
						why);
		}
	}
	/* then, every pin well-formed, that each is an nsfs mount */
	for (size_t i = 0; i < snap->n_ns; i++) {
		const struct mnts_ns *ns = &snap->nss[i];

		for (size_t j = 0; j < ns->n_pins; j++) {
			const struct mnts_pin *pin = &ns->pins[j];

			if (!has_nsfs_mount(mnts_snapshot_find_ns(snap, pin->ns), ns->label,
					    pin->path))
				return mnts_err(err, 0,
						"namespace '%s': nsfs_paths[%zu]: path '%s': no nsfs "
						"mount of this namespace there in '%s'",
						ns->label, j,
						strlen(pin->path) < 256 ? pin->path : "...", pin->ns);
		}
	}
	return 0;
}

int mnts_snapshot_link(struct mnts_snapshot *snap, struct mnts_error *err)
{
	int r = check_labels(snap, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < snap->n_ns; i++) {
		r = link_ns(&snap->nss[i], err);
		if (r < 0)
			return r;
	}
	r = check_references(snap, err);
	if (r < 0)
		return r;
	r = check_groups(snap, err);
	if (r < 0)
		return r;
	snap->linked = true;
	return 0;
}

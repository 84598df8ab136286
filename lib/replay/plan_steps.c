/* plan_steps.c - the steps of a replay, tree by tree, depth first (see plan.h) */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "lib/core/path.h"
#include "lib/kernel/syscalls.h"
#include "lib/replay/plan_internal.h"

/* The source of superblock sb, made on first use: fds are held from the
 * first clone to the last (exec.c closes them), not for the whole replay. */
static void ensure_sb(struct mnts_plan *plan, int sb_index)
{
	struct mnts_plan_sb *sb = &plan->sbs[sb_index];
	struct mnts_step *s;

	if (plan->sb_made[sb_index])
		return;
	plan->sb_made[sb_index] = true;
	sb->slot = plan_new_slot(plan);
	if (sb->ns_id)
		sb->ns_slot = plan_new_slot(plan);
	s = plan_add_step(plan,
			  sb->how == MNTS_SB_FRESH  ? MNTS_STEP_SB_FRESH
			  : sb->how == MNTS_SB_LIVE ? MNTS_STEP_SB_LIVE
						    : MNTS_STEP_SB_EXTERNAL,
			  sb_index);
	s->dst = sb->slot;
	s->aux = sb->ns_slot;
}

/* Where anchors of superblock sb are cloned, below its source's root: the
 * common ancestor of every root replayed from it, which SET_GROUP needs
 * (the from mount's root must contain the to mount's), and which a live
 * master member's root contains too. */
static const char *anchor_root(const struct mnts_plan *plan, int sb)
{
	const char *rel = mnts_path_below(plan->sbs[sb].roots_common, plan->sbs[sb].root);

	return rel ? rel : "";
}

/* The steps of group g's anchor, cloned from its superblock's source in the
 * caller's namespace, where the sources were made: the kernel lets only that
 * namespace clone a detached mount.  A live group's is its live member. */
static void add_anchor_steps(struct mnts_plan *plan, int g)
{
	struct mnts_plan_group *grp;
	struct mnts_step *s;

	if (!plan->groups[g].live)
		ensure_sb(plan, plan->groups[g].sb);
	grp = &plan->groups[g];
	grp->anchor_slot = plan_new_slot(plan);
	if (grp->live) {
		s = plan_add_step(plan, MNTS_STEP_LIVE_MEMBER, g);
		s->dst = grp->anchor_slot;
		return;
	}
	s = plan_add_step(plan, MNTS_STEP_ANCHOR, g);
	s->src = plan->sbs[grp->sb].slot;
	s->dst = grp->anchor_slot;
	s->aux = grp->master >= 0 ? plan->groups[grp->master].anchor_slot : -1;
	s->rel = anchor_root(plan, grp->sb);
}

/* A group's anchor, made on first use, its master's (and theirs) first.
 * A chain of masters can be as long as there are groups: it is walked with
 * a buffer, not recursion. */
static void ensure_group(struct mnts_plan *plan, int g)
{
	int buf[64], *chain = buf;
	size_t n = 0, cap = ARRAY_SIZE(buf);

	/* g and the masters above it not made yet, marked as they are found
	 * (so that a cycle of masters ends) */
	for (int x = g; x >= 0 && !plan->group_made[x]; x = plan->groups[x].master) {
		plan->group_made[x] = true;
		if (n == cap) {
			cap *= 2;
			chain = chain == buf
				    ? memcpy(xcalloc(cap, sizeof(*chain)), buf, sizeof(buf))
				    : xreallocarray(chain, cap, sizeof(*chain));
		}
		chain[n++] = x;
	}
	while (n > 0)
		add_anchor_steps(plan, chain[--n]);
	if (chain != buf)
		free(chain);
}

/* A pure slave of group g, the source of SET_GROUP for the slaves of g (a
 * mount with children can only be made a slave that way). */
static void ensure_slave_anchor(struct mnts_plan *plan, int g, int sb)
{
	struct mnts_step *s;

	if (plan->groups[g].slave_anchor_slot >= 0)
		return;
	ensure_group(plan, g);
	ensure_sb(plan, sb);
	plan->groups[g].slave_anchor_slot = plan_new_slot(plan);
	s = plan_add_step(plan, MNTS_STEP_SLAVE_ANCHOR, g);
	s->src = plan->sbs[sb].slot;
	s->dst = plan->groups[g].slave_anchor_slot;
	s->aux = plan->groups[g].anchor_slot;
	s->rel = anchor_root(plan, sb);
}

/* Whether mount i is made shared itself (MNTS_STEP_SHARE): the only use of
 * its group, and a leaf, which mount_setattr reaches as a detached root. */
static bool shares_itself(const struct mnts_plan *plan, int i)
{
	const struct mnts_plan_mount *pm = &plan->mounts[i];

	return pm->group >= 0 && plan->group_uses[pm->group] == 1 && !pm->m->n_children &&
	       !plan->groups[pm->group].live;
}

/* Sharing, slavery and (unless left for later) unbindable for mount i,
 * with the anchors they need. */
static void add_propagation_steps(struct mnts_plan *plan, int i, bool unbindable)
{
	const struct mnts_plan_mount *pm = &plan->mounts[i];
	struct mnts_step *s;

	if (shares_itself(plan, i)) {
		/* no anchor cloned and dropped */
		const struct mnts_plan_group *grp = &plan->groups[pm->group];

		if (grp->master >= 0)
			ensure_group(plan, grp->master);
		s = plan_add_step(plan, MNTS_STEP_SHARE, i);
		s->aux = grp->master >= 0 ? plan->groups[grp->master].anchor_slot : -1;
		s->src = pm->slot;
	} else if (pm->group >= 0) {
		ensure_group(plan, pm->group);
		s = plan_add_step(plan, MNTS_STEP_JOIN, i);
		s->src = plan->groups[pm->group].anchor_slot;
		s->aux = pm->slot;
	} else if (pm->slave_of >= 0) {
		ensure_slave_anchor(plan, pm->slave_of, pm->sb);
		s = plan_add_step(plan, MNTS_STEP_SLAVE, i);
		s->src = plan->groups[pm->slave_of].slave_anchor_slot;
		s->aux = pm->slot;
	}
	if (pm->m->unbindable && unbindable) {
		s = plan_add_step(plan, MNTS_STEP_UNBINDABLE, i);
		s->aux = pm->slot;
	}
}

struct prefix_key {
	const char *p;
	size_t len;
};

static int cmp_prefix_key(const void *a, const void *b)
{
	const struct prefix_key *k = a;
	const char *s = *(const char *const *)b;
	int r = strncmp(k->p, s, k->len);

	return r ? r : s[k->len] ? -1 : 0;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The order in which m's children are attached.  A child whose mountpoint
 * lies below a sibling's mountpoint was covered by that sibling: it goes
 * first (the deepest first), while its path in m is still reachable.  The
 * others keep snapshot order.  Free the result. */
static size_t *child_order(const struct mnts_mount *m)
{
	size_t n = m->n_children, k = 0;
	size_t *order = xcalloc(n + 1, sizeof(*order));
	_cleanup_free_ const char **sorted = NULL;
	_cleanup_free_ bool *tucked = NULL;

	for (size_t c = 0; c < n && !sorted; c++) {
		const char *rel = mnts_path_below(m->children[c]->mountpoint, m->mountpoint);

		if (rel && strchr(rel, '/'))
			sorted = xcalloc(n, sizeof(*sorted));
	}
	if (sorted) {
		tucked = xcalloc(n, sizeof(*tucked));
		for (size_t c = 0; c < n; c++)
			sorted[c] = m->children[c]->mountpoint;
		qsort(sorted, n, sizeof(*sorted), cmp_str_ptr);
		for (size_t c = 0; c < n; c++) {
			const char *mp = m->children[c]->mountpoint;
			const char *rel = mnts_path_below(mp, m->mountpoint);

			/* each strict ancestor of mp below m's mountpoint */
			for (const char *sl = rel ? strchr(rel, '/') : NULL; sl && !tucked[c];
			     sl = strchr(sl + 1, '/')) {
				struct prefix_key key = {mp, (size_t)(sl - mp)};

				tucked[c] = bsearch(&key, sorted, n, sizeof(*sorted),
						    cmp_prefix_key) != NULL;
			}
		}
		/* tucked ones first, longest mountpoint first (stable) */
		for (size_t c = 0; c < n; c++)
			if (tucked[c])
				order[k++] = c;
		for (size_t x = 1; x < k; x++)
			for (size_t y = x;
			     y > 0 && strlen(m->children[order[y]]->mountpoint) >
					  strlen(m->children[order[y - 1]]->mountpoint);
			     y--) {
				size_t t = order[y];
				order[y] = order[y - 1];
				order[y - 1] = t;
			}
	}
	for (size_t c = 0; c < n; c++)
		if (!tucked || !tucked[c])
			order[k++] = c;
	return order;
}

/* The per-mount flags of mount m to set: sources come without any
 * (sbsource.c), so only set ones need a call. */
static uint64_t mount_attr(struct mnts_plan *plan, const struct mnts_mount *m)
{
	if (!m->mount_options.v || m->mount_options.v != plan->attr_memo.v) {
		plan->attr_memo.v = m->mount_options.v;
		plan->attr_memo.attr = mnts_mount_attr_from_options(&m->mount_options) &
				       ~(uint64_t)MOUNT_ATTR_IDMAP;
	}
	return plan->attr_memo.attr;
}

/* Whether mount i can be its superblock's source itself, saving a clone and
 * the unmount of the source (most of the cost of a mount made anew).  It
 * must be the only mount of the superblock, with the source's root, in the
 * caller's namespace, and no group anchor may be cloned from the source.
 * Nor may the source, with children, be read-only or idmapped: their
 * mountpoints are made through the source (add_attach_steps()). */
static bool source_is_mount(const struct mnts_plan *plan, int i, uint64_t attr)
{
	const struct mnts_plan_mount *pm = &plan->mounts[i];
	const struct mnts_mount *m = pm->m;
	const struct mnts_plan_sb *sb;
	const char *rel;

	if (pm->sb < 0 || pm->slave_of >= 0 || (pm->group >= 0 && !shares_itself(plan, i)) ||
	    pm->m->deleted)
		return false;
	if (m->n_children && ((attr & MOUNT_ATTR_RDONLY) || m->uid_map.n || m->gid_map.n))
		return false;
	sb = &plan->sbs[pm->sb];
	if (plan->sb_mounts_off[pm->sb + 1] - plan->sb_mounts_off[pm->sb] != 1 || sb->ns_id)
		return false;
	rel = mnts_path_below(pm->m->root, sb->root);
	return rel && !*rel;
}

static int add_attach_steps(struct mnts_plan *plan, int i, struct mnts_error *err);

/* Mount i's per-mount flags attr (mount_attr()); namespace files keep
 * whatever nsfs gives. */
static void add_flags_step(struct mnts_plan *plan, int i, uint64_t attr)
{
	const struct mnts_plan_mount *pm = &plan->mounts[i];
	struct mnts_step *s;

	if (attr || pm->sb < 0) {
		s = plan_add_step(plan, MNTS_STEP_FLAGS, i);
		s->src = pm->slot;
		s->attr_set = attr;
		s->attr_clr = MNTS_MOUNT_ATTR_ALL_FLAGS;
	}
}

/* Whether the clone of mount i, whose root was deleted, is the first of
 * its superblock with that root: it makes the root again (the kernel
 * attaches no mount whose root is unlinked), and UNLINK_ROOT removes it
 * once every mount with that root is in place.  Later ones clone what the
 * first made.  Only deleted mounts pay the walk over their superblock's. */
static bool first_of_deleted_root(struct mnts_plan *plan, int i)
{
	const struct mnts_plan_mount *pm = &plan->mounts[i];

	for (int k = plan->sb_mounts_off[pm->sb]; k < plan->sb_mounts_off[pm->sb + 1]; k++) {
		const struct mnts_plan_mount *o = &plan->mounts[plan->sb_mounts[k]];

		if (o != pm && o->unlink_root && streq(o->m->root, pm->m->root))
			return false;
	}
	return true;
}

/* Steps for mount m itself: its clone (or namespace file), idmap and flags
 * while it is the root of its own detached tree (a namespace's root gets
 * its flags once its children are attached: plan_build_steps()), then,
 * unless it is a namespace's root, a leaf's propagation and (unless attach
 * is false: add_tree_steps() attaches it later) its attachment to its
 * parent. */
static int add_mount_steps(struct mnts_plan *plan, const struct mnts_mount *m, bool attach,
			   struct mnts_error *err)
{
	int i = plan_mount_index(plan, m);
	struct mnts_plan_mount *pm = &plan->mounts[i];
	const struct mnts_plan_mount *pp =
	    m->parent ? &plan->mounts[plan_mount_index(plan, m->parent)] : NULL;
	/* parsed once: the words were a tenth of building the steps */
	uint64_t attr = mount_attr(plan, m);
	struct mnts_step *s;

	if (source_is_mount(plan, i, attr)) {
		ensure_sb(plan, pm->sb);
		pm->slot = plan->sbs[pm->sb].slot;
	} else if (pm->sb >= 0) {
		struct mnts_plan_sb *sb = &plan->sbs[pm->sb];

		pm->slot = plan_new_slot(plan);
		ensure_sb(plan, pm->sb);
		s = plan_add_step(plan, MNTS_STEP_CLONE, i);
		s->src = sb->slot;
		s->rel = mnts_path_below(m->root, sb->root);
		s->create = sb->how == MNTS_SB_FRESH;
		if (m->deleted)
			s->create = pm->unlink_root = first_of_deleted_root(plan, i);
		s->aux = pp ? pp->slot : -1;
		s->dst = pm->slot;
	} else {
		pm->slot = plan_new_slot(plan);
		s = plan_add_step(plan, MNTS_STEP_NSFS, i);
		s->src = pm->nsfs_of >= 0 ? plan->nss[pm->nsfs_of].slot : -1;
		s->dst = pm->slot;
	}
	if (m->uid_map.n || m->gid_map.n) {
		s = plan_add_step(plan, MNTS_STEP_IDMAP, i);
		s->src = pm->slot;
	}
	if (!pp)
		return 0;
	/* mount_setattr refuses a detached mount that has a parent: the
	 * flags come now, and mountpoints below are made through the
	 * superblock's source, not through this mount */
	add_flags_step(plan, i, attr);
	/* a leaf is done: its propagation now, while mount_setattr can still
	 * reach it (a detached tree's root) */
	if (!m->n_children)
		add_propagation_steps(plan, i, !pm->copied);
	return attach ? add_attach_steps(plan, i, err) : 0;
}

/* A mount of add_tree_steps()'s path from the root: its children in
 * attachment order, and the next one to add. */
struct tree_frame {
	const struct mnts_mount *m;
	size_t *order; /* child_order(m); NULL: snapshot order (one child or none) */
	size_t next;
	const struct mnts_mount *later; /* its child attached once complete */
};

/* move_mount() walks from the mount it attaches onto up to the root of
 * its tree (the kernel's check that a tree is not attached inside
 * itself), and three times through the tree it attaches (nsfs mounts,
 * fs.mount-max, adding it to the namespace): attached one at a time, a
 * chain of N mounts (mounts stacked on one path) costs N^2/2 steps up,
 * minutes at 100,000.  So every S-th mount of a chain starts a detached
 * tree of its own, attached to its parent once complete: N*S/2 steps up
 * plus 3*N^2/(2*S) through the trees attached, least about S = 2*sqrt(N)
 * (perf of a 20,000-stack: the walks up at 1%, those through at 50%, with
 * S = 64). */
static size_t chain_segment(const struct mnts_plan *plan)
{
	size_t s = 64;

	while (s * s < 4 * plan->n_mounts)
		s *= 2;
	return s;
}

/* Whether child, at depth in its namespace's tree (segment:
 * chain_segment()), waits until its
 * subtree is complete to be attached to its parent: only the one child
 * of a mount (no sibling's attach order to keep, child_order()), not a
 * leaf (nothing to gain), nor where the attach goes inside a user
 * namespace's copy (add_owner_steps()). */
static bool attach_later(const struct mnts_plan *plan, const struct mnts_mount *child,
			 size_t depth, size_t segment)
{
	const struct mnts_plan_mount *pm = &plan->mounts[plan_mount_index(plan, child)];

	return depth % segment == 0 && child->n_children && child->parent->n_children == 1 &&
	       !pm->inside && !plan->mounts[plan_mount_index(plan, child->parent)].inside;
}

static void push_frame(struct tree_frame **stack, size_t *depth, size_t *cap,
		       const struct mnts_mount *m)
{
	if (*depth == *cap) {
		*cap = *cap ? 2 * *cap : 64;
		*stack = xreallocarray(*stack, *cap, sizeof(**stack));
	}
	/* an only child is covered by no sibling: a chain (deep trees) made
	 * an order and walked its path once a mount */
	(*stack)[(*depth)++] =
	    (struct tree_frame){.m = m, .order = m->n_children > 1 ? child_order(m) : NULL};
}

/* Steps that build root's whole tree as one detached tree, depth first:
 * each mount (add_mount_steps()), then its children, then the propagation
 * of a mount with children, once nothing more will be attached to it (a
 * namespace's root gets its propagation inside the namespace).  With an
 * explicit stack: mounts stacked on one path nest as deep as fs.mount-max
 * (100,000), too deep to recurse. */
static int add_tree_steps(struct mnts_plan *plan, const struct mnts_mount *root,
			  struct mnts_error *err)
{
	struct tree_frame *stack = NULL;
	size_t depth = 0, cap = 0, segment = chain_segment(plan);
	int r = add_mount_steps(plan, root, true, err);

	if (r < 0)
		return r;
	push_frame(&stack, &depth, &cap, root);
	while (depth > 0) {
		struct tree_frame *f = &stack[depth - 1];
		const struct mnts_mount *m = f->m, *child;

		if (f->next < m->n_children) {
			bool later;

			child = m->children[f->order ? f->order[f->next] : f->next];
			f->next++;
			later = attach_later(plan, child, depth, segment);
			r = add_mount_steps(plan, child, !later, err);
			if (r < 0)
				break;
			if (later)
				f->later = child;
			push_frame(&stack, &depth, &cap, child);
			continue;
		}
		/* before m's propagation: nothing may propagate from it */
		if (f->later) {
			r = add_attach_steps(plan, plan_mount_index(plan, f->later), err);
			if (r < 0)
				break;
		}
		if (m->parent && m->n_children) {
			int i = plan_mount_index(plan, m);

			add_propagation_steps(plan, i, false);
			plan->deferred[i] = m->unbindable;
		}
		free(f->order);
		depth--;
	}
	while (depth > 0)
		free(stack[--depth].order);
	free(stack);
	return r;
}

/* Whether mount pm (parent pp) is attached from inside the owned copy
 * rather than in its parent's detached tree: made by the container on an
 * inherited mount, or a carrier, or on one (a carrier's tree goes through
 * a copy into the owner, which would lock its inside children). */
static bool attached_inside(const struct mnts_plan_mount *pm, const struct mnts_plan_mount *pp)
{
	return pm->inside && (!pp->inside || pp->carrier || pm->carrier);
}

/* Steps that attach mount i onto its parent at its mountpoint. */
static int add_attach_steps(struct mnts_plan *plan, int i, struct mnts_error *err)
{
	const struct mnts_mount *m = plan->mounts[i].m;
	struct mnts_plan_mount *pm = &plan->mounts[i];
	const struct mnts_plan_mount *pp = &plan->mounts[plan_mount_index(plan, m->parent)];
	const char *rel = mnts_path_below(m->mountpoint, m->parent->mountpoint);
	bool create = plan->opts->create_mountpoints ||
		      (pp->sb >= 0 && plan->sbs[pp->sb].how == MNTS_SB_FRESH);
	/* a missing mountpoint is made through the parent superblock's
	 * source, writable (sbsource.c) while the parent may be read-only,
	 * per mount or (a new superblock, until SB_RO) at all */
	int view = create && pp->sb >= 0 ? plan->sbs[pp->sb].slot : -1;
	bool later = attached_inside(pm, pp);
	struct mnts_step *s;
	char name[512];

	if (!rel)
		return mnts_err(err, 0, "mount '%s': mountpoint is not below its parent's '%s'",
				mnts_plan_mount_name(m, name, sizeof(name)), m->parent->mountpoint);
	/* made by the container on an inherited mount (or on or as a
	 * carrier): its mountpoint now, the attachment from inside the owned
	 * copy (add_owner_steps()); a longer path is resolved RESOLVE_BENEATH
	 * first (exec.c) */
	if (later || strchr(rel, '/')) {
		pm->mp_slot = plan_new_slot(plan);
		s = plan_add_step(plan, MNTS_STEP_MOUNTPOINT, i);
		s->src = pp->slot;
		s->dst = pm->mp_slot;
		s->rel = rel;
		s->create = create;
		s->view = view;
		if (later) {
			plan->inside_tops[plan->n_inside_tops++] = i;
			return 0;
		}
		s = plan_add_step(plan, MNTS_STEP_ATTACH, i);
		s->src = pm->slot;
		s->aux = pm->mp_slot;
	} else {
		s = plan_add_step(plan, MNTS_STEP_ATTACH, i);
		s->src = pm->slot;
		s->aux = pp->slot;
		s->rel = rel;
		s->create = create;
		s->view = view;
	}
	return 0;
}

/* A live source whose path extends the previous one's is looked up from
 * an O_PATH fd of that one (src, rel): along a deep chain an absolute
 * lookup crosses hundreds of mounts. */
static void chain_live_sources(struct mnts_plan *plan)
{
	struct mnts_step *prev = NULL;

	for (size_t i = 0; i < plan->n_steps; i++) {
		struct mnts_step *s = &plan->steps[i];
		const struct mnts_plan_sb *sb = &plan->sbs[s->obj];
		const char *prev_path;
		size_t len;

		if (s->kind != MNTS_STEP_SB_LIVE || sb->ns_id)
			continue;
		if (prev) {
			prev_path = plan->sbs[prev->obj].path;
			len = strlen(prev_path);
			if (!strncmp(sb->path, prev_path, len) && sb->path[len] == '/' &&
			    sb->path[len + 1]) {
				prev->keep = plan_new_slot(plan);
				s->src = prev->keep;
				s->rel = sb->path + len + 1;
			}
		}
		prev = s;
	}
}

/* Whether namespace n is copied into its owning user namespace (NS_OWN):
 * captured as owned by one other than the initial one. */
static bool owned(const struct mnts_plan *plan, size_t n)
{
	const struct mnts_ns *ns = plan->nss[n].ns;

	return plan->opts->target == MNTS_PLAN_TARGET_NEW && !plan->opts->userns_none &&
	       ns->owner.known && !ns->owner.initial;
}

/* The mounts a container made (FORMAT.md §3, owner_userns.locked): in an
 * owned namespace whose locks were probed, every mount but the root that
 * is not locked.  They are built as usual but attached only inside the
 * copy; an inherited member of a peer group joins it through an anchor
 * (the copy makes it a slave: REJOIN), never by sharing itself, and so
 * does a carrier (plan.h), which the copy of its tree makes one too. */
static void mark_inside(struct mnts_plan *plan)
{
	plan->inside_tops = xcalloc(plan->n_mounts + 1, sizeof(int));
	for (size_t n = 0; n < plan->n_nss; n++) {
		const struct mnts_ns *ns = plan->nss[n].ns;
		struct mnts_plan_mount *base = &plan->mounts[plan->nss[n].base];

		if (!owned(plan, n))
			continue;
		for (size_t k = 0; k < ns->n_mounts; k++) {
			struct mnts_plan_mount *pm = &base[k];

			pm->inside = ns->owner.locked_known && pm->m->parent && !pm->m->locked;
			pm->copied = pm->m->parent && !pm->inside;
		}
		/* an inherited mount below one the container made (an rbind
		 * or pivot_root inside it): that one carries it (plan.h) */
		for (size_t k = 0; k < ns->n_mounts; k++) {
			const struct mnts_mount *m = base[k].m;

			if (!base[k].inside && m->parent && base[m->parent->index].inside)
				base[m->parent->index].carrier = true;
		}
		/* those the copy makes slaves take an anchor to REJOIN */
		for (size_t k = 0; k < ns->n_mounts; k++)
			if ((!base[k].inside || base[k].carrier) && base[k].group >= 0)
				plan->group_uses[base[k].group]++;
	}
}

/* A namespace captured as owned by a user namespace other than the initial
 * one is built as usual, then copied by a process in its owner (NS_OWN):
 * so the inherited mounts are locked, as in a container.  Then, inside the
 * copy, what the container made: its mounts attached (ATTACH_INSIDE, not
 * locked: they were never copied; a carrier with the inherited mounts
 * below it locked: ATTACH_CARRIED), the inherited members of peer groups
 * and the carriers put back in their groups (REJOIN: the copy made them
 * slaves), and the unbindable of every mount but the root (the copy
 * made the inherited ones private).  Returns: the slot of the user namespace
 * NS_OWN may create (pinned next to the namespace), or -1 without it. */
static int add_owner_steps(struct mnts_plan *plan, size_t n)
{
	const struct mnts_plan_ns *pn = &plan->nss[n];
	struct mnts_step *s;
	int userns_slot;

	if (!owned(plan, n))
		return -1;
	s = plan_add_step(plan, MNTS_STEP_NS_OWN, (int)n);
	s->aux = pn->slot;
	s->dst = userns_slot = plan_new_slot(plan);
	for (size_t k = 0; k < plan->n_inside_tops; k++) {
		int i = plan->inside_tops[k];
		const struct mnts_plan_mount *pm = &plan->mounts[i];

		if (pm->m->ns != pn->ns)
			continue;
		s = plan_add_step(plan, pm->carrier ? MNTS_STEP_ATTACH_CARRIED : MNTS_STEP_ATTACH_INSIDE,
				  i);
		s->src = pm->slot;
		s->aux = plan->mounts[plan_mount_index(plan, pm->m->parent)].slot;
	}
	for (size_t k = 0; k < pn->ns->n_mounts; k++) {
		int i = pn->base + (int)k;
		const struct mnts_plan_mount *pm = &plan->mounts[i];

		if ((!pm->inside || pm->carrier) && pm->group >= 0) {
			s = plan_add_step(plan, MNTS_STEP_REJOIN, i);
			s->src = plan->groups[pm->group].anchor_slot;
			s->aux = pm->slot;
		}
		if (pm->inside && plan->deferred[i]) {
			s = plan_add_step(plan, MNTS_STEP_UNBINDABLE, i);
			s->aux = pm->slot;
		}
		if (pm->copied && pm->m->unbindable) {
			s = plan_add_step(plan, MNTS_STEP_UNBINDABLE_INSIDE, i);
			s->aux = pm->slot;
		}
	}
	return userns_slot;
}

/* Takes the ATTACH of root's last child (and what hangs from it) out of
 * the steps of root's tree (from step first on), to be run once the rest
 * of the tree is in its new namespace: that namespace then holds its seed
 * mount (replay_ns.h) and the tree less that subtree, then the tree alone,
 * so a tree as large as a namespace can hold (fs.mount-max - 1 mounts,
 * preflight.c) fits.  Its mountpoint is made
 * and opened where the ATTACH was, before read-only superblocks are made
 * so.  Returns: the step to run after NS_POPULATE (kind MNTS_STEP__COUNT:
 * none, root has no child). */
static struct mnts_step hold_last_root_child(struct mnts_plan *plan, const struct mnts_mount *root,
					     size_t first)
{
	struct mnts_step held = {.kind = MNTS_STEP__COUNT};
	size_t i = plan->n_steps;
	bool found = false;

	while (!found && i > first) {
		const struct mnts_step *s = &plan->steps[--i];

		found = s->kind == MNTS_STEP_ATTACH && plan->mounts[s->obj].m->parent == root;
	}
	if (!found)
		return held;
	held = plan->steps[i];
	if (held.rel && *held.rel) {
		/* one component onto the root: open it now, attach later */
		struct mnts_step *mp = &plan->steps[i];

		plan->mounts[held.obj].mp_slot = plan_new_slot(plan);
		mp->kind = MNTS_STEP_MOUNTPOINT;
		mp->src = held.aux;
		mp->aux = -1;
		mp->dst = plan->mounts[held.obj].mp_slot;
		held.aux = mp->dst;
		held.rel = NULL;
		held.create = false;
		held.view = -1;
		return held;
	}
	memmove(&plan->steps[i], &plan->steps[i + 1],
		(plan->n_steps - i - 1) * sizeof(*plan->steps));
	plan->n_steps--;
	return held;
}

int plan_build_steps(struct mnts_plan *plan, struct mnts_error *err)
{
	_cleanup_free_ struct mnts_step *held = NULL;
	const struct mnts_plan_opts *opts = plan->opts;
	struct mnts_step *s;
	int *userns_slots;
	int r;

	plan->sb_made = xcalloc(plan->n_sbs + 1, sizeof(bool));
	plan->group_made = xcalloc(plan->n_groups + 1, sizeof(bool));
	plan->deferred = xcalloc(plan->n_mounts + 1, sizeof(bool));
	plan->group_uses = xcalloc(plan->n_groups + 1, sizeof(int));
	for (size_t i = 0; i < plan->n_mounts; i++) {
		if (plan->mounts[i].group >= 0)
			plan->group_uses[plan->mounts[i].group]++;
		if (plan->mounts[i].slave_of >= 0)
			plan->group_uses[plan->mounts[i].slave_of]++;
	}
	for (size_t g = 0; g < plan->n_groups; g++)
		if (plan->groups[g].master >= 0)
			plan->group_uses[plan->groups[g].master]++;
	mark_inside(plan);
	if (opts->target == MNTS_PLAN_TARGET_NEW)
		for (size_t n = 0; n < plan->n_nss; n++) {
			plan->nss[n].slot = plan_new_slot(plan);
			s = plan_add_step(plan, MNTS_STEP_NS_CREATE, (int)n);
			s->dst = plan->nss[n].slot;
		}
	held = xcalloc(plan->n_nss + 1, sizeof(*held));
	for (size_t n = 0; n < plan->n_nss; n++) {
		const struct mnts_plan_mount *root =
		    &plan->mounts[plan_mount_index(plan, plan->nss[n].ns->root)];
		size_t first = plan->n_steps;

		r = add_tree_steps(plan, plan->nss[n].ns->root, err);
		if (r < 0)
			return r;
		held[n].kind = MNTS_STEP__COUNT;
		/* with --root the tree goes into a copy of the caller's
		 * namespace, whose mounts count anyway */
		if (opts->target == MNTS_PLAN_TARGET_NEW && !opts->root_dir)
			held[n] = hold_last_root_child(plan, plan->nss[n].ns->root, first);
		/* a read-only root (a container's) once its children are
		 * attached: it is still the root of its detached tree */
		add_flags_step(plan, plan_mount_index(plan, plan->nss[n].ns->root),
			       mount_attr(plan, plan->nss[n].ns->root));
		/* anchors are made in the caller's namespace, where the
		 * sources are: the roots' too */
		if (root->group >= 0)
			ensure_group(plan, root->group);
		else if (root->slave_of >= 0)
			ensure_slave_anchor(plan, root->slave_of, root->sb);
	}
	/* once every root and mountpoint inside them exists: nothing is
	 * created after this (fresh superblocks are made writable: the
	 * options skip "ro", fsopts.c) */
	for (size_t i = 0; i < plan->n_sbs; i++)
		if (plan->sbs[i].how == MNTS_SB_FRESH && plan->sbs[i].ro) {
			s = plan_add_step(plan, MNTS_STEP_SB_RO, (int)i);
			s->src = plan->sbs[i].slot;
		}
	for (size_t n = 0; n < plan->n_nss; n++) {
		int root = plan_mount_index(plan, plan->nss[n].ns->root);

		s = plan_add_step(plan,
				  opts->target == MNTS_PLAN_TARGET_NEW ? MNTS_STEP_NS_POPULATE
								       : MNTS_STEP_GRAFT,
				  (int)n);
		s->src = plan->mounts[root].slot;
		s->aux = plan->nss[n].slot;
		if (held[n].kind != MNTS_STEP__COUNT) {
			s = plan_add_step(plan, MNTS_STEP_ATTACH, held[n].obj);
			*s = held[n];
		}
	}
	/* a root's propagation from inside its namespace: pivot_root refuses
	 * shared parents, and nothing may propagate while the old root goes */
	for (size_t n = 0; n < plan->n_nss; n++)
		add_propagation_steps(plan, plan_mount_index(plan, plan->nss[n].ns->root), true);
	for (size_t i = 0; i < plan->n_mounts; i++) {
		const struct mnts_plan_mount *pm = &plan->mounts[i];

		/* an inside mount's once it is inside (add_owner_steps()) */
		if (plan->deferred[i] && !pm->inside && !pm->copied) {
			s = plan_add_step(plan, MNTS_STEP_UNBINDABLE, (int)i);
			s->aux = pm->slot;
		}
		/* once the mounts with that root are attached */
		if (pm->unlink_root) {
			s = plan_add_step(plan, MNTS_STEP_UNLINK_ROOT, (int)i);
			s->src = plan->sbs[pm->sb].slot;
			s->rel = mnts_path_below(pm->m->root, plan->sbs[pm->sb].root);
		}
	}
	chain_live_sources(plan);
	/* before DROP: what happens inside an owned copy uses the anchors */
	userns_slots = xcalloc(plan->n_nss + 1, sizeof(int));
	for (size_t n = 0; n < plan->n_nss; n++)
		userns_slots[n] = add_owner_steps(plan, n);
	plan_add_step(plan, MNTS_STEP_DROP, -1);
	if (opts->target == MNTS_PLAN_TARGET_NEW)
		for (size_t n = 0; n < plan->n_nss; n++) {
			s = plan_add_step(plan, MNTS_STEP_PIN, (int)n);
			s->aux = plan->nss[n].slot;
			s->src = userns_slots[n];
		}
	free(userns_slots);
	return 0;
}

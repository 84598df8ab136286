/* fields.c - a paired mount's own fields compared with its partner's (see
 * internal.h): fstype, source, root, options as sets, dev, unbindable, the
 * namespace an nsfs mount pins, idmaps, locks, and ids under strict_ids; and a
 * paired namespace's owning user namespace. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compare/internal.h"
#include "lib/core/strbuf.h"

static char *join_strv(const struct mnts_strv *sv, const char *sep)
{
	struct mnts_strbuf sb = {0};

	for (size_t i = 0; i < sv->n; i++)
		mnts_strbuf_addf(&sb, "%s%s", i ? sep : "", sv->v[i]);
	return mnts_strbuf_take(&sb);
}

/* "-a +b" for options as sets; "rw" is the absence of "ro", not a word of
 * its own.  Returns: NULL when the sets are equal. */
static char *options_delta(const struct mnts_strv *a, const struct mnts_strv *b)
{
	struct mnts_strbuf sb = {0};

	for (size_t i = 0; i < a->n; i++)
		if (!streq(a->v[i], "rw") && !mnts_strv_contains(b, a->v[i]))
			mnts_strbuf_addf(&sb, "%s-%s", sb.len ? " " : "", a->v[i]);
	for (size_t i = 0; i < b->n; i++)
		if (!streq(b->v[i], "rw") && !mnts_strv_contains(a, b->v[i]))
			mnts_strbuf_addf(&sb, "%s+%s", sb.len ? " " : "", b->v[i]);
	return sb.s;
}

static bool str_differs(const char *x, const char *y)
{
	if (!x || !y)
		return x != y;
	return !streq(x, y);
}

static struct mnts_value idmap_value(const struct mnts_mount *m)
{
	struct mnts_value o;

	if (!m->uid_map.n && !m->gid_map.n)
		return (struct mnts_value){0};
	o = mnts_value_object();
	mnts_value_set(&o, "gid_map", mnts_value_strv(&m->gid_map));
	mnts_value_set(&o, "uid_map", mnts_value_strv(&m->uid_map));
	return o;
}

static struct mnts_value nsfs_value(const struct mnts_mount *m)
{
	struct mnts_value o;

	if (!m->nsfs_type)
		return (struct mnts_value){0};
	o = mnts_value_object();
	mnts_value_set(&o, "ns", mnts_value_string(m->nsfs_ns));
	mnts_value_set(&o, "type", mnts_value_string(m->nsfs_type));
	return o;
}

static struct mnts_value dev_value(const struct mnts_mount *m)
{
	struct mnts_value o = mnts_value_object();

	mnts_value_set(&o, "major", mnts_value_number(m->dev_major));
	mnts_value_set(&o, "minor", mnts_value_number(m->dev_minor));
	return o;
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
	/* field: propagate_from_id, as "propagate_from" is the group the
	 * number names (compared modulo renumbering) */
	static const struct {
		const char *name, *field;
		size_t off;
	} ids[] = {
	    {"id", "id", offsetof(struct mnts_mount, id)},
	    {"mnt_id", "mnt_id", offsetof(struct mnts_mount, mnt_id)},
	    {"shared_id", "shared_id", offsetof(struct mnts_mount, shared_id)},
	    {"master_id", "master_id", offsetof(struct mnts_mount, master_id)},
	    {"propagate_from", "propagate_from_id", offsetof(struct mnts_mount, propagate_from)},
	    {"nsfs_ino", "nsfs_ino", offsetof(struct mnts_mount, nsfs_ino)},
	};

	for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
		uint64_t vx = *(const uint64_t *)((const char *)x + ids[i].off);
		uint64_t vy = *(const uint64_t *)((const char *)y + ids[i].off);

		if (vx != vy)
			mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_IDS, ids[i].field,
							      ids[i].name, xasprintf("%" PRIu64, vx),
							      xasprintf("%" PRIu64, vy)),
					  mnts_value_number(vx), mnts_value_number(vy));
	}
}

/* The two sides were captured in different boots (both say which). */
static bool other_boots(const struct ctx *c)
{
	const char *x = c->a.snap->boot_id, *y = c->b.snap->boot_id;

	return x && y && !streq(x, y);
}

static void add_nsfs(struct ctx *c, size_t ga, const struct mnts_mount *x,
		     const struct mnts_mount *y)
{
	mnts_cmp_set_data(
	    mnts_cmp_add_change(c, ga, SEQ_NSFS, "nsfs", "pins", nsfs_words(x), nsfs_words(y)),
	    nsfs_value(x), nsfs_value(y));
}

void mnts_cmp_fields(struct ctx *c, size_t ga, size_t gb)
{
	const struct mnts_mount *x = c->a.mnt[ga], *y = c->b.mnt[gb];
	char *delta;

	if (!ignored(c, MNTS_FIELD_FSTYPE) && !streq(x->fstype, y->fstype))
		mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_FSTYPE, "fstype", "fstype",
						      xstrdup(x->fstype), xstrdup(y->fstype)),
				  mnts_value_string(x->fstype), mnts_value_string(y->fstype));
	if (!ignored(c, MNTS_FIELD_SOURCE) && str_differs(x->source, y->source))
		mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_SOURCE, "source", "source",
						      xstrdup(x->source ? x->source : "none"),
						      xstrdup(y->source ? y->source : "none")),
				  mnts_value_string(x->source), mnts_value_string(y->source));
	if (!ignored(c, MNTS_FIELD_ROOT) && !streq(x->root, y->root))
		mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_ROOT, "root", "root",
						      xstrdup(x->root), xstrdup(y->root)),
				  mnts_value_string(x->root), mnts_value_string(y->root));
	/* where both sides recorded it (format 3) */
	if (!ignored(c, MNTS_FIELD_ROOT) && x->root_type && y->root_type &&
	    x->root_type != y->root_type) {
		const char *tx = x->root_type == MNTS_ROOT_DIR ? "dir" : "file";
		const char *ty = y->root_type == MNTS_ROOT_DIR ? "dir" : "file";

		mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_DELETED, "root_type", "root type",
						      xstrdup(tx), xstrdup(ty)),
				  mnts_value_string(tx), mnts_value_string(ty));
	}
	if (!ignored(c, MNTS_FIELD_ROOT) && x->deleted != y->deleted)
		mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_DELETED, "deleted", "deleted",
						      xstrdup(x->deleted ? "yes" : "no"),
						      xstrdup(y->deleted ? "yes" : "no")),
				  mnts_value_bool(x->deleted), mnts_value_bool(y->deleted));
	if (!ignored(c, MNTS_FIELD_MOUNT_OPTIONS) &&
	    (delta = options_delta(&x->mount_options, &y->mount_options))) {
		mnts_cmp_set_data(mnts_cmp_add_change_text(c, ga, SEQ_MOUNT_OPTIONS,
							   "mount_options", "options",
							   join_strv(&x->mount_options, ","),
							   join_strv(&y->mount_options, ","), delta),
				  mnts_value_strv(&x->mount_options),
				  mnts_value_strv(&y->mount_options));
		free(delta);
	}
	/* superblock options once per superblock, at its first mount; none
	 * at all (a spec that does not state them: not even rw or ro) is
	 * "whatever the kernel makes", nothing to compare */
	if (!ignored(c, MNTS_FIELD_SUPER_OPTIONS) && x->super_options.n && y->super_options.n &&
	    c->sb_reported[c->a.sbs.cls[ga]] != c->b.sbs.cls[gb] + 1 &&
	    (delta = options_delta(&x->super_options, &y->super_options))) {
		mnts_cmp_set_data(mnts_cmp_add_change_text(c, ga, SEQ_SUPER_OPTIONS,
							   "super_options", "super options",
							   join_strv(&x->super_options, ","),
							   join_strv(&y->super_options, ","), delta),
				  mnts_value_strv(&x->super_options),
				  mnts_value_strv(&y->super_options));
		free(delta);
		c->sb_reported[c->a.sbs.cls[ga]] = c->b.sbs.cls[gb] + 1;
	}
	/* a block device number names the device, not an accident of
	 * allocation; anonymous devices (major 0) are renumbered freely.
	 * Across boots (or machines) a number names nothing: the filesystem's
	 * UUID does, when both sides know it */
	if (ignored(c, MNTS_FIELD_DEV)) {
	} else if (other_boots(c)) {
		if (x->fs_uuid && y->fs_uuid && !streq(x->fs_uuid, y->fs_uuid))
			mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_DEV, "dev",
							      "filesystem UUID", xstrdup(x->fs_uuid),
							      xstrdup(y->fs_uuid)),
					  mnts_value_string(x->fs_uuid),
					  mnts_value_string(y->fs_uuid));
	} else if ((x->dev_major != y->dev_major || x->dev_minor != y->dev_minor) &&
		   (c->opts->strict_ids || x->dev_major || y->dev_major)) {
		mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_DEV, "dev", "dev",
						      xasprintf("%u:%u", x->dev_major, x->dev_minor),
						      xasprintf("%u:%u", y->dev_major, y->dev_minor)),
				  dev_value(x), dev_value(y));
	}
	if (!ignored(c, MNTS_FIELD_PROPAGATION) && x->unbindable != y->unbindable)
		mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_UNBINDABLE, "unbindable",
						      "unbindable", xstrdup(x->unbindable ? "yes" : "no"),
						      xstrdup(y->unbindable ? "yes" : "no")),
				  mnts_value_bool(x->unbindable), mnts_value_bool(y->unbindable));
	if (str_differs(x->nsfs_type, y->nsfs_type) || (x->nsfs_ns && !y->nsfs_ns) ||
	    (!x->nsfs_ns && y->nsfs_ns)) {
		add_nsfs(c, ga, x, y);
	} else if (x->nsfs_ns) {
		/* the pinned namespace, through the namespace pairing */
		const struct mnts_ns *px = mnts_snapshot_find_ns(c->a.snap, x->nsfs_ns);
		size_t pj = c->a.ns_partner[px - c->a.snap->nss];
		const char *expect = pj == NONE ? NULL : c->b.snap->nss[pj].label;

		if (!expect || !streq(expect, y->nsfs_ns))
			add_nsfs(c, ga, x, y);
	}
	if (!mnts_strv_equal(&x->uid_map, &y->uid_map) ||
	    !mnts_strv_equal(&x->gid_map, &y->gid_map))
		mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_IDMAP, "idmap", "idmap",
						      idmap_words(x), idmap_words(y)),
				  idmap_value(x), idmap_value(y));
	/* MNT_LOCKED, where both sides probed it (capture of a namespace
	 * owned by another user namespace); a root is never unmounted alone */
	if (x->ns->owner.locked_known && y->ns->owner.locked_known && x->parent && y->parent &&
	    x->locked != y->locked)
		mnts_cmp_set_data(mnts_cmp_add_change(c, ga, SEQ_LOCKED, "locked", "locked",
						      xstrdup(x->locked ? "yes" : "no"),
						      xstrdup(y->locked ? "yes" : "no")),
				  mnts_value_bool(x->locked), mnts_value_bool(y->locked));
	if (c->opts->strict_ids)
		compare_ids(c, ga, x, y);
}

/* "initial", or "uid MAP, gid MAP" of another user namespace. */
static char *owner_words(const struct mnts_ns *ns)
{
	_cleanup_free_ char *u = NULL, *g = NULL;

	if (ns->owner.initial)
		return xstrdup("initial user namespace");
	u = join_strv(&ns->owner.uid_map, "; ");
	g = join_strv(&ns->owner.gid_map, "; ");
	return xasprintf("user namespace uid %s, gid %s", u, g);
}

static struct mnts_value owner_value(const struct mnts_ns *ns)
{
	struct mnts_value o = mnts_value_object();

	mnts_value_set(&o, "gid_map", mnts_value_strv(&ns->owner.gid_map));
	mnts_value_set(&o, "initial", mnts_value_bool(ns->owner.initial));
	mnts_value_set(&o, "uid_map", mnts_value_strv(&ns->owner.uid_map));
	return o;
}

void mnts_cmp_ns_owner(struct ctx *c, size_t i, size_t j)
{
	const struct mnts_ns *x = &c->a.snap->nss[i], *y = &c->b.snap->nss[j];
	_cleanup_free_ char *ow = NULL, *nw = NULL;

	/* not recorded (-F, format 1) on a side: nothing to compare */
	if (!x->owner.known || !y->owner.known)
		return;
	if (x->owner.initial == y->owner.initial &&
	    mnts_strv_equal(&x->owner.uid_map, &y->owner.uid_map) &&
	    mnts_strv_equal(&x->owner.gid_map, &y->owner.gid_map))
		return;
	ow = owner_words(x);
	nw = owner_words(y);
	mnts_cmp_set_data(mnts_cmp_add_found(c, MNTS_DIFF_CHANGED, i, x->label, y->label, NULL, 0,
					     SEQ_NAMESPACE, "owner", xstrdup(ow), xstrdup(nw),
					     xasprintf("~ namespace %s: owner: %s -> %s", x->label,
						       ow, nw)),
			  owner_value(x), owner_value(y));
}

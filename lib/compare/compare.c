/* compare.c - two snapshots compared modulo renumbering (see compare.h): the
 * steps in order, and the list of differences they add to.  The steps live
 * in view.c, match.c, fields.c and groups.c (see internal.h). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/compare/internal.h"
#include "lib/core/path.h"
#include "lib/core/strbuf.h"

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

struct found *mnts_cmp_add_found(struct ctx *c, enum mnts_diff_kind kind, size_t ns_key,
				 const char *ns, const char *ns_other, const char *mountpoint,
				 unsigned int layer, enum seq seq, const char *field,
				 char *old_value, char *new_value, char *text)
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
char *mnts_cmp_mount_words(const struct view *s, size_t g, size_t here_ns)
{
	const struct mnts_mount *m = s->mnt[g];
	struct mnts_strbuf sb = {0};

	if (ns_of(s, g) != here_ns)
		mnts_strbuf_addf(&sb, "%s:", m->ns->label);
	mnts_strbuf_addf(&sb, "%s", m->mountpoint);
	if (s->layer[g] > 1)
		mnts_strbuf_addf(&sb, " (layer %u)", s->layer[g]);
	return mnts_strbuf_take(&sb);
}

char *mnts_cmp_group_words(const struct view *s, size_t cls, size_t here_ns)
{
	_cleanup_free_ char *who = mnts_cmp_mount_words(s, s->groups.first[cls], here_ns);
	return xasprintf("(group of %s)", who);
}

struct mnts_value mnts_cmp_mount_ref(const struct view *s, size_t g)
{
	struct mnts_value o = mnts_value_object();

	mnts_value_set(&o, "layer", mnts_value_number(s->layer[g]));
	mnts_value_set(&o, "mountpoint", mnts_value_string(s->mnt[g]->mountpoint));
	mnts_value_set(&o, "ns", mnts_value_string(s->mnt[g]->ns->label));
	return o;
}

/* Adds a "~ MOUNT: what: old -> new" line about paired mount ga (of A). */
struct found *mnts_cmp_add_change(struct ctx *c, size_t ga, enum seq seq, const char *field,
			 const char *what, char *old_value, char *new_value)
{
	const struct mnts_mount *m = c->a.mnt[ga];
	size_t na = ns_of(&c->a, ga);
	_cleanup_free_ char *where = mnts_cmp_mount_words(&c->a, ga, na);
	char *text = xasprintf("~ %s: %s: %s -> %s", where, what, old_value ? old_value : "none",
			       new_value ? new_value : "none");

	return mnts_cmp_add_found(c, MNTS_DIFF_CHANGED, na, m->ns->label,
				  c->b.snap->nss[c->a.ns_partner[na]].label, m->mountpoint,
				  c->a.layer[ga], seq, field, old_value, new_value, text);
}

/* Like mnts_cmp_add_change, but the text after "MOUNT: what: " is given whole. */
struct found *mnts_cmp_add_change_text(struct ctx *c, size_t ga, enum seq seq, const char *field,
				       const char *what, char *old_value, char *new_value,
				       const char *tail)
{
	const struct mnts_mount *m = c->a.mnt[ga];
	size_t na = ns_of(&c->a, ga);
	_cleanup_free_ char *where = mnts_cmp_mount_words(&c->a, ga, na);
	char *text = xasprintf("~ %s: %s: %s", where, what, tail);

	return mnts_cmp_add_found(c, MNTS_DIFF_CHANGED, na, m->ns->label,
				  c->b.snap->nss[c->a.ns_partner[na]].label, m->mountpoint,
				  c->a.layer[ga], seq, field, old_value, new_value, text);
}

/* ---- added, removed -------------------------------------------------------------- */

/* An added or removed mount as data: what it is, not where (the item's
 * mountpoint and layer say where). */
static struct mnts_value mount_value(const struct mnts_mount *m)
{
	struct mnts_value o = mnts_value_object();

	mnts_value_set(&o, "fstype", mnts_value_string(m->fstype));
	mnts_value_set(&o, "root", mnts_value_string(m->root));
	mnts_value_set(&o, "source", mnts_value_string(m->source));
	return o;
}

static void add_mount_only(struct ctx *c, const struct view *s, size_t g, bool in_a)
{
	struct found *f;

	const struct mnts_mount *m = s->mnt[g];
	size_t ns = ns_of(s, g);
	size_t ns_key = in_a ? ns : s->ns_partner[ns];
	const char *label = in_a ? m->ns->label : c->a.snap->nss[ns_key].label;
	const char *other = in_a ? c->b.snap->nss[s->ns_partner[ns]].label : m->ns->label;
	_cleanup_free_ char *where = mnts_cmp_mount_words(s, g, ns);

	f = mnts_cmp_add_found(c, in_a ? MNTS_DIFF_REMOVED : MNTS_DIFF_ADDED, ns_key, label,
			       other, m->mountpoint, s->layer[g], SEQ_MOUNT, "mount",
			       in_a ? xstrdup(m->fstype) : NULL, in_a ? NULL : xstrdup(m->fstype),
			       xasprintf("%c %s %s", in_a ? '-' : '+', where, m->fstype));
	if (in_a)
		f->it.old_data = mount_value(m);
	else
		f->it.new_data = mount_value(m);
}

static void compare_namespaces(struct ctx *c)
{
	for (size_t i = 0; i < c->a.snap->n_ns; i++) {
		const struct mnts_ns *x = &c->a.snap->nss[i];
		size_t j = c->a.ns_partner[i];

		if (!mnts_cmp_ns_selected(c, i))
			continue;
		if (j == NONE) {
			mnts_cmp_add_found(c, MNTS_DIFF_REMOVED, i, x->label, NULL, NULL, 0,
					   SEQ_NAMESPACE, "namespace", xstrdup(x->label), NULL,
					   xasprintf("- namespace %s", x->label))
			    ->it.old_data = mnts_value_string(x->label);
			continue;
		}
		mnts_cmp_ns_owner(c, i, j);
		if (c->opts->strict_ids && x->mnt_ns_id != c->b.snap->nss[j].mnt_ns_id) {
			const struct mnts_ns *y = &c->b.snap->nss[j];

			mnts_cmp_set_data(
			    mnts_cmp_add_found(
				c, MNTS_DIFF_CHANGED, i, x->label, y->label, NULL, 0, SEQ_NAMESPACE,
				"mnt_ns_id", xasprintf("%" PRIu64, x->mnt_ns_id),
				xasprintf("%" PRIu64, y->mnt_ns_id),
				xasprintf("~ namespace %s: mnt_ns_id: %" PRIu64 " -> %" PRIu64,
					  x->label, x->mnt_ns_id, y->mnt_ns_id)),
			    mnts_value_number(x->mnt_ns_id), mnts_value_number(y->mnt_ns_id));
		}
	}
	if (c->opts->n_ns_labels)
		return;
	for (size_t j = 0; j < c->b.snap->n_ns; j++) {
		const struct mnts_ns *y = &c->b.snap->nss[j];

		if (c->b.ns_partner[j] == NONE)
			mnts_cmp_add_found(c, MNTS_DIFF_ADDED, c->a.snap->n_ns + j, y->label, NULL,
					   NULL, 0, SEQ_NAMESPACE, "namespace", NULL,
					   xstrdup(y->label),
					   xasprintf("+ namespace %s", y->label))
			    ->it.new_data = mnts_value_string(y->label);
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

struct label_at {
	const char *label;
	size_t ns;
};

static int cmp_label(const void *x, const void *y)
{
	return strcmp(((const struct label_at *)x)->label, ((const struct label_at *)y)->label);
}

/* The subtree, and which of A's namespaces opts->ns_labels selects (each
 * label must name one), by a sorted list of A's labels: a replay's
 * verification selects each of a thousand namespaces, and a search of the
 * labels per mount was most of its comparison. */
static int check_opts(struct ctx *c, const struct mnts_snapshot *a, struct mnts_error *err)
{
	const struct mnts_compare_opts *o = c->opts;
	_cleanup_free_ struct label_at *sorted = NULL;

	if (o->subtree && !mnts_path_is_normal(o->subtree))
		return mnts_err(err, 0, "subtree '%s': not an absolute normalised path",
				o->subtree);
	c->ns_selected = xcalloc(a->n_ns + 1, sizeof(*c->ns_selected));
	if (!o->n_ns_labels) {
		for (size_t i = 0; i < a->n_ns; i++)
			c->ns_selected[i] = true;
		return 0;
	}
	sorted = xcalloc(a->n_ns + 1, sizeof(*sorted));
	for (size_t i = 0; i < a->n_ns; i++)
		sorted[i] = (struct label_at){a->nss[i].label, i};
	qsort(sorted, a->n_ns, sizeof(*sorted), cmp_label);
	for (size_t i = 0; i < o->n_ns_labels; i++) {
		struct label_at key = {o->ns_labels[i], 0};
		const struct label_at *at = bsearch(&key, sorted, a->n_ns, sizeof(*sorted), cmp_label);

		if (!at)
			return mnts_err(err, 0, "namespace '%s': not in the first snapshot",
					o->ns_labels[i]);
		c->ns_selected[at->ns] = true;
	}
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
	if (c.opts->a_prepared && mnts_cmp_prepared_snap(c.opts->a_prepared) != a)
		return mnts_err(err, 0, "compare: a_prepared was made of another snapshot");
	r = check_opts(&c, a, err);
	if (r < 0) {
		free(c.ns_selected);
		return r;
	}

	if (c.opts->a_prepared)
		mnts_cmp_views_init_ahead(&c.a, c.opts->a_prepared, &c.b, b);
	else
		mnts_cmp_views_init(&c.a, a, &c.b, b);
	mnts_cmp_match_ns(&c);
	mnts_cmp_pair_mounts(&c);
	mnts_cmp_set_scope(&c);

	compare_namespaces(&c);
	c.sb_reported = xcalloc(c.a.sbs.n_classes + 1, sizeof(*c.sb_reported));
	for (size_t i = 0; i < c.a.n; i++) {
		size_t ga = c.a.by_rank[i];

		if (!c.a.scope[ga] || c.a.ns_partner[ns_of(&c.a, ga)] == NONE)
			continue;
		if (c.a.partner[ga] == NONE)
			add_mount_only(&c, &c.a, ga, true);
		else if (c.b.scope[c.a.partner[ga]])
			mnts_cmp_fields(&c, ga, c.a.partner[ga]);
	}
	for (size_t gb = 0; gb < c.b.n; gb++)
		if (c.b.scope[gb] && c.b.partner[gb] == NONE &&
		    c.b.ns_partner[ns_of(&c.b, gb)] != NONE)
			add_mount_only(&c, &c.b, gb, false);
	if (!ignored(&c, MNTS_FIELD_SUPERBLOCK))
		mnts_cmp_superblocks(&c);
	if (!ignored(&c, MNTS_FIELD_PROPAGATION)) {
		mnts_cmp_peers(&c);
		mnts_cmp_masters(&c);
	}

	if (c.n_found) /* found is NULL when there are none */
		qsort(c.found, c.n_found, sizeof(*c.found), cmp_found);
	ret->n = c.n_found;
	ret->items = xcalloc(c.n_found + 1, sizeof(*ret->items));
	for (size_t i = 0; i < c.n_found; i++)
		ret->items[i] = c.found[i].it;
	free(c.found);
	free(c.sb_reported);
	free(c.ns_selected);
	mnts_cmp_members_done(&c);
	if (!c.opts->a_prepared)
		mnts_cmp_view_done(&c.a);
	mnts_cmp_view_done(&c.b);
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
		mnts_value_done(&it->old_data);
		mnts_value_done(&it->new_data);
	}
	free(d->items);
	*d = (struct mnts_diff){0};
}

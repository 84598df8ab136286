/* dot.c - see dot.h */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/macros.h"
#include "lib/core/strbuf.h"
#include "lib/report/columns.h"
#include "lib/report/dot.h"

enum mark {
	MARK_NONE,
	MARK_REMOVED, /* only in A */
	MARK_ADDED,   /* only in B */
	MARK_CHANGED,
};

static const char *const mark_colour[] = {"black", "red3", "green4", "darkorange"};

/* One side of the picture: a snapshot, its node-name prefix, and per
 * namespace which mounts are drawn and how they are marked. */
struct side {
	const struct mnts_snapshot *snap;
	const char *prefix; /* node names: PREFIX_NS_INDEX */
	bool **shown;	    /* per namespace (NULL: not drawn) */
	enum mark **mark;   /* per namespace per mount, or NULL */
	enum mark *ns_mark; /* per namespace, or NULL */
	char ***note;	    /* per namespace per mount: "changed: ..." or NULL */
};

/* s inside a dot string: escaped as every output (\ooo, so no new line
 * reaches dot), then '"' and '\' quoted for dot. */
static void dot_quote(FILE *f, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', f);
		fputc(*p, f);
	}
}

static void dot_str(FILE *f, const char *s)
{
	_cleanup_free_ char *e = mnts_escape_dup(s);

	fputc('"', f);
	dot_quote(f, e);
	fputc('"', f);
}

static void node_name(FILE *f, const struct side *s, const struct mnts_mount *m)
{
	fprintf(f, "%s_%zu_%zu", s->prefix, (size_t)(m->ns - s->snap->nss), m->index);
}

static bool is_ro(const struct mnts_mount *m)
{
	return mnts_strv_contains(&m->mount_options, "ro") ||
	       mnts_strv_contains(&m->super_options, "ro");
}

static bool locked_ns(const struct mnts_ns *ns)
{
	return ns->owner.known && !ns->owner.initial;
}

static void draw_mount(FILE *f, const struct side *s, const struct mnts_mount *m)
{
	size_t ni = (size_t)(m->ns - s->snap->nss);
	enum mark mk = s->mark ? s->mark[ni][m->index] : MARK_NONE;
	_cleanup_free_ char *src = mnts_col_value(MNTS_COL_SOURCE, m),
			    *fields = mnts_col_value(MNTS_COL_OPT_FIELDS, m),
			    *e_target = mnts_escape_dup(m->mountpoint),
			    *e_type = mnts_escape_dup(m->fstype ? m->fstype : "?"),
			    *e_src = mnts_escape_dup(src);
	struct mnts_strbuf label = {0};
	_cleanup_free_ char *text = NULL;

	/* one label line each: where, what, how it propagates; the strings
	 * escaped first, so a '\n' here is only our line break */
	mnts_strbuf_addf(&label, "%s\n%s %s\n%s", e_target, e_type, e_src, is_ro(m) ? "ro" : "rw");
	if (*fields)
		mnts_strbuf_addf(&label, " %s", fields);
	if (s->note && s->note[ni][m->index])
		mnts_strbuf_addf(&label, "\n%s", s->note[ni][m->index]);
	text = mnts_strbuf_take(&label);
	fputs("\t", f);
	node_name(f, s, m);
	fputs(" [label=", f);
	/* the label's lines are escaped one by one: "\n" between them is
	 * dot's line break, a new line inside a path is \012 */
	fputc('"', f);
	for (char *line = text, *nl;; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		dot_quote(f, line);
		if (!nl)
			break;
		fputs("\\n", f);
	}
	fputc('"', f);
	if (is_ro(m))
		fputs(", style=filled, fillcolor=gray85", f);
	if (m->unbindable)
		fputs(", peripheries=2", f);
	if (locked_ns(m->ns))
		fputs(", penwidth=2.5", f);
	if (mk != MARK_NONE)
		fprintf(f, ", color=%s, fontcolor=%s, penwidth=2.5", mark_colour[mk],
			mark_colour[mk]);
	fputs("];\n", f);
}

struct member {
	uint64_t group;
	const struct mnts_mount *m;
};

static int member_cmp(const void *x, const void *y)
{
	const struct member *a = x, *b = y;

	if (a->group != b->group)
		return a->group < b->group ? -1 : 1;
	if (a->m->ns != b->m->ns)
		return a->m->ns < b->m->ns ? -1 : 1;
	return a->m->index < b->m->index ? -1 : a->m->index > b->m->index;
}

static const struct mnts_mount *master_member(const struct member *g, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (g[mid].group < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && g[lo].group == id ? g[lo].m : NULL;
}

static void draw_side(FILE *f, const struct side *s, size_t *ret_n)
{
	const struct mnts_snapshot *snap = s->snap;
	_cleanup_free_ struct member *groups = NULL;
	size_t n_groups = 0, total = 0;

	for (size_t i = 0; i < snap->n_ns; i++)
		total += snap->nss[i].n_mounts;
	groups = xcalloc(total + 1, sizeof(*groups));
	*ret_n = 0;
	/* the namespaces, their mounts and the tree */
	for (size_t i = 0; i < snap->n_ns; i++) {
		const struct mnts_ns *ns = &snap->nss[i];
		enum mark mk = s->ns_mark ? s->ns_mark[i] : MARK_NONE;
		struct mnts_strbuf label = {0};
		_cleanup_free_ char *text = NULL;

		if (!s->shown[i])
			continue;
		mnts_strbuf_addf(&label, "namespace %s", ns->label);
		if (ns->mnt_ns_id)
			mnts_strbuf_addf(&label, " (mnt_ns_id %" PRIu64 ")", ns->mnt_ns_id);
		if (locked_ns(ns))
			mnts_strbuf_addf(&label,
					 ", owned by user namespace %" PRIu64
					 ": inherited mounts locked",
					 ns->owner_userns_ino);
		text = mnts_strbuf_take(&label);
		fprintf(f, "\t%s_%zu [shape=tab, label=", s->prefix, i);
		dot_str(f, text);
		if (mk != MARK_NONE)
			fprintf(f, ", color=%s, fontcolor=%s, penwidth=2.5", mark_colour[mk],
				mark_colour[mk]);
		fputs("];\n", f);
		for (size_t k = 0; k < ns->n_mounts; k++) {
			const struct mnts_mount *m = &ns->mounts[k];
			bool parent_shown = m->parent && s->shown[i][m->parent->index];

			if (!s->shown[i][k])
				continue;
			(*ret_n)++;
			draw_mount(f, s, m);
			fputc('\t', f);
			if (parent_shown)
				node_name(f, s, m->parent);
			else
				fprintf(f, "%s_%zu", s->prefix, i);
			fputs(" -> ", f);
			node_name(f, s, m);
			fputs(parent_shown ? ";\n" : " [style=dotted];\n", f);
			if (m->shared_id)
				groups[n_groups++] = (struct member){m->shared_id, m};
		}
	}
	/* a cluster per peer group, across namespaces */
	qsort(groups, n_groups, sizeof(*groups), member_cmp);
	for (size_t g = 0; g < n_groups;) {
		uint64_t id = groups[g].group;

		fprintf(f,
			"\tsubgraph cluster_%s_g%" PRIu64
			" {\n\t\tlabel=\"peer group shared:%" PRIu64
			"\"; style=rounded; color=blue;\n",
			s->prefix, id, id);
		for (; g < n_groups && groups[g].group == id; g++) {
			fputs("\t\t", f);
			node_name(f, s, groups[g].m);
			fputs(";\n", f);
		}
		fputs("\t}\n", f);
	}
	/* master -> slave: from the master group's cluster, or from a
	 * placeholder when none of its members is drawn */
	for (size_t i = 0; i < snap->n_ns; i++) {
		const struct mnts_ns *ns = &snap->nss[i];

		for (size_t k = 0; s->shown[i] && k < ns->n_mounts; k++) {
			const struct mnts_mount *m = &ns->mounts[k], *master;

			if (!s->shown[i][k] || !m->master_id)
				continue;
			master = master_member(groups, n_groups, m->master_id);
			fputc('\t', f);
			if (master) {
				node_name(f, s, master);
			} else {
				fprintf(f,
					"%s_master%" PRIu64 " [shape=ellipse, style=dashed, "
					"label=\"master:%" PRIu64 " (not drawn)\"];\n\t",
					s->prefix, m->master_id, m->master_id);
				fprintf(f, "%s_master%" PRIu64, s->prefix, m->master_id);
			}
			fputs(" -> ", f);
			node_name(f, s, m);
			fprintf(f, " [style=dashed, color=blue, label=\"master:%" PRIu64 "\"",
				m->master_id);
			if (master && master != m)
				fprintf(f, ", ltail=cluster_%s_g%" PRIu64, s->prefix, m->master_id);
			fputs("];\n", f);
		}
	}
}

static void head(FILE *f)
{
	fputs("digraph mntsnap {\n"
	      "\tgraph [rankdir=LR, compound=true, fontname=\"monospace\", fontsize=10];\n"
	      "\tnode [shape=box, fontname=\"monospace\", fontsize=10];\n"
	      "\tedge [fontname=\"monospace\", fontsize=9];\n",
	      f);
}

static int tail(FILE *f, struct mnts_error *err)
{
	fputs("}\n", f);
	errno = 0;
	if (fflush(f) != 0 || ferror(f))
		return mnts_err(err, errno ? errno : EIO, "write failure");
	return 0;
}

static void side_free(struct side *s)
{
	for (size_t i = 0; i < s->snap->n_ns; i++) {
		free(s->shown[i]);
		if (s->mark)
			free(s->mark[i]);
		if (s->note) {
			for (size_t k = 0; k < s->snap->nss[i].n_mounts; k++)
				free(s->note[i][k]);
			free(s->note[i]);
		}
	}
	free(s->shown);
	free(s->mark);
	free(s->note);
	free(s->ns_mark);
}

int mnts_dot_snapshot(const struct mnts_snapshot *snap, const struct mnts_show_sel *sel, FILE *f,
		      size_t *ret_n, struct mnts_error *err)
{
	struct side s = {.snap = snap, .prefix = "m"};

	s.shown = xcalloc(snap->n_ns + 1, sizeof(*s.shown));
	for (size_t i = 0; i < snap->n_ns; i++) {
		size_t n;

		s.shown[i] = mnts_show_select(&snap->nss[i], sel, &n);
	}
	head(f);
	draw_side(f, &s, ret_n);
	side_free(&s);
	return tail(f, err);
}

/* The layer of m: 1, or N for the Nth mount stacked on its mountpoint (as
 * compare counts them: each one is a child of the one below). */
static unsigned int layer_of(const struct mnts_mount *m)
{
	unsigned int layer = 1;

	for (const struct mnts_mount *p = m->parent; p && streq(p->mountpoint, m->mountpoint);
	     p = p->parent)
		layer++;
	return layer;
}

static int by_mountpoint(const void *x, const void *y)
{
	const struct mnts_mount *a = *(const struct mnts_mount *const *)x,
				*b = *(const struct mnts_mount *const *)y;
	int c = strcmp(a->mountpoint, b->mountpoint);

	return c ? c : (a->index > b->index) - (a->index < b->index);
}

/* The first of ns's mounts (sorted by mountpoint) at mountpoint. */
static size_t first_at(struct mnts_mount *const *sorted, size_t n, const char *mountpoint)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(sorted[mid]->mountpoint, mountpoint) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Marks the mounts and namespaces of one side that the items name. */
static void side_marks(struct side *s, const struct mnts_diff *d, bool is_b)
{
	const struct mnts_snapshot *snap = s->snap;
	struct mnts_mount ***sorted;

	s->shown = xcalloc(snap->n_ns + 1, sizeof(*s->shown));
	s->mark = xcalloc(snap->n_ns + 1, sizeof(*s->mark));
	s->note = xcalloc(snap->n_ns + 1, sizeof(*s->note));
	s->ns_mark = xcalloc(snap->n_ns + 1, sizeof(*s->ns_mark));
	sorted = xcalloc(snap->n_ns + 1, sizeof(*sorted));
	for (size_t i = 0; i < snap->n_ns; i++) {
		size_t n = snap->nss[i].n_mounts + 1;

		s->shown[i] = xcalloc(n, sizeof(bool));
		memset(s->shown[i], 1, n);
		s->mark[i] = xcalloc(n, sizeof(enum mark));
		s->note[i] = xcalloc(n, sizeof(char *));
		sorted[i] = xcalloc(n, sizeof(**sorted));
		for (size_t k = 0; k < n - 1; k++)
			sorted[i][k] = &snap->nss[i].mounts[k];
		qsort(sorted[i], n - 1, sizeof(**sorted), by_mountpoint);
	}
	for (size_t j = 0; j < d->n; j++) {
		const struct mnts_diff_item *it = &d->items[j];
		const char *label = is_b && it->ns_other ? it->ns_other : it->ns;
		struct mnts_ns *ns = mnts_snapshot_find_ns(snap, label);
		size_t i;

		if (!ns)
			continue;
		i = (size_t)(ns - snap->nss);
		if (!it->mountpoint) {
			s->ns_mark[i] = it->kind == MNTS_DIFF_CHANGED ? MARK_CHANGED
					: it->kind == MNTS_DIFF_ADDED ? MARK_ADDED
								      : MARK_REMOVED;
			continue;
		}
		for (size_t at = first_at(sorted[i], ns->n_mounts, it->mountpoint);
		     at < ns->n_mounts && streq(sorted[i][at]->mountpoint, it->mountpoint); at++) {
			const struct mnts_mount *m = sorted[i][at];
			size_t k = m->index;
			bool whole = it->field && streq(it->field, "mount");
			char *old;

			if (layer_of(m) != (it->layer ? it->layer : 1))
				continue;
			if (whole) {
				s->mark[i][k] =
				    it->kind == MNTS_DIFF_ADDED ? MARK_ADDED : MARK_REMOVED;
				continue;
			}
			if (s->mark[i][k] == MARK_NONE)
				s->mark[i][k] = MARK_CHANGED;
			old = s->note[i][k];
			s->note[i][k] = old ? xasprintf("%s, %s", old, it->field)
					    : xasprintf("changed: %s", it->field ? it->field : "?");
			free(old);
		}
	}
	for (size_t i = 0; i < snap->n_ns; i++)
		free(sorted[i]);
	free(sorted);
}

int mnts_dot_diff(const struct mnts_snapshot *a, const struct mnts_snapshot *b, const char *name_a,
		  const char *name_b, const struct mnts_diff *d, FILE *f, struct mnts_error *err)
{
	struct side sides[2] = {{.snap = a, .prefix = "a"}, {.snap = b, .prefix = "b"}};
	const char *names[2] = {name_a, name_b};
	size_t n;

	head(f);
	for (size_t k = 0; k < 2; k++) {
		side_marks(&sides[k], d, k == 1);
		fprintf(f, "\tsubgraph cluster_%s {\n\tlabel=", sides[k].prefix);
		dot_str(f, names[k]);
		fputs("; style=dashed; color=gray50;\n", f);
		draw_side(f, &sides[k], &n);
		fputs("\t}\n", f);
		side_free(&sides[k]);
	}
	fputs("\tlabel=\"red: only in A, green: only in B, orange: changed\";\n", f);
	return tail(f, err);
}

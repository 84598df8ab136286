/* show.c - see show.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/lookup.h"
#include "lib/core/macros.h"
#include "lib/core/path.h"
#include "lib/json/jsonwriter.h"
#include "lib/report/show.h"

static int by_mnt_id(const void *x, const void *y)
{
	const struct mnts_mount *a = *(const struct mnts_mount *const *)x,
				*b = *(const struct mnts_mount *const *)y;

	return (a->mnt_id > b->mnt_id) - (a->mnt_id < b->mnt_id);
}

size_t mnts_ns_preorder(const struct mnts_ns *ns, bool by_id, const struct mnts_mount **out,
			size_t *depth)
{
	struct frame {
		const struct mnts_mount *m;
		size_t next;
	} * stack;
	_cleanup_free_ struct mnts_mount **kids = NULL;
	_cleanup_free_ size_t *first = NULL;
	size_t top = 0, n = 0;

	if (!ns->root)
		return 0;
	if (by_id) {
		/* each mount's children, sorted by mountinfo id: a copy */
		size_t at = 0;

		kids = xcalloc(ns->n_mounts + 1, sizeof(*kids));
		first = xcalloc(ns->n_mounts + 1, sizeof(*first));
		for (size_t i = 0; i < ns->n_mounts; i++) {
			const struct mnts_mount *m = &ns->mounts[i];

			first[i] = at;
			if (!m->n_children)
				continue;
			memcpy(kids + at, m->children, m->n_children * sizeof(*kids));
			qsort(kids + at, m->n_children, sizeof(*kids), by_mnt_id);
			at += m->n_children;
		}
	}
	stack = xcalloc(ns->n_mounts + 1, sizeof(*stack));
	out[n] = ns->root;
	if (depth)
		depth[n] = 0;
	n++;
	stack[top++] = (struct frame){ns->root, 0};
	while (top > 0) {
		struct frame *f = &stack[top - 1];
		const struct mnts_mount *child;

		if (f->next == f->m->n_children) {
			top--;
			continue;
		}
		child = kids ? kids[first[f->m->index] + f->next] : f->m->children[f->next];
		f->next++;
		out[n] = child;
		if (depth)
			depth[n] = top;
		n++;
		stack[top++] = (struct frame){child, 0};
	}
	free(stack);
	return n;
}

static bool ns_selected(const struct mnts_ns *ns, const struct mnts_show_sel *sel)
{
	if (!sel->n_ns_labels)
		return true;
	for (size_t i = 0; i < sel->n_ns_labels; i++)
		if (streq(sel->ns_labels[i], ns->label))
			return true;
	return false;
}

int mnts_show_check(const struct mnts_snapshot *snap, const struct mnts_show_sel *sel,
		    struct mnts_error *err)
{
	for (size_t i = 0; i < sel->n_ns_labels; i++)
		if (!mnts_snapshot_find_ns(snap, sel->ns_labels[i]))
			return mnts_err(err, 0, "--ns '%s': no such namespace in the snapshot",
					sel->ns_labels[i]);
	return 0;
}

/* -t as mount(8) reads it: a "no" before the first type negates the whole
 * list ("nonfs,smbfs": neither); a type matches "TYPE.SUBTYPE" too. */
static bool type_matches(const char *types, const char *fstype)
{
	bool no = strneq_prefix(types, "no");
	const char *p = no ? types + 2 : types;
	size_t flen = strcspn(fstype, "."), full = strlen(fstype);

	while (*p) {
		size_t len = strcspn(p, ",");
		const char *w = p;

		if (no && len > 2 && strneq_prefix(w, "no")) {
			w += 2;
			len -= 2;
		}
		if ((len == full && !memcmp(w, fstype, len)) ||
		    (len == flen && !memcmp(w, fstype, len)))
			return !no;
		p = w + len;
		if (*p == ',')
			p++;
	}
	return no;
}

/* The index of the mount PATH is on (findmnt -T): the one in sight at
 * PATH, else at its nearest ancestor directory that is a mountpoint. */
static ssize_t mount_holding(const struct mnts_ns *ns, const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);

	for (;;) {
		ssize_t i = mnts_ns_mount_in_sight(ns, NULL, p);
		char *slash;

		if (i >= 0 || streq(p, "/"))
			return i;
		slash = strrchr(p, '/');
		if (slash == p)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
}

bool *mnts_show_select(const struct mnts_ns *ns, const struct mnts_show_sel *sel, size_t *ret_n)
{
	_cleanup_free_ const struct mnts_mount **pre = NULL;
	_cleanup_free_ bool *in = NULL;
	bool scoped = sel->target || sel->mountpoint, *shown;
	size_t n;

	*ret_n = 0;
	if (!ns_selected(ns, sel))
		return NULL;
	pre = xcalloc(ns->n_mounts + 1, sizeof(*pre));
	in = xcalloc(ns->n_mounts + 1, sizeof(*in));
	shown = xcalloc(ns->n_mounts + 1, sizeof(*shown));
	n = mnts_ns_preorder(ns, false, pre, NULL);
	if (sel->target) {
		ssize_t i = mount_holding(ns, sel->target);

		if (i >= 0)
			in[i] = true;
	}
	/* a parent comes before its children: scope flows down in one pass */
	for (size_t k = 0; k < n; k++) {
		const struct mnts_mount *m = pre[k];

		if (sel->mountpoint && streq(m->mountpoint, sel->mountpoint))
			in[m->index] = true;
		if (sel->submounts && m->parent && in[m->parent->index])
			in[m->index] = true;
		if (scoped && !in[m->index])
			continue;
		if (sel->types && !type_matches(sel->types, m->fstype ? m->fstype : ""))
			continue;
		shown[m->index] = true;
		(*ret_n)++;
	}
	return shown;
}

struct row {
	const struct mnts_mount *m;
	const struct mnts_mount *up; /* the nearest shown ancestor, or NULL */
	size_t depth;		     /* in the drawn tree */
	bool last;		     /* the last shown child of up */
};

/* Appends ns's shown mounts to rows as findmnt draws them: in pre-order,
 * children by mountinfo id, each under its nearest shown ancestor (a mount
 * without one starts a tree of its own). */
static size_t ns_rows(const struct mnts_ns *ns, const bool *shown, struct row *rows)
{
	_cleanup_free_ const struct mnts_mount **pre = xcalloc(ns->n_mounts + 1, sizeof(*pre));
	_cleanup_free_ const struct mnts_mount **near = xcalloc(ns->n_mounts + 1, sizeof(*near));
	_cleanup_free_ size_t *depth = xcalloc(ns->n_mounts + 1, sizeof(*depth));
	_cleanup_free_ bool *seen = xcalloc(ns->n_mounts + 1, sizeof(*seen));
	size_t n = mnts_ns_preorder(ns, true, pre, NULL), n_rows = 0;

	for (size_t k = 0; k < n; k++) {
		const struct mnts_mount *m = pre[k],
					*up = m->parent ? near[m->parent->index] : NULL;

		near[m->index] = shown[m->index] ? m : up;
		if (!shown[m->index])
			continue;
		depth[m->index] = up ? depth[up->index] + 1 : 0;
		rows[n_rows++] = (struct row){m, up, depth[m->index], false};
	}
	/* the last child of a mount is the first met from the end */
	for (size_t r = n_rows; r-- > 0;) {
		if (!rows[r].up)
			continue;
		rows[r].last = !seen[rows[r].up->index];
		seen[rows[r].up->index] = true;
	}
	return n_rows;
}

/* A raw cell: escaped like every output (error.h), and blanks too, so that
 * columns split at single spaces (findmnt -r escapes them as well). */
static size_t fputs_raw(const char *s, FILE *f)
{
	_cleanup_free_ char *e = mnts_escape_dup(s);
	size_t len = 0;

	for (const char *p = e; *p; p++) {
		if (*p == ' ') {
			fputs("\\040", f);
			len += 4;
		} else {
			fputc(*p, f);
			len++;
		}
	}
	return len;
}

static void print_table(FILE *f, const struct mnts_show_opts *o, const struct row *rows,
			size_t n_rows, char **cells)
{
	size_t n_cols = o->n_cols, max_depth = 0;
	_cleanup_free_ size_t *width = xcalloc(n_cols, sizeof(*width));
	_cleanup_free_ bool *more = NULL;
	bool raw = o->format == MNTS_SHOW_RAW, tree = o->format == MNTS_SHOW_TREE;

	for (size_t c = 0; c < n_cols && !raw; c++) {
		width[c] = o->noheadings ? 0 : strlen(mnts_col_info(o->cols[c])->name);
		for (size_t r = 0; r < n_rows; r++) {
			size_t w = mnts_escaped_len(cells[r * n_cols + c]);

			if (tree && o->cols[c] == MNTS_COL_TARGET)
				w += rows[r].depth * 2;
			width[c] = w > width[c] ? w : width[c];
		}
	}
	for (size_t r = 0; r < n_rows; r++)
		max_depth = rows[r].depth > max_depth ? rows[r].depth : max_depth;
	more = xcalloc(max_depth + 2, sizeof(*more));
	for (size_t r = (o->noheadings ? 0 : (size_t)-1); r != n_rows; r++) {
		for (size_t c = 0; c < n_cols; c++) {
			const struct mnts_col_info *ci = mnts_col_info(o->cols[c]);
			const char *text = r == (size_t)-1 ? ci->name : cells[r * n_cols + c];
			size_t len = raw ? 0 : mnts_escaped_len(text), used = 0;
			bool last = c + 1 == n_cols, right = ci->number;

			if (c)
				fputc(' ', f);
			if (raw) {
				fputs_raw(text, f);
				continue;
			}
			if (right && width[c] > len)
				fprintf(f, "%*s", (int)(width[c] - len), "");
			if (tree && r != (size_t)-1 && o->cols[c] == MNTS_COL_TARGET) {
				const struct row *w = &rows[r];

				/* "│ " where an ancestor still has siblings to
				 * come, then our branch */
				for (size_t d = 1; d < w->depth; d++)
					fputs(more[d] ? "│ " : "  ", f);
				if (w->depth > 0)
					fputs(w->last ? "└─" : "├─", f);
				more[w->depth] = !w->last;
				used = w->depth * 2;
			}
			mnts_fputs_escaped(text, f);
			if (!right && !last && width[c] > len + used)
				fprintf(f, "%*s", (int)(width[c] - len - used), "");
		}
		fputc('\n', f);
	}
}

static void json_cell(struct mnts_jw *w, const struct mnts_col_info *ci, const char *text)
{
	mnts_jw_key(w, ci->json);
	if (!*text)
		mnts_jw_null(w);
	else if (ci->number)
		mnts_jw_u64(w, strtoull(text, NULL, 10));
	else
		mnts_jw_string(w, text);
}

static int print_json(FILE *f, const struct mnts_show_opts *o, const struct row *rows,
		      size_t n_rows, char **cells, struct mnts_error *err)
{
	struct mnts_jw w;
	size_t depth = 0;

	mnts_jw_init(&w, f, false);
	mnts_jw_begin_object(&w);
	mnts_jw_key(&w, "filesystems");
	mnts_jw_begin_array(&w);
	for (size_t r = 0; r < n_rows; r++) {
		size_t d = o->tree ? rows[r].depth : 0;

		/* close the objects of the mounts that are not our parent */
		if (r > 0 && d <= depth) {
			mnts_jw_end_object(&w);
			for (; depth > d; depth--) {
				mnts_jw_end_array(&w);
				mnts_jw_end_object(&w);
			}
		} else if (r > 0) {
			mnts_jw_key(&w, "children");
			mnts_jw_begin_array(&w);
		}
		depth = d;
		mnts_jw_elem(&w);
		mnts_jw_begin_object(&w);
		for (size_t c = 0; c < o->n_cols; c++)
			json_cell(&w, mnts_col_info(o->cols[c]), cells[r * o->n_cols + c]);
	}
	if (n_rows) {
		mnts_jw_end_object(&w);
		for (; depth > 0; depth--) {
			mnts_jw_end_array(&w);
			mnts_jw_end_object(&w);
		}
	}
	mnts_jw_end_array(&w);
	mnts_jw_end_object(&w);
	return mnts_jw_end_document(&w, err);
}

int mnts_show_render(const struct mnts_snapshot *snap, const struct mnts_show_opts *o, FILE *f,
		     size_t *ret_n, struct mnts_error *err)
{
	_cleanup_free_ struct row *rows = NULL;
	_cleanup_free_ char **cells = NULL;
	size_t n_rows = 0, total = 0;
	bool table = o->format == MNTS_SHOW_TREE || o->format == MNTS_SHOW_LIST;
	int r = 0;

	for (size_t i = 0; i < snap->n_ns; i++)
		total += snap->nss[i].n_mounts;
	rows = xcalloc(total + 1, sizeof(*rows));
	for (size_t i = 0; i < snap->n_ns; i++) {
		size_t n;
		_cleanup_free_ bool *shown = mnts_show_select(&snap->nss[i], &o->sel, &n);

		if (!shown || !n)
			continue;
		if (o->format == MNTS_SHOW_TREE || (o->format == MNTS_SHOW_JSON && o->tree)) {
			n_rows += ns_rows(&snap->nss[i], shown, rows + n_rows);
			continue;
		}
		/* a list is in the kernel's order, as findmnt -l prints it */
		for (size_t k = 0; k < snap->nss[i].n_mounts; k++)
			if (shown[k])
				rows[n_rows++] =
				    (struct row){&snap->nss[i].mounts[k], NULL, 0, false};
	}
	cells = xcalloc(n_rows * o->n_cols + 1, sizeof(*cells));
	for (size_t k = 0; k < n_rows; k++)
		for (size_t c = 0; c < o->n_cols; c++)
			cells[k * o->n_cols + c] =
			    o->cols[c] == MNTS_COL_MAJMIN && table
				/* findmnt lines the colons up in a table */
				? xasprintf("%3u:%-3u", rows[k].m->dev_major, rows[k].m->dev_minor)
				: mnts_col_value(o->cols[c], rows[k].m);
	if (o->format == MNTS_SHOW_JSON)
		r = print_json(f, o, rows, n_rows, cells, err);
	else if (n_rows)
		print_table(f, o, rows, n_rows, cells);
	for (size_t k = 0; k < n_rows * o->n_cols; k++)
		free(cells[k]);
	errno = 0;
	if (r >= 0 && (fflush(f) != 0 || ferror(f)))
		return mnts_err(err, errno ? errno : EIO, "write failure");
	*ret_n = n_rows;
	return r;
}

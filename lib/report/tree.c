/* tree.c - see tree.h */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/error.h"
#include "lib/core/macros.h"
#include "lib/report/columns.h"
#include "lib/report/show.h"
#include "lib/report/tree.h"

/* pids listed in a namespace's header line */
#define TREE_PIDS_MAX 5

char *mnts_tree_propagation(const struct mnts_mount *m)
{
	char buf[128];
	size_t len = 0;

	buf[0] = '\0';
	if (m->shared_id)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " shared:%" PRIu64,
					m->shared_id);
	if (m->master_id)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " master:%" PRIu64,
					m->master_id);
	if (m->propagate_from)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " propagate_from:%" PRIu64,
					m->propagate_from);
	if (m->unbindable)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, " unbindable");
	return xstrdup(len ? buf + 1 : "private");
}

struct row {
	const struct mnts_mount *m;
	size_t depth;
	bool last; /* last child of its parent */
};

/* Spaces after a column of width w holding len bytes, and the one between
 * columns. */
static void pad(FILE *out, size_t w, size_t len)
{
	fprintf(out, "%*s", (int)(w > len ? w - len : 0) + 1, "");
}

static void render_ns(FILE *out, const struct mnts_ns *ns)
{
	_cleanup_free_ const struct mnts_mount **pre = xcalloc(ns->n_mounts + 1, sizeof(*pre));
	_cleanup_free_ size_t *depth = xcalloc(ns->n_mounts + 1, sizeof(*depth));
	_cleanup_free_ struct row *rows = xcalloc(ns->n_mounts + 1, sizeof(*rows));
	_cleanup_free_ char **sources = NULL;
	_cleanup_free_ bool *more = NULL, *seen = xcalloc(ns->n_mounts + 1, sizeof(*seen));
	size_t n = mnts_ns_preorder(ns, false, pre, depth), w_target = strlen("TARGET"), w_source = strlen("SOURCE"),
	       w_type = strlen("FSTYPE"), max_depth = 0;

	/* user strings are escaped (error.h): one line per mount, read back
	 * like mountinfo */
	mnts_fputs_escaped(ns->label, out);
	if (ns->mnt_ns_id)
		fprintf(out, " mnt_ns_id=%" PRIu64, ns->mnt_ns_id);
	if (ns->ns_ino)
		fprintf(out, " ns_ino=%" PRIu64, ns->ns_ino);
	fprintf(out, " mounts=%zu", ns->n_mounts);
	/* a few pids say whose namespace it is; the host's has hundreds */
	if (ns->n_pids) {
		fprintf(out, " pids=");
		for (size_t i = 0; i < ns->n_pids && i < TREE_PIDS_MAX; i++)
			fprintf(out, "%s%" PRIu64, i ? "," : "", ns->pids[i]);
		if (ns->n_pids > TREE_PIDS_MAX)
			fprintf(out, ",+%zu more", ns->n_pids - TREE_PIDS_MAX);
	}
	for (size_t i = 0; i < ns->n_pins; i++) {
		fputs(" pinned_by=", out);
		mnts_fputs_escaped(ns->pins[i].ns, out);
		fputc(':', out);
		mnts_fputs_escaped(ns->pins[i].path, out);
	}
	fputc('\n', out);

	/* the last child of a parent is the first met from the end */
	for (size_t i = n; i-- > 0;) {
		rows[i] = (struct row){pre[i], depth[i], true};
		if (pre[i]->parent) {
			rows[i].last = !seen[pre[i]->parent->index];
			seen[pre[i]->parent->index] = true;
		}
	}
	sources = xcalloc(n + 1, sizeof(*sources));
	for (size_t i = 0; i < n; i++) {
		size_t w = rows[i].depth * 2 + mnts_escaped_len(rows[i].m->mountpoint);

		sources[i] = mnts_col_value(MNTS_COL_SOURCE, rows[i].m);
		w_target = w > w_target ? w : w_target;
		w = mnts_escaped_len(sources[i]);
		w_source = w > w_source ? w : w_source;
		w = mnts_escaped_len(rows[i].m->fstype);
		w_type = w > w_type ? w : w_type;
		max_depth = rows[i].depth > max_depth ? rows[i].depth : max_depth;
	}
	more = xcalloc(max_depth + 2, sizeof(*more));
	fprintf(out, "%-*s %-*s %-*s %s\n", (int)w_target, "TARGET", (int)w_source, "SOURCE",
		(int)w_type, "FSTYPE", "PROPAGATION");
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		_cleanup_free_ char *prop = mnts_tree_propagation(r->m);

		/* "│ " where an ancestor still has siblings to come, then our branch */
		for (size_t d = 1; d < r->depth; d++)
			fputs(more[d] ? "│ " : "  ", out);
		if (r->depth > 0)
			fputs(r->last ? "└─" : "├─", out);
		more[r->depth] = !r->last;
		pad(out, w_target - r->depth * 2, mnts_fputs_escaped(r->m->mountpoint, out));
		pad(out, w_source, mnts_fputs_escaped(sources[i], out));
		pad(out, w_type, mnts_fputs_escaped(r->m->fstype, out));
		fprintf(out, "%s\n", prop);
		free(sources[i]);
	}
}

char *mnts_tree_render(const struct mnts_snapshot *snap)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		return xstrdup("");
	for (size_t i = 0; i < snap->n_ns; i++) {
		if (i)
			fputc('\n', out);
		render_ns(out, &snap->nss[i]);
	}
	fclose(out);
	return buf ? buf : xstrdup("");
}

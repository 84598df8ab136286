/* diffreport.c - see diffreport.h */
#include <errno.h>
#include <string.h>

#include "lib/core/error.h"
#include "lib/core/macros.h"
#include "lib/json/jsonwriter.h"
#include "lib/report/diffreport.h"

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

static void str_or_null(struct mnts_jw *w, const char *key, const char *s)
{
	mnts_jw_key(w, key);
	if (s)
		mnts_jw_string(w, s);
	else
		mnts_jw_null(w);
}

/* Keys in sorted order: the bytes diff --json printed when it was written
 * with jansson's JSON_SORT_KEYS | JSON_INDENT(2). */
static int report_json(const struct mnts_diff *d, FILE *f, struct mnts_error *err)
{
	struct mnts_jw w;

	mnts_jw_init(&w, f, false);
	mnts_jw_begin_array(&w);
	for (size_t i = 0; i < d->n; i++) {
		const struct mnts_diff_item *it = &d->items[i];

		mnts_jw_elem(&w);
		mnts_jw_begin_object(&w);
		str_or_null(&w, "field", it->field);
		str_or_null(&w, "kind", kind_name(it->kind));
		str_or_null(&w, "mountpoint", it->mountpoint);
		str_or_null(&w, "new", it->new_value);
		str_or_null(&w, "ns", it->ns);
		str_or_null(&w, "old", it->old_value);
		str_or_null(&w, "text", it->text);
		mnts_jw_end_object(&w);
	}
	mnts_jw_end_array(&w);
	return mnts_jw_end_document(&w, err);
}

static void report_text(const struct mnts_diff *d, FILE *f, bool headers)
{
	const char *last_ns = NULL;

	for (size_t i = 0; i < d->n; i++) {
		const struct mnts_diff_item *it = &d->items[i];

		/* a whole-namespace line names its namespace itself */
		if (headers && it->mountpoint && (!last_ns || !streq(last_ns, it->ns))) {
			fputs("namespace ", f);
			mnts_fputs_escaped(it->ns, f);
			if (it->ns_other) {
				fputs(" -> ", f);
				mnts_fputs_escaped(it->ns_other, f);
			}
			fputs(":\n", f);
		}
		last_ns = it->mountpoint ? it->ns : NULL;
		/* the text quotes mountpoints, sources and options: escaped
		 * (error.h), each difference is one line */
		mnts_fputs_escaped(it->text, f);
		fputc('\n', f);
	}
}

int mnts_diff_report(const struct mnts_diff *d, FILE *f, enum mnts_diff_format format,
		     struct mnts_error *err)
{
	int r = 0;

	if (format == MNTS_DIFF_JSON)
		r = report_json(d, f, err);
	else
		report_text(d, f, format == MNTS_DIFF_TEXT);
	/* the FILE keeps the failed write's errno only in errno: flush now,
	 * while it is still the write's */
	errno = 0;
	if (r >= 0 && (fflush(f) != 0 || ferror(f)))
		return mnts_err(err, errno ? errno : EIO, "write failure");
	return r;
}

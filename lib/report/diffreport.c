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

/* A value's depth is bounded (value.h): the recursion is. */
static void write_value(struct mnts_jw *w, const struct mnts_value *v)
{
	switch (v->kind) {
	case MNTS_VALUE_NULL:
		mnts_jw_null(w);
		break;
	case MNTS_VALUE_BOOL:
		mnts_jw_bool(w, v->b);
		break;
	case MNTS_VALUE_NUMBER:
		mnts_jw_u64(w, v->num);
		break;
	case MNTS_VALUE_STRING:
		mnts_jw_string(w, v->s);
		break;
	case MNTS_VALUE_ARRAY:
		mnts_jw_begin_array(w);
		for (size_t i = 0; i < v->n; i++) {
			mnts_jw_elem(w);
			write_value(w, &v->items[i]);
		}
		mnts_jw_end_array(w);
		break;
	case MNTS_VALUE_OBJECT:
		mnts_jw_begin_object(w);
		for (size_t i = 0; i < v->n; i++) {
			mnts_jw_key(w, v->keys[i]);
			write_value(w, &v->items[i]);
		}
		mnts_jw_end_object(w);
		break;
	}
}

/* Keys in sorted order, as every JSON mntsnap writes (spec/DIFF-JSON.md). */
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
		mnts_jw_key(&w, "layer");
		if (it->mountpoint)
			mnts_jw_u64(&w, it->layer);
		else
			mnts_jw_null(&w);
		str_or_null(&w, "mountpoint", it->mountpoint);
		mnts_jw_key(&w, "new");
		write_value(&w, &it->new_data);
		str_or_null(&w, "ns", it->ns);
		str_or_null(&w, "ns_b", it->ns_other);
		mnts_jw_key(&w, "old");
		write_value(&w, &it->old_data);
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

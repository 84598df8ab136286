/* SPDX-License-Identifier: GPL-2.0-or-later */
/* check_report.c - the unmet expectations of a check, for people (one line
 * each, like a compiler's) and for scripts (JSON). */
#include <errno.h>
#include <stdio.h>

#include "lib/check/check.h"
#include "lib/json/jsonwriter.h"

static int report_json(const struct mnts_check_result *res, FILE *f, struct mnts_error *err)
{
	struct mnts_jw w;

	mnts_jw_init(&w, f, false);
	mnts_jw_begin_array(&w);
	for (size_t i = 0; i < res->n; i++) {
		const struct mnts_check_item *it = &res->items[i];

		mnts_jw_elem(&w);
		mnts_jw_begin_object(&w);
		mnts_jw_key(&w, "file");
		mnts_jw_string(&w, res->file);
		mnts_jw_key(&w, "line");
		mnts_jw_u64(&w, it->line);
		mnts_jw_key(&w, "mountpoint");
		mnts_jw_string(&w, it->mountpoint);
		mnts_jw_key(&w, "property");
		mnts_jw_string(&w, it->property);
		mnts_jw_key(&w, "expected");
		mnts_jw_string(&w, it->expected);
		mnts_jw_key(&w, "found");
		mnts_jw_string(&w, it->found);
		mnts_jw_end_object(&w);
	}
	mnts_jw_end_array(&w);
	return mnts_jw_end_document(&w, err);
}

int mnts_check_report(const struct mnts_check_result *res, FILE *f, bool json,
		      struct mnts_error *err)
{
	if (json)
		return report_json(res, f, err);
	for (size_t i = 0; i < res->n; i++) {
		const struct mnts_check_item *it = &res->items[i];

		/* user strings escaped as mountinfo does: one item, one line */
		mnts_fputs_escaped(res->file, f);
		fprintf(f, ":%u: ", it->line);
		mnts_fputs_escaped(it->mountpoint, f);
		fprintf(f, ": %s: expected ", it->property);
		mnts_fputs_escaped(it->expected, f);
		fputs(", found ", f);
		mnts_fputs_escaped(it->found, f);
		fputc('\n', f);
	}
	if (fflush(f) != 0 || ferror(f))
		return mnts_err(err, errno ? errno : EIO, "write failure");
	return 0;
}

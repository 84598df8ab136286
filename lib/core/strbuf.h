/* strbuf.h - a growing string, for words built piece by piece. */
#pragma once

#include <stddef.h>

#include "lib/core/macros.h"

struct mnts_strbuf {
	char *s; /* NULL until something is added */
	size_t len, cap;
};

/* Appends printf-style text (allocation failure aborts, as xalloc does). */
void mnts_strbuf_addf(struct mnts_strbuf *sb, const char *fmt, ...) _printf_(2, 3);

/* Returns: the string, owned by the caller ("" when nothing was added); sb
 * is empty again. */
char *mnts_strbuf_take(struct mnts_strbuf *sb);

/* strbuf.c - see strbuf.h */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/core/strbuf.h"

void mnts_strbuf_addf(struct mnts_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (sb->len + (size_t)n + 1 > sb->cap) {
		sb->cap = (sb->len + (size_t)n + 1) * 2;
		sb->s = xrealloc(sb->s, sb->cap);
	}
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

char *mnts_strbuf_take(struct mnts_strbuf *sb)
{
	char *s = sb->s ? sb->s : xstrdup("");

	*sb = (struct mnts_strbuf){0};
	return s;
}

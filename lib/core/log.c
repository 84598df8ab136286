/* log.c - see log.h */
#include <stdarg.h>
#include <stdio.h>

#include "lib/core/log.h"

int mnts_verbosity;

void mnts_warn(const char *fmt, ...)
{
	va_list ap;

	if (mnts_verbosity < 0)
		return;
	fputs("mntsnap: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void mnts_debug(int level, const char *fmt, ...)
{
	va_list ap;

	if (mnts_verbosity < level)
		return;
	fputs("mntsnap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

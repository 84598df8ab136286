/* usage.c - see cmd.h */
#include <argp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "lib/core/error.h"
#include "lib/core/macros.h"

void mnts_usage_error(struct argp_state *state, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	line = mnts_escape_dup(msg ? msg : fmt);
	argp_error(state, "%s", line);
}

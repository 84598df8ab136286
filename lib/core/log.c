/* log.c - see log.h */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/core/error.h"
#include "lib/core/log.h"

int mnts_verbosity;
const char *mnts_log_command;
void (*mnts_warn_hook)(const char *msg);

/* Prints prefix, then the formatted message escaped, as one line in one
 * write. */
static void vlog(const char *prefix, const char *fmt, va_list ap)
{
	int saved = errno; /* callers print %m: keep it for them and after */
	_cleanup_free_ char *msg = NULL, *line = NULL;
	size_t len, n;

	if (vasprintf(&msg, fmt, ap) < 0) {
		fputs("mntsnap: out of memory\n", stderr);
		return;
	}
	len = strlen(prefix) + MNTS_ESCAPED_SIZE(strlen(msg)) + 1;
	line = xmalloc(len);
	n = (size_t)snprintf(line, len, "%s", prefix);
	n += mnts_escape(line + n, len - n, msg);
	line[n++] = '\n';
	fwrite(line, 1, n, stderr);
	errno = saved;
}

void mnts_warn(const char *fmt, ...)
{
	char prefix[64];
	va_list ap;

	if (mnts_warn_hook) {
		_cleanup_free_ char *msg = NULL;

		va_start(ap, fmt);
		if (vasprintf(&msg, fmt, ap) >= 0)
			mnts_warn_hook(msg);
		va_end(ap);
	}
	if (mnts_verbosity < 0)
		return;
	if (mnts_log_command)
		snprintf(prefix, sizeof(prefix), "mntsnap: %s: warning: ", mnts_log_command);
	else
		snprintf(prefix, sizeof(prefix), "mntsnap: warning: ");
	va_start(ap, fmt);
	vlog(prefix, fmt, ap);
	va_end(ap);
}

void mnts_debug(int level, const char *fmt, ...)
{
	va_list ap;

	if (mnts_verbosity < level)
		return;
	va_start(ap, fmt);
	vlog("mntsnap: ", fmt, ap);
	va_end(ap);
}

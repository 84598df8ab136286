/* log.c - see log.h */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/core/error.h"
#include "lib/core/log.h"
#include "lib/core/u64map.h"

int mnts_verbosity;
const char *mnts_log_command;
void (*mnts_warn_hook)(const char *msg);

/* mnts_warn_once(): the hash of each warning said meanwhile */
static struct {
	bool on;
	struct mnts_u64map said;
} once;

void mnts_warn_once(bool on)
{
	if (!on)
		mnts_u64map_free(&once.said);
	once.on = on;
}

/* Whether msg was said already while mnts_warn_once() is on (a 64-bit
 * hash stands for it: two warnings alike in it are as likely as never). */
static bool said_before(const char *msg)
{
	uint64_t h = 1469598103934665603ULL;

	if (!once.on)
		return false;
	for (const char *c = msg; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	if (mnts_u64map_get(&once.said, h) >= 0)
		return true;
	mnts_u64map_put(&once.said, h, 0);
	return false;
}

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

	if (mnts_warn_hook || once.on) {
		_cleanup_free_ char *msg = NULL;
		int n;

		va_start(ap, fmt);
		n = vasprintf(&msg, fmt, ap);
		va_end(ap);
		if (n >= 0 && said_before(msg))
			return;
		if (n >= 0 && mnts_warn_hook)
			mnts_warn_hook(msg);
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

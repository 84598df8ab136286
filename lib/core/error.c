/* error.c - see error.h */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/core/error.h"

int mnts_err(struct mnts_error *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (code < 0)
		code = -code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code ? -code : -EINVAL;
}

int mnts_err_prefix(struct mnts_error *err, const char *fmt, ...)
{
	char prefix[512], old[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* a message cut at the end is better than none */
	if (snprintf(err->msg, sizeof(err->msg), "%.500s: %.510s", prefix, old) < 0)
		err->msg[0] = '\0';
	return mnts_err_ret(err);
}

void mnts_err_print(const char *cmd, const struct mnts_error *err)
{
	if (err->code)
		fprintf(stderr, "mntsnap: %s: %s: %s\n", cmd, err->msg, strerror(err->code));
	else
		fprintf(stderr, "mntsnap: %s: %s\n", cmd, err->msg);
}

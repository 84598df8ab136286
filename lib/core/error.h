/* error.h - errors carried up with context, printed once by cmd/.
 *
 * A function that can fail takes `struct mnts_error *err`, and on failure
 * fills it and returns a negative errno.  The struct is plain bytes (no heap)
 * so a replay child can write it whole to a pipe.  Callers add context on the
 * way up with mnts_err_prefix().  lib/ never prints errors.
 */
#pragma once

#include <stdbool.h>

#include "lib/core/macros.h"

struct mnts_error {
	int code;      /* errno value, 0 if none (then no ": strerror" suffix) */
	char msg[1024];
};

/* Sets err to the formatted message and code.  Returns: -code, or -EINVAL
 * when code is 0 (a semantic error that has no errno of its own). */
int mnts_err(struct mnts_error *err, int code, const char *fmt, ...) _printf_(3, 4);

/* Prepends "context: " to err->msg.  Returns: -err->code (or -EINVAL). */
int mnts_err_prefix(struct mnts_error *err, const char *fmt, ...) _printf_(2, 3);

/* Prints "mntsnap: <cmd>: <msg>[: strerror]" to stderr. */
void mnts_err_print(const char *cmd, const struct mnts_error *err);

static inline int mnts_err_ret(const struct mnts_error *err)
{
	return err->code > 0 ? -err->code : -EINVAL;
}

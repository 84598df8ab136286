/* error.h - errors carried up with context, printed once by cmd/.
 *
 * A function that can fail takes `struct mnts_error *err`, and on failure
 * fills it and returns a negative errno.  The struct is plain bytes (no heap)
 * so a replay child can write it whole to a pipe.  Callers add context on the
 * way up with mnts_err_prefix().  lib/ never prints errors.
 */
#pragma once

#include <stdbool.h>
#include <stdio.h>

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

/* Prints "mntsnap: <cmd>: <msg>[: strerror]" to stderr as one line, msg
 * escaped with mnts_escape(). */
void mnts_err_print(const char *cmd, const struct mnts_error *err);

/* The size mnts_escape() needs for a string of len bytes. */
#define MNTS_ESCAPED_SIZE(len) (4 * (len) + 1)

/* Copies s into out (of size bytes, NUL-terminated) with every byte that
 * could break a line or drive a terminal written as \ooo octal, as
 * /proc/PID/mountinfo does: control characters (below 0x20, 0x7f and the
 * C1 range U+0080..U+009F) and bytes that are not valid UTF-8.  Valid UTF-8
 * is left alone, and so is a backslash, unless three octal digits follow it
 * (then it is \134, and every \ooo in the output is an escape); messages
 * quote JSON escapes ("\u0000"), which stay readable.  Output that does not fit is cut before
 * the sequence that does not fit.  Every message that names a user's string
 * (a mountpoint, an option, a source, a file name) reaches stderr through
 * this, so one error is always one line.  Returns: the length written. */
size_t mnts_escape(char *out, size_t size, const char *s);

/* The length of s escaped by mnts_escape() (without the NUL): what a column
 * of escaped strings is as wide as. */
size_t mnts_escaped_len(const char *s);

/* Writes s to f escaped as mnts_escape() does, with no size limit: how a
 * line-oriented output (a plan line, a diff line, the capture tree) prints a
 * user's string, so that each item stays one line and reads back like
 * mountinfo.  Write errors show in ferror(f).  Returns: the length written
 * (mnts_escaped_len(s)). */
size_t mnts_fputs_escaped(const char *s, FILE *f);

/* mnts_escape() into a new string (free it). */
char *mnts_escape_dup(const char *s);

static inline int mnts_err_ret(const struct mnts_error *err)
{
	return err->code > 0 ? -err->code : -EINVAL;
}

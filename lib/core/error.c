/* error.c - see error.h */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lib/core/error.h"
#include "lib/core/utf8.h"

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

static bool is_octal(unsigned char c)
{
	return c >= '0' && c <= '7';
}

/* A backslash that would read as one of our escapes ("\\012" in a name). */
static bool looks_escaped(const unsigned char *p)
{
	return p[0] == '\\' && is_octal(p[1]) && is_octal(p[2]) && is_octal(p[3]);
}

size_t mnts_escape(char *out, size_t size, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (size == 0)
		return 0;
	while (*p) {
		size_t n = mnts_utf8_len(p);
		/* C1 controls are two bytes, 0xc2 0x80..0x9f */
		bool plain = n > 1 ? !(p[0] == 0xc2 && p[1] < 0xa0)
				   : n == 1 && *p >= 0x20 && *p != 0x7f && !looks_escaped(p);

		if (plain) {
			if (o + n >= size)
				break;
			memcpy(out + o, p, n);
			o += n;
			p += n;
			continue;
		}
		/* one byte at a time: a C1 control's two, or the byte that
		 * starts no valid sequence */
		n = n ? n : 1;
		if (o + 4 * n >= size)
			break;
		for (size_t i = 0; i < n; i++, p++) {
			out[o++] = '\\';
			out[o++] = (char)('0' + (*p >> 6));
			out[o++] = (char)('0' + ((*p >> 3) & 7));
			out[o++] = (char)('0' + (*p & 7));
		}
	}
	out[o] = '\0';
	return o;
}

char *mnts_escape_dup(const char *s)
{
	size_t size = MNTS_ESCAPED_SIZE(strlen(s));
	char *out = xmalloc(size);

	mnts_escape(out, size, s);
	return out;
}

void mnts_err_print(const char *cmd, const struct mnts_error *err)
{
	char line[MNTS_ESCAPED_SIZE(sizeof(err->msg)) + 128];
	size_t n;

	/* one write: the line is not interleaved with another process's */
	n = (size_t)snprintf(line, sizeof(line), "mntsnap: %s: ", cmd);
	n += mnts_escape(line + n, sizeof(line) - n, err->msg);
	if (err->code)
		snprintf(line + n, sizeof(line) - n, ": %s\n", strerror(err->code));
	else
		snprintf(line + n, sizeof(line) - n, "\n");
	fputs(line, stderr);
}

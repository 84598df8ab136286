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

/* The length of the sequence at p (at least 1) and whether it is written as
 * it is (else each of its bytes becomes \ooo). */
static size_t next_sequence(const unsigned char *p, bool *plain)
{
	size_t n = mnts_utf8_len(p);

	/* C1 controls are two bytes, 0xc2 0x80..0x9f */
	*plain = n > 1 ? !(p[0] == 0xc2 && p[1] < 0xa0)
		       : n == 1 && *p >= 0x20 && *p != 0x7f && !looks_escaped(p);
	/* one byte at a time: a C1 control's two, or the byte that starts no
	 * valid sequence */
	return n ? n : 1;
}

static void octal(char *out, unsigned char c)
{
	out[0] = '\\';
	out[1] = (char)('0' + (c >> 6));
	out[2] = (char)('0' + ((c >> 3) & 7));
	out[3] = (char)('0' + (c & 7));
}

size_t mnts_escape(char *out, size_t size, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;

	if (size == 0)
		return 0;
	while (*p) {
		bool plain;
		size_t n = next_sequence(p, &plain);

		if (plain) {
			if (o + n >= size)
				break;
			memcpy(out + o, p, n);
			o += n;
			p += n;
			continue;
		}
		if (o + 4 * n >= size)
			break;
		for (size_t i = 0; i < n; i++, p++, o += 4)
			octal(out + o, *p);
	}
	out[o] = '\0';
	return o;
}

size_t mnts_escaped_len(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = 0;

	while (*p) {
		bool plain;
		size_t n = next_sequence(p, &plain);

		len += plain ? n : 4 * n;
		p += n;
	}
	return len;
}

size_t mnts_fputs_escaped(const char *s, FILE *f)
{
	const unsigned char *p = (const unsigned char *)s, *run = p;
	size_t len = 0;

	while (*p) {
		bool plain;
		size_t n = next_sequence(p, &plain);
		char esc[4];

		if (plain) {
			p += n;
			continue;
		}
		/* what is plain goes in one write, up to here */
		fwrite(run, 1, (size_t)(p - run), f);
		len += (size_t)(p - run);
		for (size_t i = 0; i < n; i++, p++, len += 4) {
			octal(esc, *p);
			fwrite(esc, 1, sizeof(esc), f);
		}
		run = p;
	}
	fwrite(run, 1, (size_t)(p - run), f);
	return len + (size_t)(p - run);
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

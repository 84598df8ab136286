/* jsonpull.c - see jsonpull.h.
 *
 * Why not jansson: `mntsnap diff` of two 50,000-mount snapshots (29 MB of
 * pretty-printed JSON each) took 1.6-2.0 s, 96% of it reading.  jansson
 * has no streaming parser; its json_loadf() lexes about 43 MB/s (0.67 s per
 * file), building the model from its tree took 0.13-0.19 s and freeing the
 * tree up to 0.23 s.  This tokenizer hands out tokens that point into the
 * file's buffer, so the reader builds the model directly, with no tree and
 * no copy of a string it does not keep.  It tokenizes such a file in about
 * 25 ms (1.1-1.5 GB/s on this machine).
 *
 * Speed comes from scanning without per-byte calls: strings 16 bytes at a
 * time (SSE2, or 8 with SWAR), indentation 8 spaces at a time, a table
 * lookup per byte elsewhere, and a NUL sentinel after the buffer so that
 * the byte loops need no bounds check.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#else
#include <endian.h>
#endif

#include "lib/json/jsonpull.h"
#include "lib/core/macros.h"
#include "lib/core/utf8.h"

enum state {
	S_VALUE,	  /* a value must come (document start, after ':' or an array's ',') */
	S_VALUE_OR_CLOSE, /* just after '[' */
	S_KEY,		  /* after an object's ',' */
	S_KEY_OR_CLOSE,	  /* just after '{' */
	S_COMMA_OR_CLOSE, /* after a value inside an array or object */
	S_END,		  /* after the top-level value: only whitespace may follow */
	S_DONE,		  /* MNTS_JP_END was returned */
	S_ERROR,
};

/* Byte classes.  WS: JSON whitespace.  PLAIN: a string byte that stands
 * for itself (printable ASCII but '"' and '\\'). */
enum { WS = 1, PLAIN = 2 };

static const uint8_t cls[256] = {
    ['\t'] = WS,
    ['\n'] = WS,
    ['\r'] = WS,
    [' '] = WS | PLAIN,
    [0x21] = PLAIN,
    [0x23 ... 0x5b] = PLAIN,
    [0x5d ... 0x7f] = PLAIN,
};

void mnts_jp_init(struct mnts_jp *jp, const char *buf, size_t size)
{
	memset(jp, 0, sizeof(*jp));
	jp->buf = buf;
	jp->size = size;
	jp->state = S_VALUE;
}

void mnts_jp_init_inside(struct mnts_jp *jp, const char *buf, size_t size, size_t pos,
			 unsigned depth, uint64_t in_object)
{
	mnts_jp_init(jp, buf, size);
	for (unsigned i = 0; i < depth && i < 64; i++)
		if (in_object >> i & 1)
			jp->in_object[i / 8] |= (uint8_t)(1u << (i % 8));
	jp->depth = depth < MNTS_JP_MAX_DEPTH ? depth : MNTS_JP_MAX_DEPTH;
	jp->pos = pos < size ? pos : size;
	jp->state = S_VALUE;
}

void mnts_jp_resume_at(struct mnts_jp *jp, size_t pos, unsigned depth)
{
	if (depth < jp->depth)
		jp->depth = depth;
	jp->state = jp->depth ? S_COMMA_OR_CLOSE : S_END;
	jp->pos = pos;
}

uint64_t mnts_jp_containers(const struct mnts_jp *jp, unsigned *depth)
{
	uint64_t bits = 0;

	for (unsigned i = 0; i < jp->depth && i < 64; i++)
		if (jp->in_object[i / 8] >> (i % 8) & 1)
			bits |= (uint64_t)1 << i;
	*depth = jp->depth;
	return bits;
}

void mnts_jp_done(struct mnts_jp *jp)
{
	free(jp->scratch);
	jp->scratch = NULL;
	jp->scratch_cap = 0;
}

static _printf_(3, 4) enum mnts_jp_kind
    fail(struct mnts_jp *jp, const char *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(jp->err_text, sizeof(jp->err_text), fmt, ap);
	va_end(ap);
	jp->err_off = (size_t)(at - jp->buf);
	jp->state = S_ERROR;
	return MNTS_JP_ERROR;
}

/* The byte at p, for messages. */
static const char *describe(const char *p, char buf[16])
{
	unsigned char c = (unsigned char)*p;

	if (c > 0x20 && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", c);
	return buf;
}

static enum mnts_jp_kind expected(struct mnts_jp *jp, const char *p, const char *what)
{
	char b[16];

	if (p == jp->buf + jp->size)
		return fail(jp, p, "unexpected end of the file (%s expected)", what);
	return fail(jp, p, "%s expected, not %s", what, describe(p, b));
}

/* SWAR: eight bytes at a time in a 64-bit word. */
#define BYTES(c) (0x0101010101010101ULL * (uint8_t)(c))

static inline uint64_t load8(const char *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

#ifndef __SSE2__
/* The high bit of each byte of w that is '"', '\\', below 0x20 or above
 * 0x7f: the bytes a string scan must stop at.  Exact for the lowest such
 * byte (borrows only run towards higher ones). */
static inline uint64_t string_stops(uint64_t w)
{
	uint64_t quote = w ^ BYTES('"'), backslash = w ^ BYTES('\\');

	return (((quote - BYTES(1)) & ~quote) | ((backslash - BYTES(1)) & ~backslash) |
		((w - BYTES(0x20)) & ~w) | w) &
	       BYTES(0x80);
}
#endif

static inline const char *skip_ws(const struct mnts_jp *jp, const char *p)
{
	const char *end = jp->buf + jp->size;

	while (cls[(unsigned char)*p] & WS) {
		p++;
		/* pretty-printed indentation, eight spaces at a time */
		while (end - p >= 8 && load8(p) == BYTES(' '))
			p += 8;
	}
	return p;
}

/* The first byte at or after s that is not PLAIN in a string. */
static inline const char *plain_run(const struct mnts_jp *jp, const char *s)
{
	const char *end = jp->buf + jp->size;

#ifdef __SSE2__
	/* sixteen bytes at a time; as signed bytes, those below 0x20 include
	 * 0x80-0xff */
	const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\');
	const __m128i space = _mm_set1_epi8(0x20);

	while (end - s >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)s);
		int stops = _mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
		    _mm_cmplt_epi8(v, space)));

		if (stops)
			return s + __builtin_ctz((unsigned)stops);
		s += 16;
	}
#else
	while (end - s >= 8) {
		/* little-endian order: the lowest set bit is the first byte */
		uint64_t stops = string_stops(le64toh(load8(s)));

		if (stops)
			return s + __builtin_ctzll(stops) / 8;
		s += 8;
	}
#endif
	while (cls[(unsigned char)*s] & PLAIN)
		s++;
	return s;
}

const char *mnts_jp_plain_run(const struct mnts_jp *jp, const char *s)
{
	return plain_run(jp, s);
}

static bool in_object(const struct mnts_jp *jp)
{
	unsigned level = jp->depth - 1;

	return jp->in_object[level / 8] & (1u << (level % 8));
}

static enum mnts_jp_kind push(struct mnts_jp *jp, const char *p, bool object,
			      struct mnts_jp_token *t)
{
	unsigned level = jp->depth;

	if (level == MNTS_JP_MAX_DEPTH)
		return fail(jp, p, "nesting deeper than %d levels", MNTS_JP_MAX_DEPTH);
	if (object)
		jp->in_object[level / 8] |= (uint8_t)(1u << (level % 8));
	else
		jp->in_object[level / 8] &= (uint8_t) ~(1u << (level % 8));
	jp->depth++;
	jp->state = object ? S_KEY_OR_CLOSE : S_VALUE_OR_CLOSE;
	jp->pos = (size_t)(p + 1 - jp->buf);
	return t->kind = object ? MNTS_JP_OBJECT : MNTS_JP_ARRAY;
}

static enum mnts_jp_kind pop(struct mnts_jp *jp, const char *p, struct mnts_jp_token *t)
{
	bool object = in_object(jp);

	jp->depth--;
	jp->state = jp->depth ? S_COMMA_OR_CLOSE : S_END;
	jp->pos = (size_t)(p + 1 - jp->buf);
	return t->kind = object ? MNTS_JP_OBJECT_END : MNTS_JP_ARRAY_END;
}

/* Room for n more bytes after the first len of the scratch space (which
 * exists after this, even for n = 0: memcpy() wants a pointer). */
static void scratch_reserve(struct mnts_jp *jp, size_t len, size_t n)
{
	if (jp->scratch && len + n <= jp->scratch_cap)
		return;
	jp->scratch_cap = (len + n) * 2 > 256 ? (len + n) * 2 : 256;
	jp->scratch = xrealloc(jp->scratch, jp->scratch_cap);
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3f));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/* A string byte that is not PLAIN and not an escape: UTF-8 (checked, its
 * length returned), the closing quote (0), or an error (-1). */
static int special(struct mnts_jp *jp, const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n;

	if (c == '"')
		return 0;
	if (c >= 0x80) {
		n = mnts_utf8_len((const unsigned char *)s);
		if (n == 0) {
			fail(jp, s, "invalid UTF-8 (byte 0x%02x) in a string", c);
			return -1;
		}
		return (int)n;
	}
	if (s == jp->buf + jp->size)
		fail(jp, s, "unexpected end of the file (inside a string)");
	else
		fail(jp, s, "control character 0x%02x in a string (it must be escaped)", c);
	return -1;
}

/* The escape at s ('\\'): appends its bytes to the scratch space at *len.
 * Returns the byte after it, or NULL on error. */
static const char *unescape(struct mnts_jp *jp, const char *s, size_t *len)
{
	static const char simple[128] = {
	    ['"'] = '"',  ['\\'] = '\\', ['/'] = '/',  ['b'] = '\b',
	    ['f'] = '\f', ['n'] = '\n',	 ['r'] = '\r', ['t'] = '\t',
	};
	unsigned char c = (unsigned char)s[1];
	int cp, lo;

	scratch_reserve(jp, *len, 4);
	if (c < 128 && simple[c]) {
		jp->scratch[(*len)++] = simple[c];
		return s + 2;
	}
	if (c != 'u') {
		fail(jp, s, "invalid escape '\\%c' in a string", c >= 0x20 && c < 0x7f ? c : '?');
		return NULL;
	}
	cp = hex4(s + 2);
	if (cp < 0) {
		fail(jp, s, "invalid \\u escape in a string (4 hex digits expected)");
		return NULL;
	}
	s += 6;
	if (cp >= 0xdc00 && cp <= 0xdfff) {
		fail(jp, s - 6, "invalid \\u escape in a string: lone low surrogate \\u%04X", cp);
		return NULL;
	}
	if (cp >= 0xd800 && cp <= 0xdbff) {
		lo = s[0] == '\\' && s[1] == 'u' ? hex4(s + 2) : -1;
		if (lo < 0xdc00 || lo > 0xdfff) {
			fail(jp, s - 6,
			     "invalid \\u escape in a string: high surrogate \\u%04X "
			     "without its low half",
			     cp);
			return NULL;
		}
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		s += 6;
	}
	if (cp == 0) {
		fail(jp, s - 6, "\\u0000 in a string (NUL bytes are not allowed)");
		return NULL;
	}
	*len += put_utf8(jp->scratch + *len, (unsigned)cp);
	return s;
}

/* The string starting at p ('"').  Returns the byte after its closing
 * quote, or NULL on error. */
static const char *string(struct mnts_jp *jp, const char *p, struct mnts_jp_token *t)
{
	const char *s = p + 1, *run;
	size_t len;
	int n;

	/* fast path: no escape, the value is the buffer's bytes */
	for (;;) {
		s = plain_run(jp, s);
		if (*s == '"') {
			t->str = p + 1;
			t->len = (size_t)(s - p - 1);
			return s + 1;
		}
		if (*s == '\\')
			break;
		n = special(jp, s);
		if (n < 0)
			return NULL;
		if (n == 0) {
			t->str = p + 1;
			t->len = (size_t)(s - p - 1);
			return s + 1;
		}
		s += n;
	}

	/* escapes: decode into the scratch space */
	len = (size_t)(s - p - 1);
	scratch_reserve(jp, 0, len);
	memcpy(jp->scratch, p + 1, len);
	for (;;) {
		if (*s == '\\') {
			s = unescape(jp, s, &len);
			if (!s)
				return NULL;
			continue;
		}
		run = s;
		s = plain_run(jp, s);
		n = *s == '\\' ? 1 : special(jp, s);
		if (n < 0)
			return NULL;
		if (n > 1)
			s += n; /* UTF-8: copied with the run */
		scratch_reserve(jp, len, (size_t)(s - run));
		memcpy(jp->scratch + len, run, (size_t)(s - run));
		len += (size_t)(s - run);
		if (n == 0) {
			t->str = jp->scratch;
			t->len = len;
			return s + 1;
		}
	}
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The number starting at p ('-' or a digit).  Returns the byte after it,
 * or NULL on error. */
static const char *number(struct mnts_jp *jp, const char *p, struct mnts_jp_token *t)
{
	const char *s = p;
	uint64_t v = 0;

	t->negative = *s == '-';
	t->integer = true;
	t->overflow = false;
	if (t->negative)
		s++;
	if (!is_digit(*s)) {
		expected(jp, s, "a digit");
		return NULL;
	}
	if (*s == '0' && is_digit(s[1])) {
		fail(jp, s, "number with a leading zero");
		return NULL;
	}
	for (; is_digit(*s); s++)
		if (__builtin_mul_overflow(v, 10, &v) ||
		    __builtin_add_overflow(v, (unsigned)(*s - '0'), &v))
			t->overflow = true;
	if (*s == '.') {
		t->integer = false;
		if (!is_digit(*++s)) {
			expected(jp, s, "a digit after the decimal point");
			return NULL;
		}
		while (is_digit(*s))
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		t->integer = false;
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (!is_digit(*s)) {
			expected(jp, s, "a digit in the exponent");
			return NULL;
		}
		while (is_digit(*s))
			s++;
	}
	t->u64 = v;
	t->str = p;
	t->len = (size_t)(s - p);
	return s;
}

static const char *literal(struct mnts_jp *jp, const char *p, const char *word,
			   struct mnts_jp_token *t)
{
	size_t n = 0;
	unsigned char after;

	/* byte by byte: a mismatch (at the latest the sentinel) stops it
	 * before the end of the buffer */
	for (; word[n]; n++)
		if (p[n] != word[n]) {
			fail(jp, p, "invalid literal (true, false or null expected)");
			return NULL;
		}
	after = (unsigned char)p[n];
	if ((after >= 'a' && after <= 'z') || (after >= 'A' && after <= 'Z') || is_digit(after)) {
		fail(jp, p, "invalid literal (true, false or null expected)");
		return NULL;
	}
	t->str = p;
	t->len = n;
	return p + n;
}

static enum mnts_jp_kind value(struct mnts_jp *jp, const char *p, struct mnts_jp_token *t)
{
	const char *end;

	switch (*p) {
	case '{':
		return push(jp, p, true, t);
	case '[':
		return push(jp, p, false, t);
	case '"':
		t->kind = MNTS_JP_STRING;
		end = string(jp, p, t);
		break;
	case 't':
		t->kind = MNTS_JP_TRUE;
		end = literal(jp, p, "true", t);
		break;
	case 'f':
		t->kind = MNTS_JP_FALSE;
		end = literal(jp, p, "false", t);
		break;
	case 'n':
		t->kind = MNTS_JP_NULL;
		end = literal(jp, p, "null", t);
		break;
	default:
		if (*p == '-' || is_digit(*p)) {
			t->kind = MNTS_JP_NUMBER;
			end = number(jp, p, t);
			break;
		}
		return expected(jp, p, "a value");
	}
	if (!end)
		return MNTS_JP_ERROR;
	jp->state = jp->depth ? S_COMMA_OR_CLOSE : S_END;
	jp->pos = (size_t)(end - jp->buf);
	return t->kind;
}

static enum mnts_jp_kind key(struct mnts_jp *jp, const char *p, struct mnts_jp_token *t,
			     const char *what)
{
	const char *end;

	if (*p != '"')
		return expected(jp, p, what);
	end = string(jp, p, t);
	if (!end)
		return MNTS_JP_ERROR;
	end = skip_ws(jp, end);
	if (*end != ':')
		return expected(jp, end, "':' after the member name");
	jp->state = S_VALUE;
	jp->pos = (size_t)(end + 1 - jp->buf);
	return t->kind = MNTS_JP_KEY;
}

enum mnts_jp_kind mnts_jp_next(struct mnts_jp *jp, struct mnts_jp_token *t)
{
	const char *p;

	if (jp->state == S_ERROR)
		return t->kind = MNTS_JP_ERROR;
	p = skip_ws(jp, jp->buf + jp->pos);
	t->off = (size_t)(p - jp->buf);
	switch (jp->state) {
	case S_VALUE:
		return value(jp, p, t);
	case S_VALUE_OR_CLOSE:
		if (*p == ']')
			return pop(jp, p, t);
		return value(jp, p, t);
	case S_KEY:
		return key(jp, p, t, "a member name (string)");
	case S_KEY_OR_CLOSE:
		if (*p == '}')
			return pop(jp, p, t);
		return key(jp, p, t, "a member name (string) or '}'");
	case S_COMMA_OR_CLOSE:
		if (*p == ',') {
			p = skip_ws(jp, p + 1);
			t->off = (size_t)(p - jp->buf);
			if (in_object(jp))
				return key(jp, p, t, "a member name (string)");
			return value(jp, p, t);
		}
		if (*p == (in_object(jp) ? '}' : ']'))
			return pop(jp, p, t);
		return expected(jp, p, in_object(jp) ? "',' or '}'" : "',' or ']'");
	case S_END:
		if (p != jp->buf + jp->size) {
			char b[16];

			return fail(jp, p, "%s after the end of the document", describe(p, b));
		}
		jp->state = S_DONE;
		return t->kind = MNTS_JP_END;
	default:
		return t->kind = MNTS_JP_END;
	}
}

enum mnts_jp_kind mnts_jp_skip(struct mnts_jp *jp, const struct mnts_jp_token *t)
{
	unsigned depth = jp->depth;
	struct mnts_jp_token tok;

	if (t->kind != MNTS_JP_OBJECT && t->kind != MNTS_JP_ARRAY)
		return t->kind;
	/* depth counts t's own level: done when a close brings it below */
	while (jp->depth >= depth)
		if (mnts_jp_next(jp, &tok) == MNTS_JP_ERROR)
			return MNTS_JP_ERROR;
	return t->kind;
}

void mnts_jp_position(const struct mnts_jp *jp, size_t off, unsigned *line, unsigned *col)
{
	const char *end = jp->buf + (off < jp->size ? off : jp->size);
	unsigned l = 1, c = 1;

	for (const char *p = jp->buf; p < end; p++) {
		if (*p == '\n') {
			l++;
			c = 1;
		} else if ((*p & 0xc0) != 0x80) {
			c++; /* a character starts here (UTF-8 continuation bytes do not count) */
		}
	}
	*line = l;
	*col = c;
}

/* jsonwriter.c - see jsonwriter.h */
#include <stdint.h>
#include <string.h>

#include "lib/json/jsonwriter.h"
#include "lib/core/macros.h"
#include "lib/core/utf8.h"

#define JW_BLOCK (256U << 10) /* what goes to the FILE at a time */

void mnts_jw_init(struct mnts_jw *w, FILE *f, bool compact)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->compact = compact;
	w->cap = JW_BLOCK;
	w->buf = xmalloc(w->cap);
}

static void flush(struct mnts_jw *w)
{
	if (!w->f)
		return; /* a part: all of it is kept */
	if (w->len)
		fwrite_unlocked(w->buf, 1, w->len, w->f);
	w->len = 0;
}

void mnts_jw_finish(struct mnts_jw *w)
{
	flush(w);
	free(w->buf);
	w->buf = NULL;
	w->cap = 0;
	free(w->deep_first);
	w->deep_first = NULL;
	w->deep_cap = 0;
}

int mnts_jw_end_document(struct mnts_jw *w, struct mnts_error *err)
{
	mnts_jw_finish(w);
	fputc_unlocked('\n', w->f);
	if (w->bad_utf8)
		return mnts_err(err, 0, "string '%s': not valid UTF-8, which JSON cannot carry",
				w->bad_utf8);
	return 0;
}

static void make_room(struct mnts_jw *w, size_t n)
{
	flush(w);
	if (w->cap - w->len < n) {
		while (w->cap - w->len < n)
			w->cap *= 2;
		w->buf = xrealloc(w->buf, w->cap);
	}
}

/* Room for n more bytes; returns where they go. */
static inline char *reserve(struct mnts_jw *w, size_t n)
{
	if (__builtin_expect(w->cap - w->len < n, 0))
		make_room(w, n);
	return w->buf + w->len;
}

static inline void put(struct mnts_jw *w, const char *s, size_t n)
{
	memcpy(reserve(w, n), s, n);
	w->len += n;
}

static bool *deep_first(struct mnts_jw *w, int depth)
{
	size_t i = (size_t)depth - MNTS_JW_MAX_DEPTH;

	if (i >= w->deep_cap) {
		w->deep_cap = i < 16 ? 32 : 2 * i;
		w->deep_first = xreallocarray(w->deep_first, w->deep_cap, sizeof(bool));
	}
	return &w->deep_first[i];
}

/* Whether nothing was written yet at this level. */
static inline bool *first_at(struct mnts_jw *w, int depth)
{
	if (__builtin_expect(depth < MNTS_JW_MAX_DEPTH, 1))
		return &w->first[depth];
	return deep_first(w, depth);
}

void mnts_jw_init_part(struct mnts_jw *part, const struct mnts_jw *w, bool first, char *buf,
		       size_t cap)
{
	memset(part, 0, sizeof(*part));
	part->compact = w->compact;
	part->depth = w->depth;
	part->cap = buf ? cap : JW_BLOCK;
	part->buf = buf ? buf : xmalloc(part->cap);
	/* only the level of the items: deeper ones start as they open */
	*first_at(part, part->depth) = first;
}

void mnts_jw_splice(struct mnts_jw *w, struct mnts_jw *part)
{
	free(part->deep_first);
	part->deep_first = NULL;
	part->deep_cap = 0;
	if (!part->len)
		return;
	flush(w);
	fwrite_unlocked(part->buf, 1, part->len, w->f);
	part->len = 0;
	/* an item was written at w's level: the next one takes a comma */
	*first_at(w, w->depth) = false;
	if (!w->bad_utf8)
		w->bad_utf8 = part->bad_utf8;
}

static const char nl_spaces[] = ",\n                                ";

/* A new line (after a comma when comma) and depth levels of indentation,
 * jansson's dump_indent(): one piece while it fits nl_spaces. */
static void put_indent(struct mnts_jw *w, bool comma, int depth)
{
	size_t head = comma ? 2 : 1, n = (size_t)depth * 2;
	const char *text = nl_spaces + 2 - head;

	if (__builtin_expect(head + n < sizeof(nl_spaces), 1)) {
		put(w, text, head + n);
		return;
	}
	put(w, text, head);
	for (; n > 32; n -= 32)
		put(w, nl_spaces + 2, 32);
	put(w, nl_spaces + 2, n);
}

/* The separator before a member or element: nothing for the first, "," and
 * a new line with two spaces a level for the others. */
static void next_item(struct mnts_jw *w)
{
	bool *at = first_at(w, w->depth), first = *at;

	*at = false;
	if (w->compact) {
		if (!first)
			put(w, ",", 1);
		return;
	}
	put_indent(w, !first, w->depth);
}

static void begin(struct mnts_jw *w, char c)
{
	put(w, &c, 1);
	w->depth++;
	*first_at(w, w->depth) = true;
}

static void end(struct mnts_jw *w, char c)
{
	bool empty = *first_at(w, w->depth);

	w->depth--;
	if (!empty && !w->compact)
		put_indent(w, false, w->depth);
	put(w, &c, 1);
}

void mnts_jw_begin_object(struct mnts_jw *w)
{
	begin(w, '{');
}

void mnts_jw_end_object(struct mnts_jw *w)
{
	end(w, '}');
}

void mnts_jw_begin_array(struct mnts_jw *w)
{
	begin(w, '[');
}

void mnts_jw_end_array(struct mnts_jw *w)
{
	end(w, ']');
}

void mnts_jw_elem(struct mnts_jw *w)
{
	next_item(w);
}

void mnts_jw_key(struct mnts_jw *w, const char *key)
{
	next_item(w);
	mnts_jw_string(w, key);
	put(w, ": ", w->compact ? 1 : 2);
}

void mnts_jw_key_quoted(struct mnts_jw *w, const char *quoted, size_t len)
{
	next_item(w);
	put(w, quoted, w->compact ? len - 1 : len);
}

/* Bytes a string copies as they are: printable ASCII but '"' and '\\'. */
static inline bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

/* plain() of all 8 bytes of x at once.  The classic tests are exact for
 * "some byte is": (v - 0x01..) & ~v & 0x80.. finds a zero byte of v,
 * (x - 0x20..) & ~x & 0x80.. a byte below 0x20; a byte >= 0x80 has its own
 * top bit. */
static inline bool plain8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ULL, tops = 0x8080808080808080ULL;
	uint64_t quote = x ^ (ones * '"'), bslash = x ^ (ones * '\\');
	uint64_t hits =
	    ((x - ones * 0x20) & ~x) | ((quote - ones) & ~quote) | ((bslash - ones) & ~bslash) | x;

	return !(hits & tops);
}

void mnts_jw_string(struct mnts_jw *w, const char *str)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);
	const unsigned char *end = s + n;
	/* the worst case: every byte as \u00XX */
	char *out = reserve(w, n * 6 + 2), *p = out;

	*p++ = '"';
	while (*s) {
		size_t len;

		/* 8 bytes at a time while they need nothing, then byte by byte
		 * up to the next one that does */
		for (uint64_t x; end - s >= 8 && (memcpy(&x, s, 8), plain8(x)); s += 8, p += 8)
			memcpy(p, &x, 8);
		while (plain(*s))
			*p++ = (char)*s++;
		if (!*s)
			break;
		if (*s >= 0x80) {
			len = mnts_utf8_len(s);
			if (len == 0) {
				if (!w->bad_utf8)
					w->bad_utf8 = str;
				len = 1;
			}
			memcpy(p, s, len);
			p += len;
			s += len;
			continue;
		}
		*p++ = '\\';
		switch (*s) {
		case '"':
		case '\\':
			*p++ = (char)*s;
			break;
		case '\b':
			*p++ = 'b';
			break;
		case '\f':
			*p++ = 'f';
			break;
		case '\n':
			*p++ = 'n';
			break;
		case '\r':
			*p++ = 'r';
			break;
		case '\t':
			*p++ = 't';
			break;
		default:
			*p++ = 'u';
			*p++ = '0';
			*p++ = '0';
			*p++ = hex[*s >> 4];
			*p++ = hex[*s & 0xf];
		}
		s++;
	}
	*p++ = '"';
	w->len += (size_t)(p - out);
}

void mnts_jw_u64(struct mnts_jw *w, uint64_t v)
{
	static const char pairs[] = "00010203040506070809101112131415161718192021222324"
				    "25262728293031323334353637383940414243444546474849"
				    "50515253545556575859606162636465666768697071727374"
				    "75767778798081828384858687888990919293949596979899";
	char buf[24], *p = buf + sizeof(buf);

	while (v >= 100) {
		p -= 2;
		memcpy(p, pairs + (v % 100) * 2, 2);
		v /= 100;
	}
	if (v >= 10) {
		p -= 2;
		memcpy(p, pairs + v * 2, 2);
	} else {
		*--p = (char)('0' + v);
	}
	put(w, p, (size_t)(buf + sizeof(buf) - p));
}

void mnts_jw_bool(struct mnts_jw *w, bool v)
{
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void mnts_jw_null(struct mnts_jw *w)
{
	put(w, "null", 4);
}

/* jsonwriter.c - see jsonwriter.h */
#include <string.h>

#include "lib/jsonwriter.h"
#include "lib/macros.h"
#include "lib/utf8.h"

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
	if (w->f && w->len)
		fwrite_unlocked(w->buf, 1, w->len, w->f);
	w->len = 0;
}

void mnts_jw_finish(struct mnts_jw *w)
{
	flush(w);
	free(w->buf);
	w->buf = NULL;
	w->cap = 0;
}

void mnts_jw_init_part(struct mnts_jw *part, const struct mnts_jw *at)
{
	mnts_jw_init(part, NULL, at->compact);
	part->depth = at->depth;
	memcpy(part->first, at->first, sizeof(part->first));
}

static void make_room(struct mnts_jw *w, size_t n)
{
	if (w->f)
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

void mnts_jw_append_part(struct mnts_jw *w, struct mnts_jw *part)
{
	put(w, part->buf, part->len);
	w->first[w->depth] = part->first[w->depth];
	if (!w->bad_utf8)
		w->bad_utf8 = part->bad_utf8;
	free(part->buf);
	memset(part, 0, sizeof(*part));
}

/* The separator before a member or element: nothing for the first, "," and
 * a new line with two spaces a level for the others (jansson's
 * dump_indent()). */
static void next_item(struct mnts_jw *w)
{
	static const char comma_nl_spaces[] = ",\n                                ";
	bool first = w->first[w->depth];
	size_t n;

	w->first[w->depth] = false;
	if (w->compact) {
		if (!first)
			put(w, ",", 1);
		return;
	}
	n = 2 + (size_t)w->depth * 2;
	if (first)
		put(w, comma_nl_spaces + 1, n - 1);
	else
		put(w, comma_nl_spaces, n);
}

static void begin(struct mnts_jw *w, char c)
{
	put(w, &c, 1);
	if (w->depth + 1 < MNTS_JW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void end(struct mnts_jw *w, char c)
{
	static const char nl_spaces[] = "\n                                ";
	bool empty = w->first[w->depth];

	w->depth--;
	if (!empty && !w->compact)
		put(w, nl_spaces, 1 + (size_t)w->depth * 2);
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

/* Bytes a string copies as they are: printable ASCII but '"' and '\\'. */
static inline bool plain(unsigned char c)
{
	return c >= 0x20 && c < 0x80 && c != '"' && c != '\\';
}

void mnts_jw_string(struct mnts_jw *w, const char *str)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);
	/* the worst case: every byte as \u00XX */
	char *out = reserve(w, n * 6 + 2), *p = out;

	*p++ = '"';
	while (*s) {
		const unsigned char *run = s;
		size_t len;

		while (plain(*s))
			s++;
		memcpy(p, run, (size_t)(s - run));
		p += s - run;
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
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
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

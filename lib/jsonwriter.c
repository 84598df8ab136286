/* jsonwriter.c - see jsonwriter.h */
#include <string.h>

#include "lib/jsonwriter.h"
#include "lib/utf8.h"

void mnts_jw_init(struct mnts_jw *w, FILE *f, bool compact)
{
	memset(w, 0, sizeof(*w));
	w->f = f;
	w->compact = compact;
}

static void newline_indent(struct mnts_jw *w, int depth)
{
	/* a new line and two spaces a level, in one write */
	static const char nl_spaces[] = "\n                                ";

	if (w->compact)
		return;
	fwrite_unlocked(nl_spaces, 1, 1 + (size_t)depth * 2, w->f);
}

/* The separator before a member or element: nothing for the first, "," and
 * a new line for the others (jansson's dump_indent()). */
static void next_item(struct mnts_jw *w)
{
	if (!w->first[w->depth])
		fputc_unlocked(',', w->f);
	w->first[w->depth] = false;
	newline_indent(w, w->depth);
}

static void begin(struct mnts_jw *w, char c)
{
	fputc_unlocked(c, w->f);
	if (w->depth + 1 < MNTS_JW_MAX_DEPTH)
		w->depth++;
	w->first[w->depth] = true;
}

static void end(struct mnts_jw *w, char c)
{
	bool empty = w->first[w->depth];

	w->depth--;
	if (!empty)
		newline_indent(w, w->depth);
	fputc_unlocked(c, w->f);
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
	fputs_unlocked(w->compact ? ":" : ": ", w->f);
}

void mnts_jw_string(struct mnts_jw *w, const char *str)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *run = s;

	fputc_unlocked('"', w->f);
	while (*s) {
		const char *esc = NULL;
		char u[7];
		size_t len;

		if (*s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\') {
			s++; /* plain ASCII: the common case */
			continue;
		}
		if (*s >= 0x80) {
			len = mnts_utf8_len(s);
			if (len == 0) {
				if (!w->bad_utf8)
					w->bad_utf8 = str;
				len = 1;
			}
			s += len;
			continue;
		}
		fwrite_unlocked(run, 1, s - run, w->f);
		switch (*s) {
		case '"':
			esc = "\\\"";
			break;
		case '\\':
			esc = "\\\\";
			break;
		case '\b':
			esc = "\\b";
			break;
		case '\f':
			esc = "\\f";
			break;
		case '\n':
			esc = "\\n";
			break;
		case '\r':
			esc = "\\r";
			break;
		case '\t':
			esc = "\\t";
			break;
		default:
			u[0] = '\\';
			u[1] = 'u';
			u[2] = '0';
			u[3] = '0';
			u[4] = hex[*s >> 4];
			u[5] = hex[*s & 0xf];
			u[6] = '\0';
			esc = u;
		}
		fputs_unlocked(esc, w->f);
		s++;
		run = s;
	}
	fwrite_unlocked(run, 1, s - run, w->f);
	fputc_unlocked('"', w->f);
}

void mnts_jw_u64(struct mnts_jw *w, uint64_t v)
{
	char buf[24], *p = buf + sizeof(buf);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	fwrite_unlocked(p, 1, buf + sizeof(buf) - p, w->f);
}

void mnts_jw_bool(struct mnts_jw *w, bool v)
{
	fputs_unlocked(v ? "true" : "false", w->f);
}

void mnts_jw_null(struct mnts_jw *w)
{
	fputs_unlocked("null", w->f);
}

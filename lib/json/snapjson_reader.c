/* snapjson_reader.c - the snapshot reader's primitives (see
 * snapjson_reader.h): typed values, objects with fixed keys, arrays, and
 * errors that say where they are. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/json/snapjson_reader.h"

const char *rd_shown(const char *s, size_t len, char buf[80])
{
	size_t n = len > 64 ? 64 : len;

	while (n < len && n > 0 && (s[n] & 0xc0) == 0x80)
		n--; /* do not cut a UTF-8 sequence */
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 ? '?' : s[i];
	strcpy(buf + n, n < len ? "..." : "");
	return buf;
}

static void where(const struct reader *rd, char *buf, size_t size)
{
	const struct mnts_ns *ns;
	const struct mnts_mount *m;
	int n;

	if (rd->ns < 0) {
		snprintf(buf, size, "%s", rd->section);
		return;
	}
	ns = &rd->snap->nss[rd->ns];
	if (rd->ns_labelled)
		n = snprintf(buf, size, "namespace '%s'", ns->label);
	else
		n = snprintf(buf, size, "namespaces[%zd]", rd->ns);
	if (rd->mount < 0 || n < 0 || (size_t)n >= size)
		return;
	m = &ns->mounts[rd->mount];
	if (m->id)
		snprintf(buf + n, size - (size_t)n, " mount %" PRIu64, m->id);
	else
		snprintf(buf + n, size - (size_t)n, " mounts[%zd]", rd->mount);
}

_printf_(3, 4) int rd_fail(struct reader *rd, size_t off, const char *fmt, ...)
{
	char w[320], msg[512];
	unsigned line, col;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	where(rd, w, sizeof(w));
	mnts_jp_position(&rd->jp, off, &line, &col);
	return mnts_err(rd->err, 0, "%s:%u:%u: %s: %s", rd->what, line, col, w, msg);
}

int rd_syntax(struct reader *rd)
{
	unsigned line, col;

	rd->syntax = true;
	mnts_jp_position(&rd->jp, rd->jp.err_off, &line, &col);
	return mnts_err(rd->err, 0, "%s:%u:%u: malformed JSON: %s", rd->what, line, col,
			rd->jp.err_text);
}

int rd_next(struct reader *rd)
{
	if (mnts_jp_next(&rd->jp, &rd->tok) == MNTS_JP_ERROR)
		return rd_syntax(rd);
	return rd->tok.kind;
}

char *rd_tok_cstr(struct reader *rd)
{
	return mnts_snapshot_strndup(rd->snap, rd->tok.str, rd->tok.len);
}

int rd_drain(struct reader *rd, int r)
{
	struct mnts_jp_token t;

	if (rd->syntax)
		return r;
	for (;;) {
		enum mnts_jp_kind k = mnts_jp_next(&rd->jp, &t);

		if (k == MNTS_JP_END)
			return r;
		if (k == MNTS_JP_ERROR)
			return rd_syntax(rd);
	}
}

const char *rd_key_name(const char *key, ssize_t idx, char buf[96])
{
	if (idx < 0)
		return key;
	snprintf(buf, 96, "%s[%zd]", key, idx);
	return buf;
}

static int find_key(const struct key *keys, int n, const char *s, size_t len, int hint)
{
	if (hint < n && keys[hint].len == len && memcmp(keys[hint].name, s, len) == 0)
		return hint;
	for (int i = 0; i < n; i++)
		if (keys[i].len == len && memcmp(keys[i].name, s, len) == 0)
			return i;
	return -1;
}

int rd_member(struct reader *rd, const struct key *keys, int n, const char *obj,
		     uint32_t *seen, int *k)
{
	const char *dot = obj ? "." : "", *colon = obj ? ": " : "";
	char b[80];
	int kind, i;

	if (!obj)
		obj = "";
	kind = rd_next(rd);
	if (kind < 0)
		return kind;
	if (kind == MNTS_JP_OBJECT_END) {
		for (i = 0; i < n; i++)
			if (!(*seen & 1u << i) && keys[i].since <= rd->snap->format_version)
				return rd_fail(rd, rd->tok.off, "%s%s%s: missing", obj, dot,
					       keys[i].name);
		return 0;
	}
	i = find_key(keys, n, rd->tok.str, rd->tok.len, *k + 1);
	if (i >= 0 && keys[i].since > rd->snap->format_version)
		i = -1; /* a newer version's key */
	if (i < 0)
		return rd_fail(rd, rd->tok.off, "%s%sunknown key '%s'", obj, colon,
			       rd_shown(rd->tok.str, rd->tok.len, b));
	if (*seen & 1u << i)
		return rd_fail(rd, rd->tok.off, "%s%sduplicate key '%s'", obj, colon,
			       keys[i].name);
	*seen |= 1u << i;
	*k = i;
	return 1;
}

int rd_open(struct reader *rd, const char *key, bool nullable)
{
	int kind = rd_next(rd);

	if (kind == MNTS_JP_OBJECT)
		return 1;
	if (kind == MNTS_JP_NULL && nullable)
		return 0;
	if (kind < 0)
		return kind;
	return rd_fail(rd, rd->tok.off, "%s%sexpected an object%s", key ? key : "", key ? ": " : "",
		       nullable ? " or null" : "");
}

int rd_str(struct reader *rd, const char *key, bool nullable, char **out)
{
	int kind = rd_next(rd);

	if (kind == MNTS_JP_STRING) {
		*out = rd_tok_cstr(rd);
		return 0;
	}
	if (kind == MNTS_JP_NULL && nullable)
		return 0;
	if (kind < 0)
		return kind;
	return rd_fail(rd, rd->tok.off, "%s: expected a string%s", key,
		       nullable ? " or null" : "");
}

int rd_tok_u64(struct reader *rd, const char *key, ssize_t idx, bool nullable, uint64_t *out)
{
	const struct mnts_jp_token *t = &rd->tok;
	char b[96], v[80];

	if (t->kind == MNTS_JP_NULL && nullable) {
		*out = 0;
		return 0;
	}
	if (t->kind == MNTS_JP_NUMBER && t->integer && (!t->negative || (!t->overflow && !t->u64))) {
		if (t->overflow || t->u64 > INT64_MAX)
			return rd_fail(rd, t->off, "%s: %s: too big (integers are below 2^63)",
				       rd_key_name(key, idx, b), rd_shown(t->str, t->len, v));
		*out = t->u64;
		return 0;
	}
	return rd_fail(rd, t->off, "%s: expected a non-negative integer%s", rd_key_name(key, idx, b),
		       nullable ? " or null" : "");
}

int rd_u64(struct reader *rd, const char *key, bool nullable, uint64_t *out)
{
	int kind = rd_next(rd);

	if (kind < 0)
		return kind;
	return rd_tok_u64(rd, key, -1, nullable, out);
}

int rd_bool(struct reader *rd, const char *key, bool *out)
{
	int kind = rd_next(rd);

	if (kind < 0)
		return kind;
	if (kind != MNTS_JP_TRUE && kind != MNTS_JP_FALSE)
		return rd_fail(rd, rd->tok.off, "%s: expected a boolean", key);
	*out = kind == MNTS_JP_TRUE;
	return 0;
}

struct mnts_word *rd_word_slot(struct reader *rd, size_t n)
{
	if (n == rd->cap_tokens) {
		rd->cap_tokens = rd->cap_tokens ? rd->cap_tokens * 2 : 16;
		rd->tokens = xreallocarray(rd->tokens, rd->cap_tokens, sizeof(*rd->tokens));
	}
	return &rd->tokens[n];
}

/* The strings of an array into rd->tokens; *n of them. */
static int read_words(struct reader *rd, const char *key, size_t *n)
{
	const char *text_end = rd->jp.buf + rd->jp.size;
	char b[96];
	int kind = rd_next(rd);

	if (kind < 0)
		return kind;
	if (kind != MNTS_JP_ARRAY)
		return rd_fail(rd, rd->tok.off, "%s: expected an array of strings", key);
	for (*n = 0;; ++*n) {
		struct mnts_word *w;

		kind = rd_next(rd);
		if (kind < 0)
			return kind;
		if (kind == MNTS_JP_ARRAY_END)
			return 0;
		if (kind != MNTS_JP_STRING)
			return rd_fail(rd, rd->tok.off, "%s: expected a string",
				       rd_key_name(key, (ssize_t)*n, b));
		w = rd_word_slot(rd, *n);
		w->len = rd->tok.len;
		if (rd->tok.str >= rd->jp.buf && rd->tok.str < text_end)
			w->s = rd->tok.str;
		else
			w->s = rd_tok_cstr(rd);
	}
}

int rd_strv(struct reader *rd, const char *key, struct mnts_strv *sv)
{
	size_t n;
	int r = read_words(rd, key, &n);

	if (r < 0 || !n)
		return r;
	sv->v = xreallocarray(NULL, n, sizeof(*sv->v));
	for (size_t i = 0; i < n; i++)
		sv->v[i] = mnts_snapshot_strndup(rd->snap, rd->tokens[i].s, rd->tokens[i].len);
	sv->n = n;
	return 0;
}

int rd_strv_shared(struct reader *rd, const char *key, struct mnts_strv *sv)
{
	size_t n;
	int r = read_words(rd, key, &n);

	if (r < 0)
		return r;
	mnts_snapshot_strv_shared(rd->snap, sv, rd->tokens, n);
	return 0;
}

void rd_done(struct reader *rd)
{
	mnts_jp_done(&rd->jp);
	free(rd->tokens);
}

static int array_elems(struct reader *rd, int (*one_elem)(struct reader *rd, void *data, ssize_t idx),
		       void *data)
{
	int kind, r;

	for (ssize_t i = 0;; i++) {
		kind = rd_next(rd);
		if (kind < 0)
			return kind;
		if (kind == MNTS_JP_ARRAY_END)
			return 0;
		r = one_elem(rd, data, i);
		if (r != 0)
			return r < 0 ? r : 0;
	}
}

int rd_array(struct reader *rd, const char *key,
	     int (*one_elem)(struct reader *rd, void *data, ssize_t idx), void *data)
{
	int kind = rd_next(rd);

	if (kind < 0)
		return kind;
	if (kind != MNTS_JP_ARRAY)
		return rd_fail(rd, rd->tok.off, "%s: expected an array", key);
	return array_elems(rd, one_elem, data);
}

int rd_array_or_null(struct reader *rd, const char *key,
		     int (*one_elem)(struct reader *rd, void *data, ssize_t idx), void *data)
{
	int kind = rd_next(rd), r;

	if (kind < 0)
		return kind;
	if (kind == MNTS_JP_NULL)
		return 0;
	if (kind != MNTS_JP_ARRAY)
		return rd_fail(rd, rd->tok.off, "%s: expected an array or null", key);
	r = array_elems(rd, one_elem, data);
	return r < 0 ? r : 1;
}


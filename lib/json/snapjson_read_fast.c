/* snapjson_read_fast.c - a mount object as capture writes it, read without
 * the tokenizer (see snapjson_reader.h).
 *
 * Reading a mount through the tokenizer costs a call and a state check per
 * token, a key lookup per member and a dispatch per value: about 0.8 µs
 * for a mount's 20 members, the better part of reading a 50,000-mount
 * snapshot.  Almost every mount of a snapshot is as capture wrote it: the
 * members in the order of the key table, strings of printable ASCII
 * without escapes, small integers, null for nsfs and idmap.  This reads
 * exactly that form, and nothing else: at the first byte it does not
 * expect it gives up, and the mount is read again through the tokenizer
 * from its '{', which reports whatever is wrong with it.  So what is read
 * here is what the tokenizer would have read, and every error and its
 * place comes from there.
 */
#include <stddef.h>
#include <string.h>

#include "lib/json/snapjson_reader.h"

enum kind {
	K_NONE, /* a key without an entry below: every mount goes to the tokenizer */
	K_BOOL,
	K_STR,
	K_STR_OR_NULL,
	K_U64,
	K_U64_OR_NULL,
	K_STRV,
	K_NULL, /* nsfs, idmap: an object is for the tokenizer */
	K_DEV,
	K_ROOT_TYPE,
};

/* How each of a mount's keys (rd_mount_keys, in the order capture writes
 * them and the order read here) is read, and into which field. */
static const struct member {
	enum kind kind;
	size_t at; /* the field's offset in struct mnts_mount */
} members[M_COUNT] = {
#define M(key, kind, field) [key] = {kind, offsetof(struct mnts_mount, field)}
    M(M_DELETED, K_BOOL, deleted),
    M(M_DEV, K_DEV, dev_major),
    M(M_FS_LABEL, K_STR_OR_NULL, fs_label),
    M(M_FS_UUID, K_STR_OR_NULL, fs_uuid),
    M(M_FSTYPE, K_STR, fstype),
    M(M_ID, K_U64, id),
    M(M_IDMAP, K_NULL, uid_map),
    M(M_MASTER_ID, K_U64, master_id),
    M(M_MNT_ID, K_U64, mnt_id),
    M(M_MOUNT_OPTIONS, K_STRV, mount_options),
    M(M_MOUNTPOINT, K_STR, mountpoint),
    M(M_NSFS, K_NULL, nsfs_type),
    M(M_PARENT, K_U64_OR_NULL, parent_id),
    M(M_PROPAGATE_FROM, K_U64, propagate_from),
    M(M_ROOT, K_STR, root),
    M(M_ROOT_TYPE, K_ROOT_TYPE, root_type),
    M(M_SHARED_ID, K_U64, shared_id),
    M(M_SOURCE, K_STR, source),
    M(M_SUPER_OPTIONS, K_STRV, super_options),
    M(M_UNBINDABLE, K_BOOL, unbindable),
#undef M
};

struct scan {
	const char *p, *end; /* *end is the tokenizer's NUL sentinel */
	struct reader *rd;
};

static inline void skip_ws(struct scan *s)
{
	for (;;) {
		char c = *s->p;

		if (c == ' ') {
			/* pretty-printed indentation, eight spaces at a time */
			uint64_t w;

			while (s->end - s->p >= 8 &&
			       (memcpy(&w, s->p, 8), w == 0x2020202020202020ULL))
				s->p += 8;
			if (*s->p == ' ')
				s->p++;
		} else if (c == '\n' || c == '\t' || c == '\r') {
			s->p++;
		} else {
			return;
		}
	}
}

/* Whether the text at p is the n bytes of lit (n <= 17), not reading
 * past the sentinel. */
static inline bool at(const struct scan *s, const char *lit, size_t n)
{
	uint64_t a, b, c, d;

	if ((size_t)(s->end - s->p) < n)
		return false;
	if (n < 8)
		return memcmp(s->p, lit, n) == 0;
	memcpy(&a, s->p, 8);
	memcpy(&b, lit, 8);
	memcpy(&c, s->p + n - 8, 8);
	memcpy(&d, lit + n - 8, 8);
	return a == b && c == d && (n <= 16 || s->p[8] == lit[8]);
}

static bool literal(struct scan *s, const char *lit, size_t n)
{
	if (!at(s, lit, n))
		return false;
	s->p += n;
	return true;
}

/* A string without escapes, of printable ASCII: the text between its
 * quotes. */
static bool string(struct scan *s, const char **ret, size_t *len)
{
	const char *q;

	if (*s->p != '"')
		return false;
	q = mnts_jp_plain_run(&s->rd->jp, s->p + 1);
	if (*q != '"')
		return false;
	*ret = s->p + 1;
	*len = (size_t)(q - s->p - 1);
	s->p = q + 1;
	return true;
}

static bool pooled_string(struct scan *s, char **out)
{
	const char *str;
	size_t len;

	if (!string(s, &str, &len))
		return false;
	*out = mnts_snapshot_strndup(s->rd->snap, str, len);
	return true;
}

/* An integer 0 <= v < 10^18 written as JSON writes it (rd_tok_u64()
 * takes up to 2^63 - 1: longer ones are the tokenizer's). */
static bool u64(struct scan *s, uint64_t *out)
{
	const char *p = s->p;
	uint64_t v = 0;
	size_t n;

	if (*p == '0') {
		p++;
	} else {
		for (n = 0; *p >= '0' && *p <= '9'; p++, n++) {
			if (n == 18)
				return false;
			v = v * 10 + (uint64_t)(*p - '0');
		}
		if (n == 0)
			return false;
	}
	/* not a fraction, an exponent or a leading zero */
	if ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E')
		return false;
	s->p = p;
	*out = v;
	return true;
}

static bool strv(struct scan *s, struct mnts_strv *sv)
{
	struct reader *rd = s->rd;
	size_t n = 0;

	if (*s->p != '[')
		return false;
	s->p++;
	skip_ws(s);
	if (*s->p != ']') {
		for (;;) {
			struct mnts_word *w = rd_word_slot(rd, n);

			if (!string(s, &w->s, &w->len))
				return false;
			n++;
			skip_ws(s);
			if (*s->p == ']')
				break;
			if (*s->p != ',')
				return false;
			s->p++;
			skip_ws(s);
		}
	}
	s->p++;
	mnts_snapshot_strv_shared(rd->snap, sv, rd->tokens, n);
	return true;
}

static bool value(struct scan *s, const struct member *mb, struct mnts_mount *m)
{
	void *field = (char *)m + mb->at;
	const char *str;
	size_t len;

	switch (mb->kind) {
	case K_NONE:
		return false;
	case K_BOOL:
		*(bool *)field = *s->p == 't';
		return literal(s, "true", 4) || literal(s, "false", 5);
	case K_STR_OR_NULL:
		if (literal(s, "null", 4))
			return true;
		return pooled_string(s, field);
	case K_STR:
		return pooled_string(s, field);
	case K_U64_OR_NULL:
		if (literal(s, "null", 4))
			return true;
		return u64(s, field);
	case K_U64:
		return u64(s, field);
	case K_STRV:
		return strv(s, field);
	case K_NULL:
		return literal(s, "null", 4);
	case K_DEV:
		return string(s, &str, &len) &&
		       rd_parse_dev(str, len, &m->dev_major, &m->dev_minor);
	case K_ROOT_TYPE:
		if (literal(s, "null", 4))
			return true;
		if (literal(s, "\"dir\"", 5)) {
			m->root_type = MNTS_ROOT_DIR;
			return true;
		}
		m->root_type = MNTS_ROOT_FILE;
		return literal(s, "\"file\"", 6);
	}
	return false;
}

bool rd_fast_off;

bool rd_mount_fast(struct reader *rd, struct mnts_mount *m)
{
	struct scan s = {rd->jp.buf + rd->jp.pos, rd->jp.buf + rd->jp.size, rd};

	if (rd_fast_off || rd->snap->format_version != MNTS_FORMAT_VERSION)
		return false;
	for (size_t i = 0; i < M_COUNT; i++) {
		skip_ws(&s);
		if (*s.p != '"')
			return false;
		s.p++;
		if (!literal(&s, rd_mount_keys[i].name, rd_mount_keys[i].len) || *s.p++ != '"')
			return false;
		skip_ws(&s);
		if (*s.p++ != ':')
			return false;
		skip_ws(&s);
		if (!value(&s, &members[i], m))
			return false;
		skip_ws(&s);
		if (*s.p++ != (i + 1 < M_COUNT ? ',' : '}'))
			return false;
	}
	/* past the '}': the tokenizer goes on from there, the object closed */
	mnts_jp_resume_at(&rd->jp, (size_t)(s.p - rd->jp.buf), rd->jp.depth - 1);
	return true;
}

/* SPDX-License-Identifier: GPL-2.0-or-later */
/* parse.c - the mount-tree spec (spec/SPEC.md) from text into struct mnts_spec.
 *
 * One pass over the lines, no recursion: a line is cut into tokens (quotes
 * and escapes decoded into a per-line buffer), then read as the version
 * line, a section line or a mount line.  The enclosing line of a mount line
 * comes from a stack of (indentation, line) of the current section.  Input
 * may be hostile (the fuzz harness, tests/fuzz/spec_fuzz.c): every read is
 * bounded by the text's length, and what is kept per line is bounded by the
 * line (a relative mountpoint copies its enclosing line's path, at most
 * MNTS_PATH_MAX bytes).  Work per line is O(tokens log tokens): duplicates
 * among repeatable words are found by sorting, section labels by hashing.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/error.h"
#include "lib/core/macros.h"
#include "lib/core/model.h"
#include "lib/core/path.h"
#include "lib/core/utf8.h"
#include "lib/spec/spec.h"

struct tok {
	char *val;	 /* decoded, NUL-terminated, in the line buffer */
	size_t len;
	unsigned col;	 /* 1-based byte column of its first byte */
	long eq;	 /* offset in val of the first unquoted '=', or -1 */
	bool quoted;	 /* some part of it was quoted */
	bool key_quoted; /* a quote came before the '=' (or anywhere, without one) */
};

/* the properties of a line, each stated at most once */
enum prop {
	P_TYPE,
	P_SOURCE,
	P_SB,
	P_ROOT,
	P_BIND,
	P_OPTS,
	P_SBOPTS,
	P_RO,
	P_SUID,
	P_DEV,
	P_EXEC,
	P_ATIME,
	P_DIRATIME,
	P_SYMFOLLOW,
	P_PRIVATE,
	P_SHARED,
	P_SLAVE,
	P_UNBINDABLE,
	P_DELETED,
	P_NSFS,
	P_UIDMAP,
	P_GIDMAP,
	P_EXACT,
	P_USERNS,
	P_COUNT
};

static const char *const prop_names[P_COUNT] = {
    [P_TYPE] = "the filesystem type",
    [P_SOURCE] = "the source",
    [P_SB] = "the superblock",
    [P_ROOT] = "the root",
    [P_BIND] = "bind",
    [P_OPTS] = "opts",
    [P_SBOPTS] = "sbopts",
    [P_RO] = "ro/rw",
    [P_SUID] = "nosuid/suid",
    [P_DEV] = "nodev/dev",
    [P_EXEC] = "noexec/exec",
    [P_ATIME] = "the atime mode",
    [P_DIRATIME] = "nodiratime/diratime",
    [P_SYMFOLLOW] = "nosymfollow/symfollow",
    [P_PRIVATE] = "private",
    [P_SHARED] = "shared",
    [P_SLAVE] = "slave",
    [P_UNBINDABLE] = "unbindable/bindable",
    [P_DELETED] = "deleted",
    [P_NSFS] = "nsfs",
    [P_UIDMAP] = "uidmap",
    [P_GIDMAP] = "gidmap",
    [P_EXACT] = "exact",
    [P_USERNS] = "userns",
};

/* The bare flag words: the option word they set (on) or clear (off). */
static const struct flag_word {
	const char *word;
	enum prop prop;
	bool on;
	const char *opt, *opt2;
} flag_words[] = {
    {"ro", P_RO, true, "ro", NULL},
    {"rw", P_RO, false, "ro", NULL},
    {"nosuid", P_SUID, true, "nosuid", NULL},
    {"suid", P_SUID, false, "nosuid", NULL},
    {"nodev", P_DEV, true, "nodev", NULL},
    {"dev", P_DEV, false, "nodev", NULL},
    {"noexec", P_EXEC, true, "noexec", NULL},
    {"exec", P_EXEC, false, "noexec", NULL},
    {"noatime", P_ATIME, true, "noatime", NULL},
    {"relatime", P_ATIME, true, "relatime", NULL},
    {"strictatime", P_ATIME, false, "noatime", "relatime"},
    {"nodiratime", P_DIRATIME, true, "nodiratime", NULL},
    {"diratime", P_DIRATIME, false, "nodiratime", NULL},
    {"nosymfollow", P_SYMFOLLOW, true, "nosymfollow", NULL},
    {"symfollow", P_SYMFOLLOW, false, "nosymfollow", NULL},
};

/* Words that take a value (KEY=VALUE): bare, they are a mistake, not a
 * filesystem type. */
static const char *const value_words[] = {"type",   "source", "sb",	    "root",   "opts",
					  "sbopts", "fsopt",  "nsfs",	    "uidmap", "gidmap",
					  "userns"};

struct frame {
	unsigned indent;
	size_t idx;
};

struct parser {
	const char *file;
	struct mnts_error *err;
	struct mnts_spec *spec;
	unsigned line;
	bool seen_content; /* a line other than blank or comment was read */
	bool in_section;   /* a [LABEL] line was read */

	struct tok *toks;
	size_t n_toks, cap_toks;
	char *buf;
	size_t cap_buf;

	struct frame *stack; /* enclosing lines of the current section */
	size_t n_stack, cap_stack;
	size_t cap_ns, cap_mounts; /* of spec->ns and of the current ns's mounts */

	/* section labels seen, for duplicates: open addressing on a hash */
	char **labels;
	size_t cap_labels, n_labels;

	/* per line: cols of stated properties (0: not stated) */
	unsigned prop_col[P_COUNT];
	/* fsopt keys and opts words of the line with their columns, sorted
	 * to find duplicates */
	struct keycol {
		const char *key;
		size_t len;
		unsigned col;
	} *keys;
	size_t n_keys, cap_keys;
	unsigned *fsopt_cols; /* column of each fsopt= of the line */
	size_t cap_fsopt_cols;
};

_printf_(4, 5) static int perr(struct parser *p, unsigned col, const char *rule, const char *fmt,
			       ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mnts_err(p->err, 0, "%s:%u:%u: %s: %s", p->file, p->line, col, rule, msg);
}

/* Valid UTF-8 at s with rem bytes left: its length, or 0.  (mnts_utf8_len
 * may read up to three bytes on: the text need not end with a NUL.) */
static size_t utf8_at(const char *s, size_t rem)
{
	unsigned char tmp[5] = {0};
	size_t n;

	memcpy(tmp, s, rem < 4 ? rem : 4);
	n = mnts_utf8_len(tmp);
	return n <= rem ? n : 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Cuts the line s[0..n) from byte `from` into p->toks.  In a section line
 * an unquoted ']' ends the last token; *closed tells whether it was seen.
 * Returns: 0 or -EINVAL. */
static int tokenize(struct parser *p, const char *s, size_t n, size_t from, bool section,
		    bool *closed)
{
	char *out;
	size_t i = from;

	p->n_toks = 0;
	if (p->cap_buf < 2 * n + 2) {
		free(p->buf);
		p->cap_buf = 2 * n + 2;
		p->buf = xmalloc(p->cap_buf);
	}
	out = p->buf;
	if (closed)
		*closed = false;
	for (;;) {
		struct tok *t;
		bool quoted = false;

		while (i < n && is_blank(s[i]))
			i++;
		if (i >= n || s[i] == '#')
			return 0;
		if (section && s[i] == ']') {
			for (i++; i < n && is_blank(s[i]); i++)
				;
			if (i < n && s[i] != '#')
				return perr(p, (unsigned)i + 1, "section",
					    "text after the closing ']'");
			*closed = true;
			return 0;
		}
		if (p->n_toks == p->cap_toks) {
			p->cap_toks = p->cap_toks ? 2 * p->cap_toks : 16;
			p->toks = xreallocarray(p->toks, p->cap_toks, sizeof(*p->toks));
		}
		t = &p->toks[p->n_toks++];
		*t = (struct tok){.val = out, .col = (unsigned)i + 1, .eq = -1};
		while (i < n && !is_blank(s[i]) && !(section && s[i] == ']')) {
			unsigned char c = (unsigned char)s[i];

			if (c == '"') {
				size_t open = i++;

				quoted = true;
				for (;;) {
					if (i >= n)
						return perr(p, (unsigned)open + 1, "lexical",
							    "unterminated quoted string");
					c = (unsigned char)s[i];
					if (c == '"') {
						i++;
						break;
					}
					if (c == '\0')
						return perr(p, (unsigned)i + 1, "lexical",
							    "a NUL byte in a quoted string");
					if (c == '\\') {
						int h, l;

						if (i + 1 >= n)
							return perr(p, (unsigned)open + 1,
								    "lexical",
								    "unterminated quoted string");
						switch (s[i + 1]) {
						case '\\':
						case '"':
							*out++ = s[i + 1];
							i += 2;
							continue;
						case 't':
							*out++ = '\t';
							i += 2;
							continue;
						case 'n':
							*out++ = '\n';
							i += 2;
							continue;
						case 'x':
							h = i + 2 < n ? hexval(s[i + 2]) : -1;
							l = i + 3 < n ? hexval(s[i + 3]) : -1;
							if (h < 0 || l < 0)
								return perr(p, (unsigned)i + 1,
									    "lexical",
									    "\\x needs two hex "
									    "digits");
							if (h == 0 && l == 0)
								return perr(p, (unsigned)i + 1,
									    "lexical",
									    "\\x00: a value cannot "
									    "hold a NUL byte");
							*out++ = (char)(h * 16 + l);
							i += 4;
							continue;
						default:
							return perr(p, (unsigned)i + 1, "lexical",
								    "unknown escape (\\\\, \\\", "
								    "\\t, \\n or \\xHH)");
						}
					}
					if (c >= 0x80) {
						size_t k = utf8_at(s + i, n - i);

						if (!k)
							return perr(p, (unsigned)i + 1, "lexical",
								    "not UTF-8 (write bytes as "
								    "\\xHH)");
						memcpy(out, s + i, k);
						out += k;
						i += k;
						continue;
					}
					*out++ = (char)c;
					i++;
				}
				continue;
			}
			if (c == '\0')
				return perr(p, (unsigned)i + 1, "lexical", "a NUL byte");
			if (c < 0x20 || c == 0x7f)
				return perr(p, (unsigned)i + 1, "lexical",
					    "control character 0x%02x (quote it: \"\\x%02x\")", c,
					    c);
			if (c >= 0x80) {
				size_t k = utf8_at(s + i, n - i);

				if (!k)
					return perr(p, (unsigned)i + 1, "lexical",
						    "not UTF-8 (quote the value and write bytes "
						    "as \\xHH)");
				memcpy(out, s + i, k);
				out += k;
				i += k;
				continue;
			}
			if (c == '=' && t->eq < 0) {
				t->eq = out - t->val;
				t->key_quoted = quoted;
			}
			*out++ = (char)c;
			i++;
		}
		*out++ = '\0';
		t->len = (size_t)(out - 1 - t->val);
		t->quoted = quoted;
		if (t->eq < 0)
			t->key_quoted = quoted;
	}
}

/* [A-Za-z0-9_.-]+ */
static bool name_ok(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '.' || *s == '-'))
			return false;
	return true;
}

static int check_name(struct parser *p, const struct tok *t, const char *name)
{
	if (!name_ok(name))
		return perr(p, t->col, "name",
			    "'%s': a name is letters, digits, '_', '.' and '-' (at least one)",
			    t->val);
	return 0;
}

/* Marks property pr stated at t, or reports it stated twice. */
static int state_prop(struct parser *p, enum prop pr, const struct tok *t)
{
	if (p->prop_col[pr])
		return perr(p, t->col, "duplicate", "'%s': %s is already stated at column %u",
			    t->val, prop_names[pr], p->prop_col[pr]);
	p->prop_col[pr] = t->col;
	return 0;
}

static void add_key(struct parser *p, const char *key, size_t len, unsigned col)
{
	if (p->n_keys == p->cap_keys) {
		p->cap_keys = p->cap_keys ? 2 * p->cap_keys : 16;
		p->keys = xreallocarray(p->keys, p->cap_keys, sizeof(*p->keys));
	}
	p->keys[p->n_keys++] = (struct keycol){key, len, col};
}

static int keycol_cmp(const void *a, const void *b)
{
	const struct keycol *x = a, *y = b;
	int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);

	if (c)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

/* A word stated twice among p->keys (fsopt keys, or the words of one
 * list): the later one is reported. */
static int check_repeats(struct parser *p, const char *what)
{
	if (p->n_keys < 2)
		return 0;
	qsort(p->keys, p->n_keys, sizeof(*p->keys), keycol_cmp);
	for (size_t i = 1; i < p->n_keys; i++)
		if (p->keys[i].len == p->keys[i - 1].len &&
		    memcmp(p->keys[i].key, p->keys[i - 1].key, p->keys[i].len) == 0)
			return perr(p, p->keys[i].col, "duplicate", "%s '%.*s' is stated twice",
				    what, (int)p->keys[i].len, p->keys[i].key);
	return 0;
}

/* An absolute normalised path value (root=, bind=). */
static int check_abs_path(struct parser *p, const struct tok *t, const char *v)
{
	char buf[80];
	const char *why = mnts_path_fault(v, buf);

	if (why)
		return perr(p, t->col, "attribute", "'%s': %s", t->val, why);
	return 0;
}

/* uidmap=IN:OUT:COUNT[,...] into "IN OUT COUNT" lines. */
static int parse_idmap(struct parser *p, const struct tok *t, const char *v,
		       struct mnts_strv *out)
{
	const char *s = v;

	for (;;) {
		unsigned long long num[3];

		for (int k = 0; k < 3; k++) {
			unsigned long long x = 0;
			const char *start = s;

			while (*s >= '0' && *s <= '9' && s - start < 11)
				x = x * 10 + (unsigned)(*s++ - '0');
			if (s == start || x > UINT32_MAX || (k < 2 && *s != ':') ||
			    (k == 2 && *s && *s != ','))
				return perr(p, t->col, "attribute",
					    "'%s': a map is IN:OUT:COUNT[,IN:OUT:COUNT...], "
					    "numbers below 2^32",
					    t->val);
			num[k] = x;
			if (k < 2)
				s++;
		}
		if (num[2] == 0)
			return perr(p, t->col, "attribute", "'%s': an extent of COUNT 0",
				    t->val);
		mnts_strv_push_take(out, xasprintf("%llu %llu %llu", num[0], num[1], num[2]));
		if (!*s)
			return 0;
		s++;
	}
}

/* opts=LIST / sbopts=LIST: words split as mountinfo prints them (a ','
 * inside a word is \054); each stated once, opts= words known ones. */
static int parse_list(struct parser *p, const struct tok *t, const char *v, bool per_mount,
		      struct mnts_strv *out)
{
	const char *what = per_mount ? "option" : "superblock option";

	for (const char *c = v;; c++) {
		if (*c == ',' || !*c) {
			if (c == v || c[-1] == ',' || (!*c && c[-1] == ','))
				return perr(p, t->col, "attribute", "'%s': an empty %s in the list",
					    t->val, what);
		}
		if (!*c)
			break;
	}
	mnts_strv_split_options(out, v);
	p->n_keys = 0;
	for (size_t i = 0; i < out->n; i++) {
		if (per_mount && !mnts_mount_option_is_known(out->v[i]))
			return perr(p, t->col, "attribute",
				    "'%s': '%s' is not a per-mount option (mountinfo field 6)",
				    t->val, out->v[i]);
		add_key(p, out->v[i], strlen(out->v[i]), t->col);
	}
	return check_repeats(p, what);
}

static const struct flag_word *find_flag(const char *w)
{
	for (size_t i = 0; i < ARRAY_SIZE(flag_words); i++)
		if (streq(w, flag_words[i].word))
			return &flag_words[i];
	return NULL;
}

static bool in_list(const char *w, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (streq(w, list[i]))
			return true;
	return false;
}

static struct mnts_spec_ns *cur_ns(struct parser *p)
{
	return &p->spec->ns[p->spec->n_ns - 1];
}

static struct mnts_spec_ns *add_ns(struct parser *p)
{
	struct mnts_spec *spec = p->spec;

	if (spec->n_ns == p->cap_ns) {
		p->cap_ns = p->cap_ns ? 2 * p->cap_ns : 4;
		spec->ns = xreallocarray(spec->ns, p->cap_ns, sizeof(*spec->ns));
	}
	spec->ns[spec->n_ns] = (struct mnts_spec_ns){0};
	p->cap_mounts = 0;
	p->n_stack = 0;
	return &spec->ns[spec->n_ns++];
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* Adds label to the set of section labels.  Returns: false when it was
 * there already. */
static bool label_add(struct parser *p, char *label)
{
	size_t i;

	if (2 * (p->n_labels + 1) > p->cap_labels) {
		char **old = p->labels;
		size_t old_cap = p->cap_labels;

		p->cap_labels = old_cap ? 2 * old_cap : 16;
		p->labels = xcalloc(p->cap_labels, sizeof(*p->labels));
		for (size_t k = 0; k < old_cap; k++) {
			if (!old[k])
				continue;
			for (i = hash_str(old[k]) & (p->cap_labels - 1); p->labels[i];
			     i = (i + 1) & (p->cap_labels - 1))
				;
			p->labels[i] = old[k];
		}
		free(old);
	}
	for (i = hash_str(label) & (p->cap_labels - 1); p->labels[i];
	     i = (i + 1) & (p->cap_labels - 1))
		if (streq(p->labels[i], label))
			return false;
	p->labels[i] = label;
	p->n_labels++;
	return true;
}

static int parse_section(struct parser *p, const char *s, size_t n, size_t at)
{
	struct mnts_spec_ns *ns;
	bool closed;
	int r;

	r = tokenize(p, s, n, at + 1, true, &closed);
	if (r < 0)
		return r;
	if (!closed)
		return perr(p, (unsigned)at + 1, "section", "'[' without a closing ']'");
	if (p->n_toks == 0)
		return perr(p, (unsigned)at + 1, "section", "no label between '[' and ']'");
	if (p->toks[0].eq >= 0 || !mnts_label_is_valid(p->toks[0].val))
		return perr(p, p->toks[0].col, "name",
			    "'%s': a label is 1 to %d letters, digits, '_', '.' or '-', the "
			    "first a letter or digit",
			    p->toks[0].val, MNTS_LABEL_MAX);
	ns = add_ns(p);
	ns->label = xstrdup(p->toks[0].val);
	ns->line = p->line;
	if (!label_add(p, ns->label))
		return perr(p, p->toks[0].col, "section", "'[%s]': the section appears twice",
			    ns->label);
	memset(p->prop_col, 0, sizeof(p->prop_col));
	for (size_t k = 1; k < p->n_toks; k++) {
		struct tok *t = &p->toks[k];
		const char *v = t->eq >= 0 ? t->val + t->eq + 1 : NULL;

		if (t->eq >= 0 && !t->key_quoted)
			t->val[t->eq] = '\0';
		if (!t->key_quoted && streq(t->val, "exact") && !v) {
			r = state_prop(p, P_EXACT, t);
			ns->exact = true;
		} else if (!t->key_quoted && v && streq(t->val, "userns")) {
			t->val[t->eq] = '=';
			r = state_prop(p, P_USERNS, t);
			if (r < 0)
				return r;
			if (streq(v, "initial"))
				ns->owner_initial = MNTS_SPEC_YES;
			else if (streq(v, "child"))
				ns->owner_initial = MNTS_SPEC_NO;
			else
				return perr(p, t->col, "attribute",
					    "'%s': userns is 'initial' or 'child'", t->val);
		} else if (!t->key_quoted && v &&
			   (streq(t->val, "uidmap") || streq(t->val, "gidmap"))) {
			bool uid = t->val[0] == 'u';

			t->val[t->eq] = '=';
			r = state_prop(p, uid ? P_UIDMAP : P_GIDMAP, t);
			if (r < 0)
				return r;
			ns->has_owner_maps = true;
			r = parse_idmap(p, t, v, uid ? &ns->owner_uid_map : &ns->owner_gid_map);
		} else {
			if (v)
				t->val[t->eq] = '=';
			return perr(p, t->col, "attribute",
				    "unknown section attribute '%s' (userns=, uidmap=, gidmap=, "
				    "exact)",
				    t->val);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Joins the relative path rel to base. */
static char *join(const char *base, const char *rel)
{
	if (streq(rel, "."))
		return xstrdup(base);
	return xasprintf("%s/%s", streq(base, "/") ? "" : base, rel);
}

/* The mountpoint token: absolute, or relative to the enclosing line. */
static int parse_mountpoint(struct parser *p, struct mnts_spec_mount *m, const struct tok *t)
{
	const struct mnts_spec_mount *anc =
	    m->ancestor == MNTS_SPEC_NO_ANCESTOR ? NULL : &cur_ns(p)->mounts[m->ancestor];
	char buf[80];
	const char *why;

	if (t->val[0] == '/') {
		why = mnts_path_fault(t->val, buf);
		if (why)
			return perr(p, t->col, "mountpoint", "'%s': %s", t->val, why);
		/* the enclosing line: the nearest one of less indentation whose
		 * mountpoint is at or above this one (this line's own frame is
		 * on top of the stack).  Those in between are skipped: deleting
		 * a line from an indented spec of absolute paths then leaves
		 * the lines below it meaning what they meant, only less. */
		m->ancestor = MNTS_SPEC_NO_ANCESTOR;
		for (size_t k = p->n_stack - 1; k-- > 0;) {
			const struct mnts_spec_mount *a = &cur_ns(p)->mounts[p->stack[k].idx];

			if (mnts_path_at_or_below(t->val, a->mountpoint)) {
				m->ancestor = p->stack[k].idx;
				break;
			}
		}
		m->mountpoint = xstrdup(t->val);
		return 0;
	}
	if (!anc)
		return perr(p, t->col, "mountpoint",
			    "'%s': a relative mountpoint needs an enclosing line (indent it "
			    "under one, or write the absolute path)",
			    t->val);
	if (!streq(t->val, ".")) {
		_cleanup_free_ char *abs = xasprintf("/%s", t->val);

		if (!mnts_path_is_normal(abs) || !*t->val)
			return perr(p, t->col, "mountpoint",
				    "'%s': not a normalised relative path (no empty, '.' or "
				    "'..' component, no trailing '/')",
				    t->val);
	}
	m->mountpoint = join(anc->mountpoint, t->val);
	why = mnts_path_fault(m->mountpoint, buf);
	if (why)
		return perr(p, t->col, "mountpoint", "'%s' joined to '%s': %s", t->val,
			    anc->mountpoint, why);
	return 0;
}

/* shared / shared:NAME / slave / slave:NAME */
static int parse_group_word(struct parser *p, struct mnts_spec_mount *m, const struct tok *t,
			    bool shared, const char *name)
{
	int r = state_prop(p, shared ? P_SHARED : P_SLAVE, t);

	if (r < 0)
		return r;
	if (name) {
		r = check_name(p, t, name);
		if (r < 0)
			return r;
	}
	if (shared) {
		m->shared = true;
		m->shared_name = name ? xstrdup(name) : NULL;
	} else {
		m->slave = true;
		m->master_name = name ? xstrdup(name) : NULL;
	}
	return 0;
}

/* A bare word of a mount line (not the mountpoint): a flag or keyword, or
 * in second position the filesystem type. */
static int parse_bare(struct parser *p, struct mnts_spec_mount *m, const struct tok *t, size_t k)
{
	const struct flag_word *f;
	int r;

	if (!t->quoted) {
		const char *w = t->val;

		if (strneq_prefix(w, "shared:"))
			return parse_group_word(p, m, t, true, w + 7);
		if (strneq_prefix(w, "slave:"))
			return parse_group_word(p, m, t, false, w + 6);
		f = find_flag(w);
		if (f) {
			r = state_prop(p, f->prop, t);
			if (r < 0)
				return r;
			mnts_strv_push(f->on ? &m->flags_on : &m->flags_off, f->opt);
			if (f->opt2)
				mnts_strv_push(&m->flags_off, f->opt2);
			return 0;
		}
		if (streq(w, "shared") || streq(w, "slave"))
			return parse_group_word(p, m, t, w[1] == 'h', NULL);
		if (streq(w, "bind")) {
			m->bind = true;
			return state_prop(p, P_BIND, t);
		}
		if (streq(w, "private")) {
			m->private_ = true;
			return state_prop(p, P_PRIVATE, t);
		}
		if (streq(w, "unbindable") || streq(w, "bindable")) {
			m->unbindable = w[0] == 'u' ? MNTS_SPEC_YES : MNTS_SPEC_NO;
			return state_prop(p, P_UNBINDABLE, t);
		}
		if (streq(w, "deleted")) {
			m->deleted = MNTS_SPEC_YES;
			return state_prop(p, P_DELETED, t);
		}
		if (streq(w, "exact")) {
			m->exact = true;
			return state_prop(p, P_EXACT, t);
		}
		if (in_list(w, value_words, ARRAY_SIZE(value_words)))
			return perr(p, t->col, "attribute", "'%s' needs a value (%s=...)", w, w);
	}
	if (k == 1) {
		if (!t->len)
			return perr(p, t->col, "attribute", "an empty filesystem type");
		r = state_prop(p, P_TYPE, t);
		if (r >= 0)
			m->fstype = xstrdup(t->val);
		return r;
	}
	return perr(p, t->col, "attribute", "unknown attribute '%s'", t->val);
}

/* KEY=VALUE on a mount line. */
static int parse_keyval(struct parser *p, struct mnts_spec_mount *m, const struct tok *t)
{
	const char *v = t->val + t->eq + 1;
	char key[16];
	int r;

	if (t->eq >= (long)sizeof(key) || t->key_quoted)
		return perr(p, t->col, "attribute", "unknown attribute '%s'", t->val);
	memcpy(key, t->val, (size_t)t->eq);
	key[t->eq] = '\0';
	/* an empty source is a source (mount -t tmpfs "" DIR): the others
	 * have none */
	if (!*v && !streq(key, "fsopt") && !streq(key, "source"))
		return perr(p, t->col, "attribute", "'%s': an empty value", t->val);

	if (streq(key, "type")) {
		r = state_prop(p, P_TYPE, t);
		if (r >= 0)
			m->fstype = xstrdup(v);
	} else if (streq(key, "source")) {
		r = state_prop(p, P_SOURCE, t);
		if (r >= 0)
			m->source = xstrdup(v);
	} else if (streq(key, "sb")) {
		r = state_prop(p, P_SB, t);
		if (r >= 0)
			r = check_name(p, t, v);
		if (r >= 0)
			m->sb_name = xstrdup(v);
	} else if (streq(key, "root")) {
		r = state_prop(p, P_ROOT, t);
		if (r >= 0)
			r = check_abs_path(p, t, v);
		if (r >= 0)
			m->root = xstrdup(v);
	} else if (streq(key, "bind")) {
		r = state_prop(p, P_BIND, t);
		if (r >= 0)
			r = check_abs_path(p, t, v);
		m->bind = true;
		if (r >= 0)
			m->bind_path = xstrdup(v);
	} else if (streq(key, "opts") || streq(key, "sbopts")) {
		bool per_mount = key[0] == 'o';

		/* stated once: the list is empty before */
		r = state_prop(p, per_mount ? P_OPTS : P_SBOPTS, t);
		if (r >= 0)
			r = parse_list(p, t, v, per_mount, per_mount ? &m->opts : &m->sbopts);
		if (per_mount)
			m->has_opts = true;
		else
			m->has_sbopts = true;
	} else if (streq(key, "fsopt")) {
		const char *eq = strchr(v, '=');
		size_t klen = eq ? (size_t)(eq - v) : strlen(v);

		if (!klen || memchr(v, ',', klen))
			return perr(p, t->col, "attribute",
				    "'%s': fsopt=KEY or fsopt=KEY=VALUE, one option, KEY not empty",
				    t->val);
		/* duplicates are found at the end of the line, by sorting */
		if (m->fsopts.n == p->cap_fsopt_cols) {
			p->cap_fsopt_cols = p->cap_fsopt_cols ? 2 * p->cap_fsopt_cols : 16;
			p->fsopt_cols = xreallocarray(p->fsopt_cols, p->cap_fsopt_cols,
						      sizeof(*p->fsopt_cols));
		}
		p->fsopt_cols[m->fsopts.n] = t->col;
		mnts_strv_push(&m->fsopts, v);
		r = 0;
	} else if (streq(key, "nsfs")) {
		const char *colon = strchr(v, ':');
		_cleanup_free_ char *type = xstrndup(v, colon ? (size_t)(colon - v) : strlen(v));

		r = state_prop(p, P_NSFS, t);
		if (r < 0)
			return r;
		r = check_name(p, t, type);
		if (r < 0)
			return r;
		if (colon && !streq(type, "mnt"))
			return perr(p, t->col, "attribute",
				    "'%s': only a mnt namespace has a label (nsfs=mnt:LABEL)",
				    t->val);
		if (colon && !mnts_label_is_valid(colon + 1))
			return perr(p, t->col, "name", "'%s': '%s' is not a valid label", t->val,
				    colon + 1);
		m->nsfs_type = TAKE_PTR(type);
		m->nsfs_ns = colon ? xstrdup(colon + 1) : NULL;
	} else if (streq(key, "uidmap") || streq(key, "gidmap")) {
		bool uid = key[0] == 'u';

		r = state_prop(p, uid ? P_UIDMAP : P_GIDMAP, t);
		if (r >= 0)
			r = parse_idmap(p, t, v, uid ? &m->uid_map : &m->gid_map);
		m->has_idmap = true;
	} else {
		return perr(p, t->col, "attribute", "unknown attribute '%s'", t->val);
	}
	return r;
}

/* After the tokens of a mount line: contradictions, repeated fsopt keys. */
static int finish_mount(struct parser *p, struct mnts_spec_mount *m)
{
	if (p->prop_col[P_PRIVATE] && (p->prop_col[P_SHARED] || p->prop_col[P_SLAVE])) {
		unsigned col = p->prop_col[P_SHARED] > p->prop_col[P_PRIVATE]
				   ? p->prop_col[P_SHARED]
				   : p->prop_col[P_PRIVATE];

		if (p->prop_col[P_SLAVE] > col)
			col = p->prop_col[P_SLAVE];
		return perr(p, col, "conflict",
			    "'private' contradicts '%s' (private is neither shared nor a slave)",
			    p->prop_col[P_SHARED] ? "shared" : "slave");
	}
	p->n_keys = 0;
	for (size_t i = 0; i < m->fsopts.n; i++) {
		const char *eq = strchr(m->fsopts.v[i], '=');

		add_key(p, m->fsopts.v[i], eq ? (size_t)(eq - m->fsopts.v[i]) : strlen(m->fsopts.v[i]),
			p->fsopt_cols[i]);
	}
	return check_repeats(p, "fsopt");
}

static int parse_mount_line(struct parser *p, unsigned indent)
{
	struct mnts_spec_ns *ns;
	struct mnts_spec_mount *m;
	int r;

	if (p->spec->n_ns == 0)
		add_ns(p); /* the default section */
	ns = cur_ns(p);
	if (ns->n_mounts == p->cap_mounts) {
		p->cap_mounts = p->cap_mounts ? 2 * p->cap_mounts : 16;
		ns->mounts = xreallocarray(ns->mounts, p->cap_mounts, sizeof(*ns->mounts));
	}
	while (p->n_stack && p->stack[p->n_stack - 1].indent >= indent)
		p->n_stack--;
	m = &ns->mounts[ns->n_mounts++];
	*m = (struct mnts_spec_mount){
	    .line = p->line,
	    .col = p->toks[0].col,
	    .ancestor = p->n_stack ? p->stack[p->n_stack - 1].idx : MNTS_SPEC_NO_ANCESTOR,
	};
	if (p->n_stack == p->cap_stack) {
		p->cap_stack = p->cap_stack ? 2 * p->cap_stack : 16;
		p->stack = xreallocarray(p->stack, p->cap_stack, sizeof(*p->stack));
	}
	p->stack[p->n_stack++] = (struct frame){indent, ns->n_mounts - 1};

	r = parse_mountpoint(p, m, &p->toks[0]);
	if (r < 0)
		return r;
	memset(p->prop_col, 0, sizeof(p->prop_col));
	for (size_t k = 1; k < p->n_toks; k++) {
		const struct tok *t = &p->toks[k];

		r = t->eq >= 0 && !t->key_quoted ? parse_keyval(p, m, t) : parse_bare(p, m, t, k);
		if (r < 0)
			return r;
	}
	return finish_mount(p, m);
}

/* One line s[0..n) (without its '\n'). */
static int parse_line(struct parser *p, const char *s, size_t n)
{
	unsigned indent = 0;
	size_t i = 0;
	int r;

	if (n && s[n - 1] == '\r')
		n--; /* a CRLF file */
	for (; i < n && is_blank(s[i]); i++)
		indent = s[i] == '\t' ? (indent / 8 + 1) * 8 : indent + 1;
	if (i >= n || s[i] == '#')
		return 0;
	if (s[i] == '[') {
		p->seen_content = true;
		p->in_section = true;
		return parse_section(p, s, n, i);
	}
	r = tokenize(p, s, n, i, false, NULL);
	if (r < 0)
		return r;
	if (p->n_toks == 0)
		return 0;
	if (!p->toks[0].quoted && streq(p->toks[0].val, "mntsnap-spec")) {
		if (p->seen_content)
			return perr(p, p->toks[0].col, "version",
				    "the version line must be the first line (comments aside)");
		p->seen_content = true;
		if (p->n_toks != 2)
			return perr(p, p->toks[0].col, "version",
				    "the version line is 'mntsnap-spec 1'");
		if (!streq(p->toks[1].val, "1"))
			return perr(p, p->toks[1].col, "version",
				    "unsupported spec version '%s' (this mntsnap reads version 1)",
				    p->toks[1].val);
		return 0;
	}
	p->seen_content = true;
	return parse_mount_line(p, indent);
}

bool mnts_spec_detect(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r')
			continue;
		return text[i] != '{';
	}
	return true;
}

static void mount_free(struct mnts_spec_mount *m)
{
	free(m->mountpoint);
	free(m->fstype);
	free(m->source);
	free(m->sb_name);
	free(m->root);
	free(m->bind_path);
	mnts_strv_clear(&m->opts);
	mnts_strv_clear(&m->sbopts);
	mnts_strv_clear(&m->fsopts);
	mnts_strv_clear(&m->flags_on);
	mnts_strv_clear(&m->flags_off);
	free(m->shared_name);
	free(m->master_name);
	free(m->nsfs_type);
	free(m->nsfs_ns);
	mnts_strv_clear(&m->uid_map);
	mnts_strv_clear(&m->gid_map);
}

void mnts_spec_free(struct mnts_spec *spec)
{
	for (size_t i = 0; i < spec->n_ns; i++) {
		struct mnts_spec_ns *ns = &spec->ns[i];

		for (size_t j = 0; j < ns->n_mounts; j++)
			mount_free(&ns->mounts[j]);
		free(ns->mounts);
		free(ns->label);
		mnts_strv_clear(&ns->owner_uid_map);
		mnts_strv_clear(&ns->owner_gid_map);
	}
	free(spec->ns);
	free(spec->file);
	*spec = (struct mnts_spec){0};
}

int mnts_spec_parse(struct mnts_spec *spec, const char *file, const char *text, size_t len,
		    struct mnts_error *err)
{
	struct parser p = {.file = file, .err = err, .spec = spec};
	size_t pos = 0;
	int r = 0;

	*spec = (struct mnts_spec){.file = xstrdup(file)};
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		if (p.line == UINT32_MAX) {
			r = perr(&p, 1, "limit", "more than %u lines", UINT32_MAX - 1);
			break;
		}
		p.line++;
		r = parse_line(&p, text + pos, n);
		if (r < 0)
			break;
		pos += n + 1;
	}
	free(p.toks);
	free(p.buf);
	free(p.stack);
	free(p.labels);
	free(p.keys);
	free(p.fsopt_cols);
	if (r < 0)
		mnts_spec_free(spec);
	return r;
}

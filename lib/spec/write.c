/* write.c - a snapshot as a full spec (see write.h).
 *
 * Names first (two passes over the mounts in snapshot order: peer groups and
 * superblocks, then masters that no mount of the snapshot is a member of),
 * then one line per mount in tree order, straight to the caller's buffered
 * FILE: no per-mount allocation besides the names. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/macros.h"
#include "lib/core/u64map.h"
#include "lib/core/utf8.h"
#include "lib/spec/strmap.h"
#include "lib/spec/write.h"

/* Words that would not read as a filesystem type in second position
 * (SPEC.md §2.2: flags, propagation, attribute names, which the parser
 * takes as such even bare): such a type is written type=WORD. */
static const char *const keywords[] = {
    "ro",	  "nosuid",	"nodev",    "noexec",	   "noatime", "relatime", "nodiratime",
    "nosymfollow", "rw",	"suid",	    "dev",	   "exec",    "diratime", "symfollow",
    "strictatime", "private",	"shared",   "slave",	   "unbindable", "bindable", "deleted",
    "bind",	  "exact",	"mntsnap-spec", "type", "source", "sb", "root", "opts",
    "sbopts", "fsopt", "nsfs", "uidmap", "gidmap", "userns",
};

static bool token_needs_quotes(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!*p)
		return true;
	while (*p) {
		size_t n;

		if (*p <= ' ' || *p == '"' || *p == '#' || *p == '\\' || *p == 0x7f)
			return true;
		n = mnts_utf8_len(p);
		/* C1 controls (U+0080..U+009F) drive terminals as the C0 ones do */
		if (n == 0 || (n == 2 && p[0] == 0xc2 && p[1] < 0xa0))
			return true;
		p += n;
	}
	return false;
}

void mnts_spec_put_token(FILE *f, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;

	if (!token_needs_quotes(s)) {
		fputs(s, f);
		return;
	}
	putc_unlocked('"', f);
	while (*p) {
		size_t n = mnts_utf8_len(p);

		if (*p == '\\' || *p == '"') {
			putc_unlocked('\\', f);
			putc_unlocked(*p, f);
		} else if (*p == '\t') {
			fputs("\\t", f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (*p < ' ' || *p == 0x7f || n == 0 ||
			   (n == 2 && p[0] == 0xc2 && p[1] < 0xa0)) {
			/* one byte at a time: a C1 control is two */
			putc_unlocked('\\', f);
			putc_unlocked('x', f);
			putc_unlocked(hex[*p >> 4], f);
			putc_unlocked(hex[*p & 15], f);
		} else {
			fwrite(p, 1, n, f);
			p += n;
			continue;
		}
		p++;
	}
	putc_unlocked('"', f);
}

void mnts_spec_name_from_path(char out[65], const char *s)
{
	char buf[PATH_MAX + 1];
	size_t n = 0, start;

	for (const char *p = s; *p && n < sizeof(buf) - 1; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-';

		if (ok)
			buf[n++] = *p;
		else if (n && buf[n - 1] != '_')
			buf[n++] = '_';
	}
	while (n && buf[n - 1] == '_')
		n--;
	buf[n] = '\0';
	if (!n) {
		strcpy(out, "root");
		return;
	}
	start = n > 64 ? n - 64 : 0;
	while (buf[start] == '_' && start + 1 < n)
		start++;
	strcpy(out, buf + start);
}

/* Names given so far, unique, and the next suffix to try per base name. */
struct names {
	struct spec_strmap used, next;
	struct mnts_strv keep; /* owns the strings both maps point into */
};

static const char *unique_name(struct names *nm, const char *path)
{
	char base[65];
	char *name;
	int k;

	mnts_spec_name_from_path(base, path);
	if (spec_strmap_get(&nm->used, base, strlen(base)) < 0) {
		name = xstrdup(base);
		mnts_strv_push_take(&nm->keep, name);
		spec_strmap_put(&nm->used, name, strlen(name), 1);
		return name;
	}
	k = spec_strmap_get(&nm->next, base, strlen(base));
	if (k < 0) {
		char *b = xstrdup(base);

		/* the map keeps this copy as the key from now on */
		mnts_strv_push_take(&nm->keep, b);
		k = 2;
		spec_strmap_put(&nm->next, b, strlen(b), k);
	}
	for (;; k++) {
		name = xasprintf("%s-%d", base, k);
		if (spec_strmap_get(&nm->used, name, strlen(name)) < 0)
			break;
		free(name);
	}
	spec_strmap_put(&nm->next, base, strlen(base), k + 1);
	mnts_strv_push_take(&nm->keep, name);
	spec_strmap_put(&nm->used, name, strlen(name), 1);
	return name;
}

static void names_free(struct names *nm)
{
	spec_strmap_free(&nm->used);
	spec_strmap_free(&nm->next);
	mnts_strv_clear(&nm->keep);
}

struct writer {
	FILE *f;
	struct names groups, sbs;
	struct mnts_u64map group_ix, sb_ix; /* id / dev -> index in the name arrays */
	const char **group_name, **sb_name;
	size_t n_groups, n_sbs;
};

static uint64_t dev_key(const struct mnts_mount *m)
{
	return (uint64_t)m->dev_major << 32 | m->dev_minor;
}

static void name_group(struct writer *w, uint64_t id, const char *path)
{
	if (mnts_u64map_get(&w->group_ix, id) >= 0)
		return;
	w->group_name = xreallocarray(w->group_name, w->n_groups + 1, sizeof(*w->group_name));
	w->group_name[w->n_groups] = unique_name(&w->groups, path);
	mnts_u64map_put(&w->group_ix, id, (int)w->n_groups++);
}

static void name_everything(struct writer *w, const struct mnts_snapshot *snap)
{
	for (size_t n = 0; n < snap->n_ns; n++)
		for (size_t i = 0; i < snap->nss[n].n_mounts; i++) {
			const struct mnts_mount *m = &snap->nss[n].mounts[i];

			if (m->shared_id)
				name_group(w, m->shared_id, m->mountpoint);
			if (mnts_u64map_get(&w->sb_ix, dev_key(m)) < 0) {
				w->sb_name = xreallocarray(w->sb_name, w->n_sbs + 1,
							   sizeof(*w->sb_name));
				w->sb_name[w->n_sbs] = unique_name(&w->sbs, m->mountpoint);
				mnts_u64map_put(&w->sb_ix, dev_key(m), (int)w->n_sbs++);
			}
		}
	/* masters with no member here: named after their first slave */
	for (size_t n = 0; n < snap->n_ns; n++)
		for (size_t i = 0; i < snap->nss[n].n_mounts; i++) {
			const struct mnts_mount *m = &snap->nss[n].mounts[i];

			if (m->master_id)
				name_group(w, m->master_id, m->mountpoint);
		}
}

static void put_attr(FILE *f, const char *key, const char *value)
{
	putc_unlocked(' ', f);
	fputs(key, f);
	putc_unlocked('=', f);
	mnts_spec_put_token(f, value);
}

/* opts=/sbopts=: the words joined by ',' as mountinfo has them, a ',' or
 * '\' inside a word written \054 / \134 (mnts_strv_split_options reads
 * them back). */
static void put_list(FILE *f, const char *key, const struct mnts_strv *sv, char **buf,
		     size_t *cap)
{
	size_t len = 0;

	for (size_t i = 0; i < sv->n; i++) {
		size_t need = len + 4 * strlen(sv->v[i]) + 2;

		if (need > *cap) {
			*cap = need * 2;
			*buf = xrealloc(*buf, *cap);
		}
		if (i)
			(*buf)[len++] = ',';
		for (const char *p = sv->v[i]; *p; p++) {
			if (*p == ',' || *p == '\\') {
				len += (size_t)sprintf(*buf + len, "\\%03o", (unsigned char)*p);
				continue;
			}
			(*buf)[len++] = *p;
		}
	}
	if (!*buf)
		*buf = xcalloc(1, *cap = 16);
	(*buf)[len] = '\0';
	put_attr(f, key, *buf);
}

/* uidmap=IN:OUT:COUNT[,...] from the model's "IN OUT COUNT" lines */
static void put_map(FILE *f, const char *key, const struct mnts_strv *sv)
{
	fprintf(f, " %s=", key);
	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			putc_unlocked(',', f);
		for (const char *p = sv->v[i]; *p; p++)
			putc_unlocked(*p == ' ' ? ':' : *p, f);
	}
}

static bool is_keyword(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(keywords); i++)
		if (streq(s, keywords[i]))
			return true;
	return false;
}

static bool plain_fstype(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) || is_keyword(s))
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '_' || *p == '.' || *p == '-'))
			return false;
	return true;
}

static void write_mount(struct writer *w, const struct mnts_mount *m, size_t depth, char **buf,
			size_t *cap)
{
	FILE *f = w->f;

	for (size_t i = 0; i < depth; i++)
		fputs("  ", f);
	mnts_spec_put_token(f, m->mountpoint);
	if (plain_fstype(m->fstype)) {
		putc_unlocked(' ', f);
		fputs(m->fstype, f);
	} else {
		put_attr(f, "type", m->fstype);
	}
	put_attr(f, "source", m->source ? m->source : "none");
	fprintf(f, " sb=%s", w->sb_name[mnts_u64map_get(&w->sb_ix, dev_key(m))]);
	put_attr(f, "root", m->root);
	put_list(f, "opts", &m->mount_options, buf, cap);
	if (m->super_options.n) /* none recorded: nothing to state */
		put_list(f, "sbopts", &m->super_options, buf, cap);
	if (m->shared_id)
		fprintf(f, " shared:%s", w->group_name[mnts_u64map_get(&w->group_ix, m->shared_id)]);
	if (m->master_id)
		fprintf(f, " slave:%s", w->group_name[mnts_u64map_get(&w->group_ix, m->master_id)]);
	if (!m->shared_id && !m->master_id)
		fputs(" private", f);
	if (m->unbindable)
		fputs(" unbindable", f);
	if (m->deleted)
		fputs(" deleted", f);
	if (m->nsfs_type) {
		fputs(" nsfs=", f);
		fputs(m->nsfs_type, f);
		if (m->nsfs_ns) {
			putc_unlocked(':', f);
			fputs(m->nsfs_ns, f);
		}
	}
	if (m->uid_map.n || m->gid_map.n) {
		put_map(f, "uidmap", &m->uid_map);
		put_map(f, "gidmap", &m->gid_map);
	}
	putc_unlocked('\n', f);
}

static void write_ns(struct writer *w, const struct mnts_ns *ns)
{
	/* depth-first, children in snapshot order, without recursion: a
	 * stack of 10,000 mounts on one path is 10,000 levels */
	_cleanup_free_ const struct mnts_mount **stack = NULL;
	_cleanup_free_ size_t *depth = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t n = 0, cap = 0;

	fputs("\n[", w->f);
	fputs(ns->label, w->f);
	if (ns->owner.known) {
		fputs(ns->owner.initial ? " userns=initial" : " userns=child", w->f);
		if (!ns->owner.initial) {
			put_map(w->f, "uidmap", &ns->owner.uid_map);
			put_map(w->f, "gidmap", &ns->owner.gid_map);
		}
	}
	fputs("]\n", w->f);
	if (!ns->root)
		return;
	stack = xcalloc(ns->n_mounts + 1, sizeof(*stack));
	depth = xcalloc(ns->n_mounts + 1, sizeof(*depth));
	stack[n] = ns->root;
	depth[n++] = 0;
	while (n) {
		const struct mnts_mount *m = stack[--n];
		size_t d = depth[n];

		write_mount(w, m, d, &buf, &cap);
		for (size_t k = m->n_children; k-- > 0;) {
			stack[n] = m->children[k];
			depth[n++] = d + 1;
		}
	}
}

int mnts_spec_write(const struct mnts_snapshot *snap, FILE *f, struct mnts_error *err)
{
	struct writer w = {.f = f};

	name_everything(&w, snap);
	fputs("mntsnap-spec 1\n", f);
	fputs("# a full spec (spec/SPEC.md): every mount, every property; delete what a check "
	      "should not care about\n",
	      f);
	for (size_t n = 0; n < snap->n_ns; n++)
		write_ns(&w, &snap->nss[n]);
	names_free(&w.groups);
	names_free(&w.sbs);
	mnts_u64map_free(&w.group_ix);
	mnts_u64map_free(&w.sb_ix);
	free(w.group_name);
	free(w.sb_name);
	if (ferror(f))
		return mnts_err(err, errno ? errno : EIO, "write failure");
	return 0;
}

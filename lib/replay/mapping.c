/* mapping.c - --map-source rules, host paths and overlay layers (see mapping.h) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/macros.h"
#include "lib/core/path.h"
#include "lib/core/readfile.h"
#include "lib/core/strbuf.h"
#include "lib/core/u64map.h"
#include "lib/replay/mapping.h"

int mnts_map_rule_add(struct mnts_map_rules *rules, const char *arg, const char *what,
		      struct mnts_error *err)
{
	const char *eq = strchr(arg, '=');
	_cleanup_free_ char *old_path = NULL;

	if (!eq)
		return mnts_err(err, 0, "%s: expected OLD=NEW", what);
	old_path = xstrndup(arg, (size_t)(eq - arg));
	if (!mnts_path_is_normal(old_path))
		return mnts_err(err, 0, "%s: OLD '%s': not an absolute normalised path", what,
				old_path);
	if (!mnts_path_is_normal(eq + 1))
		return mnts_err(err, 0, "%s: NEW '%s': not an absolute normalised path", what,
				eq + 1);
	rules->v = xreallocarray(rules->v, rules->n + 1, sizeof(*rules->v));
	rules->v[rules->n++] =
	    (struct mnts_map_rule){.old_path = TAKE_PTR(old_path), .new_path = xstrdup(eq + 1)};
	return 0;
}

void mnts_map_rules_done(struct mnts_map_rules *rules)
{
	for (size_t i = 0; i < rules->n; i++) {
		free(rules->v[i].old_path);
		free(rules->v[i].new_path);
	}
	free(rules->v);
	*rules = (struct mnts_map_rules){0};
}

static bool blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* "--name" then blanks at the start of line: the rest, or NULL. */
static char *after_word(char *line, const char *word)
{
	size_t len = strlen(word);

	if (strncmp(line, word, len) != 0 || !blank(line[len]))
		return NULL;
	line += len;
	while (blank(*line))
		line++;
	return line;
}

int mnts_map_file_read(const char *path, struct mnts_map_rules *rules,
		       struct mnts_strv *externals, struct mnts_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	_cleanup_free_ char *text = NULL;
	size_t size = 0, lineno = 0;
	char *line, *next;

	if (fd < 0)
		return mnts_err(err, errno, "--map-file '%s'", path);
	/* a map file is a few lines; 1 MiB is far more than any */
	if (mnts_read_fd_max(fd, 1 << 20, true, &text, &size) < 0)
		return mnts_err(err, 0, "--map-file '%s': unreadable, or larger than 1 MiB", path);
	for (line = text; line && *line; line = next) {
		char *end, *arg, what[96];
		int r;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		while (blank(*line))
			line++;
		end = line + strlen(line);
		while (end > line && blank(end[-1]))
			*--end = '\0';
		if (!*line || *line == '#')
			continue;
		snprintf(what, sizeof(what), "--map-file '%.40s': line %zu", path, lineno);
		if ((arg = after_word(line, "--external"))) {
			if (!strchr(arg, ':'))
				return mnts_err(err, 0, "%s: expected --external KEY:PATH", what);
			mnts_strv_push(externals, arg);
			continue;
		}
		arg = after_word(line, "--map-source");
		r = mnts_map_rule_add(rules, arg ? arg : line, what, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int mnts_map_match(const struct mnts_map_rules *rules, const char *host_path,
		   const char **ret_rest)
{
	int best = -1;
	size_t best_len = 0;

	for (size_t i = 0; rules && i < rules->n; i++) {
		const char *rest = mnts_path_below(host_path, rules->v[i].old_path);
		size_t len = strlen(rules->v[i].old_path);

		if (rest && (best < 0 || len > best_len)) {
			best = (int)i;
			best_len = len;
			*ret_rest = rest;
		}
	}
	return best;
}

/* base joined with rel ("" = base itself). */
static char *join(const char *base, const char *rel)
{
	if (!*rel)
		return xstrdup(base);
	return xasprintf("%s/%s", streq(base, "/") ? "" : base, rel);
}

struct mnts_host_paths {
	const struct mnts_mount **v; /* reachable mounts, linked by device */
	int *next;
	size_t n;
	struct mnts_u64map by_dev;
};

static uint64_t dev_key(const struct mnts_mount *m)
{
	return (uint64_t)m->dev_major << 32 | m->dev_minor;
}

struct mnts_host_paths *mnts_host_paths_new(const struct mnts_snapshot *snap)
{
	struct mnts_host_paths *hp = xcalloc(1, sizeof(*hp));
	size_t total = 0;

	for (size_t i = 0; i < snap->n_ns; i++)
		total += snap->nss[i].n_mounts;
	hp->v = xcalloc(total + 1, sizeof(*hp->v));
	hp->next = xcalloc(total + 1, sizeof(*hp->next));
	for (size_t i = 0; i < snap->n_ns; i++) {
		for (size_t k = 0; k < snap->nss[i].n_mounts; k++) {
			const struct mnts_mount *m = &snap->nss[i].mounts[k];
			bool covered = false;

			if (m->nsfs_type || m->deleted)
				continue;
			/* reachable: nothing stacked on it (the tree above it
			 * is the kernel's business: it was visible somewhere) */
			for (size_t c = 0; c < m->n_children && !covered; c++)
				covered = streq(m->children[c]->mountpoint, m->mountpoint);
			if (covered)
				continue;
			hp->v[hp->n] = m;
			hp->next[hp->n] = mnts_u64map_get(&hp->by_dev, dev_key(m));
			mnts_u64map_put(&hp->by_dev, dev_key(m), (int)hp->n);
			hp->n++;
		}
	}
	return hp;
}

void mnts_host_paths_free(struct mnts_host_paths *hp)
{
	if (!hp)
		return;
	free(hp->v);
	free(hp->next);
	mnts_u64map_free(&hp->by_dev);
	free(hp);
}

char *mnts_host_path(const struct mnts_host_paths *hp, const struct mnts_mount *m,
		     const char *root, const struct mnts_mount **ret_witness)
{
	const struct mnts_mount *best = NULL;
	const char *rest = NULL;

	for (int i = mnts_u64map_get(&hp->by_dev, dev_key(m)); i >= 0; i = hp->next[i]) {
		const struct mnts_mount *w = hp->v[i];
		const char *below;

		if (!streq(w->fstype, m->fstype) || !(below = mnts_path_below(root, w->root)))
			continue;
		/* a bind shows where its root is only when it holds more of
		 * the filesystem than root: another bind of the same root
		 * tells nothing about where it came from (a whole filesystem
		 * is where it is) */
		if (!*below && !streq(w->root, "/"))
			continue;
		/* the widest root, then the same namespace, then the oldest
		 * (the index lists the newest first) */
		if (best && strlen(w->root) != strlen(best->root)) {
			if (strlen(w->root) > strlen(best->root))
				continue;
		} else if (best && best->ns == m->ns && w->ns != m->ns) {
			continue;
		}
		best = w;
		rest = below;
	}
	if (ret_witness)
		*ret_witness = best;
	/* no mount of it in the snapshot shows where it was: a filesystem the
	 * captured tree only binds from, the host's root filesystem as a rule
	 * (a --subtree capture of a container): its root is its host path */
	return best ? join(best->mountpoint, rest) : xstrdup(root);
}

bool mnts_fs_is_layered(const char *fstype)
{
	return streq(fstype, "overlay");
}

/* The layer keys as the kernel shows them, and the fsconfig key each
 * layer is given with.  An overlay made with lowerdir+ (as replay makes
 * them) shows one word per layer. */
enum { L_LOWER, L_LOWER_ONE, L_DATA_ONE, L_UPPER, L_WORK };
static const struct {
	const char *shown; /* "lowerdir=" */
	const char *key;
} layer_keys[] = {
    [L_LOWER] = {"lowerdir=", "lowerdir+"}, [L_LOWER_ONE] = {"lowerdir+=", "lowerdir+"},
    [L_DATA_ONE] = {"datadir+=", "datadir+"}, [L_UPPER] = {"upperdir=", "upperdir"},
    [L_WORK] = {"workdir=", "workdir"},
};

static int layer_key(const char *word)
{
	for (size_t i = 0; i < ARRAY_SIZE(layer_keys); i++)
		if (strncmp(word, layer_keys[i].shown, strlen(layer_keys[i].shown)) == 0)
			return (int)i;
	return -1;
}

/* The next path of a lowerdir value at *p: unescaped, into a new string;
 * *p moves past it and its separator; *data set after a "::". */
static char *next_layer(const char **p, bool *data)
{
	struct mnts_strbuf sb = {0};
	const char *s = *p;

	for (; *s && *s != ':'; s++) {
		if (*s == '\\' && s[1])
			s++;
		mnts_strbuf_addf(&sb, "%c", *s);
	}
	if (*s == ':') {
		s++;
		if (*s == ':') {
			*data = true;
			s++;
		}
	}
	*p = s;
	return mnts_strbuf_take(&sb);
}

static void add_layer(struct mnts_layers *out, const char *key, char *path,
		      const struct mnts_map_rules *rules)
{
	struct mnts_layer *l;
	const char *rest = NULL;

	out->v = xreallocarray(out->v, out->n + 1, sizeof(*out->v));
	l = &out->v[out->n++];
	*l = (struct mnts_layer){.key = key, .path = path, .rule = -1};
	if (path[0] != '/' || !mnts_path_is_normal(path))
		return; /* not a host path we can say anything about */
	l->rule = mnts_map_match(rules, path, &rest);
	if (l->rule >= 0) {
		l->new_base = xstrdup(rules->v[l->rule].new_path);
		l->rel = xstrdup(rest);
	}
}

void mnts_layers_parse(const struct mnts_strv *super_options, const struct mnts_map_rules *rules,
		       struct mnts_layers *out)
{
	*out = (struct mnts_layers){0};
	for (size_t i = 0; i < super_options->n; i++) {
		const char *word = super_options->v[i];
		int k = layer_key(word);
		const char *p;
		bool data = false;

		if (k < 0) {
			mnts_strv_push(&out->other, word);
			continue;
		}
		p = word + strlen(layer_keys[k].shown);
		if (k != L_LOWER) {
			add_layer(out, layer_keys[k].key, xstrdup(p), rules);
			continue;
		}
		while (*p) {
			bool was_data = data;
			char *path = next_layer(&p, &data);

			if (*path)
				add_layer(out, was_data ? "datadir+" : "lowerdir+", path, rules);
			else
				free(path);
		}
	}
}

void mnts_layers_done(struct mnts_layers *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].path);
		free(l->v[i].new_base);
		free(l->v[i].rel);
	}
	free(l->v);
	mnts_strv_clear(&l->other);
	*l = (struct mnts_layers){0};
}

char *mnts_layer_here(const struct mnts_layer *l)
{
	return l->rule >= 0 ? join(l->new_base, l->rel) : xstrdup(l->path);
}

/* path mapped from OLD to NEW (reverse: NEW to OLD), or NULL. */
static char *map_path(const struct mnts_map_rules *rules, const char *path, bool reverse)
{
	const char *best_rest = NULL, *best_to = NULL;
	size_t best_len = 0;

	if (path[0] != '/' || !mnts_path_is_normal(path))
		return NULL;
	for (size_t i = 0; rules && i < rules->n; i++) {
		const char *from = reverse ? rules->v[i].new_path : rules->v[i].old_path;
		const char *rest = mnts_path_below(path, from);

		if (rest && (!best_to || strlen(from) > best_len)) {
			best_rest = rest;
			best_to = reverse ? rules->v[i].old_path : rules->v[i].new_path;
			best_len = strlen(from);
		}
	}
	return best_to ? join(best_to, best_rest) : NULL;
}

/* Appends path to sb, ':' and '\' escaped as in a lowerdir value. */
static void add_escaped(struct mnts_strbuf *sb, const char *path)
{
	for (const char *s = path; *s; s++)
		mnts_strbuf_addf(sb, "%s%c", *s == ':' || *s == '\\' ? "\\" : "", *s);
}

/* Appends one lower layer to the lowerdir value being built in sb. */
static void add_lower(struct mnts_strbuf *sb, const char *path, bool data, bool *prev_data,
		      const struct mnts_map_rules *rules, bool reverse, bool *changed)
{
	_cleanup_free_ char *to = map_path(rules, path, reverse);

	*changed |= to != NULL;
	/* "::" before the first data-only layer */
	mnts_strbuf_addf(sb, "%s", !sb->len ? "lowerdir=" : data && !*prev_data ? "::" : ":");
	add_escaped(sb, to ? to : path);
	*prev_data = data;
}

bool mnts_layers_rewrite(const struct mnts_strv *super_options, const struct mnts_map_rules *rules,
			 bool reverse, struct mnts_strv *out)
{
	struct mnts_strbuf lower = {0};
	bool changed = false, prev_data = false;
	ssize_t lower_at = -1;

	for (size_t i = 0; i < super_options->n; i++) {
		const char *word = super_options->v[i];
		int k = layer_key(word);
		const char *p;
		bool data = false;

		if (k < 0) {
			mnts_strv_push(out, word);
			continue;
		}
		p = word + strlen(layer_keys[k].shown);
		if (k == L_UPPER || k == L_WORK) {
			_cleanup_free_ char *to = map_path(rules, p, reverse);

			changed |= to != NULL;
			mnts_strv_push_take(out, xasprintf("%s%s", layer_keys[k].shown, to ? to : p));
			continue;
		}
		/* every lower layer in one lowerdir= word, where the first was */
		if (lower_at < 0) {
			lower_at = (ssize_t)out->n;
			mnts_strv_push(out, "");
		}
		if (k != L_LOWER) {
			add_lower(&lower, p, k == L_DATA_ONE, &prev_data, rules, reverse, &changed);
			changed = true; /* lowerdir+= words become lowerdir= */
			continue;
		}
		while (*p) {
			bool was_data = data;
			_cleanup_free_ char *path = next_layer(&p, &data);

			if (*path)
				add_lower(&lower, path, was_data, &prev_data, rules, reverse,
					  &changed);
		}
	}
	if (lower_at >= 0) {
		free(out->v[lower_at]);
		out->v[lower_at] = mnts_strbuf_take(&lower);
	}
	return changed;
}

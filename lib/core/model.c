/* model.c - snapshot construction and lookup (see model.h); linking
 * and validation are in model_link.c */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "lib/core/model.h"
#include "lib/core/path.h"

void mnts_strv_push_take(struct mnts_strv *sv, char *s)
{
	sv->v = xreallocarray(sv->v, sv->n + 1, sizeof(*sv->v));
	sv->v[sv->n++] = s;
}

void mnts_strv_push(struct mnts_strv *sv, const char *s)
{
	mnts_strv_push_take(sv, xstrdup(s));
}

void mnts_strv_push_n(struct mnts_strv *sv, const char *const *words, size_t n,
		      struct mnts_snapshot *pool)
{
	if (n == 0)
		return;
	sv->v = xreallocarray(sv->v, sv->n + n, sizeof(*sv->v));
	for (size_t i = 0; i < n; i++)
		sv->v[sv->n++] = pool ? mnts_snapshot_strndup(pool, words[i], strlen(words[i]))
				      : xstrdup(words[i]);
}

bool mnts_strv_contains(const struct mnts_strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (streq(sv->v[i], s))
			return true;
	return false;
}

bool mnts_strv_equal(const struct mnts_strv *x, const struct mnts_strv *y)
{
	if (x->n != y->n)
		return false;
	for (size_t i = 0; i < x->n; i++)
		if (!streq(x->v[i], y->v[i]))
			return false;
	return true;
}

void mnts_strv_clear(struct mnts_strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	sv->v = NULL;
	sv->n = 0;
}

static int octal_digit(char c)
{
	return c >= '0' && c <= '7' ? c - '0' : -1;
}

void mnts_strv_split_options(struct mnts_strv *sv, const char *optstr)
{
	const char *p = optstr;

	if (!p || !*p)
		return;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char *word = xmalloc(len + 1), *w = word;

		for (size_t i = 0; i < len; i++) {
			if (p[i] == '\\' && i + 3 < len + 1 && octal_digit(p[i + 1]) >= 0 &&
			    octal_digit(p[i + 2]) >= 0 && octal_digit(p[i + 3]) >= 0) {
				*w++ = (char)(octal_digit(p[i + 1]) * 64 + octal_digit(p[i + 2]) * 8 +
					      octal_digit(p[i + 3]));
				i += 3;
			} else {
				*w++ = p[i];
			}
		}
		*w = '\0';
		if (*word)
			mnts_strv_push_take(sv, word);
		else
			free(word);
		if (!end)
			break;
		p = end + 1;
	}
}

struct mnts_snapshot *mnts_snapshot_new(void)
{
	struct mnts_snapshot *snap = xcalloc(1, sizeof(*snap));
	snap->format_version = MNTS_FORMAT_VERSION;
	return snap;
}

/* The first block is 64 KiB and each next one twice the last, so a pool
 * has a few blocks (an ownership check walks them) and wastes at most half. */
#define POOL_FIRST_BLOCK 65536

/* size bytes at an offset of the last block that is a multiple of align
 * (a power of two; the blocks come from malloc(), aligned for anything) */
static void *pool_take(struct mnts_snapshot *snap, size_t size, size_t align)
{
	struct mnts_pool_block *last = snap->n_pool ? &snap->pool[snap->n_pool - 1] : NULL;
	size_t at = (snap->pool_used + align - 1) & ~(align - 1);

	if (!last || at > last->size || last->size - at < size) {
		size_t block = last ? last->size * 2 : POOL_FIRST_BLOCK;

		while (block < size)
			block *= 2;
		snap->pool = xreallocarray(snap->pool, snap->n_pool + 1, sizeof(*snap->pool));
		last = &snap->pool[snap->n_pool++];
		*last = (struct mnts_pool_block){xmalloc(block), block};
		at = 0;
	}
	snap->pool_used = at + size;
	return last->start + at;
}

char *mnts_snapshot_strndup(struct mnts_snapshot *snap, const char *s, size_t len)
{
	char *d = pool_take(snap, len + 1, 1);

	memcpy(d, s, len);
	d[len] = '\0';
	return d;
}

/* The vector of snap's shared ones with the words w[0..n-1] (bytes long in
 * all), or NULL.  A word with a NUL inside was cut there when pooled, and
 * matches none. */
static char **shared_find(const struct mnts_snapshot *snap, const struct mnts_word *w, size_t n,
			  size_t bytes)
{
	for (size_t i = 0; i < ARRAY_SIZE(snap->shared); i++) {
		char **v = snap->shared[i].v;
		size_t k;

		if (!v || snap->shared[i].n != n || snap->shared[i].bytes != bytes)
			continue;
		for (k = 0; k < n; k++)
			if (strnlen(v[k], w[k].len + 1) != w[k].len ||
			    memcmp(v[k], w[k].s, w[k].len) != 0)
				break;
		if (k == n)
			return v;
	}
	return NULL;
}

void mnts_snapshot_strv_shared(struct mnts_snapshot *snap, struct mnts_strv *sv,
			       const struct mnts_word *w, size_t n)
{
	size_t bytes = 0;
	char **v;

	if (!n)
		return;
	for (size_t i = 0; i < n; i++)
		bytes += w[i].len;
	v = shared_find(snap, w, n, bytes);
	if (!v) {
		unsigned slot = snap->shared_next;

		v = pool_take(snap, n * sizeof(*v), _Alignof(char *));
		for (size_t i = 0; i < n; i++)
			v[i] = mnts_snapshot_strndup(snap, w[i].s, w[i].len);
		snap->shared[slot].v = v;
		snap->shared[slot].n = n;
		snap->shared[slot].bytes = bytes;
		snap->shared_next = (slot + 1) % ARRAY_SIZE(snap->shared);
	}
	sv->v = v;
	sv->n = n;
}

void mnts_snapshot_take_pool(struct mnts_snapshot *dst, struct mnts_snapshot *src)
{
	size_t n = dst->n_pool + src->n_pool;

	if (!src->n_pool)
		return;
	dst->pool = xreallocarray(dst->pool, n, sizeof(*dst->pool));
	if (!dst->n_pool) {
		dst->pool_used = src->pool_used;
	} else {
		/* src's blocks go before dst's last one, which pool_used is about */
		dst->pool[n - 1] = dst->pool[dst->n_pool - 1];
		dst->n_pool--;
	}
	memcpy(dst->pool + dst->n_pool, src->pool, src->n_pool * sizeof(*src->pool));
	dst->n_pool = n;
	free(src->pool);
	src->pool = NULL;
	src->n_pool = src->pool_used = 0;
	/* src's shared vectors are dst's now: src must not hand them out
	 * (dst may be freed first) */
	memset(src->shared, 0, sizeof(src->shared));
	/* both indexes are stale: rebuilt when next needed */
	free(src->pool_index);
	src->pool_index = NULL;
	src->n_pool_index = dst->n_pool_index = 0;
}

static int cmp_block(const void *x, const void *y)
{
	uintptr_t a = (uintptr_t)((const struct mnts_pool_block *)x)->start;
	uintptr_t b = (uintptr_t)((const struct mnts_pool_block *)y)->start;

	return a < b ? -1 : a > b;
}

/* Whether s is in one of snap's pool blocks.  A walk of the blocks while
 * there are few; by binary search in a sorted copy once there are many: a
 * capture of a thousand namespaces holds a thousand blocks, and walking them
 * for each of its 400,000 strings made freeing it a tenth of a second.  The
 * copy is a cache (snap is logically unchanged). */
static bool in_pool(const struct mnts_snapshot *snap, const char *s)
{
	struct mnts_snapshot *cache = (struct mnts_snapshot *)snap;
	uintptr_t p = (uintptr_t)s;
	size_t lo = 0, hi = snap->n_pool;

	if (snap->n_pool <= 8) {
		for (size_t i = snap->n_pool; i-- > 0;) {
			uintptr_t start = (uintptr_t)snap->pool[i].start;

			if (p >= start && p < start + snap->pool[i].size)
				return true;
		}
		return false;
	}
	if (snap->n_pool_index != snap->n_pool) {
		cache->pool_index =
		    xreallocarray(cache->pool_index, snap->n_pool, sizeof(*cache->pool_index));
		memcpy(cache->pool_index, snap->pool, snap->n_pool * sizeof(*snap->pool));
		qsort(cache->pool_index, snap->n_pool, sizeof(*snap->pool), cmp_block);
		cache->n_pool_index = snap->n_pool;
	}
	/* the last block starting at or before p */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if ((uintptr_t)snap->pool_index[mid].start <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo > 0 &&
	       p < (uintptr_t)snap->pool_index[lo - 1].start + snap->pool_index[lo - 1].size;
}

void mnts_snapshot_free_str(const struct mnts_snapshot *snap, char *s)
{
	if (!in_pool(snap, s))
		free(s);
}

void mnts_snapshot_strv_done(const struct mnts_snapshot *snap, struct mnts_strv *sv)
{
	/* a pooled array may be shared, and holds pooled strings only */
	if (sv->v && !in_pool(snap, (const char *)sv->v)) {
		for (size_t i = 0; i < sv->n; i++)
			mnts_snapshot_free_str(snap, sv->v[i]);
		free(sv->v);
	}
	*sv = (struct mnts_strv){0};
}

static void mount_done(const struct mnts_snapshot *snap, struct mnts_mount *m)
{
	mnts_snapshot_free_str(snap, m->root);
	mnts_snapshot_free_str(snap, m->mountpoint);
	mnts_snapshot_free_str(snap, m->fstype);
	mnts_snapshot_free_str(snap, m->source);
	mnts_snapshot_free_str(snap, m->fs_uuid);
	mnts_snapshot_free_str(snap, m->fs_label);
	mnts_snapshot_strv_done(snap, &m->mount_options);
	mnts_snapshot_strv_done(snap, &m->super_options);
	mnts_snapshot_free_str(snap, m->nsfs_type);
	mnts_snapshot_free_str(snap, m->nsfs_ns);
	mnts_snapshot_strv_done(snap, &m->uid_map);
	mnts_snapshot_strv_done(snap, &m->gid_map);
}

static void ns_done(const struct mnts_snapshot *snap, struct mnts_ns *ns)
{
	mnts_snapshot_free_str(snap, ns->label);
	free(ns->pids);
	mnts_snapshot_strv_done(snap, &ns->owner.uid_map);
	mnts_snapshot_strv_done(snap, &ns->owner.gid_map);
	free(ns->owner.locked_ids);
	for (size_t i = 0; i < ns->n_pins; i++) {
		mnts_snapshot_free_str(snap, ns->pins[i].ns);
		mnts_snapshot_free_str(snap, ns->pins[i].path);
	}
	free(ns->pins);
	for (size_t i = 0; i < ns->n_mounts; i++)
		mount_done(snap, &ns->mounts[i]);
	free(ns->mounts);
	free(ns->by_id);
	free(ns->ids);
	free(ns->children);
}

void mnts_snapshot_free(struct mnts_snapshot *snap)
{
	if (!snap)
		return;
	mnts_snapshot_free_str(snap, snap->created);
	mnts_snapshot_free_str(snap, snap->tool_version);
	mnts_snapshot_free_str(snap, snap->host_kernel);
	mnts_snapshot_free_str(snap, snap->host_arch);
	mnts_snapshot_free_str(snap, snap->host_name);
	mnts_snapshot_free_str(snap, snap->boot_id);
	mnts_snapshot_free_str(snap, snap->method);
	mnts_snapshot_free_str(snap, snap->subtree);
	mnts_snapshot_free_str(snap, snap->selection);
	for (size_t i = 0; i < snap->n_ns; i++)
		ns_done(snap, &snap->nss[i]);
	free(snap->nss);
	mnts_snapshot_strv_done(snap, &snap->warnings);
	for (size_t i = 0; i < snap->n_pool; i++)
		free(snap->pool[i].start);
	free(snap->pool);
	free(snap->pool_index);
	free(snap);
}

struct mnts_ns *mnts_snapshot_add_ns(struct mnts_snapshot *snap, const char *label)
{
	struct mnts_ns *ns;

	if (snap->n_ns == snap->cap_ns) {
		snap->cap_ns = snap->cap_ns ? snap->cap_ns * 2 : 4;
		snap->nss = xreallocarray(snap->nss, snap->cap_ns, sizeof(*snap->nss));
	}
	ns = &snap->nss[snap->n_ns++];
	memset(ns, 0, sizeof(*ns));
	ns->label = xstrdup(label);
	ns->snap = snap;
	snap->linked = false;
	return ns;
}

struct mnts_mount *mnts_ns_add_mount(struct mnts_ns *ns)
{
	struct mnts_mount *m;

	if (ns->n_mounts == ns->cap_mounts) {
		ns->cap_mounts = ns->cap_mounts ? ns->cap_mounts * 2 : 64;
		ns->mounts = xreallocarray(ns->mounts, ns->cap_mounts, sizeof(*ns->mounts));
	}
	m = &ns->mounts[ns->n_mounts++];
	memset(m, 0, sizeof(*m));
	return m;
}

void mnts_ns_remove_mounts(struct mnts_ns *ns, const bool *keep)
{
	size_t w = 0;

	for (size_t i = 0; i < ns->n_mounts; i++) {
		if (!keep[i])
			mount_done(ns->snap, &ns->mounts[i]);
		else
			ns->mounts[w++] = ns->mounts[i];
	}
	ns->n_mounts = w;
}

void mnts_ns_add_pid(struct mnts_ns *ns, uint64_t pid)
{
	size_t i = ns->n_pids;

	ns->pids = xreallocarray(ns->pids, ns->n_pids + 1, sizeof(*ns->pids));
	/* keep ascending: pids mostly arrive in order, so this is cheap */
	while (i > 0 && ns->pids[i - 1] > pid) {
		ns->pids[i] = ns->pids[i - 1];
		i--;
	}
	if (i > 0 && ns->pids[i - 1] == pid) {
		memmove(&ns->pids[i], &ns->pids[i + 1], (ns->n_pids - i) * sizeof(*ns->pids));
		return;
	}
	ns->pids[i] = pid;
	ns->n_pids++;
}

void mnts_ns_add_pin(struct mnts_ns *ns, const char *holder_label, const char *path)
{
	ns->pins = xreallocarray(ns->pins, ns->n_pins + 1, sizeof(*ns->pins));
	ns->pins[ns->n_pins].ns = xstrdup(holder_label);
	ns->pins[ns->n_pins].path = xstrdup(path);
	ns->n_pins++;
}

/* The new paths go to the snapshot's pool: a verification rebases every
 * mount of the copy (50,000 asprintf() and free() were 5 ms). */
void mnts_ns_rebase(struct mnts_ns *ns, const char *from, const char *to)
{
	_cleanup_free_ char *buf = NULL;
	size_t to_len = streq(to, "/") ? 0 : strlen(to), cap = 0;

	if (streq(from, to))
		return;
	for (size_t i = 0; i < ns->n_mounts; i++) {
		struct mnts_mount *m = &ns->mounts[i];
		const char *rel = mnts_path_below(m->mountpoint, from);
		size_t len;
		char *moved;

		if (!rel)
			continue;
		if (!*rel) {
			moved = mnts_snapshot_strndup(ns->snap, to, strlen(to));
		} else {
			len = to_len + 1 + strlen(rel);
			if (len > cap)
				buf = xrealloc(buf, cap = 2 * len);
			memcpy(buf, to, to_len);
			buf[to_len] = '/';
			memcpy(buf + to_len + 1, rel, len - to_len - 1);
			moved = mnts_snapshot_strndup(ns->snap, buf, len);
		}
		mnts_snapshot_free_str(ns->snap, m->mountpoint);
		m->mountpoint = moved;
	}
}

struct mnts_mount *mnts_ns_find(const struct mnts_ns *ns, uint64_t id)
{
	size_t lo = 0, hi = ns->n_mounts;

	if (!ns->ids)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint64_t mid_id = ns->ids[mid];

		if (mid_id == id)
			return ns->by_id[mid];
		if (mid_id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

struct mnts_ns *mnts_snapshot_find_ns(const struct mnts_snapshot *snap, const char *label)
{
	for (size_t i = 0; i < snap->n_ns; i++)
		if (streq(snap->nss[i].label, label))
			return &snap->nss[i];
	return NULL;
}

static const struct {
	const char *word;
	uint64_t attr;
} attr_words[] = {
	{ "ro", MOUNT_ATTR_RDONLY },	       { "nosuid", MOUNT_ATTR_NOSUID },
	{ "nodev", MOUNT_ATTR_NODEV },	       { "noexec", MOUNT_ATTR_NOEXEC },
	{ "noatime", MOUNT_ATTR_NOATIME },     { "nodiratime", MOUNT_ATTR_NODIRATIME },
	{ "relatime", MOUNT_ATTR_RELATIME },   { "nosymfollow", MOUNT_ATTR_NOSYMFOLLOW },
	{ "idmapped", MOUNT_ATTR_IDMAP },
};

/* Once per option of every mount read (linking checks them): the first
 * letter spares most calls of strcmp(), a sixth of linking 50,000 mounts. */
bool mnts_mount_option_is_known(const char *word)
{
	if (streq(word, "rw"))
		return true;
	for (size_t k = 0; k < ARRAY_SIZE(attr_words); k++)
		if (word[0] == attr_words[k].word[0] && streq(word, attr_words[k].word))
			return true;
	return false;
}

uint64_t mnts_mount_attr_from_options(const struct mnts_strv *opts)
{
	uint64_t attr = 0;
	bool atime_word = false;

	for (size_t i = 0; i < opts->n; i++) {
		const char *w = opts->v[i];

		if (streq(w, "noatime") || streq(w, "relatime") || streq(w, "strictatime"))
			atime_word = true;
		for (size_t k = 0; k < ARRAY_SIZE(attr_words); k++)
			if (streq(w, attr_words[k].word))
				attr |= attr_words[k].attr;
	}
	/* the kernel prints no atime word for strictatime */
	if (!atime_word || mnts_strv_contains(opts, "strictatime"))
		attr |= MOUNT_ATTR_STRICTATIME;
	return attr;
}

void mnts_options_from_mount_attr(struct mnts_strv *out, uint64_t attr)
{
	mnts_options_from_mount_attr_in(out, attr, NULL);
}

void mnts_options_from_mount_attr_in(struct mnts_strv *out, uint64_t attr,
				     struct mnts_snapshot *pool)
{
	const char *words[ARRAY_SIZE(attr_words)];
	struct mnts_word shared[ARRAY_SIZE(attr_words)];
	size_t n = 0;

	/* show_mnt_opts() order: ro/rw, nosuid, nodev, noexec, atime, nodiratime,
	 * relatime, nosymfollow, idmapped (kernel-api.md §5.4) */
	words[n++] = attr & MOUNT_ATTR_RDONLY ? "ro" : "rw";
	if (attr & MOUNT_ATTR_NOSUID)
		words[n++] = "nosuid";
	if (attr & MOUNT_ATTR_NODEV)
		words[n++] = "nodev";
	if (attr & MOUNT_ATTR_NOEXEC)
		words[n++] = "noexec";
	if ((attr & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME)
		words[n++] = "noatime";
	if (attr & MOUNT_ATTR_NODIRATIME)
		words[n++] = "nodiratime";
	if ((attr & MOUNT_ATTR__ATIME) == MOUNT_ATTR_RELATIME)
		words[n++] = "relatime";
	if (attr & MOUNT_ATTR_NOSYMFOLLOW)
		words[n++] = "nosymfollow";
	if (attr & MOUNT_ATTR_IDMAP)
		words[n++] = "idmapped";
	if (!pool || out->n) {
		mnts_strv_push_n(out, words, n, pool);
		return;
	}
	for (size_t i = 0; i < n; i++)
		shared[i] = (struct mnts_word){words[i], strlen(words[i])};
	mnts_snapshot_strv_shared(pool, out, shared, n);
}

/* roottype.c - whether each mount's root is a directory (see roottype.h).
 *
 * The rule is one fstatat() of the mountpoint through the namespace's root
 * per bind mount without mounts below it: the mount in sight there is
 * stat()ed, and its type counts only when its device is the mount's.  At
 * 50,000 binds that was 65 ms of system time, more than reading the whole
 * mount table.  The same answers, with far fewer calls:
 *
 *  - mounts of one superblock with one root path share a root dentry, so
 *    the answer for one that is in sight holds for every other one in sight
 *    (the containers' device-node and /proc file binds: one call each);
 *  - the root of a mount and the dentry it is mounted on are both
 *    directories or both not (the kernel refuses anything else), so one
 *    getdents() of a directory holding many mountpoints gives their types
 *    (d_type), on filesystems whose every inode reports the superblock's
 *    device (the check the call made).
 *
 * "In sight" is decided from the tree the way a path walk from the
 * namespace root goes: into the top of each stack, never into a mount on
 * the root itself, and out of a mount only through its children.  The
 * walk starts at rootfd, which must be the root of the root mount (else
 * every mount is stat()ed as before). */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/capture/roottype.h"
#include "lib/core/macros.h"
#include "lib/core/split.h"
#include "lib/kernel/syscalls.h"

/* below this many mountpoints in one directory, a stat each is cheaper than
 * listing it (a directory such as /proc lists every process) */
#define LIST_MIN 32

enum { UNSEEN = 0, YES, NO };

/* (parent, mountpoint) of every mount, for "is there a mount on this
 * directory of that parent"; and groups keyed by (parent, directory) */
struct slot {
	uint64_t hash;
	const struct mnts_mount *parent;
	const char *path;
	size_t len;
	size_t val; /* a group's index */
};

struct table {
	struct slot *v;
	size_t mask;
};

static uint64_t hash_key(const struct mnts_mount *parent, const char *path, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ ((uint64_t)(uintptr_t)parent * 0x9E3779B97F4A7C15ULL);

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)path[i]) * 1099511628211ULL;
	return h ^ (h >> 29) ^ len;
}

static void table_init(struct table *t, size_t n)
{
	size_t size = 16;

	while (size < n * 2)
		size *= 2;
	t->v = xcalloc(size, sizeof(*t->v));
	t->mask = size - 1;
}

/* The slot of the key: its own, or the empty one it would go to. */
static struct slot *table_slot(const struct table *t, const struct mnts_mount *parent,
			       const char *path, size_t len)
{
	uint64_t hash = hash_key(parent, path, len);
	size_t h = hash & t->mask;

	for (;; h = (h + 1) & t->mask) {
		struct slot *s = &t->v[h];

		if (!s->path) {
			s->hash = hash;
			return s;
		}
		if (s->hash == hash && s->parent == parent && s->len == len &&
		    memcmp(s->path, path, len) == 0)
			return s;
	}
}

struct ctx {
	struct mnts_ns *ns;
	int rootfd;
	struct table kids;    /* (parent, mountpoint) of every mount, once needed */
	bool *overmounted;    /* a child on the mount's own root */
	unsigned char *sight; /* UNSEEN, YES, NO */
	size_t *chain;	      /* in_sight()'s, room for every mount */
};

/* a parent with more children than this is looked up in kids */
#define SCAN_MAX 16

static void kids_build(struct ctx *c)
{
	struct mnts_ns *ns = c->ns;

	table_init(&c->kids, ns->n_mounts);
	for (size_t i = 0; i < ns->n_mounts; i++) {
		const struct mnts_mount *m = &ns->mounts[i];
		struct slot *s;

		if (!m->parent)
			continue;
		s = table_slot(&c->kids, m->parent, m->mountpoint, strlen(m->mountpoint));
		s->parent = m->parent;
		s->path = m->mountpoint;
		s->len = strlen(m->mountpoint);
	}
}

/* Whether a child of parent sits on a directory strictly between the
 * parent's mountpoint and path: the walk to path goes into it. */
static bool diverted(struct ctx *c, const struct mnts_mount *parent, const char *path)
{
	size_t base = strlen(parent->mountpoint);

	if (base == 1)
		base = 0; /* "/": every "/" of path after the first */
	if (!strchr(path + base + 1, '/'))
		return false; /* in the parent's root directory: nothing between */
	if (parent->n_children <= SCAN_MAX) {
		for (size_t k = 0; k < parent->n_children; k++) {
			const char *mp = parent->children[k]->mountpoint;
			size_t len = strlen(mp);

			if (len > base && len < strlen(path) && path[len] == '/' &&
			    memcmp(mp, path, len) == 0)
				return true;
		}
		return false;
	}
	if (!c->kids.v)
		kids_build(c);
	for (size_t i = base + 1; path[i]; i++) {
		struct slot *s;

		if (path[i] != '/')
			continue;
		s = table_slot(&c->kids, parent, path, i);
		if (s->path)
			return true;
		s->hash = 0; /* table_slot() claimed nothing: leave it empty */
	}
	return false;
}

/* Whether a walk from the namespace root to m's mountpoint arrives in m
 * (before following what is stacked on m). */
static bool arrives_one(struct ctx *c, const struct mnts_mount *m)
{
	const struct mnts_mount *p = m->parent;

	if (!p)
		return m == c->ns->root;
	if (streq(m->mountpoint, p->mountpoint))
		/* on p's root: followed, except on the namespace root */
		return p != c->ns->root;
	if (p != c->ns->root && c->overmounted[p->index])
		return false;
	return !diverted(c, p, m->mountpoint);
}

static bool in_sight(struct ctx *c, const struct mnts_mount *m)
{
	size_t *chain = c->chain, n = 0;
	unsigned char verdict;

	/* up to the first mount known, then down again (link proved the
	 * parents a tree) */
	for (const struct mnts_mount *a = m; a && !c->sight[a->index]; a = a->parent)
		chain[n++] = a->index;
	verdict = n && c->ns->mounts[chain[n - 1]].parent
		      ? c->sight[c->ns->mounts[chain[n - 1]].parent->index]
		      : YES;
	while (n--) {
		const struct mnts_mount *a = &c->ns->mounts[chain[n]];

		if (verdict == YES && !arrives_one(c, a))
			verdict = NO;
		c->sight[a->index] = verdict;
	}
	return c->sight[m->index] == YES;
}

/* The rule: the mount in sight at m's mountpoint, stat()ed, on m's device.
 * Returns: whether the call succeeded (an answer, even "unknown"). */
static bool stat_one(const struct ctx *c, struct mnts_mount *m)
{
	struct stat st;

	if (fstatat(c->rootfd, m->mountpoint[1] ? m->mountpoint + 1 : ".", &st,
		    AT_SYMLINK_NOFOLLOW) < 0)
		return false;
	if (major(st.st_dev) == m->dev_major && minor(st.st_dev) == m->dev_minor)
		m->root_type = S_ISDIR(st.st_mode) ? MNTS_ROOT_DIR : MNTS_ROOT_FILE;
	return true;
}

/* Whether rootfd is the root of the namespace's root mount (not a chroot),
 * where the walks of in_sight() start. */
static bool root_is_ns_root(const struct mnts_ns *ns, int rootfd)
{
	struct statx stx;

	if (!ns->root || !streq(ns->root->mountpoint, "/") ||
	    statx(rootfd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, STATX_MNT_ID, &stx) < 0)
		return false;
	return (stx.stx_mask & STATX_MNT_ID) && stx.stx_mnt_id == ns->root->mnt_id &&
	       (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	       (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT);
}

/* Filesystems whose getattr reports the superblock's device for every inode
 * (generic_fillattr()): unlike btrfs subvolumes or overlayfs files. */
static bool reports_sb_dev(const char *fstype)
{
	static const char *const known[] = {"tmpfs", "ramfs", "devtmpfs", "proc",
					    "sysfs", "ext2",  "ext3",	  "ext4",
					    "xfs",   "vfat",  "fuse",	  "fuseblk"};

	if (strncmp(fstype, "fuse.", 5) == 0)
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (streq(fstype, known[i]))
			return true;
	return false;
}

/* Mounts whose types one listing of their directory gives. */
struct group {
	const struct mnts_mount *parent;
	const char *dir; /* the mountpoint of the first, up to its last "/" */
	size_t dir_len;
	size_t n, first; /* members chained through next[] */
};

/* Entries of a listing that the in-order pass did not place: a type byte,
 * then the name and its NUL, one after the other; looked up once this many
 * bytes are held, else when the listing ends. */
#define MISSES_MAX (1U << 20)
struct misses {
	char *v;
	size_t len, cap;
};

static void misses_add(struct misses *ms, unsigned char type, const char *name, size_t len)
{
	if (ms->len + len + 2 > ms->cap) {
		ms->cap = (ms->cap ? ms->cap * 2 : 4096) + len + 2;
		ms->v = xrealloc(ms->v, ms->cap);
	}
	ms->v[ms->len++] = (char)type;
	memcpy(ms->v + ms->len, name, len + 1);
	ms->len += len + 1;
}

/* What a listing's entry says of the root of member i. */
static void answer(const struct ctx *c, size_t i, unsigned char type, bool *done, size_t *left)
{
	if (type == DT_UNKNOWN || done[i])
		return;
	c->ns->mounts[i].root_type = type == DT_DIR ? MNTS_ROOT_DIR : MNTS_ROOT_FILE;
	done[i] = true;
	(*left)--;
}

/* The name in its directory of member p of order: skip bytes into its
 * mountpoint. */
static const char *member_name(const struct ctx *c, const size_t *order, size_t skip, size_t p)
{
	return c->ns->mounts[order[p]].mountpoint + skip;
}

/* Where name is in order (n members, named as member_name() says) if it is
 * next to the one matched last, in the direction the matches go (one may be
 * skipped), or just before it (they turn); the ends while nothing matched.
 * Returns: its position, or SIZE_MAX. */
static size_t next_member(const struct ctx *c, const size_t *order, size_t n, size_t skip,
			  size_t *last, int *dir, const char *name)
{
	const long tries[][2] = {{1, 1}, {2, 1}, {-1, -1}}; /* step, new direction */

	if (*last == SIZE_MAX) {
		if (n && streq(member_name(c, order, skip, 0), name)) {
			*dir = 1;
			return *last = 0;
		}
		if (n && streq(member_name(c, order, skip, n - 1), name)) {
			*dir = -1;
			return *last = n - 1;
		}
		return SIZE_MAX;
	}
	for (size_t t = 0; t < ARRAY_SIZE(tries); t++) {
		long p = (long)*last + tries[t][0] * *dir;

		if (p >= 0 && (size_t)p < n &&
		    streq(member_name(c, order, skip, (size_t)p), name)) {
			*dir *= (int)tries[t][1];
			return *last = (size_t)p;
		}
	}
	return SIZE_MAX;
}

/* The entries of ms looked up by name among the members (names: built at
 * the first call, of the members unanswered then). */
static void answer_misses(const struct ctx *c, const size_t *order, size_t n, size_t skip,
			  const struct misses *ms, struct table *names, bool *done, size_t *left)
{
	if (!names->v) {
		table_init(names, *left);
		for (size_t k = 0; k < n; k++) {
			const char *base = member_name(c, order, skip, k);
			struct slot *s;

			if (done[order[k]])
				continue;
			s = table_slot(names, NULL, base, strlen(base));
			s->path = base;
			s->len = strlen(base);
			s->val = order[k];
		}
	}
	for (size_t at = 0; at < ms->len && *left;) {
		unsigned char type = (unsigned char)ms->v[at];
		const char *name = ms->v + at + 1;
		size_t len = strlen(name);
		struct slot *s = table_slot(names, NULL, name, len);

		at += len + 2;
		if (!s->path) {
			s->hash = 0;
			continue;
		}
		answer(c, s->val, type, done, left);
	}
}

/* The types of the members of g from one listing of their directory (the
 * one in the parent mount, checked by its mount id).  Members it does not
 * answer for are left unknown, for stat_one().
 *
 * A directory lists its entries in the order they were made (tmpfs, ext4
 * without hashed directories) and mountpoints are most often made in the
 * order of their mounts, or in the reverse order (tmpfs since Linux 6.x
 * lists the newest first): each entry is compared with the members next to
 * the one matched last (next_member()), and only the entries that are none
 * of them (other files, members out of order) are looked up in a table of
 * the members still unanswered, when the listing ends or once a megabyte
 * of them is held.  At 50,000 members in order, a 5 MB table and the
 * hashing of every name were a third of the time of the listing. */
static void list_group(const struct ctx *c, const struct group *g, const size_t *next, bool *done)
{
	_cleanup_free_ char *rel = NULL;
	_cleanup_free_ char *buf = NULL;
	_cleanup_free_ size_t *order = NULL; /* the members, in the group's order */
	_cleanup_close_ int fd = -1;
	struct misses ms = {0};
	struct table names = {0}; /* the members unanswered at the first miss */
	struct statx stx;
	size_t left = 0, n = 0, last = SIZE_MAX, bufsize = 256 * 1024;
	int dir = 1;
	size_t skip = g->dir_len + (g->dir_len > 1); /* the directory and its "/" */

	rel = g->dir_len > 1 ? xstrndup(g->dir + 1, g->dir_len - 1) : xstrdup(".");
	fd = openat(c->rootfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &stx) < 0 ||
	    !(stx.stx_mask & STATX_MNT_ID) || stx.stx_mnt_id != g->parent->mnt_id)
		return;
	order = xmalloc(g->n * sizeof(*order));
	for (size_t i = g->first; i != SIZE_MAX; i = next[i]) {
		order[n++] = i;
		left += !done[i];
	}
	buf = xmalloc(bufsize);
	while (left) {
		ssize_t got = getdents64(fd, buf, bufsize);

		if (got <= 0)
			break;
		for (ssize_t off = 0; off < got && left;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);
			size_t pos = next_member(c, order, n, skip, &last, &dir, d->d_name);

			off += d->d_reclen;
			if (pos == SIZE_MAX)
				misses_add(&ms, d->d_type, d->d_name, strlen(d->d_name));
			else
				answer(c, order[pos], d->d_type, done, &left);
		}
		/* held until the listing ends, when the members in order have
		 * answered for most (no table); but never many at once, in a
		 * directory of many other entries */
		if (ms.len > MISSES_MAX) {
			answer_misses(c, order, n, skip, &ms, &names, done, &left);
			ms.len = 0;
		}
	}
	if (left && ms.len)
		answer_misses(c, order, n, skip, &ms, &names, done, &left);
	free(names.v);
	free(ms.v);
}

/* Groups the candidates that a listing may answer for by (parent,
 * directory) and lists the directories of the big groups. */
static void list_dirs(struct ctx *c, const size_t *cand, size_t n_cand, bool *done)
{
	struct mnts_ns *ns = c->ns;
	_cleanup_free_ size_t *next = xcalloc(ns->n_mounts, sizeof(*next));
	_cleanup_free_ size_t *last = NULL;
	_cleanup_free_ struct group *g = NULL;
	struct table dirs;
	size_t n_g = 0, cur = 0;

	table_init(&dirs, n_cand);
	g = xcalloc(n_cand, sizeof(*g));
	last = xcalloc(n_cand, sizeof(*last));
	for (size_t k = 0; k < n_cand; k++) {
		const struct mnts_mount *m = &ns->mounts[cand[k]];
		const char *slash = strrchr(m->mountpoint, '/');
		size_t len = slash == m->mountpoint ? 1 : (size_t)(slash - m->mountpoint);
		const struct group *prev = n_g ? &g[cur] : NULL;
		struct slot *s;

		next[m->index] = SIZE_MAX;
		/* mounts made one after the other in one directory: no hashing */
		if (prev && prev->parent == m->parent && prev->dir_len == len &&
		    memcmp(prev->dir, m->mountpoint, len) == 0) {
			next[last[cur]] = m->index;
			last[cur] = m->index;
			g[cur].n++;
			continue;
		}
		s = table_slot(&dirs, m->parent, m->mountpoint, len);
		if (!s->path) {
			s->parent = m->parent;
			s->path = m->mountpoint;
			s->len = len;
			s->val = n_g;
			g[n_g] = (struct group){m->parent, m->mountpoint, len, 0, m->index};
			last[n_g++] = m->index;
		} else {
			next[last[s->val]] = m->index;
			last[s->val] = m->index;
		}
		cur = s->val;
		g[cur].n++;
	}
	for (size_t i = 0; i < n_g; i++) {
		struct mnts_mount *first = &ns->mounts[g[i].first];

		if (g[i].n < LIST_MIN)
			continue;
		/* the rule once, on the first: its device must be its stat's */
		stat_one(c, first);
		done[first->index] = true;
		if (first->root_type != MNTS_ROOT_UNKNOWN)
			list_group(c, &g[i], next, done);
	}
	free(dirs.v);
}

/* m's device as a table key: only compared, never followed */
static const struct mnts_mount *dev_key(const struct mnts_mount *m)
{
	return (const struct mnts_mount *)(uintptr_t)((uint64_t)m->dev_major << 32 | m->dev_minor);
}

/* A cache of answers by (superblock, root path). */
static struct slot *answer_slot(const struct table *t, const struct mnts_mount *m)
{
	return table_slot(t, dev_key(m), m->root, strlen(m->root));
}

/* stat_one() of many mounts, shared by two workers (split.h): a call of a
 * long path costs several microseconds, and a host of containers asks
 * thousands (each writes only its own mount) */
#define STAT_CHUNK 32

struct stat_job {
	const struct ctx *c;
	struct mnts_mount **calls;
	bool *ok; /* per call: an answer */
	size_t n;
};

static bool stat_chunk(void *data, unsigned worker _unused_, size_t begin, size_t end)
{
	struct stat_job *job = data;

	for (size_t i = begin; i < end; i++)
		job->ok[i] = stat_one(job->c, job->calls[i]);
	return true;
}

void mnts_capture_root_types(struct mnts_ns *ns, int rootfd)
{
	_cleanup_free_ size_t *cand = xcalloc(ns->n_mounts + 1, sizeof(*cand));
	_cleanup_free_ size_t *listable = NULL;
	_cleanup_free_ bool *done = NULL;
	_cleanup_free_ size_t *from = NULL, *call_of = NULL;
	struct ctx c = {.ns = ns, .rootfd = rootfd};
	struct stat_job job = {0};
	struct table answers = {0};
	size_t n_cand = 0, n_listable = 0;

	for (size_t i = 0; i < ns->n_mounts; i++) {
		struct mnts_mount *m = &ns->mounts[i];
		bool below = false;

		if (m->nsfs_type) {
			m->root_type = MNTS_ROOT_FILE;
			continue;
		}
		for (size_t k = 0; k < m->n_children && !below; k++)
			below = !streq(m->children[k]->mountpoint, m->mountpoint);
		if (below || streq(m->root, "/")) {
			m->root_type = MNTS_ROOT_DIR;
			continue;
		}
		cand[n_cand++] = i;
	}
	if (rootfd < 0 || n_cand == 0)
		return;
	if (!root_is_ns_root(ns, rootfd)) {
		for (size_t k = 0; k < n_cand; k++)
			stat_one(&c, &ns->mounts[cand[k]]);
		return;
	}

	c.overmounted = xcalloc(ns->n_mounts, sizeof(*c.overmounted));
	c.sight = xcalloc(ns->n_mounts, sizeof(*c.sight));
	c.chain = xcalloc(ns->n_mounts, sizeof(*c.chain));
	for (size_t i = 0; i < ns->n_mounts; i++) {
		const struct mnts_mount *m = &ns->mounts[i];

		if (m->parent && streq(m->mountpoint, m->parent->mountpoint))
			c.overmounted[m->parent->index] = true;
	}

	/* a candidate has no mount below it: in sight, its root is what the
	 * rule stat()s */
	done = xcalloc(ns->n_mounts, sizeof(*done));
	listable = xcalloc(n_cand, sizeof(*listable));
	for (size_t k = 0; k < n_cand; k++) {
		struct mnts_mount *m = &ns->mounts[cand[k]];

		if (m->n_children == 0 && !m->deleted && in_sight(&c, m)) {
			c.sight[m->index] = YES;
			if (m->parent && reports_sb_dev(m->fstype))
				listable[n_listable++] = cand[k];
		} else {
			c.sight[m->index] = NO;
		}
	}
	list_dirs(&c, listable, n_listable, done);

	/* who needs a call: each mount out of sight or with mounts below,
	 * and the first in sight of each root dentry, whose answer the others
	 * take; the calls are shared by two workers */
	from = xcalloc(n_cand + 1, sizeof(*from));
	call_of = xcalloc(n_cand + 1, sizeof(*call_of));
	job.c = &c;
	job.calls = xcalloc(n_cand + 1, sizeof(*job.calls));
	table_init(&answers, n_cand);
	for (size_t k = 0; k < n_cand; k++) {
		struct mnts_mount *m = &ns->mounts[cand[k]];
		struct slot *s;

		from[k] = k;
		if (done[m->index]) {
			from[k] = SIZE_MAX;
			continue;
		}
		if (c.sight[m->index] == YES && !m->n_children) {
			s = answer_slot(&answers, m);
			if (s->path) {
				from[k] = s->val;
				continue;
			}
			s->path = m->root;
			s->len = strlen(m->root);
			s->parent = dev_key(m);
			s->val = k;
		}
		call_of[k] = job.n;
		job.calls[job.n++] = m;
	}
	job.ok = xcalloc(job.n + 1, sizeof(*job.ok));
	mnts_split_run(job.n, STAT_CHUNK, stat_chunk, &job);
	/* the others: the answer of the first, when its call gave one; else
	 * the next in sight is asked, as if the first had not been */
	free(answers.v);
	answers.v = NULL;
	for (size_t k = 0; k < n_cand; k++) {
		struct mnts_mount *m = &ns->mounts[cand[k]];
		struct slot *s;

		if (from[k] == SIZE_MAX || from[k] == k)
			continue;
		if (job.ok[call_of[from[k]]]) {
			m->root_type = ns->mounts[cand[from[k]]].root_type;
			continue;
		}
		if (!answers.v)
			table_init(&answers, n_cand);
		s = answer_slot(&answers, m);
		if (s->path) {
			m->root_type = (enum mnts_root_type)s->val;
			continue;
		}
		if (!stat_one(&c, m))
			continue; /* not an answer to keep */
		s->path = m->root;
		s->len = strlen(m->root);
		s->parent = dev_key(m);
		s->val = m->root_type;
	}
	free(job.calls);
	free(job.ok);
	free(answers.v);
	free(c.kids.v);
	free(c.overmounted);
	free(c.sight);
	free(c.chain);
}

/* statmount.c - see statmount.h */
#include <inttypes.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <string.h>

#include "lib/core/log.h"
#include "lib/core/macros.h"
#include "lib/kernel/nsenum.h"
#include "lib/kernel/nschild.h"
#include "lib/core/sort.h"
#include "lib/core/split.h"
#include "lib/kernel/statmount.h"
#include "lib/kernel/syscalls.h"

#define LIST_BATCH 4096

/* A statmount result buffer that grows on EOVERFLOW and is reused. */
struct smbuf {
	struct mnts_statmount *sm;
	size_t size;
};

static void smbuf_done(struct smbuf *b)
{
	free(b->sm);
}

/* Returns: 0 or -errno (ENOENT: the mount is gone). */
static int smbuf_stat(struct smbuf *b, uint64_t id, uint64_t ns_id, uint64_t mask)
{
	if (!b->sm) {
		b->size = 16384;
		b->sm = xmalloc(b->size);
	}
	for (;;) {
		if (mnts_sys_statmount(id, ns_id, mask, b->sm, b->size) == 0)
			return 0;
		/* the kernel does not say how much it needs */
		if (errno != EOVERFLOW || b->size >= (64U << 20))
			return -errno;
		b->size *= 2;
		free(b->sm);
		b->sm = xmalloc(b->size);
	}
}

/* Whether the kernel has it all, asked once.  Threads may ask at once
 * (replay's live-table prefetch and its planner): each asks the kernel
 * until one has the answer, and none sees an answer before it is known. */
static bool ask_supported(void)
{
	_cleanup_(smbuf_done) struct smbuf b = {0};
	uint64_t id;

	if (mnts_sys_listmount(MNTS_LSMT_ROOT, 0, 0, &id, 1) != 1)
		return false;
	if (smbuf_stat(&b, id, 0, STATMOUNT_SUPPORTED_MASK) < 0 ||
	    !(b.sm->mask & STATMOUNT_SUPPORTED_MASK))
		return false;
	return (b.sm->supported_mask & (MNTS_STATMOUNT_CAPTURE_MASK | STATMOUNT_MNT_NS_ID)) ==
	       (MNTS_STATMOUNT_CAPTURE_MASK | STATMOUNT_MNT_NS_ID);
}

bool mnts_statmount_supported(void)
{
	static int cached = -1;
	int known = __atomic_load_n(&cached, __ATOMIC_ACQUIRE);

	if (known < 0) {
		known = ask_supported();
		__atomic_store_n(&cached, known, __ATOMIC_RELEASE);
	}
	return known;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool sorted_has(const uint64_t *v, size_t n, uint64_t x)
{
	return n && bsearch(&x, v, n, sizeof(*v), cmp_u64);
}

/* All mount ids of a namespace, ascending. */
static int list_ids(uint64_t ns_id, uint64_t **ret, size_t *ret_n, struct mnts_error *err)
{
	_cleanup_free_ uint64_t *ids = NULL;
	size_t n = 0, cap = 0;
	bool sorted = true;

	for (;;) {
		long got;

		if (cap - n < LIST_BATCH) {
			cap = cap ? cap * 2 : LIST_BATCH;
			ids = xreallocarray(ids, cap, sizeof(*ids));
		}
		got = mnts_sys_listmount(MNTS_LSMT_ROOT, ns_id, n ? ids[n - 1] : 0, ids + n,
					 LIST_BATCH);
		if (got < 0)
			return mnts_err(err, errno, "listmount of mount namespace %" PRIu64, ns_id);
		for (long i = 0; i < got; i++)
			if (n + i > 0 && ids[n + i] <= ids[n + i - 1])
				sorted = false;
		n += got;
		if (got < LIST_BATCH)
			break;
	}
	if (!sorted)
		qsort(ids, n, sizeof(*ids), cmp_u64);
	*ret = TAKE_PTR(ids);
	*ret_n = n;
	return 0;
}

static const char *sm_str(const struct mnts_statmount *sm, uint64_t bit, uint32_t off)
{
	return (sm->mask & bit) ? sm->str + off : NULL;
}

/* Sets sv (empty) to the words of flags (n_flags) and the n1 + n2
 * NUL-separated strings at p1 and p2; pooled, and shared with the mounts
 * before that have the same (mnts_snapshot_strv_shared()). */
static void push_words(struct mnts_strv *sv, struct mnts_snapshot *pool, const char *const *flags,
		       size_t n_flags, const char *p1, uint32_t n1, const char *p2, uint32_t n2)
{
	struct mnts_word stack[32], *words = stack;
	size_t n = 0, total = n_flags + n1 + n2;

	if (total > ARRAY_SIZE(stack))
		words = xreallocarray(NULL, total, sizeof(*words));
	for (size_t i = 0; i < n_flags; i++)
		words[n++] = (struct mnts_word){flags[i], strlen(flags[i])};
	for (uint32_t i = 0; i < n1; i++, p1 += words[n - 1].len + 1)
		words[n++] = (struct mnts_word){p1, strlen(p1)};
	for (uint32_t i = 0; i < n2; i++, p2 += words[n - 1].len + 1)
		words[n++] = (struct mnts_word){p2, strlen(p2)};
	mnts_snapshot_strv_shared(pool, sv, words, n);
	if (words != stack)
		free(words);
}

static void push_str_array(struct mnts_strv *sv, struct mnts_snapshot *pool, const char *p,
			   uint32_t n)
{
	push_words(sv, pool, NULL, 0, p, n, NULL, 0);
}

static char *pool_dup(struct mnts_snapshot *pool, const char *s)
{
	return mnts_snapshot_strndup(pool, s, strlen(s));
}

/* Fills m from a statmount record; its strings go to pool, the string pool
 * of the snapshot being built (or of one moved into it later): a dozen
 * malloc() calls per mount were a tenth of a capture. */
static void fill_mount(struct mnts_mount *m, const struct mnts_statmount *sm,
		       struct mnts_snapshot *pool)
{
	const char *root = sm_str(sm, STATMOUNT_MNT_ROOT, sm->mnt_root);
	const char *type = sm_str(sm, STATMOUNT_FS_TYPE, sm->fs_type);
	const char *subtype = sm_str(sm, STATMOUNT_FS_SUBTYPE, sm->fs_subtype);
	const char *source = sm_str(sm, STATMOUNT_SB_SOURCE, sm->sb_source);
	const char *flags[4];
	size_t n_flags = 0;

	m->id = sm->mnt_id;
	m->mnt_id = sm->mnt_id_old;
	m->parent_id = sm->mnt_parent_id;
	m->dev_major = sm->sb_dev_major;
	m->dev_minor = sm->sb_dev_minor;
	m->root = pool_dup(pool, root ? root : "/");
	m->mountpoint = pool_dup(pool, sm->str + sm->mnt_point);
	m->fstype = subtype && *subtype ? xasprintf("%s.%s", type ? type : "", subtype)
					: pool_dup(pool, type ? type : "");
	/* the kernel prints "none" for a mount without a source, and drops
	 * the bit of an empty string: that is the source "", as mountinfo
	 * shows it (an empty field) */
	m->source = pool_dup(pool, source ? source : "");
	mnts_options_from_mount_attr_in(&m->mount_options, sm->mnt_attr, pool);

	/* the order of mountinfo field 11 (show_mountinfo(), show_sb_opts()):
	 * ro|rw, the generic sb flags, the LSM options, then the fs's own */
	flags[n_flags++] = sm->sb_flags & MNTS_SB_RDONLY ? "ro" : "rw";
	if (sm->sb_flags & MNTS_SB_SYNCHRONOUS)
		flags[n_flags++] = "sync";
	if (sm->sb_flags & MNTS_SB_DIRSYNC)
		flags[n_flags++] = "dirsync";
	if (sm->sb_flags & MNTS_SB_LAZYTIME)
		flags[n_flags++] = "lazytime";
	push_words(&m->super_options, pool, flags, n_flags, sm->str + sm->opt_sec_array,
		   sm->mask & STATMOUNT_OPT_SEC_ARRAY ? sm->opt_sec_num : 0,
		   sm->str + sm->opt_array, sm->mask & STATMOUNT_OPT_ARRAY ? sm->opt_num : 0);

	if (sm->mnt_propagation & MS_SHARED)
		m->shared_id = sm->mnt_peer_group;
	if (sm->mnt_propagation & MS_SLAVE)
		m->master_id = sm->mnt_master;
	m->unbindable = (sm->mnt_propagation & MS_UNBINDABLE) != 0;

	if (sm->mask & STATMOUNT_MNT_UIDMAP)
		push_str_array(&m->uid_map, pool, sm->str + sm->mnt_uidmap, sm->mnt_uidmap_num);
	if (sm->mask & STATMOUNT_MNT_GIDMAP)
		push_str_array(&m->gid_map, pool, sm->str + sm->mnt_gidmap, sm->mnt_gidmap_num);
}

/* The root's parent is the hidden one (rootfs, or the old root after
 * pivot_root): the only parent not listed.  A second one means a mount moved
 * or vanished between listmount and statmount.  ids: sorted. */
static int find_root(struct mnts_ns *ns, const uint64_t *ids, size_t n, struct mnts_error *err)
{
	size_t n_roots = 0;
	/* the last parent id found listed (ids are never 0) */
	uint64_t listed_parent = 0;

	for (size_t i = 0; i < ns->n_mounts; i++) {
		struct mnts_mount *m = &ns->mounts[i];

		/* siblings usually follow each other: one search for them */
		if (m->parent_id != m->id && ((listed_parent && m->parent_id == listed_parent) ||
					      sorted_has(ids, n, m->parent_id))) {
			listed_parent = m->parent_id;
			continue;
		}
		if (++n_roots > 1)
			return mnts_err(err, EAGAIN,
					"mount %" PRIu64 ": parent %" PRIu64
					" is not in the namespace",
					m->id, m->parent_id);
		m->parent_id = 0;
	}
	if (n_roots == 0)
		return mnts_err(err, EAGAIN, "no root mount");
	return 0;
}

/* Asks for huge pages under a large block that is about to be written
 * through: a page fault costs about 2 us here, and the slots of 50,000
 * mounts are 2,700 pages.  Only for blocks that malloc mapped on their own
 * (a few MB): advice on the heap would split it for nothing. */
static void advise_huge_pages(void *p, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(page - 1);

	if (len >= (4U << 20) && end > start)
		madvise((void *)start, end - start, MADV_HUGEPAGE);
}

/* The statmount calls of one namespace, shared by up to two workers: each
 * mount goes to its own slot, so the result does not depend on who read
 * what.  A failure stops the worker; the lowest failing index is reported. */
struct stat_job {
	const uint64_t *ids;
	uint64_t ns_id;
	uint64_t mask;
	struct mnts_mount *slots;
	struct smbuf buf[2];
	struct mnts_snapshot *pool[2];	/* the snapshot's; a helper's own */
	struct mnts_statmount_ctl *ctl; /* or NULL */
	/* per worker: the index of its failure (SIZE_MAX: none) and its
	 * -errno, or 0 when the kernel reported no mountpoint */
	size_t fail_at[2];
	int fail_r[2];
};

static bool stat_chunk(void *data, unsigned worker, size_t begin, size_t end)
{
	struct stat_job *job = data;
	struct smbuf *b = &job->buf[worker];

	if (job->ctl && __atomic_load_n(&job->ctl->stop, __ATOMIC_RELAXED)) {
		if (begin < job->fail_at[worker]) {
			job->fail_at[worker] = begin;
			job->fail_r[worker] = -ECANCELED;
		}
		return false;
	}
	for (size_t i = begin; i < end; i++) {
		int r = smbuf_stat(b, job->ids[i], job->ns_id, job->mask);

		if (r == 0 && !(b->sm->mask & STATMOUNT_MNT_POINT))
			r = 1;
		if (r != 0) {
			if (i < job->fail_at[worker]) {
				job->fail_at[worker] = i;
				job->fail_r[worker] = r < 0 ? r : 0;
			}
			return false;
		}
		fill_mount(&job->slots[i], b->sm, job->pool[worker]);
	}
	if (job->ctl)
		__atomic_fetch_add(&job->ctl->done, end - begin, __ATOMIC_RELAXED);
	return true;
}

/* chunks small enough that a worker slowed down by other load does not
 * leave the other idle for long */
#define STAT_CHUNK 128

/* The statmount calls of a namespace whose ids are still being listed: the
 * helper thread starts on the first batch while the caller lists the rest
 * (listing 50,000 mounts takes 6 ms, a tenth of the capture), then both
 * share what is left.  ids and slots have room for cap, fixed while the
 * helper runs. */
struct pipe_job {
	struct stat_job *job;
	size_t cap;
	size_t listed;	/* ids published (atomic) */
	bool list_done; /* no more will be (atomic) */
	size_t next;	/* the first id not claimed (atomic) */
	bool stopped;	/* a worker failed (atomic) */
};

static void pipe_work(struct pipe_job *p, unsigned worker)
{
	while (!__atomic_load_n(&p->stopped, __ATOMIC_RELAXED)) {
		size_t begin = __atomic_fetch_add(&p->next, STAT_CHUNK, __ATOMIC_RELAXED);
		size_t end = begin + STAT_CHUNK, listed;
		bool done;

		/* wait for the lister: it is several times faster than a
		 * statmount worker, so this is the first batch at most */
		for (;;) {
			done = __atomic_load_n(&p->list_done, __ATOMIC_ACQUIRE);
			listed = __atomic_load_n(&p->listed, __ATOMIC_ACQUIRE);
			if (listed >= end || done)
				break;
			sched_yield();
		}
		if (end > listed)
			end = listed;
		if (begin >= end)
			break;
		if (!stat_chunk(p->job, worker, begin, end))
			__atomic_store_n(&p->stopped, true, __ATOMIC_RELAXED);
	}
}

static void pipe_helper(void *data)
{
	pipe_work(data, 1);
}

/* Lists the ids of ns_id into job->ids (room for p->cap) while the helper
 * statmounts them.  Returns: the number listed, or -errno (-EAGAIN when the
 * namespace outgrew cap, or its ids came unsorted: the caller starts over). */
static long pipe_list(struct pipe_job *p, uint64_t ns_id, struct mnts_error *err)
{
	uint64_t *ids = (uint64_t *)p->job->ids;
	size_t n = 0;
	long r = 0;

	for (;;) {
		size_t want = p->cap - n < LIST_BATCH ? p->cap - n : LIST_BATCH;
		long got = want ? mnts_sys_listmount(MNTS_LSMT_ROOT, ns_id, n ? ids[n - 1] : 0,
						     ids + n, want)
				: 0;

		if (got < 0) {
			r = mnts_err(err, errno, "listmount of mount namespace %" PRIu64, ns_id);
			break;
		}
		for (long i = 0; i < got; i++)
			if (n + i > 0 && ids[n + i] <= ids[n + i - 1])
				r = mnts_err(err, EAGAIN, "listmount: ids out of order");
		if (r < 0)
			break;
		n += got;
		__atomic_store_n(&p->listed, n, __ATOMIC_RELEASE);
		if ((size_t)got < want)
			break;
		if (n == p->cap) {
			r = mnts_err(err, EAGAIN, "more than %zu mounts: it grew", p->cap);
			break;
		}
	}
	if (r < 0)
		__atomic_store_n(&p->stopped, true, __ATOMIC_RELAXED);
	__atomic_store_n(&p->list_done, true, __ATOMIC_RELEASE);
	return r < 0 ? r : (long)n;
}

size_t mnts_statmount_ns_count(int nsfd)
{
	struct mnts_mnt_ns_info info = {.size = sizeof(info)};

	if (nsfd < 0 || ioctl(nsfd, MNTS_NS_MNT_GET_INFO, &info) < 0)
		return 0;
	return info.nr_mounts;
}

/* alone: every call on this thread (the caller runs one namespace per CPU
 * itself) */
static int statmount_ns(struct mnts_ns *ns, uint64_t ns_id, int nsfd, uint64_t mask,
			struct mnts_statmount_ctl *ctl, bool alone, struct mnts_error *err)
{
	_cleanup_free_ uint64_t *ids = NULL;
	struct stat_job job = {
	    .ns_id = ns_id, .mask = mask, .ctl = ctl, .fail_at = {SIZE_MAX, SIZE_MAX}};
	size_t hint = mnts_statmount_ns_count(nsfd);
	unsigned w;
	size_t n = 0, at;
	int r;

	job.pool[0] = ns->snap;
	job.pool[1] = alone ? NULL : mnts_snapshot_new();
	if (!alone && hint > LIST_BATCH && mnts_split_worth_it()) {
		/* room to grow meanwhile; pages never touched cost nothing */
		struct pipe_job p = {.job = &job, .cap = hint + hint / 8 + LIST_BATCH};
		struct mnts_helper h;
		long got;

		if (ctl)
			__atomic_store_n(&ctl->total, hint, __ATOMIC_RELAXED);

		ids = xmalloc(p.cap * sizeof(*ids));
		ns->mounts = xcalloc(p.cap, sizeof(*ns->mounts));
		advise_huge_pages(ns->mounts, p.cap * sizeof(*ns->mounts));
		ns->cap_mounts = p.cap;
		job.ids = ids;
		job.slots = ns->mounts;
		mnts_helper_start(&h, pipe_helper, &p);
		got = pipe_list(&p, ns_id, err);
		pipe_work(&p, 0);
		mnts_helper_join(&h);
		r = got < 0 ? (int)got : 0;
		n = got < 0 ? p.listed : (size_t)got;
	} else {
		r = list_ids(ns_id, &ids, &n, err);
		if (r == 0) {
			/* every slot at once: the array is 11 MB at 50,000 mounts */
			ns->mounts = xcalloc(n, sizeof(*ns->mounts));
			advise_huge_pages(ns->mounts, n * sizeof(*ns->mounts));
			ns->cap_mounts = n;
			job.ids = ids;
			job.slots = ns->mounts;
			if (ctl)
				__atomic_store_n(&ctl->total, n, __ATOMIC_RELAXED);
			if (alone)
				stat_chunk(&job, 0, 0, n);
			else
				mnts_split_run(n, STAT_CHUNK, stat_chunk, &job);
		}
	}
	/* the slots filled (a failure leaves the others zeroed: freed as empty) */
	ns->n_mounts = n;
	smbuf_done(&job.buf[0]);
	smbuf_done(&job.buf[1]);
	/* before anything can free a mount the helper filled */
	if (job.pool[1]) {
		mnts_snapshot_take_pool(ns->snap, job.pool[1]);
		mnts_snapshot_free(job.pool[1]);
	}
	if (r < 0)
		return r;

	w = job.fail_at[1] < job.fail_at[0];
	at = job.fail_at[w];
	if (at != SIZE_MAX) {
		r = job.fail_r[w];
		if (r == -ECANCELED)
			return mnts_err(err, ECANCELED, "statmount: given up");
		if (r == -ENOENT)
			return mnts_err(err, EAGAIN,
					"mount %" PRIu64 " vanished during the capture", ids[at]);
		if (r < 0)
			return mnts_err(err, -r, "statmount of mount %" PRIu64, ids[at]);
		return mnts_err(err, 0, "mount %" PRIu64 ": the kernel reports no mountpoint",
				ids[at]);
	}
	return find_root(ns, ids, n, err);
}

int mnts_statmount_ns(struct mnts_ns *ns, uint64_t ns_id, int nsfd, struct mnts_error *err)
{
	return statmount_ns(ns, ns_id, nsfd, MNTS_STATMOUNT_CAPTURE_MASK, NULL, false, err);
}

int mnts_statmount_ns_alone(struct mnts_ns *ns, uint64_t ns_id, struct mnts_error *err)
{
	return statmount_ns(ns, ns_id, -1, MNTS_STATMOUNT_CAPTURE_MASK, NULL, true, err);
}

/* what replay needs of a live mount (mnts_statmount_ns_basic()) */
#define BASIC_MASK                                                                                 \
	(STATMOUNT_SB_BASIC | STATMOUNT_MNT_BASIC | STATMOUNT_MNT_ROOT | STATMOUNT_MNT_POINT |     \
	 STATMOUNT_FS_TYPE | STATMOUNT_FS_SUBTYPE | STATMOUNT_SB_SOURCE)

int mnts_statmount_ns_basic(struct mnts_ns *ns, uint64_t ns_id, struct mnts_statmount_ctl *ctl,
			    struct mnts_error *err)
{
	return statmount_ns(ns, ns_id, -1, BASIC_MASK, ctl, false, err);
}

long mnts_statmount_ids_basic(struct mnts_ns *ns, const uint64_t *ids, size_t n,
			      struct mnts_error *err)
{
	_cleanup_(smbuf_done) struct smbuf b = {0};

	for (size_t i = 0; i < n; i++) {
		int r = smbuf_stat(&b, ids[i], 0, BASIC_MASK);

		/* ENOENT: not a mount of this namespace (any more, or ever);
		 * no mountpoint: not below our root */
		if (r == -ENOENT || (r == 0 && !(b.sm->mask & STATMOUNT_MNT_POINT)))
			return (long)i;
		if (r < 0)
			return mnts_err(err, -r, "statmount of mount %" PRIu64, ids[i]);
		fill_mount(mnts_ns_add_mount(ns), b.sm, ns->snap);
	}
	return (long)n;
}

/* Child side of mnts_statmount_ns_setns(): the raw statmount records of the
 * namespace we are in, each as a size_t length and the bytes.  Returns the
 * exit status. */
static int dump_records(int out_fd)
{
	_cleanup_(smbuf_done) struct smbuf b = {0};
	_cleanup_free_ uint64_t *ids = NULL;
	struct mnts_error ignored;
	FILE *out = fdopen(out_fd, "w");
	size_t n = 0;

	if (!out || list_ids(0, &ids, &n, &ignored) < 0)
		return EIO;
	for (size_t i = 0; i < n; i++) {
		int r = smbuf_stat(&b, ids[i], 0, MNTS_STATMOUNT_CAPTURE_MASK);
		size_t len;

		if (r == -ENOENT)
			return EAGAIN;
		if (r < 0)
			return -r & 0xff;
		len = b.sm->size >= sizeof(*b.sm) && b.sm->size <= b.size ? b.sm->size : b.size;
		if (fwrite(&len, sizeof(len), 1, out) != 1 || fwrite(b.sm, 1, len, out) != len)
			return EIO;
	}
	return fflush(out) == 0 ? 0 : EIO;
}

static int dump_records_child(int out_fd, void *data _unused_)
{
	return dump_records(out_fd);
}

int mnts_statmount_ns_setns(struct mnts_ns *ns, int nsfd, struct mnts_error *err)
{
	_cleanup_free_ uint64_t *ids = NULL;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, n = 0, pos = 0;
	int r;

	r = mnts_ns_child_collect(nsfd, dump_records_child, NULL, "statmount", &buf, &len, err);
	if (r < 0)
		return r;
	while (pos + sizeof(size_t) <= len) {
		struct mnts_statmount *sm;
		size_t rec;

		memcpy(&rec, buf + pos, sizeof(rec));
		pos += sizeof(rec);
		if (rec < sizeof(*sm) || rec > len - pos)
			return mnts_err(err, EIO, "bad statmount record");
		sm = xmalloc(rec + 1);
		memcpy(sm, buf + pos, rec);
		((char *)sm)[rec] = '\0';
		pos += rec;
		if (!(sm->mask & STATMOUNT_MNT_POINT)) {
			uint64_t id = sm->mnt_id;

			free(sm);
			return mnts_err(err, 0,
					"mount %" PRIu64 ": the kernel reports no mountpoint", id);
		}
		ids = xreallocarray(ids, n + 1, sizeof(*ids));
		ids[n++] = sm->mnt_id;
		fill_mount(mnts_ns_add_mount(ns), sm, ns->snap);
		free(sm);
	}
	mnts_sort(ids, n, sizeof(*ids), cmp_u64);
	return find_root(ns, ids, n, err);
}

/* ---- propagate_from ------------------------------------------------------ */

struct group_edge {
	uint64_t group, master;
};

static int cmp_edge(const void *a, const void *b)
{
	const struct group_edge *x = a, *y = b;

	return x->group < y->group ? -1 : x->group > y->group;
}

struct graph {
	struct group_edge *v;
	size_t n, cap;
};

static void graph_add(struct graph *g, uint64_t group, uint64_t master)
{
	if (g->n == g->cap) {
		g->cap = g->cap ? g->cap * 2 : 256;
		g->v = xreallocarray(g->v, g->cap, sizeof(*g->v));
	}
	g->v[g->n++] = (struct group_edge){group, master};
}

static void graph_sort(struct graph *g)
{
	size_t w = 0;

	mnts_sort(g->v, g->n, sizeof(*g->v), cmp_edge); /* no qsort(NULL, 0): undefined */
	for (size_t r = 0; r < g->n; r++)
		if (w == 0 || g->v[w - 1].group != g->v[r].group)
			g->v[w++] = g->v[r];
	g->n = w;
}

static const struct group_edge *graph_find(const struct graph *g, uint64_t group)
{
	struct group_edge key = {.group = group};

	return g->n ? bsearch(&key, g->v, g->n, sizeof(*g->v), cmp_edge) : NULL;
}

struct mnts_master_graph {
	struct graph live;
	bool built;
};

struct mnts_master_graph *mnts_master_graph_new(void)
{
	return xcalloc(1, sizeof(struct mnts_master_graph));
}

void mnts_master_graph_free(struct mnts_master_graph *g)
{
	if (!g)
		return;
	free(g->live.v);
	free(g);
}

/* The peer groups of every live namespace (basic statmount only). */
static void graph_build_live(struct graph *g)
{
	_cleanup_(smbuf_done) struct smbuf b = {0};
	struct mnts_nslist all = {0};
	struct mnts_error ignored;

	if (mnts_nslist_all(&all, NULL, &ignored) < 0)
		return;
	for (size_t i = 0; i < all.n; i++) {
		_cleanup_free_ uint64_t *ids = NULL;
		size_t n = 0;

		if (!all.v[i].ns_id || list_ids(all.v[i].ns_id, &ids, &n, &ignored) < 0)
			continue;
		for (size_t k = 0; k < n; k++) {
			if (smbuf_stat(&b, ids[k], all.v[i].ns_id, STATMOUNT_MNT_BASIC) < 0)
				continue;
			if (b.sm->mnt_propagation & MS_SHARED)
				graph_add(g, b.sm->mnt_peer_group,
					  b.sm->mnt_propagation & MS_SLAVE ? b.sm->mnt_master : 0);
		}
	}
	mnts_nslist_free(&all);
	graph_sort(g);
}

void mnts_statmount_propagate_from(struct mnts_ns *ns, struct mnts_master_graph *mg)
{
	_cleanup_free_ uint64_t *here = NULL;
	struct graph local = {0};
	size_t n_here = 0;

	here = xcalloc(ns->n_mounts + 1, sizeof(*here));
	for (size_t j = 0; j < ns->n_mounts; j++)
		if (ns->mounts[j].shared_id) {
			here[n_here++] = ns->mounts[j].shared_id;
			graph_add(&local, ns->mounts[j].shared_id, ns->mounts[j].master_id);
		}
	mnts_sort(here, n_here, sizeof(*here), cmp_u64);
	graph_sort(&local);

	for (size_t j = 0; j < ns->n_mounts; j++) {
		struct mnts_mount *m = &ns->mounts[j];
		uint64_t cur = m->master_id;
		size_t steps = 0;

		m->propagate_from = 0;
		if (!cur || sorted_has(here, n_here, cur))
			continue;
		/* follow masters until a group with a member here */
		for (;;) {
			const struct group_edge *e = graph_find(&local, cur);

			if (!e) {
				if (!mg->built) {
					mg->built = true;
					graph_build_live(&mg->live);
				}
				e = graph_find(&mg->live, cur);
			}
			if (!e || !e->master || ++steps > local.n + mg->live.n)
				break;
			cur = e->master;
			if (sorted_has(here, n_here, cur)) {
				m->propagate_from = cur;
				break;
			}
		}
	}
	free(local.v);
}

long mnts_statmount_ns_select(struct mnts_ns *ns, uint64_t ns_id,
			      bool (*keep)(void *data, const struct mnts_mount *basic), void *data,
			      struct mnts_error *err)
{
	_cleanup_free_ uint64_t *ids = NULL;
	_cleanup_(smbuf_done) struct smbuf b = {0};
	size_t n = 0;
	int r = list_ids(ns_id, &ids, &n, err);

	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++) {
		struct mnts_mount basic = {0};
		const struct mnts_statmount *sm;

		/* a small record first: most mounts are not wanted */
		r = smbuf_stat(&b, ids[i], ns_id, STATMOUNT_SB_BASIC | STATMOUNT_MNT_BASIC);
		if (r == -ENOENT)
			continue; /* gone meanwhile */
		if (r < 0)
			return mnts_err(err, -r, "statmount of mount %" PRIu64, ids[i]);
		sm = b.sm;
		basic.id = sm->mnt_id;
		basic.mnt_id = sm->mnt_id_old;
		basic.dev_major = sm->sb_dev_major;
		basic.dev_minor = sm->sb_dev_minor;
		if (sm->mnt_propagation & MS_SHARED)
			basic.shared_id = sm->mnt_peer_group;
		if (sm->mnt_propagation & MS_SLAVE)
			basic.master_id = sm->mnt_master;
		basic.unbindable = (sm->mnt_propagation & MS_UNBINDABLE) != 0;
		if (!keep(data, &basic))
			continue;
		r = smbuf_stat(&b, ids[i], ns_id,
			       STATMOUNT_SB_BASIC | STATMOUNT_MNT_BASIC | STATMOUNT_MNT_ROOT |
				   STATMOUNT_MNT_POINT | STATMOUNT_FS_TYPE | STATMOUNT_FS_SUBTYPE);
		if (r == -ENOENT)
			continue;
		if (r < 0)
			return mnts_err(err, -r, "statmount of mount %" PRIu64, ids[i]);
		if (b.sm->mask & STATMOUNT_MNT_POINT)
			fill_mount(mnts_ns_add_mount(ns), b.sm, ns->snap);
	}
	return (long)n;
}

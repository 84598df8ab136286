/* livecheck.c - the live mounts a plan assumed, checked beside its executor
 * (see livecheck.h).
 *
 * Reading the caller's whole live table costs one statmount per live mount
 * before planning can end: at 50,000 superblocks, 80-100 ms on both CPUs
 * while the snapshot is read, most of the time replay spent beyond the
 * floor's.  The check of an assumed mount is one statx of its path (an
 * openat from the previous one along a chain of nested mounts, as the
 * executor resolves them), 1.5-2 us, on the CPU the executor leaves idle;
 * the executor spends several syscalls per mount, so it seldom waits.
 *
 * The verdicts live in a shared anonymous mapping made before the fork: the
 * thread writes them in the caller, the executor reads them in its child.
 *
 * A check is made before its clone, by as much as the thread is ahead (up
 * to a few hundred ms at 50,000): a mount changed in between goes unseen,
 * as one changed after a whole table was read always did; the executor's
 * check of each clone's device still holds.  The check follows no last
 * symlink where the executor's open_tree() would: a mountpoint made a
 * symlink since only fails it, and replay plans again.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/core/macros.h"
#include "lib/core/split.h"
#include "lib/kernel/syscalls.h"
#include "lib/replay/host.h"
#include "lib/replay/livecheck.h"

enum { VERDICT_UNKNOWN = 0, VERDICT_SAME, VERDICT_CHANGED };

/* One assumed mount: the unique id the mount in sight at path must have
 * (hidden: must not have), and the superblock of the plan whose clone
 * waits for it (-1: none).  rel: where the part of path looked up from the
 * previous item's begins (path extends that one's), 0 for a lookup of the
 * whole path.  path is the snapshot's (an assumed table's strings are),
 * which outlives the checks: replay.c frees them before it returns. */
struct check_item {
	int sb;
	bool hidden;
	const char *path;
	size_t rel;
	uint64_t id;
};

/* Shared with the executor. */
struct check_shared {
	int failed;		 /* (atomic) something assumed is not so */
	unsigned char all;	 /* (atomic) VERDICT_SAME once every check passed */
	unsigned char verdict[]; /* per superblock of the plan (atomic) */
};

struct mnts_livecheck {
	struct check_item *items;
	size_t n;
	struct check_shared *shared;
	size_t shared_len;
	struct mnts_helper thread;
};

/* Item i of lc: looked up from the previous one when its path extends that
 * one's. */
static void chain(struct mnts_livecheck *lc, size_t i)
{
	struct check_item *it = &lc->items[i];
	size_t prev_len;

	if (!i)
		return;
	prev_len = strlen(it[-1].path);
	if (!strncmp(it->path, it[-1].path, prev_len) && it->path[prev_len] == '/' &&
	    it->path[prev_len + 1])
		it->rel = prev_len + 1;
}

int mnts_livecheck_new(const struct mnts_plan *plan, const struct mnts_live_table *live,
		       struct mnts_livecheck **ret, struct mnts_error *err)
{
	struct mnts_livecheck *lc;
	size_t n = live->n_hidden;
	void *map;

	*ret = NULL;
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct mnts_step *s = &plan->steps[i];

		if (s->kind == MNTS_STEP_SB_LIVE && plan->sbs[s->obj].assumed_id)
			n++;
	}
	if (!n)
		return 0;
	map = mmap(NULL, sizeof(struct check_shared) + plan->n_sbs, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return mnts_err(err, errno, "mmap the checks of the live mounts");
	lc = xcalloc(1, sizeof(*lc));
	lc->shared = map;
	lc->shared_len = sizeof(struct check_shared) + plan->n_sbs;
	lc->items = xcalloc(n, sizeof(*lc->items));
	/* in the executor's order: it waits for each in turn */
	for (size_t i = 0; i < plan->n_steps; i++) {
		const struct mnts_step *s = &plan->steps[i];
		const struct mnts_plan_sb *sb = &plan->sbs[s->obj];

		if (s->kind != MNTS_STEP_SB_LIVE || !sb->assumed_id)
			continue;
		lc->items[lc->n] =
		    (struct check_item){.sb = (int)s->obj, .path = sb->path, .id = sb->assumed_id};
		chain(lc, lc->n++);
	}
	/* then those that must stay out of sight: only the commit waits */
	for (size_t i = 0; i < live->n_hidden; i++) {
		lc->items[lc->n] = (struct check_item){.sb = -1,
						       .hidden = true,
						       .path = live->hidden[i]->target,
						       .id = live->hidden[i]->assumed_id};
		chain(lc, lc->n++);
	}
	*ret = lc;
	return 0;
}

static bool stopped(const struct mnts_livecheck *lc)
{
	return __atomic_load_n(&lc->shared->failed, __ATOMIC_ACQUIRE);
}

/* Whether hidden item it is still out of sight: not what the lookup of
 * its path (r, stx) found, and not moved elsewhere since (statmount of its
 * id gives the mountpoint the snapshot saw), or gone. */
static bool still_hidden(const struct check_item *it, int r, const struct statx *stx,
			 struct mnts_statmount *sm, size_t size)
{
	if (r == 0 && stx->stx_mnt_id == it->id)
		return false;
	if (mnts_sys_statmount(it->id, 0, STATMOUNT_MNT_POINT, sm, size) < 0)
		return errno == ENOENT;
	return (sm->mask & STATMOUNT_MNT_POINT) && streq(sm->str + sm->mnt_point, it->path);
}

static void check_all(void *data)
{
	struct mnts_livecheck *lc = data;
	int prev = -1; /* O_PATH fd of the previous item, when this one needs it */
	/* room for a mountpoint of PATH_MAX, and more */
	size_t sm_size = sizeof(struct mnts_statmount) + 2 * PATH_MAX + 64;
	_cleanup_free_ struct mnts_statmount *sm = xmalloc(sm_size);

	for (size_t i = 0; i < lc->n && !stopped(lc); i++) {
		const struct check_item *it = &lc->items[i];
		bool from_prev = it->rel && prev >= 0;
		const char *path = it->path + (from_prev ? it->rel : 0);
		int dirfd = from_prev ? prev : AT_FDCWD, fd = -1, r;
		struct statx stx;
		bool same;

		/* the next one is looked up from this one: opened */
		if (i + 1 < lc->n && lc->items[i + 1].rel) {
			fd = openat(dirfd, path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
			r = fd < 0 ? -1 : statx(fd, "", AT_EMPTY_PATH, STATX_MNT_ID_UNIQUE, &stx);
		} else {
			r = statx(dirfd, path, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT,
				  STATX_MNT_ID_UNIQUE, &stx);
		}
		if (prev >= 0)
			close(prev);
		prev = fd;
		if (r == 0 && !(stx.stx_mask & STATX_MNT_ID_UNIQUE))
			r = -1;
		same = it->hidden ? still_hidden(it, r, &stx, sm, sm_size)
				  : r == 0 && stx.stx_mnt_id == it->id;
		if (it->sb >= 0)
			__atomic_store_n(&lc->shared->verdict[it->sb],
					 same ? VERDICT_SAME : VERDICT_CHANGED, __ATOMIC_RELEASE);
		if (!same) {
			mnts_livecheck_fail(lc);
			break;
		}
	}
	if (prev >= 0)
		close(prev);
	if (!stopped(lc))
		__atomic_store_n(&lc->shared->all, VERDICT_SAME, __ATOMIC_RELEASE);
}

void mnts_livecheck_start(struct mnts_livecheck *lc)
{
	if (!lc)
		return;
	mnts_helper_start(&lc->thread, check_all, lc);
	/* no thread: checked here, the executor waiting */
	if (!lc->thread.running)
		mnts_helper_join(&lc->thread);
}

/* A wait of the executor for the thread: on the other CPU (host_byid.c
 * assumes only with two) it is ahead but at the start, so a yield is
 * enough; a thread held up longer (a stopped caller, a slow filesystem)
 * gets the CPU back from sleeps. */
static void pause_for(unsigned *spins)
{
	if (++*spins < 1000) {
		sched_yield();
	} else {
		struct timespec ts = {.tv_nsec = 100 * 1000};

		nanosleep(&ts, NULL);
	}
}

/* Waits for verdict (a byte of lc's shared mapping) to be given. */
static int await(const struct mnts_livecheck *lc, const unsigned char *verdict,
		 bool (*cancelled)(void))
{
	for (unsigned spins = 0;; pause_for(&spins)) {
		unsigned char v = __atomic_load_n(verdict, __ATOMIC_ACQUIRE);

		if (v == VERDICT_SAME)
			return 0;
		if (v == VERDICT_CHANGED || stopped(lc))
			return -ESTALE;
		if (cancelled && cancelled())
			return -EINTR;
	}
}

int mnts_livecheck_wait(const struct mnts_livecheck *lc, int sb, bool (*cancelled)(void))
{
	return await(lc, &lc->shared->verdict[sb], cancelled);
}

int mnts_livecheck_wait_all(const struct mnts_livecheck *lc, bool (*cancelled)(void))
{
	return await(lc, &lc->shared->all, cancelled);
}

void mnts_livecheck_fail(const struct mnts_livecheck *lc)
{
	__atomic_store_n(&lc->shared->failed, 1, __ATOMIC_RELEASE);
}

bool mnts_livecheck_failed(const struct mnts_livecheck *lc)
{
	return lc && stopped(lc);
}

void mnts_livecheck_finish(struct mnts_livecheck *lc)
{
	if (lc)
		mnts_helper_join(&lc->thread);
}

void mnts_livecheck_free(struct mnts_livecheck *lc)
{
	if (!lc)
		return;
	if (lc->thread.running) {
		/* its verdicts are not wanted any more */
		mnts_livecheck_fail(lc);
		mnts_helper_join(&lc->thread);
	}
	munmap(lc->shared, lc->shared_len);
	free(lc->items);
	free(lc);
}

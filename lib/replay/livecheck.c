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
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/macros.h"
#include "lib/core/split.h"
#include "lib/kernel/syscalls.h"
#include "lib/replay/livecheck.h"

enum { VERDICT_UNKNOWN = 0, VERDICT_SAME, VERDICT_CHANGED };

/* One assumed mount: the unique id the mount in sight at path must have.
 * rel: where the part of path looked up from the previous item's begins
 * (path extends that one's), 0 for a lookup of the whole path.  path is
 * the snapshot's (an assumed table's strings are), which outlives the
 * checks: replay.c frees them before it returns. */
struct check_item {
	int sb;
	const char *path;
	size_t rel;
	uint64_t id;
};

/* Shared with the executor. */
struct check_shared {
	int failed;		 /* (atomic) something assumed is not so */
	unsigned char verdict[]; /* per superblock of the plan (atomic) */
};

struct mnts_livecheck {
	struct check_item *items;
	size_t n;
	struct check_shared *shared;
	size_t shared_len;
	struct mnts_helper thread;
};

int mnts_livecheck_new(const struct mnts_plan *plan, struct mnts_livecheck **ret,
		       struct mnts_error *err)
{
	struct mnts_livecheck *lc;
	size_t n = 0;
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
		struct check_item *it = &lc->items[lc->n];
		size_t prev_len;

		if (s->kind != MNTS_STEP_SB_LIVE || !sb->assumed_id)
			continue;
		*it =
		    (struct check_item){.sb = (int)s->obj, .path = sb->path, .id = sb->assumed_id};
		/* a path below the previous one's: looked up from it */
		if (lc->n) {
			prev_len = strlen(it[-1].path);
			if (!strncmp(sb->path, it[-1].path, prev_len) &&
			    sb->path[prev_len] == '/' && sb->path[prev_len + 1])
				it->rel = prev_len + 1;
		}
		lc->n++;
	}
	*ret = lc;
	return 0;
}

static bool stopped(const struct mnts_livecheck *lc)
{
	return __atomic_load_n(&lc->shared->failed, __ATOMIC_ACQUIRE);
}

static void check_all(void *data)
{
	struct mnts_livecheck *lc = data;
	int prev = -1; /* O_PATH fd of the previous item, when this one needs it */

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
		same = r == 0 && (stx.stx_mask & STATX_MNT_ID_UNIQUE) && stx.stx_mnt_id == it->id;
		__atomic_store_n(&lc->shared->verdict[it->sb],
				 same ? VERDICT_SAME : VERDICT_CHANGED, __ATOMIC_RELEASE);
		if (!same) {
			mnts_livecheck_fail(lc);
			break;
		}
	}
	if (prev >= 0)
		close(prev);
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

int mnts_livecheck_wait(const struct mnts_livecheck *lc, int sb, bool (*cancelled)(void))
{
	for (;;) {
		unsigned char v = __atomic_load_n(&lc->shared->verdict[sb], __ATOMIC_ACQUIRE);

		if (v == VERDICT_SAME)
			return 0;
		if (v == VERDICT_CHANGED || stopped(lc))
			return -ESTALE;
		if (cancelled && cancelled())
			return -EINTR;
		/* the thread is on the other CPU (host_byid.c assumes only
		 * with two), and ahead but at the start */
		sched_yield();
	}
}

void mnts_livecheck_fail(const struct mnts_livecheck *lc)
{
	__atomic_store_n(&lc->shared->failed, 1, __ATOMIC_RELEASE);
}

bool mnts_livecheck_failed(const struct mnts_livecheck *lc)
{
	return lc && stopped(lc);
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

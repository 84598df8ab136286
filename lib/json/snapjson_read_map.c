/* snapjson_read_map.c - the text of a snapshot file, mapped (see
 * mnts_snapshot_read_text() in snapjson.h).
 *
 * Why mapped: reading a 33 MB snapshot into a buffer cost 17 ms of a 110 ms
 * `mntsnap diff` here (10 ms to fault in and zero the buffer's pages, 7 ms to
 * copy the page cache into it); mapping the page cache costs about 1 ms.
 *
 * Two things a buffer gave for free are kept:
 * - the NUL after the text (jsonpull's sentinel): the last partial page is
 *   read into an anonymous page right after the mapped whole pages, so the
 *   byte after the text is ours whatever happens to the file;
 * - a file truncated while it is read would kill the process with SIGBUS at
 *   the first access past its new end.  A handler maps a page of zeros in
 *   place of the one that faulted and notes it: the text reads as NUL bytes
 *   there (an error to the tokenizer), and mnts_snapshot_text_check() says
 *   the file was truncated.  A SIGBUS outside these mappings gets the
 *   action there was before.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/macros.h"
#include "lib/core/readfile.h"
#include "lib/json/snapjson.h"

/* Smaller files are read: a buffer costs little there, and the handler is
 * not installed for them. */
#define MAP_MIN_SIZE ((size_t)1 << 20)

/* The mappings in use (diff reads two at once); a file finds no free slot
 * only when more are open, and is read then. */
static struct map_slot {
	atomic_uintptr_t start, end;
	atomic_int truncated;
} slots[8];

static struct sigaction old_sigbus;
static pthread_once_t sigbus_once = PTHREAD_ONCE_INIT;
static bool sigbus_installed;
static uintptr_t page_size; /* sysconf() is no call for a signal handler */

static void on_sigbus(int sig, siginfo_t *si, void *uc)
{
	uintptr_t addr = (uintptr_t)si->si_addr;

	for (size_t i = 0; i < ARRAY_SIZE(slots); i++) {
		if (addr < atomic_load(&slots[i].start) || addr >= atomic_load(&slots[i].end))
			continue;
		/* past the file's new end: zeros instead, and the access is retried */
		if (mmap((void *)(addr & ~(page_size - 1)), page_size, PROT_READ,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED)
			break;
		atomic_store(&slots[i].truncated, 1);
		return;
	}
	/* not ours: the access faults again under the previous action */
	sigaction(sig, &old_sigbus, NULL);
	(void)uc;
}

static void install_sigbus(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigbus, .sa_flags = SA_SIGINFO | SA_RESTART};

	page_size = (uintptr_t)sysconf(_SC_PAGESIZE);
	sigemptyset(&sa.sa_mask);
	sigbus_installed = sigaction(SIGBUS, &sa, &old_sigbus) == 0;
}

static int claim_slot(uintptr_t start, uintptr_t end)
{
	for (size_t i = 0; i < ARRAY_SIZE(slots); i++) {
		uintptr_t free_slot = 0;

		/* end first, so that a half-claimed slot matches no address */
		if (atomic_compare_exchange_strong(&slots[i].start, &free_slot, UINTPTR_MAX)) {
			atomic_store(&slots[i].truncated, 0);
			atomic_store(&slots[i].end, end);
			atomic_store(&slots[i].start, start);
			return (int)i;
		}
	}
	return -1;
}

/* Maps fd (a regular file of size bytes).  Returns 0, or -1 to read it
 * instead (no mapping for this file, or a file that shrank meanwhile). */
static int map_text(int fd, size_t size, struct mnts_snapshot_text *t)
{
	size_t page, whole, tail, done = 0;
	char *base;
	int slot;

	pthread_once(&sigbus_once, install_sigbus);
	if (!sigbus_installed)
		return -1;
	page = page_size;
	whole = size & ~(page - 1);
	tail = size - whole;
	/* the whole pages of the file, then one of ours for the tail and the NUL */
	base = mmap(NULL, whole + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	if (base == MAP_FAILED)
		return -1;
	slot = claim_slot((uintptr_t)base, (uintptr_t)base + whole);
	if (slot < 0 || mmap(base, whole, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd,
			     0) == MAP_FAILED)
		goto fail;
	while (done < tail) {
		ssize_t n = pread(fd, base + whole + done, tail - done, (off_t)(whole + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto fail; /* shrank: read what there is */
		done += (size_t)n;
	}
	t->text = base;
	t->size = size;
	t->map = base;
	t->map_len = whole + page;
	t->slot = slot;
	return 0;
fail:
	if (slot >= 0) {
		atomic_store(&slots[slot].start, UINTPTR_MAX);
		atomic_store(&slots[slot].end, 0);
		atomic_store(&slots[slot].start, 0);
	}
	munmap(base, whole + page);
	return -1;
}

int mnts_snapshot_text_load(int fd, size_t max, struct mnts_snapshot_text *t)
{
	struct stat st;
	char *buf;
	int r;

	*t = (struct mnts_snapshot_text){.slot = -1};
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size >= MAP_MIN_SIZE &&
	    (uint64_t)st.st_size <= max && map_text(fd, (size_t)st.st_size, t) == 0)
		return 0;
	r = mnts_read_fd_max(fd, max, true, &buf, &t->size);
	if (r < 0)
		return r;
	t->text = t->buf = buf;
	return 0;
}

bool mnts_snapshot_text_truncated(const struct mnts_snapshot_text *t)
{
	return t->slot >= 0 && atomic_load(&slots[t->slot].truncated);
}

void mnts_snapshot_text_done(struct mnts_snapshot_text *t)
{
	if (t->slot >= 0) {
		struct map_slot *s = &slots[t->slot];

		/* the range leaves the slot before it is unmapped */
		atomic_store(&s->start, UINTPTR_MAX);
		atomic_store(&s->end, 0);
		munmap(t->map, t->map_len);
		atomic_store(&s->start, 0);
	}
	free(t->buf);
	*t = (struct mnts_snapshot_text){.slot = -1};
}

/* readfile.c - whole-file reads into memory. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/core/macros.h"
#include "lib/core/readfile.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* Faults in a large buffer's pages in one call before read(2) fills it: a
 * fault per 4 KiB page was a fifth of reading a 40 MB snapshot.  Only for
 * blocks that malloc mapped on their own; an older kernel's EINVAL leaves
 * the faults to the copy. */
static void populate(void *p, size_t len)
{
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t)p + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(page - 1);

	if (len >= (1U << 20) && end > start)
		madvise((void *)start, end - start, MADV_POPULATE_WRITE);
}

int mnts_read_fd_max(int fd, size_t max, bool stop_at_nul, char **ret, size_t *ret_len)
{
	size_t cap = 65536, len = 0, slack = 4096; /* room kept for the next read */
	bool sized = false;
	struct stat st;
	char *buf;

	/* a regular file: its size and two bytes, one for the NUL and one
	 * so that the read after the last sees the end (or a file that grew) */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
		if ((uint64_t)st.st_size > max)
			return -EFBIG;
		cap = (size_t)st.st_size + 2;
		slack = 1;
		sized = true;
	}
	buf = xmalloc(cap);
	if (sized)
		populate(buf, cap);
	for (;;) {
		size_t room;
		ssize_t n;

		if (cap - len <= slack) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		room = cap - len - 1;
		if (room > max - len + 1)
			room = max - len + 1; /* one byte past max tells it is too much */
		n = read(fd, buf + len, room);
		if (n < 0) {
			int saved = errno;

			if (saved == EINTR)
				continue;
			free(buf);
			return -saved;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len > max) {
			free(buf);
			return -EFBIG;
		}
		if (stop_at_nul && !sized && memchr(buf + len - (size_t)n, '\0', (size_t)n))
			break;
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

int mnts_read_fd(int fd, char **ret, size_t *ret_len)
{
	return mnts_read_fd_max(fd, SIZE_MAX - 1, false, ret, ret_len);
}

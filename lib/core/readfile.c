/* readfile.c - whole-file reads into memory. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/core/macros.h"
#include "lib/core/readfile.h"

int mnts_read_fd(int fd, char **ret, size_t *ret_len)
{
	size_t cap = 65536, len = 0;
	char *buf = xmalloc(cap);

	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		n = read(fd, buf + len, cap - len - 1);
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
	}
	buf[len] = '\0';
	*ret = buf;
	*ret_len = len;
	return 0;
}

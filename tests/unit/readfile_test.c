/* readfile_test.c - whole-file reads with a size limit (lib/core/readfile.c). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/core/readfile.h"
#include "tests/unit/tap.h"

/* A temporary regular file holding data[0..len-1], open for reading. */
static int file_with(const char *data, size_t len)
{
	char name[] = "/tmp/readfile_test.XXXXXX";
	int fd = mkstemp(name);

	if (fd < 0)
		return -1;
	unlink(name);
	if (write(fd, data, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A pipe holding data[0..len-1] (len below the pipe's buffer), its write
 * end closed.  Returns the read end. */
static int pipe_with(const char *data, size_t len)
{
	int p[2];

	if (pipe(p) < 0)
		return -1;
	if (write(p[1], data, len) != (ssize_t)len) {
		close(p[0]);
		close(p[1]);
		return -1;
	}
	close(p[1]);
	return p[0];
}

int main(void)
{
	char *buf = NULL;
	size_t len = 0;

	TEST("a regular file of exactly max bytes is read, NUL-terminated")
	{
		int fd = file_with("0123456789", 10);

		CHECK(fd >= 0);
		CHECK_INT(mnts_read_fd_max(fd, 10, true, &buf, &len), 0);
		CHECK_INT(len, 10);
		CHECK_STR(buf, "0123456789");
		free(buf);
		close(fd);
	}
	TEST("a regular file one byte over max is -EFBIG")
	{
		int fd = file_with("0123456789x", 11);

		CHECK_INT(mnts_read_fd_max(fd, 10, true, &buf, &len), -EFBIG);
		close(fd);
	}
	TEST("a pipe of exactly max bytes is read; one byte more is -EFBIG")
	{
		int fd = pipe_with("0123456789", 10);

		CHECK_INT(mnts_read_fd_max(fd, 10, false, &buf, &len), 0);
		CHECK_INT(len, 10);
		CHECK_STR(buf, "0123456789");
		free(buf);
		close(fd);
		fd = pipe_with("0123456789x", 11);
		CHECK_INT(mnts_read_fd_max(fd, 10, false, &buf, &len), -EFBIG);
		close(fd);
	}
	TEST("a pipe: reading stops at a read that brought a NUL byte")
	{
		int p[2];

		CHECK(pipe(p) == 0);
		CHECK(write(p[1], "ab\0cd", 5) == 5);
		/* the write end stays open: without the stop this would block */
		CHECK_INT(mnts_read_fd_max(p[0], 1000, true, &buf, &len), 0);
		CHECK_INT(len, 5);
		CHECK(buf[2] == '\0' && buf[5] == '\0');
		free(buf);
		close(p[0]);
		close(p[1]);
	}
	TEST("a regular file's NUL bytes are read through (its size bounds it)")
	{
		int fd = file_with("ab\0cd", 5);

		CHECK_INT(mnts_read_fd_max(fd, 1000, true, &buf, &len), 0);
		CHECK_INT(len, 5);
		CHECK(buf[3] == 'c');
		free(buf);
		close(fd);
	}
	TEST("a file read from where it stands; an empty one is empty")
	{
		int fd = file_with("0123456789", 10);

		CHECK(lseek(fd, 4, SEEK_SET) == 4);
		CHECK_INT(mnts_read_fd(fd, &buf, &len), 0);
		CHECK_STR(buf, "456789");
		free(buf);
		close(fd);
		fd = file_with("", 0);
		CHECK_INT(mnts_read_fd(fd, &buf, &len), 0);
		CHECK_INT(len, 0);
		CHECK_STR(buf, "");
		free(buf);
		close(fd);
	}
	return tap_done();
}

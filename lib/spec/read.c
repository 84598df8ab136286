/* SPDX-License-Identifier: GPL-2.0-or-later */
/* read.c - a spec file (or standard input) into memory, then parsed. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/core/error.h"
#include "lib/core/macros.h"
#include "lib/core/readfile.h"
#include "lib/spec/spec.h"

int mnts_spec_read(struct mnts_spec *spec, const char *path, struct mnts_error *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *text = NULL;
	bool is_stdin = streq(path, "-");
	size_t len;
	int r;

	*spec = (struct mnts_spec){0};
	if (!is_stdin) {
		/* O_NONBLOCK: a FIFO nobody writes to does not hang the open */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			return mnts_err(err, errno, "cannot read '%s'", path);
		r = fcntl(fd, F_GETFL);
		if (r < 0 || fcntl(fd, F_SETFL, r & ~O_NONBLOCK) < 0)
			return mnts_err(err, errno, "cannot read '%s'", path);
	}
	/* stop_at_nul: a NUL is refused by the parser anyway (with its line
	 * and column), and /dev/zero is not read up to the limit */
	r = mnts_read_fd_max(is_stdin ? STDIN_FILENO : fd, MNTS_SPEC_MAX_SIZE, true, &text, &len);
	if (r == -EFBIG)
		return mnts_err(err, 0, "cannot read '%s': larger than 256 MiB, the most a spec may be",
				path);
	if (r < 0)
		return mnts_err(err, -r, "cannot read '%s'", path);
	return mnts_spec_parse(spec, path, text, len, err);
}

/* readfile.h - whole-file reads into memory (mountinfo text, snapshots). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Reads fd to its end into a NUL-terminated buffer (the caller frees it).
 * Returns: 0 or -errno. */
int mnts_read_fd(int fd, char **ret, size_t *ret_len);

/* The same, for input that may be hostile: more than max bytes is -EFBIG
 * (checked before reading when fd is a regular file); with stop_at_nul,
 * reading stops after the first read that brought a NUL byte (text that
 * has one is refused by its parser anyway, and /dev/zero would otherwise
 * be read up to max).  A regular file is read into a buffer of its size,
 * in one read(2) where the kernel allows: no growing and copying.  (Not
 * mapped: a mapped file truncated while it is read kills the process with
 * SIGBUS.  The copy costs about 13 ms for 30 MB here.)  Returns: 0 or -errno. */
int mnts_read_fd_max(int fd, size_t max, bool stop_at_nul, char **ret, size_t *ret_len);

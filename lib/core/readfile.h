/* readfile.h - whole-file reads into memory (mountinfo text, snapshots). */
#pragma once

#include <stddef.h>

/* Reads fd to its end into a NUL-terminated buffer (the caller frees it).
 * Returns: 0 or -errno. */
int mnts_read_fd(int fd, char **ret, size_t *ret_len);

/* nschild.h - work done from inside another mount namespace.
 *
 * Some namespaces can only be read from inside (no process to read
 * /proc/PID/mountinfo from; listmount by id refused when the namespace's root
 * mount is older than the namespace).  setns(CLONE_NEWNS) changes the
 * caller's root and cwd and is refused in a multi-threaded process, so the
 * work runs in a forked child and its output comes back through a memfd.
 */
#pragma once

#include <stddef.h>

#include "lib/core/error.h"

/* Forks, enters the mount namespace nsfd in the child and runs
 * fn(out_fd, data) there; fn writes its result to out_fd and returns 0 or a
 * positive errno.  On success *ret holds the bytes written (NUL-terminated,
 * owned by the caller) and *ret_len their count.  what names the work in
 * errors.  Returns: 0 or -errno. */
int mnts_ns_child_collect(int nsfd, int (*fn)(int out_fd, void *data), void *data,
			  const char *what, char **ret, size_t *ret_len, struct mnts_error *err);

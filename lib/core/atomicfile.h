/* atomicfile.h - output that either fully replaces a file or leaves it alone.
 *
 * Scripts read what mntsnap writes while it writes it, and a full disk or a
 * crash must not leave half a snapshot under the final name: the content goes
 * to an unnamed file in the same directory (O_TMPFILE), is fsync'ed, then
 * linked under the final name (or renamed over it).  Where the filesystem
 * has no O_TMPFILE a named ".NAME.mntsnap-tmp-PID-N" is used instead, and
 * the next write into that directory removes those whose process is gone
 * (a SIGKILL cannot be cleaned up after).
 */
#pragma once

#include <stdio.h>

#include "lib/core/error.h"

/* Writes what emit() writes to path, or to stdout when path is NULL or
 * "-".  An existing device, FIFO or socket (/dev/null, a pipe) is written
 * in place, never replaced.  emit returns 0 or -errno (filling err itself); its errors are
 * returned as they are, write errors as "cannot write 'PATH'".
 * Returns: 0 or -errno. */
int mnts_write_atomic(const char *path, int (*emit)(FILE *f, void *data, struct mnts_error *err),
		      void *data, struct mnts_error *err);

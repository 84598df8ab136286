/* fsctx.h - the messages the kernel leaves on a filesystem context (an
 * fsopen() fd): why fsconfig() refused an option, in the filesystem's own
 * words ("tmpfs: Bad value for 'size'"). */
#pragma once

#include <stddef.h>

/* Reads every message pending on the fs context fsfd into buf ("" when
 * none), oldest first, joined by "; ".  The kernel starts each with its
 * level ("e ", "w ", "i "): errors lose the prefix; warnings and notes read
 * "warning: ..." and "info: ...".  Reading consumes them. */
void mnts_fsctx_message(int fsfd, char *buf, size_t size);

/* A new empty tmpfs, detached (fsopen, create, fsmount): tmpfs always gets a
 * superblock of its own, with no options, nothing shared.  Returns: its
 * mount fd (O_CLOEXEC), or -errno. */
int mnts_tmpfs_detached(void);

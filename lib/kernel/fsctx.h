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

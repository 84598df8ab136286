/* log.h - the only output lib/ may produce: warnings and debug lines on
 * stderr, governed by -q/-v.  Errors are never printed here (see error.h).
 * Each line is escaped with mnts_escape(): a newline in a mountpoint cannot
 * split it. */
#pragma once

#include "lib/core/macros.h"

extern int mnts_verbosity; /* -1 quiet, 0 default, 1.. -v count */
/* The running command ("capture"), named by warnings; NULL before one runs. */
extern const char *mnts_log_command;

/* When set, also given every warning's message (unescaped, even under -q):
 * how `replay -n --json` lists them. */
extern void (*mnts_warn_hook)(const char *msg);

/* "mntsnap: <command>: warning: ...", unless -q. */
void mnts_warn(const char *fmt, ...) _printf_(1, 2);
/* While on, a warning said before is not said again (replay planning
 * again what it planned once says the same things); off forgets them. */
void mnts_warn_once(bool on);
/* "mntsnap: ...", only with -v (level 1) or -vv (level 2). */
void mnts_debug(int level, const char *fmt, ...) _printf_(2, 3);

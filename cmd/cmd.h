/* cmd.h - subcommand entry points and what they share.
 *
 * Each cmd_<name>() parses its own options with argp (argv[0] is
 * "mntsnap <name>"), does its job through lib/, prints its one error message
 * with mnts_err_print() and returns the process exit status:
 *   MNTS_EXIT_OK 0, MNTS_EXIT_DIFFER 1 (diff found differences / replay
 *   verification mismatch), MNTS_EXIT_TROUBLE 2 (any error, usage included),
 *   MNTS_EXIT_UNVERIFIED 3 (replay kept, its verification could not run).
 */
#pragma once

#define MNTS_EXIT_OK 0
#define MNTS_EXIT_DIFFER 1
#define MNTS_EXIT_TROUBLE 2
#define MNTS_EXIT_UNVERIFIED 3 /* replay: replayed (and kept), verification could not run */

#include <stdbool.h>

#include "lib/core/macros.h"
#include "lib/version.h"

struct argp_state;
struct argp_child;

/* The options every command shares, as an argp child (put it in the
 * command's struct argp): -q/--quiet (nothing but errors on stdout and
 * stderr, as the global -q) and a hidden -h (--help: argp gives the command
 * --help and -? only). */
extern const struct argp_child mnts_common_children[];

/* true under -q (global or the command's): print nothing but errors. */
bool mnts_quiet(void);

/* argp_error() with the message escaped (lib/core/error.h): an argument may
 * hold a newline, and a usage error is one line like every error.  Exits
 * (argp_err_exit_status) unless argp was told not to. */
void mnts_usage_error(struct argp_state *state, const char *fmt, ...) _printf_(2, 3);

int cmd_capture(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_check(int argc, char **argv);

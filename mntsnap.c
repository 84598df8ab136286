/* mntsnap.c - main: global options, the command table, exit status.
 *
 * Global options come before the command word (argp stops there with
 * ARGP_IN_ORDER); each command parses the rest with its own argp.
 */
#include <argp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "lib/core/error.h"
#include "lib/core/log.h"
#include "lib/core/macros.h"
#include "lib/core/model.h"

struct mnts_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct mnts_cmd cmds[] = {
	{ "capture", cmd_capture, "write a JSON snapshot of mount namespaces" },
	{ "replay", cmd_replay, "recreate a snapshot's mount namespaces" },
	{ "diff", cmd_diff, "compare two mount layouts modulo renumbering" },
	{ "check", cmd_check, "check a mount layout against a spec" },
};

static void print_version(FILE *f, struct argp_state *state _unused_)
{
	fprintf(f, "mntsnap %s\nsnapshot format %d\n", MNTSNAP_VERSION, MNTS_FORMAT_VERSION);
}
void (*argp_program_version_hook)(FILE *, struct argp_state *) = print_version;

static const char doc[] =
	"Snapshot, replay and compare Linux mount namespaces, propagation included.\n\n"
	"Commands:\n"
	"  capture   write a JSON snapshot of mount namespaces\n"
	"  replay    recreate a snapshot's mount namespaces\n"
	"  diff      compare two mount layouts modulo renumbering\n"
	"  check     check a mount layout against a spec\n\n"
	"Run 'mntsnap COMMAND --help' for a command's options."
	"\vExit status: 0 success (diff: same; check: met), 1 diff found differences, check "
	"found unmet expectations, or replay's verification failed, 2 trouble.";

/* -q and -h: the options every command has (cmd/usage.c) */
static const struct argp_option options[] = {
	{ "verbose", 'v', NULL, 0, "Explain what is done on stderr (repeat for more)", 0 },
	{ 0 }
};

static error_t parse_opt(int key, char *arg _unused_, struct argp_state *state)
{
	switch (key) {
	case 'v':
		if (mnts_verbosity >= 0)
			mnts_verbosity++;
		break;
	case ARGP_KEY_ARG:
		/* the command word: stop here, the command parses the rest */
		return ARGP_ERR_UNKNOWN;
	case ARGP_KEY_NO_ARGS:
		argp_error(state, "no command given");
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp argp = { options, parse_opt, "COMMAND [OPTION...]", doc,
				  mnts_common_children, NULL, NULL };

/* capture holds one fd per mount namespace while it reads them: raise the
 * soft limit on open files to the hard one (as systemd and Go do), so that a
 * host with more than 1,024 namespaces is captured whole.  Nothing is
 * exec()ed, so nothing else inherits the higher limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* A write error on stdout (full disk) is trouble, reported here unless the
 * command failed already: it has printed its one error, which is often this
 * very write failure (its own flush found it). */
static int check_stdout(const char *cmd, int rc)
{
	struct mnts_error err = {0};

	errno = 0;
	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	if (rc != MNTS_EXIT_TROUBLE) {
		mnts_err(&err, errno, "write failure on standard output");
		mnts_err_print(cmd, &err);
	}
	return MNTS_EXIT_TROUBLE;
}

int main(int argc, char **argv)
{
	int idx = 0, rc;

	argp_err_exit_status = MNTS_EXIT_TROUBLE;
	raise_fd_limit();
	/* snapshots are megabytes: write them in large blocks unless a person
	 * is watching */
	if (!isatty(STDOUT_FILENO))
		setvbuf(stdout, NULL, _IOFBF, 1 << 18);
	argv[0] = (char *)"mntsnap"; /* messages say "mntsnap:", whatever the path */
	if (argp_parse(&argp, argc, argv, ARGP_IN_ORDER, &idx, NULL) != 0)
		return MNTS_EXIT_TROUBLE;
	if (idx >= argc) {
		fprintf(stderr, "mntsnap: no command given\nTry 'mntsnap --help' for more information.\n");
		return MNTS_EXIT_TROUBLE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (!streq(argv[idx], cmds[i].name))
			continue;
		_cleanup_free_ char *name = xasprintf("mntsnap %s", cmds[i].name);
		argv[idx] = name;
		mnts_log_command = cmds[i].name;
		rc = cmds[i].fn(argc - idx, argv + idx);
		return check_stdout(cmds[i].name, rc);
	}
	{
		_cleanup_free_ char *word = mnts_escape_dup(argv[idx]);

		fprintf(stderr,
			"mntsnap: '%s' is not a mntsnap command\n"
			"Try 'mntsnap --help' for more information.\n",
			word);
	}
	return MNTS_EXIT_TROUBLE;
}

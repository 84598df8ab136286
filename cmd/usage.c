/* usage.c - see cmd.h */
#include <argp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cmd/cmd.h"
#include "lib/core/error.h"
#include "lib/core/log.h"
#include "lib/core/macros.h"

void mnts_usage_error(struct argp_state *state, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL, *line = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	line = mnts_escape_dup(msg ? msg : fmt);
	argp_error(state, "%s", line);
}

static const struct argp_option common_options[] = {
    {"quiet", 'q', NULL, 0, "Print nothing but errors; the exit status still tells", 0},
    {NULL, 'h', NULL, OPTION_HIDDEN, "Give this help list", -1},
    {0}};

static error_t parse_common(int key, char *arg _unused_, struct argp_state *state)
{
	switch (key) {
	case 'q':
		mnts_verbosity = -1;
		break;
	case 'h':
		/* the command's whole help (state->root_argp), as --help */
		argp_state_help(state, stdout, ARGP_HELP_STD_HELP);
		break;
	default:
		return ARGP_ERR_UNKNOWN;
	}
	return 0;
}

static const struct argp common_argp = {common_options, parse_common, NULL, NULL, NULL, NULL, NULL};

const struct argp_child mnts_common_children[] = {{&common_argp, 0, NULL, 0}, {0}};

bool mnts_quiet(void)
{
	return mnts_verbosity < 0;
}

/* diff.c - placeholder until the diff command lands */
#include <stdio.h>

#include "cmd/cmd.h"

int cmd_diff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("mntsnap: diff: not implemented yet\n", stderr);
	return MNTS_EXIT_TROUBLE;
}

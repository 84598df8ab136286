/* replay.c - placeholder until the replay command lands */
#include <stdio.h>

#include "cmd/cmd.h"

int cmd_replay(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("mntsnap: replay: not implemented yet\n", stderr);
	return MNTS_EXIT_TROUBLE;
}

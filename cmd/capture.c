/* capture.c - placeholder until the capture command lands */
#include <stdio.h>

#include "cmd/cmd.h"

int cmd_capture(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs("mntsnap: capture: not implemented yet\n", stderr);
	return MNTS_EXIT_TROUBLE;
}

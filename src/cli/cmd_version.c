/* stele version: print the program version. */
#include "cli/cli.h"

#include <stdio.h>

int cmd_version(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		puts("usage: stele version\n\nPrint the stele version.");
		return CLI_OK;
	}
	printf("stele %s\n", STELE_VERSION);
	return CLI_OK;
}

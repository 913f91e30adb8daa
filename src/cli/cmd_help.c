/* stele help [COMMAND]: list the commands or show one command's help. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static void help_list(void)
{
	int w = 0;

	puts("usage: stele <command> [options] [args]\n");
	puts("stele is a registry and governance layer for ML models.\n");
	/* One column, as wide as the longest name. */
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		if ((int)strlen(c->name) > w)
			w = (int)strlen(c->name);
	puts("Commands:");
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		printf("   %-*s  %s\n", w, c->name, c->summary);
	puts("\nRun 'stele <command> --help' for one command's options.");
}

int cmd_help(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help_list();
		return CLI_OK;
	}
	for (const struct cli_cmd *c = cli_commands; c->name; c++) {
		static char opt_help[] = "--help";
		char *sub_argv[] = { argv[1], opt_help, NULL };

		if (!strcmp(c->name, argv[1]))
			return c->run(2, sub_argv);
	}
	fprintf(stderr, "stele help: no such command '%s'\n", argv[1]);
	return CLI_USAGE;
}

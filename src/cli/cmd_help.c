/* stele help [COMMAND]: list the commands or show one command's help. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static void help_list(FILE *f)
{
	int w = 0;

	fputs("usage: stele <command> [options] [args]\n\n", f);
	fputs("stele is a registry and governance layer for ML models.\n\n",
	      f);
	/* One column, as wide as the longest name. */
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		if ((int)strlen(c->name) > w)
			w = (int)strlen(c->name);
	fputs("Commands:\n", f);
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		fprintf(f, "   %-*s  %s\n", w, c->name, c->summary);
	fputs("\nRun 'stele <command> --help' for one command's options.\n",
	      f);
}

int cli_usage_list(void)
{
	help_list(stderr);
	return CLI_USAGE;
}

int cmd_help(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		help_list(stdout);
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

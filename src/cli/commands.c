/* The single table of subcommands, in the order `stele help` lists them. */
#include "cli/cli.h"

#include <stddef.h>

const struct cli_cmd cli_commands[] = {
	{ "help", cmd_help, "show the commands or one command's help" },
	{ "version", cmd_version, "print the version" },
	{ "vulndb", cmd_vulndb,
	  "import OSV advisories, show what is loaded" },
	{ "vulns", cmd_vulns,
	  "list advisories, check a directory's dependencies" },
	{ NULL, NULL, NULL },
};

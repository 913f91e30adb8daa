/* The single table of subcommands, in the order `stele help` lists them. */
#include "cli/cli.h"

#include <stddef.h>

const struct cli_cmd cli_commands[] = {
	{ "audit", cmd_audit, "list, export and verify the audit log" },
	{ "help", cmd_help, "show the commands or one command's help" },
	{ "version", cmd_version, "print the version" },
	{ "init", cmd_init, "write a Kitfile for a model directory" },
	{ NULL, NULL, NULL },
};

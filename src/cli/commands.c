/* The single table of subcommands, in the order `stele help` lists them. */
#include "cli/cli.h"

#include <stddef.h>

const struct cli_cmd cli_commands[] = {
	{ "help", cmd_help, "show the commands or one command's help" },
	{ "version", cmd_version, "print the version" },
	{ "login", cmd_login, "store credentials for a registry" },
	{ "logout", cmd_logout, "forget the credentials of a registry" },
	{ "push", cmd_push, "upload a ModelKit to a registry" },
	{ "pull", cmd_pull, "download a ModelKit from a registry" },
	{ NULL, NULL, NULL },
};

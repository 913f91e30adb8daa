/* The single table of subcommands, in the order `stele help` lists them. */
#include "cli/cli.h"

#include <stddef.h>

const struct cli_cmd cli_commands[] = {
	{ "help", cmd_help, "show the commands or one command's help" },
	{ "version", cmd_version, "print the version" },
	{ "init", cmd_init, "write a Kitfile for a model directory" },
	{ "pack", cmd_pack, "build a ModelKit from a directory" },
	{ "unpack", cmd_unpack, "extract a ModelKit into a directory" },
	{ "list", cmd_list, "list the ModelKits in the local store" },
	{ "inspect", cmd_inspect, "show a ModelKit's manifest and config" },
	{ "tag", cmd_tag, "give a stored ModelKit another reference" },
	{ "rm", cmd_rm, "remove references from the local store" },
	{ "login", cmd_login, "store credentials for a registry" },
	{ "logout", cmd_logout, "forget the credentials of a registry" },
	{ "push", cmd_push, "upload a ModelKit to a registry" },
	{ "pull", cmd_pull, "download a ModelKit from a registry" },
	{ NULL, NULL, NULL },
};

/* Entry point: dispatch argv[1] through the command table. */
#include "cli/cli.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cli_fail(const char *cmd, int code)
{
	const char *msg = err_msg();

	fprintf(stderr, "stele %s: %s\n", cmd, *msg ? msg : err_name(code));
	return CLI_FAIL;
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "stele %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'stele %s --help'.\n", cmd);
	return CLI_USAGE;
}

bool cli_wants_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			return false;
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return true;
	}
	return false;
}

static const struct cli_cmd *cli_find(const char *name)
{
	for (const struct cli_cmd *c = cli_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

int main(int argc, char **argv)
{
	static char name_help[] = "help", name_version[] = "version";
	char *help_argv[] = { name_help, NULL };
	char *version_argv[] = { name_version, NULL };
	const struct cli_cmd *cmd;

	/* No command is a usage error, as for git: usage on stderr, 2. */
	if (argc < 2)
		return cli_usage_list();
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return cmd_help(1, help_argv);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(1, version_argv);

	cmd = cli_find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "stele: '%s' is not a stele command. "
			"See 'stele help'.\n", argv[1]);
		return CLI_USAGE;
	}
	return cmd->run(argc - 1, argv + 1);
}

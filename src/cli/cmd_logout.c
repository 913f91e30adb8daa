/* stele logout: forget the stored credentials of a registry. */
#include "cli/cli.h"
#include "client/connect.h"
#include "client/creds.h"
#include "util/err.h"

#include <stdio.h>

int cmd_logout(int argc, char **argv)
{
	char host[300];
	int rc;

	if (cli_wants_help(argc, argv)) {
		puts("usage: stele logout REGISTRY\n\n"
		     "Remove REGISTRY's credentials from Docker's "
		     "config.json.");
		return CLI_OK;
	}
	if (argc != 2 || argv[1][0] == '-')
		return cli_usage_error("logout", "expected one REGISTRY");
	rc = regclient_host_arg(argv[1], host, sizeof(host));
	if (!rc)
		rc = creds_erase(host);
	if (rc)
		return cli_fail("logout", rc);
	printf("Removing login credentials for %s\n", host);
	return CLI_OK;
}

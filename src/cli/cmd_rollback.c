/* stele rollback: move an environment back, through the same policy. */
#include "cli/cli.h"
#include "cli/gov_common.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>

static const char rollback_usage[] =
	"usage: stele rollback REPO --env ENV [--to REF] --reason TEXT\n"
	"                      [--break-glass] [--format json]\n"
	"\n"
	"Move ENV of REPO back to the version it ran before (or to the one\n"
	"--to names), through ENV's policy, recorded and attested like a\n"
	"promotion. --break-glass lets an admin override a failing policy;\n"
	"it requires a reason and is flagged in the history and the audit\n"
	"log. It moves the environment's tag only: the storage initializer\n"
	"still verifies the signature, the scan and the promotion, and\n"
	"refuses a version that fails them.\n"
	"\n"
	"  --env ENV        environment to roll back\n"
	"  --to REF         tag or digest to return to (default: previous)\n"
	"  --reason TEXT    why\n"
	"  --break-glass    admins: override a failing policy\n"
	"  --format FMT     text (default) or json\n";

int cli_gov_move(const char *cmd, const struct oci_ref *ref,
		 const char *endpoint, json_t *body, int json);

int cmd_rollback(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "to", required_argument, NULL, 't' },
		{ "reason", required_argument, NULL, 'm' },
		{ "break-glass", no_argument, NULL, 'b' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = NULL, *to = NULL, *reason = NULL;
	struct oci_ref ref;
	json_t *body;
	int c, json = 0, rc, bg = 0;

	if (cli_wants_help(argc, argv)) {
		fputs(rollback_usage, stdout);
		return CLI_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "e:t:m:bf:", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'e': env = optarg; break;
		case 't': to = optarg; break;
		case 'm': reason = optarg; break;
		case 'b': bg = 1; break;
		case 'f': json = gov_cli_format(optarg); break;
		default: return cli_usage_error("rollback", "unknown option");
		}
	}
	if (json < 0)
		return cli_usage_error("rollback", "--format is text or json");
	if (optind + 1 != argc || !env || !reason)
		return cli_usage_error("rollback", "expected REPO, --env and "
				       "--reason");
	rc = gov_cli_ref(argv[optind], false, &ref);
	if (rc)
		return cli_fail("rollback", rc);
	body = json_pack("{s:s,s:s,s:s,s:b}", "repo", ref.repo,
			 "environment", env, "reason", reason,
			 "break_glass", bg);
	if (to)
		json_object_set_new(body, "reference", json_string(to));
	rc = cli_gov_move("rollback", &ref, "/api/v1/rollbacks", body, json);
	json_decref(body);
	return rc;
}

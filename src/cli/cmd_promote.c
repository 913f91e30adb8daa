/* stele promote: move an environment to a version through its policy. */
#include "cli/cli.h"
#include "cli/gov_common.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>

static const char promote_usage[] =
	"usage: stele promote REF --env ENV --reason TEXT [--format json]\n"
	"\n"
	"Ask the registry to point environment ENV at the version REF names.\n"
	"The registry evaluates ENV's policy (signature, scan, findings,\n"
	"approvals, promotion order, data classes, waivers) and, only when\n"
	"every rule passes, moves the ENV tag, records the promotion in the\n"
	"history and the audit log, and signs a promotion attestation that\n"
	"the KServe storage initializer requires. A refusal prints the\n"
	"policy's explanation and exits 1.\n"
	"\n"
	"  --env ENV        environment to promote to\n"
	"  --reason TEXT    why (kept in the history and the audit log)\n"
	"  --format FMT     text (default) or json\n";

int cli_gov_move(const char *cmd, const struct oci_ref *ref,
		 const char *endpoint, json_t *body, int json);

/* Shared with rollback: POST body, print the outcome. */
int cli_gov_move(const char *cmd, const struct oci_ref *ref,
		 const char *endpoint, json_t *body, int json)
{
	json_t *out = NULL;
	int rc = gov_cli_call(ref, "POST", endpoint, body, &out);

	if (json && out)
		gov_cli_print_json(out);
	if (!rc && !json)
		printf("%s: %s %s@%s%s%s (attestation %s)\n",
		       json_string_value(json_object_get(out, "environment")),
		       cmd, ref->repo,
		       json_string_value(json_object_get(out, "digest")),
		       json_string_value(json_object_get(out, "version")) ?
		       " " : "",
		       gov_cli_str(out, "version", ""),
		       gov_cli_str(out, "attestation", "none"));
	if (!rc && json_is_true(json_object_get(out, "break_glass")))
		fprintf(stderr, "stele %s: BREAK-GLASS: the policy was "
			"overridden; this is flagged in the history and the "
			"audit log\nstele %s: warning: break-glass moves the "
			"tag only; the storage initializer still verifies "
			"the signature, the scan and the promotion, and "
			"refuses a version that fails them\n", cmd, cmd);
	json_decref(out);
	return rc ? cli_fail(cmd, rc) : CLI_OK;
}

int cmd_promote(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "reason", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = NULL, *reason = NULL;
	struct oci_ref ref;
	json_t *body;
	int c, json = 0, rc;

	if (cli_wants_help(argc, argv)) {
		fputs(promote_usage, stdout);
		return CLI_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "e:m:f:", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': env = optarg; break;
		case 'm': reason = optarg; break;
		case 'f': json = gov_cli_format(optarg); break;
		default: return cli_usage_error("promote", "unknown option");
		}
	}
	if (json < 0)
		return cli_usage_error("promote", "--format is text or json");
	if (optind + 1 != argc || !env || !reason)
		return cli_usage_error("promote", "expected REF, --env and "
				       "--reason");
	rc = gov_cli_ref(argv[optind], true, &ref);
	if (rc)
		return cli_fail("promote", rc);
	body = json_pack("{s:s,s:s,s:s,s:s}", "repo", ref.repo, "reference",
			 gov_cli_reference(&ref), "environment", env,
			 "reason", reason);
	rc = cli_gov_move("promote", &ref, "/api/v1/promotions", body, json);
	json_decref(body);
	return rc;
}

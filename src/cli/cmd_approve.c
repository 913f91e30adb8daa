/* stele approve: approve a version for an environment, or revoke. */
#include "cli/cli.h"
#include "cli/gov_common.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static const char approve_usage[] =
	"usage: stele approve REF --env ENV [--comment TEXT] [--format json]\n"
	"       stele approve REPO --revoke ID\n"
	"\n"
	"Approve the version REF names (its digest, not the tag) for ENV.\n"
	"The registry stores the approval, signs it as an approval\n"
	"attestation and attaches it to the version. An approval counts only\n"
	"for that digest and that environment, and only while it is not\n"
	"revoked. --revoke ID withdraws approval ID of REPO (its approver or\n"
	"an admin).\n"
	"\n"
	"  --env ENV        environment the approval is for\n"
	"  --comment TEXT   why (kept in the approval and the audit log)\n"
	"  --revoke ID      revoke approval ID instead\n"
	"  --format FMT     text (default) or json\n";

static int approve_revoke(const char *text, const char *id)
{
	struct buf path = BUF_INIT(8192);
	struct oci_ref ref;
	json_t *out = NULL;
	int rc = gov_cli_ref(text, false, &ref);

	if (!rc)
		rc = buf_puts(&path, "/api/v1/approvals");
	if (!rc)
		rc = gov_cli_query(&path, "repo", ref.repo);
	if (!rc)
		rc = gov_cli_query(&path, "id", id);
	if (!rc)
		rc = gov_cli_call(&ref, "DELETE", buf_cstr(&path), NULL, &out);
	if (!rc)
		printf("revoked approval %s of %s\n", id, ref.repo);
	json_decref(out);
	buf_release(&path);
	return rc ? cli_fail("approve", rc) : CLI_OK;
}

static int approve_give(const char *text, const char *env,
			const char *comment, int json)
{
	struct oci_ref ref;
	json_t *body = NULL, *out = NULL;
	int rc = gov_cli_ref(text, true, &ref);

	if (!rc) {
		body = json_pack("{s:s,s:s,s:s}", "repo", ref.repo,
				 "reference", gov_cli_reference(&ref),
				 "environment", env);
		if (comment)
			json_object_set_new(body, "comment",
					    json_string(comment));
		rc = gov_cli_call(&ref, "POST", "/api/v1/approvals", body,
				  &out);
	}
	if (!rc && json)
		gov_cli_print_json(out);
	else if (!rc)
		printf("approved %s@%s for %s (approval id %lld, attestation "
		       "%s)\n", ref.repo,
		       json_string_value(json_object_get(out, "digest")), env,
		       (long long)json_integer_value(json_object_get(out,
		       "id")), gov_cli_str(out, "attestation", "none"));
	json_decref(body);
	json_decref(out);
	return rc ? cli_fail("approve", rc) : CLI_OK;
}

int cmd_approve(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "comment", required_argument, NULL, 'm' },
		{ "revoke", required_argument, NULL, 'r' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = NULL, *comment = NULL, *revoke = NULL;
	int c, json = 0;

	if (cli_wants_help(argc, argv)) {
		fputs(approve_usage, stdout);
		return CLI_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "e:m:r:f:", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'e': env = optarg; break;
		case 'm': comment = optarg; break;
		case 'r': revoke = optarg; break;
		case 'f': json = gov_cli_format(optarg); break;
		default: return cli_usage_error("approve", "unknown option");
		}
	}
	if (json < 0)
		return cli_usage_error("approve", "--format is text or json");
	if (optind + 1 != argc)
		return cli_usage_error("approve", "expected one REF");
	if (revoke)
		return approve_revoke(argv[optind], revoke);
	if (!env)
		return cli_usage_error("approve", "--env is required");
	return approve_give(argv[optind], env, comment, json);
}

/* stele waive: accept one advisory or rule for a while, with a reason. */
#include "cli/cli.h"
#include "cli/gov_common.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>

static const char waive_usage[] =
	"usage: stele waive ID --repo REPO [--digest D] --until DATE\n"
	"                   --reason TEXT [--format json]\n"
	"\n"
	"Record a waiver (admins): findings with advisory or rule ID (or an\n"
	"alias such as a CVE id) stop failing the policy for REPO (or only\n"
	"for digest D) until DATE (YYYY-MM-DD, end of that day UTC, or\n"
	"YYYY-MM-DDTHH:MM:SSZ). Expired waivers stop counting by themselves.\n"
	"\n"
	"  --repo REPO      [host/]repository\n"
	"  --digest D       only this version\n"
	"  --until DATE     expiry\n"
	"  --reason TEXT    why the risk is accepted\n"
	"  --format FMT     text (default) or json\n";

int cmd_waive(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "digest", required_argument, NULL, 'd' },
		{ "until", required_argument, NULL, 'u' },
		{ "reason", required_argument, NULL, 'm' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *repo = NULL, *digest = NULL, *until = NULL;
	const char *reason = NULL;
	struct oci_ref ref;
	json_t *body = NULL, *out = NULL;
	int c, json = 0, rc;

	if (cli_wants_help(argc, argv)) {
		fputs(waive_usage, stdout);
		return CLI_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "r:d:u:m:f:", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'r': repo = optarg; break;
		case 'd': digest = optarg; break;
		case 'u': until = optarg; break;
		case 'm': reason = optarg; break;
		case 'f': json = gov_cli_format(optarg); break;
		default: return cli_usage_error("waive", "unknown option");
		}
	}
	if (json < 0)
		return cli_usage_error("waive", "--format is text or json");
	if (optind + 1 != argc || !repo || !until || !reason)
		return cli_usage_error("waive", "expected ID, --repo, --until "
				       "and --reason");
	rc = gov_cli_ref(repo, false, &ref);
	if (!rc) {
		body = json_pack("{s:s,s:s,s:s,s:s}", "repo", ref.repo, "id",
				 argv[optind], "until", until, "reason",
				 reason);
		if (digest)
			json_object_set_new(body, "digest",
					    json_string(digest));
		rc = gov_cli_call(&ref, "POST", "/api/v1/waivers", body, &out);
	}
	if (!rc && json)
		gov_cli_print_json(out);
	else if (!rc)
		printf("waiver %lld: '%s' in %s%s%s until %s\n",
		       (long long)json_integer_value(json_object_get(out,
		       "id")), argv[optind], ref.repo, digest ? "@" : "",
		       digest ? digest : "", until);
	json_decref(body);
	json_decref(out);
	return rc ? cli_fail("waive", rc) : CLI_OK;
}

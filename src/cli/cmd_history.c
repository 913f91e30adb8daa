/* stele history: the promotions and rollbacks of a repository. */
#include "cli/cli.h"
#include "cli/gov_common.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>

static const char history_usage[] =
	"usage: stele history REPO [--env ENV] [--format json]\n"
	"\n"
	"Every promotion and rollback of REPO (or of one environment),\n"
	"newest first: time, environment, action, version, digest, actor and\n"
	"reason. Break-glass rollbacks are marked BREAK-GLASS.\n"
	"\n"
	"  --env ENV        only this environment\n"
	"  --format FMT     text (default) or json\n";

static void history_print(json_t *list)
{
	json_t *e;
	size_t i;

	json_array_foreach(list, i, e) {
		const char *v = json_string_value(json_object_get(e,
							"version"));

		printf("%s %-8s %-8s %-10s %s %s%s \"%s\"\n",
		       json_string_value(json_object_get(e, "time")),
		       json_string_value(json_object_get(e, "environment")),
		       json_string_value(json_object_get(e, "action")),
		       v ? v : "-",
		       json_string_value(json_object_get(e, "digest")),
		       json_string_value(json_object_get(e, "actor")),
		       json_is_true(json_object_get(e, "break_glass")) ?
		       " BREAK-GLASS" : "",
		       gov_cli_str(e, "reason", ""));
	}
}

int cmd_history(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct buf path = BUF_INIT(8192);
	const char *env = NULL;
	struct oci_ref ref;
	json_t *out = NULL;
	int c, json = 0, rc;

	if (cli_wants_help(argc, argv)) {
		fputs(history_usage, stdout);
		return CLI_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "e:f:", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': env = optarg; break;
		case 'f': json = gov_cli_format(optarg); break;
		default: return cli_usage_error("history", "unknown option");
		}
	}
	if (json < 0)
		return cli_usage_error("history", "--format is text or json");
	if (optind + 1 != argc)
		return cli_usage_error("history", "expected one REPO");
	rc = gov_cli_ref(argv[optind], false, &ref);
	if (!rc)
		rc = buf_puts(&path, "/api/v1/history");
	if (!rc)
		rc = gov_cli_query(&path, "repo", ref.repo);
	if (!rc && env)
		rc = gov_cli_query(&path, "environment", env);
	if (!rc)
		rc = gov_cli_call(&ref, "GET", buf_cstr(&path), NULL, &out);
	if (!rc && json)
		gov_cli_print_json(out);
	else if (!rc)
		history_print(out);
	json_decref(out);
	buf_release(&path);
	return rc ? cli_fail("history", rc) : CLI_OK;
}

/* stele policy: explain an environment's policy for a version, or show
 * the policies. */
#include "cli/cli.h"
#include "cli/gov_common.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char policy_usage[] =
	"usage: stele policy check REF --env ENV [--format json]\n"
	"       stele policy show [REGISTRY] [--format json]\n"
	"\n"
	"check explains every rule of ENV's policy for the version REF names:\n"
	"passed or failed, why, and what would fix it; the same explanation\n"
	"a refused promotion gives. It exits 1 when the policy would refuse.\n"
	"show prints the registry's environments and their rules (REGISTRY\n"
	"defaults to STELE_REGISTRY).\n"
	"\n"
	"  --env ENV        environment to check against\n"
	"  --format FMT     text (default) or json\n";

static int policy_check(const char *text, const char *env, int json)
{
	struct buf path = BUF_INIT(8192);
	struct oci_ref ref;
	json_t *out = NULL;
	int rc = gov_cli_ref(text, true, &ref);

	if (!rc)
		rc = buf_puts(&path, "/api/v1/policy-check");
	if (!rc)
		rc = gov_cli_query(&path, "repo", ref.repo);
	if (!rc)
		rc = gov_cli_query(&path, "reference",
				   gov_cli_reference(&ref));
	if (!rc)
		rc = gov_cli_query(&path, "environment", env);
	if (!rc)
		rc = gov_cli_call(&ref, "GET", buf_cstr(&path), NULL, &out);
	if (!rc && json)
		gov_cli_print_json(out);
	else if (!rc)
		gov_cli_print_decision(out);
	buf_release(&path);
	if (rc) {
		json_decref(out);
		return cli_fail("policy", rc);
	}
	rc = json_is_true(json_object_get(out, "allowed")) ? CLI_OK :
	     CLI_FAIL;
	json_decref(out);
	return rc;
}

/* "a, b" from a JSON array of strings into b. */
static void policy_join(struct buf *b, json_t *arr, const char *sep)
{
	json_t *v;
	size_t i;

	json_array_foreach(arr, i, v) {
		if (i)
			buf_puts(b, sep);
		buf_puts(b, json_string_value(v) ? json_string_value(v) : "?");
	}
}

/* The severity limits: "max severity high", or per kind when they differ. */
static void policy_severity(struct buf *b, json_t *sev)
{
	const char *m = gov_cli_str(sev, "model", NULL);
	const char *d = gov_cli_str(sev, "dependency", NULL);
	const char *l = gov_cli_str(sev, "llm", NULL);
	char line[160];

	if (!m && !d && !l)
		return;
	if (m && d && l && !strcmp(m, d) && !strcmp(m, l))
		snprintf(line, sizeof(line), "; max severity %s", m);
	else
		snprintf(line, sizeof(line), "; max severity: model %s, "
			 "dependency %s, llm %s", m ? m : "any",
			 d ? d : "any", l ? l : "any");
	buf_puts(b, line);
}

/* One readable line for an environment's rules. */
static void policy_env_line(json_t *e)
{
	struct buf b = BUF_INIT(4096);
	json_t *ap = json_object_get(e, "approvals");
	json_int_t n = json_integer_value(json_object_get(ap, "count"));
	char num[64];

	buf_puts(&b, json_is_true(json_object_get(e, "signature")) ?
		 "signature required" : "signature optional");
	buf_puts(&b, json_is_true(json_object_get(e, "scan")) ?
		 "; scan required" : "; scan optional");
	policy_severity(&b, json_object_get(e, "max_severity"));
	if (n > 0) {
		snprintf(num, sizeof(num), "; %lld approval%s", (long long)n,
			 n == 1 ? "" : "s");
		buf_puts(&b, num);
		if (json_array_size(json_object_get(ap, "roles"))) {
			buf_puts(&b, " by ");
			policy_join(&b, json_object_get(ap, "roles"), " or ");
		}
		if (json_is_true(json_object_get(ap, "not_publisher")))
			buf_puts(&b, ", not the publisher");
	}
	if (gov_cli_str(e, "from", NULL)) {
		buf_puts(&b, "; only from ");
		buf_puts(&b, gov_cli_str(e, "from", ""));
	}
	if (json_is_array(json_object_get(e, "allow_data"))) {
		buf_puts(&b, "; data classes allowed: ");
		policy_join(&b, json_object_get(e, "allow_data"), ", ");
		if (!json_array_size(json_object_get(e, "allow_data")))
			buf_puts(&b, "none");
	}
	printf("%s: %s\n", gov_cli_str(e, "name", "?"),
	       buf_cstr(&b));
	buf_release(&b);
}

static void policy_print(json_t *j)
{
	json_t *e;
	size_t i;

	printf("policy sha256:%s\n", gov_cli_str(j, "policy_hash", "?"));
	json_array_foreach(json_object_get(j, "environments"), i, e)
		policy_env_line(e);
}

static int policy_show(const char *host, int json)
{
	struct oci_ref ref = { 0 };
	const char *env = getenv("STELE_REGISTRY");
	json_t *out = NULL;
	int rc;

	snprintf(ref.host, sizeof(ref.host), "%s", host ? host :
		 env ? env : "");
	if (!ref.host[0])
		return cli_usage_error("policy", "no REGISTRY and "
				       "STELE_REGISTRY is not set");
	rc = gov_cli_call(&ref, "GET", "/api/v1/policy", NULL, &out);
	if (!rc && json)
		gov_cli_print_json(out);
	else if (!rc)
		policy_print(out);
	json_decref(out);
	return rc ? cli_fail("policy", rc) : CLI_OK;
}

int cmd_policy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "env", required_argument, NULL, 'e' },
		{ "format", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *env = NULL;
	int c, json = 0;

	if (cli_wants_help(argc, argv)) {
		fputs(policy_usage, stdout);
		return CLI_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "e:f:", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': env = optarg; break;
		case 'f': json = gov_cli_format(optarg); break;
		default: return cli_usage_error("policy", "unknown option");
		}
	}
	if (json < 0)
		return cli_usage_error("policy", "--format is text or json");
	if (optind < argc && !strcmp(argv[optind], "show") &&
	    argc - optind <= 2)
		return policy_show(optind + 1 < argc ? argv[optind + 1] :
				   NULL, json);
	if (optind + 2 == argc && !strcmp(argv[optind], "check") && env)
		return policy_check(argv[optind + 1], env, json);
	return cli_usage_error("policy", "expected 'check REF --env ENV' or "
			       "'show'");
}

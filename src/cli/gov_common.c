/* Helpers shared by the governance subcommands. */
#include "cli/gov_common.h"
#include "client/rest.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int gov_cli_ref(const char *text, bool need_ref, struct oci_ref *ref)
{
	const char *env = getenv("STELE_REGISTRY");
	int rc = oci_ref_parse(text, ref);

	if (rc)
		return rc;
	if (!ref->host[0] && env && *env)
		snprintf(ref->host, sizeof(ref->host), "%s", env);
	if (!ref->host[0])
		return err_set(ERR_USAGE, "'%s' names no registry and "
			       "STELE_REGISTRY is not set", text);
	if (need_ref && !ref->tag[0] && !ref->digest[0])
		return err_set(ERR_USAGE, "'%s' needs a tag or a digest",
			       text);
	if (!need_ref && (ref->tag[0] || ref->digest[0]))
		return err_set(ERR_USAGE, "'%s': give a repository without a "
			       "tag or digest", text);
	return 0;
}

const char *gov_cli_reference(const struct oci_ref *ref)
{
	return ref->digest[0] ? ref->digest : ref->tag;
}

static int gov_cli_call_once(const struct oci_ref *ref, const char *method,
			     const char *path, json_t *body, json_t **out)
{
	struct regclient *c = NULL;
	long status;
	int rc;

	*out = NULL;
	rc = rest_open(ref->host, &c);
	if (!rc)
		rc = rest_call(c, method, path, body, &status, out);
	regclient_free(c);
	return rc;
}

/* The environment names of the registry's policy, "a, b", into b. */
static void gov_cli_env_names(const struct oci_ref *ref, struct buf *b)
{
	json_t *pol = NULL, *e;
	size_t i;

	if (!gov_cli_call_once(ref, "GET", "/api/v1/policy", NULL, &pol))
		json_array_foreach(json_object_get(pol, "environments"), i,
				   e)
			buf_printf(b, "%s%s", i ? ", " : "",
				   gov_cli_str(e, "name", "?"));
	json_decref(pol);
}

int gov_cli_call(const struct oci_ref *ref, const char *method,
		 const char *path, json_t *body, json_t **out)
{
	struct buf names = BUF_INIT(4096);
	char msg[512];
	int rc = gov_cli_call_once(ref, method, path, body, out);

	/* An unknown environment: name the ones there are. */
	if (!rc || !strstr(err_msg(), "no environment '"))
		return rc;
	snprintf(msg, sizeof(msg), "%s", err_msg());
	gov_cli_env_names(ref, &names);
	if (names.len)
		err_set(rc, "%s (environments: %s)", msg, buf_cstr(&names));
	else
		err_set(rc, "%s", msg);
	buf_release(&names);
	return rc;
}

int gov_cli_query(struct buf *path, const char *key, const char *value)
{
	int rc = buf_printf(path, "%c%s=", strchr(buf_cstr(path), '?') ?
			    '&' : '?', key);

	if (!rc)
		rc = rest_query_escape(value, path);
	return rc;
}

void gov_cli_print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (s)
		printf("%s\n", s);
	free(s);
}

void gov_cli_print_decision(json_t *j)
{
	json_t *res = json_object_get(j, "results"), *x;
	size_t i;

	printf("%s %s@%s for '%s'\n", json_is_true(json_object_get(j,
	       "allowed")) ? "ALLOWED" : "REFUSED",
	       json_string_value(json_object_get(j, "repo")),
	       json_string_value(json_object_get(j, "digest")),
	       json_string_value(json_object_get(j, "environment")));
	json_array_foreach(res, i, x) {
		const char *fix = json_string_value(json_object_get(x, "fix"));

		printf("  %-4s %-24s %s\n", json_is_true(json_object_get(x,
		       "passed")) ? "ok" : "FAIL",
		       json_string_value(json_object_get(x, "rule")),
		       json_string_value(json_object_get(x, "detail")));
		if (fix && *fix)
			printf("       fix: %s\n", fix);
	}
}

int gov_cli_format(const char *s)
{
	if (!s || !strcmp(s, "text"))
		return 0;
	if (!strcmp(s, "json"))
		return 1;
	return -1;
}

const char *gov_cli_str(json_t *o, const char *key, const char *dflt)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : dflt;
}

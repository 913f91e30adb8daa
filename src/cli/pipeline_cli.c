/* The client side of the pipeline: scan results and vulnerability
 * answers from a registry, and re-evaluation after a server import. */
#include "cli/pipeline_cli.h"
#include "cli/cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "client/connect.h"
#include "client/http.h"
#include "oci/ref.h"
#include "pipeline/pipeline.h"
#include "util/err.h"

#define CLI_API_MAX (64u << 20)    /* bytes of one REST answer */
#define CLI_QUERY_MAX 512

bool cli_scan_is_ref(const char *text)
{
	struct oci_ref ref;
	struct stat st;

	if (!lstat(text, &st))
		return false;
	return !oci_ref_parse(text, &ref) && *ref.host;
}

/* GET path from the registry as JSON; ERR_NOTFOUND on 404. */
static int api_get(struct regclient *c, const char *path, const char *scope,
		   json_t **out)
{
	struct buf body = BUF_INIT(CLI_API_MAX);
	struct rc_req req = { .method = "GET", .url = path, .scope = scope,
			      .accept = "application/json",
			      .body = RC_BODY_NONE, .out = &body,
			      .retry = true, .deadline = rc_deadline(c) };
	struct rc_resp resp;
	json_error_t e;
	int rc;

	*out = NULL;
	rc_resp_init(&resp);
	rc = rc_do(c, &req, &resp);
	if (!rc && (resp.status < 200 || resp.status > 299))
		rc = rc_status_error(c, &resp, path);
	if (!rc) {
		*out = json_loadb(body.data ? body.data : "", body.len,
				  JSON_REJECT_DUPLICATES, &e);
		if (!*out)
			rc = err_set(ERR_INVALID, "%s: bad JSON at line %d: "
				     "%s", path, e.line, e.text);
	}
	rc_resp_release(&resp);
	buf_release(&body);
	return rc;
}

static bool scan_settled(json_t *s)
{
	const char *st = json_string_value(json_object_get(s, "status"));

	return st && (!strcmp(st, "done") || !strcmp(st, "failed"));
}

static int fetch_scan(struct regclient *c, const struct oci_ref *ref,
		      const char *digest, json_t **out)
{
	char path[OCI_REPO_MAX + 128], scope[OCI_REPO_MAX + 32];

	snprintf(path, sizeof(path), "/api/v1/repositories/%s/scans/%s",
		 ref->repo, digest);
	snprintf(scope, sizeof(scope), "repository:%s:pull", ref->repo);
	return api_get(c, path, scope, out);
}

static int wait_scan(struct regclient *c, const struct oci_ref *ref,
		     const char *digest, bool wait, int wait_sec,
		     json_t **out)
{
	time_t end = time(NULL) + wait_sec;
	int rc;

	for (;;) {
		rc = fetch_scan(c, ref, digest, out);
		if (rc || !wait || scan_settled(*out) || time(NULL) >= end)
			return rc;
		json_decref(*out);
		*out = NULL;
		sleep(1);
	}
}

static void print_text(json_t *s)
{
	json_t *counts = json_object_get(s, "counts"), *f;
	const char *verdict = json_string_value(json_object_get(s,
								"verdict"));
	size_t i;

	printf("%s@%s: %s", json_string_value(json_object_get(s,
							      "repository")),
	       json_string_value(json_object_get(s, "digest")),
	       json_string_value(json_object_get(s, "status")));
	if (verdict)
		printf(", verdict %s (critical %lld, high %lld, medium %lld, "
		       "low %lld, info %lld)", verdict,
		       json_integer_value(json_object_get(counts,
							  "critical")),
		       json_integer_value(json_object_get(counts, "high")),
		       json_integer_value(json_object_get(counts, "medium")),
		       json_integer_value(json_object_get(counts, "low")),
		       json_integer_value(json_object_get(counts, "info")));
	if (json_string_value(json_object_get(s, "error")))
		printf(": %s", json_string_value(json_object_get(s,
								 "error")));
	putchar('\n');
	json_array_foreach(json_object_get(s, "findings"), i, f)
		printf("%s %s %s: %s\n",
		       json_string_value(json_object_get(f, "severity")),
		       json_string_value(json_object_get(f, "rule")),
		       json_string_value(json_object_get(f, "path")),
		       json_string_value(json_object_get(f, "message")));
}

/* The exit status of `stele scan` from a stored result. */
static int exit_status(json_t *s, enum scan_severity fail_on)
{
	json_t *counts = json_object_get(s, "counts");

	if (!scan_settled(s) || strcmp(json_string_value(json_object_get(
					       s, "status")), "done"))
		return 2;
	for (int v = (int)fail_on; v <= SCAN_CRITICAL; v++)
		if (json_integer_value(json_object_get(counts,
			scan_severity_name((enum scan_severity)v))) > 0)
			return 1;
	return json_is_true(json_object_get(s, "incomplete")) ? 2 : 0;
}

int cli_scan_remote(const char *text, bool wait, int wait_sec,
		    enum scan_format format, enum scan_severity fail_on)
{
	struct regclient *c = NULL;
	struct oci_ref ref;
	char digest[DIGEST_STR_LEN];
	json_t *s = NULL;
	char *out = NULL;
	int rc = oci_ref_parse(text, &ref);

	if (!rc && format == SCAN_FORMAT_SARIF)
		rc = err_set(ERR_UNSUPPORTED, "SARIF is for local scans; use "
			     "text or json for a registry's result");
	if (!rc)
		rc = regclient_open(ref.host, false, &c);
	if (!rc)
		rc = regclient_resolve(c, ref.repo, *ref.digest ? ref.digest :
				       *ref.tag ? ref.tag : "latest", digest);
	if (!rc)
		rc = wait_scan(c, &ref, digest, wait, wait_sec, &s);
	regclient_free(c);
	if (rc) {
		cli_fail("scan", rc);
		return 2;
	}
	if (format == SCAN_FORMAT_JSON) {
		out = json_dumps(s, JSON_COMPACT);
		puts(out ? out : "{}");
		free(out);
	} else {
		print_text(s);
	}
	rc = exit_status(s, fail_on);
	json_decref(s);
	return rc;
}

static void print_strings(const char *label, json_t *a)
{
	json_t *v;
	size_t i;

	printf("  %s:", label);
	if (!json_array_size(a))
		printf(" -");
	json_array_foreach(a, i, v)
		printf(" %s", json_string_value(v));
	putchar('\n');
}

static void print_affected(json_t *doc)
{
	json_t *a = json_object_get(doc, "affected"), *v, *f;
	size_t i, k;

	if (!json_array_size(a))
		printf("no stored version is affected\n");
	json_array_foreach(a, i, v) {
		printf("%s@%s\n", json_string_value(json_object_get(
			       v, "repository")),
		       json_string_value(json_object_get(v, "digest")));
		print_strings("versions", json_object_get(v, "versions"));
		print_strings("environments",
			      json_object_get(v, "environments"));
		json_array_foreach(json_object_get(v, "findings"), k, f)
			printf("  %s %s %s %s (%s:%lld)\n",
			       json_string_value(json_object_get(f, "id")),
			       json_string_value(json_object_get(f,
								 "severity")),
			       json_string_value(json_object_get(f,
								 "package")),
			       json_string_value(json_object_get(f,
								 "version")),
			       json_string_value(json_object_get(f, "file")),
			       json_integer_value(json_object_get(f,
								  "line")));
	}
}

/* Query values are ids and package names: letters, digits, -_. only. */
static int query_word(const char *s)
{
	if (!*s || strlen(s) > CLI_QUERY_MAX / 2)
		return err_set(ERR_INVALID, "'%s' is not an id or package "
			       "name", s);
	for (const char *p = s; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTU"
			    "VWXYZ0123456789-_.:", *p))
			return err_set(ERR_INVALID, "'%s' is not an id or "
				       "package name", s);
	return 0;
}

int cli_vulns_remote(const char *host, const char *id, const char *package,
		     bool json)
{
	struct regclient *c = NULL;
	char h[OCI_HOST_MAX + 1], path[CLI_QUERY_MAX];
	json_t *doc = NULL;
	char *out;
	int rc = regclient_host_arg(host, h, sizeof(h));

	if (!rc)
		rc = query_word(id ? id : package);
	if (!rc)
		rc = regclient_open(h, false, &c);
	snprintf(path, sizeof(path), "/api/v1/vulnerabilities?%s=%s",
		 id ? "id" : "package", id ? id : package);
	if (!rc)
		rc = api_get(c, path, NULL, &doc);
	regclient_free(c);
	if (rc)
		return cli_fail("vulns", rc);
	if (json) {
		out = json_dumps(doc, JSON_COMPACT);
		puts(out ? out : "{}");
		free(out);
	} else {
		print_affected(doc);
	}
	rc = json_array_size(json_object_get(doc, "affected")) ? 3 : CLI_OK;
	json_decref(doc);
	return rc;
}

int cli_vulndb_reevaluate(const char *data, struct vuln_db *db)
{
	struct pipeline *p = NULL;
	struct pipeline_reeval st;
	struct pipeline_job j;
	char ver[128];
	int64_t id = 0;
	int rc = pipeline_open(data, &p);

	if (!rc)
		rc = pipeline_vulndb_version(db, ver, sizeof(ver));
	if (!rc)
		rc = pipeline_enqueue(p, PIPELINE_REEVAL, "", "", &id);
	if (!rc)
		rc = pipeline_claim_id(p, id, &j);
	if (rc == 0) {
		printf("re-evaluation queued for the server (job %lld)\n",
		       (long long)id);
	} else if (rc == 1) {
		rc = pipeline_reevaluate(p, db, ver, id, &st);
		if (rc)
			pipeline_job_fail(p, &j, err_msg());
		else
			printf("re-evaluated %lld versions (%lld dependencies)"
			       " in %.2fs: %lld changed, %lld newly affected;"
			       " the server signs their new results\n",
			       (long long)st.versions, (long long)st.deps,
			       st.seconds, (long long)st.changed,
			       (long long)st.became_affected);
	}
	pipeline_close(p);
	return rc < 0 ? cli_fail("vulndb import", rc) : CLI_OK;
}

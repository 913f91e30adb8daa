/* The pipeline's REST routes: one version's scan, and which versions a
 * vulnerability affects across the registry (docs/api.md). */
#include "server/http.h"
#include "oci/digest.h"
#include "oci/ref.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define VULNS_ARG_MAX 256

static json_t *counts_json(const int *v, const char *const *names, int n)
{
	json_t *o = json_object();

	for (int i = 0; o && i < n; i++)
		json_object_set_new(o, names[i], json_integer(v[i]));
	return o;
}

static json_t *opt_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *scan_json(const struct pipeline_scan *s)
{
	static const char *const sev[] = { "info", "low", "medium", "high",
					   "critical" };
	static const char *const kind[] = { "model", "dependency", "llm" };
	json_t *findings = s->findings ? json_loads(s->findings, 0, NULL)
		: json_array();
	json_t *o = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:b,s:o,s:o,s:o,"
			      "s:o,s:o,s:o,s:o}",
			      "repository", s->repo, "digest", s->digest,
			      "status", s->status,
			      "verdict", *s->verdict ? json_string(s->verdict)
			      : json_null(),
			      "counts", counts_json(s->severity, sev, 5),
			      "kinds", counts_json(s->kind, kind, 3),
			      "incomplete", s->incomplete,
			      "findings", findings ? findings : json_array(),
			      "advisory_db", opt_str(s->advisory_db),
			      "started", opt_str(s->started),
			      "finished", opt_str(s->finished),
			      "error", opt_str(s->error),
			      "attestation", opt_str(s->attestation),
			      "changed", opt_str(s->changed));
	return o;
}

void route_scan_get(struct req *r)
{
	struct meta *m = r->srv->meta;
	struct pipeline_scan s;
	char digest[DIGEST_STR_LEN];
	json_t *o;
	int rc;

	if (oci_digest_valid(r->ref) && strlen(r->ref) < sizeof(digest)) {
		memcpy(digest, r->ref, strlen(r->ref) + 1);
		rc = 0;
	} else if (oci_tag_valid(r->ref)) {
		rc = m->ops->tag_get(m, r->repo, r->ref, digest);
	} else {
		http_error(r, 400, "DIGEST_INVALID", "not a digest or tag");
		return;
	}
	if (!rc)
		rc = pipeline_scan_evidence(r->srv->pipeline, r->repo, digest,
					    &s);
	if (rc) {
		http_fail(r, rc, "SCAN_UNKNOWN");
		return;
	}
	o = scan_json(&s);
	pipeline_scan_release(&s);
	if (!o) {
		http_error(r, 500, "UNKNOWN", "out of memory");
		return;
	}
	http_json(r, 200, o, "application/json");
	json_decref(o);
}

struct tag_sort {
	const struct server_config *cfg;
	json_t *versions, *environments, *tags;
};

static int sort_tag(void *arg, const char *tag)
{
	struct tag_sort *t = arg;
	json_t *into = policy_is_version(tag) ? t->versions :
		policy_is_environment(t->cfg, tag) ? t->environments :
		t->tags;

	return json_array_append_new(into, json_string(tag)) ? ERR_NOMEM :
		0;
}

/* Keep only versions the caller may pull, with their tags sorted into
 * version tags, environments (deployed now) and other tags. */
static int annotate(struct req *r, json_t *in, json_t *out)
{
	struct srv *s = r->srv;
	json_t *v;
	size_t i;
	int rc = 0;

	json_array_foreach(in, i, v) {
		const char *repo = json_string_value(json_object_get(
			v, "repository"));
		const char *digest = json_string_value(json_object_get(
			v, "digest"));
		struct tag_sort t = { &s->cfg, json_array(), json_array(),
				      json_array() };
		struct meta_manifest mf;

		/* Versions deleted since their scan are not stored now. */
		if (!(authz_user_actions(s, r->who.user, r->who.role, repo) &
		      ACT_PULL) ||
		    s->meta->ops->manifest_get(s->meta, repo, digest, &mf)) {
			json_decref(t.versions);
			json_decref(t.environments);
			json_decref(t.tags);
			continue;
		}
		rc = s->meta->ops->manifest_tags(s->meta, repo, digest,
						 sort_tag, &t);
		json_object_set_new(v, "versions", t.versions);
		json_object_set_new(v, "environments", t.environments);
		json_object_set_new(v, "tags", t.tags);
		if (rc && rc != ERR_NOTFOUND)
			break;
		rc = 0;
		json_array_append(out, v);
	}
	return rc;
}

void route_vulns(struct req *r)
{
	struct pipeline_vulns_filter f = { http_query(r, "id"),
					   http_query(r, "package") };
	json_t *found = json_array(), *out = json_array(), *o = NULL;
	int rc;

	if (!f.id == !f.package) {
		http_error(r, 400, "INVALID", "give one of id= or package=");
		goto out;
	}
	if (strlen(f.id ? f.id : f.package) > VULNS_ARG_MAX) {
		http_error(r, 400, "INVALID", "query too long");
		goto out;
	}
	rc = pipeline_vulns_query(r->srv->pipeline, &f, found);
	if (!rc)
		rc = annotate(r, found, out);
	if (rc) {
		http_fail(r, rc, "INVALID");
		goto out;
	}
	o = json_pack("{s:{s:o,s:o},s:O}", "query", "id", opt_str(f.id),
		      "package", opt_str(f.package), "affected", out);
	if (o)
		http_json(r, 200, o, "application/json");
	else
		http_error(r, 500, "UNKNOWN", "out of memory");
out:
	json_decref(o);
	json_decref(found);
	json_decref(out);
}

/* Routes without a repository: the API version check, the catalog and
 * the token endpoint of the Docker/OCI token flow. */
#include "server/http.h"
#include "server/token.h"
#include "oci/ref.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CATALOG_PAGE_MAX 1000
#define CATALOG_BATCH 200
#define TOKEN_SCOPES_MAX 16

void route_base(struct req *r)
{
	json_t *j = json_object();

	http_json(r, 200, j, "application/json");
	json_decref(j);
}

/* Parse n (absent: the maximum); -1 when it is not a count. */
int route_page_size(struct req *r, int max)
{
	const char *s = http_query(r, "n");
	char *end;
	long long n;

	if (!s)
		return max;
	errno = 0;
	n = strtoll(s, &end, 10);
	if (!*s || *end || n < 0 || s[0] == '-' || s[0] == '+' || errno)
		return -1;
	return n > max ? max : (int)n;
}

struct catalog_walk {
	struct req *r;
	json_t *names;
	int want;
	char last[META_REPO_MAX + 1];
	int seen;
	bool more;
};

/* Catalog entries follow the account's rights, not the repository
 * scopes of the token that asked (it only holds registry:catalog:*). */
static bool catalog_visible(struct req *r, const char *name)
{
	const struct authn *who = &r->who;

	if (!who->authenticated)
		return r->srv->cfg.anonymous_pull;
	return authz_user_actions(r->srv, who->user, who->role, name) &
	       ACT_PULL;
}

static bool token_has_catalog(json_t *access)
{
	size_t i;
	json_t *a;

	json_array_foreach(access, i, a) {
		const char *t = json_string_value(json_object_get(a, "type"));
		const char *n = json_string_value(json_object_get(a, "name"));

		if (t && n && !strcmp(t, "registry") && !strcmp(n, "catalog"))
			return true;
	}
	return false;
}

static int catalog_cb(void *arg, const char *name)
{
	struct catalog_walk *w = arg;

	snprintf(w->last, sizeof(w->last), "%s", name);
	w->seen++;
	if (!catalog_visible(w->r, name))
		return 0;
	if ((int)json_array_size(w->names) >= w->want) {
		w->more = true;
		return 1;
	}
	json_array_append_new(w->names, json_string(name));
	return 0;
}

static void link_header(struct req *r, const char *path, int n,
			const char *last)
{
	char link[META_REPO_MAX * 2 + 128];

	snprintf(link, sizeof(link), "<%s?n=%d&last=%s>; rel=\"next\"", path,
		 n, last);
	http_header(r, "Link", link);
}

void route_catalog(struct req *r)
{
	struct catalog_walk w = { .r = r };
	const char *last = http_query(r, "last");
	int rc = 0;
	json_t *j;

	if (r->who.bearer && !token_has_catalog(r->who.access)) {
		http_challenge(r, "registry:catalog:*", "insufficient_scope");
		return;
	}
	w.want = route_page_size(r, CATALOG_PAGE_MAX);
	if (w.want < 0) {
		http_error(r, 400, "PAGINATION_NUMBER_INVALID", "bad n");
		return;
	}
	snprintf(w.last, sizeof(w.last), "%s", last ? last : "");
	w.names = json_array();
	do {
		w.seen = 0;
		rc = r->srv->meta->ops->repo_list(r->srv->meta, w.last,
						  CATALOG_BATCH, catalog_cb,
						  &w);
	} while (rc == 0 && w.seen == CATALOG_BATCH && !w.more);
	if (rc < 0) {
		json_decref(w.names);
		http_fail(r, rc, "UNKNOWN");
		return;
	}
	j = json_pack("{s:O}", "repositories", w.names);
	http_json(r, 200, j, "application/json");
	json_decref(j);
	if (w.more && json_array_size(w.names))
		link_header(r, "/v2/_catalog", w.want, json_string_value(
			json_array_get(w.names, json_array_size(w.names) - 1)));
	json_decref(w.names);
}

struct scope_list {
	const char *v[TOKEN_SCOPES_MAX];
	int n;
};

static enum MHD_Result collect_scope(void *cls, enum MHD_ValueKind kind,
				     const char *key, const char *value)
{
	struct scope_list *l = cls;

	if (key && value && !strcmp(key, "scope") && l->n < TOKEN_SCOPES_MAX)
		l->v[l->n++] = value;
	return MHD_YES;
}

static json_t *action_names(int act)
{
	json_t *a = json_array();

	if (act & ACT_PULL)
		json_array_append_new(a, json_string("pull"));
	if (act & ACT_PUSH)
		json_array_append_new(a, json_string("push"));
	if (act & ACT_DELETE)
		json_array_append_new(a, json_string("delete"));
	return a;
}

/* One "type:name:actions" scope; grants what the caller may have. */
static void grant_scope(struct req *r, const char *scope, json_t *access)
{
	const char *c1 = strchr(scope, ':'), *c2 = strrchr(scope, ':');
	char name[META_REPO_MAX + 1];
	size_t n;
	int want, have;

	if (!c1 || c1 == c2)
		return;
	n = (size_t)(c2 - c1 - 1);
	if (n == 0 || n > META_REPO_MAX)
		return;
	memcpy(name, c1 + 1, n);
	name[n] = '\0';
	if (!strncmp(scope, "registry:", 9) && !strcmp(name, "catalog")) {
		if (r->who.authenticated)
			json_array_append_new(access, json_pack(
				"{s:s, s:s, s:[s]}", "type", "registry",
				"name", "catalog", "actions", "*"));
		return;
	}
	if (strncmp(scope, "repository:", 11) || !oci_repo_valid(name))
		return;
	want = authz_parse_actions(c2 + 1);
	have = authz_actions(r->srv, &r->who, name) & want;
	json_array_append_new(access, json_pack("{s:s, s:s, s:o}", "type",
		"repository", "name", name, "actions", action_names(have)));
}

static void token_reply(struct req *r, json_t *access)
{
	struct buf tok = BUF_INIT(TOKEN_MAX_BYTES);
	time_t now = time(NULL);
	char issued[32];
	struct tm tm;
	json_t *j;
	int rc;

	rc = token_issue(r->srv->token_key, SERVICE_NAME, r->who.user,
			 access, r->srv->cfg.token_ttl, now, &tok);
	if (rc) {
		http_fail(r, rc, "UNKNOWN");
		return;
	}
	gmtime_r(&now, &tm);
	strftime(issued, sizeof(issued), "%Y-%m-%dT%H:%M:%SZ", &tm);
	j = json_pack("{s:s, s:s, s:i, s:s}", "token", buf_cstr(&tok),
		      "access_token", buf_cstr(&tok), "expires_in",
		      r->srv->cfg.token_ttl, "issued_at", issued);
	http_json(r, 200, j, "application/json");
	http_header(r, "Cache-Control", "no-store");
	json_decref(j);
	buf_wipe(&tok);
}

void route_token(struct req *r)
{
	struct scope_list scopes = { .n = 0 };
	const char *service = http_query(r, "service");
	json_t *access;

	if (r->who.bearer || (!r->who.authenticated &&
			      !r->srv->cfg.anonymous_pull)) {
		http_error(r, 401, "UNAUTHORIZED", "credentials required");
		http_header(r, "WWW-Authenticate", "Basic realm=\""
			    SERVICE_NAME "\"");
		return;
	}
	if (service && strcmp(service, SERVICE_NAME)) {
		http_error(r, 400, "UNSUPPORTED", "unknown service");
		return;
	}
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
				  collect_scope, &scopes);
	access = json_array();
	for (int i = 0; i < scopes.n; i++) {
		char one[META_REPO_MAX + 64];
		const char *p = scopes.v[i];

		/* A scope parameter may hold several, space-separated. */
		while (*p) {
			size_t n = strcspn(p, " ");

			if (n && n < sizeof(one)) {
				memcpy(one, p, n);
				one[n] = '\0';
				grant_scope(r, one, access);
			}
			p += n;
			while (*p == ' ')
				p++;
		}
	}
	token_reply(r, access);
	json_decref(access);
}

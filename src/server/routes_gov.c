/* The governance REST API under /api/v1/: the registry's public key,
 * policies, approvals, waivers and history (promotions and rollbacks are
 * in gov_promote.c). JSON in and out; docs/api.md lists the endpoints. */
#include "server/gov_routes.h"
#include "gov/attest.h"
#include "gov/evidence.h"
#include "gov/store.h"
#include "oci/digest.h"
#include "oci/ref.h"
#include "util/err.h"
#include "util/sql.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define GOV_LIST_MAX 1000

/* A 401 to a request that carried no credentials is the first half of
 * the ordinary challenge and response: the access log has it, the audit
 * log keeps the attempts that were refused (wrong credentials are
 * audited as a failed "login" before any route runs). */
static void gov_deny(struct req *r, unsigned int status, const char *action,
		     const char *repo, const char *why)
{
	if (status == 401) {
		http_error(r, 401, "UNAUTHORIZED", "%s", why);
		http_header(r, "WWW-Authenticate", "Basic realm=\""
			    SERVICE_NAME "\"");
	} else {
		http_error(r, status, "DENIED", "%s", why);
	}
	if (status != 401 || http_header_in(r, "Authorization"))
		gov_audit(r->srv, r, action, repo, NULL, NULL, "denied", why);
}

bool gov_allow(struct req *r, const char *repo, unsigned roles,
	       const char *action, enum meta_role *role)
{
	struct srv *s = r->srv;
	enum meta_role granted = META_ROLE_NONE;
	char why[META_USER_MAX + META_REPO_MAX + 96];

	if (!repo || strlen(repo) > META_REPO_MAX || !oci_repo_valid(repo)) {
		http_error(r, 400, "NAME_INVALID", "a valid 'repo' is "
			   "required");
		return false;
	}
	if (!r->who.authenticated) {
		gov_deny(r, 401, action, repo, "credentials required");
		return false;
	}
	if (!(authz_actions(s, &r->who, repo) & ACT_PULL)) {
		snprintf(why, sizeof(why), "'%s' may not read '%s'",
			 r->who.user, repo);
		gov_deny(r, 403, action, repo, why);
		return false;
	}
	if (s->meta->ops->grant_role(s->meta, r->who.user, repo, &granted))
		granted = META_ROLE_NONE;
	*role = META_ROLE_NONE;
	if (roles & GOV_ROLE(r->who.role))
		*role = r->who.role;
	if ((roles & GOV_ROLE(granted)) && granted > *role)
		*role = granted;
	if (*role != META_ROLE_NONE)
		return true;
	snprintf(why, sizeof(why), "'%s' (%s) may not %s in '%s'",
		 r->who.user, meta_role_name(r->who.role), action, repo);
	gov_deny(r, 403, action, repo, why);
	return false;
}

bool gov_body_ok(struct req *r, int rc, const char *code)
{
	if (rc)
		http_error(r, 400, code, "%s", err_msg());
	return !rc;
}

static int gov_version_tag(void *arg, const char *tag)
{
	char *out = arg;

	if (policy_is_version(tag) && !*out)
		snprintf(out, META_TAG_MAX + 1, "%s", tag);
	return 0;
}

bool gov_resolve(struct req *r, const char *repo, const char *ref,
		 char digest[DIGEST_STR_LEN], char version[META_TAG_MAX + 1])
{
	struct meta *m = r->srv->meta;
	struct meta_manifest mf;
	int rc;

	version[0] = '\0';
	if (strchr(ref, ':')) {
		if (!oci_digest_valid(ref)) {
			http_error(r, 400, "DIGEST_INVALID", "invalid digest");
			return false;
		}
		snprintf(digest, DIGEST_STR_LEN, "%s", ref);
	} else if (!oci_tag_valid(ref)) {
		http_error(r, 400, "INVALID", "invalid tag");
		return false;
	} else if ((rc = m->ops->tag_get(m, repo, ref, digest))) {
		http_fail(r, rc, "MANIFEST_UNKNOWN");
		return false;
	}
	rc = m->ops->manifest_get(m, repo, digest, &mf);
	if (rc) {
		http_fail(r, rc, "MANIFEST_UNKNOWN");
		return false;
	}
	if (policy_is_version(ref))
		snprintf(version, META_TAG_MAX + 1, "%s", ref);
	else
		m->ops->manifest_tags(m, repo, digest, gov_version_tag,
				      version);
	return true;
}

static const struct policy_env *gov_env_arg(struct req *r, const char *env)
{
	const struct policy_env *e = env ?
		policy_env_find(r->srv->gov->policy, env) : NULL;

	if (!e)
		http_error(r, 404, "NOT_FOUND", "no environment '%s'",
			   env ? env : "");
	return e;
}

/* --- the public key ---------------------------------------------------- */

static void gov_signing_key(struct req *r)
{
	struct buf pem = BUF_INIT(1 << 16);
	json_t *j;

	if (sign_key_public_pem(r->srv->gov->key, &pem)) {
		http_fail(r, ERR_IO, "UNKNOWN");
		return;
	}
	j = json_pack("{s:s,s:s,s:s}", "algorithm", "ecdsa-p256-sha256",
		      "fingerprint", r->srv->gov->fingerprint, "pem",
		      buf_cstr(&pem));
	http_json(r, 200, j, "application/json");
	json_decref(j);
	buf_release(&pem);
}

/* --- policy ------------------------------------------------------------ */

static json_t *gov_strv_json(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

static json_t *gov_env_json(const struct policy_env *e)
{
	static const char *const kinds[] = { "model", "dependency", "llm" };
	json_t *o = json_object(), *sev = json_object();

	for (int k = 0; k < POLICY_NKINDS; k++)
		json_object_set_new(sev, kinds[k], e->max_severity[k] < 0 ?
			json_null() : json_string(scan_severity_name(
				(enum scan_severity)e->max_severity[k])));
	json_object_set_new(o, "name", json_string(e->name));
	json_object_set_new(o, "signature", json_boolean(e->require_signature));
	json_object_set_new(o, "scan", json_boolean(e->require_scan));
	json_object_set_new(o, "max_severity", sev);
	json_object_set_new(o, "approvals", json_pack("{s:i,s:o,s:b}",
		"count", e->approvals, "roles",
		gov_strv_json(e->approver_roles, e->n_approver_roles),
		"not_publisher", e->approver_not_publisher));
	json_object_set_new(o, "from", e->from ? json_string(e->from) :
			    json_null());
	json_object_set_new(o, "allow_data", e->restrict_data ?
		gov_strv_json(e->allow_data, e->n_allow_data) : json_null());
	return o;
}

static void gov_policy_show(struct req *r)
{
	const struct gov *g = r->srv->gov;
	json_t *envs, *j;

	if (!r->who.authenticated) {
		gov_deny(r, 401, "policy", NULL, "credentials required");
		return;
	}
	envs = json_array();
	for (size_t i = 0; i < g->policy->n_envs; i++)
		json_array_append_new(envs, gov_env_json(&g->policy->envs[i]));
	j = json_pack("{s:s,s:o}", "policy_hash", g->policy_hash,
		      "environments", envs);
	http_json(r, 200, j, "application/json");
	json_decref(j);
}

/* --- approvals --------------------------------------------------------- */

/* The roles that may approve for e: its approvals.roles, or approver
 * and admin. */
static unsigned gov_approve_mask(const struct policy_env *e)
{
	unsigned mask = 0;
	enum meta_role role;

	if (!e->n_approver_roles)
		return GOV_ROLE(META_ROLE_APPROVER) | GOV_ROLE(META_ROLE_ADMIN);
	for (size_t i = 0; i < e->n_approver_roles; i++)
		if (!meta_role_parse(e->approver_roles[i], &role) &&
		    role != META_ROLE_NONE)
			mask |= GOV_ROLE(role);
	return mask;
}

struct approve_ctx {
	struct req *r;
	struct gov_approval a;
	int64_t id;
	char publisher[META_USER_MAX + 1];
	bool own;
};

static int gov_approve_tx(struct sqlite3 *db, void *arg)
{
	struct approve_ctx *c = arg;
	char why[64];
	int rc;

	rc = gov_publisher(db, c->a.repo, c->a.digest, c->publisher,
			   sizeof(c->publisher));
	if (!rc && c->own)
		return err_set(ERR_DENIED, "'%s' published this version and "
			       "may not approve it for '%s'", c->a.approver,
			       c->a.env);
	if (!rc)
		rc = gov_approval_add(db, &c->a, &c->id);
	snprintf(why, sizeof(why), "approval %lld", (long long)c->id);
	if (!rc)
		rc = gov_audit_db(db, c->r, "approve", c->a.repo, c->a.env,
				  c->a.digest, "ok", c->a.comment ?
				  c->a.comment : why);
	return rc;
}

static int gov_own_check(struct sqlite3 *db, void *arg)
{
	struct approve_ctx *c = arg;
	int rc = gov_publisher(db, c->a.repo, c->a.digest, c->publisher,
			       sizeof(c->publisher));

	c->own = !rc && *c->publisher &&
		 !strcmp(c->publisher, c->a.approver);
	return rc;
}

static void gov_approval_attest(struct req *r, const struct approve_ctx *c,
				json_t *out)
{
	struct attest_approval at = { 0 };
	struct buf pred = BUF_INIT(ATTEST_PREDICATE_MAX);
	char ref[DIGEST_STR_LEN] = "";

	snprintf(at.environment, sizeof(at.environment), "%s", c->a.env);
	snprintf(at.approver, sizeof(at.approver), "%s", c->a.approver);
	snprintf(at.role, sizeof(at.role), "%s", c->a.role);
	snprintf(at.comment, sizeof(at.comment), "%s",
		 c->a.comment ? c->a.comment : "");
	attest_now(at.time);
	if (attest_approval_build(&at, &pred) ||
	    gov_attach(r->srv, c->a.repo, c->a.digest, ATTEST_APPROVAL_TYPE,
		       pred.data, pred.len, ref))
		gov_audit(r->srv, r, "attest", c->a.repo, c->a.env,
			  c->a.digest, "error", err_msg());
	json_object_set_new(out, "attestation", *ref ? json_string(ref) :
			    json_null());
	buf_release(&pred);
}

static void gov_approve(struct req *r, json_t *body)
{
	struct approve_ctx c = { .r = r };
	struct gov_approve_body b;
	const char *repo, *env, *code = NULL;
	const struct policy_env *e;
	char digest[DIGEST_STR_LEN], version[META_TAG_MAX + 1], why[256];
	enum meta_role role;
	json_t *j;
	int rc;

	rc = gov_approve_body_read(body, &b, &code);
	if (!gov_body_ok(r, rc, code))
		return;
	repo = b.repo;
	env = b.environment;
	if (!(e = gov_env_arg(r, env)))
		return;
	if (!gov_allow(r, repo, gov_approve_mask(e), "approve", &role))
		return;
	if (!gov_resolve(r, repo, b.reference, digest, version))
		return;
	c.a = (struct gov_approval){ .repo = repo, .digest = digest,
		.env = env, .approver = r->who.user,
		.role = meta_role_name(role), .comment = b.comment };
	rc = meta_sqlite_tx(r->srv->meta, gov_own_check, &c);
	if (!rc && c.own && !e->approver_not_publisher)
		c.own = false;
	if (!rc)
		rc = meta_sqlite_tx(r->srv->meta, gov_approve_tx, &c);
	if (rc == ERR_DENIED || rc == ERR_EXISTS) {
		snprintf(why, sizeof(why), "%s", err_msg());
		http_error(r, rc == ERR_DENIED ? 403 : 409, "DENIED", "%s",
			   why);
		gov_audit(r->srv, r, "approve", repo, env, digest, "denied",
			  why);
		return;
	}
	if (rc) {
		http_fail(r, rc, "UNKNOWN");
		return;
	}
	j = json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", (json_int_t)c.id,
		      "repo", repo, "digest", digest, "environment", env,
		      "approver", r->who.user);
	gov_approval_attest(r, &c, j);
	http_json(r, 201, j, "application/json");
	json_decref(j);
}

static int gov_approval_json(const struct gov_approval *a, void *arg)
{
	json_t *list = arg;

	if (json_array_size(list) >= GOV_LIST_MAX)
		return 0;
	json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s?,"
		"s:s,s:b}", "id", (json_int_t)a->id, "digest", a->digest,
		"environment", a->env, "approver", a->approver, "role",
		a->role, "comment", a->comment, "time", a->time, "revoked",
		a->revoked));
	return 0;
}

struct list_ctx {
	const char *repo;
	const char *digest;
	const char *env;
	json_t *list;
};

/* Run a listing transaction and answer with its list. */
static void gov_list_answer(struct req *r, meta_tx_fn tx, struct list_ctx *c)
{
	int rc = meta_sqlite_tx(r->srv->meta, tx, c);

	if (rc)
		http_fail(r, rc, "UNKNOWN");
	else
		http_json(r, 200, c->list, "application/json");
}

static int gov_approvals_tx(struct sqlite3 *db, void *arg)
{
	struct list_ctx *c = arg;

	return gov_approvals_each(db, c->repo, c->digest, gov_approval_json,
				  c->list);
}

static void gov_approvals_list(struct req *r)
{
	const char *repo = http_query(r, "repo");
	const char *ref = http_query(r, "reference");
	char digest[DIGEST_STR_LEN], version[META_TAG_MAX + 1];
	struct list_ctx c = { repo, digest, NULL, json_array() };
	enum meta_role role;

	if (!gov_allow(r, repo, ~0u, "approvals", &role))
		goto out;
	if (!ref) {
		http_error(r, 400, "INVALID", "'reference' is required");
		goto out;
	}
	if (!gov_resolve(r, repo, ref, digest, version))
		goto out;
	gov_list_answer(r, gov_approvals_tx, &c);
out:
	json_decref(c.list);
}

struct revoke_ctx {
	struct req *r;
	const char *repo;
	int64_t id;
	bool admin;
};

static int gov_revoke_tx(struct sqlite3 *db, void *arg)
{
	struct revoke_ctx *c = arg;
	sqlite3_stmt *st = NULL;
	char who[META_USER_MAX + 1] = "", env[POLICY_NAME_MAX + 1] = "";
	char digest[DIGEST_STR_LEN] = "", why[64];
	int rc;

	rc = sql_prep(db, &st, "SELECT approver, env, digest FROM"
		      " gov_approvals WHERE id=? AND repo=?", "is", c->id,
		      c->repo);
	if (!rc)
		rc = sql_row(db, st, "reading approvals");
	if (!rc) {
		snprintf(who, sizeof(who), "%s", sql_col(st, 0));
		snprintf(env, sizeof(env), "%s", sql_col(st, 1));
		snprintf(digest, sizeof(digest), "%s", sql_col(st, 2));
	}
	sqlite3_finalize(st);
	if (rc && rc != ERR_NOTFOUND)
		return rc;
	if (!*who)
		return err_set(ERR_NOTFOUND, "no approval %lld in '%s'",
			       (long long)c->id, c->repo);
	if (!c->admin && strcmp(who, c->r->who.user))
		return err_set(ERR_DENIED, "only '%s' or an admin may revoke "
			       "approval %lld", who, (long long)c->id);
	rc = gov_approval_revoke(db, c->repo, c->id, c->r->who.user);
	snprintf(why, sizeof(why), "approval %lld revoked",
		 (long long)c->id);
	if (!rc)
		rc = gov_audit_db(db, c->r, "revoke", c->repo, env, digest,
				  "ok", why);
	return rc;
}

static void gov_approval_revoke_route(struct req *r)
{
	const char *repo = http_query(r, "repo");
	const char *id = http_query(r, "id");
	struct revoke_ctx c = { r, repo, 0, false };
	enum meta_role role;
	char *end = NULL;
	int rc;

	if (!gov_allow(r, repo, GOV_ROLE(META_ROLE_APPROVER) |
		       GOV_ROLE(META_ROLE_ADMIN) |
		       GOV_ROLE(META_ROLE_PUBLISHER) |
		       GOV_ROLE(META_ROLE_DEPLOYER), "revoke", &role))
		return;
	c.id = id ? strtoll(id, &end, 10) : 0;
	if (!id || *end || c.id <= 0) {
		http_error(r, 400, "INVALID", "'id' must be an approval "
			   "number");
		return;
	}
	c.admin = role == META_ROLE_ADMIN;
	rc = meta_sqlite_tx(r->srv->meta, gov_revoke_tx, &c);
	if (rc == ERR_DENIED) {
		gov_deny(r, 403, "revoke", repo, err_msg());
		return;
	}
	if (rc) {
		http_fail(r, rc, "NOT_FOUND");
		return;
	}
	http_empty(r, 204);
}

/* --- waivers ----------------------------------------------------------- */

/* "YYYY-MM-DD" (end of that day, UTC) or "YYYY-MM-DDTHH:MM:SSZ". */
static int gov_time_parse(const char *s, time_t *out)
{
	struct tm tm = { 0 };
	const char *end;

	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (!end || *end)
			return ERR_INVALID;
		tm.tm_hour = 23;
		tm.tm_min = 59;
		tm.tm_sec = 59;
	}
	*out = timegm(&tm);
	return 0;
}

struct waive_ctx {
	struct req *r;
	struct gov_waiver w;
	int64_t id;
};

static int gov_waive_tx(struct sqlite3 *db, void *arg)
{
	struct waive_ctx *c = arg;
	char why[GOV_REASON_MAX + 128], until[32];
	time_t t = (time_t)c->w.until;
	struct tm tm;
	int rc = gov_waiver_add(db, &c->w, &c->id);

	if (!gmtime_r(&t, &tm) ||
	    !strftime(until, sizeof(until), "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(until, sizeof(until), "%lld", (long long)c->w.until);
	snprintf(why, sizeof(why), "waiver %lld of '%s' until %s: %s",
		 (long long)c->id, c->w.rule, until, c->w.reason);
	if (!rc)
		rc = gov_audit_db(db, c->r, "waive", c->w.repo, NULL,
				  c->w.digest, "ok", why);
	return rc;
}

static void gov_waive(struct req *r, json_t *body)
{
	struct waive_ctx c = { .r = r };
	struct gov_waive_body b;
	const char *code = NULL;
	enum meta_role role;
	json_t *j;
	int rc;

	rc = gov_waive_body_read(body, &b, &code);
	if (!gov_body_ok(r, rc, code))
		return;
	if (!gov_allow(r, b.repo, GOV_ROLE(META_ROLE_ADMIN), "waive", &role))
		return;
	c.w = (struct gov_waiver){ .repo = b.repo, .digest = b.digest,
		.rule = b.id, .reason = b.reason, .actor = r->who.user };
	if (gov_time_parse(b.until, &c.w.until) ||
	    c.w.until <= time(NULL)) {
		http_error(r, 400, "INVALID", "'until' must be a future date "
			   "(YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
		return;
	}
	rc = meta_sqlite_tx(r->srv->meta, gov_waive_tx, &c);
	if (rc) {
		http_fail(r, rc, "UNKNOWN");
		return;
	}
	j = json_pack("{s:I,s:s,s:s,s:s?,s:I}", "id", (json_int_t)c.id,
		      "repo", b.repo, "rule", b.id, "digest", b.digest,
		      "until", (json_int_t)c.w.until);
	http_json(r, 201, j, "application/json");
	json_decref(j);
}

static int gov_waiver_json(const struct gov_waiver *w, void *arg)
{
	json_t *list = arg;

	if (json_array_size(list) >= GOV_LIST_MAX)
		return 0;
	json_array_append_new(list, json_pack("{s:I,s:s,s:s?,s:I,s:s,s:s}",
		"id", (json_int_t)w->id, "rule", w->rule, "digest", w->digest,
		"until", (json_int_t)w->until, "reason", w->reason, "actor",
		w->actor));
	return 0;
}

static int gov_waivers_tx(struct sqlite3 *db, void *arg)
{
	struct list_ctx *c = arg;

	return gov_waivers_each(db, c->repo, c->digest, time(NULL),
				gov_waiver_json, c->list);
}

static void gov_waivers_list(struct req *r)
{
	const char *repo = http_query(r, "repo");
	const char *digest = http_query(r, "digest");
	struct list_ctx c = { repo, digest, NULL, json_array() };
	enum meta_role role;

	if (!gov_allow(r, repo, ~0u, "waivers", &role))
		goto out;
	if (digest && !oci_digest_valid(digest)) {
		http_error(r, 400, "DIGEST_INVALID", "invalid digest");
		goto out;
	}
	gov_list_answer(r, gov_waivers_tx, &c);
out:
	json_decref(c.list);
}

/* --- history ----------------------------------------------------------- */

static int gov_event_json(const struct gov_event *ev, void *arg)
{
	json_t *list = arg;

	if (json_array_size(list) >= GOV_LIST_MAX)
		return 1;
	json_array_append_new(list, json_pack("{s:I,s:s,s:s,s:s?,s:s,s:s,"
		"s:s?,s:s,s:s?,s:b}", "id", (json_int_t)ev->id, "environment",
		ev->env, "digest", ev->digest, "version", ev->version,
		"action", ev->action, "actor", ev->actor, "reason",
		ev->reason, "time", ev->time, "previous", ev->previous,
		"break_glass", ev->break_glass));
	return 0;
}

static int gov_history_tx(struct sqlite3 *db, void *arg)
{
	struct list_ctx *c = arg;
	int rc = gov_history_each(db, c->repo, c->env, gov_event_json,
				  c->list);

	return rc > 0 ? 0 : rc;
}

static void gov_history(struct req *r)
{
	const char *repo = http_query(r, "repo");
	const char *env = http_query(r, "environment");
	struct list_ctx c = { repo, NULL, env, json_array() };
	enum meta_role role;

	if (!gov_allow(r, repo, ~0u, "history", &role))
		goto out;
	if (env && !gov_env_arg(r, env))
		goto out;
	gov_list_answer(r, gov_history_tx, &c);
out:
	json_decref(c.list);
}

/* --- dispatch ---------------------------------------------------------- */

static int gov_body(struct req *r, const char *p, size_t n)
{
	json_t *body;
	int rc;

	if (n) {
		if (buf_put(&r->buf, p, n)) {
			http_error(r, 413, "SIZE_INVALID", "body over %d bytes",
				   GOV_BODY_MAX);
			return ERR_LIMIT;
		}
		return 0;
	}
	rc = gov_body_parse(r->buf.data, r->buf.len, &body);
	if (!gov_body_ok(r, rc, "INVALID"))
		return rc;
	if (!strcmp(r->ref, "approvals"))
		gov_approve(r, body);
	else if (!strcmp(r->ref, "promotions"))
		gov_promote(r, body);
	else if (!strcmp(r->ref, "rollbacks"))
		gov_rollback(r, body);
	else
		gov_waive(r, body);
	json_decref(body);
	return 0;
}

/* A POST reads its JSON body first (gov_body); action names its audit
 * records, refusals included. */
static void gov_post(struct req *r, const char *action)
{
	if (!r->who.authenticated) {
		gov_deny(r, 401, action, NULL, "credentials required");
		return;
	}
	buf_init(&r->buf, GOV_BODY_MAX);
	r->body = gov_body;
}

static const struct gov_route {
	const char *method, *endpoint;
	void (*fn)(struct req *r);      /* NULL: a POST, see gov_post() */
	const char *action;
} gov_routes[] = {
	{ "GET", "signing-key", gov_signing_key, NULL },
	{ "GET", "policy", gov_policy_show, NULL },
	{ "GET", "policy-check", gov_policy_check, NULL },
	{ "GET", "approvals", gov_approvals_list, NULL },
	{ "DELETE", "approvals", gov_approval_revoke_route, NULL },
	{ "GET", "waivers", gov_waivers_list, NULL },
	{ "GET", "history", gov_history, NULL },
	{ "POST", "approvals", NULL, "approve" },
	{ "POST", "promotions", NULL, "promote" },
	{ "POST", "rollbacks", NULL, "rollback" },
	{ "POST", "waivers", NULL, "waive" },
};

/* 405 for an endpoint routed with other methods, else 404. */
void route_gov(struct req *r)
{
	bool known = false;

	for (size_t i = 0; i < sizeof(gov_routes) / sizeof(gov_routes[0]);
	     i++) {
		const struct gov_route *g = &gov_routes[i];

		if (strcmp(r->ref, g->endpoint))
			continue;
		known = true;
		if (strcmp(r->method, g->method))
			continue;
		if (g->fn)
			g->fn(r);
		else
			gov_post(r, g->action);
		return;
	}
	if (known)
		http_error(r, 405, "UNSUPPORTED", "method not allowed");
	else
		http_error(r, 404, "NOT_FOUND", "no such endpoint");
}

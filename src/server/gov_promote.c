/* Promotions, rollbacks and policy checks: gather the evidence about a
 * digest, evaluate the environment's policy and, when it passes, move the
 * environment pointer, the environment tag, the history and the audit log
 * in one SQLite transaction; then sign a promotion attestation. */
#include "server/gov_routes.h"
#include "gov/attest.h"
#include "gov/evidence.h"
#include "gov/store.h"
#include "util/err.h"
#include "util/log.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EVAL_APPROVALS_MAX 256
#define EVAL_WAIVERS_MAX 256

struct eval_approval {
	struct policy_approval pa;
	char approver[META_USER_MAX + 1];
	char role[32];
	char digest[DIGEST_STR_LEN];
	char env[POLICY_NAME_MAX + 1];
};

struct eval_waiver {
	struct policy_waiver pw;
	char id[129];
	char digest[DIGEST_STR_LEN];
};

/* Everything one evaluation needs, and what a move records. */
struct eval {
	struct req *r;
	const char *repo;
	const struct policy_env *env;
	char digest[DIGEST_STR_LEN];
	char version[META_TAG_MAX + 1];
	const char *action;         /* "promote", "rollback", "check" */
	const char *reason;
	bool break_glass;
	bool rollback_previous;     /* target is gov_env_previous() */
	char expect[DIGEST_STR_LEN]; /* env must still run this ("" any) */

	/* Evidence gathered outside the transaction. */
	bool sig_ok;
	char signer[SIGN_KEYRING_NAME_MAX + 1];
	char **classes;
	size_t n_classes;
	bool classes_failed;

	/* Evidence gathered inside it. */
	struct gov_scan scan;
	struct eval_approval *apps;
	const struct policy_approval *app_ptrs;
	size_t n_apps;
	struct eval_waiver *waivers;
	size_t n_waivers;
	struct policy_approval *pa;
	struct policy_waiver *pw;
	char publisher[META_USER_MAX + 1];
	bool seen_from;
	const char *seen[1];

	struct policy_evidence ev;
	struct policy_decision d;
	char previous[DIGEST_STR_LEN];
	bool denied;
};

static void eval_release(struct eval *e)
{
	gov_scan_release(&e->scan);
	gov_strv_free(e->classes);
	free(e->apps);
	free(e->waivers);
	free(e->pa);
	free(e->pw);
}

static int eval_approval_cb(const struct gov_approval *a, void *arg)
{
	struct eval *e = arg;
	struct eval_approval *x;

	if (e->n_apps >= EVAL_APPROVALS_MAX)
		return err_set(ERR_LIMIT, "more than %d approvals",
			       EVAL_APPROVALS_MAX);
	x = &e->apps[e->n_apps++];
	snprintf(x->approver, sizeof(x->approver), "%s", a->approver);
	snprintf(x->role, sizeof(x->role), "%s", a->role);
	snprintf(x->digest, sizeof(x->digest), "%s", a->digest);
	snprintf(x->env, sizeof(x->env), "%s", a->env);
	x->pa.revoked = a->revoked;
	return 0;
}

static int eval_waiver_cb(const struct gov_waiver *w, void *arg)
{
	struct eval *e = arg;
	struct eval_waiver *x;

	if (e->n_waivers >= EVAL_WAIVERS_MAX)
		return 0;
	x = &e->waivers[e->n_waivers++];
	snprintf(x->id, sizeof(x->id), "%s", w->rule);
	snprintf(x->digest, sizeof(x->digest), "%s",
		 w->digest ? w->digest : "");
	x->pw.until = w->until;
	return 0;
}

/* Fill e->ev from what was gathered (pointers into e). */
static int eval_fill(struct eval *e)
{
	struct policy_evidence *ev = &e->ev;

	e->pa = calloc(e->n_apps + 1, sizeof(*e->pa));
	e->pw = calloc(e->n_waivers + 1, sizeof(*e->pw));
	if (!e->pa || !e->pw)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < e->n_apps; i++) {
		struct eval_approval *x = &e->apps[i];

		e->pa[i] = (struct policy_approval){ x->approver, x->role,
			x->digest, x->env, x->pa.revoked };
	}
	for (size_t i = 0; i < e->n_waivers; i++) {
		struct eval_waiver *x = &e->waivers[i];

		e->pw[i] = (struct policy_waiver){ x->id,
			*x->digest ? x->digest : NULL, x->pw.until };
	}
	memset(ev, 0, sizeof(*ev));
	ev->digest = e->digest;
	ev->publisher = *e->publisher ? e->publisher : NULL;
	ev->signed_trusted = e->sig_ok;
	ev->signer = *e->signer ? e->signer : NULL;
	ev->scan_done = e->scan.found && e->scan.done;
	ev->scan_state = e->scan.found ? e->scan.state : "missing";
	ev->deps_unchecked = e->scan.deps_unchecked;
	ev->findings = e->scan.findings;
	ev->n_findings = e->scan.n_findings;
	ev->approvals = e->pa;
	ev->n_approvals = e->n_apps;
	ev->waivers = e->pw;
	ev->n_waivers = e->n_waivers;
	ev->envs_seen = e->seen;
	ev->n_envs_seen = e->seen_from ? 1 : 0;
	ev->data_classes = (const char *const *)e->classes;
	ev->n_data_classes = e->n_classes;
	ev->now = time(NULL);
	return 0;
}

/* Evidence from the database, inside the caller's transaction. */
static int eval_gather_db(struct sqlite3 *db, struct eval *e)
{
	int rc;

	gov_scan_release(&e->scan);
	e->n_apps = e->n_waivers = 0;
	free(e->pa);
	free(e->pw);
	e->pa = NULL;
	e->pw = NULL;
	if (!e->apps)
		e->apps = calloc(EVAL_APPROVALS_MAX, sizeof(*e->apps));
	if (!e->waivers)
		e->waivers = calloc(EVAL_WAIVERS_MAX, sizeof(*e->waivers));
	if (!e->apps || !e->waivers)
		return err_set(ERR_NOMEM, "out of memory");
	/* A scan row that cannot be read fails the scan rule, nothing
	 * else: the evaluation still explains every rule. */
	if (gov_scan_evidence(db, e->repo, e->digest, &e->scan))
		e->scan.done = false;
	rc = gov_approvals_each(db, e->repo, e->digest, eval_approval_cb, e);
	if (!rc)
		rc = gov_waivers_each(db, e->repo, e->digest, time(NULL),
				      eval_waiver_cb, e);
	if (!rc)
		rc = gov_publisher(db, e->repo, e->digest, e->publisher,
				   sizeof(e->publisher));
	e->seen_from = false;
	e->seen[0] = e->env->from;
	if (!rc && e->env->from)
		rc = gov_env_was(db, e->repo, e->env->from, e->digest,
				 &e->seen_from);
	if (!rc)
		rc = eval_fill(e);
	return rc;
}

/* Evidence from the blob store: signatures and data classes. */
static int eval_gather_store(struct eval *e)
{
	struct srv *s = e->r->srv;
	int rc;

	gov_strv_free(e->classes);
	e->classes = NULL;
	rc = gov_signature_evidence(s, e->repo, e->digest, &e->sig_ok,
				    e->signer, sizeof(e->signer));
	if (rc)
		return rc;
	if (gov_data_classes(s, e->repo, e->digest, &e->classes,
			     &e->n_classes)) {
		/* An unreadable Kitfile declares nothing we can trust:
		 * claim a class no environment allows by accident. */
		e->classes_failed = true;
		gov_strv_free(e->classes);
		e->classes = calloc(2, sizeof(*e->classes));
		if (!e->classes)
			return err_set(ERR_NOMEM, "out of memory");
		e->classes[0] = strdup("unknown");
		e->n_classes = e->classes[0] ? 1 : 0;
	}
	return 0;
}

static json_t *eval_json(const struct eval *e)
{
	json_t *res = json_array();
	struct buf sum = BUF_INIT(1 << 16);

	for (size_t i = 0; i < e->d.n_results; i++) {
		const struct policy_result *x = &e->d.results[i];

		json_array_append_new(res, json_pack("{s:s,s:b,s:s,s:s?}",
			"rule", x->rule, "passed", x->passed, "detail",
			x->detail, "fix", x->passed ? NULL : x->fix));
	}
	policy_decision_summary(e->env, &e->d, &sum);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s?,s:b,s:s,s:o}", "repo",
			      e->repo, "environment", e->env->name, "digest",
			      e->digest, "version", *e->version ? e->version :
			      NULL, "allowed", e->d.allowed, "summary",
			      buf_cstr(&sum), "results", res);

	buf_release(&sum);
	return j;
}

/* --- the transaction --------------------------------------------------- */

static int eval_move(struct sqlite3 *db, struct eval *e)
{
	struct gov_event ev = { 0 };
	char why[GOV_REASON_MAX + 64];
	int rc;

	ev.repo = e->repo;
	ev.env = e->env->name;
	ev.digest = e->digest;
	ev.version = *e->version ? e->version : NULL;
	ev.action = e->action;
	ev.actor = e->r->who.user;
	ev.reason = e->reason;
	ev.break_glass = e->break_glass;
	rc = gov_env_move(db, &ev, e->previous);
	if (!rc)
		rc = meta_sqlite_tag_move(db, e->repo, e->env->name,
					  e->digest);
	snprintf(why, sizeof(why), "%s%s", e->break_glass ?
		 "BREAK-GLASS override of failed policy: " : "", e->reason);
	if (!rc)
		rc = gov_audit_db(db, e->r, e->break_glass ?
				  "rollback-break-glass" : e->action,
				  e->repo, e->env->name, e->digest, "ok",
				  why);
	return rc;
}

static int eval_tx(struct sqlite3 *db, void *arg)
{
	struct eval *e = arg;
	char cur[DIGEST_STR_LEN] = "";
	int rc;

	if (*e->expect) {
		rc = gov_env_current(db, e->repo, e->env->name, cur);
		if (rc && rc != ERR_NOTFOUND)
			return rc;
		if (strcmp(cur, e->expect))
			return err_set(ERR_CONFLICT, "'%s' moved while the "
				       "rollback was prepared; try again",
				       e->env->name);
	}
	rc = eval_gather_db(db, e);
	if (rc)
		return rc;
	policy_evaluate(e->env, &e->ev, &e->d);
	if (!strcmp(e->action, "check"))
		return 0;
	if (e->d.allowed)
		e->break_glass = false;   /* no override was needed */
	if (!e->d.allowed && !e->break_glass) {
		e->denied = true;
		return ERR_DENIED;
	}
	return eval_move(db, e);
}

/* --- attestation ------------------------------------------------------- */

static void eval_attest(struct eval *e, json_t *out)
{
	struct attest_promotion a = { 0 };
	struct buf pred = BUF_INIT(ATTEST_PREDICATE_MAX);
	char ref[DIGEST_STR_LEN] = "";

	snprintf(a.environment, sizeof(a.environment), "%s", e->env->name);
	snprintf(a.repository, sizeof(a.repository), "%s", e->repo);
	snprintf(a.version, sizeof(a.version), "%s", e->version);
	snprintf(a.action, sizeof(a.action), "%s", e->action);
	snprintf(a.actor, sizeof(a.actor), "%s", e->r->who.user);
	snprintf(a.reason, sizeof(a.reason), "%s", e->reason);
	snprintf(a.previous, sizeof(a.previous), "%s", e->previous);
	attest_now(a.time);
	a.require_signature = e->env->require_signature;
	a.break_glass = e->break_glass;
	/* The move is committed; a missing attestation only makes the
	 * initializer refuse the version, so this fails closed. */
	if (attest_promotion_build(&a, &pred) ||
	    gov_attach(e->r->srv, e->repo, e->digest, ATTEST_PROMOTION_TYPE,
		       pred.data, pred.len, ref)) {
		log_msg(LOG_ERROR, e->r->id, "promotion attestation: %s",
			err_msg());
		gov_audit(e->r->srv, e->r, "attest", e->repo, e->env->name,
			  e->digest, "error", err_msg());
	}
	json_object_set_new(out, "attestation", *ref ? json_string(ref) :
			    json_null());
	json_object_set_new(out, "previous", *e->previous ?
			    json_string(e->previous) : json_null());
	json_object_set_new(out, "break_glass", json_boolean(e->break_glass));
	buf_release(&pred);
}

/* Run e (already resolved) and answer. */
static void eval_run(struct eval *e)
{
	struct req *r = e->r;
	struct buf sum = BUF_INIT(1 << 16);
	json_t *j = NULL;
	int rc;

	rc = eval_gather_store(e);
	if (!rc)
		rc = meta_sqlite_tx(r->srv->meta, eval_tx, e);
	if (rc == ERR_DENIED && e->denied) {
		policy_decision_summary(e->env, &e->d, &sum);
		j = eval_json(e);
		json_object_set_new(j, "error", json_string(buf_cstr(&sum)));
		http_json(r, 403, j, "application/json");
		gov_audit(r->srv, r, e->action, e->repo, e->env->name,
			  e->digest, "denied", buf_cstr(&sum));
		goto out;
	}
	if (rc) {
		http_fail(r, rc, "UNKNOWN");
		gov_audit(r->srv, r, e->action, e->repo, e->env->name,
			  e->digest, "error", err_msg());
		goto out;
	}
	j = eval_json(e);
	if (strcmp(e->action, "check"))
		eval_attest(e, j);
	http_json(r, 200, j, "application/json");
out:
	json_decref(j);
	buf_release(&sum);
}

static const unsigned deploy_roles = GOV_ROLE(META_ROLE_DEPLOYER) |
				     GOV_ROLE(META_ROLE_ADMIN);

/* The repository, reason and environment of a promotion or rollback;
 * 404 for an environment the policy does not name. */
static bool gov_move_env(struct req *r, struct eval *e,
			 const struct gov_move_body *b)
{
	e->repo = b->repo;
	e->reason = b->reason;
	e->env = policy_env_find(r->srv->gov->policy, b->environment);
	if (!e->env)
		http_error(r, 404, "NOT_FOUND", "no environment '%s'",
			   b->environment);
	return e->env != NULL;
}

void gov_promote(struct req *r, json_t *body)
{
	struct eval e = { .r = r, .action = "promote" };
	struct gov_move_body b;
	const char *code = NULL;
	enum meta_role role;
	int rc;

	rc = gov_promote_body_read(body, &b, &code);
	if (!gov_body_ok(r, rc, code) ||
	    !gov_move_env(r, &e, &b))
		return;
	if (!gov_allow(r, e.repo, deploy_roles, "promote", &role) ||
	    !gov_resolve(r, e.repo, b.reference, e.digest, e.version))
		return;
	eval_run(&e);
	eval_release(&e);
}

struct prev_ctx {
	bool want_previous;
	const char *repo;
	const char *env;
	char current[DIGEST_STR_LEN];
	char previous[DIGEST_STR_LEN];
};

static int gov_previous_tx(struct sqlite3 *db, void *arg)
{
	struct prev_ctx *c = arg;
	int rc = gov_env_current(db, c->repo, c->env, c->current);

	if (rc == ERR_NOTFOUND)
		return err_set(ERR_NOTFOUND, "nothing was ever promoted to "
			       "'%s' in '%s'", c->env, c->repo);
	if (!rc && c->want_previous)
		rc = gov_env_previous(db, c->repo, c->env, c->previous);
	if (rc == ERR_NOTFOUND)
		return err_set(ERR_NOTFOUND, "'%s' of '%s' has no previous "
			       "version", c->env, c->repo);
	return rc;
}

static bool gov_rollback_target(struct req *r, struct eval *e,
				const char *ref)
{
	struct prev_ctx c = { ref == NULL, e->repo, e->env->name, "", "" };
	int rc = meta_sqlite_tx(r->srv->meta, gov_previous_tx, &c);

	if (rc) {
		http_fail(r, rc, "NOT_FOUND");
		return false;
	}
	snprintf(e->expect, sizeof(e->expect), "%s", c.current);
	if (ref)
		return gov_resolve(r, e->repo, ref, e->digest, e->version);
	return gov_resolve(r, e->repo, c.previous, e->digest, e->version);
}

void gov_rollback(struct req *r, json_t *body)
{
	struct eval e = { .r = r, .action = "rollback" };
	struct gov_move_body b;
	const char *code = NULL;
	enum meta_role role;
	int rc;

	rc = gov_rollback_body_read(body, &b, &code);
	if (!gov_body_ok(r, rc, code) ||
	    !gov_move_env(r, &e, &b))
		return;
	if (!gov_allow(r, e.repo, b.break_glass ?
		       GOV_ROLE(META_ROLE_ADMIN) : deploy_roles,
		       b.break_glass ? "rollback-break-glass" :
		       "rollback", &role))
		return;
	e.break_glass = b.break_glass;
	if (!gov_rollback_target(r, &e, b.reference))
		return;
	eval_run(&e);
	eval_release(&e);
}

void gov_policy_check(struct req *r)
{
	struct eval e = { .r = r, .action = "check", .reason = "" };
	const char *env = http_query(r, "environment");
	const char *ref = http_query(r, "reference");
	enum meta_role role;

	e.repo = http_query(r, "repo");
	if (!e.repo || !ref || !env) {
		http_error(r, 400, "INVALID", "'repo', 'reference' and "
			   "'environment' are required");
		return;
	}
	e.env = policy_env_find(r->srv->gov->policy, env);
	if (!e.env) {
		http_error(r, 404, "NOT_FOUND", "no environment '%s'", env);
		return;
	}
	if (!gov_allow(r, e.repo, ~0u, "policy-check", &role) ||
	    !gov_resolve(r, e.repo, ref, e.digest, e.version))
		return;
	eval_run(&e);
	eval_release(&e);
}

/* Account self-service and administration over HTTP:
 * GET/PATCH /api/v1/users/NAME ("me" is the caller). Owners may change
 * only their password; role, robot and disabled are for admins. */
#include "server/auth.h"
#include "server/gov.h"
#include "server/http.h"
#include "util/err.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define USER_BODY_MAX (64 * 1024)

/* The account the URL names, resolving "me". */
static const char *target(struct req *r)
{
	return strcmp(r->ref, "me") ? r->ref : r->who.user;
}

void route_user_get(struct req *r)
{
	struct meta *m = r->srv->meta;
	struct meta_user u;
	json_t *j;
	int rc;

	if (strcmp(target(r), r->who.user) &&
	    r->who.role != META_ROLE_ADMIN) {
		http_error(r, 403, "DENIED", "only admins read other "
			   "accounts");
		return;
	}
	rc = m->ops->user_get(m, target(r), &u);
	if (rc) {
		http_fail(r, rc, "NAME_UNKNOWN");
		return;
	}
	sodium_memzero(u.hash, sizeof(u.hash));
	j = json_pack("{s:s, s:s, s:b, s:b}", "name", u.name, "role",
		      meta_role_name(u.role), "robot", u.robot, "disabled",
		      u.disabled);
	http_json(r, 200, j, "application/json");
	json_decref(j);
}

/* Apply one field of a PATCH; self-service may only set a password. */
static int apply_field(struct req *r, struct meta_user *u, const char *k,
		       json_t *v, bool admin)
{
	if (!strcmp(k, "password")) {
		if (!json_is_string(v))
			return err_set(ERR_INVALID, "'password' must be a "
				       "string");
		return auth_hash_password(json_string_value(v), u->hash);
	}
	if (strcmp(k, "role") && strcmp(k, "robot") && strcmp(k, "disabled"))
		return err_set(ERR_INVALID, "unknown field '%s'", k);
	if (!admin)
		return err_set(ERR_DENIED, "field '%s' may only be changed "
			       "by an admin", k);
	if (!strcmp(k, "role"))
		return json_is_string(v) ?
		       meta_role_parse(json_string_value(v), &u->role) :
		       err_set(ERR_INVALID, "'role' must be a string");
	if (!json_is_boolean(v))
		return err_set(ERR_INVALID, "'%s' must be true or false", k);
	if (!strcmp(k, "robot"))
		u->robot = json_is_true(v);
	else
		u->disabled = json_is_true(v);
	return 0;
}

static int user_patch_body(struct req *r, const char *p, size_t n)
{
	struct meta *m = r->srv->meta;
	bool admin = r->who.role == META_ROLE_ADMIN;
	struct meta_user u;
	const char *k;
	json_t *doc, *v;
	int rc;

	if (n) {
		rc = buf_put(&r->buf, p, n);
		if (rc)
			http_error(r, 413, "SIZE_INVALID", "body too large");
		return rc;
	}
	doc = json_loadb(buf_cstr(&r->buf), r->buf.len,
			 JSON_REJECT_DUPLICATES, NULL);
	rc = json_is_object(doc) ? 0 :
	     err_set(ERR_INVALID, "body is not a JSON object");
	if (!rc)
		rc = m->ops->user_get(m, target(r), &u);
	/* Check every field before changing anything. */
	json_object_foreach(doc, k, v) {
		if (!rc)
			rc = apply_field(r, &u, k, v, admin);
	}
	if (!rc)
		rc = m->ops->user_put(m, &u);
	sodium_memzero(&u, sizeof(u));
	json_decref(doc);
	if (rc) {
		gov_audit(r->srv, r, "account", NULL, target(r), NULL,
			  "denied", err_msg());
		http_fail(r, rc, "UNSUPPORTED");
		return rc;
	}
	gov_audit(r->srv, r, "account", NULL, target(r), NULL, "ok",
		  "account changed over the API");
	http_empty(r, 204);
	return 0;
}

void route_user_patch(struct req *r)
{
	if (r->who.bearer) {
		/* A leaked short-lived token must not become a password. */
		http_error(r, 403, "DENIED", "use Basic credentials to change "
			   "an account");
		gov_audit(r->srv, r, "account", NULL, target(r), NULL,
			  "denied", "bearer token used to change an account");
		return;
	}
	if (strcmp(target(r), r->who.user) &&
	    r->who.role != META_ROLE_ADMIN) {
		http_error(r, 403, "DENIED", "only admins change other "
			   "accounts");
		gov_audit(r->srv, r, "account", NULL, target(r), NULL,
			  "denied", "only admins change other accounts");
		return;
	}
	buf_init(&r->buf, USER_BODY_MAX);
	r->body = user_patch_body;
}

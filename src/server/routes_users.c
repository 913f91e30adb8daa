/* Account self-service and administration over HTTP:
 * GET/PATCH /api/v1/users/NAME ("me" is the caller). Owners may change
 * only their password; role, robot and disabled are for admins. */
#include "server/auth.h"
#include "server/gov.h"
#include "server/gov_body.h"
#include "server/http.h"
#include "util/err.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

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

/* Apply a checked PATCH to u; self-service may only set a password. */
static int apply_patch(const struct gov_user_patch *p, struct meta_user *u,
		       bool admin)
{
	if (p->admin_field && !admin)
		return err_set(ERR_DENIED, "field '%s' may only be changed "
			       "by an admin", p->admin_field);
	if (p->set_role)
		u->role = p->role;
	if (p->set_robot)
		u->robot = p->robot;
	if (p->set_disabled)
		u->disabled = p->disabled;
	return p->password ? auth_hash_password(p->password, u->hash) : 0;
}

static int user_patch_body(struct req *r, const char *p, size_t n)
{
	struct meta *m = r->srv->meta;
	struct gov_user_patch patch;
	struct meta_user u;
	const char *code;
	json_t *doc = NULL;
	int rc;

	if (n) {
		rc = buf_put(&r->buf, p, n);
		if (rc)
			http_error(r, 413, "SIZE_INVALID", "body too large");
		return rc;
	}
	/* Check every field before changing anything. */
	rc = gov_body_parse(r->buf.data, r->buf.len, &doc);
	if (!rc)
		rc = gov_user_patch_read(doc, &patch, &code);
	if (!rc)
		rc = m->ops->user_get(m, target(r), &u);
	if (!rc)
		rc = apply_patch(&patch, &u, r->who.role == META_ROLE_ADMIN);
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
	buf_init(&r->buf, GOV_BODY_MAX);
	r->body = user_patch_body;
}

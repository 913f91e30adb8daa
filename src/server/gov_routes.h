/* Internal to the governance routes (routes_gov.c, gov_promote.c). */
#ifndef STELE_SERVER_GOV_ROUTES_H
#define STELE_SERVER_GOV_ROUTES_H

#include <jansson.h>
#include <stdbool.h>

#include "meta/meta.h"
#include "server/gov.h"
#include "server/gov_body.h"
#include "server/http.h"

/* Roles as a bit set, for "who may call this endpoint". */
#define GOV_ROLE(r) (1u << (r))

/*
 * Check that r is authenticated, may read repo (per-repository grants
 * and the bearer token's scope count) and holds one of roles (global role
 * or a grant on repo). Answers 401/403 and audits the denial as action
 * when not; *role receives the highest matching role.
 */
bool gov_allow(struct req *r, const char *repo, unsigned roles,
	       const char *action, enum meta_role *role);

/* Resolve a tag or digest of repo to a manifest digest and the version
 * tag naming it ("" when none). Answers 400/404 when it cannot. */
bool gov_resolve(struct req *r, const char *repo, const char *ref,
		 char digest[DIGEST_STR_LEN], char version[META_TAG_MAX + 1]);

/* Whether a body reader of gov_body.h (its result rc) accepted the
 * body; answers 400 with its code and message when not. */
bool gov_body_ok(struct req *r, int rc, const char *code);

/* Endpoints in gov_promote.c. */
void gov_promote(struct req *r, json_t *body);
void gov_rollback(struct req *r, json_t *body);
void gov_policy_check(struct req *r);

#endif

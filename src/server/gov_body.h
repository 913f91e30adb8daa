/* The JSON request bodies of /api/v1/ (approvals, promotions, rollbacks,
 * waivers, account changes), read without a connection: bytes in, a
 * struct of borrowed strings or one error out, so the routes share one
 * set of checks and the fuzzer can reach them. */
#ifndef STELE_SERVER_GOV_BODY_H
#define STELE_SERVER_GOV_BODY_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "meta/meta.h"

#define GOV_BODY_MAX (64 * 1024)
#define GOV_REASON_MAX 512
#define GOV_REF_MAX (META_TAG_MAX + 80)  /* a tag or a digest */
#define GOV_RULE_MAX 128                 /* a waived advisory or rule */
#define GOV_TIME_MAX 32

/*
 * Parse a request body of n bytes (at most GOV_BODY_MAX): a JSON object
 * with no duplicate keys. *out is freed with json_decref().
 */
int gov_body_parse(const char *p, size_t n, json_t **out);

/*
 * The readers below fill out with strings borrowed from body (valid while
 * body lives). On failure they return ERR_INVALID with one line set and
 * *code the OCI-style error code to answer with ("INVALID",
 * "NAME_INVALID", "DIGEST_INVALID").
 */
struct gov_approve_body {
	const char *repo, *reference, *environment;
	const char *comment;     /* NULL when absent */
};
int gov_approve_body_read(json_t *body, struct gov_approve_body *out,
			  const char **code);

/* Promotions need a reference; rollbacks may leave it out (NULL: the
 * version before the current one) and may set break_glass. */
struct gov_move_body {
	const char *repo, *reference, *environment, *reason;
	bool break_glass;
};
int gov_promote_body_read(json_t *body, struct gov_move_body *out,
			  const char **code);
int gov_rollback_body_read(json_t *body, struct gov_move_body *out,
			   const char **code);

struct gov_waive_body {
	const char *repo, *id, *until, *reason;
	const char *digest;      /* NULL: every version of repo */
};
int gov_waive_body_read(json_t *body, struct gov_waive_body *out,
			const char **code);

/* PATCH /api/v1/users/NAME: only the members present are set. */
struct gov_user_patch {
	const char *password;    /* NULL: unchanged */
	bool set_role, set_robot, set_disabled;
	enum meta_role role;
	bool robot, disabled;
	const char *admin_field; /* the first member only admins may set */
};
int gov_user_patch_read(json_t *body, struct gov_user_patch *out,
			const char **code);

#endif

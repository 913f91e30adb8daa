/* Reading /api/v1/ request bodies; see gov_body.h. */
#include "server/gov_body.h"
#include "oci/digest.h"
#include "oci/ref.h"
#include "gov/policy.h"
#include "util/err.h"

#include <string.h>

/* A string member of a body: where it goes, its longest value. */
struct field {
	const char *key;
	size_t max;
	bool required;
	size_t off;              /* offsetof the const char * in the out */
};

#define FIELD(type, key, member, max, required) \
	{ key, max, required, offsetof(type, member) }

int gov_body_parse(const char *p, size_t n, json_t **out)
{
	json_error_t je;

	*out = NULL;
	if (n > GOV_BODY_MAX)
		return err_set(ERR_LIMIT, "body over %d bytes", GOV_BODY_MAX);
	*out = json_loadb(p ? p : "", n, JSON_REJECT_DUPLICATES, &je);
	if (json_is_object(*out))
		return 0;
	json_decref(*out);
	*out = NULL;
	return err_set(ERR_INVALID, "body must be a JSON object (offset %d: "
		       "%s)", je.position, je.text);
}

static int bad(const char **code, const char *what, int rc)
{
	*code = what;
	return rc;
}

/* Each field of f into out, in table order; the first error wins. An
 * optional member may be absent, never of the wrong type or empty. */
static int read_strings(json_t *body, const struct field *f, size_t n,
			void *out, const char **code)
{
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(body, f[i].key);
		const char **dst = (const char **)((char *)out + f[i].off);

		*dst = NULL;
		if (!v && !f[i].required)
			continue;
		*dst = json_string_value(v);
		if (!*dst || !**dst || strlen(*dst) > f[i].max ||
		    strlen(*dst) != json_string_length(v))
			return bad(code, "INVALID", err_set(ERR_INVALID,
				   "'%s' must be a string of 1 to %zu bytes",
				   f[i].key, f[i].max));
	}
	return 0;
}

static int check_repo(const char *repo, const char **code)
{
	if (strlen(repo) > META_REPO_MAX || !oci_repo_valid(repo))
		return bad(code, "NAME_INVALID", err_set(ERR_INVALID,
			   "a valid 'repo' is required"));
	return 0;
}

#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))
#define APPROVE(key, m, max, req) \
	FIELD(struct gov_approve_body, key, m, max, req)
#define MOVE(key, m, max, req) FIELD(struct gov_move_body, key, m, max, req)
#define WAIVE(key, m, max, req) FIELD(struct gov_waive_body, key, m, max, req)

static const struct field approve_fields[] = {
	APPROVE("repo", repo, META_REPO_MAX, true),
	APPROVE("reference", reference, GOV_REF_MAX, true),
	APPROVE("environment", environment, POLICY_NAME_MAX, true),
	APPROVE("comment", comment, GOV_REASON_MAX, false),
};

int gov_approve_body_read(json_t *body, struct gov_approve_body *out,
			  const char **code)
{
	int rc = read_strings(body, approve_fields, NFIELDS(approve_fields),
			      out, code);

	return rc ? rc : check_repo(out->repo, code);
}

static const struct field move_fields[] = {
	MOVE("repo", repo, META_REPO_MAX, true),
	MOVE("environment", environment, POLICY_NAME_MAX, true),
	MOVE("reason", reason, GOV_REASON_MAX, true),
	MOVE("reference", reference, GOV_REF_MAX, false),
};

static int move_read(json_t *body, struct gov_move_body *out,
		     const char **code)
{
	int rc = read_strings(body, move_fields, NFIELDS(move_fields), out,
			      code);

	out->break_glass = false;
	return rc ? rc : check_repo(out->repo, code);
}

int gov_promote_body_read(json_t *body, struct gov_move_body *out,
			  const char **code)
{
	int rc = move_read(body, out, code);

	if (!rc && !out->reference)
		rc = bad(code, "INVALID", err_set(ERR_INVALID, "'reference' "
			 "must be a string of 1 to %d bytes", GOV_REF_MAX));
	return rc;
}

/* Break-glass is a rollback's alone; a promotion ignores the member. */
int gov_rollback_body_read(json_t *body, struct gov_move_body *out,
			   const char **code)
{
	json_t *bg = json_object_get(body, "break_glass");
	int rc = move_read(body, out, code);

	if (!rc && bg && !json_is_boolean(bg))
		rc = bad(code, "INVALID", err_set(ERR_INVALID, "'break_glass'"
			 " must be a boolean"));
	out->break_glass = !rc && json_is_true(bg);
	return rc;
}

static const struct field waive_fields[] = {
	WAIVE("repo", repo, META_REPO_MAX, true),
	WAIVE("id", id, GOV_RULE_MAX, true),
	WAIVE("until", until, GOV_TIME_MAX, true),
	WAIVE("reason", reason, GOV_REASON_MAX, true),
	WAIVE("digest", digest, DIGEST_STR_LEN, false),
};

int gov_waive_body_read(json_t *body, struct gov_waive_body *out,
			const char **code)
{
	int rc = read_strings(body, waive_fields, NFIELDS(waive_fields), out,
			      code);

	if (!rc)
		rc = check_repo(out->repo, code);
	if (!rc && out->digest && !oci_digest_valid(out->digest))
		rc = bad(code, "DIGEST_INVALID", err_set(ERR_INVALID,
			 "invalid digest"));
	return rc;
}

/* One member of an account change. */
static int user_member(struct gov_user_patch *p, const char *k, json_t *v)
{
	if (!strcmp(k, "password")) {
		p->password = json_string_value(v);
		if (!p->password || strlen(p->password) !=
		    json_string_length(v))
			return err_set(ERR_INVALID, "'password' must be a "
				       "string");
		return 0;
	}
	if (strcmp(k, "role") && strcmp(k, "robot") && strcmp(k, "disabled"))
		return err_set(ERR_INVALID, "unknown field '%s'", k);
	if (!p->admin_field)
		p->admin_field = k;
	if (!strcmp(k, "role")) {
		p->set_role = true;
		return json_is_string(v) ?
		       meta_role_parse(json_string_value(v), &p->role) :
		       err_set(ERR_INVALID, "'role' must be a string");
	}
	if (!json_is_boolean(v))
		return err_set(ERR_INVALID, "'%s' must be true or false", k);
	if (!strcmp(k, "robot")) {
		p->set_robot = true;
		p->robot = json_is_true(v);
	} else {
		p->set_disabled = true;
		p->disabled = json_is_true(v);
	}
	return 0;
}

int gov_user_patch_read(json_t *body, struct gov_user_patch *out,
			const char **code)
{
	const char *k;
	json_t *v;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	json_object_foreach(body, k, v) {
		rc = user_member(out, k, v);
		if (rc)
			return bad(code, "INVALID", rc);
	}
	return 0;
}

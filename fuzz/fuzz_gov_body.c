/* Fuzz target: the /api/v1/ request bodies (approvals, promotions,
 * rollbacks, waivers, account changes) through the same readers the
 * routes use. */
#include "fuzz.h"

#include <string.h>

#include "gov/policy.h"
#include "oci/digest.h"
#include "server/gov_body.h"

static void must(int ok)
{
	if (!ok)
		__builtin_trap();
}

/* A string a reader accepted: present, non-empty, within its limit. */
static void ok_str(const char *s, size_t max)
{
	must(s && *s && strlen(s) <= max);
}

static void try_approve(json_t *body)
{
	struct gov_approve_body b;
	const char *code = NULL;

	if (gov_approve_body_read(body, &b, &code)) {
		must(code != NULL);
		return;
	}
	ok_str(b.repo, META_REPO_MAX);
	ok_str(b.reference, GOV_REF_MAX);
	ok_str(b.environment, POLICY_NAME_MAX);
	must(!b.comment || strlen(b.comment) <= GOV_REASON_MAX);
}

static void try_move(json_t *body)
{
	struct gov_move_body b;
	const char *code = NULL;

	if (!gov_promote_body_read(body, &b, &code)) {
		ok_str(b.reference, GOV_REF_MAX);
		must(!b.break_glass);
	} else {
		must(code != NULL);
	}
	code = NULL;
	if (gov_rollback_body_read(body, &b, &code)) {
		must(code != NULL);
		return;
	}
	ok_str(b.repo, META_REPO_MAX);
	ok_str(b.environment, POLICY_NAME_MAX);
	ok_str(b.reason, GOV_REASON_MAX);
}

static void try_waive(json_t *body)
{
	struct gov_waive_body b;
	const char *code = NULL;

	if (gov_waive_body_read(body, &b, &code)) {
		must(code != NULL);
		return;
	}
	ok_str(b.id, GOV_RULE_MAX);
	ok_str(b.until, GOV_TIME_MAX);
	must(!b.digest || strlen(b.digest) < DIGEST_STR_LEN);
}

static void try_user(json_t *body)
{
	struct gov_user_patch p;
	const char *code = NULL;

	if (gov_user_patch_read(body, &p, &code)) {
		must(code != NULL);
		return;
	}
	must(!(p.set_role || p.set_robot || p.set_disabled) ||
	     p.admin_field != NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body;

	if (gov_body_parse((const char *)data, size, &body))
		return 0;
	try_approve(body);
	try_move(body);
	try_waive(body);
	try_user(body);
	json_decref(body);
	return 0;
}

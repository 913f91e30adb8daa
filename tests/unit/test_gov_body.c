/* Unit tests for the /api/v1/ request body readers (server/gov_body.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "server/gov_body.h"
#include "util/err.h"

#define DIGEST "sha256:0123456789abcdef0123456789abcdef" \
	       "0123456789abcdef0123456789abcdef"

static json_t *body(const char *text)
{
	json_t *j = NULL;

	assert_int_equal(gov_body_parse(text, strlen(text), &j), 0);
	return j;
}

static void test_parse_refuses_non_object_and_dups(void **state)
{
	json_t *j;

	(void)state;
	assert_int_equal(gov_body_parse("[1]", 3, &j), ERR_INVALID);
	assert_null(j);
	assert_int_equal(gov_body_parse("{\"a\":1,\"a\":2}", 13, &j),
			 ERR_INVALID);
	assert_int_equal(gov_body_parse(NULL, 0, &j), ERR_INVALID);
	assert_int_equal(gov_body_parse("{}", GOV_BODY_MAX + 1, &j),
			 ERR_LIMIT);
}

static void test_approve_reads_fields_comment_optional(void **state)
{
	json_t *j = body("{\"repo\":\"team/m\",\"reference\":\"v1\","
			 "\"environment\":\"staging\"}");
	struct gov_approve_body b;
	const char *code = NULL;

	(void)state;
	assert_int_equal(gov_approve_body_read(j, &b, &code), 0);
	assert_string_equal(b.repo, "team/m");
	assert_string_equal(b.reference, "v1");
	assert_string_equal(b.environment, "staging");
	assert_null(b.comment);
	json_decref(j);
}

static void test_approve_bad_repo_is_name_invalid(void **state)
{
	json_t *j = body("{\"repo\":\"../x\",\"reference\":\"v1\","
			 "\"environment\":\"staging\"}");
	struct gov_approve_body b;
	const char *code = NULL;

	(void)state;
	assert_int_equal(gov_approve_body_read(j, &b, &code), ERR_INVALID);
	assert_string_equal(code, "NAME_INVALID");
	json_decref(j);
}

static void test_approve_refuses_empty_and_non_string(void **state)
{
	json_t *j = body("{\"repo\":\"m\",\"reference\":\"\","
			 "\"environment\":\"s\"}");
	json_t *k = body("{\"repo\":\"m\",\"reference\":\"v1\","
			 "\"environment\":\"s\",\"comment\":7}");
	struct gov_approve_body b;
	const char *code = NULL;

	(void)state;
	assert_int_equal(gov_approve_body_read(j, &b, &code), ERR_INVALID);
	assert_string_equal(code, "INVALID");
	assert_int_equal(gov_approve_body_read(k, &b, &code), ERR_INVALID);
	json_decref(j);
	json_decref(k);
}

static void test_promote_needs_reference_rollback_not(void **state)
{
	json_t *j = body("{\"repo\":\"m\",\"environment\":\"prod\","
			 "\"reason\":\"r\",\"break_glass\":true}");
	struct gov_move_body b;
	const char *code = NULL;

	(void)state;
	assert_int_equal(gov_promote_body_read(j, &b, &code), ERR_INVALID);
	assert_int_equal(gov_rollback_body_read(j, &b, &code), 0);
	assert_null(b.reference);
	assert_true(b.break_glass);
	json_decref(j);
}

static void test_rollback_refuses_non_boolean_break_glass(void **state)
{
	json_t *j = body("{\"repo\":\"m\",\"environment\":\"prod\","
			 "\"reason\":\"r\",\"break_glass\":\"yes\"}");
	struct gov_move_body b;
	const char *code = NULL;

	(void)state;
	assert_int_equal(gov_rollback_body_read(j, &b, &code), ERR_INVALID);
	assert_string_equal(code, "INVALID");
	assert_false(b.break_glass);
	json_decref(j);
}

static void test_waive_digest_optional_but_valid(void **state)
{
	json_t *ok = body("{\"repo\":\"m\",\"id\":\"CVE-1\",\"until\":"
			  "\"2099-01-01\",\"reason\":\"r\",\"digest\":\""
			  DIGEST "\"}");
	json_t *bad = body("{\"repo\":\"m\",\"id\":\"CVE-1\",\"until\":"
			   "\"2099-01-01\",\"reason\":\"r\",\"digest\":"
			   "\"sha256:zz\"}");
	struct gov_waive_body b;
	const char *code = NULL;

	(void)state;
	assert_int_equal(gov_waive_body_read(ok, &b, &code), 0);
	assert_string_equal(b.digest, DIGEST);
	assert_int_equal(gov_waive_body_read(bad, &b, &code), ERR_INVALID);
	assert_string_equal(code, "DIGEST_INVALID");
	json_decref(ok);
	json_decref(bad);
}

static void test_user_patch_marks_admin_fields(void **state)
{
	json_t *self = body("{\"password\":\"pw\"}");
	json_t *adm = body("{\"disabled\":true,\"role\":\"approver\"}");
	struct gov_user_patch p;
	const char *code = NULL;

	(void)state;
	assert_int_equal(gov_user_patch_read(self, &p, &code), 0);
	assert_string_equal(p.password, "pw");
	assert_null(p.admin_field);
	assert_int_equal(gov_user_patch_read(adm, &p, &code), 0);
	assert_string_equal(p.admin_field, "disabled");
	assert_true(p.set_role && p.set_disabled && p.disabled);
	assert_int_equal(p.role, META_ROLE_APPROVER);
	json_decref(self);
	json_decref(adm);
}

static void test_user_patch_refuses_unknown_and_bad_types(void **state)
{
	json_t *unknown = body("{\"email\":\"x\"}");
	json_t *role = body("{\"role\":\"owner\"}");
	json_t *flag = body("{\"robot\":1}");
	struct gov_user_patch p;
	const char *code = NULL;

	(void)state;
	assert_int_equal(gov_user_patch_read(unknown, &p, &code), ERR_INVALID);
	assert_int_equal(gov_user_patch_read(role, &p, &code), ERR_INVALID);
	assert_int_equal(gov_user_patch_read(flag, &p, &code), ERR_INVALID);
	json_decref(unknown);
	json_decref(role);
	json_decref(flag);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_refuses_non_object_and_dups),
		cmocka_unit_test(test_approve_reads_fields_comment_optional),
		cmocka_unit_test(test_approve_bad_repo_is_name_invalid),
		cmocka_unit_test(test_approve_refuses_empty_and_non_string),
		cmocka_unit_test(test_promote_needs_reference_rollback_not),
		cmocka_unit_test(test_rollback_refuses_non_boolean_break_glass),
		cmocka_unit_test(test_waive_digest_optional_but_valid),
		cmocka_unit_test(test_user_patch_marks_admin_fields),
		cmocka_unit_test(test_user_patch_refuses_unknown_and_bad_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

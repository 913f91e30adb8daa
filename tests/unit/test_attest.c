/* Unit tests for the registry's attestation predicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gov/attest.h"
#include "util/err.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static void test_scan_round_trip(void **state)
{
	struct attest_scan a = { "suspicious", { 1, 2, 3, 4, 0 },
				 "2026-12-04T10:00:00Z", "stele 0.1.0",
				 "osv-2026-12-01", "[{\"rule\":\"x\"}]" };
	struct attest_scan b;
	struct buf out = BUF_INIT(1 << 16);

	assert_int_equal(attest_scan_build(&a, &out), 0);
	assert_int_equal(attest_scan_parse(out.data, out.len, &b), 0);
	assert_string_equal(b.verdict, "suspicious");
	assert_int_equal(b.counts[3], 4);
	assert_string_equal(b.advisory_db, "osv-2026-12-01");
	buf_release(&out);
}

static void test_promotion_round_trip(void **state)
{
	struct attest_promotion a = { 0 }, b;
	struct buf out = BUF_INIT(1 << 16);

	strcpy(a.environment, "prod");
	strcpy(a.repository, "team/m");
	strcpy(a.action, "rollback");
	strcpy(a.actor, "dora");
	strcpy(a.time, "2026-12-04T10:00:00Z");
	strcpy(a.previous, DA);
	a.require_signature = true;
	assert_int_equal(attest_promotion_build(&a, &out), 0);
	assert_int_equal(attest_promotion_parse(out.data, out.len, &b), 0);
	assert_string_equal(b.environment, "prod");
	assert_string_equal(b.previous, DA);
	assert_true(b.require_signature);
	assert_false(b.break_glass);
	buf_release(&out);
}

static void test_strict_reading(void **state)
{
	struct attest_promotion p;
	struct attest_scan s;
	const char *dup = "{\"environment\":\"prod\",\"environment\":\"dev\","
			  "\"repository\":\"r\",\"action\":\"promote\","
			  "\"actor\":\"a\",\"time\":\"t\"}";
	const char *act = "{\"environment\":\"prod\",\"repository\":\"r\","
			  "\"action\":\"deploy\",\"actor\":\"a\","
			  "\"time\":\"t\"}";
	const char *nul = "{\"environment\":\"pr\\u0000od\",\"repository\":"
			  "\"r\",\"action\":\"promote\",\"actor\":\"a\","
			  "\"time\":\"t\"}";
	const char *verdict = "{\"verdict\":\"fine\",\"time\":\"t\","
			      "\"counts\":{}}";
	const char *neg = "{\"verdict\":\"clean\",\"time\":\"t\",\"counts\":"
			  "{\"critical\":-1,\"high\":0,\"medium\":0,\"low\":0,"
			  "\"info\":0}}";

	assert_int_equal(attest_promotion_parse(dup, strlen(dup), &p),
			 ERR_INVALID);
	assert_int_equal(attest_promotion_parse(act, strlen(act), &p),
			 ERR_INVALID);
	assert_int_equal(attest_promotion_parse(nul, strlen(nul), &p),
			 ERR_INVALID);
	assert_int_equal(attest_scan_parse(verdict, strlen(verdict), &s),
			 ERR_INVALID);
	assert_int_equal(attest_scan_parse(neg, strlen(neg), &s),
			 ERR_INVALID);
	assert_int_equal(attest_scan_parse("[]", 2, &s), ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_round_trip),
		cmocka_unit_test(test_promotion_round_trip),
		cmocka_unit_test(test_strict_reading),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

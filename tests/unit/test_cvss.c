/* Unit tests for CVSS v3 and v4.0 base scores. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include "util/err.h"
#include "vuln/cvss.h"

static void assert_score(const char *vector, double want)
{
	double got = -1;

	if (cvss_score(vector, &got))
		fail_msg("'%s' refused: %s", vector, err_msg());
	if (fabs(got - want) > 1e-9)
		fail_msg("'%s' scored %.1f, want %.1f", vector, got, want);
}

static void test_v31_known_scores(void **state)
{
	assert_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8);
	assert_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0);
	assert_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1);
	assert_score("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8);
	assert_score("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9);
	assert_score("CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4);
	assert_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", 7.5);
	assert_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0);
}

static void test_v30_known_scores(void **state)
{
	assert_score("CVSS:3.0/AV:N/AC:H/PR:L/UI:R/S:C/C:N/I:L/A:L", 4.4);
	assert_score("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:L/A:N", 4.0);
	assert_score("CVSS:3.0/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:L/A:H", 7.1);
	assert_score("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:L/I:H/A:N", 8.2);
}

static void test_v4_known_scores(void **state)
{
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/"
		     "SC:H/SI:H/SA:H", 10.0);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/"
		     "SC:N/SI:N/SA:N", 0.0);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/"
		     "SC:N/SI:N/SA:N", 9.3);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/"
		     "SC:H/SI:H/SA:H", 7.9);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:L/"
		     "SC:N/SI:N/SA:N", 6.9);
	assert_score("CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/"
		     "SC:N/SI:N/SA:N", 7.3);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/"
		     "SC:N/SI:N/SA:N", 7.7);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/"
		     "SC:N/SI:N/SA:N", 8.3);
	assert_score("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:L/VI:N/VA:N/"
		     "SC:N/SI:N/SA:N", 4.6);
}

static void test_v4_threat_and_environmental(void **state)
{
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/"
		     "SC:H/SI:H/SA:H/E:U", 9.1);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/"
		     "SC:H/SI:H/SA:H/MVI:L/MSA:S", 9.8);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:H/VI:H/VA:H/"
		     "SC:N/SI:N/SA:N/E:U", 5.2);
	assert_score("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:H/VI:L/VA:L/"
		     "SC:N/SI:N/SA:N/CR:H/IR:L/AR:L/MAV:N/MAC:H/MVC:H/MVI:L/"
		     "MVA:L", 8.1);
}

static void test_refuses_malformed_vectors(void **state)
{
	double s;

	assert_int_equal(cvss_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/"
				    "I:H", &s), ERR_INVALID);
	assert_int_equal(cvss_score("CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/"
				    "C:H/I:H/A:H", &s), ERR_INVALID);
	assert_int_equal(cvss_score("CVSS:3.1/AV:Q/AC:L/PR:N/UI:N/S:U/C:H/"
				    "I:H/A:H", &s), ERR_INVALID);
	assert_int_equal(cvss_score("CVSS:4.0/AV:N/AC:L", &s), ERR_INVALID);
	assert_int_equal(cvss_score("CVSS:3.1/AV:NN", &s), ERR_INVALID);
	assert_int_equal(cvss_score("AV:N/AC:L/Au:N/C:P/I:P/A:P", &s),
			 ERR_UNSUPPORTED);
}

static void test_bands(void **state)
{
	assert_string_equal(cvss_band(0.0), "none");
	assert_string_equal(cvss_band(0.1), "low");
	assert_string_equal(cvss_band(3.9), "low");
	assert_string_equal(cvss_band(4.0), "medium");
	assert_string_equal(cvss_band(6.9), "medium");
	assert_string_equal(cvss_band(7.0), "high");
	assert_string_equal(cvss_band(8.9), "high");
	assert_string_equal(cvss_band(9.0), "critical");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v31_known_scores),
		cmocka_unit_test(test_v30_known_scores),
		cmocka_unit_test(test_v4_known_scores),
		cmocka_unit_test(test_v4_threat_and_environmental),
		cmocka_unit_test(test_refuses_malformed_vectors),
		cmocka_unit_test(test_bands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for digests and references. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "oci/digest.h"
#include "oci/ref.h"
#include "util/err.h"

#define HEX64 "0123456789abcdef0123456789abcdef" \
	      "0123456789abcdef0123456789abcdef"

static void test_digest_accepts_sha256(void **state)
{
	assert_true(oci_digest_valid("sha256:" HEX64));
	assert_int_equal(oci_digest_check("sha256:" HEX64), 0);
}

static void test_digest_refuses_path_tricks(void **state)
{
	assert_false(oci_digest_valid("sha256:../../etc/passwd"));
	assert_false(oci_digest_valid("sha256:" HEX64 "0"));
	assert_false(oci_digest_valid("SHA256:" HEX64));
	assert_false(oci_digest_valid("sha256:0123456789ABCDEF0123456789abcdef"
				      "0123456789abcdef0123456789abcdef"));
	assert_false(oci_digest_valid("sha256:%2e%2e"));
	assert_int_equal(oci_digest_check("sha256:.."), ERR_INVALID);
	assert_int_equal(oci_digest_check("sha512:abcd"), ERR_UNSUPPORTED);
}

static void test_ref_full(void **state)
{
	struct oci_ref r;

	assert_int_equal(oci_ref_parse("localhost:5000/team/model:v1.0.0"
				       "@sha256:" HEX64, &r), 0);
	assert_string_equal(r.host, "localhost:5000");
	assert_string_equal(r.repo, "team/model");
	assert_string_equal(r.tag, "v1.0.0");
	assert_string_equal(r.digest, "sha256:" HEX64);
}

static void test_ref_without_host(void **state)
{
	struct oci_ref r;

	assert_int_equal(oci_ref_parse("team/model:latest", &r), 0);
	assert_string_equal(r.host, "");
	assert_string_equal(r.repo, "team/model");
	assert_string_equal(r.tag, "latest");
	assert_int_equal(oci_ref_parse("model", &r), 0);
	assert_string_equal(r.tag, "");
}

static void test_ref_refuses_bad_names(void **state)
{
	struct oci_ref r;

	assert_int_equal(oci_ref_parse("Team/model", &r), ERR_INVALID);
	assert_int_equal(oci_ref_parse("team/../model", &r), ERR_INVALID);
	assert_int_equal(oci_ref_parse("team//model", &r), ERR_INVALID);
	assert_int_equal(oci_ref_parse("team/model:", &r), ERR_INVALID);
	assert_int_equal(oci_ref_parse("team/model:.bad", &r), ERR_INVALID);
	assert_int_equal(oci_ref_parse("team/model@sha256:12", &r),
			 ERR_INVALID);
	assert_int_equal(oci_ref_parse("", &r), ERR_INVALID);
	assert_int_equal(oci_ref_parse("a-/b", &r), ERR_INVALID);
}

static void test_ref_format_round_trip(void **state)
{
	struct oci_ref r;
	char out[600];

	assert_int_equal(oci_ref_parse("reg.example:443/a/b_c:1.0", &r), 0);
	assert_int_equal(oci_ref_format(&r, out, sizeof(out)), 0);
	assert_string_equal(out, "reg.example:443/a/b_c:1.0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_digest_accepts_sha256),
		cmocka_unit_test(test_digest_refuses_path_tricks),
		cmocka_unit_test(test_ref_full),
		cmocka_unit_test(test_ref_without_host),
		cmocka_unit_test(test_ref_refuses_bad_names),
		cmocka_unit_test(test_ref_format_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for PEP 440 versions, specifiers and PEP 503 names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/err.h"
#include "vuln/pep440.h"

static struct pep440_version ver(const char *s)
{
	struct pep440_version v;

	pep440_parse(s, &v);
	return v;
}

static int cmp(const char *a, const char *b)
{
	struct pep440_version x = ver(a), y = ver(b);

	return pep440_cmp(&x, &y);
}

static void assert_norm(const char *in, const char *want)
{
	struct pep440_version v;
	char out[PEP440_MAX_LEN + 1];

	assert_int_equal(pep440_parse(in, &v), 0);
	assert_int_equal(pep440_format(&v, out, sizeof(out)), 0);
	if (strcmp(out, want))
		fail_msg("'%s' normalised to '%s', want '%s'", in, out, want);
}

static void test_normalises_every_spelling(void **state)
{
	assert_norm("1.0", "1.0");
	assert_norm(" v1.0 ", "1.0");
	assert_norm("1.0-alpha1", "1.0a1");
	assert_norm("1.0.ALPHA.1", "1.0a1");
	assert_norm("1.0a", "1.0a0");
	assert_norm("1.0beta_2", "1.0b2");
	assert_norm("1.0c1", "1.0rc1");
	assert_norm("1.0-preview-3", "1.0rc3");
	assert_norm("1.0pre", "1.0rc0");
	assert_norm("1.0-1", "1.0.post1");
	assert_norm("1.0-r4", "1.0.post4");
	assert_norm("1.0rev", "1.0.post0");
	assert_norm("1.0.post", "1.0.post0");
	assert_norm("1.0dev", "1.0.dev0");
	assert_norm("1.0-dev_7", "1.0.dev7");
	assert_norm("01.002.0003", "1.2.3");
	assert_norm("1!2.0", "1!2.0");
	assert_norm("0!2.0", "2.0");
	assert_norm("1.0+Ubuntu-1_02", "1.0+ubuntu.1.2");
	assert_norm("1.0a1.post2.dev3+abc", "1.0a1.post2.dev3+abc");
}

static void test_refuses_non_pep440_as_legacy(void **state)
{
	static const char *const bad[] = { "", "french toast", "1.0+",
		"1.0+a..b", "1.0.", ".1", "1.0-", "1.0a1a2", "1..0",
		"1.0 .1", "1.0.post1.post2", "1.0+ab_", "1!", "v", "-1.0" };
	struct pep440_version v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pep440_parse(bad[i], &v) != ERR_INVALID)
			fail_msg("'%s' accepted", bad[i]);
		assert_true(v.legacy);
	}
}

static void test_absurd_versions_hit_limits(void **state)
{
	struct pep440_version v;
	char big[400];

	assert_int_equal(pep440_parse("1.99999999999999999999", &v),
			 ERR_LIMIT);
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(pep440_parse(big, &v), ERR_LIMIT);
	assert_int_equal(pep440_parse("1.2.3.4.5.6.7.8.9.10.11.12.13.14.15."
				      "16.17.18.19.20.21.22.23.24.25", &v),
			 ERR_LIMIT);
	assert_int_equal(pep440_parse("1.0000000000000000000000000002", &v),
			 0);
	assert_int_equal(v.release[1], 2);
}

/* The ordering packaging's own tests check, ascending. */
static const char *const ordered[] = {
	"1.0.dev456", "1.0a1", "1.0a2.dev456", "1.0a12.dev456", "1.0a12",
	"1.0b1.dev456", "1.0b2", "1.0b2.post345.dev456", "1.0b2.post345",
	"1.0b2-346", "1.0c1.dev456", "1.0c1", "1.0rc2", "1.0c3", "1.0",
	"1.0.post456.dev34", "1.0.post456", "1.1.dev1", "1.2+123abc",
	"1.2+123abc456", "1.2+abc", "1.2+abc123", "1.2+abc123def",
	"1.2+1234.abc", "1.2+123456", "1.2.r32+123456", "1.2.rev33+123456",
	"1!1.0b2.post345.dev456", "1!1.0", "1!1.0.post456",
	"1!1.2.rev33+123456",
};

static void test_orders_like_packaging(void **state)
{
	size_t n = sizeof(ordered) / sizeof(ordered[0]);

	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < n; j++) {
			int want = i < j ? -1 : i > j;

			if (cmp(ordered[i], ordered[j]) != want)
				fail_msg("cmp('%s', '%s') != %d", ordered[i],
					 ordered[j], want);
		}
}

static void test_equal_spellings(void **state)
{
	assert_int_equal(cmp("1.0", "1.0.0.0"), 0);
	assert_int_equal(cmp("1.0a1", "1.0.alpha.1"), 0);
	assert_int_equal(cmp("1.0.post0", "1.0-0"), 0);
	assert_int_equal(cmp("1.0+abc.5", "1.0+ABC-05"), 0);
	assert_int_equal(cmp("1.0", "1.0+0"), -1);
	assert_int_equal(cmp("2.0.dev0", "2.0a0"), -1);
}

static void test_legacy_before_every_valid(void **state)
{
	assert_int_equal(cmp("french toast", "0.0.dev0"), -1);
	assert_int_equal(cmp("0!0.dev0", "not-a-version"), 1);
	assert_int_equal(cmp("abc", "abd"), -1);
	assert_int_equal(cmp("ABC", "abc"), 0);
}

static int contains(const char *spec, const char *v, bool pre)
{
	struct pep440_specset set;
	struct pep440_version x = ver(v);

	if (pep440_specset_parse(spec, &set))
		fail_msg("spec '%s' refused: %s", spec, err_msg());
	return pep440_specset_contains(&set, &x, pre);
}

#define IN(spec, v) \
	do { if (!contains(spec, v, true)) \
		fail_msg("'%s' should admit '%s'", spec, v); } while (0)
#define OUT(spec, v) \
	do { if (contains(spec, v, true)) \
		fail_msg("'%s' should refuse '%s'", spec, v); } while (0)

static void test_specifier_operators(void **state)
{
	IN("==2.0", "2.0.0"); OUT("==2.0", "2.0.1");
	IN("==2.0", "2.0+deadbeef"); OUT("==2.0+ubuntu1", "2.0");
	IN("==2.0+ubuntu1", "2.0+UBUNTU1");
	OUT("==2.0+ubuntu1", "2.0+ubuntu.1");
	IN("==2.*", "2.0rc1"); IN("==2.*", "2.9.post1"); OUT("==2.*", "3.0");
	IN("==2.0.*", "2"); OUT("==2.1.*", "2.10");
	IN("!=2.0", "2.0.1"); OUT("!=2.0.*", "2.0.5");
	IN("<=2.0", "2.0+local"); IN(">=2.0", "2.0+local");
	IN("<2.0", "1.9.9"); OUT("<2.0", "2.0rc1"); IN("<2.0rc2", "2.0rc1");
	IN(">2.0", "2.0.1"); OUT(">2.0", "2.0.post1"); OUT(">2.0", "2.0+l");
	IN(">2.0.post1", "2.0.post2");
	IN("~=2.2", "2.9"); OUT("~=2.2", "3.0"); OUT("~=2.2", "2.1");
	IN("~=1.4.5", "1.4.9"); OUT("~=1.4.5", "1.5.0");
	IN("~=1.4.5a4", "1.4.5"); OUT("~=1.4.5a4", "1.4.5a3");
	IN("===foobar", "FooBar"); OUT("===1.0", "1.0.0");
	IN(">= 1.0 , < 2 ,!=1.5", "1.4"); OUT(">=1.0,<2,!=1.5", "1.5.0");
	IN("", "0.1"); IN(">=0", "1!0.1");
}

static void test_prerelease_default_rule(void **state)
{
	assert_false(contains(">=1.0", "2.0b1", false));
	assert_true(contains(">=1.0b1", "2.0b1", false));
	assert_false(contains("", "2.0.dev1", false));
	assert_true(contains("", "2.0.dev1", true));
	assert_false(contains("!=2.0b1", "2.0b2", false));
}

static void test_refuses_bad_specifiers(void **state)
{
	struct pep440_specset set;
	static const char *const bad[] = { "2.0", "=>2.0", "~=2",
		"<2.0+local", "==2.0a1.*", "~=1.0+x", ">=1.0,,<2", ">=",
		"==1.*.2", ">=french" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (pep440_specset_parse(bad[i], &set) != ERR_INVALID)
			fail_msg("'%s' accepted", bad[i]);
}

static void test_pinned_and_bounds(void **state)
{
	struct pep440_specset set;
	struct pep440_bound lo, hi;
	char out[64];

	assert_int_equal(pep440_specset_parse("==1.2.3", &set), 0);
	assert_true(pep440_specset_pinned(&set));
	assert_int_equal(pep440_specset_parse("==1.2.*", &set), 0);
	assert_false(pep440_specset_pinned(&set));
	assert_int_equal(pep440_specset_bounds(&set, &lo, &hi), 0);
	pep440_format(&lo.v, out, sizeof(out));
	assert_string_equal(out, "1.2.dev0");
	pep440_format(&hi.v, out, sizeof(out));
	assert_string_equal(out, "1.3.dev0");
	assert_false(hi.inclusive);

	assert_int_equal(pep440_specset_parse("~=2.2.1,>2.2.5", &set), 0);
	assert_int_equal(pep440_specset_bounds(&set, &lo, &hi), 0);
	pep440_format(&lo.v, out, sizeof(out));
	assert_string_equal(out, "2.2.5");
	assert_false(lo.inclusive);

	assert_int_equal(pep440_specset_parse(">=3,<2", &set), 0);
	assert_int_equal(pep440_specset_bounds(&set, &lo, &hi), ERR_INVALID);
	assert_int_equal(pep440_specset_parse(">=2,<2", &set), 0);
	assert_int_equal(pep440_specset_bounds(&set, &lo, &hi), ERR_INVALID);
	assert_int_equal(pep440_specset_parse(">=2", &set), 0);
	assert_int_equal(pep440_specset_bounds(&set, &lo, &hi), 0);
	assert_false(hi.has);
}

static void test_pep503_names(void **state)
{
	char out[64];

	assert_int_equal(pep503_normalize("Friendly-Bard", out, 64), 0);
	assert_string_equal(out, "friendly-bard");
	assert_int_equal(pep503_normalize("FRIENDLY._-BARD", out, 64), 0);
	assert_string_equal(out, "friendly-bard");
	assert_int_equal(pep503_normalize("zope.interface", out, 64), 0);
	assert_string_equal(out, "zope-interface");
	assert_int_equal(pep503_normalize("", out, 64), ERR_INVALID);
	assert_int_equal(pep503_normalize("a/b", out, 64), ERR_INVALID);
	assert_int_equal(pep503_normalize("--", out, 64), ERR_INVALID);
	assert_int_equal(pep503_normalize("abcdef", out, 4), ERR_LIMIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normalises_every_spelling),
		cmocka_unit_test(test_refuses_non_pep440_as_legacy),
		cmocka_unit_test(test_absurd_versions_hit_limits),
		cmocka_unit_test(test_orders_like_packaging),
		cmocka_unit_test(test_equal_spellings),
		cmocka_unit_test(test_legacy_before_every_valid),
		cmocka_unit_test(test_specifier_operators),
		cmocka_unit_test(test_prerelease_default_rule),
		cmocka_unit_test(test_refuses_bad_specifiers),
		cmocka_unit_test(test_pinned_and_bounds),
		cmocka_unit_test(test_pep503_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

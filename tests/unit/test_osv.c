/* Unit tests for OSV record parsing and range evaluation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "vuln/osv.h"

static struct osv_record *json_rec(const char *s)
{
	struct osv_record *r = NULL;

	if (osv_parse_json(s, strlen(s), "t.json", &r))
		fail_msg("refused: %s", err_msg());
	return r;
}

/* Does the record's first affected entry affect version s? */
static bool affects(const struct osv_record *r, const char *s)
{
	struct osv_interval *iv;
	struct pep440_version v;
	size_t n;
	bool yes;

	pep440_parse(s, &v);
	assert_int_equal(osv_intervals(&r->aff[0], &iv, &n), 0);
	yes = osv_affects(&r->aff[0], iv, n, &v);
	free(iv);
	return yes;
}

#define REC(events, extra) "{\"id\":\"PYSEC-1\",\"modified\":" \
	"\"2024-01-02T03:04:05Z\",\"affected\":[{\"package\":{" \
	"\"ecosystem\":\"PyPI\",\"name\":\"Foo_Bar\"},\"ranges\":[{" \
	"\"type\":\"ECOSYSTEM\",\"events\":[" events "]}]" extra "}]}"

static void test_fixed_is_exclusive_introduced_inclusive(void **state)
{
	struct osv_record *r = json_rec(REC("{\"introduced\":\"1.0\"},"
					    "{\"fixed\":\"1.4.2\"}", ""));

	assert_string_equal(r->aff[0].package, "foo-bar");
	assert_false(affects(r, "0.9"));
	assert_true(affects(r, "1.0"));
	assert_true(affects(r, "1.4.2rc1"));
	assert_false(affects(r, "1.4.2"));
	assert_false(affects(r, "2.0"));
	osv_record_free(r);
}

static void test_events_walked_in_version_order(void **state)
{
	/* Given out of order; two affected spans with a gap. */
	struct osv_record *r = json_rec(REC(
		"{\"fixed\":\"2.0.10\"},{\"introduced\":\"3.0\"},"
		"{\"introduced\":\"0\"},{\"fixed\":\"2.0.9\"}", ""));

	assert_true(affects(r, "0.0.1"));
	assert_true(affects(r, "french-toast"));
	assert_false(affects(r, "2.0.9"));
	assert_false(affects(r, "2.0.10"));
	assert_true(affects(r, "3.0"));
	assert_true(affects(r, "99"));
	osv_record_free(r);
}

static void test_last_affected_inclusive_and_limit(void **state)
{
	struct osv_record *r = json_rec(REC(
		"{\"introduced\":\"1.0\"},{\"last_affected\":\"1.2\"},"
		"{\"introduced\":\"2.0\"},{\"limit\":\"2.5\"}", ""));

	assert_true(affects(r, "1.2"));
	/* A local label sorts after its release (PEP 440). */
	assert_false(affects(r, "1.2+local"));
	assert_false(affects(r, "1.2.1"));
	assert_true(affects(r, "2.4"));
	assert_false(affects(r, "2.5"));
	osv_record_free(r);
}

static void test_explicit_versions_list(void **state)
{
	struct osv_record *r = json_rec(REC("{\"introduced\":\"5.0\"}",
		",\"versions\":[\"0.10\",\"1.0.0\"]"));

	assert_true(affects(r, "0.10.0"));
	assert_true(affects(r, "1.0"));
	assert_false(affects(r, "0.1"));
	assert_true(affects(r, "5.1"));
	osv_record_free(r);
}

static void test_yaml_scalars_stay_strings(void **state)
{
	static const char y[] =
		"id: PYSEC-2099-1\nmodified: 2024-10-10T00:00:00Z\n"
		"aliases: [GHSA-aaaa-bbbb-cccc, CVE-2099-7]\n"
		"details: Bad thing\n  in two lines\n"
		"affected:\n- package: {ecosystem: PyPI, name: Jinja2}\n"
		"  ranges:\n  - type: ECOSYSTEM\n    events:\n"
		"    - introduced: \"0\"\n    - fixed: 2.10\n"
		"  versions:\n  - 2.1\n  - 2.9\n"
		"severity:\n- type: CVSS_V3\n"
		"  score: CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\n";
	struct osv_record *r = NULL;

	assert_int_equal(osv_parse_yaml(y, strlen(y), "y", &r), 0);
	assert_string_equal(r->aff[0].ranges[0].ev[1].version, "2.10");
	assert_string_equal(r->aff[0].versions[0], "2.1");
	assert_string_equal(r->aff[0].package, "jinja2");
	assert_string_equal(osv_record_group(r), "CVE-2099-7");
	assert_string_equal(r->modified, "2024-10-10T00:00:00.000000Z");
	assert_true(r->score > 9.79 && r->score < 9.81);
	assert_true(affects(r, "2.9"));
	assert_false(affects(r, "2.10"));
	osv_record_free(r);
}

static void test_refuses_duplicate_keys(void **state)
{
	static const char y[] = "id: A-1\nid: A-2\nmodified: 2024-01-01T00:"
				"00:00Z\n";
	static const char j[] = "{\"id\":\"A-1\",\"id\":\"A-2\","
				"\"modified\":\"2024-01-01T00:00:00Z\"}";
	struct osv_record *r = NULL;

	assert_int_equal(osv_parse_yaml(y, strlen(y), "d.yaml", &r),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "duplicate"));
	assert_int_equal(osv_parse_json(j, strlen(j), "d.json", &r),
			 ERR_INVALID);
	assert_null(r);
}

static void test_refuses_malformed_records(void **state)
{
	static const char *const bad[] = {
		"[]", "{\"id\":\"X-1\"}",
		"{\"id\":\"../x\",\"modified\":\"2024-01-01T00:00:00Z\"}",
		"{\"id\":\"X-1\",\"modified\":\"yesterday\"}",
		("{\"id\":\"X-1\",\"modified\":\"2024-01-01T00:00:00Z\","
		 "\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\","
		 "\"name\":\"x\"},\"ranges\":[{\"type\":\"ECOSYSTEM\","
		 "\"events\":[{\"introduced\":1}]}]}]}"),
		("{\"id\":\"X-1\",\"modified\":\"2024-01-01T00:00:00Z\","
		 "\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\","
		 "\"name\":\"x/y\"}}]}"),
		("{\"id\":\"X-1\",\"modified\":\"2024-01-01T00:00:00Z\","
		 "\"aliases\":\"CVE-1\"}"),
	};
	struct osv_record *r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = NULL;
		if (osv_parse_json(bad[i], strlen(bad[i]), "b.json", &r) !=
		    ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_null(r);
		assert_non_null(strstr(err_msg(), "b.json"));
	}
}

static void test_yaml_alias_bomb_is_limited(void **state)
{
	char y[4096];
	size_t o = 0;
	struct osv_record *r = NULL;

	o += (size_t)snprintf(y + o, sizeof(y) - o, "a0: &a0 [x, x, x, x]\n");
	for (int i = 1; i < 12; i++)
		o += (size_t)snprintf(y + o, sizeof(y) - o,
				      "a%d: &a%d [*a%d, *a%d, *a%d, *a%d]\n",
				      i, i, i - 1, i - 1, i - 1, i - 1);
	assert_int_equal(osv_parse_yaml(y, o, "bomb.yaml", &r), ERR_LIMIT);
}

static void test_other_ecosystems_dropped(void **state)
{
	struct osv_record *r = json_rec("{\"id\":\"GHSA-x\",\"modified\":"
		"\"2024-01-01T00:00:00+02:00\",\"affected\":[{\"package\":{"
		"\"ecosystem\":\"npm\",\"name\":\"left-pad\"}}],"
		"\"database_specific\":{\"severity\":\"MODERATE\"}}");

	assert_int_equal(r->n_aff, 0);
	assert_string_equal(r->label, "medium");
	assert_string_equal(r->modified, "2023-12-31T22:00:00.000000Z");
	assert_true(r->score < 0);
	osv_record_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixed_is_exclusive_introduced_inclusive),
		cmocka_unit_test(test_events_walked_in_version_order),
		cmocka_unit_test(test_last_affected_inclusive_and_limit),
		cmocka_unit_test(test_explicit_versions_list),
		cmocka_unit_test(test_yaml_scalars_stay_strings),
		cmocka_unit_test(test_refuses_duplicate_keys),
		cmocka_unit_test(test_refuses_malformed_records),
		cmocka_unit_test(test_yaml_alias_bomb_is_limited),
		cmocka_unit_test(test_other_ecosystems_dropped),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for the advisory database and dependency matching. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/err.h"
#include "util/fs.h"
#include "vuln/match.h"
#include "vuln/vulndb.h"

static char dir[64];
static struct vuln_db *db;

static void put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/src/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

#define REC(id, aliases, pkg, events, extra) \
	"{\"id\":\"" id "\",\"modified\":\"2024-05-01T00:00:00Z\"," \
	"\"aliases\":[" aliases "],\"summary\":\"issue " id "\"," \
	"\"affected\":[{\"package\":{\"ecosystem\":\"PyPI\",\"name\":\"" \
	pkg "\"},\"ranges\":[{\"type\":\"ECOSYSTEM\",\"events\":[" \
	events "]}]" extra "}]}"

static int setup(void **state)
{
	struct vulndb_import st;
	char path[128];

	snprintf(dir, sizeof(dir), "/tmp/stele-match-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/src", dir);
	fs_mkdirs(path, 0700);
	put("a.json", REC("PYSEC-A", "\"CVE-2024-2\"", "Demo_Pkg",
			  "{\"introduced\":\"0\"},{\"fixed\":\"1.4.2\"},"
			  "{\"introduced\":\"2.0\"},{\"fixed\":\"2.1.3\"}", ""));
	put("b.json", REC("GHSA-b", "\"CVE-2024-2\",\"PYSEC-A\"", "demo-pkg",
			  "{\"introduced\":\"0\"},{\"fixed\":\"1.4.1\"}", ""));
	put("c.json", REC("GHSA-c", "", "demo.pkg",
			  "{\"introduced\":\"3.0\"}",
			  ",\"versions\":[\"2.5\"]"));
	put("d.yaml", "id: PYSEC-D\nmodified: 2024-01-01T00:00:00Z\n"
	    "affected:\n- package: {ecosystem: PyPI, name: other}\n"
	    "  versions: [0.10]\n");
	snprintf(path, sizeof(path), "%s/db.sqlite", dir);
	if (vulndb_open(path, &db))
		return -1;
	snprintf(path, sizeof(path), "%s/src", dir);
	if (vulndb_import(db, path, &st) || st.added != 4)
		return -1;
	vulndb_import_release(&st);
	return 0;
}

static int teardown(void **state)
{
	vulndb_close(db);
	return fs_remove_tree(dir);
}

static struct vuln_findings match(const char *name, const char *spec,
				  const char *version)
{
	struct vuln_dep dep = { (char *)(uintptr_t)name,
				(char *)(uintptr_t)spec,
				(char *)(uintptr_t)version,
				(char *)(uintptr_t)"requirements.txt", 7 };
	struct vuln_findings f = { 0 };
	struct vuln_matcher *m;

	assert_int_equal(vuln_matcher_new(db, &m), 0);
	assert_int_equal(vuln_match_dep(m, &dep, &f), 0);
	vuln_matcher_free(m);
	return f;
}

static void test_pin_merges_aliases_under_cve(void **state)
{
	struct vuln_findings f = match("demo-pkg", "==1.4.0", "1.4.0");

	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].id, "CVE-2024-2");
	assert_int_equal(f.v[0].n_aliases, 2);
	assert_string_equal(f.v[0].aliases[0], "GHSA-b");
	assert_string_equal(f.v[0].aliases[1], "PYSEC-A");
	assert_int_equal(f.v[0].n_fixed, 3);
	assert_string_equal(f.v[0].fixed[0], "1.4.1");
	assert_string_equal(f.v[0].fixed[2], "2.1.3");
	assert_true(f.v[0].pinned);
	assert_int_equal(f.v[0].line, 7);
	vuln_findings_release(&f);
}

static void test_pin_between_ranges_is_safe(void **state)
{
	struct vuln_findings f = match("demo-pkg", "==1.4.2", "1.4.2");

	assert_int_equal(f.n, 0);
	f = match("demo-pkg", "==2.5", "2.5");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].id, "GHSA-c");
	vuln_findings_release(&f);
	f = match("demo-pkg", "==3.0.0", "3.0.0");
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].safe, "<3.0");
	vuln_findings_release(&f);
}

static void test_range_overlap_and_safe_versions(void **state)
{
	struct vuln_findings f = match("demo-pkg", ">=1.4.2,<2.0", NULL);

	assert_int_equal(f.n, 0);
	f = match("demo-pkg", "~=2.1.0", NULL);
	assert_int_equal(f.n, 1);
	assert_false(f.v[0].pinned);
	assert_string_equal(f.v[0].version, "~=2.1.0");
	/* Only the safe versions the range itself admits. */
	assert_string_equal(f.v[0].safe, ">=2.1.3,<2.2");
	vuln_findings_release(&f);
	f = match("demo-pkg", ">=1.0", NULL);
	assert_int_equal(f.n, 2);
	assert_string_equal(f.v[0].safe, ">=1.4.2,<2.0 or >=2.1.3");
	vuln_findings_release(&f);
	f = match("demo-pkg", ">=2.0,<2.1", NULL);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].safe, "none in this range");
	vuln_findings_release(&f);
	/* Only the listed 2.5 of GHSA-c falls in this range. */
	f = match("demo-pkg", ">=2.2,<2.9", NULL);
	assert_int_equal(f.n, 1);
	assert_string_equal(f.v[0].id, "GHSA-c");
	vuln_findings_release(&f);
}

static void test_yaml_versions_stay_text(void **state)
{
	struct vuln_findings f = match("other", "==0.10", "0.10");

	assert_int_equal(f.n, 1);
	vuln_findings_release(&f);
	f = match("other", "==0.1", "0.1");
	assert_int_equal(f.n, 0);
}

static void test_absurd_pin_is_an_error(void **state)
{
	struct vuln_dep dep = { (char *)(uintptr_t)"demo-pkg",
				(char *)(uintptr_t)"", (char *)(uintptr_t)
				"1.99999999999999999999",
				(char *)(uintptr_t)"r.txt", 1 };
	struct vuln_findings f = { 0 };
	struct vuln_matcher *m;

	assert_int_equal(vuln_matcher_new(db, &m), 0);
	assert_int_equal(vuln_match_dep(m, &dep, &f), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "r.txt:1"));
	vuln_matcher_free(m);
}

static void test_status_and_lookup_by_alias(void **state)
{
	struct vulndb_status st;
	struct vuln_advs a;

	assert_int_equal(vulndb_status(db, &st), 0);
	assert_int_equal(st.advisories, 4);
	assert_int_equal(st.packages, 2);
	assert_int_equal(st.n_sources, 1);
	assert_string_equal(st.newest, "2024-05-01T00:00:00.000000Z");
	vulndb_status_release(&st);
	assert_int_equal(vulndb_advisory(db, "CVE-2024-2", &a), 0);
	assert_int_equal(a.n, 2);
	vuln_advs_release(&a);
	assert_int_equal(vulndb_advisory(db, "nope", &a), 0);
	assert_int_equal(a.n, 0);
}

static void test_failed_import_changes_nothing(void **state)
{
	struct vulndb_import st;
	struct vulndb_status s;

	assert_int_equal(vulndb_import(db, "/nonexistent/stele", &st),
			 ERR_NOTFOUND);
	assert_int_equal(vulndb_status(db, &s), 0);
	assert_int_equal(s.n_sources, 1);
	vulndb_status_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pin_merges_aliases_under_cve),
		cmocka_unit_test(test_pin_between_ranges_is_safe),
		cmocka_unit_test(test_range_overlap_and_safe_versions),
		cmocka_unit_test(test_yaml_versions_stay_text),
		cmocka_unit_test(test_absurd_pin_is_an_error),
		cmocka_unit_test(test_status_and_lookup_by_alias),
		cmocka_unit_test(test_failed_import_changes_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}

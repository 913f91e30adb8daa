/* Unit tests for governance evidence (scans, publisher), environments as
 * a policy mapping in the server configuration, and REST query escaping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <string.h>

#include "client/rest.h"
#include "gov/audit.h"
#include "gov/checkpoint.h"
#include "gov/evidence.h"
#include "server/config.h"
#include "util/err.h"
#include "util/fs.h"

#include <stdio.h>
#include <stdlib.h>

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
	   "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static int setup(void **state)
{
	sqlite3 *db;

	if (sqlite3_open(":memory:", &db) || gov_scan_db_init(db) ||
	    audit_db_init(db))
		return -1;
	*state = db;
	return 0;
}

static int teardown(void **state)
{
	sqlite3_close(*state);
	return 0;
}

static void test_no_scan_is_not_found(void **state)
{
	struct gov_scan s;

	assert_int_equal(gov_scan_evidence(*state, "team/m", DA, &s), 0);
	assert_false(s.found);
	assert_false(s.done);
	gov_scan_release(&s);
}

static void test_newest_scan_wins(void **state)
{
	sqlite3 *db = *state;
	struct gov_scan s;

	assert_int_equal(gov_scan_record(db, "team/m", DA, "done", true,
					 "clean", "[]"), 0);
	assert_int_equal(gov_scan_record(db, "team/m", DA, "done", true,
		"suspicious", "[{\"id\":\"GHSA-1\",\"severity\":\"critical\","
		"\"kind\":\"dependency\",\"aliases\":[\"CVE-2026-1\"]}]"), 0);
	assert_int_equal(gov_scan_evidence(db, "team/m", DA, &s), 0);
	assert_true(s.found && s.done);
	assert_string_equal(s.verdict, "suspicious");
	assert_int_equal(s.n_findings, 1);
	assert_string_equal(s.findings[0].id, "GHSA-1");
	assert_int_equal(s.findings[0].severity, SCAN_CRITICAL);
	assert_int_equal(s.findings[0].kind, POLICY_DEPENDENCY);
	assert_int_equal(s.findings[0].n_aliases, 1);
	assert_string_equal(s.findings[0].aliases[0], "CVE-2026-1");
	gov_scan_release(&s);
}

/* The pipeline's tables, as far as the evidence reads them. */
static void make_pipeline_tables(sqlite3 *db)
{
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE scan_deps(repo TEXT,"
		" digest TEXT, package TEXT, spec TEXT, version TEXT,"
		" file TEXT, line INTEGER);"
		"CREATE TABLE pipeline_state(key TEXT PRIMARY KEY,"
		" value TEXT NOT NULL);", NULL, NULL, NULL), SQLITE_OK);
}

static bool unchecked(sqlite3 *db)
{
	struct gov_scan s;
	bool out;

	assert_int_equal(gov_scan_evidence(db, "team/m", DA, &s), 0);
	assert_true(s.done);
	out = s.deps_unchecked;
	gov_scan_release(&s);
	return out;
}

static void test_dependencies_scanned_without_advisories(void **state)
{
	sqlite3 *db = *state;

	assert_int_equal(gov_scan_record(db, "team/m", DA, "done", true,
					 "clean", "[]"), 0);
	/* No pipeline tables (tests, or a store never scanned): nothing
	 * was declared. */
	assert_false(unchecked(db));
	make_pipeline_tables(db);
	assert_false(unchecked(db));
	assert_int_equal(sqlite3_exec(db, "INSERT INTO scan_deps VALUES("
		"'team/m', '" DA "', 'joblib', '==1.1.0', '1.1.0',"
		" 'requirements.txt', 1)", NULL, NULL, NULL), SQLITE_OK);
	assert_true(unchecked(db));
	/* An import re-evaluated every stored version since. */
	assert_int_equal(sqlite3_exec(db, "INSERT INTO pipeline_state VALUES("
		"'reeval_db_version', '2026-12-01@1')", NULL, NULL, NULL),
		SQLITE_OK);
	assert_false(unchecked(db));
	assert_int_equal(sqlite3_exec(db, "DELETE FROM pipeline_state;"
		"UPDATE scans SET advisory_db='2026-12-01@1'", NULL, NULL,
		NULL), SQLITE_OK);
	assert_false(unchecked(db));
}

static void test_unfinished_or_incomplete_scan_is_not_done(void **state)
{
	sqlite3 *db = *state;
	struct gov_scan s;

	gov_scan_record(db, "team/m", DA, "running", false, NULL, NULL);
	assert_int_equal(gov_scan_evidence(db, "team/m", DA, &s), 0);
	assert_true(s.found);
	assert_false(s.done);
	gov_scan_release(&s);
	gov_scan_record(db, "team/m", DA, "done", false, "incomplete", "[]");
	assert_int_equal(gov_scan_evidence(db, "team/m", DA, &s), 0);
	assert_false(s.done);
	gov_scan_release(&s);
	/* Another digest's scan does not count. */
	gov_scan_record(db, "team/m", DB, "done", true, "clean", "[]");
	assert_int_equal(gov_scan_evidence(db, "team/m", DA, &s), 0);
	assert_false(s.done);
	gov_scan_release(&s);
}

static void test_bad_findings_fail_the_scan(void **state)
{
	sqlite3 *db = *state;
	struct gov_scan s;

	gov_scan_record(db, "team/m", DA, "done", true, "clean",
			"[{\"id\":\"x\",\"severity\":\"awful\"}]");
	assert_int_equal(gov_scan_evidence(db, "team/m", DA, &s),
			 ERR_INVALID);
	assert_false(s.done);
	gov_scan_release(&s);
}

static void test_findings_parse_limits(void **state)
{
	struct gov_scan s = { 0 };

	(void)state;
	assert_int_equal(gov_scan_findings_parse("{}", 2, &s), ERR_INVALID);
	gov_scan_release(&s);
	memset(&s, 0, sizeof(s));
	assert_int_equal(gov_scan_findings_parse("[{\"id\":\"a\",\"id\":\"b\","
		"\"severity\":\"low\"}]", 40, &s), ERR_INVALID);
	gov_scan_release(&s);
	memset(&s, 0, sizeof(s));
	assert_int_equal(gov_scan_findings_parse("[{\"id\":\"a\","
		"\"severity\":\"low\",\"kind\":\"gpu\"}]", 42, &s),
		ERR_INVALID);
	gov_scan_release(&s);
	memset(&s, 0, sizeof(s));
	assert_int_equal(gov_scan_findings_parse("[{\"id\":\"a\","
		"\"severity\":\"low\",\"aliases\":[1]}]", 41, &s),
		ERR_INVALID);
	gov_scan_release(&s);
}

static void test_publisher_is_first_successful_push(void **state)
{
	sqlite3 *db = *state;
	struct audit_record r = { .action = "push", .repo = "team/m",
				  .digest = DA, .result = "denied",
				  .actor = "mallory" };
	char who[65];

	assert_int_equal(gov_publisher(db, "team/m", DA, who, sizeof(who)),
			 0);
	assert_string_equal(who, "");
	assert_int_equal(audit_db_append(db, &r), 0);
	r.result = "ok";
	r.actor = "pub";
	assert_int_equal(audit_db_append(db, &r), 0);
	r.actor = "other";
	assert_int_equal(audit_db_append(db, &r), 0);
	assert_int_equal(gov_publisher(db, "team/m", DA, who, sizeof(who)),
			 0);
	assert_string_equal(who, "pub");
}

static void test_config_environment_mapping(void **state)
{
	struct server_config c;
	const char *y = "environments:\n"
			"  staging:\n"
			"  prod:\n"
			"    approvals: {count: 1, roles: [approver]}\n"
			"    max_severity: {model: low}\n"
			"trusted_keys:\n"
			"  \"team/*\": /etc/keys\n"
			"listen: 127.0.0.1:7\n";

	(void)state;
	config_defaults(&c);
	assert_int_equal(config_parse(&c, y, strlen(y), "t.yaml"), 0);
	assert_int_equal(c.nenvironments, 2);
	assert_string_equal(c.environments[0], "staging");
	assert_string_equal(c.environments[1], "prod");
	assert_true(c.env_policies);
	assert_string_equal(c.listen, "127.0.0.1:7");
	assert_int_equal(config_parse(&c, "environments: 3\n", 16, "t.yaml"),
			 ERR_INVALID);
	assert_int_equal(config_parse(&c, "environments:\n  [a]: 1\n", 23,
				      "t.yaml"), ERR_INVALID);
}

static void test_rest_query_escape(void **state)
{
	struct buf b = BUF_INIT(256);

	(void)state;
	assert_int_equal(rest_query_escape("team/m:v1&x=1 ü", &b), 0);
	assert_string_equal(buf_cstr(&b), "team%2Fm%3Av1%26x%3D1%20%C3%BC");
	buf_release(&b);
}

static void append(sqlite3 *db, int n)
{
	for (int i = 0; i < n; i++) {
		struct audit_record r = { .action = "push", .result = "ok",
					  .actor = "pub" };

		assert_int_equal(audit_db_append(db, &r), 0);
	}
}

static void test_checkpoint_sign_and_verify(void **state)
{
	char dir[] = "/tmp/stele-cp-XXXXXX", path[64], kdir[64];
	struct sign_key *key = NULL, *other = NULL;
	bool created;
	sqlite3 *db;
	int64_t seq;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/meta.db", dir);
	snprintf(kdir, sizeof(kdir), "%s/k1", dir);
	assert_int_equal(sign_key_load_or_create(kdir, &key, &created), 0);
	snprintf(kdir, sizeof(kdir), "%s/k2", dir);
	assert_int_equal(sign_key_load_or_create(kdir, &other, &created), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(audit_db_init(db), 0);
	assert_int_equal(audit_checkpoint_db_init(db), 0);
	assert_int_equal(audit_checkpoint_verify(path, key, &seq),
			 ERR_NOTFOUND);
	append(db, 3);
	assert_int_equal(audit_checkpoint_sign(db, key), 0);
	append(db, 2);
	assert_int_equal(audit_checkpoint_verify(path, key, &seq), 0);
	assert_int_equal(seq, 3);
	assert_int_equal(audit_checkpoint_verify(path, other, &seq),
			 ERR_DENIED);
	/* Cut the log below the checkpoint. */
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER audit_no_delete;"
				      "DELETE FROM audit WHERE seq >= 3",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(audit_checkpoint_verify(path, key, &seq),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "removed"));
	sqlite3_close(db);
	sign_key_free(key);
	sign_key_free(other);
	fs_remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_scan_is_not_found,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_dependencies_scanned_without_advisories, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_newest_scan_wins, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_unfinished_or_incomplete_scan_is_not_done, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_bad_findings_fail_the_scan, setup, teardown),
		cmocka_unit_test(test_findings_parse_limits),
		cmocka_unit_test_setup_teardown(
			test_publisher_is_first_successful_push, setup,
			teardown),
		cmocka_unit_test(test_config_environment_mapping),
		cmocka_unit_test(test_rest_query_escape),
		cmocka_unit_test(test_checkpoint_sign_and_verify),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Unit tests for approvals, waivers, environments and history. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <string.h>
#include <time.h>

#include "gov/store.h"
#include "util/err.h"

#define DA "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" \
	   "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DB "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb" \
	   "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define DC "sha256:cccccccccccccccccccccccccccccccc" \
	   "cccccccccccccccccccccccccccccccc"

static int setup(void **state)
{
	sqlite3 *db;

	if (sqlite3_open(":memory:", &db) || gov_db_init(db))
		return -1;
	*state = db;
	return 0;
}

static int teardown(void **state)
{
	sqlite3_close(*state);
	return 0;
}

static void move(sqlite3 *db, const char *digest, const char *action)
{
	struct gov_event ev = { 0 };
	char prev[DIGEST_STR_LEN];

	ev.repo = "team/m";
	ev.env = "prod";
	ev.digest = digest;
	ev.action = action;
	ev.actor = "alice";
	ev.reason = "test";
	assert_int_equal(gov_env_move(db, &ev, prev), 0);
}

static void test_move_and_current(void **state)
{
	sqlite3 *db = *state;
	char d[DIGEST_STR_LEN];
	bool was;

	assert_int_equal(gov_env_current(db, "team/m", "prod", d),
			 ERR_NOTFOUND);
	move(db, DA, "promote");
	move(db, DB, "promote");
	assert_int_equal(gov_env_current(db, "team/m", "prod", d), 0);
	assert_string_equal(d, DB);
	assert_int_equal(gov_env_was(db, "team/m", "prod", DA, &was), 0);
	assert_true(was);
	assert_int_equal(gov_env_was(db, "team/m", "staging", DA, &was), 0);
	assert_false(was);
}

static void test_previous_walks_back_over_rollbacks(void **state)
{
	sqlite3 *db = *state;
	char d[DIGEST_STR_LEN];

	move(db, DA, "promote");
	assert_int_equal(gov_env_previous(db, "team/m", "prod", d),
			 ERR_NOTFOUND);
	move(db, DB, "promote");
	move(db, DC, "promote");
	assert_int_equal(gov_env_previous(db, "team/m", "prod", d), 0);
	assert_string_equal(d, DB);
	move(db, DB, "rollback");            /* away from C */
	assert_int_equal(gov_env_previous(db, "team/m", "prod", d), 0);
	assert_string_equal(d, DA);          /* not back to C */
	move(db, DA, "rollback");            /* away from B */
	assert_int_equal(gov_env_previous(db, "team/m", "prod", d),
			 ERR_NOTFOUND);
}

static int count_cb(const struct gov_approval *a, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_approvals_duplicate_and_revoke(void **state)
{
	sqlite3 *db = *state;
	struct gov_approval a = { 0, "team/m", DA, "prod", "bob",
				  "approver", "ok", NULL, false };
	int64_t id;
	int n = 0;

	assert_int_equal(gov_approval_add(db, &a, &id), 0);
	assert_int_equal(gov_approval_add(db, &a, NULL), ERR_EXISTS);
	assert_int_equal(gov_approval_revoke(db, "team/m", id, "bob"), 0);
	assert_int_equal(gov_approval_revoke(db, "team/m", id, "bob"),
			 ERR_NOTFOUND);
	assert_int_equal(gov_approval_revoke(db, "other/repo", id, "x"),
			 ERR_NOTFOUND);
	assert_int_equal(gov_approval_add(db, &a, NULL), 0);
	assert_int_equal(gov_approvals_each(db, "team/m", DA, count_cb, &n),
			 0);
	assert_int_equal(n, 2);
}

static int waiver_cb(const struct gov_waiver *w, void *arg)
{
	(*(int *)arg)++;
	return 0;
}

static void test_waivers_expire_and_scope(void **state)
{
	sqlite3 *db = *state;
	time_t now = time(NULL);
	struct gov_waiver w = { 0, "team/m", DA, "CVE-1", now + 100,
				"accepted", "alice" };
	int n = 0;

	assert_int_equal(gov_waiver_add(db, &w, NULL), 0);
	w.reason = "";
	assert_int_equal(gov_waiver_add(db, &w, NULL), ERR_INVALID);
	w.reason = "r";
	w.until = now - 1;
	assert_int_equal(gov_waiver_add(db, &w, NULL), ERR_INVALID);

	assert_int_equal(gov_waivers_each(db, "team/m", DA, now, waiver_cb,
					  &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(gov_waivers_each(db, "team/m", DB, now, waiver_cb,
					  &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(gov_waivers_each(db, "team/m", DA, now + 200,
					  waiver_cb, &n), 0);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_move_and_current, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_previous_walks_back_over_rollbacks, setup,
			teardown),
		cmocka_unit_test_setup_teardown(
			test_approvals_duplicate_and_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_waivers_expire_and_scope,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

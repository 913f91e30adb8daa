/* Unit tests for the hash-chained audit log. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gov/audit.h"
#include "util/err.h"
#include "util/fs.h"

struct fixture {
	char dir[64];
	char path[128];
	struct audit_log *log;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/stele-audit-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/audit.db", f->dir);
	if (audit_log_open(f->path, true, &f->log))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	audit_log_close(f->log);
	fs_remove_tree(f->dir);
	free(f);
	return 0;
}

static void append_n(struct audit_log *log, int n)
{
	for (int i = 0; i < n; i++) {
		struct audit_record r = { 0 };
		char reason[32];

		snprintf(reason, sizeof(reason), "reason %d", i);
		r.actor = "alice";
		r.action = i % 2 ? "push" : "promote";
		r.repo = "team/model";
		r.result = "ok";
		r.reason = reason;
		r.agent = "curl/8\xff";   /* invalid UTF-8 from a client */
		assert_int_equal(audit_log_append(log, &r), 0);
		assert_int_equal(r.seq, i + 1);
	}
}

static sqlite3 *raw_db(struct fixture *f)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "DROP TRIGGER audit_no_update;"
				      "DROP TRIGGER audit_no_delete;", NULL,
				      NULL, NULL), SQLITE_OK);
	return db;
}

static void test_chain_verifies(void **state)
{
	struct fixture *f = *state;
	int64_t n;

	append_n(f->log, 5);
	assert_int_equal(audit_log_verify(f->log, &n), 0);
	assert_int_equal(n, 5);
}

static void test_update_refused_by_trigger(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;

	append_n(f->log, 2);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_not_equal(sqlite3_exec(db, "UPDATE audit SET actor='x'",
					  NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static void test_edit_detected_at_record(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;

	append_n(f->log, 5);
	db = raw_db(f);
	sqlite3_exec(db, "UPDATE audit SET reason='nothing' WHERE seq=3",
		     NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(audit_log_verify(f->log, NULL), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "record 3"));
	assert_non_null(strstr(err_msg(), "edited"));
}

static void test_delete_detected(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;

	append_n(f->log, 5);
	db = raw_db(f);
	sqlite3_exec(db, "DELETE FROM audit WHERE seq=2", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(audit_log_verify(f->log, NULL), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "audit record 3: expected "
				"record 2"));
}

static void test_swap_detected(void **state)
{
	struct fixture *f = *state;
	sqlite3 *db;

	append_n(f->log, 5);
	db = raw_db(f);
	sqlite3_exec(db, "UPDATE audit SET seq=100 WHERE seq=2;"
		     "UPDATE audit SET seq=2 WHERE seq=3;"
		     "UPDATE audit SET seq=3 WHERE seq=100;", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_int_equal(audit_log_verify(f->log, NULL), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "audit record 2"));
}

static int export_cb(const struct audit_record *rec, void *arg)
{
	struct buf b = BUF_INIT(1 << 20);
	int rc = audit_record_to_jsonl(rec, &b);

	if (!rc)
		fprintf(arg, "%s\n", b.data);
	buf_release(&b);
	return rc;
}

static void test_export_round_trip_and_tamper(void **state)
{
	struct fixture *f = *state;
	char *text;
	size_t len;
	int64_t n;
	FILE *m = open_memstream(&text, &len), *r;

	append_n(f->log, 4);
	assert_int_equal(audit_log_each(f->log, NULL, export_cb, m), 0);
	fclose(m);

	r = fmemopen(text, len, "r");
	assert_int_equal(audit_verify_jsonl(r, "export", &n), 0);
	assert_int_equal(n, 4);
	fclose(r);

	/* Change one character of record 2's reason. */
	char *p = strstr(text, "reason 1");
	assert_non_null(p);
	p[7] = '7';
	r = fmemopen(text, len, "r");
	assert_int_equal(audit_verify_jsonl(r, "export", &n), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "export:2: audit record 2"));
	fclose(r);
	free(text);
}

static void test_csv_escapes_formulas_and_quotes(void **state)
{
	struct audit_record r = { 0 };
	struct buf b = BUF_INIT(4096);

	r.seq = 1;
	strcpy(r.time, "2026-01-01T00:00:00.000Z");
	r.actor = "=cmd()";
	r.reason = "say \"hi\", now";
	assert_int_equal(audit_record_to_csv(&r, &b), 0);
	assert_non_null(strstr(b.data, ",'=cmd(),"));
	assert_non_null(strstr(b.data, ",\"say \"\"hi\"\", now\","));
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chain_verifies, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_update_refused_by_trigger,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_edit_detected_at_record,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_delete_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_swap_detected, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_export_round_trip_and_tamper, setup, teardown),
		cmocka_unit_test(test_csv_escapes_formulas_and_quotes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

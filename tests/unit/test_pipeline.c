/* Unit tests for the pipeline's job queue and scan results store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gov/audit.h"
#include "pipeline/pipeline.h"
#include "util/err.h"
#include "util/fs.h"

#include <jansson.h>

#define D1 "sha256:0123456789abcdef0123456789abcdef" \
	   "0123456789abcdef0123456789abcdef"
#define D2 "sha256:11111111111111111111111111111111" \
	   "11111111111111111111111111111111"

struct fx {
	char dir[64];
	struct pipeline *p;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	snprintf(f->dir, sizeof(f->dir), "/tmp/stele-pipe-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(pipeline_open(f->dir, &f->p), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	pipeline_close(f->p);
	fs_remove_tree(f->dir);
	free(f);
	return 0;
}

static void test_queue_empty_claims_nothing(void **state)
{
	struct fx *f = *state;
	struct pipeline_job j;

	assert_int_equal(pipeline_claim(f->p, &j), 0);
}

static void test_queue_scan_enqueued_once_per_version(void **state)
{
	struct fx *f = *state;
	struct pipeline_counts c;
	bool q1, q2, q3;

	assert_int_equal(pipeline_enqueue_scan(f->p, "a/m", D1, &q1), 0);
	assert_int_equal(pipeline_enqueue_scan(f->p, "a/m", D1, &q2), 0);
	assert_int_equal(pipeline_enqueue_scan(f->p, "b/m", D1, &q3), 0);
	assert_true(q1);
	assert_false(q2);
	assert_true(q3);
	assert_int_equal(pipeline_job_counts(f->p, &c), 0);
	assert_int_equal(c.pending, 2);
}

static void test_queue_claims_in_order_and_once(void **state)
{
	struct fx *f = *state;
	struct pipeline_job a, b;
	struct pipeline_scan s;
	bool q;

	assert_int_equal(pipeline_enqueue_scan(f->p, "a/m", D1, &q), 0);
	assert_int_equal(pipeline_enqueue_scan(f->p, "a/m", D2, &q), 0);
	assert_int_equal(pipeline_claim(f->p, &a), 1);
	assert_int_equal(pipeline_claim(f->p, &b), 1);
	assert_string_equal(a.digest, D1);
	assert_string_equal(b.digest, D2);
	assert_int_equal(a.kind, PIPELINE_SCAN);
	assert_int_equal(a.attempts, 1);
	assert_int_equal(pipeline_claim(f->p, &b), 0);
	assert_int_equal(pipeline_claim_id(f->p, a.id, &b), 0);
	assert_int_equal(pipeline_scan_evidence(f->p, "a/m", D1, &s), 0);
	assert_string_equal(s.status, "running");
	pipeline_scan_release(&s);
}

static void test_queue_recover_returns_running_to_pending(void **state)
{
	struct fx *f = *state;
	struct pipeline_job j, again;
	struct pipeline_scan s;
	int n = -1;
	bool q;

	assert_int_equal(pipeline_enqueue_scan(f->p, "a/m", D1, &q), 0);
	assert_int_equal(pipeline_claim(f->p, &j), 1);
	/* The process dies here; a new one opens the same store. */
	pipeline_close(f->p);
	assert_int_equal(pipeline_open(f->dir, &f->p), 0);
	assert_int_equal(pipeline_recover(f->p, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pipeline_scan_evidence(f->p, "a/m", D1, &s), 0);
	assert_string_equal(s.status, "pending");
	pipeline_scan_release(&s);
	assert_int_equal(pipeline_claim(f->p, &again), 1);
	assert_int_equal(again.id, j.id);
	assert_int_equal(again.attempts, 2);
}

static void test_queue_fails_job_interrupted_too_often(void **state)
{
	struct fx *f = *state;
	struct pipeline_job j;
	struct pipeline_scan s;
	struct pipeline_counts c;
	bool q;

	assert_int_equal(pipeline_enqueue_scan(f->p, "a/m", D1, &q), 0);
	for (int i = 0; i < PIPELINE_MAX_ATTEMPTS; i++) {
		assert_int_equal(pipeline_claim(f->p, &j), 1);
		assert_int_equal(pipeline_recover(f->p, NULL), 0);
	}
	assert_int_equal(pipeline_claim(f->p, &j), 0);
	assert_int_equal(pipeline_job_counts(f->p, &c), 0);
	assert_int_equal(c.failed, 1);
	assert_int_equal(pipeline_scan_evidence(f->p, "a/m", D1, &s), 0);
	assert_string_equal(s.status, "failed");
	assert_non_null(s.error);
	pipeline_scan_release(&s);
}

static void test_queue_retry_returns_job_until_limit(void **state)
{
	struct fx *f = *state;
	struct pipeline_job j, again;
	struct pipeline_scan s;
	bool q;

	assert_int_equal(pipeline_enqueue_scan(f->p, "a/m", D1, &q), 0);
	assert_int_equal(pipeline_claim(f->p, &j), 1);
	assert_int_equal(pipeline_job_retry(f->p, &j, "busy"), 0);
	assert_int_equal(pipeline_scan_evidence(f->p, "a/m", D1, &s), 0);
	assert_string_equal(s.status, "pending");
	pipeline_scan_release(&s);
	assert_int_equal(pipeline_claim(f->p, &again), 1);
	assert_int_equal(again.id, j.id);
	assert_int_equal(again.attempts, 2);
	assert_int_equal(pipeline_job_fail(f->p, &again, "bad layer"), 0);
	assert_int_equal(pipeline_scan_evidence(f->p, "a/m", D1, &s), 0);
	assert_string_equal(s.status, "failed");
	assert_string_equal(s.error, "bad layer");
	pipeline_scan_release(&s);
	/* A failed job is not retried. */
	assert_int_equal(pipeline_job_retry(f->p, &again, "busy"), 0);
	assert_int_equal(pipeline_claim(f->p, &again), 0);
	/* Pushing the version again queues a new scan. */
	assert_int_equal(pipeline_enqueue_scan(f->p, "a/m", D1, &q), 0);
	assert_true(q);
	assert_int_equal(pipeline_claim(f->p, &again), 1);
	assert_true(again.id != j.id);
}

static void test_queue_done_is_final(void **state)
{
	struct fx *f = *state;
	struct pipeline_job j;
	struct pipeline_counts c;
	int n = -1;

	assert_int_equal(pipeline_enqueue(f->p, PIPELINE_REEVAL, "", "",
					  NULL), 0);
	assert_int_equal(pipeline_claim(f->p, &j), 1);
	assert_int_equal(j.kind, PIPELINE_REEVAL);
	assert_int_equal(pipeline_job_done(f->p, j.id), 0);
	assert_int_equal(pipeline_recover(f->p, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(pipeline_claim(f->p, &j), 0);
	assert_int_equal(pipeline_job_counts(f->p, &c), 0);
	assert_int_equal(c.done, 1);
}

static void test_scan_store_counts_and_indexes(void **state)
{
	struct fx *f = *state;
	struct scan_report *r = scan_report_new();
	char pkg[] = "jinja2", ver[] = "2.10", id[] = "CVE-2019-10906";
	struct scan_dep dep = { .package = pkg, .version = ver, .id = id,
				.score = 8.6, .line = 3 };
	struct pipeline_dep d = { "jinja2", "==2.10", "2.10",
				  "requirements.txt", 3 };
	struct pipeline_job j;
	struct pipeline_scan s;
	json_t *a = json_array();
	bool q;

	assert_int_equal(pipeline_enqueue_scan(f->p, "a/m", D1, &q), 0);
	assert_int_equal(pipeline_claim(f->p, &j), 1);
	assert_int_equal(scan_add_dep(r, "dep-vulnerable", SCAN_HIGH,
				      "requirements.txt", &dep, "affected"),
			 0);
	assert_int_equal(scan_add(r, "pickle-global-denied", SCAN_CRITICAL,
				  "m.pkl", NULL, "os.system"), 0);
	assert_int_equal(pipeline_scan_store(f->p, -1, "a/m", D1, r, &d, 1,
					     "db1", "2026-01-01T00:00:00Z",
					     NULL), 0);
	/* Results stored but not yet signed: still running. */
	assert_int_equal(pipeline_scan_evidence(f->p, "a/m", D1, &s), 0);
	assert_string_equal(s.status, "running");
	assert_string_equal(s.verdict, "malicious");
	pipeline_scan_release(&s);
	assert_int_equal(pipeline_scan_attested(f->p, j.id, "a/m", D1, D2,
					       PIPELINE_AUDIT_SCAN), 0);
	assert_int_equal(pipeline_scan_evidence(f->p, "a/m", D1, &s), 0);
	assert_string_equal(s.status, "done");
	assert_string_equal(s.attestation, D2);
	assert_string_equal(s.verdict, "malicious");
	assert_int_equal(s.severity[SCAN_HIGH], 1);
	assert_int_equal(s.severity[SCAN_CRITICAL], 1);
	assert_int_equal(s.kind[PIPELINE_KIND_DEPENDENCY], 1);
	assert_int_equal(s.kind[PIPELINE_KIND_MODEL], 1);
	pipeline_scan_release(&s);
	assert_int_equal(pipeline_vulns_query(f->p,
		&(struct pipeline_vulns_filter){ .package = "Jinja2" }, a),
		0);
	assert_int_equal(json_array_size(a), 1);
	assert_int_equal(pipeline_vulns_query(f->p,
		&(struct pipeline_vulns_filter){ .id = "CVE-2019-10906" }, a),
		0);
	assert_int_equal(json_array_size(a), 2);
	assert_int_equal(pipeline_vulns_query(f->p,
		&(struct pipeline_vulns_filter){ 0 }, a), ERR_INVALID);
	json_decref(a);
	scan_report_free(r);
}

/* The audit records of action in the pipeline's meta.db, as
 * "actor result digest reason" lines. */
struct audit_seen {
	int n;
	char last[512];
};

static int audit_note(const struct audit_record *rec, void *arg)
{
	struct audit_seen *a = arg;

	a->n++;
	snprintf(a->last, sizeof(a->last), "%s %s %s %s", rec->actor,
		 rec->result, rec->digest ? rec->digest : "-",
		 rec->reason ? rec->reason : "-");
	return 0;
}

static void audit_of(struct fx *f, const char *action,
		     struct audit_seen *out)
{
	struct audit_filter flt = { .action = action };
	struct audit_log *log;
	char path[128];
	int64_t n;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/meta.db", f->dir);
	assert_int_equal(audit_log_open(path, false, &log), 0);
	assert_int_equal(audit_log_each(log, &flt, audit_note, out), 0);
	assert_int_equal(audit_log_verify(log, &n), 0);
	audit_log_close(log);
}

static void test_scan_finished_is_audited_with_verdict(void **state)
{
	struct fx *f = *state;
	struct scan_report *r = scan_report_new();
	struct audit_seen a;
	struct pipeline_job j;
	bool q;

	assert_int_equal(pipeline_enqueue_scan(f->p, "a/m", D1, &q), 0);
	assert_int_equal(pipeline_claim(f->p, &j), 1);
	assert_int_equal(scan_add(r, "pickle-global-denied", SCAN_CRITICAL,
				  "m.pkl", NULL, "os.system"), 0);
	assert_int_equal(pipeline_scan_store(f->p, -1, "a/m", D1, r, NULL, 0,
					     "", "2026-01-01T00:00:00Z",
					     NULL), 0);
	/* Stored but not signed: not finished, not audited. */
	audit_of(f, "scan", &a);
	assert_int_equal(a.n, 0);
	assert_int_equal(pipeline_scan_attested(f->p, j.id, "a/m", D1, D2,
					       PIPELINE_AUDIT_SCAN), 0);
	audit_of(f, "scan", &a);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.last, "stele ok " D1 " verdict malicious: "
			    "1 critical, 0 high, 0 medium, 0 low, 0 info");
	scan_report_free(r);
}

static void test_scan_failed_is_audited_as_error(void **state)
{
	struct fx *f = *state;
	struct audit_seen a;
	struct pipeline_job j;
	bool q;

	assert_int_equal(pipeline_enqueue_scan(f->p, "a/m", D1, &q), 0);
	assert_int_equal(pipeline_claim(f->p, &j), 1);
	assert_int_equal(pipeline_job_fail(f->p, &j, "bad layer"), 0);
	audit_of(f, "scan", &a);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.last, "stele error " D1 " bad layer");
}

static void test_scan_evidence_of_unknown_version(void **state)
{
	struct fx *f = *state;
	struct pipeline_scan s;

	assert_int_equal(pipeline_scan_evidence(f->p, "a/m", D2, &s),
			 ERR_NOTFOUND);
	pipeline_scan_release(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_queue_empty_claims_nothing),
		T(test_scan_finished_is_audited_with_verdict),
		T(test_scan_failed_is_audited_as_error),
		T(test_queue_scan_enqueued_once_per_version),
		T(test_queue_claims_in_order_and_once),
		T(test_queue_recover_returns_running_to_pending),
		T(test_queue_fails_job_interrupted_too_often),
		T(test_queue_retry_returns_job_until_limit),
		T(test_queue_done_is_final),
		T(test_scan_store_counts_and_indexes),
		T(test_scan_evidence_of_unknown_version),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

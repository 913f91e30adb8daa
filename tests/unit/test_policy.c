/* Unit tests for policy parsing and evaluation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "gov/policy.h"
#include "util/err.h"

#define D1 "sha256:11111111111111111111111111111111" \
	   "11111111111111111111111111111111"
#define D2 "sha256:22222222222222222222222222222222" \
	   "22222222222222222222222222222222"

static const char config[] =
	"listen: 127.0.0.1:5000\n"
	"environments:\n"
	"  staging:\n"
	"    scan: required\n"
	"  prod:\n"
	"    signature: required\n"
	"    max_severity: medium\n"
	"    approvals:\n"
	"      count: 1\n"
	"      roles: [approver, admin]\n"
	"      not_publisher: true\n"
	"    from: staging\n"
	"    allow_data: [public, internal]\n";

static struct policy *load(const char *yaml)
{
	struct policy *p;

	assert_int_equal(policy_parse(yaml, strlen(yaml), "stele.yaml", &p),
			 0);
	return p;
}

/* Evidence that satisfies every prod rule. */
static struct policy_approval good_approval = {
	"bob", "approver", D1, "prod", false
};
static const char *const seen_staging[] = { "staging" };

static struct policy_evidence good_evidence(void)
{
	struct policy_evidence ev = { 0 };

	ev.digest = D1;
	ev.publisher = "alice";
	ev.signed_trusted = true;
	ev.signer = "SHA256:abc";
	ev.scan_done = true;
	ev.approvals = &good_approval;
	ev.n_approvals = 1;
	ev.envs_seen = seen_staging;
	ev.n_envs_seen = 1;
	ev.now = 1000;
	return ev;
}

static const struct policy_result *result(const struct policy_decision *d,
					  const char *rule)
{
	for (size_t i = 0; i < d->n_results; i++)
		if (!strcmp(d->results[i].rule, rule))
			return &d->results[i];
	static const struct policy_result none = { "none", false, "", "" };

	fail_msg("no result for rule %s", rule);
	return &none;
}

static void test_all_rules_pass(void **state)
{
	struct policy *p = load(config);
	struct policy_evidence ev = good_evidence();
	struct policy_decision d;

	policy_evaluate(policy_env_find(p, "prod"), &ev, &d);
	assert_true(d.allowed);
	assert_int_equal(d.n_results, 8);
	policy_free(p);
}

static void test_unchecked_dependencies_fail_the_scan_rule(void **state)
{
	struct policy *p = load(config);
	struct policy_evidence ev = good_evidence();
	struct policy_decision d;
	struct buf b = BUF_INIT(4096);

	ev.deps_unchecked = true;
	policy_evaluate(policy_env_find(p, "prod"), &ev, &d);
	assert_false(d.allowed);
	assert_false(result(&d, "scan")->passed);
	assert_non_null(strstr(result(&d, "scan")->fix, "vulndb import"));
	assert_int_equal(policy_decision_summary(policy_env_find(p, "prod"),
						 &d, &b), 0);
	assert_non_null(strstr(b.data, "no advisories were loaded"));
	buf_release(&b);
	policy_free(p);
}

static void test_approval_for_other_digest_refused(void **state)
{
	struct policy *p = load(config);
	struct policy_evidence ev = good_evidence();
	struct policy_approval a = { "bob", "approver", D2, "prod", false };
	struct policy_decision d;

	ev.approvals = &a;
	policy_evaluate(policy_env_find(p, "prod"), &ev, &d);
	assert_false(d.allowed);
	assert_false(result(&d, "approvals")->passed);
	assert_non_null(strstr(result(&d, "approvals")->detail,
			       "another digest"));
	policy_free(p);
}

static void test_approval_for_staging_not_prod(void **state)
{
	struct policy *p = load(config);
	struct policy_evidence ev = good_evidence();
	struct policy_approval a = { "bob", "approver", D1, "staging", false };
	struct policy_decision d;

	ev.approvals = &a;
	policy_evaluate(policy_env_find(p, "prod"), &ev, &d);
	assert_false(d.allowed);
	assert_non_null(strstr(result(&d, "approvals")->detail,
			       "another environment"));
	policy_free(p);
}

static void test_self_approval_and_revoked_refused(void **state)
{
	struct policy *p = load(config);
	struct policy_evidence ev = good_evidence();
	struct policy_approval a[2] = {
		{ "alice", "approver", D1, "prod", false },
		{ "bob", "approver", D1, "prod", true },
	};
	struct policy_decision d;

	ev.approvals = a;
	ev.n_approvals = 2;
	policy_evaluate(policy_env_find(p, "prod"), &ev, &d);
	assert_false(d.allowed);
	assert_false(result(&d, "approvals")->passed);
	policy_free(p);
}

static void test_severity_and_waiver_expiry(void **state)
{
	struct policy *p = load(config);
	struct policy_evidence ev = good_evidence();
	struct policy_finding f = { "CVE-2024-1", NULL, 0, POLICY_DEPENDENCY,
				    SCAN_HIGH };
	struct policy_waiver w = { "CVE-2024-1", NULL, 2000 };
	struct policy_decision d;

	ev.findings = &f;
	ev.n_findings = 1;
	policy_evaluate(policy_env_find(p, "prod"), &ev, &d);
	assert_false(result(&d, "max-severity-dependency")->passed);

	ev.waivers = &w;
	ev.n_waivers = 1;
	policy_evaluate(policy_env_find(p, "prod"), &ev, &d);
	assert_true(d.allowed);

	ev.now = 3000;    /* the waiver expired */
	policy_evaluate(policy_env_find(p, "prod"), &ev, &d);
	assert_false(d.allowed);
	policy_free(p);
}

static void test_order_data_signature_scan(void **state)
{
	struct policy *p = load(config);
	struct policy_evidence ev = good_evidence();
	const char *const pii[] = { "pii" };
	struct policy_decision d;
	struct buf b = BUF_INIT(8192);

	ev.n_envs_seen = 0;
	ev.data_classes = pii;
	ev.n_data_classes = 1;
	ev.signed_trusted = false;
	ev.scan_done = false;
	ev.scan_state = "pending";
	policy_evaluate(policy_env_find(p, "prod"), &ev, &d);
	assert_false(result(&d, "promotion-order")->passed);
	assert_false(result(&d, "data-classification")->passed);
	assert_false(result(&d, "signature")->passed);
	assert_false(result(&d, "scan")->passed);
	assert_int_equal(policy_decision_summary(policy_env_find(p, "prod"),
						 &d, &b), 0);
	assert_non_null(strstr(b.data, "promote it to 'staging' first"));
	buf_release(&b);
	policy_free(p);
}

static void test_parse_errors_name_line(void **state)
{
	struct policy *p;
	const char *bad = "environments:\n  prod:\n    aprovals: 1\n";

	assert_int_equal(policy_parse(bad, strlen(bad), "s.yaml", &p),
			 ERR_INVALID);
	assert_string_equal(err_msg(), "s.yaml:3:5: unknown policy rule "
			    "'aprovals' in 'prod'");
	bad = "environments:\n  prod:\n    from: nowhere\n";
	assert_int_equal(policy_parse(bad, strlen(bad), "s.yaml", &p),
			 ERR_INVALID);
	bad = "environments: [\n";
	assert_int_equal(policy_parse(bad, strlen(bad), "s.yaml", &p),
			 ERR_INVALID);
	bad = "environments:\n  staging:\n  prod:\n    from: staging\n"
	      "    from: staging\n";
	assert_int_equal(policy_parse(bad, strlen(bad), "s.yaml", &p),
			 ERR_INVALID);
	assert_string_equal(err_msg(), "s.yaml:5:5: 'from' is given twice");
	bad = "environments:\n  prod:\n    max_severity: severe\n";
	assert_int_equal(policy_parse(bad, strlen(bad), "s.yaml", &p),
			 ERR_INVALID);
}

static void test_defaults_without_environments(void **state)
{
	struct policy *p = load("listen: 127.0.0.1:1\n");

	assert_int_equal(p->n_envs, 3);
	assert_non_null(policy_env_find(p, "staging"));
	policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_rules_pass),
		cmocka_unit_test(test_unchecked_dependencies_fail_the_scan_rule),
		cmocka_unit_test(test_approval_for_other_digest_refused),
		cmocka_unit_test(test_approval_for_staging_not_prod),
		cmocka_unit_test(test_self_approval_and_revoked_refused),
		cmocka_unit_test(test_severity_and_waiver_expiry),
		cmocka_unit_test(test_order_data_signature_scan),
		cmocka_unit_test(test_parse_errors_name_line),
		cmocka_unit_test(test_defaults_without_environments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* The predicates of the attestations the registry signs about a digest:
 * scan results, approvals and promotions. The server builds them, the
 * storage initializer and `stele verify-attestation` read them back. */
#ifndef STELE_GOV_ATTEST_H
#define STELE_GOV_ATTEST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/sha256.h"

#define ATTEST_SCAN_TYPE "https://stele.dev/attestations/scan/v1"
#define ATTEST_APPROVAL_TYPE "https://stele.dev/attestations/approval/v1"
#define ATTEST_PROMOTION_TYPE "https://stele.dev/attestations/promotion/v1"

#define ATTEST_PREDICATE_MAX (1u << 20)
#define ATTEST_TEXT_MAX 512

/* Severity counts, indexed by enum scan_severity (info .. critical). */
#define ATTEST_NSEV 5

struct attest_scan {
	char verdict[16];          /* clean, suspicious, malicious, incomplete */
	int counts[ATTEST_NSEV];
	char time[32];             /* RFC 3339 UTC */
	char scanner[64];          /* "stele 0.1.0" */
	char advisory_db[128];     /* advisory database version, "" if none */
	const char *findings_json; /* build only: JSON array summary or NULL */
};

struct attest_approval {
	char environment[65];
	char approver[65];
	char role[32];
	char comment[ATTEST_TEXT_MAX];
	char time[32];
};

struct attest_promotion {
	char environment[65];
	char repository[256];
	char version[129];         /* version tag, "" when unknown */
	char action[16];           /* "promote" or "rollback" */
	char actor[65];
	char reason[ATTEST_TEXT_MAX];
	char time[32];
	char previous[DIGEST_STR_LEN]; /* "" when none */
	bool require_signature;    /* the policy demanded a publisher key */
	bool break_glass;
};

/* Append the predicate JSON (one object) to out. */
int attest_scan_build(const struct attest_scan *a, struct buf *out);
int attest_approval_build(const struct attest_approval *a, struct buf *out);
int attest_promotion_build(const struct attest_promotion *a,
			   struct buf *out);

/*
 * Parse a predicate from bytes whose signature was verified. Strict:
 * duplicate keys, wrong types, over-long strings and unknown verdicts or
 * actions are ERR_INVALID; unknown keys are ignored so later versions can
 * add fields.
 */
int attest_scan_parse(const char *json, size_t n, struct attest_scan *out);
int attest_approval_parse(const char *json, size_t n,
			  struct attest_approval *out);
int attest_promotion_parse(const char *json, size_t n,
			   struct attest_promotion *out);

/* The current time as attestations write it. */
void attest_now(char out[32]);

#endif

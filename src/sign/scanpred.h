/*
 * The predicate of the registry's scan attestations: what a scan
 * concluded about one digest, signed by `stele serve` and checked offline
 * by the storage initializer.
 */
#ifndef STELE_SIGN_SCANPRED_H
#define STELE_SIGN_SCANPRED_H

#include <stddef.h>

#include "util/buf.h"

#define SIGN_SCAN_PREDICATE_TYPE "https://stele.dev/attestation/scan/v1"
#define SIGN_SCAN_VERSION_MAX 128
#define SIGN_SCAN_FINDINGS_MAX 1000
/* "YYYY-MM-DDTHH:MM:SSZ": one spelling, so later times sort later. */
#define SIGN_SCAN_TIME_LEN 20

/* Severity order of the counts, highest first. */
enum sign_scan_severity {
	SIGN_SEV_CRITICAL, SIGN_SEV_HIGH, SIGN_SEV_MEDIUM, SIGN_SEV_LOW,
	SIGN_SEV_INFO, SIGN_SEV_COUNT,
};

/*
 * The summary. verdict is "clean", "suspicious", "malicious" or
 * "incomplete"; findings_json is NULL or a JSON array text of finding
 * objects (a summary, at most SIGN_SCAN_FINDINGS_MAX).
 */
struct sign_scan_summary {
	char verdict[16];
	unsigned long counts[SIGN_SEV_COUNT];
	char scanner_version[SIGN_SCAN_VERSION_MAX + 1];
	char advisory_db_version[SIGN_SCAN_VERSION_MAX + 1]; /* "" if none */
	char scanned_at[SIGN_SCAN_TIME_LEN + 1];
	size_t nfindings;            /* filled by the parser */
	const char *findings_json;   /* input of the builder only */
};

/*
 * Append the predicate JSON: {"verdict","counts":{"critical",...,"info"},
 * "findings":[...],"scanner":{"name":"stele","version"},
 * "advisoryDatabase":{"version"},"scannedAt"}. Fields are validated as
 * the parser would.
 */
int sign_scan_predicate_build(const struct sign_scan_summary *s,
			      struct buf *out);

/* Parse a predicate (only one taken from a verified statement). */
int sign_scan_predicate_parse(const void *p, size_t n,
			      struct sign_scan_summary *out);

#endif

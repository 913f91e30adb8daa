/* Evidence about one digest that governance reads from the registry's
 * database: the newest scan of a version (written by the scan pipeline
 * into the "scans" table, see docs/governance.md) and who published it. */
#ifndef STELE_GOV_EVIDENCE_H
#define STELE_GOV_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>

#include "gov/policy.h"

struct sqlite3;

#define GOV_SCAN_FINDINGS_MAX 4096   /* findings kept from one scan */
#define GOV_SCAN_JSON_MAX (8u << 20) /* findings column accepted */
#define GOV_ALIASES_MAX 16

/*
 * The newest scan of a digest. found is false when none was recorded;
 * done is true only for a finished ("done") and complete scan. findings
 * point into storage the struct owns; release with gov_scan_release().
 */
struct gov_scan {
	bool found;
	bool done;
	char state[16];          /* pending, running, done, failed */
	char verdict[16];
	char time[32];
	bool deps_unchecked;     /* declares dependencies no advisory saw */
	struct policy_finding *findings;
	size_t n_findings;
	void *owned;             /* parsed findings JSON */
};

/* Create the scans table when missing (the pipeline owns its rows). */
int gov_scan_db_init(struct sqlite3 *db);

/*
 * Read the newest scan of digest in repo into out (zeroed first). A
 * missing scan is not an error: out->found stays false. A findings
 * column that is not the documented JSON is ERR_INVALID, which callers
 * treat as a failed scan rule.
 */
int gov_scan_evidence(struct sqlite3 *db, const char *repo,
		      const char *digest, struct gov_scan *out);
void gov_scan_release(struct gov_scan *s);

/*
 * Parse a findings array: [{"id": "...", "severity": "high",
 * "kind": "model|dependency|llm", "aliases": ["CVE-..."]}, ...].
 */
int gov_scan_findings_parse(const char *json, size_t n, struct gov_scan *out);

/* Record a scan (what the pipeline does; tests and tools use it too). */
int gov_scan_record(struct sqlite3 *db, const char *repo, const char *digest,
		    const char *state, bool complete, const char *verdict,
		    const char *findings_json);

/*
 * The account that first pushed digest to repo, from the audit log's
 * "push" records; "" when unknown (out holds at least 65 bytes).
 */
int gov_publisher(struct sqlite3 *db, const char *repo, const char *digest,
		  char *out, size_t n);

#endif

/* Shared between the pipeline's source files; not a public interface. */
#ifndef STELE_PIPELINE_INTERNAL_H
#define STELE_PIPELINE_INTERNAL_H

#include <jansson.h>
#include <sqlite3.h>

#include "pipeline/pipeline.h"

struct pipeline {
	sqlite3 *db;
	pthread_mutex_t lock;    /* one statement sequence at a time */
};

int pipeline_sql_fail(struct pipeline *p, const char *what);

/* Append an audit record by "stele" (the registry's scanner) inside the
 * caller's transaction. */
int pipeline_audit_locked(struct pipeline *p, const char *action,
			  const char *repo, const char *digest,
			  const char *result, const char *reason);
int pipeline_exec(struct pipeline *p, const char *sql);
int pipeline_prepare(struct pipeline *p, const char *sql,
		     sqlite3_stmt **st);
/* BEGIN IMMEDIATE with the lock held; pipeline_end commits when rc is
 * 0, else rolls back, releases the lock and returns rc. */
int pipeline_begin(struct pipeline *p);
int pipeline_end(struct pipeline *p, int rc);
int pipeline_run(struct pipeline *p, const char *sql, int *changes,
		 int n, const char *const *args);
int pipeline_enqueue_locked(struct pipeline *p, enum pipeline_kind kind,
			    const char *repo, const char *digest,
			    int64_t *id);
int pipeline_job_done_locked(struct pipeline *p, int64_t id);
int pipeline_state_get(struct pipeline *p, const char *key, char *out,
		       size_t n);

/* Findings JSON of one version, summarised (results.c). */
struct pipeline_summary {
	int severity[5];
	int kind[PIPELINE_NKINDS];
	char verdict[16];
};

/* Count findings (a JSON array) by severity and kind and derive the
 * verdict the scan engine would give, incomplete or not. */
int pipeline_summarise(void *findings, bool incomplete,
		       struct pipeline_summary *s);

/* Replace the version's scan_vulns rows with the dependency findings of
 * the array findings. Caller holds the transaction. */
int pipeline_vulns_index(struct pipeline *p, const char *repo,
			 const char *digest, void *findings);

/* Sign the stored scan of repo@digest and attach it as a referrer in
 * the registry's own store; digest_out gets the referrer's digest. */
int pipeline_attest(const struct pipeline_ctx *ctx, const char *repo,
		    const char *digest, char digest_out[DIGEST_STR_LEN]);

/* A re-evaluation is pending or running. */
bool pipeline_reeval_queued(struct pipeline *p);

int pipeline_scan_evidence_locked(struct pipeline *p, const char *repo,
				  const char *digest,
				  struct pipeline_scan *out);

/* A finding of a dependency rule ("dep-..."). */
bool pipeline_finding_is_dep(json_t *f);

/* Sorted "id|package|version|path|line" lines of the dependency
 * findings: equal keys, equal dependency results. malloc'ed. */
char *pipeline_dep_key(void *findings);

/* Write the result columns of a scans row (status done) and its
 * scan_vulns rows; extra_sql is appended to the SET list. */
int pipeline_scan_write(struct pipeline *p, const char *repo,
			const char *digest, void *findings, bool incomplete,
			const char *advisory_db, const char *extra_sql);

#endif

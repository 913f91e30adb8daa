/*
 * The registry's scanning pipeline: a job queue and scan results kept in
 * the metadata store (DATA/meta.db), a worker pool that scans pushed
 * ModelKits and signs the results, and re-evaluation of every stored
 * version's dependencies when the advisory database changes. The tables
 * are the interface governance reads (docs/pipeline.md).
 */
#ifndef STELE_PIPELINE_PIPELINE_H
#define STELE_PIPELINE_PIPELINE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "meta/meta.h"
#include "scan/scan.h"
#include "server/blobstore.h"
#include "sign/key.h"
#include "util/buf.h"
#include "util/sha256.h"

#define PIPELINE_MAX_ATTEMPTS 3          /* claims before a job fails */
#define PIPELINE_SCRATCH_MAX (64ull << 30) /* bytes extracted per scan */
#define PIPELINE_SCRATCH_FILES 1000000   /* entries extracted per scan */
#define PIPELINE_MAX_WORKERS 64
#define PIPELINE_FINDINGS_MAX (64u << 20) /* findings JSON per version */

/* An open connection to the pipeline tables; safe across threads (one
 * operation at a time). Close with pipeline_close() (NULL-safe). */
struct pipeline;

/* Open DATA/meta.db and create the pipeline tables when missing. */
int pipeline_open(const char *data, struct pipeline **out);
void pipeline_close(struct pipeline *p);

/* Return every 'running' job to 'pending' (at server start, when no
 * worker can be running). Reports how many were returned. */
int pipeline_recover(struct pipeline *p, int *n);

/*
 * Queue a scan of repo@digest unless that version already has a scan
 * that is pending, running or done (a failed one is queued again): its
 * scans row becomes 'pending'. Returns 0, and *queued says whether a job
 * was added.
 */
int pipeline_enqueue_scan(struct pipeline *p, const char *repo,
			  const char *digest, bool *queued);

enum pipeline_kind {
	PIPELINE_SCAN,      /* extract, scan, sign, store */
	PIPELINE_ATTEST,    /* sign the stored result again (re-evaluated) */
	PIPELINE_REEVAL,    /* re-evaluate dependencies against the db */
};

struct pipeline_job {
	int64_t id;
	enum pipeline_kind kind;
	char repo[META_REPO_MAX + 1];
	char digest[DIGEST_STR_LEN];
	int attempts;
};

/* Queue a job of any kind (repo and digest "" for PIPELINE_REEVAL). */
int pipeline_enqueue(struct pipeline *p, enum pipeline_kind kind,
		     const char *repo, const char *digest, int64_t *id);

/*
 * Claim the oldest pending job atomically: it becomes 'running' and its
 * attempt count grows. 1 with *j filled, 0 when none is pending. A job
 * claimed PIPELINE_MAX_ATTEMPTS times already is failed instead.
 */
int pipeline_claim(struct pipeline *p, struct pipeline_job *j);

/* Claim one particular pending job; 1 when claimed, 0 when taken. */
int pipeline_claim_id(struct pipeline *p, int64_t id,
		      struct pipeline_job *j);

/* Finish a running job ('done'); 0 even if it was no longer running. */
int pipeline_job_done(struct pipeline *p, int64_t id);

/* Return a running job to 'pending' after a transient failure (the
 * store was busy); its attempts still count towards the limit. */
int pipeline_job_retry(struct pipeline *p, const struct pipeline_job *j,
		       const char *why);

/* Fail a running job with a one-line reason; its scan becomes 'failed'
 * and a failed scan is audited ("scan", result "error", the reason). */
int pipeline_job_fail(struct pipeline *p, const struct pipeline_job *j,
		      const char *why);

/* Counts of jobs by state, for status output and tests. */
struct pipeline_counts {
	int64_t pending, running, done, failed;
};
int pipeline_job_counts(struct pipeline *p, struct pipeline_counts *c);

/* ---- Scan results. ---- */

enum pipeline_finding_kind {
	PIPELINE_KIND_MODEL,
	PIPELINE_KIND_DEPENDENCY,
	PIPELINE_KIND_LLM,
	PIPELINE_NKINDS,
};

/* One version's scan as stored. Strings malloc'ed; release with
 * pipeline_scan_release(). */
struct pipeline_scan {
	char repo[META_REPO_MAX + 1];
	char digest[DIGEST_STR_LEN];
	char status[16];        /* pending, running, done, failed */
	char verdict[16];       /* "" until done */
	int severity[5];        /* by enum scan_severity */
	int kind[PIPELINE_NKINDS];
	bool incomplete;
	char *findings;         /* JSON array, NULL until done */
	char *advisory_db;      /* advisory database version, "" if none */
	char *started, *finished;  /* RFC 3339 UTC, NULL when not yet */
	char *error;            /* why failed, or NULL */
	char *attestation;      /* digest of the newest scan attestation */
	char *changed;          /* when re-evaluation last changed it */
};
void pipeline_scan_release(struct pipeline_scan *s);

/*
 * The evidence governance reads: the stored scan of repo@digest.
 * ERR_NOTFOUND when the version was never queued. A result whose status
 * is not "done" must be treated as not scanned (never as clean).
 */
int pipeline_scan_evidence(struct pipeline *p, const char *repo,
			   const char *digest, struct pipeline_scan *out);

/* One declared dependency of a version, as indexed at scan time. */
struct pipeline_dep {
	const char *package, *spec, *version, *file;
	int line;
};

/*
 * Store a finished scan in one transaction: the scans row's result
 * (counts, findings; the status stays 'running' until it is signed), the
 * version's dependency index and vulnerability rows, and job_id done
 * when it is > 0.
 */
int pipeline_scan_store(struct pipeline *p, int64_t job_id,
			const char *repo, const char *digest,
			const struct scan_report *r,
			const struct pipeline_dep *deps, size_t n_deps,
			const char *advisory_db, const char *started,
			const char *attestation);

/* Record the (newer) attestation of a stored scan, which makes its
 * status 'done', and finish job_id. In the same transaction the audit
 * log gets a record by "stele" with action (PIPELINE_AUDIT_SCAN for a
 * finished scan, PIPELINE_AUDIT_REEVAL for a result re-signed after an
 * advisory import), the version, result "ok" and the verdict. */
#define PIPELINE_AUDIT_SCAN "scan"
#define PIPELINE_AUDIT_REEVAL "reevaluate"
int pipeline_scan_attested(struct pipeline *p, int64_t job_id,
			   const char *repo, const char *digest,
			   const char *attestation, const char *action);

/* ---- The server side: workers. ---- */

/* What jobs need from the server; borrowed, outlives the workers. */
struct pipeline_ctx {
	struct pipeline *db;
	struct meta *meta;
	struct blobstore *bs;
	pthread_rwlock_t *gc_lock;   /* held shared while storing blobs */
	const char *data;            /* the data directory */
	struct sign_key *key;        /* the registry's signing key */
};

/*
 * The registry's signing key: DATA/keys/signing.key, created on first
 * use (sign_key_load_or_create). The server loads it once and hands the
 * same key to governance and the workers.
 */
int pipeline_server_key(const char *data, struct sign_key **out);

/* The advisory database the server scans with: DATA/vulndb.sqlite. */
void pipeline_vulndb_path(const char *data, char *out, size_t n);

/* Run one claimed job to its end (done or failed). */
int pipeline_run_job(const struct pipeline_ctx *ctx,
		     const struct pipeline_job *j);

struct pipeline_workers;

/* Start n worker threads (1..PIPELINE_MAX_WORKERS) taking jobs. */
int pipeline_workers_start(const struct pipeline_ctx *ctx, int n,
			   struct pipeline_workers **out);
/* Wake a sleeping worker: a job was queued. NULL-safe. */
void pipeline_workers_kick(struct pipeline_workers *w);
/* Stop after the jobs in progress; NULL-safe. */
void pipeline_workers_stop(struct pipeline_workers *w);

/* ---- Extraction (extract.c). ---- */

/*
 * Extract the layers of the manifest held in mbytes into dir (an empty
 * directory) from the blob store: each blob's digest is verified while
 * it streams, tar entries are read with the strict reader of pack/tar.h
 * (no links, no absolute or ".." names) and created below dir with
 * O_NOFOLLOW | O_EXCL. At most PIPELINE_SCRATCH_MAX bytes and
 * PIPELINE_SCRATCH_FILES entries (ERR_LIMIT).
 */
int pipeline_extract(struct blobstore *bs, const char *mbytes, size_t n,
		     const char *dir);

/* ---- Re-evaluation (reeval.c). ---- */

struct vuln_db;

struct pipeline_reeval {
	int64_t versions;        /* versions with dependencies looked at */
	int64_t deps;            /* dependency rows read */
	int64_t changed;         /* versions whose result changed */
	int64_t became_affected; /* of those, now with new advisories */
	double seconds;
};

/*
 * Re-evaluate every indexed version's dependencies against db (a query
 * by package, no blob is read). Versions whose dependency findings
 * changed get their findings, counts and verdict rewritten, a row in
 * scan_changes and a PIPELINE_ATTEST job; all in one transaction, with
 * job_id (when > 0) marked done in it.
 */
int pipeline_reevaluate(struct pipeline *p, struct vuln_db *db,
			const char *db_version, int64_t job_id,
			struct pipeline_reeval *st);

/*
 * Queue a PIPELINE_REEVAL job when DATA/vulndb.sqlite holds a version
 * that re-evaluation has not run against and none is queued: the
 * importer may have died between its import and its re-evaluation.
 */
int pipeline_reeval_if_stale(struct pipeline *p, const char *data);

/* The database version re-evaluation last ran against ("" if never). */
int pipeline_reeval_version(struct pipeline *p, char *out, size_t n);

/* The version string of an advisory database (newest import). */
int pipeline_vulndb_version(struct vuln_db *db, char *out, size_t n);

/* ---- Registry-wide vulnerability queries (query.c). ---- */

/* Filter for pipeline_vulns_query(): one of id or package set. */
struct pipeline_vulns_filter {
	const char *id;          /* CVE, GHSA, PYSEC id or alias */
	const char *package;     /* PEP 503 normalised name */
};

/*
 * Append to out (a JSON array) one object per affected version:
 * repository, digest, findings (id, aliases, package, version, severity,
 * fixed, file, line). Tags are added by the caller, which knows them.
 */
int pipeline_vulns_query(struct pipeline *p,
			 const struct pipeline_vulns_filter *f,
			 void *json_array);

#endif

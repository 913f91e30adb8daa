/* The job queue and the scans table in the metadata store (SQLite). */
#include "gov/audit.h"
#include "gov/evidence.h"
#include "pipeline/internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"

#define PIPELINE_BUSY_MS 30000

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS pipeline_jobs("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" kind TEXT NOT NULL CHECK(kind IN('scan','attest','reeval')),"
	" repo TEXT NOT NULL, digest TEXT NOT NULL,"
	" state TEXT NOT NULL"
	"  CHECK(state IN('pending','running','done','failed')),"
	" attempts INTEGER NOT NULL DEFAULT 0, error TEXT,"
	" created INTEGER NOT NULL, updated INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS pipeline_jobs_state"
	" ON pipeline_jobs(state, id);"
	"CREATE TABLE IF NOT EXISTS scan_deps("
	" repo TEXT NOT NULL, digest TEXT NOT NULL, package TEXT NOT NULL,"
	" spec TEXT NOT NULL, version TEXT, file TEXT NOT NULL,"
	" line INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS scan_deps_package ON scan_deps(package);"
	"CREATE INDEX IF NOT EXISTS scan_deps_version"
	" ON scan_deps(repo, digest);"
	"CREATE TABLE IF NOT EXISTS scan_vulns("
	" repo TEXT NOT NULL, digest TEXT NOT NULL, id TEXT NOT NULL,"
	" aliases TEXT NOT NULL, package TEXT NOT NULL,"
	" version TEXT NOT NULL, severity TEXT NOT NULL,"
	" fixed TEXT NOT NULL, file TEXT NOT NULL, line INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS scan_vulns_id ON scan_vulns(id);"
	"CREATE INDEX IF NOT EXISTS scan_vulns_package"
	" ON scan_vulns(package);"
	"CREATE INDEX IF NOT EXISTS scan_vulns_version"
	" ON scan_vulns(repo, digest);"
	"CREATE TABLE IF NOT EXISTS scan_changes("
	" repo TEXT NOT NULL, digest TEXT NOT NULL, time TEXT NOT NULL,"
	" advisory_db TEXT NOT NULL, added TEXT NOT NULL,"
	" removed TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS pipeline_state("
	" key TEXT PRIMARY KEY, value TEXT NOT NULL);";

static const char *const kind_names[] = {
	[PIPELINE_SCAN] = "scan",
	[PIPELINE_ATTEST] = "attest",
	[PIPELINE_REEVAL] = "reeval",
};

int pipeline_sql_fail(struct pipeline *p, const char *what)
{
	int code = sqlite3_errcode(p->db);

	if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
		return err_set(ERR_CONFLICT, "pipeline store busy during %s",
			       what);
	return err_set(ERR_IO, "pipeline store: %s: %s", what,
		       sqlite3_errmsg(p->db));
}

int pipeline_exec(struct pipeline *p, const char *sql)
{
	if (sqlite3_exec(p->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return pipeline_sql_fail(p, sql);
	return 0;
}

int pipeline_prepare(struct pipeline *p, const char *sql,
		     sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(p->db, sql, -1, st, NULL) != SQLITE_OK)
		return pipeline_sql_fail(p, "prepare");
	return 0;
}

int pipeline_open(const char *data, struct pipeline **out)
{
	struct pipeline *p = calloc(1, sizeof(*p));
	char path[PATH_MAX];
	int rc = 0;

	*out = NULL;
	if (!p)
		return err_set(ERR_NOMEM, "out of memory");
	pthread_mutex_init(&p->lock, NULL);
	if (snprintf(path, sizeof(path), "%s/meta.db", data) >=
	    (int)sizeof(path)) {
		rc = err_set(ERR_LIMIT, "data directory path too long");
		goto out;
	}
	if (sqlite3_open_v2(path, &p->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK) {
		rc = err_set(ERR_IO, "cannot open '%s': %s", path,
			     p->db ? sqlite3_errmsg(p->db) : "no memory");
		goto out;
	}
	sqlite3_busy_timeout(p->db, PIPELINE_BUSY_MS);
	rc = pipeline_exec(p, "PRAGMA journal_mode=WAL;"
			   "PRAGMA synchronous=FULL;");
	if (!rc)
		rc = pipeline_exec(p, schema);
	if (!rc && gov_scan_db_init(p->db))
		rc = pipeline_sql_fail(p, "cannot create the scans table");
	if (!rc)
		rc = audit_db_init(p->db);
out:
	if (rc) {
		pipeline_close(p);
		return rc;
	}
	*out = p;
	return 0;
}

void pipeline_close(struct pipeline *p)
{
	if (!p)
		return;
	sqlite3_close(p->db);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int pipeline_begin(struct pipeline *p)
{
	pthread_mutex_lock(&p->lock);
	if (pipeline_exec(p, "BEGIN IMMEDIATE")) {
		pthread_mutex_unlock(&p->lock);
		return ERR_CONFLICT;
	}
	return 0;
}

int pipeline_end(struct pipeline *p, int rc)
{
	if (!rc)
		rc = pipeline_exec(p, "COMMIT");
	if (rc)
		sqlite3_exec(p->db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

/* Run sql with text parameters (NULL binds NULL); *changes gets the
 * number of rows changed when not NULL. Caller holds the lock. */
int pipeline_run(struct pipeline *p, const char *sql, int *changes,
		 int n, const char *const *args)
{
	sqlite3_stmt *st = NULL;
	int rc = pipeline_prepare(p, sql, &st);

	for (int i = 0; !rc && i < n; i++)
		sqlite3_bind_text(st, i + 1, args[i], -1, SQLITE_TRANSIENT);
	if (!rc && sqlite3_step(st) != SQLITE_DONE)
		rc = pipeline_sql_fail(p, "update");
	if (!rc && changes)
		*changes = sqlite3_changes(p->db);
	sqlite3_finalize(st);
	return rc;
}

int pipeline_recover(struct pipeline *p, int *n)
{
	int rc = pipeline_begin(p);

	if (rc)
		return rc;
	rc = pipeline_run(p, "UPDATE pipeline_jobs SET state='pending' "
			  "WHERE state='running'", n, 0, NULL);
	if (!rc)
		rc = pipeline_run(p, "UPDATE scans SET status='pending' "
				  "WHERE status='running'", NULL, 0, NULL);
	return pipeline_end(p, rc);
}

static int insert_job(struct pipeline *p, enum pipeline_kind kind,
		      const char *repo, const char *digest, int64_t *id)
{
	sqlite3_stmt *st = NULL;
	int rc = pipeline_prepare(p, "INSERT INTO pipeline_jobs(kind, repo, "
				  "digest, state, created, updated) VALUES"
				  "(?, ?, ?, 'pending', ?, ?)", &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, kind_names[kind], -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, digest, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)time(NULL));
	sqlite3_bind_int64(st, 5, (sqlite3_int64)time(NULL));
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = pipeline_sql_fail(p, "queue a job");
	else if (id)
		*id = sqlite3_last_insert_rowid(p->db);
	sqlite3_finalize(st);
	return rc;
}

int pipeline_enqueue_locked(struct pipeline *p, enum pipeline_kind kind,
			    const char *repo, const char *digest,
			    int64_t *id)
{
	return insert_job(p, kind, repo, digest, id);
}

int pipeline_enqueue(struct pipeline *p, enum pipeline_kind kind,
		     const char *repo, const char *digest, int64_t *id)
{
	int rc = pipeline_begin(p);

	if (rc)
		return rc;
	return pipeline_end(p, insert_job(p, kind, repo, digest, id));
}

int pipeline_enqueue_scan(struct pipeline *p, const char *repo,
			  const char *digest, bool *queued)
{
	const char *args[] = { repo, digest };
	int changes = 0;
	int rc = pipeline_begin(p);

	*queued = false;
	if (rc)
		return rc;
	/* A failed scan is tried again when the version is pushed again. */
	rc = pipeline_run(p, "INSERT INTO scans(repo, digest, status) "
			  "VALUES(?, ?, 'pending') ON CONFLICT(repo, digest) "
			  "DO UPDATE SET status='pending', error=NULL WHERE "
			  "status='failed'", &changes, 2, args);
	if (!rc && changes) {
		rc = insert_job(p, PIPELINE_SCAN, repo, digest, NULL);
		*queued = !rc;
	}
	return pipeline_end(p, rc);
}

static int kind_parse(const char *s, enum pipeline_kind *k)
{
	for (size_t i = 0; i < sizeof(kind_names) / sizeof(kind_names[0]);
	     i++)
		if (!strcmp(s, kind_names[i])) {
			*k = (enum pipeline_kind)i;
			return 0;
		}
	return err_set(ERR_INVALID, "unknown job kind '%s'", s);
}

/* Read the row st points at (id, kind, repo, digest, attempts). */
static int job_row(sqlite3_stmt *st, struct pipeline_job *j)
{
	const char *kind = (const char *)sqlite3_column_text(st, 1);
	const char *repo = (const char *)sqlite3_column_text(st, 2);
	const char *digest = (const char *)sqlite3_column_text(st, 3);

	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(st, 0);
	j->attempts = sqlite3_column_int(st, 4);
	snprintf(j->repo, sizeof(j->repo), "%s", repo ? repo : "");
	snprintf(j->digest, sizeof(j->digest), "%s", digest ? digest : "");
	return kind_parse(kind ? kind : "", &j->kind);
}

/* Mark j running (or failed when it was tried too often); caller holds
 * the transaction. Returns 1 when it is now running. */
static int take(struct pipeline *p, struct pipeline_job *j)
{
	char id[24];
	const char *args[] = { id };
	const char *sargs[] = { j->repo, j->digest };
	int rc;

	snprintf(id, sizeof(id), "%lld", (long long)j->id);
	if (j->attempts >= PIPELINE_MAX_ATTEMPTS) {
		rc = pipeline_run(p, "UPDATE pipeline_jobs SET state="
				  "'failed', error='interrupted too often' "
				  "WHERE id=?", NULL, 1, args);
		if (!rc && j->kind == PIPELINE_SCAN)
			rc = pipeline_run(p, "UPDATE scans SET status="
					  "'failed', error='the scan was "
					  "interrupted too often' WHERE "
					  "repo=? AND digest=?", NULL, 2,
					  sargs);
		return rc ? rc : 0;
	}
	j->attempts++;
	rc = pipeline_run(p, "UPDATE pipeline_jobs SET state='running', "
			  "attempts=attempts+1, updated=strftime('%s','now')"
			  " WHERE id=?", NULL, 1, args);
	if (!rc && j->kind == PIPELINE_SCAN)
		rc = pipeline_run(p, "UPDATE scans SET status='running', "
				  "started=strftime('%Y-%m-%dT%H:%M:%SZ',"
				  "'now') WHERE repo=? AND digest=?", NULL, 2,
				  sargs);
	return rc ? rc : 1;
}

static int claim(struct pipeline *p, const char *sql, int64_t id,
		 struct pipeline_job *j)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	for (;;) {
		rc = pipeline_begin(p);
		if (rc)
			return rc;
		rc = pipeline_prepare(p, sql, &st);
		if (!rc && id)
			sqlite3_bind_int64(st, 1, (sqlite3_int64)id);
		step = rc ? SQLITE_ERROR : sqlite3_step(st);
		if (!rc && step == SQLITE_ROW)
			rc = job_row(st, j);
		else if (!rc && step != SQLITE_DONE)
			rc = pipeline_sql_fail(p, "claim a job");
		sqlite3_finalize(st);
		st = NULL;
		if (!rc && step == SQLITE_ROW)
			rc = take(p, j);
		rc = pipeline_end(p, rc < 0 ? rc : 0) ? ERR_IO : rc;
		if (rc < 0)
			return rc;
		if (step != SQLITE_ROW || rc == 1)
			return rc;
		/* The job was failed for too many attempts: next one. */
		if (id)
			return 0;
	}
}

int pipeline_claim(struct pipeline *p, struct pipeline_job *j)
{
	return claim(p, "SELECT id, kind, repo, digest, attempts FROM "
		     "pipeline_jobs WHERE state='pending' ORDER BY id "
		     "LIMIT 1", 0, j);
}

int pipeline_claim_id(struct pipeline *p, int64_t id,
		      struct pipeline_job *j)
{
	return claim(p, "SELECT id, kind, repo, digest, attempts FROM "
		     "pipeline_jobs WHERE state='pending' AND id=?", id, j);
}

int pipeline_job_done_locked(struct pipeline *p, int64_t id)
{
	char s[24];
	const char *args[] = { s };

	snprintf(s, sizeof(s), "%lld", (long long)id);
	return pipeline_run(p, "UPDATE pipeline_jobs SET state='done', "
			    "updated=strftime('%s','now') WHERE id=? AND "
			    "state='running'", NULL, 1, args);
}

int pipeline_job_done(struct pipeline *p, int64_t id)
{
	int rc = pipeline_begin(p);

	if (rc)
		return rc;
	return pipeline_end(p, pipeline_job_done_locked(p, id));
}

int pipeline_job_retry(struct pipeline *p, const struct pipeline_job *j,
		       const char *why)
{
	char id[24];
	const char *args[] = { why, id };
	const char *sargs[] = { j->repo, j->digest };
	int rc = pipeline_begin(p);

	if (rc)
		return rc;
	snprintf(id, sizeof(id), "%lld", (long long)j->id);
	rc = pipeline_run(p, "UPDATE pipeline_jobs SET state='pending', "
			  "error=?, updated=strftime('%s','now') WHERE id=? "
			  "AND state='running'", NULL, 2, args);
	if (!rc && j->kind == PIPELINE_SCAN)
		rc = pipeline_run(p, "UPDATE scans SET status='pending' WHERE "
				  "repo=? AND digest=? AND status='running'",
				  NULL, 2, sargs);
	return pipeline_end(p, rc);
}

int pipeline_job_fail(struct pipeline *p, const struct pipeline_job *j,
		      const char *why)
{
	char id[24];
	const char *args[] = { why, id };
	const char *sargs[] = { why, j->repo, j->digest };
	int rc = pipeline_begin(p);

	if (rc)
		return rc;
	snprintf(id, sizeof(id), "%lld", (long long)j->id);
	rc = pipeline_run(p, "UPDATE pipeline_jobs SET state='failed', "
			  "error=?, updated=strftime('%s','now') WHERE id=?",
			  NULL, 2, args);
	if (!rc && j->kind == PIPELINE_SCAN)
		rc = pipeline_run(p, "UPDATE scans SET status='failed', "
				  "error=?, finished=strftime("
				  "'%Y-%m-%dT%H:%M:%SZ','now') WHERE repo=? "
				  "AND digest=?", NULL, 3, sargs);
	if (!rc && j->kind == PIPELINE_SCAN)
		rc = pipeline_audit_locked(p, PIPELINE_AUDIT_SCAN, j->repo,
					   j->digest, "error", why);
	return pipeline_end(p, rc);
}

int pipeline_job_counts(struct pipeline *p, struct pipeline_counts *c)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(c, 0, sizeof(*c));
	pthread_mutex_lock(&p->lock);
	rc = pipeline_prepare(p, "SELECT state, count(*) FROM pipeline_jobs"
			      " GROUP BY state", &st);
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(st, 0);
		int64_t n = sqlite3_column_int64(st, 1);

		if (!strcmp(s, "pending"))
			c->pending = n;
		else if (!strcmp(s, "running"))
			c->running = n;
		else if (!strcmp(s, "done"))
			c->done = n;
		else
			c->failed = n;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int pipeline_state_get(struct pipeline *p, const char *key, char *out,
		       size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	pthread_mutex_lock(&p->lock);
	rc = pipeline_prepare(p, "SELECT value FROM pipeline_state WHERE "
			      "key=?", &st);
	if (!rc) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			snprintf(out, n, "%s",
				 (const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

int pipeline_reeval_version(struct pipeline *p, char *out, size_t n)
{
	return pipeline_state_get(p, "reeval_db_version", out, n);
}

bool pipeline_reeval_queued(struct pipeline *p)
{
	sqlite3_stmt *st = NULL;
	bool found = false;

	pthread_mutex_lock(&p->lock);
	if (!pipeline_prepare(p, "SELECT 1 FROM pipeline_jobs WHERE kind="
			      "'reeval' AND state IN('pending','running')",
			      &st))
		found = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	pthread_mutex_unlock(&p->lock);
	return found;
}

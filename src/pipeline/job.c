/* One pipeline job from claim to done: scan a pushed version, sign a
 * stored result again, or re-evaluate dependencies. */
#include "pipeline/internal.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gov/attest.h"
#include "oci/manifest.h"
#include "sign/sign.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"
#include "vuln/deps.h"
#include "vuln/vuln_scan.h"
#include "vuln/vulndb.h"

#define OCI_EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define FINDINGS_SUMMARY_MAX 50     /* findings named in an attestation */

int pipeline_server_key(const char *data, struct sign_key **out)
{
	char dir[PATH_MAX];
	bool created = false;

	if (snprintf(dir, sizeof(dir), "%s/keys", data) >= (int)sizeof(dir))
		return err_set(ERR_LIMIT, "data directory path too long");
	return sign_key_load_or_create(dir, out, &created);
}

void pipeline_vulndb_path(const char *data, char *out, size_t n)
{
	snprintf(out, n, "%s/vulndb.sqlite", data);
}

int pipeline_vulndb_version(struct vuln_db *db, char *out, size_t n)
{
	struct vulndb_status st;
	int rc = vulndb_status(db, &st);

	if (rc)
		return rc;
	snprintf(out, n, "%s@%s", st.newest ? st.newest : "empty",
		 st.n_sources ? st.sources[0].finished : "never");
	vulndb_status_release(&st);
	return 0;
}

/* Open the server's advisory database when it exists; *db NULL if not. */
static int open_vulndb(const char *data, struct vuln_db **db,
		       char *version, size_t n)
{
	char path[PATH_MAX];

	*db = NULL;
	*version = 0;
	pipeline_vulndb_path(data, path, sizeof(path));
	if (access(path, F_OK))
		return 0;
	if (vulndb_open(path, db))
		return ERR_IO;
	return pipeline_vulndb_version(*db, version, n);
}

int pipeline_reeval_if_stale(struct pipeline *p, const char *data)
{
	struct vuln_db *db = NULL;
	char ver[128], done[128];
	int rc = open_vulndb(data, &db, ver, sizeof(ver));

	if (!rc && db)
		rc = pipeline_reeval_version(p, done, sizeof(done));
	if (!rc && db && strcmp(ver, done) && !pipeline_reeval_queued(p))
		rc = pipeline_enqueue(p, PIPELINE_REEVAL, "", "", NULL);
	vulndb_close(db);
	return rc;
}

static int read_manifest(struct blobstore *bs, const char *digest,
			 struct buf *out)
{
	int64_t size;
	int fd, rc = bs->ops->open(bs, digest, &fd, &size);

	if (rc)
		return rc;
	if (size < 0 || (uint64_t)size > OCI_MANIFEST_MAX)
		rc = err_set(ERR_LIMIT, "manifest '%s' is too large", digest);
	if (!rc)
		rc = buf_grow(out, (size_t)size + 1);
	while (!rc && out->len < (size_t)size) {
		ssize_t got = read(fd, out->data + out->len,
				   (size_t)size - out->len);

		if (got <= 0)
			rc = err_setsys(ERR_IO, got ? errno : EIO, "cannot "
					"read manifest '%s'", digest);
		else
			out->len += (size_t)got;
	}
	close(fd);
	return rc;
}

static int scratch_dir(const char *data, int64_t id, char *out, size_t n)
{
	int rc;

	if (snprintf(out, n, "%s/scratch", data) >= (int)n)
		return err_set(ERR_LIMIT, "data directory path too long");
	rc = fs_mkdirs(out, 0700);
	if (rc)
		return rc;
	snprintf(out, n, "%s/scratch/job-%lld", data, (long long)id);
	/* A job interrupted before left its files: start clean. */
	rc = fs_remove_tree(out);
	if (rc && rc != ERR_NOTFOUND)
		return rc;
	if (mkdir(out, 0700))
		return err_setsys(ERR_IO, errno, "cannot create '%s'", out);
	return 0;
}

static int collect_deps(const struct vuln_deps *d, struct pipeline_dep **out)
{
	struct pipeline_dep *v = calloc(d->n ? d->n : 1, sizeof(*v));

	*out = v;
	if (!v)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < d->n; i++) {
		v[i].package = d->v[i].name;
		v[i].spec = d->v[i].spec;
		v[i].version = d->v[i].version;
		v[i].file = d->v[i].file;
		v[i].line = d->v[i].line;
	}
	return 0;
}

/* Model files, LLM checks and dependencies of dir into r. Dependencies
 * are read (and kept for the index) even without an advisory database,
 * so a later import re-evaluates them. */
static int scan_tree(const char *data, const char *dir,
		     struct scan_report *r, struct vuln_deps *deps,
		     char *dbver, size_t n)
{
	struct scan_opts o = { 0 };
	struct vuln_findings f = { 0 };
	struct vuln_db *db = NULL;
	int rc = scan_dir(r, dir, NULL, &o);

	if (!rc)
		rc = open_vulndb(data, &db, dbver, n);
	if (!rc && db)
		rc = vuln_check_dir(db, dir, deps, &f);
	else if (!rc)
		rc = vuln_deps_scan_dir(dir, deps);
	if (!rc)
		rc = vuln_scan_add(r, deps, &f);
	vuln_findings_release(&f);
	vulndb_close(db);
	return rc;
}

static int run_scan(const struct pipeline_ctx *ctx,
		    const struct pipeline_job *j)
{
	struct buf mbytes = BUF_INIT(OCI_MANIFEST_MAX + 1);
	struct scan_report *r = scan_report_new();
	struct vuln_deps deps = { 0 };
	struct pipeline_dep *pd = NULL;
	char dir[PATH_MAX], dbver[128] = "", started[32], att[DIGEST_STR_LEN];
	int rc = r ? 0 : err_set(ERR_NOMEM, "out of memory");

	attest_now(started);
	if (!rc)
		rc = read_manifest(ctx->bs, j->digest, &mbytes);
	if (!rc)
		rc = scratch_dir(ctx->data, j->id, dir, sizeof(dir));
	if (rc)
		goto out;
	rc = pipeline_extract(ctx->bs, mbytes.data, mbytes.len, dir);
	if (!rc)
		rc = scan_tree(ctx->data, dir, r, &deps, dbver,
			       sizeof(dbver));
	fs_remove_tree(dir);
	if (!rc)
		rc = collect_deps(&deps, &pd);
	/* Results first (status done), then the signature over them, so
	 * the attestation says exactly what the store says. */
	if (!rc)
		rc = pipeline_scan_store(ctx->db, -1, j->repo, j->digest, r,
					 pd, deps.n, dbver, started, NULL);
	if (!rc)
		rc = pipeline_attest(ctx, j->repo, j->digest, att);
	if (!rc)
		rc = pipeline_scan_attested(ctx->db, j->id, j->repo,
					    j->digest, att,
					    PIPELINE_AUDIT_SCAN);
out:
	free(pd);
	vuln_deps_release(&deps);
	scan_report_free(r);
	buf_release(&mbytes);
	return rc;
}

static int run_attest(const struct pipeline_ctx *ctx,
		      const struct pipeline_job *j)
{
	char att[DIGEST_STR_LEN];
	int rc = pipeline_attest(ctx, j->repo, j->digest, att);

	if (!rc)
		rc = pipeline_scan_attested(ctx->db, j->id, j->repo,
					    j->digest, att,
					    PIPELINE_AUDIT_REEVAL);
	return rc;
}

static int run_reeval(const struct pipeline_ctx *ctx,
		      const struct pipeline_job *j)
{
	struct vuln_db *db = NULL;
	struct pipeline_reeval st;
	char ver[128];
	int rc = open_vulndb(ctx->data, &db, ver, sizeof(ver));

	if (!rc && !db)
		return pipeline_job_done(ctx->db, j->id);
	if (!rc)
		rc = pipeline_reevaluate(ctx->db, db, ver, j->id, &st);
	if (!rc)
		log_msg(LOG_INFO, "-", "re-evaluated %lld versions against "
			"advisories %s: %lld changed in %.2f s",
			(long long)st.versions, ver, (long long)st.changed,
			st.seconds);
	vulndb_close(db);
	return rc;
}

int pipeline_run_job(const struct pipeline_ctx *ctx,
		     const struct pipeline_job *j)
{
	int rc;

	switch (j->kind) {
	case PIPELINE_SCAN:
		rc = run_scan(ctx, j);
		break;
	case PIPELINE_ATTEST:
		rc = run_attest(ctx, j);
		break;
	default:
		rc = run_reeval(ctx, j);
	}
	if (rc) {
		char why[512];

		snprintf(why, sizeof(why), "%s", err_msg());
		log_msg(LOG_WARN, "-", "job %lld (%s@%s) failed: %s",
			(long long)j->id, j->repo, j->digest, why);
		/* A busy store is not the version's fault: try again. */
		if (rc == ERR_CONFLICT &&
		    j->attempts < PIPELINE_MAX_ATTEMPTS)
			pipeline_job_retry(ctx->db, j, why);
		else
			pipeline_job_fail(ctx->db, j, why);
	}
	return rc;
}

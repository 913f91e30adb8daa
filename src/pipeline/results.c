/* Scan results in the metadata store: the scans row of each version, its
 * dependency index and its vulnerability rows. */
#include "pipeline/internal.h"
#include "scan/rules.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gov/audit.h"
#include "util/err.h"

void pipeline_scan_release(struct pipeline_scan *s)
{
	if (!s)
		return;
	free(s->findings);
	free(s->advisory_db);
	free(s->started);
	free(s->finished);
	free(s->error);
	free(s->attestation);
	free(s->changed);
	memset(s, 0, sizeof(*s));
}

static const char *jtext(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

bool pipeline_finding_is_dep(json_t *f)
{
	return !strncmp(jtext(f, "rule"), "dep-", 4);
}

static enum pipeline_finding_kind finding_kind(json_t *f)
{
	const char *kind = scan_rule_kind(jtext(f, "rule"));

	if (!strcmp(kind, "dependency"))
		return PIPELINE_KIND_DEPENDENCY;
	if (!strcmp(kind, "llm"))
		return PIPELINE_KIND_LLM;
	return PIPELINE_KIND_MODEL;
}

int pipeline_summarise(void *findings, bool incomplete,
		       struct pipeline_summary *s)
{
	json_t *f;
	size_t i;
	int max = -1;

	memset(s, 0, sizeof(*s));
	json_array_foreach((json_t *)findings, i, f) {
		enum scan_severity sev;

		if (scan_severity_parse(jtext(f, "severity"), &sev))
			return err_set(ERR_INVALID, "stored finding %zu has "
				       "no severity", i);
		s->severity[sev]++;
		s->kind[finding_kind(f)]++;
		if ((int)sev > max)
			max = (int)sev;
	}
	/* The engine's order: critical first, then incomplete. */
	if (max >= SCAN_CRITICAL)
		snprintf(s->verdict, sizeof(s->verdict), "malicious");
	else if (incomplete)
		snprintf(s->verdict, sizeof(s->verdict), "incomplete");
	else if (max >= SCAN_MEDIUM)
		snprintf(s->verdict, sizeof(s->verdict), "suspicious");
	else
		snprintf(s->verdict, sizeof(s->verdict), "clean");
	return 0;
}

static char *join_strings(json_t *a)
{
	struct buf b = BUF_INIT(1u << 20);
	json_t *v;
	size_t i;

	json_array_foreach(a, i, v) {
		if (i)
			buf_putc(&b, ' ');
		buf_puts(&b, json_string_value(v) ? json_string_value(v)
			 : "");
	}
	buf_putc(&b, 0);
	return buf_detach(&b, NULL);
}

static int vuln_row(sqlite3_stmt *st, const char *repo, const char *digest,
		    json_t *f)
{
	char *aliases = join_strings(json_object_get(f, "aliases"));
	char *fixed = join_strings(json_object_get(f, "fixed"));
	int ok;

	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, jtext(f, "id"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, aliases ? aliases : "", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(st, 5, jtext(f, "package"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, jtext(f, "version"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, jtext(f, "severity"), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, fixed ? fixed : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, jtext(f, "path"), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 10, json_integer_value(json_object_get(f,
								    "line")));
	ok = sqlite3_step(st) == SQLITE_DONE;
	free(aliases);
	free(fixed);
	return ok ? 0 : ERR_IO;
}

int pipeline_vulns_index(struct pipeline *p, const char *repo,
			 const char *digest, void *findings)
{
	const char *args[] = { repo, digest };
	sqlite3_stmt *st = NULL;
	json_t *f;
	size_t i;
	int rc = pipeline_run(p, "DELETE FROM scan_vulns WHERE repo=? AND "
			      "digest=?", NULL, 2, args);

	if (!rc)
		rc = pipeline_prepare(p, "INSERT INTO scan_vulns(repo, digest,"
				      " id, aliases, package, version, "
				      "severity, fixed, file, line) VALUES"
				      "(?,?,?,?,?,?,?,?,?,?)", &st);
	json_array_foreach((json_t *)findings, i, f) {
		if (rc)
			break;
		if (pipeline_finding_is_dep(f) &&
		    vuln_row(st, repo, digest, f))
			rc = pipeline_sql_fail(p, "index a vulnerability");
	}
	sqlite3_finalize(st);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *pipeline_dep_key(void *findings)
{
	struct buf b = BUF_INIT(PIPELINE_FINDINGS_MAX);
	char **v = NULL;
	size_t n = 0, i;
	json_t *f;

	v = calloc(json_array_size(findings) + 1, sizeof(*v));
	if (!v)
		return NULL;
	json_array_foreach((json_t *)findings, i, f) {
		if (!pipeline_finding_is_dep(f))
			continue;
		if (asprintf(&v[n], "%s|%s|%s|%s|%lld", jtext(f, "id"),
			     jtext(f, "package"), jtext(f, "version"),
			     jtext(f, "path"), (long long)json_integer_value(
				     json_object_get(f, "line"))) < 0)
			break;
		n++;
	}
	qsort(v, n, sizeof(*v), cmp_str);
	for (i = 0; i < n; i++) {
		buf_puts(&b, v[i]);
		buf_putc(&b, '\n');
		free(v[i]);
	}
	free(v);
	buf_putc(&b, 0);
	return buf_detach(&b, NULL);
}

static int insert_deps(struct pipeline *p, const char *repo,
		       const char *digest, const struct pipeline_dep *d,
		       size_t n)
{
	const char *args[] = { repo, digest };
	sqlite3_stmt *st = NULL;
	int rc = pipeline_run(p, "DELETE FROM scan_deps WHERE repo=? AND "
			      "digest=?", NULL, 2, args);

	if (!rc)
		rc = pipeline_prepare(p, "INSERT INTO scan_deps(repo, digest,"
				      " package, spec, version, file, line)"
				      " VALUES(?,?,?,?,?,?,?)", &st);
	for (size_t i = 0; !rc && i < n; i++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, d[i].package, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, d[i].spec ? d[i].spec : "", -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 5, d[i].version, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, d[i].file, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 7, d[i].line);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = pipeline_sql_fail(p, "index a dependency");
	}
	sqlite3_finalize(st);
	return rc;
}

/* Write the scans row's result columns from findings. */
int pipeline_scan_write(struct pipeline *p, const char *repo,
			const char *digest, void *findings, bool incomplete,
			const char *advisory_db, const char *extra_sql)
{
	struct pipeline_summary s;
	sqlite3_stmt *st = NULL;
	char *text = NULL, *key = NULL, sql[1024];
	int rc = pipeline_summarise(findings, incomplete, &s);

	if (!rc) {
		text = json_dumps(findings, JSON_COMPACT);
		key = pipeline_dep_key(findings);
		if (!text || !key)
			rc = err_set(ERR_NOMEM, "out of memory");
	}
	snprintf(sql, sizeof(sql), "UPDATE scans SET verdict=?1, "
		 "sev_info=?2, sev_low=?3, sev_medium=?4, sev_high=?5, "
		 "sev_critical=?6, kind_model=?7, kind_dependency=?8, "
		 "kind_llm=?9, incomplete=?10, "
		 "findings=?11, dep_key=?12, advisory_db=?13, error=NULL%s "
		 "WHERE repo=?14 AND digest=?15", extra_sql);
	if (!rc)
		rc = pipeline_prepare(p, sql, &st);
	if (!rc) {
		sqlite3_bind_text(st, 1, s.verdict, -1, SQLITE_STATIC);
		for (int i = 0; i < 5; i++)
			sqlite3_bind_int(st, 2 + i, s.severity[i]);
		for (int i = 0; i < PIPELINE_NKINDS; i++)
			sqlite3_bind_int(st, 7 + i, s.kind[i]);
		sqlite3_bind_int(st, 10, incomplete);
		sqlite3_bind_text(st, 11, text, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 12, key, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 13, advisory_db, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 14, repo, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 15, digest, -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = pipeline_sql_fail(p, "store a scan");
	}
	if (!rc)
		rc = pipeline_vulns_index(p, repo, digest, findings);
	sqlite3_finalize(st);
	free(text);
	free(key);
	return rc;
}

int pipeline_scan_store(struct pipeline *p, int64_t job_id,
			const char *repo, const char *digest,
			const struct scan_report *r,
			const struct pipeline_dep *deps, size_t n_deps,
			const char *advisory_db, const char *started,
			const char *attestation)
{
	const char *args[] = { started, attestation, repo, digest };
	char *text = NULL;
	json_t *doc = NULL;
	int rc = scan_report_render(r, SCAN_FORMAT_JSON, &text);

	if (!rc) {
		doc = json_loads(text, 0, NULL);
		if (!json_is_array(json_object_get(doc, "findings")))
			rc = err_set(ERR_INVALID, "scan report has no "
				     "findings");
	}
	if (!rc)
		rc = pipeline_begin(p);
	if (rc)
		goto out;
	rc = pipeline_scan_write(p, repo, digest,
				 json_object_get(doc, "findings"),
				 scan_report_incomplete(r), advisory_db,
				 ", finished=strftime('%Y-%m-%dT%H:%M:%SZ',"
				 "'now')");
	if (!rc)
		rc = pipeline_run(p, "UPDATE scans SET started=?, "
				  "attestation=? WHERE repo=? AND digest=?",
				  NULL, 4, args);
	if (!rc)
		rc = insert_deps(p, repo, digest, deps, n_deps);
	if (!rc)
		rc = pipeline_job_done_locked(p, job_id);
	rc = pipeline_end(p, rc);
out:
	json_decref(doc);
	free(text);
	return rc;
}

/* "verdict suspicious: 0 critical, 1 high, ..." of a stored scan. */
static int scan_summary(struct pipeline *p, const char *repo,
			const char *digest, char *out, size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc = pipeline_prepare(p, "SELECT verdict, sev_critical, sev_high,"
				  " sev_medium, sev_low, sev_info FROM scans "
				  "WHERE repo=? AND digest=?", &st);

	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(out, n, "verdict %s: %d critical, %d high, %d "
			 "medium, %d low, %d info",
			 (const char *)sqlite3_column_text(st, 0),
			 sqlite3_column_int(st, 1), sqlite3_column_int(st, 2),
			 sqlite3_column_int(st, 3), sqlite3_column_int(st, 4),
			 sqlite3_column_int(st, 5));
	else
		rc = err_set(ERR_NOTFOUND, "no scan of %s@%s", repo, digest);
	sqlite3_finalize(st);
	return rc;
}

int pipeline_audit_locked(struct pipeline *p, const char *action,
			  const char *repo, const char *digest,
			  const char *result, const char *reason)
{
	struct audit_record rec = {
		.actor = "stele", .action = action, .repo = repo,
		.digest = digest, .result = result, .reason = reason,
	};

	return audit_db_append(p->db, &rec);
}

int pipeline_scan_attested(struct pipeline *p, int64_t job_id,
			   const char *repo, const char *digest,
			   const char *attestation, const char *action)
{
	const char *args[] = { attestation, repo, digest };
	char why[160];
	int rc = pipeline_begin(p);

	if (rc)
		return rc;
	/* Done means signed: a result is published with its attestation. */
	rc = pipeline_run(p, "UPDATE scans SET attestation=?, status='done' "
			  "WHERE repo=? AND digest=?", NULL, 3, args);
	if (!rc)
		rc = pipeline_job_done_locked(p, job_id);
	if (!rc)
		rc = scan_summary(p, repo, digest, why, sizeof(why));
	if (!rc)
		rc = pipeline_audit_locked(p, action, repo, digest, "ok", why);
	return pipeline_end(p, rc);
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? strdup(s) : NULL;
}

static void scan_row(sqlite3_stmt *st, struct pipeline_scan *o)
{
	snprintf(o->status, sizeof(o->status), "%s",
		 (const char *)sqlite3_column_text(st, 0));
	snprintf(o->verdict, sizeof(o->verdict), "%s",
		 (const char *)sqlite3_column_text(st, 1));
	for (int i = 0; i < 5; i++)
		o->severity[i] = sqlite3_column_int(st, 2 + i);
	for (int i = 0; i < PIPELINE_NKINDS; i++)
		o->kind[i] = sqlite3_column_int(st, 7 + i);
	o->incomplete = sqlite3_column_int(st, 10);
	o->findings = col_dup(st, 11);
	o->advisory_db = col_dup(st, 12);
	o->started = col_dup(st, 13);
	o->finished = col_dup(st, 14);
	o->error = col_dup(st, 15);
	o->attestation = col_dup(st, 16);
	o->changed = col_dup(st, 17);
}

int pipeline_scan_evidence_locked(struct pipeline *p, const char *repo,
				  const char *digest,
				  struct pipeline_scan *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	snprintf(out->repo, sizeof(out->repo), "%s", repo);
	snprintf(out->digest, sizeof(out->digest), "%s", digest);
	rc = pipeline_prepare(p, "SELECT status, verdict, sev_info, sev_low,"
			      " sev_medium, sev_high, sev_critical, "
			      "kind_model, kind_dependency, kind_llm, "
			      "incomplete, findings, advisory_db, started, "
			      "finished, error, attestation, changed FROM "
			      "scans WHERE repo=? AND digest=?", &st);
	if (!rc) {
		sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
		switch (sqlite3_step(st)) {
		case SQLITE_ROW:
			scan_row(st, out);
			break;
		case SQLITE_DONE:
			rc = err_set(ERR_NOTFOUND, "no scan of '%s@%s'", repo,
				     digest);
			break;
		default:
			rc = pipeline_sql_fail(p, "read a scan");
		}
	}
	sqlite3_finalize(st);
	return rc;
}

int pipeline_scan_evidence(struct pipeline *p, const char *repo,
			   const char *digest, struct pipeline_scan *out)
{
	int rc;

	pthread_mutex_lock(&p->lock);
	rc = pipeline_scan_evidence_locked(p, repo, digest, out);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

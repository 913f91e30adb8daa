/* Scan and publisher evidence read from the registry's SQLite database. */
#include "gov/evidence.h"
#include "scan/rules.h"
#include "util/err.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * The scans table: one row per version, written by the scan pipeline
 * (src/pipeline/, docs/pipeline.md) and read here as policy evidence.
 * This module owns its definition so both sides agree on it.
 */
static const char scan_schema[] =
	"CREATE TABLE IF NOT EXISTS scans("
	" repo TEXT NOT NULL, digest TEXT NOT NULL,"
	" status TEXT NOT NULL"
	"  CHECK(status IN('pending','running','done','failed')),"
	" verdict TEXT NOT NULL DEFAULT '',"
	" sev_info INTEGER NOT NULL DEFAULT 0,"
	" sev_low INTEGER NOT NULL DEFAULT 0,"
	" sev_medium INTEGER NOT NULL DEFAULT 0,"
	" sev_high INTEGER NOT NULL DEFAULT 0,"
	" sev_critical INTEGER NOT NULL DEFAULT 0,"
	" kind_model INTEGER NOT NULL DEFAULT 0,"
	" kind_dependency INTEGER NOT NULL DEFAULT 0,"
	" kind_llm INTEGER NOT NULL DEFAULT 0,"
	" incomplete INTEGER NOT NULL DEFAULT 0,"
	" findings TEXT, advisory_db TEXT NOT NULL DEFAULT '',"
	" dep_key TEXT NOT NULL DEFAULT '',"
	" started TEXT, finished TEXT, error TEXT,"
	" attestation TEXT, changed TEXT,"
	" PRIMARY KEY(repo, digest));";

static int ev_sqlerr(struct sqlite3 *db, const char *what)
{
	return err_set(ERR_IO, "evidence: %s: %s", what, sqlite3_errmsg(db));
}

int gov_scan_db_init(struct sqlite3 *db)
{
	if (sqlite3_exec(db, scan_schema, NULL, NULL, NULL))
		return ev_sqlerr(db, "cannot create scans table");
	return 0;
}

static void ev_copy(char *dst, size_t n, const unsigned char *v)
{
	snprintf(dst, n, "%s", v ? (const char *)v : "");
}

static int kind_parse(const char *s, enum policy_kind *out)
{
	if (!s || !strcmp(s, "model"))
		*out = POLICY_MODEL;
	else if (!strcmp(s, "dependency"))
		*out = POLICY_DEPENDENCY;
	else if (!strcmp(s, "llm"))
		*out = POLICY_LLM;
	else
		return ERR_INVALID;
	return 0;
}

/*
 * The pipeline stores the scan report's findings as they are: a rule, and
 * for dependency findings an advisory id. The kind follows the rule
 * family (the same split as the pipeline's counts, docs/pipeline.md).
 */
static const char *finding_kind(json_t *o)
{
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *rule = json_string_value(json_object_get(o, "rule"));

	return kind ? kind : scan_rule_kind(rule);
}

static int finding_parse(json_t *o, struct policy_finding *f, size_t i)
{
	json_t *al = json_object_get(o, "aliases");
	const char *id = json_string_value(json_object_get(o, "id"));
	const char *sev = json_string_value(json_object_get(o, "severity"));
	const char *kind = finding_kind(o);
	enum scan_severity s;
	const char **names = NULL;
	size_t n = 0;

	if (!id)
		id = json_string_value(json_object_get(o, "rule"));
	if (!json_is_object(o) || !id || !sev ||
	    scan_severity_parse(sev, &s) || kind_parse(kind, &f->kind))
		return err_set(ERR_INVALID, "scan findings: entry %zu needs "
			       "id, severity and a known kind", i);
	if (al && (!json_is_array(al) ||
		   json_array_size(al) > GOV_ALIASES_MAX))
		return err_set(ERR_INVALID, "scan findings: bad aliases in "
			       "entry %zu", i);
	if (al && json_array_size(al)) {
		names = calloc(json_array_size(al), sizeof(*names));
		if (!names)
			return err_set(ERR_NOMEM, "out of memory");
		for (n = 0; n < json_array_size(al); n++) {
			names[n] = json_string_value(json_array_get(al, n));
			if (!names[n]) {
				free(names);
				return err_set(ERR_INVALID, "scan findings: "
					       "alias not a string in entry "
					       "%zu", i);
			}
		}
	}
	f->id = id;
	f->severity = s;
	f->aliases = names;
	f->n_aliases = n;
	return 0;
}

int gov_scan_findings_parse(const char *json, size_t n, struct gov_scan *out)
{
	json_error_t je;
	json_t *arr;
	size_t count;
	int rc = 0;

	if (n > GOV_SCAN_JSON_MAX)
		return err_set(ERR_LIMIT, "scan findings over %u bytes",
			       GOV_SCAN_JSON_MAX);
	arr = json_loadb(json, n, JSON_REJECT_DUPLICATES, &je);
	if (!arr || !json_is_array(arr)) {
		json_decref(arr);
		return err_set(ERR_INVALID, "scan findings: not a JSON array "
			       "(offset %d)", je.position);
	}
	count = json_array_size(arr);
	if (count > GOV_SCAN_FINDINGS_MAX) {
		json_decref(arr);
		return err_set(ERR_LIMIT, "scan findings: more than %d",
			       GOV_SCAN_FINDINGS_MAX);
	}
	out->owned = arr;
	out->findings = count ? calloc(count, sizeof(*out->findings)) : NULL;
	if (count && !out->findings)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; !rc && i < count; i++) {
		rc = finding_parse(json_array_get(arr, i), &out->findings[i],
				   i);
		if (!rc)
			out->n_findings++;
	}
	return rc;
}

/*
 * A scan made with no advisory database (advisory_db '') checked nothing
 * of the dependencies the version declares (scan_deps), unless an import
 * has re-evaluated every stored version since (reeval_db_version). The
 * pipeline's tables may not exist yet: then nothing was declared.
 */
static const char deps_unchecked_sql[] =
	"SELECT EXISTS(SELECT 1 FROM scans s, scan_deps d"
	" WHERE s.repo=?1 AND s.digest=?2 AND s.advisory_db=''"
	" AND d.repo=?1 AND d.digest=?2)"
	" AND NOT EXISTS(SELECT 1 FROM pipeline_state"
	" WHERE key='reeval_db_version' AND value<>'')";

static int deps_unchecked(struct sqlite3 *db, const char *repo,
			  const char *digest, bool *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	*out = false;
	rc = sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_master"
				" WHERE type='table' AND name IN"
				" ('scan_deps','pipeline_state')", -1, &st,
				NULL);
	if (rc || sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_finalize(st);
		return ev_sqlerr(db, "cannot read the schema");
	}
	rc = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (rc != 2)
		return 0;
	if (sqlite3_prepare_v2(db, deps_unchecked_sql, -1, &st, NULL))
		return ev_sqlerr(db, "cannot read scan dependencies");
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0) != 0;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 0 : ev_sqlerr(db, "cannot read scan "
						"dependencies");
}

int gov_scan_evidence(struct sqlite3 *db, const char *repo,
		      const char *digest, struct gov_scan *out)
{
	sqlite3_stmt *st = NULL;
	const char *findings;
	int rc;

	memset(out, 0, sizeof(*out));
	if (sqlite3_prepare_v2(db, "SELECT status, NOT incomplete, verdict,"
			       " finished, findings FROM scans WHERE repo=?"
			       " AND digest=?", -1, &st, NULL))
		return ev_sqlerr(db, "cannot read scans");
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return 0;
	}
	if (rc != SQLITE_ROW) {
		rc = ev_sqlerr(db, "cannot read scans");
		sqlite3_finalize(st);
		return rc;
	}
	out->found = true;
	ev_copy(out->state, sizeof(out->state), sqlite3_column_text(st, 0));
	ev_copy(out->verdict, sizeof(out->verdict),
		sqlite3_column_text(st, 2));
	ev_copy(out->time, sizeof(out->time), sqlite3_column_text(st, 3));
	out->done = !strcmp(out->state, "done") &&
		    sqlite3_column_int(st, 1) != 0;
	findings = (const char *)sqlite3_column_text(st, 4);
	rc = findings ? gov_scan_findings_parse(findings, strlen(findings),
						out) : 0;
	sqlite3_finalize(st);
	if (!rc && out->done)
		rc = deps_unchecked(db, repo, digest, &out->deps_unchecked);
	if (rc)
		out->done = false;
	return rc;
}

void gov_scan_release(struct gov_scan *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_findings; i++) {
		void *p;

		/* The array is ours; only its view is const. */
		memcpy(&p, &s->findings[i].aliases, sizeof(p));
		free(p);
	}
	free(s->findings);
	json_decref(s->owned);
	s->findings = NULL;
	s->owned = NULL;
	s->n_findings = 0;
}

int gov_scan_record(struct sqlite3 *db, const char *repo, const char *digest,
		    const char *state, bool complete, const char *verdict,
		    const char *findings_json)
{
	sqlite3_stmt *st = NULL;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	int rc;

	gmtime_r(&t, &tm);
	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (sqlite3_prepare_v2(db, "INSERT INTO scans (repo, digest, finished,"
			       " status, incomplete, verdict, findings)"
			       " VALUES (?1,?2,?3,?4,?5,?6,?7) ON CONFLICT"
			       " (repo, digest) DO UPDATE SET finished=?3,"
			       " status=?4, incomplete=?5, verdict=?6,"
			       " findings=?7", -1, &st, NULL))
		return ev_sqlerr(db, "cannot record scan");
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, complete ? 0 : 1);
	sqlite3_bind_text(st, 6, verdict ? verdict : "", -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 7, findings_json, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	     ev_sqlerr(db, "cannot record scan");
	sqlite3_finalize(st);
	return rc;
}

int gov_publisher(struct sqlite3 *db, const char *repo, const char *digest,
		  char *out, size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	out[0] = '\0';
	if (sqlite3_prepare_v2(db, "SELECT actor FROM audit WHERE"
			       " action='push' AND result='ok' AND repo=?"
			       " AND digest=? ORDER BY seq LIMIT 1", -1, &st,
			       NULL))
		return ev_sqlerr(db, "cannot read publisher");
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		ev_copy(out, n, sqlite3_column_text(st, 0));
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	     ev_sqlerr(db, "cannot read publisher");
	sqlite3_finalize(st);
	return rc;
}

/* Registry-wide vulnerability queries over the scan_vulns index. */
#include "pipeline/internal.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

#define QUERY_NAME_MAX 256

/* PEP 503: lower case, runs of '-', '_' and '.' become one '-'. */
static int normalise(const char *in, char out[QUERY_NAME_MAX + 1])
{
	size_t n = 0;

	for (const char *p = in; *p; p++) {
		bool sep = *p == '-' || *p == '_' || *p == '.';

		if (n >= QUERY_NAME_MAX)
			return err_set(ERR_LIMIT, "package name too long");
		if (sep && n && out[n - 1] == '-')
			continue;
		out[n++] = sep ? '-' : (char)tolower((unsigned char)*p);
	}
	out[n] = 0;
	return n ? 0 : err_set(ERR_INVALID, "empty package name");
}

static json_t *split(const char *s)
{
	json_t *a = json_array();
	const char *p = s ? s : "";

	while (a && *p) {
		size_t n = strcspn(p, " ");

		if (n)
			json_array_append_new(a, json_stringn(p, n));
		p += n + (p[n] == ' ');
	}
	return a;
}

static json_t *row_json(sqlite3_stmt *st)
{
	return json_pack("{s:s,s:o,s:s,s:s,s:s,s:o,s:s,s:I}",
			 "id", sqlite3_column_text(st, 2),
			 "aliases", split((const char *)
					  sqlite3_column_text(st, 3)),
			 "package", sqlite3_column_text(st, 4),
			 "version", sqlite3_column_text(st, 5),
			 "severity", sqlite3_column_text(st, 6),
			 "fixed", split((const char *)
					sqlite3_column_text(st, 7)),
			 "file", sqlite3_column_text(st, 8),
			 "line", (json_int_t)sqlite3_column_int64(st, 9));
}

static int collect(sqlite3_stmt *st, json_t *out)
{
	json_t *cur = NULL;
	int step;

	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *repo = (const char *)sqlite3_column_text(st, 0);
		const char *digest = (const char *)sqlite3_column_text(st, 1);
		json_t *f = row_json(st);

		if (!f)
			return err_set(ERR_NOMEM, "out of memory");
		if (!cur || strcmp(repo, json_string_value(json_object_get(
				cur, "repository"))) ||
		    strcmp(digest, json_string_value(json_object_get(
				cur, "digest")))) {
			cur = json_pack("{s:s,s:s,s:[]}", "repository", repo,
					"digest", digest, "findings");
			if (!cur || json_array_append_new(out, cur)) {
				json_decref(f);
				return err_set(ERR_NOMEM, "out of memory");
			}
		}
		json_array_append_new(json_object_get(cur, "findings"), f);
	}
	return step == SQLITE_DONE ? 0 : ERR_IO;
}

int pipeline_vulns_query(struct pipeline *p,
			 const struct pipeline_vulns_filter *f,
			 void *json_array)
{
	char name[QUERY_NAME_MAX + 1];
	sqlite3_stmt *st = NULL;
	int rc = 0;

	if (!f->id == !f->package)
		return err_set(ERR_INVALID, "give one of id or package");
	if (f->package)
		rc = normalise(f->package, name);
	if (rc)
		return rc;
	pthread_mutex_lock(&p->lock);
	rc = pipeline_prepare(p, f->id ?
			      "SELECT repo, digest, id, aliases, package, "
			      "version, severity, fixed, file, line FROM "
			      "scan_vulns WHERE id=?1 OR ' '||aliases||' ' "
			      "LIKE '% '||?1||' %' ORDER BY repo, digest" :
			      "SELECT repo, digest, id, aliases, package, "
			      "version, severity, fixed, file, line FROM "
			      "scan_vulns WHERE package=?1 ORDER BY repo, "
			      "digest", &st);
	if (!rc) {
		sqlite3_bind_text(st, 1, f->id ? f->id : name, -1,
				  SQLITE_TRANSIENT);
		rc = collect(st, json_array);
		if (rc == ERR_IO)
			rc = pipeline_sql_fail(p, "query vulnerabilities");
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&p->lock);
	return rc;
}

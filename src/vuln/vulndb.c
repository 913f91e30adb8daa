/* The advisory database in SQLite: schema, storing records, queries. */
#include "vuln/vulndb.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "util/fs.h"
#include "vuln/vulndb_int.h"

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;"
	"CREATE TABLE IF NOT EXISTS advisory(id TEXT PRIMARY KEY,"
	" grp TEXT NOT NULL, modified TEXT NOT NULL, published TEXT,"
	" summary TEXT NOT NULL, url TEXT, vector TEXT, score REAL,"
	" label TEXT);"
	"CREATE INDEX IF NOT EXISTS advisory_grp ON advisory(grp);"
	"CREATE TABLE IF NOT EXISTS alias(id TEXT NOT NULL,"
	" alias TEXT NOT NULL, PRIMARY KEY(id, alias));"
	"CREATE INDEX IF NOT EXISTS alias_alias ON alias(alias);"
	"CREATE TABLE IF NOT EXISTS affected(id TEXT NOT NULL,"
	" package TEXT NOT NULL, ranges TEXT NOT NULL,"
	" versions TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS affected_package ON affected(package);"
	"CREATE INDEX IF NOT EXISTS affected_id ON affected(id);"
	"CREATE TABLE IF NOT EXISTS import(seq INTEGER PRIMARY KEY,"
	" source TEXT NOT NULL, finished TEXT NOT NULL, added INTEGER,"
	" updated INTEGER, unchanged INTEGER, skipped INTEGER,"
	" withdrawn INTEGER, newest TEXT);";

int vulndb_sql_fail(struct vuln_db *db, const char *what)
{
	return err_set(ERR_IO, "vulndb: %s: %s", what, sqlite3_errmsg(db->db));
}

int vulndb_default_path(char *out, size_t len)
{
	const char *home = getenv("STELE_HOME");
	int n;

	if (home && *home)
		n = snprintf(out, len, "%s/vulndb.sqlite", home);
	else if ((home = getenv("HOME")) && *home)
		n = snprintf(out, len, "%s/.stele/vulndb.sqlite", home);
	else
		return err_set(ERR_NOTFOUND, "vulndb: neither STELE_HOME nor "
			       "HOME is set");
	if (n < 0 || (size_t)n >= len)
		return err_set(ERR_LIMIT, "vulndb: path too long");
	return 0;
}

static int make_parent(const char *path)
{
	char dir[4096];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return err_set(ERR_LIMIT, "vulndb: path too long");
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return fs_mkdirs(dir, 0700);
}

int vulndb_open(const char *path, struct vuln_db **out)
{
	struct vuln_db *db;
	int rc;

	*out = NULL;
	rc = make_parent(path);
	if (rc)
		return rc;
	db = calloc(1, sizeof(*db));
	if (!db)
		return err_set(ERR_NOMEM, "out of memory");
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL)) {
		rc = err_set(ERR_IO, "vulndb: cannot open '%s': %s", path,
			     db->db ? sqlite3_errmsg(db->db) : "no memory");
		vulndb_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db->db, 10000);
	if (sqlite3_exec(db->db, schema, NULL, NULL, NULL)) {
		rc = vulndb_sql_fail(db, "cannot create schema");
		vulndb_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

void vulndb_close(struct vuln_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < sizeof(db->st) / sizeof(db->st[0]); i++)
		sqlite3_finalize(db->st[i]);
	sqlite3_close(db->db);
	free(db);
}

/* A cached prepared statement, reset and cleared for reuse. */
sqlite3_stmt *vulndb_stmt(struct vuln_db *db, enum vulndb_sql which)
{
	static const char *const sql[VULNDB_SQL_N] = {
		[SQL_GET_MODIFIED] = "SELECT modified FROM advisory "
				     "WHERE id = ?",
		[SQL_DEL_ADV] = "DELETE FROM advisory WHERE id = ?",
		[SQL_DEL_ALIAS] = "DELETE FROM alias WHERE id = ?",
		[SQL_DEL_AFF] = "DELETE FROM affected WHERE id = ?",
		[SQL_INS_ADV] = "INSERT INTO advisory(id, grp, modified, "
				"published, summary, url, vector, score, "
				"label) VALUES (?,?,?,?,?,?,?,?,?)",
		[SQL_INS_ALIAS] = "INSERT OR IGNORE INTO alias(id, alias) "
				  "VALUES (?,?)",
		[SQL_INS_AFF] = "INSERT INTO affected(id, package, ranges, "
				"versions) VALUES (?,?,?,?)",
		[SQL_BY_PACKAGE] = "SELECT a.id, a.grp, a.summary, a.url, "
			"a.vector, a.score, a.label, a.modified, f.package, "
			"f.ranges, f.versions FROM affected f JOIN advisory a"
			" ON a.id = f.id WHERE f.package = ? ORDER BY a.id",
		[SQL_BY_ID] = "SELECT a.id, a.grp, a.summary, a.url, "
			"a.vector, a.score, a.label, a.modified, f.package, "
			"f.ranges, f.versions FROM affected f JOIN advisory a"
			" ON a.id = f.id WHERE a.id IN (SELECT ?1 UNION "
			"SELECT id FROM alias WHERE alias = ?1 UNION "
			"SELECT id FROM advisory WHERE grp = ?1) "
			"ORDER BY a.id, f.package",
		[SQL_ALIASES] = "SELECT alias FROM alias WHERE id = ? "
				"ORDER BY alias",
	};
	sqlite3_stmt *st = db->st[which];

	if (!st && sqlite3_prepare_v2(db->db, sql[which], -1, &db->st[which],
				      NULL)) {
		vulndb_sql_fail(db, "cannot prepare statement");
		return NULL;
	}
	st = db->st[which];
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return st;
}

/* Status ------------------------------------------------------------ */

static long long count(struct vuln_db *db, const char *sql)
{
	sqlite3_stmt *st;
	long long n = -1;

	if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL))
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? strdup((const char *)s) : NULL;
}

static int read_sources(struct vuln_db *db, struct vulndb_status *out)
{
	sqlite3_stmt *st;
	struct vulndb_source *s, *grown;
	int rc = 0;

	if (sqlite3_prepare_v2(db->db, "SELECT source, finished, added, "
			       "updated, skipped, withdrawn, newest FROM "
			       "import ORDER BY seq DESC LIMIT 50", -1, &st,
			       NULL))
		return vulndb_sql_fail(db, "cannot read imports");
	while (sqlite3_step(st) == SQLITE_ROW) {
		grown = realloc(out->sources, (out->n_sources + 1) *
				sizeof(*grown));
		if (!grown) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		out->sources = grown;
		s = &out->sources[out->n_sources++];
		s->source = col_dup(st, 0);
		s->finished = col_dup(st, 1);
		s->added = sqlite3_column_int64(st, 2);
		s->updated = sqlite3_column_int64(st, 3);
		s->skipped = sqlite3_column_int64(st, 4);
		s->withdrawn = sqlite3_column_int64(st, 5);
		s->newest = col_dup(st, 6);
	}
	sqlite3_finalize(st);
	return rc;
}

int vulndb_status(struct vuln_db *db, struct vulndb_status *out)
{
	sqlite3_stmt *st;

	memset(out, 0, sizeof(*out));
	out->advisories = count(db, "SELECT count(*) FROM advisory");
	out->groups = count(db, "SELECT count(DISTINCT grp) FROM advisory");
	out->packages = count(db, "SELECT count(DISTINCT package) "
			      "FROM affected");
	out->aliases = count(db, "SELECT count(*) FROM alias");
	if (out->advisories < 0 || out->packages < 0)
		return vulndb_sql_fail(db, "cannot count advisories");
	if (!sqlite3_prepare_v2(db->db, "SELECT max(modified) FROM advisory",
				-1, &st, NULL)) {
		if (sqlite3_step(st) == SQLITE_ROW)
			out->newest = col_dup(st, 0);
		sqlite3_finalize(st);
	}
	return read_sources(db, out);
}

void vulndb_status_release(struct vulndb_status *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n_sources; i++) {
		free(st->sources[i].source);
		free(st->sources[i].finished);
		free(st->sources[i].newest);
	}
	free(st->sources);
	free(st->newest);
	memset(st, 0, sizeof(*st));
}

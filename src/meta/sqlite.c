/* The embedded metadata backend: SQLite in WAL mode, one connection per
 * concurrent caller taken from a small pool. */
#include "meta/meta.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/sql.h"

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POOL_MAX 16
#define BUSY_TIMEOUT_MS 10000

struct msql {
	struct meta base;
	char path[PATH_MAX];
	pthread_mutex_t lock;
	sqlite3 *pool[POOL_MAX];
	int npool;
};

static const char schema[] =
	"CREATE TABLE IF NOT EXISTS blobs(digest TEXT PRIMARY KEY,"
	" size INTEGER NOT NULL, touched INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS links(repo TEXT NOT NULL,"
	" digest TEXT NOT NULL, created INTEGER NOT NULL,"
	" PRIMARY KEY(repo, digest)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS links_digest ON links(digest);"
	"CREATE TABLE IF NOT EXISTS manifests(repo TEXT NOT NULL,"
	" digest TEXT NOT NULL, media_type TEXT NOT NULL,"
	" size INTEGER NOT NULL, subject TEXT, artifact_type TEXT,"
	" annotations TEXT, created INTEGER NOT NULL,"
	" PRIMARY KEY(repo, digest));"
	"CREATE INDEX IF NOT EXISTS manifests_subject"
	" ON manifests(repo, subject);"
	"CREATE INDEX IF NOT EXISTS manifests_digest ON manifests(digest);"
	"CREATE TABLE IF NOT EXISTS manifest_refs(repo TEXT NOT NULL,"
	" manifest TEXT NOT NULL, digest TEXT NOT NULL,"
	" PRIMARY KEY(repo, manifest, digest)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS manifest_refs_digest"
	" ON manifest_refs(digest, repo);"
	"CREATE TABLE IF NOT EXISTS tags(repo TEXT NOT NULL,"
	" tag TEXT NOT NULL, digest TEXT NOT NULL,"
	" updated INTEGER NOT NULL, PRIMARY KEY(repo, tag)) WITHOUT ROWID;"
	"CREATE INDEX IF NOT EXISTS tags_digest ON tags(repo, digest);"
	"CREATE TABLE IF NOT EXISTS uploads(id TEXT PRIMARY KEY,"
	" repo TEXT NOT NULL, owner TEXT NOT NULL, size INTEGER NOT NULL,"
	" updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY,"
	" role TEXT NOT NULL, robot INTEGER NOT NULL,"
	" disabled INTEGER NOT NULL, hash TEXT NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS grants(user TEXT NOT NULL,"
	" pattern TEXT NOT NULL, role TEXT NOT NULL,"
	" PRIMARY KEY(user, pattern));";

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static int db_open_conn(const char *path, sqlite3 **out)
{
	sqlite3 *db = NULL;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX;

	if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
		int rc = err_set(ERR_IO, "cannot open '%s': %s", path,
				 db ? sqlite3_errmsg(db) : "no memory");

		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL;"
			 "PRAGMA synchronous=FULL;"
			 "PRAGMA foreign_keys=ON;", NULL, NULL, NULL)) {
		int rc = sql_fail(db, "setup");

		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

static sqlite3 *db_get(struct msql *s)
{
	sqlite3 *db = NULL;

	pthread_mutex_lock(&s->lock);
	if (s->npool > 0)
		db = s->pool[--s->npool];
	pthread_mutex_unlock(&s->lock);
	if (!db && db_open_conn(s->path, &db))
		return NULL;
	return db;
}

static void db_put(struct msql *s, sqlite3 *db)
{
	if (!db)
		return;
	pthread_mutex_lock(&s->lock);
	if (s->npool < POOL_MAX) {
		s->pool[s->npool++] = db;
		db = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	sqlite3_close(db);
}

static int tx_begin(sqlite3 *db)
{
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return sql_fail(db, "begin");
	return 0;
}

static int tx_end(sqlite3 *db, int rc)
{
	if (rc) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL)) {
		rc = sql_fail(db, "commit");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	return rc;
}

static void copy_col(sqlite3_stmt *st, int col, char *dst, size_t n)
{
	const unsigned char *v = sqlite3_column_text(st, col);

	snprintf(dst, n, "%s", v ? (const char *)v : "");
}

/*
 * Run a query on a pooled connection. With one, only its first row is
 * read (fn may be NULL) and ERR_NOTFOUND, with no message, says there is
 * none; otherwise fn sees every row until it returns non-zero, which is
 * returned.
 */
static int pool_vquery(struct meta *m, bool one, const char *what,
		       sql_row_fn fn, void *arg, const char *sql,
		       const char *types, va_list ap)
{
	struct msql *s = (struct msql *)m;
	sqlite3 *db = db_get(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if (!db)
		return ERR_IO;
	rc = sql_vprep(db, &st, sql, types, ap);
	if (!rc && one)
		rc = sql_row(db, st, what);
	if (!rc && one && fn)
		rc = fn(st, arg);
	if (!rc && !one)
		rc = sql_each(db, st, what, fn, arg);
	sqlite3_finalize(st);
	db_put(s, db);
	return rc;
}

static int pool_query(struct meta *m, bool one, const char *what,
		      sql_row_fn fn, void *arg, const char *sql,
		      const char *types, ...)
{
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = pool_vquery(m, one, what, fn, arg, sql, types, ap);
	va_end(ap);
	return rc;
}

/* A row-by-row caller's callback and its argument. */
struct each {
	union {
		meta_name_cb name;
		meta_manifest_cb manifest;
		meta_upload_cb upload;
	} cb;
	void *arg;
};

static int name_row(sqlite3_stmt *st, void *arg)
{
	const struct each *e = arg;
	const char *v = sql_col(st, 0);

	return e->cb.name(e->arg, v ? v : "");
}

/* Run a name listing query with its bindings on a pooled connection. */
static int list_names(struct meta *m, meta_name_cb cb, void *arg,
		      const char *sql, const char *types, ...)
{
	struct each e = { .cb.name = cb, .arg = arg };
	va_list ap;
	int rc;

	va_start(ap, types);
	rc = pool_vquery(m, false, "listing", name_row, &e, sql, types, ap);
	va_end(ap);
	return rc;
}

/*
 * Run one statement that returns no rows on a pooled connection; *changes
 * (when not NULL) receives the number of rows it changed.
 */
static int pool_exec(struct meta *m, int *changes, const char *what,
		     const char *sql, const char *types, ...)
{
	struct msql *s = (struct msql *)m;
	sqlite3 *db = db_get(s);
	va_list ap;
	int rc;

	if (!db)
		return ERR_IO;
	va_start(ap, types);
	rc = sql_vexec(db, what, sql, types, ap);
	va_end(ap);
	if (!rc && changes)
		*changes = sqlite3_changes(db);
	db_put(s, db);
	return rc;
}

static int m_blob_add(struct meta *m, const char *repo, const char *digest,
		      int64_t size)
{
	struct msql *s = (struct msql *)m;
	sqlite3 *db = db_get(s);
	int rc;

	if (!db)
		return ERR_IO;
	rc = tx_begin(db);
	if (!rc)
		rc = sql_exec(db, "blob add", "INSERT INTO blobs VALUES(?,?,?)"
			      " ON CONFLICT(digest) DO UPDATE SET"
			      " touched=excluded.touched", "sii", digest, size,
			      now_s());
	if (!rc && repo)
		rc = sql_exec(db, "blob link", "INSERT OR REPLACE INTO links"
			      " VALUES(?,?,?)", "ssi", repo, digest, now_s());
	rc = tx_end(db, rc);
	db_put(s, db);
	return rc;
}

static int size_row(sqlite3_stmt *st, void *arg)
{
	if (arg)
		*(int64_t *)arg = sqlite3_column_int64(st, 0);
	return 0;
}

static int m_blob_linked(struct meta *m, const char *repo,
			 const char *digest, int64_t *size)
{
	int rc = pool_query(m, true, "blob lookup", size_row, size,
			    "SELECT b.size FROM links l JOIN blobs b ON"
			    " b.digest=l.digest WHERE l.repo=? AND"
			    " l.digest=?", "ss", repo, digest);

	if (rc == ERR_NOTFOUND)
		err_set(rc, "blob '%s' is not in '%s'", digest, repo);
	return rc;
}

static int m_blob_unlink(struct meta *m, const char *repo,
			 const char *digest)
{
	int n = 0;
	int rc = pool_exec(m, &n, "blob unlink", "DELETE FROM links WHERE"
			   " repo=? AND digest=?", "ss", repo, digest);

	if (!rc && n == 0)
		rc = err_set(ERR_NOTFOUND, "blob '%s' is not in '%s'",
			     digest, repo);
	return rc;
}

static int m_blob_repos(struct meta *m, const char *digest, int n,
			meta_name_cb cb, void *arg)
{
	return list_names(m, cb, arg, "SELECT repo FROM links WHERE digest=?"
			  " ORDER BY repo LIMIT ?", "sn", digest, n);
}

/* Point tag at digest, honouring mode when it points elsewhere. */
static int tag_set(sqlite3 *db, const char *repo, const char *tag,
		   const char *digest, enum meta_tag_mode mode)
{
	sqlite3_stmt *st = NULL;
	char cur[META_DIGEST_MAX];
	int rc;

	rc = sql_prep(db, &st, "SELECT digest FROM tags WHERE repo=? AND"
		      " tag=?", "ss", repo, tag);
	if (!rc)
		rc = sql_row(db, st, "tag lookup");
	if (!rc)
		copy_col(st, 0, cur, sizeof(cur));
	sqlite3_finalize(st);
	if (!rc && !strcmp(cur, digest))
		return 0;
	if (!rc && mode == META_TAG_FIXED)
		return err_set(ERR_EXISTS, "tag '%s' already points at '%s'",
			       tag, cur);
	if (rc && rc != ERR_NOTFOUND)
		return rc;
	return sql_exec(db, "tag set", "INSERT OR REPLACE INTO tags"
		        " VALUES(?,?,?,?)", "sssi", repo, tag, digest,
		        now_s());
}

static int manifest_insert(sqlite3 *db, const char *repo,
			   const struct meta_manifest *mf,
			   const struct meta_refs *refs)
{
	int rc;

	rc = sql_exec(db, "blob add", "INSERT INTO blobs VALUES(?,?,?)"
		      " ON CONFLICT(digest) DO UPDATE SET"
		      " touched=excluded.touched", "sii", mf->digest,
		      mf->size, now_s());
	if (!rc)
		rc = sql_exec(db, "manifest put", "INSERT OR IGNORE INTO"
			      " manifests VALUES(?,?,?,?,?,?,?,?)", "sssisssi",
			      repo, mf->digest, mf->media_type, mf->size,
			      *mf->subject ? mf->subject : NULL,
			      *mf->artifact_type ? mf->artifact_type : NULL,
			      mf->annotations, now_s());
	for (int i = 0; !rc && refs && i < refs->n; i++)
		rc = sql_exec(db, "manifest refs", "INSERT OR IGNORE INTO"
			      " manifest_refs VALUES(?,?,?)", "sss", repo,
			      mf->digest, refs->digests[i]);
	return rc;
}

static int m_manifest_put(struct meta *m, const char *repo,
			  const struct meta_manifest *mf,
			  const struct meta_refs *refs,
			  const char *const *tags,
			  const enum meta_tag_mode *modes, int ntags)
{
	struct msql *s = (struct msql *)m;
	sqlite3 *db = db_get(s);
	int rc;

	if (!db)
		return ERR_IO;
	rc = tx_begin(db);
	if (!rc)
		rc = manifest_insert(db, repo, mf, refs);
	for (int i = 0; !rc && i < ntags; i++)
		rc = tag_set(db, repo, tags[i], mf->digest, modes[i]);
	rc = tx_end(db, rc);
	db_put(s, db);
	return rc;
}

static int manifest_row(sqlite3_stmt *st, void *arg)
{
	struct meta_manifest *out = arg;

	copy_col(st, 0, out->digest, sizeof(out->digest));
	copy_col(st, 1, out->media_type, sizeof(out->media_type));
	out->size = sqlite3_column_int64(st, 2);
	copy_col(st, 3, out->subject, sizeof(out->subject));
	copy_col(st, 4, out->artifact_type, sizeof(out->artifact_type));
	out->annotations = (const char *)sqlite3_column_text(st, 5);
	return 0;
}

static int m_manifest_get(struct meta *m, const char *repo,
			  const char *digest, struct meta_manifest *out)
{
	int rc = pool_query(m, true, "manifest lookup", manifest_row, out,
			    "SELECT digest, media_type, size, subject,"
			    " artifact_type, NULL FROM manifests WHERE repo=?"
			    " AND digest=?", "ss", repo, digest);

	if (rc == ERR_NOTFOUND)
		err_set(rc, "manifest '%s' is not in '%s'", digest, repo);
	return rc;
}

static int m_manifest_delete(struct meta *m, const char *repo,
			     const char *digest)
{
	struct msql *s = (struct msql *)m;
	sqlite3 *db = db_get(s);
	int rc, changed = 0;

	if (!db)
		return ERR_IO;
	rc = tx_begin(db);
	if (!rc)
		rc = sql_exec(db, "manifest delete", "DELETE FROM manifests"
			      " WHERE repo=? AND digest=?", "ss", repo, digest);
	if (!rc)
		changed = sqlite3_changes(db);
	if (!rc)
		rc = sql_exec(db, "tag delete", "DELETE FROM tags WHERE repo=?"
			      " AND digest=?", "ss", repo, digest);
	if (!rc)
		rc = sql_exec(db, "refs delete", "DELETE FROM manifest_refs"
			      " WHERE repo=? AND manifest=?", "ss", repo,
			      digest);
	if (!rc && !changed)
		rc = err_set(ERR_NOTFOUND, "manifest '%s' is not in '%s'",
			     digest, repo);
	rc = tx_end(db, rc);
	db_put(s, db);
	return rc;
}

static int m_manifest_tags(struct meta *m, const char *repo,
			   const char *digest, meta_name_cb cb, void *arg)
{
	return list_names(m, cb, arg, "SELECT tag FROM tags WHERE repo=? AND"
			  " digest=? ORDER BY tag", "ss", repo, digest);
}

static int digest_row(sqlite3_stmt *st, void *arg)
{
	copy_col(st, 0, arg, META_DIGEST_MAX);
	return 0;
}

static int m_tag_get(struct meta *m, const char *repo, const char *tag,
		     char digest[META_DIGEST_MAX])
{
	int rc = pool_query(m, true, "tag lookup", digest_row, digest,
			    "SELECT digest FROM tags WHERE repo=? AND tag=?",
			    "ss", repo, tag);

	if (rc == ERR_NOTFOUND)
		err_set(rc, "tag '%s' is not in '%s'", tag, repo);
	return rc;
}

static int m_tag_delete(struct meta *m, const char *repo, const char *tag)
{
	int n = 0;
	int rc = pool_exec(m, &n, "tag delete", "DELETE FROM tags WHERE"
			   " repo=? AND tag=?", "ss", repo, tag);

	if (!rc && n == 0)
		rc = err_set(ERR_NOTFOUND, "tag '%s' is not in '%s'", tag,
			     repo);
	return rc;
}

static int m_tag_list(struct meta *m, const char *repo, const char *last,
		      int n, meta_name_cb cb, void *arg)
{
	return list_names(m, cb, arg, "SELECT tag FROM tags WHERE repo=? AND"
			  " tag>? ORDER BY tag LIMIT ?", "ssn", repo,
			  last ? last : "", n);
}

static int m_repo_list(struct meta *m, const char *last, int n,
		       meta_name_cb cb, void *arg)
{
	return list_names(m, cb, arg, "SELECT repo FROM (SELECT repo FROM"
			  " manifests UNION SELECT repo FROM links) WHERE"
			  " repo>? ORDER BY repo LIMIT ?", "sn",
			  last ? last : "", n);
}

static int referrer_row(sqlite3_stmt *st, void *arg)
{
	const struct each *e = arg;
	struct meta_manifest mf;

	manifest_row(st, &mf);
	return e->cb.manifest(e->arg, &mf);
}

static int m_referrers(struct meta *m, const char *repo, const char *digest,
		       const char *artifact_type, meta_manifest_cb cb,
		       void *arg)
{
	struct each e = { .cb.manifest = cb, .arg = arg };

	return pool_query(m, false, "referrers", referrer_row, &e,
			  "SELECT digest, media_type, size, subject,"
			  " artifact_type, annotations FROM manifests WHERE"
			  " repo=?1 AND subject=?2 AND (?3 IS NULL OR"
			  " artifact_type=?3) ORDER BY digest", "sss", repo,
			  digest, artifact_type);
}

/* A row of "SELECT id, repo, owner, size, updated FROM uploads". */
static int upload_row(sqlite3_stmt *st, void *arg)
{
	struct meta_upload *out = arg;

	copy_col(st, 0, out->id, sizeof(out->id));
	copy_col(st, 1, out->repo, sizeof(out->repo));
	copy_col(st, 2, out->owner, sizeof(out->owner));
	out->size = sqlite3_column_int64(st, 3);
	out->updated = sqlite3_column_int64(st, 4);
	return 0;
}

static int m_upload_new(struct meta *m, const struct meta_upload *u)
{
	return pool_exec(m, NULL, "upload create", "INSERT INTO uploads"
			 " VALUES(?,?,?,?,?)", "sssii", u->id, u->repo,
			 u->owner, u->size, now_s());
}

static int m_upload_get(struct meta *m, const char *id,
			struct meta_upload *out)
{
	int rc = pool_query(m, true, "upload lookup", upload_row, out,
			    "SELECT id, repo, owner, size, updated FROM uploads"
			    " WHERE id=?", "s", id);

	if (rc == ERR_NOTFOUND)
		err_set(rc, "upload '%s' is unknown", id);
	return rc;
}

static int m_upload_set_size(struct meta *m, const char *id, int64_t size)
{
	return pool_exec(m, NULL, "upload update", "UPDATE uploads SET"
			 " size=?, updated=? WHERE id=?", "iis", size,
			 now_s(), id);
}

static int m_upload_delete(struct meta *m, const char *id)
{
	return pool_exec(m, NULL, "upload delete", "DELETE FROM uploads"
			 " WHERE id=?", "s", id);
}

static int stale_row(sqlite3_stmt *st, void *arg)
{
	const struct each *e = arg;
	struct meta_upload u;

	upload_row(st, &u);
	return e->cb.upload(e->arg, &u);
}

static int m_upload_stale(struct meta *m, int64_t before, meta_upload_cb cb,
			  void *arg)
{
	struct each e = { .cb.upload = cb, .arg = arg };

	return pool_query(m, false, "upload listing", stale_row, &e,
			  "SELECT id, repo, owner, size, updated FROM uploads"
			  " WHERE updated<?", "i", before);
}

static int m_gc_unlink_stale(struct meta *m, int64_t before)
{
	return pool_exec(m, NULL, "gc links", "DELETE FROM links WHERE"
			 " created<? AND NOT EXISTS (SELECT 1 FROM"
			 " manifest_refs r WHERE r.repo=links.repo AND"
			 " r.digest=links.digest)", "i", before);
}

static int m_gc_orphans(struct meta *m, int64_t before, meta_name_cb cb,
			void *arg)
{
	return list_names(m, cb, arg, "SELECT digest FROM blobs b WHERE"
			  " touched<? AND NOT EXISTS (SELECT 1 FROM links l"
			  " WHERE l.digest=b.digest) AND NOT EXISTS (SELECT 1"
			  " FROM manifests x WHERE x.digest=b.digest) AND NOT"
			  " EXISTS (SELECT 1 FROM manifest_refs r WHERE"
			  " r.digest=b.digest)", "i", before);
}

/* Forget a blob only if it is still an orphan: an upload or a manifest
 * may have claimed it since the orphan listing. */
static int m_blob_forget(struct meta *m, const char *digest)
{
	int n = 0;
	int rc = pool_exec(m, &n, "blob forget", "DELETE FROM blobs WHERE"
			   " digest=?1 AND NOT EXISTS (SELECT 1 FROM links"
			   " WHERE digest=?1) AND NOT EXISTS (SELECT 1 FROM"
			   " manifests WHERE digest=?1) AND NOT EXISTS (SELECT"
			   " 1 FROM manifest_refs WHERE digest=?1)", "s",
			   digest);

	if (!rc && n == 0)
		rc = err_set(ERR_CONFLICT, "blob '%s' is in use again",
			     digest);
	return rc;
}

static int m_blob_known(struct meta *m, const char *digest)
{
	return pool_query(m, true, "blob lookup", NULL, NULL, "SELECT 1 FROM"
			  " blobs WHERE digest=?", "s", digest);
}

static int m_user_put(struct meta *m, const struct meta_user *u)
{
	return pool_exec(m, NULL, "user put", "INSERT INTO users"
			 " VALUES(?,?,?,?,?,?) ON CONFLICT(name) DO UPDATE SET"
			 " role=excluded.role, robot=excluded.robot,"
			 " disabled=excluded.disabled, hash=excluded.hash",
			 "ssnnsi", u->name, meta_role_name(u->role),
			 (int)u->robot, (int)u->disabled, u->hash, now_s());
}

static int user_row(sqlite3_stmt *st, void *arg)
{
	struct meta_user *out = arg;
	char role[32];

	copy_col(st, 0, out->name, sizeof(out->name));
	copy_col(st, 1, role, sizeof(role));
	out->robot = sqlite3_column_int(st, 2) != 0;
	out->disabled = sqlite3_column_int(st, 3) != 0;
	copy_col(st, 4, out->hash, sizeof(out->hash));
	if (meta_role_parse(role, &out->role))
		out->role = META_ROLE_NONE;
	return 0;
}

static int m_user_get(struct meta *m, const char *name,
		      struct meta_user *out)
{
	int rc = pool_query(m, true, "user lookup", user_row, out,
			    "SELECT name, role, robot, disabled, hash FROM"
			    " users WHERE name=?", "s", name);

	if (rc == ERR_NOTFOUND)
		err_set(rc, "user '%s' does not exist", name);
	return rc;
}

static int m_user_delete(struct meta *m, const char *name)
{
	struct msql *s = (struct msql *)m;
	sqlite3 *db = db_get(s);
	int rc;

	if (!db)
		return ERR_IO;
	rc = tx_begin(db);
	if (!rc)
		rc = sql_exec(db, "user delete", "DELETE FROM users WHERE"
			      " name=?", "s", name);
	if (!rc && sqlite3_changes(db) == 0)
		rc = err_set(ERR_NOTFOUND, "user '%s' does not exist", name);
	if (!rc)
		rc = sql_exec(db, "grant delete", "DELETE FROM grants WHERE"
			      " user=?", "s", name);
	rc = tx_end(db, rc);
	db_put(s, db);
	return rc;
}

static int m_user_list(struct meta *m, meta_name_cb cb, void *arg)
{
	return list_names(m, cb, arg, "SELECT name FROM users ORDER BY name",
			  "");
}

static int m_grant_put(struct meta *m, const char *user,
		       const char *pattern, enum meta_role role)
{
	if (role == META_ROLE_NONE)
		return pool_exec(m, NULL, "grant delete", "DELETE FROM grants"
				 " WHERE user=? AND pattern=?", "ss", user,
				 pattern);
	return pool_exec(m, NULL, "grant put", "INSERT OR REPLACE INTO"
			 " grants VALUES(?,?,?)", "sss", user, pattern,
			 meta_role_name(role));
}

struct grant_ask {
	const char *repo;
	enum meta_role *out;
};

/* The highest role among the grants whose pattern matches the repo. */
static int grant_row(sqlite3_stmt *st, void *arg)
{
	const struct grant_ask *a = arg;
	const char *pat = sql_col(st, 0);
	enum meta_role r;

	if (pat && meta_pattern_match(pat, a->repo) &&
	    !meta_role_parse(sql_col(st, 1), &r) && r > *a->out)
		*a->out = r;
	return 0;
}

static int m_grant_role(struct meta *m, const char *user, const char *repo,
			enum meta_role *out)
{
	struct grant_ask a = { repo, out };
	int rc;

	*out = META_ROLE_NONE;
	rc = pool_query(m, false, "grant lookup", grant_row, &a, "SELECT"
			" pattern, role FROM grants WHERE user=?", "s", user);
	err_clear();
	return rc;
}

static void m_close(struct meta *m)
{
	struct msql *s = (struct msql *)m;

	for (int i = 0; i < s->npool; i++)
		sqlite3_close(s->pool[i]);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct meta_ops sqlite_ops;

int meta_sqlite_tx(struct meta *m, meta_tx_fn fn, void *arg)
{
	struct msql *s = (struct msql *)m;
	sqlite3 *db;
	int rc;

	if (!m || m->ops != &sqlite_ops)
		return err_set(ERR_UNSUPPORTED, "governance needs the SQLite "
			       "metadata backend");
	db = db_get(s);
	if (!db)
		return ERR_IO;
	rc = tx_begin(db);
	if (!rc)
		rc = tx_end(db, fn(db, arg));
	db_put(s, db);
	return rc;
}

int meta_sqlite_tag_move(struct sqlite3 *db, const char *repo,
			 const char *tag, const char *digest)
{
	return tag_set(db, repo, tag, digest, META_TAG_MOVE);
}

static const struct meta_ops sqlite_ops = {
	.close = m_close,
	.blob_add = m_blob_add,
	.blob_linked = m_blob_linked,
	.blob_unlink = m_blob_unlink,
	.blob_repos = m_blob_repos,
	.manifest_put = m_manifest_put,
	.manifest_get = m_manifest_get,
	.manifest_delete = m_manifest_delete,
	.manifest_tags = m_manifest_tags,
	.tag_get = m_tag_get,
	.tag_delete = m_tag_delete,
	.tag_list = m_tag_list,
	.repo_list = m_repo_list,
	.referrers = m_referrers,
	.upload_new = m_upload_new,
	.upload_get = m_upload_get,
	.upload_set_size = m_upload_set_size,
	.upload_delete = m_upload_delete,
	.upload_stale = m_upload_stale,
	.gc_unlink_stale = m_gc_unlink_stale,
	.gc_orphans = m_gc_orphans,
	.blob_forget = m_blob_forget,
	.blob_known = m_blob_known,
	.user_put = m_user_put,
	.user_get = m_user_get,
	.user_delete = m_user_delete,
	.user_list = m_user_list,
	.grant_put = m_grant_put,
	.grant_role = m_grant_role,
};

int meta_sqlite_open(const char *dir, struct meta **out)
{
	struct msql *s;
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	rc = fs_mkdirs(dir, 0700);
	if (rc)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s)
		return err_set(ERR_NOMEM, "out of memory for metadata");
	s->base.ops = &sqlite_ops;
	pthread_mutex_init(&s->lock, NULL);
	if (snprintf(s->path, sizeof(s->path), "%s/meta.db", dir) >=
	    (int)sizeof(s->path)) {
		free(s);
		return err_set(ERR_LIMIT, "data path too long '%s'", dir);
	}
	rc = db_open_conn(s->path, &db);
	if (!rc && sqlite3_exec(db, schema, NULL, NULL, NULL))
		rc = sql_fail(db, "schema setup");
	if (rc) {
		sqlite3_close(db);
		m_close(&s->base);
		return rc;
	}
	s->pool[s->npool++] = db;
	*out = &s->base;
	return 0;
}

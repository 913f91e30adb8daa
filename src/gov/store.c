/* Governance tables and their queries; see store.h for the rules. */
#include "gov/store.h"
#include "util/err.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char gov_schema[] =
	"CREATE TABLE IF NOT EXISTS gov_approvals ("
	" id INTEGER PRIMARY KEY, repo TEXT NOT NULL, digest TEXT NOT NULL,"
	" env TEXT NOT NULL, approver TEXT NOT NULL, role TEXT NOT NULL,"
	" comment TEXT, time TEXT NOT NULL, revoked_at TEXT,"
	" revoked_by TEXT);"
	"CREATE INDEX IF NOT EXISTS gov_approvals_digest"
	" ON gov_approvals (repo, digest);"
	"CREATE TABLE IF NOT EXISTS gov_waivers ("
	" id INTEGER PRIMARY KEY, repo TEXT NOT NULL, digest TEXT,"
	" rule TEXT NOT NULL, until INTEGER NOT NULL, reason TEXT NOT NULL,"
	" actor TEXT NOT NULL, time TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS gov_env ("
	" repo TEXT NOT NULL, env TEXT NOT NULL, digest TEXT NOT NULL,"
	" since TEXT NOT NULL, PRIMARY KEY (repo, env));"
	"CREATE TABLE IF NOT EXISTS gov_history ("
	" id INTEGER PRIMARY KEY, repo TEXT NOT NULL, env TEXT NOT NULL,"
	" digest TEXT NOT NULL, version TEXT, action TEXT NOT NULL,"
	" actor TEXT NOT NULL, reason TEXT NOT NULL, time TEXT NOT NULL,"
	" previous TEXT, break_glass INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS gov_history_env"
	" ON gov_history (repo, env, id);";

static int gov_sqlerr(sqlite3 *db, const char *what)
{
	return err_set(ERR_IO, "governance store: %s: %s", what,
		       sqlite3_errmsg(db));
}

int gov_db_init(sqlite3 *db)
{
	if (sqlite3_exec(db, gov_schema, NULL, NULL, NULL))
		return gov_sqlerr(db, "cannot create schema");
	return 0;
}

static void gov_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int gov_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(db, sql, -1, st, NULL))
		return gov_sqlerr(db, "cannot prepare query");
	return 0;
}

/* Step a statement that returns no rows, then finalise it. */
static int gov_exec(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : gov_sqlerr(db, what);
}

static const char *gov_col(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int gov_approval_add(sqlite3 *db, const struct gov_approval *a,
		     int64_t *id)
{
	sqlite3_stmt *st;
	char now[32];
	int rc;

	rc = gov_prepare(db, "SELECT 1 FROM gov_approvals WHERE repo=? AND "
			 "digest=? AND env=? AND approver=? AND "
			 "revoked_at IS NULL", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, a->repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->env, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->approver, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return err_set(ERR_EXISTS, "'%s' already approved %.19s... "
			       "for '%s'", a->approver, a->digest, a->env);

	gov_now(now);
	rc = gov_prepare(db, "INSERT INTO gov_approvals (repo, digest, env,"
			 " approver, role, comment, time) VALUES "
			 "(?,?,?,?,?,?,?)", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, a->repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, a->env, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->approver, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, a->role, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, a->comment, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, a->time ? a->time : now, -1,
			  SQLITE_TRANSIENT);
	rc = gov_exec(db, st, "cannot record approval");
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(db);
	return rc;
}

int gov_approval_revoke(sqlite3 *db, const char *repo, int64_t id,
			const char *by)
{
	sqlite3_stmt *st;
	char now[32];
	int rc;

	gov_now(now);
	rc = gov_prepare(db, "UPDATE gov_approvals SET revoked_at=?, "
			 "revoked_by=? WHERE id=? AND repo=? AND "
			 "revoked_at IS NULL", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, by, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, id);
	sqlite3_bind_text(st, 4, repo, -1, SQLITE_STATIC);
	rc = gov_exec(db, st, "cannot revoke approval");
	if (!rc && sqlite3_changes(db) == 0)
		return err_set(ERR_NOTFOUND, "no active approval %lld in "
			       "'%s'", (long long)id, repo);
	return rc;
}

int gov_approvals_each(sqlite3 *db, const char *repo, const char *digest,
		       int (*fn)(const struct gov_approval *a, void *arg),
		       void *arg)
{
	sqlite3_stmt *st;
	int rc, step;

	rc = gov_prepare(db, "SELECT id, repo, digest, env, approver, role,"
			 " comment, time, revoked_at IS NOT NULL FROM "
			 "gov_approvals WHERE repo=? AND digest=? ORDER BY id",
			 &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct gov_approval a = {
			sqlite3_column_int64(st, 0), gov_col(st, 1),
			gov_col(st, 2), gov_col(st, 3), gov_col(st, 4),
			gov_col(st, 5), gov_col(st, 6), gov_col(st, 7),
			sqlite3_column_int(st, 8) != 0,
		};

		rc = fn(&a, arg);
		if (rc)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = gov_sqlerr(db, "cannot read approvals");
	sqlite3_finalize(st);
	return rc;
}

int gov_waiver_add(sqlite3 *db, const struct gov_waiver *w, int64_t *id)
{
	sqlite3_stmt *st;
	char now[32];
	int rc;

	if (!w->reason || !*w->reason)
		return err_set(ERR_INVALID, "a waiver needs a reason");
	if (w->until <= time(NULL))
		return err_set(ERR_INVALID, "a waiver must end in the future");
	gov_now(now);
	rc = gov_prepare(db, "INSERT INTO gov_waivers (repo, digest, rule, "
			 "until, reason, actor, time) VALUES (?,?,?,?,?,?,?)",
			 &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, w->repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, w->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, w->rule, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 4, (sqlite3_int64)w->until);
	sqlite3_bind_text(st, 5, w->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, w->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, now, -1, SQLITE_TRANSIENT);
	rc = gov_exec(db, st, "cannot record waiver");
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(db);
	return rc;
}

int gov_waivers_each(sqlite3 *db, const char *repo, const char *digest,
		     time_t now,
		     int (*fn)(const struct gov_waiver *w, void *arg),
		     void *arg)
{
	sqlite3_stmt *st;
	int rc, step;

	rc = gov_prepare(db, "SELECT id, repo, digest, rule, until, reason, "
			 "actor FROM gov_waivers WHERE repo=? AND (digest IS "
			 "NULL OR digest=?) AND until > ? ORDER BY id", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)now);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct gov_waiver w = {
			sqlite3_column_int64(st, 0), gov_col(st, 1),
			gov_col(st, 2), gov_col(st, 3),
			(time_t)sqlite3_column_int64(st, 4), gov_col(st, 5),
			gov_col(st, 6),
		};

		rc = fn(&w, arg);
		if (rc)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = gov_sqlerr(db, "cannot read waivers");
	sqlite3_finalize(st);
	return rc;
}

int gov_env_current(sqlite3 *db, const char *repo, const char *env,
		    char digest[DIGEST_STR_LEN])
{
	sqlite3_stmt *st;
	int rc;

	rc = gov_prepare(db, "SELECT digest FROM gov_env WHERE repo=? AND "
			 "env=?", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, env, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		snprintf(digest, DIGEST_STR_LEN, "%s", gov_col(st, 0));
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = err_set(ERR_NOTFOUND, "'%s' has nothing in '%s'", repo,
			     env);
	} else {
		rc = gov_sqlerr(db, "cannot read environment");
	}
	sqlite3_finalize(st);
	return rc;
}

int gov_env_was(sqlite3 *db, const char *repo, const char *env,
		const char *digest, bool *was)
{
	sqlite3_stmt *st;
	int rc;

	rc = gov_prepare(db, "SELECT 1 FROM gov_history WHERE repo=? AND "
			 "env=? AND digest=? LIMIT 1", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, env, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, digest, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*was = rc == SQLITE_ROW;
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
		gov_sqlerr(db, "cannot read history");
}

int gov_env_move(sqlite3 *db, struct gov_event *ev,
		 char previous[DIGEST_STR_LEN])
{
	sqlite3_stmt *st;
	char now[32];
	int rc;

	rc = gov_env_current(db, ev->repo, ev->env, previous);
	if (rc == ERR_NOTFOUND)
		previous[0] = '\0';
	else if (rc)
		return rc;
	ev->previous = previous[0] ? previous : NULL;
	gov_now(now);

	rc = gov_prepare(db, "INSERT INTO gov_env (repo, env, digest, since)"
			 " VALUES (?1,?2,?3,?4) ON CONFLICT (repo, env) DO "
			 "UPDATE SET digest=?3, since=?4", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ev->env, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ev->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, now, -1, SQLITE_TRANSIENT);
	rc = gov_exec(db, st, "cannot move environment");
	if (rc)
		return rc;

	rc = gov_prepare(db, "INSERT INTO gov_history (repo, env, digest, "
			 "version, action, actor, reason, time, previous, "
			 "break_glass) VALUES (?,?,?,?,?,?,?,?,?,?)", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, ev->repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ev->env, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, ev->digest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ev->version, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ev->action, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ev->actor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, ev->reason, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 9, ev->previous, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 10, ev->break_glass);
	rc = gov_exec(db, st, "cannot record history");
	if (!rc)
		ev->id = sqlite3_last_insert_rowid(db);
	return rc;
}

int gov_env_previous(sqlite3 *db, const char *repo, const char *env,
		     char digest[DIGEST_STR_LEN])
{
	char current[DIGEST_STR_LEN];
	sqlite3_stmt *st;
	int rc, step;

	rc = gov_env_current(db, repo, env, current);
	if (rc)
		return rc;
	/* A digest the environment was rolled back away from is skipped,
	 * so repeated rollbacks walk further back instead of bouncing. */
	rc = gov_prepare(db, "SELECT digest FROM gov_history h WHERE repo=?1"
			 " AND env=?2 AND digest<>?3 AND NOT EXISTS (SELECT 1"
			 " FROM gov_history r WHERE r.repo=?1 AND r.env=?2 AND"
			 " r.action='rollback' AND r.previous=h.digest) "
			 "ORDER BY id DESC LIMIT 1", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, env, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, current, -1, SQLITE_STATIC);
	step = sqlite3_step(st);
	if (step == SQLITE_ROW)
		snprintf(digest, DIGEST_STR_LEN, "%s", gov_col(st, 0));
	else if (step == SQLITE_DONE)
		rc = err_set(ERR_NOTFOUND, "'%s' has no earlier version in "
			     "'%s' to roll back to", repo, env);
	else
		rc = gov_sqlerr(db, "cannot read history");
	sqlite3_finalize(st);
	return rc;
}

int gov_history_each(sqlite3 *db, const char *repo, const char *env,
		     int (*fn)(const struct gov_event *ev, void *arg),
		     void *arg)
{
	sqlite3_stmt *st;
	int rc, step;

	rc = gov_prepare(db, "SELECT id, repo, env, digest, version, action,"
			 " actor, reason, time, previous, break_glass FROM "
			 "gov_history WHERE repo=?1 AND (?2 IS NULL OR env=?2)"
			 " ORDER BY id DESC", &st);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, env, -1, SQLITE_STATIC);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct gov_event ev = {
			sqlite3_column_int64(st, 0), gov_col(st, 1),
			gov_col(st, 2), gov_col(st, 3), gov_col(st, 4),
			gov_col(st, 5), gov_col(st, 6), gov_col(st, 7),
			gov_col(st, 8), gov_col(st, 9),
			sqlite3_column_int(st, 10) != 0,
		};

		rc = fn(&ev, arg);
		if (rc)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = gov_sqlerr(db, "cannot read history");
	sqlite3_finalize(st);
	return rc;
}

/* Governance tables and their queries; see store.h for the rules. */
#include "gov/store.h"
#include "util/err.h"
#include "util/sql.h"

#include <sqlite3.h>
#include <stdio.h>
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

int gov_db_init(sqlite3 *db)
{
	if (sqlite3_exec(db, gov_schema, NULL, NULL, NULL))
		return sql_fail(db, "governance schema setup");
	return 0;
}

static void gov_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int gov_approval_add(sqlite3 *db, const struct gov_approval *a,
		     int64_t *id)
{
	sqlite3_stmt *st;
	char now[32];
	int rc;

	rc = sql_prep(db, &st, "SELECT 1 FROM gov_approvals WHERE repo=? AND"
		      " digest=? AND env=? AND approver=? AND revoked_at IS"
		      " NULL", "ssss", a->repo, a->digest, a->env,
		      a->approver);
	if (rc)
		return rc;
	rc = sql_row(db, st, "approval lookup");
	sqlite3_finalize(st);
	if (!rc)
		return err_set(ERR_EXISTS, "'%s' already approved %.19s... "
			       "for '%s'", a->approver, a->digest, a->env);
	if (rc != ERR_NOTFOUND)
		return rc;

	gov_now(now);
	rc = sql_exec(db, "recording approval", "INSERT INTO gov_approvals"
		      " (repo, digest, env, approver, role, comment, time)"
		      " VALUES (?,?,?,?,?,?,?)", "sssssss", a->repo,
		      a->digest, a->env, a->approver, a->role, a->comment,
		      a->time ? a->time : now);
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(db);
	return rc;
}

int gov_approval_revoke(sqlite3 *db, const char *repo, int64_t id,
			const char *by)
{
	char now[32];
	int rc;

	gov_now(now);
	rc = sql_exec(db, "revoking approval", "UPDATE gov_approvals SET"
		      " revoked_at=?, revoked_by=? WHERE id=? AND repo=? AND"
		      " revoked_at IS NULL", "ssis", now, by, id, repo);
	if (!rc && sqlite3_changes(db) == 0)
		return err_set(ERR_NOTFOUND, "no active approval %lld in "
			       "'%s'", (long long)id, repo);
	return rc;
}

struct approval_each {
	int (*fn)(const struct gov_approval *a, void *arg);
	void *arg;
};

static int approval_row(sqlite3_stmt *st, void *arg)
{
	const struct approval_each *e = arg;
	struct gov_approval a = {
		sqlite3_column_int64(st, 0), sql_col(st, 1),
		sql_col(st, 2), sql_col(st, 3), sql_col(st, 4),
		sql_col(st, 5), sql_col(st, 6), sql_col(st, 7),
		sqlite3_column_int(st, 8) != 0,
	};

	return e->fn(&a, e->arg);
}

int gov_approvals_each(sqlite3 *db, const char *repo, const char *digest,
		       int (*fn)(const struct gov_approval *a, void *arg),
		       void *arg)
{
	struct approval_each e = { fn, arg };
	sqlite3_stmt *st;
	int rc;

	rc = sql_prep(db, &st, "SELECT id, repo, digest, env, approver, role,"
		      " comment, time, revoked_at IS NOT NULL FROM"
		      " gov_approvals WHERE repo=? AND digest=? ORDER BY id",
		      "ss", repo, digest);
	if (!rc)
		rc = sql_each(db, st, "reading approvals", approval_row, &e);
	sqlite3_finalize(st);
	return rc;
}

int gov_waiver_add(sqlite3 *db, const struct gov_waiver *w, int64_t *id)
{
	char now[32];
	int rc;

	if (!w->reason || !*w->reason)
		return err_set(ERR_INVALID, "a waiver needs a reason");
	if (w->until <= time(NULL))
		return err_set(ERR_INVALID, "a waiver must end in the future");
	gov_now(now);
	rc = sql_exec(db, "recording waiver", "INSERT INTO gov_waivers (repo,"
		      " digest, rule, until, reason, actor, time) VALUES"
		      " (?,?,?,?,?,?,?)", "sssisss", w->repo, w->digest,
		      w->rule, (int64_t)w->until, w->reason, w->actor, now);
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(db);
	return rc;
}

struct waiver_each {
	int (*fn)(const struct gov_waiver *w, void *arg);
	void *arg;
};

static int waiver_row(sqlite3_stmt *st, void *arg)
{
	const struct waiver_each *e = arg;
	struct gov_waiver w = {
		sqlite3_column_int64(st, 0), sql_col(st, 1),
		sql_col(st, 2), sql_col(st, 3),
		(time_t)sqlite3_column_int64(st, 4), sql_col(st, 5),
		sql_col(st, 6),
	};

	return e->fn(&w, e->arg);
}

int gov_waivers_each(sqlite3 *db, const char *repo, const char *digest,
		     time_t now,
		     int (*fn)(const struct gov_waiver *w, void *arg),
		     void *arg)
{
	struct waiver_each e = { fn, arg };
	sqlite3_stmt *st;
	int rc;

	rc = sql_prep(db, &st, "SELECT id, repo, digest, rule, until, reason,"
		      " actor FROM gov_waivers WHERE repo=? AND (digest IS"
		      " NULL OR digest=?) AND until > ? ORDER BY id", "ssi",
		      repo, digest, (int64_t)now);
	if (!rc)
		rc = sql_each(db, st, "reading waivers", waiver_row, &e);
	sqlite3_finalize(st);
	return rc;
}

int gov_env_current(sqlite3 *db, const char *repo, const char *env,
		    char digest[DIGEST_STR_LEN])
{
	sqlite3_stmt *st;
	int rc;

	rc = sql_prep(db, &st, "SELECT digest FROM gov_env WHERE repo=? AND"
		      " env=?", "ss", repo, env);
	if (!rc)
		rc = sql_row(db, st, "reading environment");
	if (!rc)
		snprintf(digest, DIGEST_STR_LEN, "%s", sql_col(st, 0));
	else if (rc == ERR_NOTFOUND)
		err_set(rc, "'%s' has nothing in '%s'", repo, env);
	sqlite3_finalize(st);
	return rc;
}

int gov_env_was(sqlite3 *db, const char *repo, const char *env,
		const char *digest, bool *was)
{
	sqlite3_stmt *st;
	int rc;

	*was = false;
	rc = sql_prep(db, &st, "SELECT 1 FROM gov_history WHERE repo=? AND"
		      " env=? AND digest=? LIMIT 1", "sss", repo, env, digest);
	if (!rc)
		rc = sql_row(db, st, "reading history");
	*was = rc == 0;
	sqlite3_finalize(st);
	return rc == ERR_NOTFOUND ? 0 : rc;
}

int gov_env_move(sqlite3 *db, struct gov_event *ev,
		 char previous[DIGEST_STR_LEN])
{
	char now[32];
	int rc;

	rc = gov_env_current(db, ev->repo, ev->env, previous);
	if (rc == ERR_NOTFOUND)
		previous[0] = '\0';
	else if (rc)
		return rc;
	ev->previous = previous[0] ? previous : NULL;
	gov_now(now);

	rc = sql_exec(db, "moving environment", "INSERT INTO gov_env (repo,"
		      " env, digest, since) VALUES (?1,?2,?3,?4) ON CONFLICT"
		      " (repo, env) DO UPDATE SET digest=?3, since=?4",
		      "ssss", ev->repo, ev->env, ev->digest, now);
	if (rc)
		return rc;

	rc = sql_exec(db, "recording history", "INSERT INTO gov_history"
		      " (repo, env, digest, version, action, actor, reason,"
		      " time, previous, break_glass) VALUES"
		      " (?,?,?,?,?,?,?,?,?,?)", "sssssssssn", ev->repo,
		      ev->env, ev->digest, ev->version, ev->action, ev->actor,
		      ev->reason, now, ev->previous, (int)ev->break_glass);
	if (!rc)
		ev->id = sqlite3_last_insert_rowid(db);
	return rc;
}

int gov_env_previous(sqlite3 *db, const char *repo, const char *env,
		     char digest[DIGEST_STR_LEN])
{
	char current[DIGEST_STR_LEN];
	sqlite3_stmt *st;
	int rc;

	rc = gov_env_current(db, repo, env, current);
	if (rc)
		return rc;
	/* A digest the environment was rolled back away from is skipped,
	 * so repeated rollbacks walk further back instead of bouncing. */
	rc = sql_prep(db, &st, "SELECT digest FROM gov_history h WHERE"
		      " repo=?1 AND env=?2 AND digest<>?3 AND NOT EXISTS"
		      " (SELECT 1 FROM gov_history r WHERE r.repo=?1 AND"
		      " r.env=?2 AND r.action='rollback' AND"
		      " r.previous=h.digest) ORDER BY id DESC LIMIT 1", "sss",
		      repo, env, current);
	if (!rc)
		rc = sql_row(db, st, "reading history");
	if (!rc)
		snprintf(digest, DIGEST_STR_LEN, "%s", sql_col(st, 0));
	else if (rc == ERR_NOTFOUND)
		err_set(rc, "'%s' has no earlier version in '%s' to roll "
			"back to", repo, env);
	sqlite3_finalize(st);
	return rc;
}

struct event_each {
	int (*fn)(const struct gov_event *ev, void *arg);
	void *arg;
};

static int event_row(sqlite3_stmt *st, void *arg)
{
	const struct event_each *e = arg;
	struct gov_event ev = {
		sqlite3_column_int64(st, 0), sql_col(st, 1),
		sql_col(st, 2), sql_col(st, 3), sql_col(st, 4),
		sql_col(st, 5), sql_col(st, 6), sql_col(st, 7),
		sql_col(st, 8), sql_col(st, 9),
		sqlite3_column_int(st, 10) != 0,
	};

	return e->fn(&ev, e->arg);
}

int gov_history_each(sqlite3 *db, const char *repo, const char *env,
		     int (*fn)(const struct gov_event *ev, void *arg),
		     void *arg)
{
	struct event_each e = { fn, arg };
	sqlite3_stmt *st;
	int rc;

	rc = sql_prep(db, &st, "SELECT id, repo, env, digest, version, action,"
		      " actor, reason, time, previous, break_glass FROM"
		      " gov_history WHERE repo=?1 AND (?2 IS NULL OR env=?2)"
		      " ORDER BY id DESC", "ss", repo, env);
	if (!rc)
		rc = sql_each(db, st, "reading history", event_row, &e);
	sqlite3_finalize(st);
	return rc;
}

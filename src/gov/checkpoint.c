/* Signed checkpoints of the audit log's head. */
#include "gov/checkpoint.h"
#include "sign/sign.h"
#include "util/err.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char checkpoint_schema[] =
	"CREATE TABLE IF NOT EXISTS audit_checkpoints ("
	" seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, time TEXT NOT NULL,"
	" bundle TEXT NOT NULL)";

static int cp_sqlerr(sqlite3 *db, const char *what)
{
	return err_set(ERR_IO, "audit checkpoint: %s: %s", what,
		       sqlite3_errmsg(db));
}

int audit_checkpoint_db_init(sqlite3 *db)
{
	if (sqlite3_exec(db, checkpoint_schema, NULL, NULL, NULL))
		return cp_sqlerr(db, "cannot create table");
	return 0;
}

/* One row of sql with an int64 and a text column; ERR_NOTFOUND when none. */
static int cp_row(sqlite3 *db, const char *sql, int64_t bind, int64_t *num,
		  char *text, size_t n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL))
		return cp_sqlerr(db, "cannot prepare");
	if (bind >= 0)
		sqlite3_bind_int64(st, 1, bind);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 1);

		*num = sqlite3_column_int64(st, 0);
		snprintf(text, n, "%s", t ? (const char *)t : "");
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? ERR_NOTFOUND :
		     cp_sqlerr(db, "cannot read");
	}
	sqlite3_finalize(st);
	return rc;
}

static void cp_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cp_store(sqlite3 *db, int64_t seq, const char *hash,
		    const char *when, const struct buf *bundle)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO audit_checkpoints"
			       " VALUES (?,?,?,?)", -1, &st, NULL))
		return cp_sqlerr(db, "cannot prepare insert");
	sqlite3_bind_int64(st, 1, seq);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 3, when, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 4, bundle->data, (int)bundle->len,
			  SQLITE_TRANSIENT);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 :
	     cp_sqlerr(db, "cannot store");
	sqlite3_finalize(st);
	return rc;
}

int audit_checkpoint_sign(sqlite3 *db, const struct sign_key *key)
{
	struct buf bundle = BUF_INIT(AUDIT_CHECKPOINT_MAX);
	char hash[SHA256_HEX_LEN + 1], digest[DIGEST_STR_LEN], when[32];
	char pred[256], done[8];
	int64_t seq, have;
	int rc;

	rc = cp_row(db, "SELECT seq, hash FROM audit ORDER BY seq DESC"
		    " LIMIT 1", -1, &seq, hash, sizeof(hash));
	if (rc == ERR_NOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (!cp_row(db, "SELECT seq, 'x' FROM audit_checkpoints WHERE"
		    " seq=?", seq, &have, done, sizeof(done)))
		return 0;
	cp_now(when);
	snprintf(digest, sizeof(digest), "sha256:%s", hash);
	snprintf(pred, sizeof(pred), "{\"seq\":%lld,\"hash\":\"%s\","
		 "\"time\":\"%s\"}", (long long)seq, hash, when);
	rc = sign_attest_digest(key, "stele-audit-log", digest,
				AUDIT_CHECKPOINT_TYPE, pred, strlen(pred),
				&bundle);
	if (!rc)
		rc = cp_store(db, seq, hash, when, &bundle);
	buf_release(&bundle);
	return rc;
}

/* The checkpoint's own claim, from the verified predicate. */
static int cp_claim(const struct sign_statement *st, int64_t seq,
		    const char *hash)
{
	json_t *p = json_loadb(st->predicate.data ? st->predicate.data : "",
			       st->predicate.len, JSON_REJECT_DUPLICATES,
			       NULL);
	json_t *s = json_object_get(p, "seq");
	const char *h = json_string_value(json_object_get(p, "hash"));
	int rc = 0;

	if (!json_is_integer(s) || json_integer_value(s) != seq || !h ||
	    strcmp(h, hash))
		rc = err_set(ERR_INVALID, "audit checkpoint %lld: the signed "
			     "statement does not match its row",
			     (long long)seq);
	json_decref(p);
	return rc;
}

static int cp_check(sqlite3 *db, const struct sign_key *key, int64_t seq,
		    const char *hash, const char *bundle)
{
	struct sign_statement st;
	char digest[DIGEST_STR_LEN], have[SHA256_HEX_LEN + 1];
	int64_t head, at;
	int rc;

	sign_statement_init(&st);
	snprintf(digest, sizeof(digest), "sha256:%s", hash);
	rc = sign_verify_attestation(key, bundle, strlen(bundle), digest,
				     AUDIT_CHECKPOINT_TYPE, &st);
	if (rc)
		rc = err_set(rc, "audit checkpoint %lld: %s", (long long)seq,
			     err_msg());
	if (!rc)
		rc = cp_claim(&st, seq, hash);
	sign_statement_release(&st);
	if (rc)
		return rc;
	rc = cp_row(db, "SELECT seq, hash FROM audit ORDER BY seq DESC"
		    " LIMIT 1", -1, &head, have, sizeof(have));
	if (rc == ERR_NOTFOUND || (!rc && head < seq))
		return err_set(ERR_INVALID, "audit records after %lld were "
			       "removed: the registry signed a checkpoint at "
			       "record %lld and the log ends at %lld",
			       (long long)(rc ? 0 : head), (long long)seq,
			       (long long)(rc ? 0 : head));
	if (!rc)
		rc = cp_row(db, "SELECT seq, hash FROM audit WHERE seq=?",
			    seq, &at, have, sizeof(have));
	if (!rc && strcmp(have, hash))
		rc = err_set(ERR_INVALID, "audit record %lld differs from the "
			     "signed checkpoint", (long long)seq);
	return rc;
}

int audit_checkpoint_verify(const char *path, const struct sign_key *key,
			    int64_t *seq)
{
	char hash[SHA256_HEX_LEN + 1], *bundle = NULL;
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	int rc;

	*seq = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL)) {
		rc = cp_sqlerr(db, "cannot open");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_busy_timeout(db, 30000);
	rc = sqlite3_prepare_v2(db, "SELECT seq, hash, bundle FROM"
				" audit_checkpoints ORDER BY seq DESC LIMIT 1",
				-1, &st, NULL) ?
	     err_set(ERR_NOTFOUND, "no signed audit checkpoints in '%s'",
		     path) : 0;
	if (!rc && sqlite3_step(st) != SQLITE_ROW)
		rc = err_set(ERR_NOTFOUND, "no signed audit checkpoints in "
			     "'%s'", path);
	if (!rc) {
		*seq = sqlite3_column_int64(st, 0);
		snprintf(hash, sizeof(hash), "%s",
			 (const char *)sqlite3_column_text(st, 1));
		bundle = strdup((const char *)sqlite3_column_text(st, 2));
		rc = bundle ? 0 : err_set(ERR_NOMEM, "out of memory");
	}
	sqlite3_finalize(st);
	if (!rc)
		rc = cp_check(db, key, *seq, hash, bundle);
	free(bundle);
	sqlite3_close(db);
	return rc;
}

/* Hash-chained audit log over SQLite; see audit.h for the chain rules. */
#include "gov/audit.h"
#include "util/err.h"
#include "util/utf8.h"

#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct audit_log {
	sqlite3 *db;
};

static const char audit_zero_hash[] =
	"0000000000000000000000000000000000000000000000000000000000000000";

const char audit_csv_header[] = "seq,time,actor,action,repo,tag,digest,"
	"result,reason,addr,agent,request_id,prev,hash";

/* Text fields in canonical order, shared by JSON, CSV and SQL. */
#define AUDIT_NTEXT 10
static const char *const audit_text_names[AUDIT_NTEXT] = {
	"actor", "action", "repo", "tag", "digest", "result", "reason",
	"addr", "agent", "request_id",
};

static const char **audit_text_slot(struct audit_record *rec, int i)
{
	const char **slots[AUDIT_NTEXT] = {
		&rec->actor, &rec->action, &rec->repo, &rec->tag,
		&rec->digest, &rec->result, &rec->reason, &rec->addr,
		&rec->agent, &rec->request_id,
	};

	return slots[i];
}

static const char *audit_text(const struct audit_record *rec, int i)
{
	return *audit_text_slot((struct audit_record *)(uintptr_t)rec, i);
}

/*
 * jansson refuses invalid UTF-8, and user agents and reasons come from
 * clients; invalid bytes become '?' so every record can be encoded, and
 * over-long fields are cut at AUDIT_FIELD_MAX.
 */
static json_t *audit_json_text(const char *s)
{
	char *clean;
	json_t *j;

	if (!s)
		return json_null();
	clean = utf8_sanitize(s, AUDIT_FIELD_MAX);
	if (!clean)
		return NULL;
	j = json_string(clean);
	free(clean);
	return j;
}

static json_t *audit_to_json(const struct audit_record *rec, bool hash)
{
	json_t *o = json_object();
	int rc = 0;

	if (!o)
		return NULL;
	rc |= json_object_set_new(o, "seq", json_integer(rec->seq));
	rc |= json_object_set_new(o, "time", json_string(rec->time));
	for (int i = 0; i < AUDIT_NTEXT; i++)
		rc |= json_object_set_new(o, audit_text_names[i],
					  audit_json_text(audit_text(rec, i)));
	rc |= json_object_set_new(o, "prev", json_string(rec->prev));
	if (hash)
		rc |= json_object_set_new(o, "hash", json_string(rec->hash));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int audit_dump(const struct audit_record *rec, bool hash,
		      struct buf *out)
{
	json_t *o = audit_to_json(rec, hash);
	char *s;
	int rc;

	if (!o)
		return err_set(ERR_NOMEM, "cannot encode audit record %lld",
			       (long long)rec->seq);
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return err_set(ERR_NOMEM, "cannot encode audit record");
	rc = buf_puts(out, s);
	free(s);
	return rc;
}

int audit_record_canonical(const struct audit_record *rec, struct buf *out)
{
	return audit_dump(rec, false, out);
}

static int audit_compute(const struct audit_record *rec,
			 char hex[SHA256_HEX_LEN + 1])
{
	struct buf b = BUF_INIT(1 << 20);
	uint8_t raw[SHA256_LEN];
	int rc;

	rc = audit_record_canonical(rec, &b);
	if (!rc) {
		sha256_buf(b.data, b.len, raw);
		hex_encode(raw, SHA256_LEN, hex);
	}
	buf_release(&b);
	return rc;
}

int audit_record_seal(struct audit_record *rec)
{
	return audit_compute(rec, rec->hash);
}

int audit_record_to_jsonl(const struct audit_record *rec, struct buf *out)
{
	return audit_dump(rec, true, out);
}

static int audit_csv_cell(struct buf *out, const char *s, bool first)
{
	bool quote;
	int rc = first ? 0 : buf_putc(out, ',');

	if (rc || !s)
		return rc;
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		rc = buf_putc(out, '"');
	/* Formula injection: a leading = + - @ makes spreadsheets compute. */
	if (!rc && strchr("=+-@\t\r", s[0]) && s[0])
		rc = buf_putc(out, '\'');
	for (const char *p = s; !rc && *p; p++)
		rc = *p == '"' ? buf_puts(out, "\"\"") : buf_putc(out, *p);
	if (!rc && quote)
		rc = buf_putc(out, '"');
	return rc;
}

int audit_record_to_csv(const struct audit_record *rec, struct buf *out)
{
	int rc = buf_printf(out, "%lld", (long long)rec->seq);

	if (!rc)
		rc = audit_csv_cell(out, rec->time, false);
	for (int i = 0; !rc && i < AUDIT_NTEXT; i++)
		rc = audit_csv_cell(out, audit_text(rec, i), false);
	if (!rc)
		rc = audit_csv_cell(out, rec->prev, false);
	if (!rc)
		rc = audit_csv_cell(out, rec->hash, false);
	return rc;
}

void audit_verify_init(struct audit_verifier *v)
{
	v->next_seq = 1;
	memcpy(v->prev, audit_zero_hash, sizeof(v->prev));
	v->count = 0;
}

int audit_verify_next(struct audit_verifier *v,
		      const struct audit_record *rec)
{
	char hex[SHA256_HEX_LEN + 1];
	int rc;

	if (rec->seq != v->next_seq)
		return err_set(ERR_INVALID, "audit record %lld: expected "
			       "record %lld here (a record was deleted, "
			       "inserted or reordered)", (long long)rec->seq,
			       (long long)v->next_seq);
	if (strcmp(rec->prev, v->prev))
		return err_set(ERR_INVALID, "audit record %lld: does not "
			       "follow record %lld (chain broken)",
			       (long long)rec->seq,
			       (long long)(v->next_seq - 1));
	rc = audit_compute(rec, hex);
	if (rc)
		return rc;
	if (strcmp(hex, rec->hash))
		return err_set(ERR_INVALID, "audit record %lld: content does "
			       "not match its hash (record was edited)",
			       (long long)rec->seq);
	memcpy(v->prev, rec->hash, sizeof(v->prev));
	v->next_seq++;
	v->count++;
	return 0;
}

/* Reading an export back: every field checked, duplicate keys refused. */
static int audit_from_json(json_t *o, struct audit_record *rec,
			   int64_t line)
{
	json_t *v;
	size_t nkeys = 0;

	memset(rec, 0, sizeof(*rec));
	if (!json_is_object(o))
		return err_set(ERR_INVALID, "line %lld: not a JSON object",
			       (long long)line);
	v = json_object_get(o, "seq");
	if (!json_is_integer(v))
		return err_set(ERR_INVALID, "line %lld: missing seq",
			       (long long)line);
	rec->seq = json_integer_value(v);
	nkeys++;
	for (int i = 0; i < AUDIT_NTEXT; i++) {
		v = json_object_get(o, audit_text_names[i]);
		if (v)
			nkeys++;
		if (json_is_string(v))
			*audit_text_slot(rec, i) = json_string_value(v);
		else if (v && !json_is_null(v))
			return err_set(ERR_INVALID, "line %lld: field '%s' "
				       "is not a string", (long long)line,
				       audit_text_names[i]);
	}
	const char *names[3] = { "time", "prev", "hash" };
	char *dst[3] = { rec->time, rec->prev, rec->hash };
	size_t cap[3] = { sizeof(rec->time), sizeof(rec->prev),
			  sizeof(rec->hash) };

	for (int i = 0; i < 3; i++) {
		const char *s = json_string_value(json_object_get(o, names[i]));

		if (!s || strlen(s) >= cap[i])
			return err_set(ERR_INVALID, "line %lld: bad '%s'",
				       (long long)line, names[i]);
		strcpy(dst[i], s);
		nkeys++;
	}
	if (json_object_size(o) != nkeys)
		return err_set(ERR_INVALID, "line %lld: unexpected fields",
			       (long long)line);
	return 0;
}

int audit_verify_jsonl(FILE *f, const char *name, int64_t *count)
{
	struct audit_verifier v;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int64_t lineno = 0;
	int rc = 0;

	audit_verify_init(&v);
	while ((n = getline(&line, &cap, f)) > 0) {
		struct audit_record rec;
		json_error_t jerr;
		json_t *o;

		lineno++;
		if (n > AUDIT_LINE_MAX) {
			rc = err_set(ERR_LIMIT, "%s:%lld: line longer than "
				     "%d bytes", name, (long long)lineno,
				     AUDIT_LINE_MAX);
			break;
		}
		o = json_loadb(line, (size_t)n, JSON_REJECT_DUPLICATES, &jerr);
		if (!o) {
			rc = err_set(ERR_INVALID, "%s:%lld: %s", name,
				     (long long)lineno, jerr.text);
			break;
		}
		rc = audit_from_json(o, &rec, lineno);
		if (!rc)
			rc = audit_verify_next(&v, &rec);
		json_decref(o);
		if (rc) {
			char why[512];

			snprintf(why, sizeof(why), "%s", err_msg());
			err_set(rc, "%s:%lld: %s", name, (long long)lineno, why);
			break;
		}
	}
	free(line);
	if (!rc && ferror(f))
		rc = err_set(ERR_IO, "cannot read '%s'", name);
	if (count)
		*count = v.count;
	return rc;
}

/* --- the SQLite store --------------------------------------------------- */

static const char audit_pragmas[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=FULL;";

static const char audit_schema[] =
	"CREATE TABLE IF NOT EXISTS audit ("
	" seq INTEGER PRIMARY KEY, time TEXT NOT NULL,"
	" actor TEXT, action TEXT, repo TEXT, tag TEXT, digest TEXT,"
	" result TEXT, reason TEXT, addr TEXT, agent TEXT, request_id TEXT,"
	" prev TEXT NOT NULL, hash TEXT NOT NULL);"
	/* Defence in depth: the application never updates or deletes. */
	"CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit"
	" BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;";

static int audit_sqlerr(sqlite3 *db, const char *what)
{
	return err_set(ERR_IO, "audit log: %s: %s", what, sqlite3_errmsg(db));
}

int audit_log_open(const char *path, bool create, struct audit_log **out)
{
	struct audit_log *log;
	int rc, flags = SQLITE_OPEN_FULLMUTEX;

	*out = NULL;
	if (!create && access(path, F_OK))
		return err_set(ERR_NOTFOUND, "no audit log at '%s'", path);
	log = calloc(1, sizeof(*log));
	if (!log)
		return err_set(ERR_NOMEM, "out of memory");
	flags |= create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE :
			  SQLITE_OPEN_READONLY;
	if (sqlite3_open_v2(path, &log->db, flags, NULL) != SQLITE_OK) {
		rc = audit_sqlerr(log->db, "cannot open");
		audit_log_close(log);
		return rc;
	}
	sqlite3_busy_timeout(log->db, 30000);
	if (create && (sqlite3_exec(log->db, audit_pragmas, NULL, NULL, NULL) ||
		       sqlite3_exec(log->db, audit_schema, NULL, NULL, NULL))) {
		rc = audit_sqlerr(log->db, "cannot create schema");
		audit_log_close(log);
		return rc;
	}
	*out = log;
	return 0;
}

void audit_log_close(struct audit_log *log)
{
	if (!log)
		return;
	sqlite3_close(log->db);
	free(log);
}

static void audit_now(char out[32])
{
	struct timespec ts;
	struct tm tm;
	char base[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%.19s.%03dZ", base,
		 (int)(ts.tv_nsec / 1000000) % 1000);
}

static int audit_head_locked(sqlite3 *db, int64_t *seq, char *hash)
{
	sqlite3_stmt *st;
	int rc;

	*seq = 0;
	memcpy(hash, audit_zero_hash, SHA256_HEX_LEN + 1);
	if (sqlite3_prepare_v2(db, "SELECT seq, hash FROM audit ORDER BY seq "
			       "DESC LIMIT 1", -1, &st, NULL))
		return audit_sqlerr(db, "cannot read head");
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *h = (const char *)sqlite3_column_text(st, 1);

		*seq = sqlite3_column_int64(st, 0);
		if (!h || strlen(h) != SHA256_HEX_LEN) {
			sqlite3_finalize(st);
			return err_set(ERR_INVALID, "audit record %lld has a "
				       "malformed hash", (long long)*seq);
		}
		memcpy(hash, h, SHA256_HEX_LEN + 1);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : audit_sqlerr(db, "cannot read head");
}

int audit_log_head(struct audit_log *log, int64_t *seq,
		   char hash[SHA256_HEX_LEN + 1])
{
	return audit_head_locked(log->db, seq, hash);
}

static int audit_insert(sqlite3 *db, const struct audit_record *rec)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(db, "INSERT INTO audit VALUES (?,?,?,?,?,?,?,"
			       "?,?,?,?,?,?,?)", -1, &st, NULL))
		return audit_sqlerr(db, "cannot prepare insert");
	sqlite3_bind_int64(st, 1, rec->seq);
	sqlite3_bind_text(st, 2, rec->time, -1, SQLITE_STATIC);
	for (int i = 0; i < AUDIT_NTEXT; i++)
		sqlite3_bind_text(st, 3 + i, audit_text(rec, i), -1,
				  SQLITE_STATIC);
	sqlite3_bind_text(st, 13, rec->prev, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, rec->hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : audit_sqlerr(db, "cannot append");
}

int audit_db_append(sqlite3 *db, struct audit_record *rec)
{
	char *clean[AUDIT_NTEXT] = { 0 };
	struct audit_record r = *rec;
	int rc = 0;

	/* Store exactly what is hashed: sanitised, bounded text. */
	for (int i = 0; i < AUDIT_NTEXT && !rc; i++) {
		const char *s = audit_text(rec, i);

		if (!s)
			continue;
		clean[i] = utf8_sanitize(s, AUDIT_FIELD_MAX);
		if (!clean[i])
			rc = err_set(ERR_NOMEM, "out of memory");
		*audit_text_slot(&r, i) = clean[i];
	}
	if (!rc && !r.time[0])
		audit_now(r.time);
	if (!rc)
		rc = audit_head_locked(db, &r.seq, r.prev);
	r.seq++;
	if (!rc)
		rc = audit_record_seal(&r);
	if (!rc)
		rc = audit_insert(db, &r);
	if (!rc) {
		rec->seq = r.seq;
		memcpy(rec->time, r.time, sizeof(rec->time));
		memcpy(rec->prev, r.prev, sizeof(rec->prev));
		memcpy(rec->hash, r.hash, sizeof(rec->hash));
	}
	for (int i = 0; i < AUDIT_NTEXT; i++)
		free(clean[i]);
	return rc;
}

int audit_db_init(sqlite3 *db)
{
	if (sqlite3_exec(db, audit_schema, NULL, NULL, NULL))
		return audit_sqlerr(db, "cannot create schema");
	return 0;
}

int audit_log_append(struct audit_log *log, struct audit_record *rec)
{
	int rc;

	if (sqlite3_exec(log->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return audit_sqlerr(log->db, "cannot begin");
	rc = audit_db_append(log->db, rec);
	if (!rc && sqlite3_exec(log->db, "COMMIT", NULL, NULL, NULL))
		rc = audit_sqlerr(log->db, "cannot commit");
	if (rc)
		sqlite3_exec(log->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static void audit_bind_filter(sqlite3_stmt *st, const struct audit_filter *f)
{
	sqlite3_bind_text(st, 1, f ? f->actor : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, f ? f->action : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, f ? f->repo : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, f ? f->result : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, f ? f->since : NULL, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, f ? f->after_seq : 0);
	sqlite3_bind_int64(st, 7, f && f->limit > 0 ? f->limit : -1);
}

static void audit_row(sqlite3_stmt *st, struct audit_record *rec)
{
	const char *t;

	memset(rec, 0, sizeof(*rec));
	rec->seq = sqlite3_column_int64(st, 0);
	t = (const char *)sqlite3_column_text(st, 1);
	snprintf(rec->time, sizeof(rec->time), "%s", t ? t : "");
	for (int i = 0; i < AUDIT_NTEXT; i++)
		*audit_text_slot(rec, i) =
			(const char *)sqlite3_column_text(st, 2 + i);
	t = (const char *)sqlite3_column_text(st, 12);
	snprintf(rec->prev, sizeof(rec->prev), "%s", t ? t : "");
	t = (const char *)sqlite3_column_text(st, 13);
	snprintf(rec->hash, sizeof(rec->hash), "%s", t ? t : "");
}

int audit_log_each(struct audit_log *log, const struct audit_filter *flt,
		   int (*fn)(const struct audit_record *rec, void *arg),
		   void *arg)
{
	sqlite3_stmt *st;
	int rc = 0, step;

	if (sqlite3_prepare_v2(log->db,
			"SELECT seq, time, actor, action, repo, tag, digest,"
			" result, reason, addr, agent, request_id, prev, hash"
			" FROM audit WHERE (?1 IS NULL OR actor = ?1)"
			" AND (?2 IS NULL OR action = ?2)"
			" AND (?3 IS NULL OR repo = ?3)"
			" AND (?4 IS NULL OR result = ?4)"
			" AND (?5 IS NULL OR time >= ?5)"
			" AND seq > ?6 ORDER BY seq LIMIT ?7", -1, &st, NULL))
		return audit_sqlerr(log->db, "cannot query");
	audit_bind_filter(st, flt);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct audit_record rec;

		audit_row(st, &rec);
		rc = fn(&rec, arg);
		if (rc)
			break;
	}
	if (!rc && step != SQLITE_DONE)
		rc = audit_sqlerr(log->db, "cannot read");
	sqlite3_finalize(st);
	return rc;
}

static int audit_verify_cb(const struct audit_record *rec, void *arg)
{
	return audit_verify_next(arg, rec);
}

int audit_log_verify(struct audit_log *log, int64_t *count)
{
	struct audit_verifier v;
	int rc;

	audit_verify_init(&v);
	rc = audit_log_each(log, NULL, audit_verify_cb, &v);
	if (count)
		*count = v.count;
	return rc;
}

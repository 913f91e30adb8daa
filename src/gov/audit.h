/* The audit log: append-only, hash-chained records of every change and
 * every denial, with export to JSON Lines and CSV and chain verification. */
#ifndef STELE_GOV_AUDIT_H
#define STELE_GOV_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "util/buf.h"
#include "util/sha256.h"

#define AUDIT_FIELD_MAX 4096     /* longest text field kept in a record */
#define AUDIT_LINE_MAX 65536     /* longest exported line accepted back */

/*
 * One record. Text fields are NULL when not applicable. seq starts at 1
 * and has no gaps; prev is the hash of record seq-1 (64 zeroes for the
 * first); hash commits to every other field and to prev, so editing,
 * deleting, inserting or reordering records breaks the chain at the first
 * record touched. Records filled by the caller own nothing: the strings
 * are borrowed for the duration of the call.
 */
struct audit_record {
	int64_t seq;
	char time[32];           /* RFC 3339 UTC with milliseconds */
	const char *actor;
	const char *action;      /* "push", "promote", "login", ... */
	const char *repo;
	const char *tag;
	const char *digest;
	const char *result;      /* "ok", "denied", "error" */
	const char *reason;
	const char *addr;        /* client address */
	const char *agent;       /* user agent, as sent (never trusted) */
	const char *request_id;
	char prev[SHA256_HEX_LEN + 1];
	char hash[SHA256_HEX_LEN + 1];
};

/*
 * The canonical encoding that is hashed: compact JSON with the keys in the
 * order seq, time, actor, action, repo, tag, digest, result, reason, addr,
 * agent, request_id, prev; absent fields are null. The exported JSON line
 * is the same object with "hash" appended.
 */
int audit_record_canonical(const struct audit_record *rec, struct buf *out);

/* Compute rec->hash from the other fields (rec->prev must be set). */
int audit_record_seal(struct audit_record *rec);

/* One JSON line (no newline) including the hash. */
int audit_record_to_jsonl(const struct audit_record *rec, struct buf *out);

/* One CSV row (no newline); cells starting with = + - @ are prefixed with
 * a quote so a spreadsheet does not evaluate them. */
int audit_record_to_csv(const struct audit_record *rec, struct buf *out);
extern const char audit_csv_header[];

/*
 * Verifies a sequence of records in order. Feed each record to
 * audit_verify_next(); the first one that does not follow from the chain
 * returns ERR_INVALID with a message naming its seq and what is wrong.
 */
struct audit_verifier {
	int64_t next_seq;
	char prev[SHA256_HEX_LEN + 1];
	int64_t count;
};

void audit_verify_init(struct audit_verifier *v);
int audit_verify_next(struct audit_verifier *v,
		      const struct audit_record *rec);

/*
 * Verify a JSON Lines export read from f (name for messages). Returns 0
 * and the record count, or the first failure.
 */
int audit_verify_jsonl(FILE *f, const char *name, int64_t *count);

/* The audit store: an SQLite database holding the chain. */
struct audit_log;

/* Open the log at path; with create, make it (its directory must exist),
 * without, open it read-only and fail with ERR_NOTFOUND when missing. */
int audit_log_open(const char *path, bool create, struct audit_log **out);
void audit_log_close(struct audit_log *log);

/*
 * Append rec: assigns seq, time (when empty), prev and hash inside one
 * write transaction, so concurrent appenders serialise and never fork the
 * chain. On return rec->seq and rec->hash describe the stored record.
 */
int audit_log_append(struct audit_log *log, struct audit_record *rec);

/*
 * For callers that keep the audit table in their own database so a change
 * and its record commit together: create the table and triggers in db,
 * and append inside a write transaction the caller already holds.
 */
struct sqlite3;
int audit_db_init(struct sqlite3 *db);
int audit_db_append(struct sqlite3 *db, struct audit_record *rec);

/* Filters for audit_log_each(); NULL or 0 means "any". */
struct audit_filter {
	const char *actor;
	const char *action;
	const char *repo;
	const char *result;
	const char *since;       /* RFC 3339 lower bound, inclusive */
	int64_t after_seq;
	int64_t limit;
};

/* Call fn for each matching record in seq order; stops on a non-zero
 * return, which is passed back. */
int audit_log_each(struct audit_log *log, const struct audit_filter *flt,
		   int (*fn)(const struct audit_record *rec, void *arg),
		   void *arg);

/* Verify the whole stored chain; count receives the records checked. */
int audit_log_verify(struct audit_log *log, int64_t *count);

/* The newest record's seq and hash (0 and 64 zeroes when empty). */
int audit_log_head(struct audit_log *log, int64_t *seq,
		   char hash[SHA256_HEX_LEN + 1]);

#endif

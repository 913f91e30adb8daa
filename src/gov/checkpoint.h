/* Signed checkpoints of the audit log: the registry signs the head of the
 * chain (seq and hash), so that removing the newest records, which the
 * hash chain alone cannot reveal, is detected up to the last checkpoint. */
#ifndef STELE_GOV_CHECKPOINT_H
#define STELE_GOV_CHECKPOINT_H

#include <stdint.h>

#include "sign/key.h"

struct sqlite3;

#define AUDIT_CHECKPOINT_TYPE \
	"https://stele.dev/attestations/audit-checkpoint/v1"
#define AUDIT_CHECKPOINT_EVERY 64   /* records between checkpoints */
#define AUDIT_CHECKPOINT_MAX (1u << 20) /* largest stored bundle */

/* Create the audit_checkpoints table when missing. */
int audit_checkpoint_db_init(struct sqlite3 *db);

/*
 * Sign the current head of the audit table in db with key and store the
 * bundle (an in-toto statement about "sha256:<head hash>" whose predicate
 * is {"seq", "hash", "time"}). Nothing happens for an empty log or a head
 * already checkpointed. Call inside a write transaction.
 */
int audit_checkpoint_sign(struct sqlite3 *db, const struct sign_key *key);

/*
 * Check the newest checkpoint in the database at path against key: its
 * signature, that the record at its seq still has its hash, and that the
 * log has not been cut below it. *seq receives the checkpoint's seq.
 * ERR_NOTFOUND when there is no checkpoint, ERR_DENIED for a bad
 * signature, ERR_INVALID naming the record for a mismatch.
 */
int audit_checkpoint_verify(const char *path, const struct sign_key *key,
			    int64_t *seq);

#endif

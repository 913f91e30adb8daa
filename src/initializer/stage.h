/* Staging a model beside its destination and moving it into place so a
 * failure, or a crash at any moment, never leaves a partial model. */
#ifndef STELE_INITIALIZER_STAGE_H
#define STELE_INITIALIZER_STAGE_H

#include <limits.h>
#include <stddef.h>

/*
 * DEST is usually a volume root (KServe mounts an emptyDir at
 * /mnt/models), which cannot itself be renamed. So the model is built in
 * DEST/.stele-staging-<random>, and committed by renaming each top-level
 * entry into DEST under a journal (DEST/.stele-journal) that lists them.
 * A run that finds a journal rolls the half-done commit back before doing
 * anything else; a finished commit writes DEST/.stele-complete holding the
 * digest, then removes the journal.
 */
struct stage {
	char dest[PATH_MAX];
	char dir[PATH_MAX];   /* the staging directory; "" when none */
};

/* Recover DEST from an interrupted earlier run (journal or stale staging
 * directories), then create a fresh staging directory. DEST is created
 * when missing. */
int stage_begin(struct stage *s, const char *dest);

/* Move the staged entries into DEST and record digest as complete.
 * Refuses when an entry of the same name already exists in DEST. */
int stage_commit(struct stage *s, const char *digest);

/* Remove the staging directory (after a failure). Safe to call twice. */
void stage_abort(struct stage *s);

/* Undo an interrupted commit and remove stale staging directories. */
int stage_recover(const char *dest);

/* Read DEST/.stele-complete into digest (DIGEST_STR_LEN bytes); returns
 * ERR_NOTFOUND when DEST holds no completed model. */
int stage_completed_digest(const char *dest, char *digest, size_t len);

#endif

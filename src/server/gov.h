/* The registry's governance state and helpers shared by routes_gov.c and
 * the audit hooks in the other routes: the registry signing key, the
 * environment policies, trusted publisher keys, and the audit log kept in
 * the metadata database. */
#ifndef STELE_SERVER_GOV_H
#define STELE_SERVER_GOV_H

#include <limits.h>
#include <stdbool.h>

#include "gov/policy.h"
#include "sign/key.h"
#include "sign/keyring.h"
#include "util/sha256.h"

struct srv;
struct req;
struct sqlite3;

#define GOV_TRUST_MAX 32
#define GOV_PATTERN_MAX 255

struct gov_trust {
	char pattern[GOV_PATTERN_MAX + 1]; /* "team/" + "*", a name, "*" */
	char path[PATH_MAX];               /* absolute key file or folder */
};

struct gov {
	struct sign_key *key;              /* borrowed: srv's sign_key */
	char key_path[PATH_MAX + 32];      /* the public key file */
	char fingerprint[DIGEST_STR_LEN];
	struct policy *policy;
	char policy_hash[SHA256_HEX_LEN + 1];
	struct gov_trust *trust;
	size_t ntrust;
	bool ready;                        /* tables made: checkpoints may
					      be written */
};

/*
 * Sign with s->sign_key (srv_open loads it before and srv_close frees it
 * after), read the policies and the trusted publisher keys from the
 * configuration file, create the governance, scan and audit tables in the
 * metadata database, and audit a policy change when the policy hash
 * differs from the last one recorded.
 */
int gov_srv_open(struct srv *s);
void gov_srv_close(struct srv *s);

/* Print the key path and fingerprint (after "listening on"). */
void gov_srv_announce(const struct srv *s);

/*
 * Append an audit record about request r (actor, client address, user
 * agent and request id come from r; r may be NULL for the server itself).
 * gov_audit runs its own transaction and logs a failure; gov_audit_db
 * appends inside the caller's transaction.
 */
void gov_audit(struct srv *s, struct req *r, const char *action,
	       const char *repo, const char *tag, const char *digest,
	       const char *result, const char *reason);
int gov_audit_db(struct sqlite3 *db, struct req *r, const char *action,
		 const char *repo, const char *tag, const char *digest,
		 const char *result, const char *reason);

/*
 * The keys trusted for repo (the longest matching pattern), read afresh
 * into ring (initialised here; the caller releases it) so keys added to
 * a trusted_keys folder count without a restart. False when no pattern
 * matches. A folder without keys, or one that cannot be read, gives an
 * empty ring: signatures are then untrusted (fail closed).
 */
bool gov_trust_for(const struct srv *s, const char *repo,
		   struct sign_keyring *ring);

/*
 * Whether a key trusted for repo signed digest: cosign legacy signatures
 * ("sha256-<hex>.sig") and Sigstore bundle referrers in the local store.
 * signer receives the verifying key's name or fingerprint.
 */
int gov_signature_evidence(struct srv *s, const char *repo,
			   const char *digest, bool *ok, char *signer,
			   size_t n);

/*
 * The data classifications a ModelKit declares: each dataset's
 * parameters.classification (a string or a list of strings) in the
 * Kitfile config blob. *out is a NULL-terminated array freed with
 * gov_strv_free().
 */
int gov_data_classes(struct srv *s, const char *repo, const char *digest,
		     char ***out, size_t *n);
void gov_strv_free(char **v);

/*
 * Sign a statement about digest with predicate_type and attach the bundle
 * to repo as a referrer (stored directly in the registry's own store).
 */
int gov_attach(struct srv *s, const char *repo, const char *digest,
	       const char *predicate_type, const char *predicate,
	       size_t len, char out[DIGEST_STR_LEN]);

/*
 * After a manifest was stored: when it carries signatures (a cosign
 * "sha256-<hex>.sig" tag or a Sigstore bundle referrer), verify each
 * against the keys trusted for the repository and audit it as
 * "signature" with result "ok" or "untrusted". Never fails the push.
 */
void gov_record_signatures(struct srv *s, struct req *r, const char *digest,
			   const char *tag, const void *manifest,
			   size_t len);

#endif

/* A set of trusted public keys and verification against any of them. */
#ifndef STELE_SIGN_KEYRING_H
#define STELE_SIGN_KEYRING_H

#include <stddef.h>

#include "sign/key.h"
#include "sign/statement.h"
#include "util/sha256.h"

#define SIGN_KEYRING_MAX 64
#define SIGN_KEYRING_NAME_MAX 255

/*
 * Keys owned by the ring; init with sign_keyring_init(), release with
 * sign_keyring_release() (NULL-safe). fingerprints[i] is "sha256:<hex>"
 * of keys[i]'s SubjectPublicKeyInfo: what a record names a signer by.
 */
struct sign_keyring {
	size_t n;
	struct sign_key *keys[SIGN_KEYRING_MAX];
	char fingerprints[SIGN_KEYRING_MAX][DIGEST_STR_LEN];
	char names[SIGN_KEYRING_MAX][SIGN_KEYRING_NAME_MAX + 1];
};

void sign_keyring_init(struct sign_keyring *r);
void sign_keyring_release(struct sign_keyring *r);

/* Add k (ownership moves to the ring, even on failure). */
int sign_keyring_add(struct sign_keyring *r, struct sign_key *k,
		     const char *name);

/*
 * Add every regular file of dir ending in ".pub" or ".pem", in name
 * order. A file that is not a P-256 public key fails the whole load (a
 * trust directory is never half-read); an empty directory is ERR_NOTFOUND.
 */
int sign_keyring_load_dir(struct sign_keyring *r, const char *dir);

/* Load path into r: a directory as above, or one public key file. */
int sign_keyring_load(struct sign_keyring *r, const char *path);

/*
 * sign_verify_image_payload() / sign_verify_attestation() with each key
 * in turn. 0 with *which set to the key that verified. A failure that is
 * not "this key did not sign it" (malformed input, a trusted signature
 * over another digest) is returned at once; ERR_DENIED when no key
 * verifies.
 */
int sign_keyring_verify_payload(const struct sign_keyring *r,
				const void *payload, size_t len,
				const char *sig_b64, size_t sig_len,
				const char *digest, size_t *which);
int sign_keyring_verify_attestation(const struct sign_keyring *r,
				    const void *doc, size_t len,
				    const char *digest,
				    const char *predicate_type,
				    struct sign_statement *st, size_t *which);

#endif

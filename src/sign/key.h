/* ECDSA P-256 keys: generation, PEM files, signatures over SHA-256. */
#ifndef STELE_SIGN_KEY_H
#define STELE_SIGN_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/sha256.h"

/* Largest key file read (PEM public or encrypted private key). */
#define SIGN_KEY_FILE_MAX (64u * 1024)
/* A DER ECDSA P-256 signature is at most 72 bytes; leave room. */
#define SIGN_SIG_MAX 256
/* The public-key hint: base64 of SHA-256 of the SPKI DER, and a NUL. */
#define SIGN_HINT_LEN 45

/*
 * A key pair or a public key, opaque to keep OpenSSL out of headers.
 * Created by the constructors below, owned by the caller, released with
 * sign_key_free() (which accepts NULL and wipes private material).
 * Only ECDSA on NIST P-256 is accepted: other curves and algorithms are
 * refused with ERR_UNSUPPORTED naming what was found.
 */
struct sign_key;

int sign_key_generate(struct sign_key **out);
void sign_key_free(struct sign_key *k);
bool sign_key_has_private(const struct sign_key *k);

/* Parse a "PUBLIC KEY" PEM (SubjectPublicKeyInfo); name is for messages. */
int sign_key_from_public_pem(const char *pem, size_t n, const char *name,
			     struct sign_key **out);
int sign_key_load_public(const char *path, struct sign_key **out);

/*
 * Parse an unencrypted PKCS#8 DER private key (the plaintext of cosign's
 * encrypted key files).
 */
int sign_key_from_pkcs8(const void *der, size_t n, const char *name,
			struct sign_key **out);

/*
 * An unencrypted PKCS#8 "PRIVATE KEY" PEM, for keys a service owns and
 * protects with file permissions (the registry's own signing key).
 */
int sign_key_from_private_pem(const char *pem, size_t n, const char *name,
			      struct sign_key **out);
/* Append that PEM to out; wipe out with buf_wipe(). */
int sign_key_private_pem(const struct sign_key *k, struct buf *out);

/*
 * The key pair of a service in dir: dir/signing.key (PEM above, 0600) and
 * dir/signing.pub. Created on first use (*created set); afterwards a key
 * file readable by group or others is refused (ERR_DENIED).
 */
int sign_key_load_or_create(const char *dir, struct sign_key **out,
			    bool *created);

/* The PKCS#8 DER of the private key; wipe out with buf_wipe(). */
int sign_key_to_pkcs8(const struct sign_key *k, struct buf *out);

/* Append the "PUBLIC KEY" PEM / the SubjectPublicKeyInfo DER to out. */
int sign_key_public_pem(const struct sign_key *k, struct buf *out);
int sign_key_public_der(const struct sign_key *k, struct buf *out);

/* The Sigstore bundle hint: base64(SHA-256(SPKI DER)), as cosign writes. */
int sign_key_hint(const struct sign_key *k, char out[SIGN_HINT_LEN]);

/* "sha256:<hex>" of the SPKI DER: how stele names a key in records. */
int sign_key_fingerprint(const struct sign_key *k,
			 char out[DIGEST_STR_LEN]);

/* ECDSA over a SHA-256 hash computed by the caller; DER into sig. */
int sign_ecdsa_sign(const struct sign_key *k, const uint8_t hash[SHA256_LEN],
		    struct buf *sig);

/*
 * Verify a DER ECDSA signature over hash. ERR_INVALID when sig is not a
 * canonical DER ECDSA signature, ERR_DENIED when it does not verify.
 */
int sign_ecdsa_verify(const struct sign_key *k,
		      const uint8_t hash[SHA256_LEN],
		      const void *sig, size_t sig_len);

/* Hash the bytes, then sign or verify as above. */
int sign_ecdsa_sign_bytes(const struct sign_key *k, const void *p,
			  size_t n, struct buf *sig);
int sign_ecdsa_verify_bytes(const struct sign_key *k, const void *p,
			    size_t n, const void *sig, size_t sig_len);

#endif

/* cosign's encrypted private key files: scrypt + nacl/secretbox in PEM. */
#ifndef STELE_SIGN_KEYFILE_H
#define STELE_SIGN_KEYFILE_H

#include <stddef.h>

#include "sign/key.h"
#include "util/buf.h"

/* The PEM type cosign writes today, and the one older cosign wrote. */
#define SIGN_KEYFILE_PEM_TYPE "ENCRYPTED SIGSTORE PRIVATE KEY"
#define SIGN_KEYFILE_PEM_TYPE_OLD "ENCRYPTED COSIGN PRIVATE KEY"

/* scrypt cost cosign uses: N = 2^16, r = 8, p = 1 (64 MiB). */
#define SIGN_SCRYPT_N 65536u
#define SIGN_SCRYPT_R 8u
#define SIGN_SCRYPT_P 1u
/* Refused when reading: work or memory beyond this is a denial of service. */
#define SIGN_SCRYPT_MAX_MEM (256u << 20)
#define SIGN_SCRYPT_MAX_P 16u

/*
 * Encrypt k's PKCS#8 DER with a key derived from password by scrypt (fresh
 * 32-byte salt) using XSalsa20-Poly1305 (fresh 24-byte nonce) and append
 * the PEM file text to out. The JSON body is the one of
 * go-securesystemslib's "encrypted" package: {"kdf":{"name":"scrypt",
 * "params":{"N","r","p"},"salt"},"cipher":{"name":"nacl/secretbox",
 * "nonce"},"ciphertext"} with base64 byte strings.
 */
int sign_keyfile_encrypt(const struct sign_key *k, const char *password,
			 size_t password_len, struct buf *out);

/*
 * Decrypt a key file's text (name is for messages). ERR_DENIED when the
 * password is wrong or the ciphertext was altered (authentication fails),
 * ERR_INVALID for a malformed file, ERR_LIMIT for scrypt parameters over
 * the limits above, ERR_UNSUPPORTED for another kdf, cipher or curve.
 */
int sign_keyfile_decrypt(const char *text, size_t n, const char *name,
			 const char *password, size_t password_len,
			 struct sign_key **out);

/* Read and decrypt the key file at path. */
int sign_keyfile_load(const char *path, const char *password,
		      size_t password_len, struct sign_key **out);

#endif

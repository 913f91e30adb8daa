/* Password and secret hashing for accounts (used by the server and by
 * `stele user`). */
#ifndef STELE_SERVER_AUTH_H
#define STELE_SERVER_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define AUTH_HASH_MAX 256
#define AUTH_PASSWORD_MIN 8
#define AUTH_PASSWORD_MAX 1024

/* Argon2id (libsodium crypto_pwhash_str) with a random salt. */
int auth_hash_password(const char *pw, char out[AUTH_HASH_MAX]);

/* Constant-time check of pw against a stored hash. */
bool auth_check_password(const char *hash, const char *pw);

/* A random secret of 32 url-safe characters for robots and --generate. */
int auth_random_secret(char out[64]);

#endif

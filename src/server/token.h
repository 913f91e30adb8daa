/* Short-lived bearer tokens: ES256 JSON Web Tokens signed with the
 * server's key, as the Docker/OCI token flow expects. */
#ifndef STELE_SERVER_TOKEN_H
#define STELE_SERVER_TOKEN_H

#include <jansson.h>
#include <openssl/evp.h>
#include <time.h>

#include "util/buf.h"

#define TOKEN_MAX_BYTES 8192
#define TOKEN_ISSUER "stele"

/* Load the P-256 signing key at path, creating it (0600) when missing.
 * The caller frees it with EVP_PKEY_free(). */
int token_key_load(const char *path, EVP_PKEY **out);

/*
 * Sign a token for subject sub with audience service, the access list
 * (borrowed; a JSON array as in the distribution token spec) and a
 * lifetime of ttl seconds from now. The compact JWT goes into out.
 */
int token_issue(EVP_PKEY *key, const char *service, const char *sub,
		json_t *access, int ttl, time_t now, struct buf *out);

/*
 * Verify tok: exactly alg ES256 and our key, issuer, audience service,
 * not expired, not before. Any failure is ERR_UNAUTH with the reason.
 * On success *claims is the payload object (json_decref() it).
 */
int token_verify(EVP_PKEY *key, const char *service, const char *tok,
		 time_t now, json_t **claims);

#endif

/* DSSE envelopes (secure-systems-lab/dsse v1) signed with ECDSA P-256. */
#ifndef STELE_SIGN_DSSE_H
#define STELE_SIGN_DSSE_H

#include <stddef.h>

#include "sign/key.h"
#include "util/buf.h"

#define SIGN_DSSE_MAX_SIGS 16
#define SIGN_DSSE_TYPE_MAX 256
#define SIGN_DSSE_KEYID_MAX 256
#define SIGN_INTOTO_PAYLOAD_TYPE "application/vnd.in-toto+json"

struct sign_dsse_sig {
	struct buf sig;                 /* DER signature bytes */
	char keyid[SIGN_DSSE_KEYID_MAX + 1];
};

/*
 * A parsed envelope. payload holds the decoded bytes exactly as they were
 * signed: the only bytes a verifier may go on to parse. Initialise with
 * sign_dsse_init(), release with sign_dsse_release() (NULL-safe).
 */
struct sign_dsse {
	char payload_type[SIGN_DSSE_TYPE_MAX + 1];
	struct buf payload;
	size_t nsigs;
	struct sign_dsse_sig sigs[SIGN_DSSE_MAX_SIGS];
};

void sign_dsse_init(struct sign_dsse *env);
void sign_dsse_release(struct sign_dsse *env);

/*
 * Append the pre-authentication encoding to out:
 * "DSSEv1" SP len(type) SP type SP len(payload) SP payload, lengths as
 * ASCII decimal byte counts without leading zeros.
 */
int sign_dsse_pae(const char *type, const void *payload, size_t n,
		  struct buf *out);

/*
 * Parse an envelope's JSON text (duplicate keys, truncated base64, an
 * empty or oversized signature list and missing fields are ERR_INVALID
 * with the reason). env must be initialised; it is reset first.
 */
int sign_dsse_parse(const void *json, size_t n, struct sign_dsse *env);

/*
 * Verify env with key: ERR_INVALID when payloadType differs from
 * expected_type (checked first, it is part of what is signed), ERR_DENIED
 * when no signature verifies over the PAE of this envelope's payload and
 * type. 0 when at least one does.
 */
int sign_dsse_verify(const struct sign_dsse *env, const struct sign_key *key,
		     const char *expected_type);

/*
 * Sign payload as type and append the envelope JSON
 * {"payloadType","payload","signatures":[{"keyid":"","sig"}]} to out.
 */
int sign_dsse_sign(const struct sign_key *key, const char *type,
		   const void *payload, size_t n, struct buf *out);

#endif

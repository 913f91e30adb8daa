/*
 * What the registry and the CLI call: sign and verify image payloads and
 * attestations. Every verify function checks the signature first and
 * parses only the bytes that signature covers.
 */
#ifndef STELE_SIGN_SIGN_H
#define STELE_SIGN_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "sign/bundle.h"
#include "sign/key.h"
#include "sign/payload.h"
#include "sign/statement.h"
#include "util/buf.h"

/*
 * Build the simple-signing payload for ref_name (repository) and digest,
 * append it to payload and its base64 DER signature to sig_b64: the layer
 * and the "dev.cosignproject.cosign/signature" annotation of a legacy
 * sha256-<hex>.sig signature manifest.
 */
int sign_image_payload(const struct sign_key *key, const char *ref_name,
		       const char *digest, struct buf *payload,
		       struct buf *sig_b64);

/*
 * Verify a legacy signature: sig_b64 over payload with key (ERR_DENIED),
 * then parse those payload bytes and require their manifest digest to be
 * digest (ERR_DIGEST). out receives the parsed payload.
 */
int sign_verify_image_payload(const struct sign_key *key,
			      const void *payload, size_t payload_len,
			      const char *sig_b64, size_t sig_len,
			      const char *digest, struct sign_payload *out);

/*
 * Wrap statement bytes (an in-toto statement) in a DSSE envelope signed by
 * key and append the Sigstore bundle to bundle_json. The statement is
 * parsed first so only well-formed statements are ever signed.
 */
int sign_attestation(const struct sign_key *key, const void *statement,
		     size_t len, struct buf *bundle_json);

/*
 * Build a Statement v1 about one artifact (name may be "", digest
 * "sha256:<hex>") with predicate (JSON object text) of predicate_type and
 * sign it as sign_attestation() does: how the registry signs its own
 * conclusions (scan results, approvals, promotions).
 */
int sign_attest_digest(const struct sign_key *key, const char *name,
		       const char *digest, const char *predicate_type,
		       const void *predicate, size_t len,
		       struct buf *bundle_json);

/*
 * Verify an attestation, given either as a Sigstore bundle or as a bare
 * DSSE envelope: payload type in-toto, a signature by key over the PAE,
 * then the verified payload parsed as a statement that must name digest
 * among its subjects (ERR_DIGEST) and, when predicate_type is not NULL,
 * have that predicate type (ERR_INVALID). st must be initialised.
 */
int sign_verify_attestation(const struct sign_key *key, const void *doc,
			    size_t len, const char *digest,
			    const char *predicate_type,
			    struct sign_statement *st);

/* SHA-256 of a file, streamed. */
int sign_hash_file(const char *path, uint8_t hash[SHA256_LEN]);

#endif

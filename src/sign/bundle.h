/* Sigstore bundle v0.3 JSON with a public-key hint (no keyless, no log). */
#ifndef STELE_SIGN_BUNDLE_H
#define STELE_SIGN_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sign/dsse.h"
#include "sign/key.h"
#include "util/buf.h"
#include "util/sha256.h"

#define SIGN_BUNDLE_MEDIA_TYPE "application/vnd.dev.sigstore.bundle.v0.3+json"
/* The same version spelt the way the protobuf-specs name it. */
#define SIGN_BUNDLE_MEDIA_TYPE_ALT \
	"application/vnd.dev.sigstore.bundle+json;version=0.3"

enum sign_bundle_kind {
	SIGN_BUNDLE_NONE = 0,
	SIGN_BUNDLE_MESSAGE,  /* messageSignature over an artifact digest */
	SIGN_BUNDLE_DSSE,     /* dsseEnvelope */
};

/*
 * A parsed bundle; init with sign_bundle_init(), release with
 * sign_bundle_release() (NULL-safe). hint is "" when the bundle has none.
 * has_tlog notes transparency-log entries, which stele does not verify.
 * no_digest marks cosign's older bundle ({"base64Signature",...}), which
 * is accepted by sign_bundle_parse() and records no message digest.
 */
struct sign_bundle {
	enum sign_bundle_kind kind;
	char hint[SIGN_HINT_LEN];
	bool has_tlog;
	bool no_digest;
	uint8_t message_digest[SHA256_LEN];
	struct buf signature;   /* message signature, DER */
	struct sign_dsse dsse;
};

void sign_bundle_init(struct sign_bundle *b);
void sign_bundle_release(struct sign_bundle *b);

/*
 * Parse bundle JSON. ERR_UNSUPPORTED for other bundle versions and for
 * certificate (keyless) verification material; ERR_INVALID for a bundle
 * with both or neither content kinds, a digest algorithm other than
 * SHA2_256, duplicate keys or bad base64.
 */
int sign_bundle_parse(const void *json, size_t n, struct sign_bundle *b);

/* Sign the artifact hash and append a message-signature bundle to out. */
int sign_bundle_message(const struct sign_key *key,
			const uint8_t hash[SHA256_LEN], struct buf *out);

/* Sign payload as a DSSE envelope of type and append the bundle to out. */
int sign_bundle_dsse(const struct sign_key *key, const char *type,
		     const void *payload, size_t n, struct buf *out);

/*
 * Verify a message-signature bundle against the artifact's hash: the hint,
 * when present, must name key (ERR_DENIED), the recorded digest must be the
 * artifact's (ERR_DIGEST), and the signature must verify over the
 * artifact's hash (ERR_DENIED).
 */
int sign_bundle_verify_message(const struct sign_bundle *b,
			       const struct sign_key *key,
			       const uint8_t hash[SHA256_LEN]);

/* Verify a DSSE bundle: hint as above, then sign_dsse_verify(). */
int sign_bundle_verify_dsse(const struct sign_bundle *b,
			    const struct sign_key *key,
			    const char *expected_type);

#endif

/*
 * Verification of signature artifacts as manifests: what a registry runs
 * when one is uploaded, and what `stele verify` runs on what it fetched.
 * Blob access is a callback so the server (its store) and the client (a
 * remote registry) share this code.
 */
#ifndef STELE_SIGN_CHECK_H
#define STELE_SIGN_CHECK_H

#include <stddef.h>
#include <stdint.h>

#include "sign/keyring.h"
#include "sign/statement.h"
#include "util/buf.h"
#include "util/sha256.h"

/*
 * Put into out (cleared first, max bytes at most) the blob digest whose
 * descriptor says size bytes; the implementation must check the bytes
 * against digest. A non-zero return is reported as that signature's
 * failure.
 */
typedef int (*sign_fetch_fn)(void *arg, const char *digest, uint64_t size,
			     size_t max, struct buf *out);

enum sign_kind {
	SIGN_KIND_LEGACY = 1, /* layer of a sha256-<hex>.sig manifest */
	SIGN_KIND_BUNDLE,     /* Sigstore bundle referrer */
	SIGN_KIND_LEGACY_ATT, /* DSSE layer of a sha256-<hex>.att manifest */
};

/* Layers of cosign's legacy attestation manifests. */
#define SIGN_DSSE_MEDIA_TYPE "application/vnd.dsse.envelope.v1+json"

/* One signature found in a manifest and the verdict on it. */
struct sign_record {
	enum sign_kind kind;
	char manifest[DIGEST_STR_LEN];     /* digest of the manifest */
	size_t index;                      /* layer index (legacy) */
	char subject[DIGEST_STR_LEN];      /* the digest it claims to sign */
	int rc;                            /* 0 when verified */
	char reason[256];                  /* why not, when rc != 0 */
	char fingerprint[DIGEST_STR_LEN];  /* verifying key, "" if none */
	const char *key_name;              /* its name in the ring, or "" */
	char predicate_type[SIGN_PREDICATE_TYPE_MAX + 1]; /* bundles */
	const struct sign_statement *statement; /* verified bundles only */
};

typedef void (*sign_record_fn)(const struct sign_record *r, void *arg);

/*
 * Append r as one JSON object to out: kind ("legacy"/"bundle"), manifest,
 * index, subject, valid, reason, key, fingerprint, predicateType and, for
 * verified bundles, the predicate itself.
 */
int sign_record_to_json(const struct sign_record *r, struct buf *out);

/*
 * SIGN_KIND_LEGACY for a legacy signature tag "sha256-<64 hex>.sig",
 * SIGN_KIND_LEGACY_ATT for "sha256-<64 hex>.att", with the subject
 * digest; 0 for any other tag.
 */
int sign_legacy_tag(const char *tag, char subject[DIGEST_STR_LEN]);

/*
 * Inspect manifest (uploaded under tag, which may be NULL) and report each
 * signature it carries to fn, verified against ring: the simple-signing
 * layers of a legacy .sig manifest, or the bundle of a referrer whose
 * artifactType is the Sigstore bundle (its subject is the signed digest;
 * predicate_type, when not NULL, is required of the statement). A
 * manifest that carries no signature reports nothing and returns 0.
 * Returns non-zero only for a malformed or oversized manifest.
 */
int sign_check_manifest(const void *manifest, size_t len, const char *tag,
			const struct sign_keyring *ring,
			const char *predicate_type, sign_fetch_fn fetch,
			void *fetch_arg, sign_record_fn fn, void *arg);

#endif

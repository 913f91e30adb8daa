/*
 * Signatures in a registry, where cosign puts them: the legacy
 * "sha256-<hex>.sig" tag (simple-signing layers with the signature in an
 * annotation) and Sigstore bundles attached as referrers of the manifest.
 */
#ifndef STELE_SIGN_ATTACH_H
#define STELE_SIGN_ATTACH_H

#include <stdint.h>

#include "client/regclient.h"
#include "oci/ref.h"
#include "sign/check.h"
#include "sign/key.h"
#include "sign/keyring.h"
#include "util/sha256.h"

#define SIGN_COSIGN_SIG_ANNOTATION "dev.cosignproject.cosign/signature"
#define SIGN_BUNDLE_PREDICATE_ANNOTATION "dev.sigstore.bundle.predicateType"
#define SIGN_BUNDLE_CONTENT_ANNOTATION "dev.sigstore.bundle.content"
/* The predicate type of cosign's image signatures in bundle form. */
#define SIGN_IMAGE_PREDICATE_TYPE "https://sigstore.dev/cosign/sign/v1"
#define SIGN_ATTACH_MAX_LAYERS 64     /* signatures in one .sig manifest */
#define SIGN_ATTACH_MAX_REFERRERS 256 /* bundle referrers examined */

/* The manifest being signed: its repository, digest, type and size. */
struct sign_target {
	char repo[OCI_REPO_MAX + 1];
	char digest[DIGEST_STR_LEN];
	char media_type[REGCLIENT_MEDIA_TYPE_MAX + 1];
	uint64_t size;
	char name[OCI_HOST_MAX + OCI_REPO_MAX + 2]; /* host/repo */
};

/*
 * Parse text as a reference (the registry defaults to STELE_REGISTRY) and
 * open a client for its host with the config.json credentials, if any.
 */
int sign_registry_open(const char *text, struct oci_ref *ref,
		       struct regclient **out);

/* Fetch ref's manifest (tag or digest) to fill t; digest is verified. */
int sign_target_resolve(struct regclient *c, const struct oci_ref *ref,
			struct sign_target *t);

/*
 * Sign t's digest as cosign does in the legacy format and add the layer
 * to the "sha256-<hex>.sig" manifest (created, or extended keeping the
 * signatures already there).
 */
int sign_attach_legacy(struct regclient *c, const struct sign_target *t,
		       const struct sign_key *key);

/*
 * Attach bundle (JSON text) as a referrer of t: an OCI manifest with
 * artifactType bundle v0.3, the empty config, the bundle as its layer,
 * the predicate type annotation and t as subject. When the registry has
 * no referrers API, the "sha256-<hex>" tag index is updated as the
 * distribution spec's fallback says. digest_out gets the manifest digest.
 */
int sign_attach_bundle(struct regclient *c, const struct sign_target *t,
		       const char *bundle, size_t len,
		       const char *predicate_type,
		       char digest_out[DIGEST_STR_LEN]);

/*
 * Sign statement (in-toto JSON about t) in a DSSE envelope and add it as
 * a layer of the "sha256-<hex>.att" manifest, as 'cosign attest' does
 * without --new-bundle-format.
 */
int sign_attach_legacy_attestation(struct regclient *c,
				   const struct sign_target *t,
				   const struct sign_key *key,
				   const char *statement, size_t len,
				   const char *predicate_type);

/* Sign t in bundle form (a DSSE in-toto statement of type sign/v1). */
int sign_attach_image_bundle(struct regclient *c,
			     const struct sign_target *t,
			     const struct sign_key *key);

/*
 * Verify every legacy signature of t against ring (sign_check_manifest()
 * on the "sha256-<hex>.sig" manifest), reporting each to fn; *nvalid
 * counts those that verified. A missing .sig tag is nothing found.
 */
int sign_verify_legacy(struct regclient *c, const struct sign_target *t,
		       const struct sign_keyring *ring, sign_record_fn fn,
		       void *arg, int *nvalid);

/*
 * The same for cosign's legacy attestations: the DSSE layers of the
 * "sha256-<hex>.att" manifest, with predicate_type required when not NULL.
 */
int sign_verify_legacy_attestations(struct regclient *c,
				    const struct sign_target *t,
				    const struct sign_keyring *ring,
				    const char *predicate_type,
				    sign_record_fn fn, void *arg,
				    int *nvalid);

/*
 * Verify every bundle referrer of t whose statement has predicate_type
 * (NULL: any but the image-signature type), reporting each to fn. A
 * referrer whose manifest subject or statement subject is not t is
 * reported invalid (ERR_DIGEST), never counted.
 */
int sign_verify_referrers(struct regclient *c, const struct sign_target *t,
			  const struct sign_keyring *ring,
			  const char *predicate_type, sign_record_fn fn,
			  void *arg, int *nvalid);

#endif

/* Classify and verify signature manifests; see check.h. */
#include "sign/check.h"
#include "sign/attach.h"
#include "sign/bundle.h"
#include "sign/payload.h"
#include "sign/sjson.h"
#include "oci/digest.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK_MANIFEST_MAX (4u << 20)

int sign_legacy_tag(const char *tag, char subject[DIGEST_STR_LEN])
{
	const char *suffix;
	char d[DIGEST_STR_LEN];

	if (!tag || strlen(tag) != 7 + SHA256_HEX_LEN + 4 ||
	    strncmp(tag, "sha256-", 7))
		return 0;
	suffix = tag + 7 + SHA256_HEX_LEN;
	if (strcmp(suffix, ".sig") && strcmp(suffix, ".att"))
		return 0;
	snprintf(d, sizeof(d), "sha256:%.*s", SHA256_HEX_LEN, tag + 7);
	if (!oci_digest_valid(d))
		return 0;
	memcpy(subject, d, DIGEST_STR_LEN);
	return strcmp(suffix, ".sig") ? SIGN_KIND_LEGACY_ATT :
					SIGN_KIND_LEGACY;
}

struct check_ctx {
	const struct sign_keyring *ring;
	const char *predicate_type;
	sign_fetch_fn fetch;
	void *fetch_arg;
	sign_record_fn fn;
	void *arg;
	char manifest[DIGEST_STR_LEN];
};

/* Fetch a blob named by an untrusted descriptor, its size checked first. */
static int check_blob(const struct check_ctx *x, json_t *desc, size_t max,
		      struct buf *out)
{
	json_t *size = json_object_get(desc, "size");
	const char *digest = json_string_value(json_object_get(desc,
							       "digest"));

	if (!digest || !oci_digest_valid(digest))
		return err_set(ERR_INVALID, "layer has no valid digest");
	if (!json_is_integer(size) || json_integer_value(size) < 0 ||
	    (uint64_t)json_integer_value(size) > max)
		return err_set(ERR_LIMIT, "layer %s: size missing or over %zu "
			       "bytes", digest, max);
	return x->fetch(x->fetch_arg, digest,
			(uint64_t)json_integer_value(size), max, out);
}

static void check_report(const struct check_ctx *x, struct sign_record *r,
			 int rc, size_t which)
{
	r->rc = rc;
	r->key_name = "";
	memcpy(r->manifest, x->manifest, DIGEST_STR_LEN);
	if (rc)
		snprintf(r->reason, sizeof(r->reason), "%s", err_msg());
	if (!rc) {
		memcpy(r->fingerprint, x->ring->fingerprints[which],
		       DIGEST_STR_LEN);
		r->key_name = x->ring->names[which];
	}
	x->fn(r, x->arg);
}

static int check_legacy_layer(const struct check_ctx *x, json_t *layer,
			      const char *subject, size_t *which)
{
	struct buf payload = BUF_INIT(SIGN_PAYLOAD_MAX);
	const char *mt, *sig;
	int rc;

	mt = json_string_value(json_object_get(layer, "mediaType"));
	sig = json_string_value(json_object_get(json_object_get(layer,
		"annotations"), SIGN_COSIGN_SIG_ANNOTATION));
	if (!mt || strcmp(mt, SIGN_PAYLOAD_MEDIA_TYPE))
		return err_set(ERR_UNSUPPORTED, "layer is not a "
			       "simple-signing payload");
	if (!sig)
		return err_set(ERR_INVALID, "layer has no %s annotation",
			       SIGN_COSIGN_SIG_ANNOTATION);
	rc = check_blob(x, layer, SIGN_PAYLOAD_MAX, &payload);
	if (!rc)
		rc = sign_keyring_verify_payload(x->ring, payload.data,
						 payload.len, sig, strlen(sig),
						 subject, which);
	buf_release(&payload);
	return rc;
}

/* cosign attest without bundles: a bare DSSE envelope per layer. */
static int check_att_layer(const struct check_ctx *x, json_t *layer,
			   struct sign_record *r, struct sign_statement *st,
			   size_t *which)
{
	const char *mt = json_string_value(json_object_get(layer,
							   "mediaType"));
	struct buf env = BUF_INIT(SIGN_JSON_MAX);
	int rc;

	if (!mt || strcmp(mt, SIGN_DSSE_MEDIA_TYPE))
		return err_set(ERR_UNSUPPORTED, "layer is not a DSSE envelope");
	rc = check_blob(x, layer, SIGN_JSON_MAX, &env);
	if (!rc)
		rc = sign_keyring_verify_attestation(x->ring, env.data,
						     env.len, r->subject,
						     x->predicate_type, st,
						     which);
	buf_release(&env);
	if (!rc) {
		snprintf(r->predicate_type, sizeof(r->predicate_type), "%s",
			 st->predicate_type);
		r->statement = st;
	}
	return rc;
}

static int check_legacy(const struct check_ctx *x, json_t *root,
			const char *subject, enum sign_kind kind)
{
	json_t *layers = json_object_get(root, "layers"), *l;
	struct sign_statement *st = malloc(sizeof(*st));
	struct sign_record r;
	size_t i, which = 0;
	int rc;

	if (!st)
		return err_set(ERR_NOMEM, "out of memory");
	sign_statement_init(st);
	rc = json_is_array(layers) ? 0 : err_set(ERR_INVALID, "signature "
						 "manifest has no layers");
	if (!rc && json_array_size(layers) > SIGN_ATTACH_MAX_LAYERS)
		rc = err_set(ERR_LIMIT, "signature manifest has more than %d "
			     "layers", SIGN_ATTACH_MAX_LAYERS);
	json_array_foreach(rc ? NULL : layers, i, l) {
		memset(&r, 0, sizeof(r));
		r.kind = kind;
		r.index = i;
		memcpy(r.subject, subject, DIGEST_STR_LEN);
		/* Separate statements: which is set by the call. */
		if (kind == SIGN_KIND_LEGACY)
			rc = check_legacy_layer(x, l, subject, &which);
		else
			rc = check_att_layer(x, l, &r, st, &which);
		check_report(x, &r, rc, which);
		sign_statement_release(st);
		rc = 0;
	}
	free(st);
	return rc;
}

static int check_bundle_verify(const struct check_ctx *x, json_t *root,
			       struct sign_record *r,
			       struct sign_statement *st, size_t *which)
{
	json_t *layer = json_array_get(json_object_get(root, "layers"), 0);
	const char *mt = json_string_value(json_object_get(layer,
							   "mediaType"));
	struct buf bundle = BUF_INIT(SIGN_JSON_MAX);
	int rc;

	if (!mt || strcmp(mt, SIGN_BUNDLE_MEDIA_TYPE))
		return err_set(ERR_INVALID, "referrer's first layer is not a "
			       "sigstore bundle");
	rc = check_blob(x, layer, SIGN_JSON_MAX, &bundle);
	if (!rc)
		rc = sign_keyring_verify_attestation(x->ring, bundle.data,
						     bundle.len, r->subject,
						     x->predicate_type, st,
						     which);
	buf_release(&bundle);
	if (!rc) {
		snprintf(r->predicate_type, sizeof(r->predicate_type), "%s",
			 st->predicate_type);
		r->statement = st;
	}
	return rc;
}

static int check_bundle(const struct check_ctx *x, json_t *root,
			const char *subject)
{
	struct sign_statement *st = malloc(sizeof(*st));
	struct sign_record r;
	size_t which = 0;
	int rc;

	if (!st)
		return err_set(ERR_NOMEM, "out of memory");
	sign_statement_init(st);
	memset(&r, 0, sizeof(r));
	r.kind = SIGN_KIND_BUNDLE;
	memcpy(r.subject, subject, DIGEST_STR_LEN);
	rc = check_bundle_verify(x, root, &r, st, &which);
	check_report(x, &r, rc, which);
	sign_statement_release(st);
	free(st);
	return 0;
}

/* The subject of a bundle referrer, or "" for any other manifest. */
static int check_referrer_subject(json_t *root, char subject[DIGEST_STR_LEN])
{
	const char *at = json_string_value(json_object_get(root,
							   "artifactType"));
	const char *d = json_string_value(json_object_get(json_object_get(
		root, "subject"), "digest"));

	subject[0] = '\0';
	if (!at || strcmp(at, SIGN_BUNDLE_MEDIA_TYPE))
		return 0;
	if (!d || !oci_digest_valid(d))
		return err_set(ERR_INVALID, "bundle referrer has no valid "
			       "subject digest");
	memcpy(subject, d, DIGEST_STR_LEN);
	return 0;
}

int sign_check_manifest(const void *manifest, size_t len, const char *tag,
			const struct sign_keyring *ring,
			const char *predicate_type, sign_fetch_fn fetch,
			void *fetch_arg, sign_record_fn fn, void *arg)
{
	struct check_ctx x = { ring, predicate_type, fetch, fetch_arg, fn,
			       arg, "" };
	char subject[DIGEST_STR_LEN];
	json_t *root;
	int rc, kind;

	if (len > CHECK_MANIFEST_MAX)
		return err_set(ERR_LIMIT, "manifest larger than %u bytes",
			       CHECK_MANIFEST_MAX);
	rc = sign_json_load(manifest, len, "manifest", &root);
	if (rc)
		return rc;
	sha256_digest_buf(manifest, len, x.manifest);
	kind = sign_legacy_tag(tag, subject);
	if (kind) {
		rc = check_legacy(&x, root, subject, kind);
	} else {
		rc = check_referrer_subject(root, subject);
		if (!rc && subject[0])
			rc = check_bundle(&x, root, subject);
	}
	json_decref(root);
	return rc;
}

int sign_record_to_json(const struct sign_record *r, struct buf *out)
{
	json_t *j, *pred = NULL;
	int rc;

	if (r->statement && r->statement->predicate.len &&
	    sign_json_load(r->statement->predicate.data,
			   r->statement->predicate.len, "predicate", &pred))
		return ERR_INVALID;
	j = json_pack("{s:s,s:s,s:I,s:s,s:b,s:s,s:s,s:s,s:s}",
		      "kind", r->kind == SIGN_KIND_LEGACY ? "legacy" :
		      r->kind == SIGN_KIND_LEGACY_ATT ? "legacy-attestation" :
		      "bundle",
		      "manifest", r->manifest, "index", (json_int_t)r->index,
		      "subject", r->subject, "valid", r->rc == 0,
		      "reason", r->rc ? r->reason : "",
		      "key", r->key_name ? r->key_name : "",
		      "fingerprint", r->fingerprint,
		      "predicateType", r->predicate_type);
	if (j && pred)
		json_object_set(j, "predicate", pred);
	json_decref(pred);
	if (!j)
		return err_set(ERR_NOMEM, "cannot encode signature record");
	rc = sign_json_dump(j, out);
	json_decref(j);
	return rc;
}

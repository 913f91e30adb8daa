/* Sigstore bundles v0.3: build, strict parse, verification. */
#include "sign/bundle.h"
#include "sign/b64.h"
#include "sign/dsse_json.h"
#include "sign/sjson.h"
#include "util/err.h"

#include <string.h>

#define WHAT "sigstore bundle"

void sign_bundle_init(struct sign_bundle *b)
{
	memset(b, 0, sizeof(*b));
	buf_init(&b->signature, SIGN_SIG_MAX);
	sign_dsse_init(&b->dsse);
}

void sign_bundle_release(struct sign_bundle *b)
{
	if (!b)
		return;
	buf_release(&b->signature);
	sign_dsse_release(&b->dsse);
	sign_bundle_init(b);
}

static int bundle_material(json_t *root, struct sign_bundle *b)
{
	json_t *vm, *pk, *hint, *tlog;
	int rc;

	rc = sign_json_obj(root, "verificationMaterial", WHAT, &vm);
	if (rc)
		return rc;
	if (json_object_get(vm, "certificate") ||
	    json_object_get(vm, "x509CertificateChain"))
		return err_set(ERR_UNSUPPORTED, WHAT ": certificate (keyless) "
			       "verification material is not supported, only "
			       "public keys");
	rc = sign_json_obj(vm, "publicKey", WHAT " verificationMaterial",
			   &pk);
	if (rc)
		return rc;
	hint = json_object_get(pk, "hint");
	if (hint && (!json_is_string(hint) ||
		     json_string_length(hint) >= SIGN_HINT_LEN))
		return err_set(ERR_INVALID, WHAT ": public key hint is not a "
			       "base64 SHA-256");
	if (hint)
		strcpy(b->hint, json_string_value(hint));
	tlog = json_object_get(vm, "tlogEntries");
	if (tlog && !json_is_array(tlog))
		return err_set(ERR_INVALID, WHAT ": tlogEntries is not an "
			       "array");
	b->has_tlog = json_array_size(tlog) > 0;
	return 0;
}

static int bundle_message(json_t *ms, struct sign_bundle *b)
{
	struct buf d = BUF_INIT(SIGN_SIG_MAX);
	const char *alg = NULL;
	json_t *md;
	int rc;

	rc = sign_json_obj(ms, "messageDigest", WHAT " messageSignature", &md);
	if (!rc)
		rc = sign_json_str(md, "algorithm", WHAT " messageDigest",
				   &alg);
	if (!rc && strcmp(alg, "SHA2_256"))
		rc = err_set(ERR_UNSUPPORTED, WHAT ": message digest "
			     "algorithm '%s' is not SHA2_256", alg);
	if (!rc)
		rc = sign_json_b64(md, "digest", WHAT " messageDigest", &d);
	if (!rc && d.len != SHA256_LEN)
		rc = err_set(ERR_INVALID, WHAT ": message digest of %zu bytes "
			     "is not a SHA-256", d.len);
	if (!rc)
		memcpy(b->message_digest, d.data, SHA256_LEN);
	if (!rc)
		rc = sign_json_b64(ms, "signature", WHAT " messageSignature",
				   &b->signature);
	buf_release(&d);
	if (!rc)
		b->kind = SIGN_BUNDLE_MESSAGE;
	return rc;
}

static int bundle_content(json_t *root, struct sign_bundle *b)
{
	json_t *ms = json_object_get(root, "messageSignature");
	json_t *env = json_object_get(root, "dsseEnvelope");
	int rc;

	if ((ms != NULL) == (env != NULL))
		return err_set(ERR_INVALID, WHAT " must hold exactly one of "
			       "messageSignature and dsseEnvelope");
	if (ms && !json_is_object(ms))
		return err_set(ERR_INVALID, WHAT ": messageSignature is not "
			       "an object");
	if (ms)
		return bundle_message(ms, b);
	if (!json_is_object(env))
		return err_set(ERR_INVALID, WHAT ": dsseEnvelope is not an "
			       "object");
	rc = sign_dsse_from_json(env, &b->dsse);
	if (!rc)
		b->kind = SIGN_BUNDLE_DSSE;
	return rc;
}

/*
 * cosign's bundle before --new-bundle-format: {"base64Signature","cert",
 * "rekorBundle"}. It records no digest; the signature is over the blob.
 */
static int bundle_cosign_legacy(json_t *root, struct sign_bundle *b)
{
	json_t *cert = json_object_get(root, "cert");
	int rc;

	if (cert && !json_is_null(cert) && json_string_length(cert))
		return err_set(ERR_UNSUPPORTED, WHAT ": certificate (keyless) "
			       "signatures are not supported");
	rc = sign_json_b64(root, "base64Signature", WHAT, &b->signature);
	if (rc)
		return rc;
	b->kind = SIGN_BUNDLE_MESSAGE;
	b->no_digest = true;
	b->has_tlog = json_object_get(root, "rekorBundle") &&
		      !json_is_null(json_object_get(root, "rekorBundle"));
	return 0;
}

int sign_bundle_parse(const void *json, size_t n, struct sign_bundle *b)
{
	const char *mt = NULL;
	json_t *root;
	int rc;

	sign_bundle_release(b);
	rc = sign_json_load(json, n, WHAT, &root);
	if (rc)
		return rc;
	if (!json_object_get(root, "mediaType") &&
	    json_object_get(root, "base64Signature")) {
		rc = bundle_cosign_legacy(root, b);
		json_decref(root);
		if (rc)
			sign_bundle_release(b);
		return rc;
	}
	rc = sign_json_str(root, "mediaType", WHAT, &mt);
	if (!rc && strcmp(mt, SIGN_BUNDLE_MEDIA_TYPE) &&
	    strcmp(mt, SIGN_BUNDLE_MEDIA_TYPE_ALT))
		rc = err_set(ERR_UNSUPPORTED, WHAT ": media type '%s' is not "
			     "bundle v0.3", mt);
	if (!rc)
		rc = bundle_material(root, b);
	if (!rc)
		rc = bundle_content(root, b);
	json_decref(root);
	if (rc)
		sign_bundle_release(b);
	return rc;
}

static int bundle_emit(const struct sign_key *key, const char *content_key,
		       json_t *content, struct buf *out)
{
	char hint[SIGN_HINT_LEN];
	json_t *j;
	int rc = sign_key_hint(key, hint);

	if (rc) {
		json_decref(content);
		return rc;
	}
	j = json_pack("{s:s,s:{s:{s:s}},s:o}", "mediaType",
		      SIGN_BUNDLE_MEDIA_TYPE, "verificationMaterial",
		      "publicKey", "hint", hint, content_key, content);
	if (!j)
		return err_set(ERR_NOMEM, "cannot build " WHAT);
	rc = sign_json_dump(j, out);
	json_decref(j);
	return rc;
}

int sign_bundle_message(const struct sign_key *key,
			const uint8_t hash[SHA256_LEN], struct buf *out)
{
	struct buf sig = BUF_INIT(SIGN_SIG_MAX);
	struct buf sig64 = BUF_INIT(2 * SIGN_SIG_MAX);
	struct buf d64 = BUF_INIT(64);
	json_t *ms;
	int rc;

	rc = sign_ecdsa_sign(key, hash, &sig);
	if (!rc)
		rc = sign_b64_encode(sig.data, sig.len, &sig64);
	if (!rc)
		rc = sign_b64_encode(hash, SHA256_LEN, &d64);
	if (rc)
		goto out;
	ms = json_pack("{s:{s:s,s:s},s:s}", "messageDigest", "algorithm",
		       "SHA2_256", "digest", d64.data, "signature",
		       sig64.data);
	rc = ms ? bundle_emit(key, "messageSignature", ms, out)
		: err_set(ERR_NOMEM, "cannot build " WHAT);
out:
	buf_release(&sig);
	buf_release(&sig64);
	buf_release(&d64);
	return rc;
}

int sign_bundle_dsse(const struct sign_key *key, const char *type,
		     const void *payload, size_t n, struct buf *out)
{
	json_t *env;
	int rc = sign_dsse_to_json(key, type, payload, n, false, &env);

	if (rc)
		return rc;
	return bundle_emit(key, "dsseEnvelope", env, out);
}

static int bundle_check_hint(const struct sign_bundle *b,
			     const struct sign_key *key)
{
	char hint[SIGN_HINT_LEN];
	int rc;

	if (!b->hint[0])
		return 0;
	rc = sign_key_hint(key, hint);
	if (rc)
		return rc;
	if (strcmp(hint, b->hint))
		return err_set(ERR_DENIED, WHAT " names public key %s, not "
			       "the verifying key %s", b->hint, hint);
	return 0;
}

int sign_bundle_verify_message(const struct sign_bundle *b,
			       const struct sign_key *key,
			       const uint8_t hash[SHA256_LEN])
{
	int rc;

	if (b->kind != SIGN_BUNDLE_MESSAGE)
		return err_set(ERR_INVALID, WHAT " holds a DSSE envelope, not "
			       "a message signature");
	rc = bundle_check_hint(b, key);
	if (rc)
		return rc;
	if (!b->no_digest && memcmp(b->message_digest, hash, SHA256_LEN))
		return err_set(ERR_DIGEST, WHAT " message digest is not the "
			       "artifact's SHA-256");
	return sign_ecdsa_verify(key, hash, b->signature.data,
				 b->signature.len);
}

int sign_bundle_verify_dsse(const struct sign_bundle *b,
			    const struct sign_key *key,
			    const char *expected_type)
{
	int rc;

	if (b->kind != SIGN_BUNDLE_DSSE)
		return err_set(ERR_INVALID, WHAT " holds a message signature, "
			       "not a DSSE envelope");
	rc = bundle_check_hint(b, key);
	if (rc)
		return rc;
	return sign_dsse_verify(&b->dsse, key, expected_type);
}

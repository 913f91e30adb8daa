/* Verification of the signatures and attestations attached to a target. */
#include "sign/attach.h"
#include "sign/bundle.h"
#include "sign/payload.h"
#include "sign/sign.h"
#include "sign/sjson.h"
#include "sign/statement.h"
#include "oci/digest.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int found_blob_sink(const void *p, size_t n, void *arg)
{
	return buf_put(arg, p, n);
}

/* Fetch a small blob named by an untrusted descriptor, size checked first. */
static int found_get_blob(struct regclient *c, const char *repo,
			  json_t *desc, size_t max, struct buf *out)
{
	json_t *size = json_object_get(desc, "size");
	const char *digest = json_string_value(json_object_get(desc,
							       "digest"));

	if (!digest || !oci_digest_valid(digest))
		return err_set(ERR_INVALID, "descriptor has no valid digest");
	if (!json_is_integer(size) || json_integer_value(size) < 0 ||
	    (uint64_t)json_integer_value(size) > max)
		return err_set(ERR_LIMIT, "blob %s: size missing or over %zu "
			       "bytes", digest, max);
	buf_release(out);
	buf_init(out, max);
	return regclient_blob_get(c, repo, digest,
				  (uint64_t)json_integer_value(size),
				  found_blob_sink, out);
}

static void found_report(sign_found_fn fn, void *arg, const char *where,
			 int rc, const struct sign_statement *st)
{
	struct sign_found f = {
		.where = where, .rc = rc, .reason = rc ? err_msg() : "",
		.predicate_type = st ? st->predicate_type : NULL,
		.predicate = st ? buf_cstr(&st->predicate) : "",
	};

	fn(&f, arg);
}

static int legacy_layer(struct regclient *c, const struct sign_target *t,
			const struct sign_key *key, json_t *layer)
{
	struct buf payload = BUF_INIT(SIGN_PAYLOAD_MAX);
	const char *mt, *sig;
	struct sign_payload pl;
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
	rc = found_get_blob(c, t->repo, layer, SIGN_PAYLOAD_MAX, &payload);
	if (!rc)
		rc = sign_verify_image_payload(key, payload.data, payload.len,
					       sig, strlen(sig), t->digest,
					       &pl);
	buf_release(&payload);
	return rc;
}

static int legacy_manifest(struct regclient *c, const struct sign_target *t,
			   const char *tag, json_t **layers)
{
	struct buf body = BUF_INIT(REGCLIENT_MANIFEST_MAX);
	char digest[DIGEST_STR_LEN];
	json_t *root = NULL;
	int rc;

	*layers = NULL;
	rc = regclient_manifest_get(c, t->repo, tag, &body, digest, NULL);
	if (!rc)
		rc = sign_json_load(body.data, body.len, tag, &root);
	buf_release(&body);
	if (rc)
		return rc;
	*layers = json_incref(json_object_get(root, "layers"));
	json_decref(root);
	if (!json_is_array(*layers))
		return err_set(ERR_INVALID, "'%s' has no layers", tag);
	if (json_array_size(*layers) > SIGN_ATTACH_MAX_LAYERS)
		return err_set(ERR_LIMIT, "'%s' has more than %d layers", tag,
			       SIGN_ATTACH_MAX_LAYERS);
	return 0;
}

int sign_verify_legacy(struct regclient *c, const struct sign_target *t,
		       const struct sign_key *key, sign_found_fn fn,
		       void *arg, int *nvalid)
{
	char tag[DIGEST_STR_LEN + 8], where[DIGEST_STR_LEN + 40];
	json_t *layers = NULL, *l;
	size_t i;
	int rc;

	*nvalid = 0;
	snprintf(tag, sizeof(tag), "sha256-%s.sig", oci_digest_hex(t->digest));
	rc = legacy_manifest(c, t, tag, &layers);
	if (rc == ERR_NOTFOUND) {
		err_clear();
		return 0;
	}
	if (rc) {
		json_decref(layers);
		return rc;
	}
	json_array_foreach(layers, i, l) {
		snprintf(where, sizeof(where), "%s layer %zu", tag, i);
		rc = legacy_layer(c, t, key, l);
		found_report(fn, arg, where, rc, NULL);
		*nvalid += rc == 0;
	}
	json_decref(layers);
	return 0;
}

static int referrer_bundle(struct regclient *c, const struct sign_target *t,
			   const char *digest, struct buf *bundle)
{
	struct buf body = BUF_INIT(REGCLIENT_MANIFEST_MAX);
	char got[DIGEST_STR_LEN];
	const char *subj, *mt;
	json_t *root = NULL, *layer;
	int rc;

	rc = regclient_manifest_get(c, t->repo, digest, &body, got, NULL);
	if (!rc)
		rc = sign_json_load(body.data, body.len, digest, &root);
	buf_release(&body);
	if (rc)
		return rc;
	subj = json_string_value(json_object_get(json_object_get(root,
		"subject"), "digest"));
	layer = json_array_get(json_object_get(root, "layers"), 0);
	mt = json_string_value(json_object_get(layer, "mediaType"));
	if (!subj || strcmp(subj, t->digest))
		rc = err_set(ERR_DIGEST, "referrer's subject is %s, not %s",
			     subj ? subj : "missing", t->digest);
	else if (!mt || strcmp(mt, SIGN_BUNDLE_MEDIA_TYPE))
		rc = err_set(ERR_INVALID, "referrer's first layer is not a "
			     "sigstore bundle");
	else
		rc = found_get_blob(c, t->repo, layer, SIGN_JSON_MAX, bundle);
	json_decref(root);
	return rc;
}

/* Skip, by the (unsigned) annotation, referrers of another type. */
static bool referrer_wanted(json_t *desc, const char *predicate_type)
{
	const char *a = json_string_value(json_object_get(json_object_get(
		desc, "annotations"), SIGN_BUNDLE_PREDICATE_ANNOTATION));

	const char *at = json_string_value(json_object_get(desc,
							   "artifactType"));

	if (at && strcmp(at, SIGN_BUNDLE_MEDIA_TYPE) &&
	    strcmp(at, "application/vnd.oci.empty.v1+json"))
		return false;
	if (!a)
		return true;
	if (predicate_type)
		return !strcmp(a, predicate_type);
	return strcmp(a, SIGN_IMAGE_PREDICATE_TYPE) != 0;
}

static int referrer_one(struct regclient *c, const struct sign_target *t,
			const struct sign_key *key, const char *digest,
			const char *predicate_type,
			struct sign_statement *st)
{
	struct buf bundle = BUF_INIT(SIGN_JSON_MAX);
	int rc;

	if (!digest || !oci_digest_valid(digest))
		return err_set(ERR_INVALID, "referrer without a valid digest");
	rc = referrer_bundle(c, t, digest, &bundle);
	if (!rc)
		rc = sign_verify_attestation(key, bundle.data, bundle.len,
					     t->digest, predicate_type, st);
	buf_release(&bundle);
	return rc;
}

static int referrers_list(struct regclient *c, const struct sign_target *t,
			  json_t **list)
{
	struct buf idx = BUF_INIT(REGCLIENT_JSON_MAX);
	json_t *root = NULL;
	int rc;

	*list = NULL;
	/*
	 * No server-side filter: cosign's fallback index entries carry the
	 * empty config type as artifactType, so the type is checked below
	 * and again on the manifest itself.
	 */
	rc = regclient_referrers(c, t->repo, t->digest, NULL, &idx);
	if (!rc)
		rc = sign_json_load(idx.data, idx.len, "referrers index",
				    &root);
	buf_release(&idx);
	if (rc)
		return rc;
	*list = json_incref(json_object_get(root, "manifests"));
	json_decref(root);
	if (!json_is_array(*list))
		return err_set(ERR_INVALID, "referrers index has no list");
	if (json_array_size(*list) > SIGN_ATTACH_MAX_REFERRERS)
		return err_set(ERR_LIMIT, "more than %d referrers",
			       SIGN_ATTACH_MAX_REFERRERS);
	return 0;
}

int sign_verify_referrers(struct regclient *c, const struct sign_target *t,
			  const struct sign_key *key,
			  const char *predicate_type, sign_found_fn fn,
			  void *arg, int *nvalid)
{
	struct sign_statement *st = malloc(sizeof(*st));
	char where[DIGEST_STR_LEN + 16];
	json_t *list = NULL, *d;
	size_t i;
	int rc;

	*nvalid = 0;
	if (!st)
		return err_set(ERR_NOMEM, "out of memory");
	sign_statement_init(st);
	rc = referrers_list(c, t, &list);
	json_array_foreach(rc ? NULL : list, i, d) {
		const char *digest = json_string_value(json_object_get(
							d, "digest"));

		if (!referrer_wanted(d, predicate_type))
			continue;
		snprintf(where, sizeof(where), "referrer %s",
			 digest ? digest : "?");
		rc = referrer_one(c, t, key, digest, predicate_type, st);
		if (!rc && !predicate_type && !strcmp(st->predicate_type,
					SIGN_IMAGE_PREDICATE_TYPE))
			continue;
		found_report(fn, arg, where, rc, rc ? NULL : st);
		*nvalid += rc == 0;
		sign_statement_release(st);
		rc = 0;
	}
	json_decref(list);
	sign_statement_release(st);
	free(st);
	return rc;
}

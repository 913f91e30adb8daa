/* Signatures stored in a registry the way cosign stores them. */
#include "sign/attach.h"
#include "sign/bundle.h"
#include "sign/dsse.h"
#include "sign/payload.h"
#include "sign/sign.h"
#include "sign/sjson.h"
#include "sign/statement.h"
#include "client/creds.h"
#include "oci/digest.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OCI_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define OCI_INDEX_TYPE "application/vnd.oci.image.index.v1+json"
#define OCI_CONFIG_TYPE "application/vnd.oci.image.config.v1+json"
#define OCI_EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define COSIGN_ZERO_TIME "0001-01-01T00:00:00Z"

int sign_registry_open(const char *text, struct oci_ref *ref,
		       struct regclient **out)
{
	struct regclient_opts opts = { 0 };
	struct creds cr = { 0 };
	const char *env = getenv("STELE_REGISTRY");
	int rc;

	*out = NULL;
	rc = oci_ref_parse(text, ref);
	if (rc)
		return rc;
	if (!ref->host[0] && env && *env) {
		if (strlen(env) > OCI_HOST_MAX ||
		    strspn(env, "abcdefghijklmnopqrstuvwxyz"
			   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") !=
		    strlen(env))
			return err_set(ERR_INVALID, "STELE_REGISTRY is not a "
				       "host[:port]");
		snprintf(ref->host, sizeof(ref->host), "%s", env);
	}
	if (!ref->host[0])
		return err_set(ERR_USAGE, "'%s' names no registry and "
			       "STELE_REGISTRY is not set", text);
	rc = creds_load(ref->host, &cr);
	if (rc && rc != ERR_NOTFOUND)
		return rc;
	opts.username = cr.username;
	opts.password = cr.password;
	opts.identity_token = cr.identity_token;
	rc = regclient_new(ref->host, &opts, out);
	creds_release(&cr);
	return rc;
}

int sign_target_resolve(struct regclient *c, const struct oci_ref *ref,
			struct sign_target *t)
{
	struct buf body = BUF_INIT(REGCLIENT_MANIFEST_MAX);
	const char *reference = ref->digest[0] ? ref->digest :
				ref->tag[0] ? ref->tag : "latest";
	int rc;

	memset(t, 0, sizeof(*t));
	snprintf(t->repo, sizeof(t->repo), "%s", ref->repo);
	snprintf(t->name, sizeof(t->name), "%s%s%s", ref->host,
		 ref->host[0] ? "/" : "", ref->repo);
	rc = regclient_manifest_get(c, ref->repo, reference, &body, t->digest,
				    t->media_type);
	t->size = body.len;
	buf_release(&body);
	if (!rc && !t->media_type[0])
		snprintf(t->media_type, sizeof(t->media_type), "%s",
			 OCI_MANIFEST_TYPE);
	return rc;
}

static json_t *attach_descriptor(const char *media_type, uint64_t size,
				 const char *digest)
{
	return json_pack("{s:s,s:I,s:s}", "mediaType", media_type,
			 "size", (json_int_t)size, "digest", digest);
}

/* Upload text as a blob and return its descriptor. */
static int attach_put(struct regclient *c, const char *repo,
		      const char *media_type, const char *p, size_t n,
		      json_t **desc)
{
	char digest[DIGEST_STR_LEN];
	int rc = regclient_blob_put_buf(c, repo, p, n, digest);

	if (rc)
		return rc;
	*desc = attach_descriptor(media_type, n, digest);
	return *desc ? 0 : err_set(ERR_NOMEM, "out of memory");
}

/* Dump j and PUT it as a manifest under reference (NULL: its digest). */
static int attach_put_manifest(struct regclient *c, const char *repo,
			       const char *reference, const char *media_type,
			       json_t *j, char digest[DIGEST_STR_LEN])
{
	struct buf text = BUF_INIT(REGCLIENT_MANIFEST_MAX);
	char got[DIGEST_STR_LEN];
	int rc = sign_json_dump(j, &text);

	if (rc)
		goto out;
	sha256_digest_buf(text.data, text.len, digest);
	rc = regclient_manifest_put(c, repo, reference ? reference : digest,
				    media_type, text.data, text.len, got);
	if (!rc && strcmp(got, digest))
		rc = err_set(ERR_DIGEST, "registry stored manifest as %s, "
			     "not %s", got, digest);
out:
	buf_release(&text);
	return rc;
}

/* The layers of an existing manifest under tag; [] when there is none. */
static int attach_existing(struct regclient *c, const char *repo,
			   const char *tag, const char *list_key,
			   json_t **out)
{
	struct buf body = BUF_INIT(REGCLIENT_MANIFEST_MAX);
	char digest[DIGEST_STR_LEN];
	json_t *root = NULL, *list;
	int rc;

	*out = NULL;
	rc = regclient_manifest_get(c, repo, tag, &body, digest, NULL);
	if (rc == ERR_NOTFOUND) {
		buf_release(&body);
		*out = json_array();
		return *out ? 0 : err_set(ERR_NOMEM, "out of memory");
	}
	if (!rc)
		rc = sign_json_load(body.data, body.len, tag, &root);
	buf_release(&body);
	if (rc)
		return rc;
	list = json_object_get(root, list_key);
	if (!json_is_array(list) ||
	    json_array_size(list) >= SIGN_ATTACH_MAX_LAYERS)
		rc = err_set(ERR_LIMIT, "'%s' has no %s list or %d entries "
			     "already", tag, list_key, SIGN_ATTACH_MAX_LAYERS);
	else
		*out = json_incref(list);
	json_decref(root);
	return rc;
}

/* cosign's config for .sig manifests: the layers as rootfs diff_ids. */
static int attach_sig_config(struct regclient *c, const char *repo,
			     json_t *layers, json_t **desc)
{
	json_t *ids = json_array(), *cfg, *l;
	struct buf text = BUF_INIT(REGCLIENT_MANIFEST_MAX);
	size_t i;
	int rc;

	json_array_foreach(layers, i, l)
		json_array_append(ids, json_object_get(l, "digest"));
	cfg = json_pack("{s:s,s:s,s:[{s:s}],s:s,s:{s:s,s:o},s:{}}",
			"architecture", "", "created", COSIGN_ZERO_TIME,
			"history", "created", COSIGN_ZERO_TIME, "os", "",
			"rootfs", "type", "layers", "diff_ids", ids,
			"config");
	rc = cfg ? sign_json_dump(cfg, &text)
		 : err_set(ERR_NOMEM, "out of memory");
	if (!rc)
		rc = attach_put(c, repo, OCI_CONFIG_TYPE, text.data, text.len,
				desc);
	json_decref(cfg);
	buf_release(&text);
	return rc;
}

static bool attach_has_layer(json_t *layers, json_t *layer)
{
	size_t i;
	json_t *l;

	json_array_foreach(layers, i, l)
		if (json_equal(l, layer))
			return true;
	return false;
}

/* Add layer to the manifest under tag, keeping the layers already there. */
static int attach_legacy_layer(struct regclient *c,
			       const struct sign_target *t, const char *tag,
			       json_t *layer)
{
	json_t *layers = NULL, *cfg = NULL, *m = NULL;
	char digest[DIGEST_STR_LEN];
	int rc;

	rc = attach_existing(c, t->repo, tag, "layers", &layers);
	if (!rc && !attach_has_layer(layers, layer))
		rc = json_array_append(layers, layer) ?
		     err_set(ERR_NOMEM, "out of memory") : 0;
	if (!rc)
		rc = attach_sig_config(c, t->repo, layers, &cfg);
	if (!rc)
		m = json_pack("{s:i,s:s,s:O,s:O}", "schemaVersion", 2,
			      "mediaType", OCI_MANIFEST_TYPE, "config", cfg,
			      "layers", layers);
	if (!rc && !m)
		rc = err_set(ERR_NOMEM, "out of memory");
	if (!rc)
		rc = attach_put_manifest(c, t->repo, tag, OCI_MANIFEST_TYPE, m,
					 digest);
	json_decref(m);
	json_decref(cfg);
	json_decref(layers);
	return rc;
}

int sign_attach_legacy(struct regclient *c, const struct sign_target *t,
		       const struct sign_key *key)
{
	struct buf payload = BUF_INIT(SIGN_PAYLOAD_MAX), sig = BUF_INIT(1024);
	char tag[DIGEST_STR_LEN + 8];
	json_t *layer = NULL;
	int rc;

	snprintf(tag, sizeof(tag), "sha256-%s.sig", oci_digest_hex(t->digest));
	rc = sign_image_payload(key, t->name, t->digest, &payload, &sig);
	if (!rc)
		rc = attach_put(c, t->repo, SIGN_PAYLOAD_MEDIA_TYPE,
				payload.data, payload.len, &layer);
	if (!rc && json_object_set_new(layer, "annotations", json_pack(
			"{s:s}", SIGN_COSIGN_SIG_ANNOTATION, sig.data)))
		rc = err_set(ERR_NOMEM, "out of memory");
	if (!rc)
		rc = attach_legacy_layer(c, t, tag, layer);
	json_decref(layer);
	buf_release(&payload);
	buf_release(&sig);
	return rc;
}

int sign_attach_legacy_attestation(struct regclient *c,
				   const struct sign_target *t,
				   const struct sign_key *key,
				   const char *statement, size_t len,
				   const char *predicate_type)
{
	struct buf env = BUF_INIT(0);
	char tag[DIGEST_STR_LEN + 8];
	json_t *layer = NULL;
	int rc;

	buf_init(&env, 2 * SIGN_JSON_MAX);
	snprintf(tag, sizeof(tag), "sha256-%s.att", oci_digest_hex(t->digest));
	rc = sign_dsse_sign(key, SIGN_INTOTO_PAYLOAD_TYPE, statement, len,
			    &env);
	if (!rc)
		rc = attach_put(c, t->repo, SIGN_DSSE_MEDIA_TYPE, env.data,
				env.len, &layer);
	/*
	 * cosign filters layers on predicateType and expects the signature
	 * annotation on every layer; the signature is inside the envelope.
	 */
	if (!rc && json_object_set_new(layer, "annotations", json_pack(
			"{s:s,s:s}", SIGN_COSIGN_SIG_ANNOTATION, "",
			"predicateType", predicate_type)))
		rc = err_set(ERR_NOMEM, "out of memory");
	if (!rc)
		rc = attach_legacy_layer(c, t, tag, layer);
	json_decref(layer);
	buf_release(&env);
	return rc;
}

static json_t *attach_annotations(const char *predicate_type)
{
	return json_pack("{s:s,s:s}", SIGN_BUNDLE_CONTENT_ANNOTATION,
			 "dsse-envelope", SIGN_BUNDLE_PREDICATE_ANNOTATION,
			 predicate_type);
}

static bool index_lists(const struct buf *idx, const char *digest)
{
	json_t *root = NULL, *d;
	bool found = false;
	size_t i;

	if (sign_json_load(idx->data, idx->len, "referrers index", &root))
		return false;
	json_array_foreach(json_object_get(root, "manifests"), i, d)
		if (!strcmp(json_string_value(json_object_get(d, "digest")) ?
			    json_string_value(json_object_get(d, "digest")) :
			    "", digest))
			found = true;
	json_decref(root);
	return found;
}

/* Referrers tag schema (distribution-spec v1.1, registries without API). */
static int attach_fallback_index(struct regclient *c,
				 const struct sign_target *t, json_t *desc)
{
	char tag[DIGEST_STR_LEN + 8], digest[DIGEST_STR_LEN];
	json_t *list = NULL, *idx = NULL;
	int rc;

	snprintf(tag, sizeof(tag), "sha256-%s", oci_digest_hex(t->digest));
	rc = attach_existing(c, t->repo, tag, "manifests", &list);
	if (!rc && json_array_append(list, desc))
		rc = err_set(ERR_NOMEM, "out of memory");
	if (!rc)
		idx = json_pack("{s:i,s:s,s:O}", "schemaVersion", 2,
				"mediaType", OCI_INDEX_TYPE, "manifests",
				list);
	if (!rc && !idx)
		rc = err_set(ERR_NOMEM, "out of memory");
	if (!rc)
		rc = attach_put_manifest(c, t->repo, tag, OCI_INDEX_TYPE, idx,
					 digest);
	json_decref(idx);
	json_decref(list);
	return rc;
}

static int attach_referrer_manifest(struct regclient *c,
				    const struct sign_target *t,
				    const char *bundle, size_t len,
				    const char *predicate_type, json_t **out)
{
	json_t *cfg = NULL, *layer = NULL;
	int rc;

	*out = NULL;
	rc = attach_put(c, t->repo, OCI_EMPTY_TYPE, "{}", 2, &cfg);
	if (!rc)
		rc = attach_put(c, t->repo, SIGN_BUNDLE_MEDIA_TYPE, bundle,
				len, &layer);
	if (!rc)
		*out = json_pack("{s:i,s:s,s:s,s:O,s:[O],s:o,s:o}",
				 "schemaVersion", 2, "mediaType",
				 OCI_MANIFEST_TYPE, "artifactType",
				 SIGN_BUNDLE_MEDIA_TYPE, "config", cfg,
				 "layers", layer, "subject",
				 attach_descriptor(t->media_type, t->size,
						   t->digest),
				 "annotations",
				 attach_annotations(predicate_type));
	if (!rc && !*out)
		rc = err_set(ERR_NOMEM, "out of memory");
	json_decref(cfg);
	json_decref(layer);
	return rc;
}

int sign_attach_bundle(struct regclient *c, const struct sign_target *t,
		       const char *bundle, size_t len,
		       const char *predicate_type,
		       char digest_out[DIGEST_STR_LEN])
{
	struct buf text = BUF_INIT(REGCLIENT_MANIFEST_MAX);
	struct buf idx = BUF_INIT(REGCLIENT_JSON_MAX);
	json_t *m = NULL, *desc = NULL;
	int rc;

	rc = attach_referrer_manifest(c, t, bundle, len, predicate_type, &m);
	if (!rc)
		rc = attach_put_manifest(c, t->repo, NULL, OCI_MANIFEST_TYPE,
					 m, digest_out);
	if (!rc)
		rc = sign_json_dump(m, &text);
	if (!rc)
		rc = regclient_referrers(c, t->repo, t->digest, NULL, &idx);
	if (!rc && !index_lists(&idx, digest_out)) {
		desc = attach_descriptor(OCI_MANIFEST_TYPE, text.len,
					 digest_out);
		json_object_set_new(desc, "artifactType",
				    json_string(SIGN_BUNDLE_MEDIA_TYPE));
		json_object_set_new(desc, "annotations",
				    attach_annotations(predicate_type));
		rc = attach_fallback_index(c, t, desc);
	}
	json_decref(desc);
	json_decref(m);
	buf_release(&text);
	buf_release(&idx);
	return rc;
}

int sign_attach_image_bundle(struct regclient *c,
			     const struct sign_target *t,
			     const struct sign_key *key)
{
	struct buf st = BUF_INIT(SIGN_JSON_MAX), bundle = BUF_INIT(0);
	struct sign_subject subj;
	char digest[DIGEST_STR_LEN];
	int rc;

	buf_init(&bundle, 2 * SIGN_JSON_MAX);
	memset(&subj, 0, sizeof(subj));
	memcpy(subj.digest, t->digest, DIGEST_STR_LEN);
	rc = sign_statement_build(&subj, 1, SIGN_IMAGE_PREDICATE_TYPE, NULL,
				  0, &st);
	if (!rc)
		rc = sign_attestation(key, st.data, st.len, &bundle);
	if (!rc)
		rc = sign_attach_bundle(c, t, bundle.data, bundle.len,
					SIGN_IMAGE_PREDICATE_TYPE, digest);
	buf_release(&st);
	buf_release(&bundle);
	return rc;
}

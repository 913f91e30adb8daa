/*
 * The registry signs each scan result it stores: an in-toto statement
 * (predicate ATTEST_SCAN_TYPE) in a DSSE envelope inside a Sigstore
 * bundle, attached as a referrer of the scanned manifest in the
 * registry's own store, shaped exactly as sign_attach_bundle() attaches
 * one over HTTP so `stele verify-attestation` and the storage initializer
 * read both the same way.
 */
#include "pipeline/internal.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gov/attest.h"
#include "oci/manifest.h"
#include "sign/attach.h"
#include "sign/bundle.h"
#include "sign/sign.h"
#include "util/err.h"

#define OCI_EMPTY_TYPE "application/vnd.oci.empty.v1+json"
#define SUMMARY_MAX 50         /* findings named in an attestation */

/* The first SUMMARY_MAX findings, with the fields a reader acts on. */
static char *findings_summary(const char *findings)
{
	json_t *all = json_loads(findings ? findings : "[]", 0, NULL);
	json_t *out = json_array(), *f;
	char *text = NULL;
	size_t i;

	json_array_foreach(all, i, f) {
		json_t *o;

		if (i >= SUMMARY_MAX)
			break;
		o = json_pack("{s:O*,s:O*,s:O*}", "rule",
			      json_object_get(f, "rule"), "severity",
			      json_object_get(f, "severity"), "path",
			      json_object_get(f, "path"));
		if (o && json_object_get(f, "id"))
			json_object_set(o, "id", json_object_get(f, "id"));
		if (o && json_object_get(f, "package"))
			json_object_set(o, "package",
					json_object_get(f, "package"));
		json_array_append_new(out, o);
	}
	if (out)
		text = json_dumps(out, JSON_COMPACT);
	json_decref(all);
	json_decref(out);
	return text;
}

static int build_predicate(const struct pipeline_scan *s, struct buf *out)
{
	struct attest_scan a;
	char *summary = findings_summary(s->findings);
	int rc;

	if (!summary)
		return err_set(ERR_NOMEM, "out of memory");
	memset(&a, 0, sizeof(a));
	snprintf(a.verdict, sizeof(a.verdict), "%s", s->verdict);
	for (int i = 0; i < ATTEST_NSEV; i++)
		a.counts[i] = s->severity[i];
	attest_now(a.time);
	snprintf(a.scanner, sizeof(a.scanner), "stele %s", STELE_VERSION);
	snprintf(a.advisory_db, sizeof(a.advisory_db), "%s",
		 s->advisory_db ? s->advisory_db : "");
	a.findings_json = summary;
	rc = attest_scan_build(&a, out);
	free(summary);
	return rc;
}

/* Put a small blob into the store and link it to repo. */
static int put_blob(const struct pipeline_ctx *ctx, const char *repo,
		    const void *p, size_t n, char digest[DIGEST_STR_LEN])
{
	int rc = ctx->bs->ops->put(ctx->bs, p, n, digest);

	if (!rc)
		rc = ctx->meta->ops->blob_add(ctx->meta, repo, digest,
					      (int64_t)n);
	return rc;
}

static json_t *descriptor(const char *media_type, uint64_t size,
			  const char *digest)
{
	return json_pack("{s:s,s:I,s:s}", "mediaType", media_type, "size",
			 (json_int_t)size, "digest", digest);
}

static int referrer_manifest(const struct meta_manifest *subj,
			     const char *cfg, const char *layer,
			     size_t layer_len, struct buf *out)
{
	json_t *m = json_pack("{s:i,s:s,s:s,s:o,s:[o],s:o,s:{s:s,s:s}}",
			      "schemaVersion", 2, "mediaType",
			      OCI_MT_MANIFEST, "artifactType",
			      SIGN_BUNDLE_MEDIA_TYPE, "config",
			      descriptor(OCI_EMPTY_TYPE, 2, cfg), "layers",
			      descriptor(SIGN_BUNDLE_MEDIA_TYPE, layer_len,
					 layer),
			      "subject",
			      descriptor(subj->media_type,
					 (uint64_t)subj->size, subj->digest),
			      "annotations",
			      SIGN_BUNDLE_CONTENT_ANNOTATION, "dsse-envelope",
			      SIGN_BUNDLE_PREDICATE_ANNOTATION,
			      ATTEST_SCAN_TYPE);
	char *text = m ? json_dumps(m, JSON_COMPACT) : NULL;
	int rc = text ? buf_puts(out, text) : err_set(ERR_NOMEM,
						      "out of memory");

	free(text);
	json_decref(m);
	return rc;
}

/* Store the manifest and record it as a referrer of the subject. */
static int put_referrer(const struct pipeline_ctx *ctx, const char *repo,
			const struct meta_manifest *subj, const char *cfg,
			const char *layer, const struct buf *mf,
			char digest[DIGEST_STR_LEN])
{
	const char *refs_v[] = { cfg, layer };
	struct meta_refs refs = { refs_v, 2 };
	struct meta_manifest m;
	int rc = ctx->bs->ops->put(ctx->bs, mf->data, mf->len, digest);

	if (rc)
		return rc;
	memset(&m, 0, sizeof(m));
	snprintf(m.digest, sizeof(m.digest), "%s", digest);
	snprintf(m.media_type, sizeof(m.media_type), "%s", OCI_MT_MANIFEST);
	m.size = (int64_t)mf->len;
	snprintf(m.subject, sizeof(m.subject), "%s", subj->digest);
	snprintf(m.artifact_type, sizeof(m.artifact_type), "%s",
		 SIGN_BUNDLE_MEDIA_TYPE);
	m.annotations = "{\"" SIGN_BUNDLE_CONTENT_ANNOTATION "\":"
		"\"dsse-envelope\",\"" SIGN_BUNDLE_PREDICATE_ANNOTATION
		"\":\"" ATTEST_SCAN_TYPE "\"}";
	return ctx->meta->ops->manifest_put(ctx->meta, repo, &m, &refs, NULL,
					    NULL, 0);
}

static int attach(const struct pipeline_ctx *ctx, const char *repo,
		  const struct meta_manifest *subj, const struct buf *bundle,
		  char digest_out[DIGEST_STR_LEN])
{
	struct buf mf = BUF_INIT(1u << 20);
	char cfg[DIGEST_STR_LEN], layer[DIGEST_STR_LEN];
	int rc;

	/* Shared with GC like any upload: the blobs must not vanish
	 * between being written and being referenced. */
	pthread_rwlock_rdlock(ctx->gc_lock);
	rc = put_blob(ctx, repo, "{}", 2, cfg);
	if (!rc)
		rc = put_blob(ctx, repo, bundle->data, bundle->len, layer);
	if (!rc)
		rc = referrer_manifest(subj, cfg, layer, bundle->len, &mf);
	if (!rc)
		rc = put_referrer(ctx, repo, subj, cfg, layer, &mf,
				  digest_out);
	pthread_rwlock_unlock(ctx->gc_lock);
	buf_release(&mf);
	return rc;
}

int pipeline_attest(const struct pipeline_ctx *ctx, const char *repo,
		    const char *digest, char digest_out[DIGEST_STR_LEN])
{
	struct buf pred = BUF_INIT(ATTEST_PREDICATE_MAX);
	struct buf bundle = BUF_INIT(2 * ATTEST_PREDICATE_MAX + (1u << 20));
	struct pipeline_scan s;
	struct meta_manifest subj;
	int rc = pipeline_scan_evidence(ctx->db, repo, digest, &s);

	if (!rc && !*s.verdict)
		rc = err_set(ERR_INVALID, "scan of '%s@%s' has no result",
			     repo, digest);
	if (!rc)
		rc = ctx->meta->ops->manifest_get(ctx->meta, repo, digest,
						  &subj);
	if (!rc)
		rc = build_predicate(&s, &pred);
	if (!rc)
		rc = sign_attest_digest(ctx->key, repo, digest,
					ATTEST_SCAN_TYPE, pred.data, pred.len,
					&bundle);
	if (!rc)
		rc = attach(ctx, repo, &subj, &bundle, digest_out);
	pipeline_scan_release(&s);
	buf_release(&pred);
	buf_release(&bundle);
	return rc;
}

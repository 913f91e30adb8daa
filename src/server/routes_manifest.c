/* Manifests: GET/HEAD by tag or digest (the exact stored bytes), PUT with
 * strict validation and the tag rules, DELETE by tag or digest. */
#include "server/gov.h"
#include "server/http.h"
#include "server/validate.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "util/err.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool ref_is_digest(const char *ref)
{
	return strchr(ref, ':') != NULL;
}

/* Resolve r->ref to a digest in repo; answers 4xx when it cannot. */
static bool resolve(struct req *r, char digest[BLOB_DIGEST_MAX])
{
	struct meta *m = r->srv->meta;
	int rc;

	if (ref_is_digest(r->ref)) {
		if (!blobstore_digest_valid(r->ref)) {
			http_error(r, 400, "DIGEST_INVALID", "invalid digest");
			return false;
		}
		snprintf(digest, BLOB_DIGEST_MAX, "%.*s",
			 BLOB_DIGEST_MAX - 1, r->ref);
		return true;
	}
	if (!oci_tag_valid(r->ref)) {
		http_error(r, 400, "MANIFEST_INVALID", "invalid tag");
		return false;
	}
	rc = m->ops->tag_get(m, r->repo, r->ref, digest);
	if (rc) {
		http_fail(r, rc, "MANIFEST_UNKNOWN");
		return false;
	}
	return true;
}

void route_manifest_get(struct req *r)
{
	struct srv *s = r->srv;
	struct meta_manifest mf;
	char digest[BLOB_DIGEST_MAX];
	int64_t size;
	int rc, fd;

	if (!resolve(r, digest))
		return;
	rc = s->meta->ops->manifest_get(s->meta, r->repo, digest, &mf);
	if (!rc)
		rc = s->bs->ops->open(s->bs, digest, &fd, &size);
	if (rc) {
		http_fail(r, rc, "MANIFEST_UNKNOWN");
		return;
	}
	http_fd(r, 200, fd, 0, size);
	http_header(r, "Content-Type", mf.media_type);
	http_header(r, "Docker-Content-Digest", digest);
}

static int manifest_body(struct req *r, const char *p, size_t n);

#define MANIFEST_TAGS_MAX 16

struct tag_args {
	const char *v[MANIFEST_TAGS_MAX];
	int n;
	bool overflow;
};

static enum MHD_Result collect_tag(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	struct tag_args *t = cls;

	if (!key || strcmp(key, "tag") || !value)
		return MHD_YES;
	if (t->n >= MANIFEST_TAGS_MAX)
		t->overflow = true;
	else
		t->v[t->n++] = value;
	return MHD_YES;
}

/* The tags a push sets: the reference when it is a tag, plus every
 * ?tag= parameter (distribution-spec 1.1 "tag parameters"). */
static bool push_tags(struct req *r, struct tag_args *t)
{
	const struct server_config *c = &r->srv->cfg;

	memset(t, 0, sizeof(*t));
	if (!ref_is_digest(r->ref))
		t->v[t->n++] = r->ref;
	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND,
				  collect_tag, t);
	if (t->overflow) {
		http_error(r, 400, "MANIFEST_INVALID", "more than %d tags",
			   MANIFEST_TAGS_MAX);
		return false;
	}
	for (int i = 0; i < t->n; i++) {
		if (!oci_tag_valid(t->v[i])) {
			http_error(r, 400, "MANIFEST_INVALID", "invalid tag");
			return false;
		}
		if (policy_is_environment(c, t->v[i])) {
			http_error(r, 403, "DENIED", "'%s' is an environment: "
				   "only a promotion moves it", t->v[i]);
			gov_audit(r->srv, r, "tag", r->repo, t->v[i], NULL,
				  "denied", "environment tags move only by "
				  "promotion");
			return false;
		}
	}
	return true;
}

void route_manifest_put(struct req *r)
{
	const char *cl = http_header_in(r, "Content-Length");
	struct tag_args t;

	if (ref_is_digest(r->ref) && !blobstore_digest_valid(r->ref)) {
		http_error(r, 400, "DIGEST_INVALID", "invalid or unsupported "
			   "digest");
		return;
	}
	if (!push_tags(r, &t))
		return;
	if (cl && strtoll(cl, NULL, 10) > MCHECK_MAX_BYTES) {
		http_error(r, 413, "SIZE_INVALID", "manifest over %d bytes",
			   MCHECK_MAX_BYTES);
		return;
	}
	buf_init(&r->buf, MCHECK_MAX_BYTES);
	r->body = manifest_body;
}

static void fill_meta(struct meta_manifest *mf, const struct mcheck *mc,
		      const char *digest, size_t size)
{
	memset(mf, 0, sizeof(*mf));
	snprintf(mf->digest, sizeof(mf->digest), "%s", digest);
	snprintf(mf->media_type, sizeof(mf->media_type), "%s",
		 mc->media_type);
	mf->size = (int64_t)size;
	snprintf(mf->subject, sizeof(mf->subject), "%s", mc->subject);
	snprintf(mf->artifact_type, sizeof(mf->artifact_type), "%s",
		 mc->artifact_type);
	mf->annotations = mc->annotations;
}

static void created(struct req *r, const struct mcheck *mc,
		    const char *digest, const struct tag_args *t)
{
	char loc[META_REPO_MAX + BLOB_DIGEST_MAX + 64];

	http_empty(r, 201);
	snprintf(loc, sizeof(loc), "/v2/%s/manifests/%s", r->repo, digest);
	http_header(r, "Location", loc);
	http_header(r, "Docker-Content-Digest", digest);
	if (*mc->subject)
		http_header(r, "OCI-Subject", mc->subject);
	for (int i = 0; i < t->n; i++)
		http_header(r, "OCI-Tag", t->v[i]);
}

/* A ModelKit (or ModelPack) manifest: what the pipeline scans. */
static bool is_model(const struct mcheck *mc)
{
	const char *cfg = json_string_value(json_object_get(
		json_object_get(mc->doc, "config"), "mediaType"));

	if (mc->is_index || *mc->subject || !cfg)
		return false;
	return !strcmp(cfg, KIT_MT_CONFIG) ||
	       !strcmp(cfg, MODELPACK_MT_CONFIG) ||
	       !strcmp(cfg, CNAI_MT_CONFIG);
}

/* Queue the scan and return: a push never waits for it. A failure to
 * queue is logged; the version then shows no scan (never clean). */
static void queue_scan(struct req *r, const struct mcheck *mc,
		       const char *digest)
{
	bool queued = false;

	if (!is_model(mc))
		return;
	if (pipeline_enqueue_scan(r->srv->pipeline, r->repo, digest,
				  &queued)) {
		log_msg(LOG_WARN, r->id, "scan of '%s@%s' not queued: %s",
			r->repo, digest, err_msg());
		return;
	}
	if (queued)
		pipeline_workers_kick(r->srv->workers);
}

/* Every blob an image manifest names must be linked to this repository,
 * and every manifest an index names must be in it: a version tag is fixed
 * for good, so it must never be given to content nobody can pull. */
static bool refs_present(struct req *r, const struct mcheck *mc)
{
	struct meta *m = r->srv->meta;
	struct meta_manifest mf;
	struct tag_args t;
	bool fixed = false;
	int64_t size;
	int rc = 0;

	/* The distribution spec lets a registry accept manifests whose
	 * blobs live elsewhere (sparse manifests, foreign layers), and the
	 * conformance suite pushes them; only a tag that can never move
	 * again must name content that is here. */
	push_tags(r, &t);
	for (int i = 0; i < t.n; i++)
		fixed |= policy_is_version(t.v[i]) ||
			 r->srv->cfg.other_tags == CONFIG_TAGS_IMMUTABLE;
	if (!fixed)
		return true;

	for (int i = 0; !rc && i < mc->nrefs; i++) {
		rc = mc->is_index ?
			m->ops->manifest_get(m, r->repo, mc->refs[i], &mf) :
			m->ops->blob_linked(m, r->repo, mc->refs[i], &size);
		if (rc == ERR_NOTFOUND) {
			http_error(r, 400, "MANIFEST_BLOB_UNKNOWN", "'%s' is "
				   "not in '%s'", mc->refs[i], r->repo);
			return false;
		}
	}
	if (rc)
		http_fail(r, rc, "MANIFEST_INVALID");
	return !rc;
}

static void store(struct req *r, const struct mcheck *mc,
		  const char *digest)
{
	struct srv *s = r->srv;
	struct meta_refs refs = { mc->refs, mc->nrefs };
	enum meta_tag_mode modes[MANIFEST_TAGS_MAX];
	struct meta_manifest mf;
	struct tag_args t;
	int rc;

	push_tags(r, &t);
	for (int i = 0; i < t.n; i++)
		modes[i] = policy_is_version(t.v[i]) ||
			   s->cfg.other_tags == CONFIG_TAGS_IMMUTABLE ?
			   META_TAG_FIXED : META_TAG_MOVE;
	fill_meta(&mf, mc, digest, r->buf.len);
	/* Bytes first, durably; then the index. A crash in between leaves
	 * an unreferenced blob, never a tag without content. */
	pthread_rwlock_rdlock(&s->gc_lock);
	rc = s->bs->ops->put(s->bs, r->buf.data, r->buf.len, digest);
	if (!rc)
		rc = s->meta->ops->manifest_put(s->meta, r->repo, &mf, &refs,
						t.v, modes, t.n);
	pthread_rwlock_unlock(&s->gc_lock);
	if (rc == ERR_EXISTS) {
		http_error(r, 403, "DENIED", "versions are immutable: %s "
			   "(push a new version tag; an unchanged directory "
			   "packs the same digest only with the same file "
			   "times or SOURCE_DATE_EPOCH)", err_msg());
		gov_audit(s, r, "tag", r->repo, t.n ? t.v[0] : NULL, digest,
			  "denied", err_msg());
		return;
	}
	if (rc) {
		http_fail(r, rc, "MANIFEST_INVALID");
		return;
	}
	gov_audit(s, r, "push", r->repo, t.n ? t.v[0] : NULL, digest, "ok",
		  NULL);
	gov_record_signatures(s, r, digest, t.n ? t.v[0] : NULL,
			      r->buf.data, r->buf.len);
	created(r, mc, digest, &t);
	queue_scan(r, mc, digest);
}

static int manifest_body(struct req *r, const char *p, size_t n)
{
	struct mcheck mc;
	char digest[BLOB_DIGEST_MAX];
	int rc;

	if (n) {
		rc = buf_put(&r->buf, p, n);
		if (rc)
			http_error(r, 413, "SIZE_INVALID", "manifest over %d "
				   "bytes", MCHECK_MAX_BYTES);
		return rc;
	}
	rc = mcheck_parse(r->buf.data ? r->buf.data : "", r->buf.len,
			  http_header_in(r, "Content-Type"), &mc);
	if (rc) {
		http_fail(r, rc, "MANIFEST_INVALID");
		mcheck_release(&mc);
		return rc;
	}
	/* Pushed by digest: that digest's algorithm; by tag: sha256. */
	blobstore_digest_buf(ref_is_digest(r->ref) ? r->ref : NULL,
			     r->buf.data ? r->buf.data : "", r->buf.len,
			     digest);
	if (ref_is_digest(r->ref) && strcmp(digest, r->ref))
		http_error(r, 400, "DIGEST_INVALID", "content is '%s'",
			   digest);
	else if (refs_present(r, &mc))
		store(r, &mc, digest);
	mcheck_release(&mc);
	return 0;
}

struct tag_scan {
	const struct server_config *cfg;
	char why[META_TAG_MAX + 64];
};

static int protected_tag(void *arg, const char *tag)
{
	struct tag_scan *t = arg;

	if (policy_is_version(tag)) {
		snprintf(t->why, sizeof(t->why), "it is version '%s'", tag);
		return 1;
	}
	if (policy_is_environment(t->cfg, tag)) {
		snprintf(t->why, sizeof(t->why), "it is deployed to '%s'",
			 tag);
		return 1;
	}
	return 0;
}

static void delete_tag(struct req *r)
{
	struct meta *m = r->srv->meta;
	int rc;

	if (!oci_tag_valid(r->ref)) {
		http_error(r, 400, "MANIFEST_INVALID", "invalid tag");
		return;
	}
	if (policy_is_version(r->ref) ||
	    policy_is_environment(&r->srv->cfg, r->ref)) {
		http_error(r, 403, "DENIED", "tag '%s' cannot be deleted",
			   r->ref);
		gov_audit(r->srv, r, "delete", r->repo, r->ref, NULL,
			  "denied", "versions and environments are never "
			  "deleted");
		return;
	}
	rc = m->ops->tag_delete(m, r->repo, r->ref);
	if (rc) {
		http_fail(r, rc, "MANIFEST_UNKNOWN");
		return;
	}
	http_empty(r, 202);
}

void route_manifest_delete(struct req *r)
{
	struct meta *m = r->srv->meta;
	struct tag_scan t = { .cfg = &r->srv->cfg };
	char digest[BLOB_DIGEST_MAX];
	int rc;

	if (!ref_is_digest(r->ref)) {
		delete_tag(r);
		return;
	}
	if (!resolve(r, digest))
		return;
	rc = m->ops->manifest_tags(m, r->repo, digest, protected_tag, &t);
	if (rc > 0) {
		http_error(r, 403, "DENIED", "manifest cannot be deleted: %s",
			   t.why);
		gov_audit(r->srv, r, "delete", r->repo, NULL, digest,
			  "denied", t.why);
		return;
	}
	if (!rc)
		rc = m->ops->manifest_delete(m, r->repo, digest);
	if (rc) {
		http_fail(r, rc, "MANIFEST_UNKNOWN");
		return;
	}
	gov_audit(r->srv, r, "delete", r->repo, NULL, digest, "ok", NULL);
	http_empty(r, 202);
}

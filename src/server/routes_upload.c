/* Blob uploads: POST (session, monolithic or cross-repository mount),
 * PATCH (chunked with Content-Range, or streamed), PUT (finish), GET
 * (status) and DELETE (cancel). Bodies go straight to disk through the
 * blob store while being hashed; nothing is held in memory. */
#include "server/http.h"
#include "oci/digest.h"
#include "oci/ref.h"
#include "util/err.h"
#include "util/fs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void upload_headers(struct req *r, const struct meta_upload *u,
			   int64_t size)
{
	char v[META_REPO_MAX + BLOB_DIGEST_MAX + 64];

	snprintf(v, sizeof(v), "/v2/%s/blobs/uploads/%s", u->repo, u->id);
	http_header(r, "Location", v);
	snprintf(v, sizeof(v), "0-%" PRId64, size > 0 ? size - 1 : 0);
	http_header(r, "Range", v);
	http_header(r, "Docker-Upload-UUID", u->id);
}

static bool id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n != META_UPLOAD_ID_LEN)
		return false;
	return strspn(id, "0123456789abcdef") == n;
}

/* The session named by the URL, only for its repository and owner: a
 * session id leaked to someone else is useless to them. */
static bool load_session(struct req *r)
{
	struct srv *s = r->srv;
	int rc;

	if (!id_valid(r->ref)) {
		http_error(r, 404, "BLOB_UPLOAD_UNKNOWN", "unknown upload");
		return false;
	}
	rc = s->meta->ops->upload_get(s->meta, r->ref, &r->mu);
	if (rc || strcmp(r->mu.repo, r->repo) ||
	    strcmp(r->mu.owner, r->who.user)) {
		if (rc && rc != ERR_NOTFOUND)
			http_fail(r, rc, "BLOB_UPLOAD_UNKNOWN");
		http_error(r, 404, "BLOB_UPLOAD_UNKNOWN", "unknown upload");
		return false;
	}
	return true;
}

static bool acquire(struct req *r, int create)
{
	struct blobstore *bs = r->srv->bs;
	int rc = bs->ops->upload_acquire(bs, r->mu.id, create, r->mu.size,
					 &r->up);

	if (rc == ERR_CONFLICT) {
		http_error(r, 416, "BLOB_UPLOAD_INVALID", "upload is busy");
		upload_headers(r, &r->mu, r->mu.size);
		return false;
	}
	if (rc) {
		http_fail(r, rc, "BLOB_UPLOAD_UNKNOWN");
		return false;
	}
	return true;
}

static bool session_new(struct req *r)
{
	struct srv *s = r->srv;
	unsigned char rnd[16];
	int rc;

	memset(&r->mu, 0, sizeof(r->mu));
	rc = fs_random(rnd, sizeof(rnd));
	if (!rc) {
		hex_encode(rnd, sizeof(rnd), r->mu.id);
		snprintf(r->mu.repo, sizeof(r->mu.repo), "%s", r->repo);
		snprintf(r->mu.owner, sizeof(r->mu.owner), "%s", r->who.user);
		rc = s->meta->ops->upload_new(s->meta, &r->mu);
	}
	if (rc) {
		http_fail(r, rc, "BLOB_UPLOAD_INVALID");
		return false;
	}
	return acquire(r, 1);
}

/* Move the finished session into the blob store and link it. */
static void finish(struct req *r)
{
	struct srv *s = r->srv;
	struct blobstore *bs = s->bs;
	int64_t size = bs->ops->upload_size(r->up);
	char loc[META_REPO_MAX + BLOB_DIGEST_MAX + 64];
	int rc;

	pthread_rwlock_rdlock(&s->gc_lock);
	rc = bs->ops->upload_commit(r->up, r->digest);
	if (!rc) {
		r->up = NULL;
		rc = s->meta->ops->blob_add(s->meta, r->repo, r->digest,
					    size);
	}
	pthread_rwlock_unlock(&s->gc_lock);
	if (rc) {
		http_fail(r, rc, "BLOB_UPLOAD_INVALID");
		return;
	}
	s->meta->ops->upload_delete(s->meta, r->mu.id);
	http_empty(r, 201);
	snprintf(loc, sizeof(loc), "/v2/%s/blobs/%s", r->repo, r->digest);
	http_header(r, "Location", loc);
	http_header(r, "Docker-Content-Digest", r->digest);
}

/* Record what arrived as durable and answer 202 with the new range. */
static void checkpoint(struct req *r)
{
	struct srv *s = r->srv;
	struct blobstore *bs = s->bs;
	int64_t size = bs->ops->upload_size(r->up);
	int rc = bs->ops->upload_sync(r->up);

	if (!rc)
		rc = s->meta->ops->upload_set_size(s->meta, r->mu.id, size);
	if (rc) {
		http_fail(r, rc, "BLOB_UPLOAD_INVALID");
		return;
	}
	r->mu.size = size;
	http_empty(r, 202);
	upload_headers(r, &r->mu, size);
}

static int body_sink(struct req *r, const char *p, size_t n)
{
	struct blobstore *bs = r->srv->bs;
	int64_t size = bs->ops->upload_size(r->up);
	int rc;

	if (n == 0) {
		if (r->range_end >= 0 && size != r->range_end + 1) {
			http_error(r, 400, "BLOB_UPLOAD_INVALID", "chunk "
				   "shorter than its Content-Range");
			return ERR_INVALID;
		}
		if (r->finish)
			finish(r);
		else
			checkpoint(r);
		return 0;
	}
	if (r->range_end >= 0 && size + (int64_t)n > r->range_end + 1) {
		http_error(r, 416, "BLOB_UPLOAD_INVALID", "chunk longer than "
			   "its Content-Range");
		return ERR_INVALID;
	}
	rc = bs->ops->upload_write(r->up, p, n);
	if (rc)
		http_fail(r, rc, "BLOB_UPLOAD_INVALID");
	return rc;
}

static bool parse_i64(const char *s, const char *end, int64_t *out)
{
	int64_t v = 0;

	if (s == end || end - s > 18)
		return false;
	for (; s < end; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return true;
}

/* Content-Range of a chunk: "A-B" or "bytes=A-B"; A must be where the
 * session stands (out-of-order and overlapping chunks are refused). */
static bool check_content_range(struct req *r)
{
	const char *cr = http_header_in(r, "Content-Range");
	const char *cl = http_header_in(r, "Content-Length");
	const char *dash;
	int64_t a, b, len;

	if (!cr)
		return true;
	if (!strncmp(cr, "bytes=", 6))
		cr += 6;
	else if (!strncmp(cr, "bytes ", 6))
		cr += 6;
	dash = strchr(cr, '-');
	if (!dash || !parse_i64(cr, dash, &a) ||
	    !parse_i64(dash + 1, dash + 1 + strcspn(dash + 1, "/"), &b) ||
	    b < a || a != r->mu.size) {
		http_error(r, 416, "BLOB_UPLOAD_INVALID", "Content-Range does "
			   "not continue the upload");
		upload_headers(r, &r->mu, r->mu.size);
		return false;
	}
	if (cl && (!parse_i64(cl, cl + strlen(cl), &len) ||
		   len != b - a + 1)) {
		http_error(r, 400, "BLOB_UPLOAD_INVALID", "Content-Length "
			   "does not match Content-Range");
		return false;
	}
	r->range_end = b;
	return true;
}

static bool take_digest(struct req *r, const char *d)
{
	if (!d || !blobstore_digest_valid(d)) {
		http_error(r, 400, "DIGEST_INVALID", "missing or unsupported "
			   "digest");
		return false;
	}
	snprintf(r->digest, sizeof(r->digest), "%s", d);
	return true;
}

#define MOUNT_SOURCES_MAX 100

struct mount_source {
	struct req *r;
	char from[META_REPO_MAX + 1];
};

static int pick_source(void *arg, const char *repo)
{
	struct mount_source *ms = arg;

	if (!strcmp(repo, ms->r->repo) ||
	    !(authz_account_actions(ms->r->srv, &ms->r->who, repo) &
	      ACT_PULL))
		return 0;
	snprintf(ms->from, sizeof(ms->from), "%s", repo);
	return 1;
}

/* Without from (the spec's anonymous mount): any repository that links
 * the blob and that the caller may pull. */
static const char *find_source(struct req *r, const char *digest,
			       struct mount_source *ms)
{
	ms->r = r;
	ms->from[0] = '\0';
	r->srv->meta->ops->blob_repos(r->srv->meta, digest,
				      MOUNT_SOURCES_MAX, pick_source, ms);
	err_clear();
	return ms->from[0] ? ms->from : NULL;
}

/* POST ?mount=&from=: link an existing blob when the caller may pull
 * the source; otherwise fall back to a new session as the spec allows. */
static bool try_mount(struct req *r)
{
	struct srv *s = r->srv;
	const char *mount = http_query(r, "mount");
	const char *from = http_query(r, "from");
	char loc[META_REPO_MAX + BLOB_DIGEST_MAX + 64];
	struct mount_source ms;
	int64_t size;

	if (!mount || !blobstore_digest_valid(mount))
		return false;
	if (!from)
		from = find_source(r, mount, &ms);
	if (!from || !oci_repo_valid(from) || !strcmp(from, r->repo))
		return false;
	/* The account's own rights decide, not the token's scopes: clients
	 * rarely ask for a scope on the source repository. */
	if (!(authz_account_actions(s, &r->who, from) & ACT_PULL))
		return false;
	if (s->meta->ops->blob_linked(s->meta, from, mount, &size) ||
	    s->meta->ops->blob_add(s->meta, r->repo, mount, size)) {
		err_clear();
		return false;
	}
	http_empty(r, 201);
	snprintf(loc, sizeof(loc), "/v2/%s/blobs/%s", r->repo, mount);
	http_header(r, "Location", loc);
	http_header(r, "Docker-Content-Digest", mount);
	return true;
}

void route_upload_start(struct req *r)
{
	const char *digest = http_query(r, "digest");

	if (try_mount(r))
		return;
	if (digest && !take_digest(r, digest))
		return;
	if (!session_new(r))
		return;
	if (digest) {
		r->finish = true;
		r->oneshot = true;
		r->body = body_sink;
		return;
	}
	http_empty(r, 202);
	upload_headers(r, &r->mu, 0);
}

void route_upload_status(struct req *r)
{
	if (!load_session(r))
		return;
	http_empty(r, 204);
	upload_headers(r, &r->mu, r->mu.size);
}

void route_upload_patch(struct req *r)
{
	if (!load_session(r) || !check_content_range(r) || !acquire(r, 0))
		return;
	r->body = body_sink;
}

void route_upload_put(struct req *r)
{
	if (!load_session(r) ||
	    !take_digest(r, http_query(r, "digest")) ||
	    !check_content_range(r) || !acquire(r, 0))
		return;
	r->finish = true;
	r->body = body_sink;
}

void route_upload_cancel(struct req *r)
{
	struct srv *s = r->srv;
	int rc;

	if (!load_session(r))
		return;
	rc = s->bs->ops->upload_remove(s->bs, r->mu.id);
	if (!rc)
		rc = s->meta->ops->upload_delete(s->meta, r->mu.id);
	if (rc) {
		http_fail(r, rc, "BLOB_UPLOAD_INVALID");
		return;
	}
	http_empty(r, 204);
}

void route_upload_done(struct req *r)
{
	struct srv *s = r->srv;

	if (!r->oneshot || r->status == 201)
		return;
	r->oneshot = false;
	if (r->up) {
		s->bs->ops->upload_release(r->up);
		r->up = NULL;
	}
	if (!s->bs->ops->upload_remove(s->bs, r->mu.id))
		s->meta->ops->upload_delete(s->meta, r->mu.id);
}

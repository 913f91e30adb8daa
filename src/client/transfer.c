/* Push and pull: manifests and their blobs, in parallel, verified. */
#include "client/transfer.h"
#include "oci/digest.h"
#include "util/err.h"

#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define XFER_JOBS_DEFAULT 4
#define XFER_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define XFER_DOCKER_MANIFEST \
	"application/vnd.docker.distribution.manifest.v2+json"

static int xfer_descriptor(json_t *d, const char *what,
			   struct xfer_blob *out)
{
	json_t *dg = json_object_get(d, "digest");
	json_t *sz = json_object_get(d, "size");

	if (!json_is_object(d) || !json_is_string(dg) ||
	    !json_is_integer(sz) || json_integer_value(sz) < 0)
		return err_set(ERR_INVALID, "manifest: %s is not a valid "
			       "descriptor", what);
	if (!oci_digest_valid(json_string_value(dg)))
		return err_set(ERR_INVALID, "manifest: %s has an unsupported "
			       "or invalid digest", what);
	snprintf(out->digest, sizeof(out->digest), "%s",
		 json_string_value(dg));
	out->size = (uint64_t)json_integer_value(sz);
	return 0;
}

static int xfer_media_type(json_t *root, char *out)
{
	json_t *mt = json_object_get(root, "mediaType");
	const char *s = json_is_string(mt) ? json_string_value(mt)
					   : XFER_OCI_MANIFEST;

	if (mt && !json_is_string(mt))
		return err_set(ERR_INVALID, "manifest: mediaType is not a "
			       "string");
	if (strcmp(s, XFER_OCI_MANIFEST) && strcmp(s, XFER_DOCKER_MANIFEST))
		return err_set(ERR_UNSUPPORTED, "manifest: media type '%.100s' "
			       "is not an image manifest", s);
	if (json_object_get(root, "manifests"))
		return err_set(ERR_INVALID, "manifest: both an index and a "
			       "manifest");
	snprintf(out, REGCLIENT_MEDIA_TYPE_MAX + 1, "%s", s);
	return 0;
}

static int xfer_collect(json_t *root, struct xfer_blob *blobs, size_t *n)
{
	json_t *layers = json_object_get(root, "layers"), *d;
	char what[64];
	size_t i;
	int rc;

	rc = xfer_descriptor(json_object_get(root, "config"), "config",
			     &blobs[0]);
	*n = rc ? 0 : 1;
	json_array_foreach(layers, i, d) {
		if (rc)
			break;
		snprintf(what, sizeof(what), "layer %zu", i);
		rc = xfer_descriptor(d, what, &blobs[(*n)++]);
	}
	return rc;
}

int xfer_manifest_blobs(const void *body, size_t len,
			struct xfer_blob **blobs, size_t *count,
			char *media_type)
{
	json_error_t je;
	json_t *root, *layers;
	int rc;

	*blobs = NULL;
	*count = 0;
	root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return err_set(ERR_INVALID, "manifest: line %d column %d: %s",
			       je.line, je.column, je.text);
	layers = json_object_get(root, "layers");
	rc = json_is_object(root) ? xfer_media_type(root, media_type)
		: err_set(ERR_INVALID, "manifest: not a JSON object");
	if (!rc && !json_is_array(layers))
		rc = err_set(ERR_INVALID, "manifest: no layers array");
	if (!rc && json_array_size(layers) >= XFER_BLOBS_MAX)
		rc = err_set(ERR_LIMIT, "manifest: more than %d layers",
			     XFER_BLOBS_MAX - 1);
	if (!rc) {
		*blobs = calloc(json_array_size(layers) + 1, sizeof(**blobs));
		if (!*blobs)
			rc = err_set(ERR_NOMEM, "out of memory");
	}
	if (!rc)
		rc = xfer_collect(root, *blobs, count);
	if (rc) {
		free(*blobs);
		*blobs = NULL;
		*count = 0;
	}
	json_decref(root);
	return rc;
}

/* Work shared by the blob workers of one transfer. */
struct xfer_pool {
	struct regclient *c;
	const struct xfer_local *l;
	const struct xfer_opts *o;
	const char *repo;
	struct xfer_blob *blobs;
	size_t count;
	bool push;
	atomic_size_t next;
	atomic_int failed;
	pthread_mutex_t lock;
	int rc;
	char msg[1024];
};

static void xfer_note(const struct xfer_pool *p, const char *digest,
		      const char *what, uint64_t n)
{
	if (p->o->note)
		p->o->note(digest, what, n, p->o->note_arg);
}

/* Keep the first failure; its message travels to the caller's thread. */
static void xfer_fail(struct xfer_pool *p, int rc)
{
	pthread_mutex_lock(&p->lock);
	if (!p->rc) {
		p->rc = rc;
		snprintf(p->msg, sizeof(p->msg), "%s", err_msg());
	}
	pthread_mutex_unlock(&p->lock);
	atomic_store(&p->failed, 1);
}

static int xfer_push_blob(struct xfer_pool *p, const struct xfer_blob *b)
{
	const char *how = "pushed";
	uint64_t size = 0;
	int fd = -1, rc;

	rc = p->l->blob_open(p->l->self, b->digest, &fd, &size);
	if (!rc && size != b->size)
		rc = err_set(ERR_DIGEST, "local blob %s has %llu bytes, the "
			     "manifest says %llu", b->digest,
			     (unsigned long long)size,
			     (unsigned long long)b->size);
	if (!rc)
		rc = regclient_blob_put_fd(p->c, p->repo, b->digest, fd, size,
					   p->o->mount_from, &how);
	if (fd >= 0)
		close(fd);
	if (!rc)
		xfer_note(p, b->digest, how, size);
	return rc;
}

static int xfer_pull_blob(struct xfer_pool *p, const struct xfer_blob *b)
{
	const struct xfer_local *l = p->l;
	struct xfer_sink k = { NULL, 0, -1, NULL, NULL, NULL };
	int rc;

	if (l->blob_has(l->self, b->digest) == 1) {
		xfer_note(p, b->digest, "exists", b->size);
		return 0;
	}
	rc = l->blob_begin(l->self, b->digest, b->size, &k);
	if (rc)
		return rc;
	if (k.have)
		xfer_note(p, b->digest, "resuming at byte", k.have);
	rc = regclient_blob_get_resume(p->c, p->repo, b->digest, b->size,
				       k.have_fd, k.have, k.write, k.w);
	if (!rc)
		rc = k.commit(k.w, b->digest);
	else
		k.abort(k.w, rc == ERR_NET);
	if (!rc)
		xfer_note(p, b->digest, "pulled", b->size);
	return rc;
}

static void *xfer_worker(void *arg)
{
	struct xfer_pool *p = arg;
	size_t i;
	int rc;

	while (!atomic_load(&p->failed)) {
		i = atomic_fetch_add(&p->next, 1);
		if (i >= p->count)
			break;
		rc = p->push ? xfer_push_blob(p, &p->blobs[i])
			     : xfer_pull_blob(p, &p->blobs[i]);
		if (rc)
			xfer_fail(p, rc);
	}
	return NULL;
}

/* Drop repeated descriptors so two workers never write one blob. */
static void xfer_dedup(struct xfer_blob *b, size_t *count)
{
	size_t n = 0;

	for (size_t i = 0; i < *count; i++) {
		bool seen = false;

		for (size_t j = 0; j < n && !seen; j++)
			seen = !strcmp(b[j].digest, b[i].digest);
		if (!seen)
			b[n++] = b[i];
	}
	*count = n;
}

static int xfer_run(struct xfer_pool *p)
{
	pthread_t tids[XFER_JOBS_MAX];
	int jobs = p->o->jobs > 0 ? p->o->jobs : XFER_JOBS_DEFAULT;
	int started = 0;

	if (jobs > XFER_JOBS_MAX)
		jobs = XFER_JOBS_MAX;
	if ((size_t)jobs > p->count)
		jobs = (int)p->count;
	pthread_mutex_init(&p->lock, NULL);
	atomic_init(&p->next, 0);
	atomic_init(&p->failed, 0);
	/*
	 * The first blob goes alone: it learns the registry's auth scheme
	 * and caches the token the parallel workers then share.
	 */
	if (p->count > 1) {
		int rc = p->push ? xfer_push_blob(p, &p->blobs[0])
				 : xfer_pull_blob(p, &p->blobs[0]);

		atomic_store(&p->next, 1);
		if (rc)
			xfer_fail(p, rc);
	}
	for (; started < jobs && !atomic_load(&p->failed); started++)
		if (pthread_create(&tids[started], NULL, xfer_worker, p))
			break;
	if (!started)
		xfer_worker(p); /* no thread at all: do the work here */
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&p->lock);
	if (p->rc)
		return err_set(p->rc, "%s", p->msg);
	return 0;
}

static int xfer_blobs(struct regclient *c, const struct xfer_local *l,
		      const struct xfer_opts *o, const char *repo,
		      const struct buf *body, bool push, char *media_type)
{
	struct xfer_pool p = { .c = c, .l = l, .o = o, .repo = repo,
			       .push = push };
	int rc;

	rc = xfer_manifest_blobs(body->data, body->len, &p.blobs, &p.count,
				 media_type);
	if (rc)
		return rc;
	xfer_dedup(p.blobs, &p.count);
	rc = xfer_run(&p);
	free(p.blobs);
	return rc;
}

int xfer_push(struct regclient *c, const struct xfer_local *l,
	      const char *local_ref, const char *repo, const char *reference,
	      const struct xfer_opts *o, char digest[DIGEST_STR_LEN])
{
	static const struct xfer_opts none;
	struct buf body = BUF_INIT(REGCLIENT_MANIFEST_MAX);
	char local_digest[DIGEST_STR_LEN];
	char media_type[REGCLIENT_MEDIA_TYPE_MAX + 1];
	int rc;

	o = o ? o : &none;
	rc = l->manifest_get(l->self, local_ref, &body, local_digest);
	if (!rc)
		rc = xfer_blobs(c, l, o, repo, &body, true, media_type);
	/* Blobs first, manifest last: a tag never names missing content. */
	if (!rc)
		rc = regclient_manifest_put(c, repo, *reference ? reference
					    : local_digest, media_type,
					    body.data, body.len, digest);
	buf_release(&body);
	return rc;
}

int xfer_pull(struct regclient *c, const struct xfer_local *l,
	      const char *repo, const char *reference, const char *local_tag,
	      const struct xfer_opts *o, char digest[DIGEST_STR_LEN])
{
	static const struct xfer_opts none;
	struct buf body = BUF_INIT(REGCLIENT_MANIFEST_MAX);
	char media_type[REGCLIENT_MEDIA_TYPE_MAX + 1];
	int rc;

	o = o ? o : &none;
	rc = regclient_manifest_get(c, repo, reference, &body, digest, NULL);
	if (!rc)
		rc = xfer_blobs(c, l, o, repo, &body, false, media_type);
	if (!rc)
		rc = l->manifest_put(l->self, local_tag, media_type,
				     body.data, body.len, digest);
	buf_release(&body);
	return rc;
}

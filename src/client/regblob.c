/* Registry client blob transfers: verified streaming GET, uploads. */
#include "client/http.h"
#include "oci/digest.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define RB_READ_CHUNK (1u << 20)

/* State of one blob download across resumed attempts. */
struct rb_get {
	EVP_MD_CTX *hash;
	uint64_t size;       /* expected, UINT64_MAX when unknown */
	uint64_t offset;     /* bytes verified and delivered so far */
	uint64_t skip;       /* bytes to drop: server ignored Range */
	uint64_t asked;      /* offset requested by this attempt */
	bool started;        /* this attempt delivered its first byte */
	struct rc_resp *resp;
	regclient_sink_fn sink;
	void *arg;
};

static int rb_check(const char *repo, const char *digest)
{
	if (!oci_repo_valid(repo))
		return err_set(ERR_INVALID, "invalid repository name '%s'",
			       repo);
	if (!oci_digest_valid(digest))
		return err_set(ERR_INVALID, "invalid digest '%s'", digest);
	return 0;
}

static void rb_final_digest(EVP_MD_CTX *h, char out[DIGEST_STR_LEN])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_MD_CTX *copy = EVP_MD_CTX_new();

	/* Finalise a copy so the running hash can continue. */
	if (copy && EVP_MD_CTX_copy_ex(copy, h) &&
	    EVP_DigestFinal_ex(copy, md, &n) && n == SHA256_LEN) {
		memcpy(out, "sha256:", 7);
		hex_encode(md, SHA256_LEN, out + 7);
	} else {
		out[0] = '\0';
	}
	EVP_MD_CTX_free(copy);
}

static EVP_MD_CTX *rb_hash_new(void)
{
	EVP_MD_CTX *h = EVP_MD_CTX_new();

	if (h && !EVP_DigestInit_ex(h, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(h);
		h = NULL;
	}
	return h;
}

/* Hash bytes [from, to) of fd into h. */
static int rb_hash_fd(EVP_MD_CTX *h, int fd, uint64_t from, uint64_t to)
{
	char *chunk = malloc(RB_READ_CHUNK);
	int rc = 0;

	if (!chunk)
		return err_set(ERR_NOMEM, "out of memory");
	while (from < to) {
		size_t want = to - from < RB_READ_CHUNK ? (size_t)(to - from)
							: RB_READ_CHUNK;
		ssize_t got = pread(fd, chunk, want, (off_t)from);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0) {
			rc = got ? err_setsys(ERR_IO, errno, "cannot read "
					      "blob data")
				 : err_set(ERR_IO, "blob data ends early at "
					   "byte %" PRIu64, from);
			break;
		}
		EVP_DigestUpdate(h, chunk, (size_t)got);
		from += (uint64_t)got;
	}
	free(chunk);
	return rc;
}

/* "bytes START-END/TOTAL": is START the offset we asked for? */
static bool rb_range_starts_at(const char *cr, uint64_t offset)
{
	char want[40];

	snprintf(want, sizeof(want), "bytes %" PRIu64 "-", offset);
	return !strncmp(cr, want, strlen(want));
}

/* First bytes of an attempt: check what the registry answers with. */
static int rb_get_start(struct rb_get *g)
{
	g->started = true;
	if (g->resp->status == 200 && g->asked) {
		/* Range ignored: the whole blob again, drop what we have. */
		g->skip = g->asked;
		return 0;
	}
	if (g->resp->status == 206 &&
	    !rb_range_starts_at(g->resp->content_range, g->asked))
		return err_set(ERR_NET, "registry answered a Range request "
			       "with other bytes (%.60s)",
			       g->resp->content_range);
	return 0;
}

static int rb_get_sink(const void *p, size_t n, void *arg)
{
	struct rb_get *g = arg;
	const char *s = p;
	int rc;

	if (!g->started && (rc = rb_get_start(g)))
		return rc;
	if (g->skip) {
		size_t drop = n < g->skip ? n : (size_t)g->skip;

		g->skip -= drop;
		s += drop;
		n -= drop;
		if (!n)
			return 0;
	}
	if (g->size != UINT64_MAX && n > g->size - g->offset)
		return err_set(ERR_LIMIT, "registry sent more than the %"
			       PRIu64 " bytes of the blob", g->size);
	EVP_DigestUpdate(g->hash, s, n);
	g->offset += n;
	return g->sink(s, n, g->arg);
}

/* One GET from g->offset: 1 complete, 0 retry-worthy, <0 error. */
static int rb_get_attempt(struct regclient *c, struct rc_req *req,
			  struct rb_get *g)
{
	char range[48];
	int rc;

	snprintf(range, sizeof(range), "bytes=%" PRIu64 "-", g->offset);
	req->range = g->offset ? range : NULL;
	g->asked = g->offset;
	g->started = false;
	g->skip = 0;
	rc = rc_do_once(c, req, g->resp);
	req->range = NULL;
	if (rc)
		return rc;
	if (g->resp->status != 200 && g->resp->status != 206)
		return 0;
	if (g->size == UINT64_MAX || g->offset == g->size)
		return 1;
	return err_set(ERR_NET, "blob transfer from '%s' ended at byte %"
		       PRIu64 " of %" PRIu64, c->host, g->offset, g->size);
}

static bool rb_should_retry(const struct regclient *c, int rc,
			    const struct rc_resp *resp, int attempt,
			    time_t deadline)
{
	long status = resp->status;

	if (resp->fatal)
		return false;
	if (rc == 0 && !rc_transient(0, status))
		return false;
	if (rc && rc != ERR_NET)
		return false;
	return attempt < c->retries && time(NULL) < deadline;
}

static int rb_get_run(struct regclient *c, const char *repo,
		      const char *digest, struct rb_get *g)
{
	char path[RC_URL_MAX], scope[RC_SCOPE_MAX], got[DIGEST_STR_LEN];
	struct rc_req req = { .method = "GET", .url = path, .scope = scope,
			      .body = RC_BODY_NONE, .sink = rb_get_sink,
			      .sink_arg = g, .follow = true };
	int rc, attempt = 0;

	snprintf(path, sizeof(path), "/v2/%s/blobs/%s", repo, digest);
	rc = rc_scope(scope, repo, "pull");
	if (rc)
		return rc;
	req.deadline = rc_deadline(c);
	/* A file completed by an earlier run only needs its check. */
	while (g->size == UINT64_MAX || g->offset < g->size) {
		uint64_t before = g->offset;

		rc = rb_get_attempt(c, &req, g);
		if (rc == 1)
			break;
		if (g->offset > before)
			attempt = 0; /* progress: the retry budget restarts */
		if (!rb_should_retry(c, rc, g->resp, attempt, req.deadline))
			return rc ? rc : rc_status_error(c, g->resp,
							 "GET blob");
		rc_backoff(attempt++);
	}
	rb_final_digest(g->hash, got);
	if (strcmp(got, digest))
		return err_set(ERR_DIGEST, "blob %s from registry '%s' has "
			       "digest %s", digest, c->host, got);
	return 0;
}

/* Download with the hash already holding bytes [0, offset). */
static int rb_get(struct regclient *c, const char *repo,
		  const char *digest, uint64_t size, uint64_t offset,
		  EVP_MD_CTX *hash, regclient_sink_fn sink, void *arg)
{
	struct rc_resp resp;
	struct rb_get g = { hash, size, offset, 0, 0, false, &resp, sink,
			    arg };
	int rc;

	rc_resp_init(&resp);
	rc = rb_get_run(c, repo, digest, &g);
	rc_resp_release(&resp);
	return rc;
}

int regclient_blob_get(struct regclient *c, const char *repo,
		       const char *digest, uint64_t size,
		       regclient_sink_fn sink, void *arg)
{
	EVP_MD_CTX *hash;
	int rc = rb_check(repo, digest);

	if (rc)
		return rc;
	hash = rb_hash_new();
	if (!hash)
		return err_set(ERR_NOMEM, "cannot create a SHA-256 context");
	rc = rb_get(c, repo, digest, size, 0, hash, sink, arg);
	EVP_MD_CTX_free(hash);
	return rc;
}

int regclient_blob_get_resume(struct regclient *c, const char *repo,
			      const char *digest, uint64_t size,
			      int prefix_fd, uint64_t have,
			      regclient_sink_fn sink, void *arg)
{
	EVP_MD_CTX *hash;
	int rc = rb_check(repo, digest);

	if (rc)
		return rc;
	if (size != UINT64_MAX && have > size)
		return err_set(ERR_INVALID, "resume offset %" PRIu64 " beyond "
			       "the %" PRIu64 " bytes of blob %s", have, size,
			       digest);
	hash = rb_hash_new();
	if (!hash)
		return err_set(ERR_NOMEM, "cannot create a SHA-256 context");
	rc = rb_hash_fd(hash, prefix_fd, 0, have);
	if (!rc)
		rc = rb_get(c, repo, digest, size, have, hash, sink, arg);
	EVP_MD_CTX_free(hash);
	return rc;
}

struct rb_fd_sink {
	int fd;
	uint64_t pos;
};

static int rb_fd_write(const void *p, size_t n, void *arg)
{
	struct rb_fd_sink *s = arg;
	const char *q = p;

	while (n) {
		ssize_t w = pwrite(s->fd, q, n, (off_t)s->pos);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return err_setsys(ERR_IO, errno, "cannot write blob");
		q += w;
		n -= (size_t)w;
		s->pos += (uint64_t)w;
	}
	return 0;
}

int regclient_blob_fetch_fd(struct regclient *c, const char *repo,
			    const char *digest, uint64_t size, int fd)
{
	struct rb_fd_sink s = { fd, 0 };
	struct stat st;
	int rc;

	if (fstat(fd, &st))
		return err_setsys(ERR_IO, errno, "cannot stat blob file");
	s.pos = (uint64_t)st.st_size;
	if (size != UINT64_MAX && s.pos > size) {
		if (ftruncate(fd, 0))
			return err_setsys(ERR_IO, errno, "cannot truncate");
		s.pos = 0;
	}
	/* Bytes from an earlier, interrupted run seed the hash. */
	rc = regclient_blob_get_resume(c, repo, digest, size, fd, s.pos,
				       rb_fd_write, &s);
	if (rc == ERR_DIGEST && ftruncate(fd, 0))
		rc = err_setsys(ERR_IO, errno, "cannot truncate bad blob");
	return rc;
}

/* State of one upload session. */
struct rb_put {
	struct regclient *c;
	const char *repo, *digest;
	char scope[RC_SCOPE_MAX];
	char location[RC_URL_MAX];   /* absolute, same origin */
	int fd;
	uint64_t size;
	time_t deadline;
	struct rc_resp resp;
};

/* Take the session URL from a Location header. */
static int rb_take_location(struct rb_put *u)
{
	if (!u->resp.location[0] || u->resp.overflow)
		return err_set(ERR_NET, "registry '%s' did not say where to "
			       "upload (no Location)", u->c->host);
	return rc_resolve_url(u->c, u->resp.location, u->location,
			      sizeof(u->location));
}

/* POST to start a session; 1 when a cross-repository mount did it all. */
static int rb_start(struct rb_put *u, const char *mount_from)
{
	char url[RC_URL_MAX];
	struct rc_req req = { .method = "POST", .url = url,
			      .scope = u->scope, .body = RC_BODY_NONE,
			      .retry = true, .deadline = u->deadline };
	int rc;

	if (mount_from && oci_repo_valid(mount_from) &&
	    strcmp(mount_from, u->repo))
		snprintf(url, sizeof(url), "/v2/%s/blobs/uploads/?mount=%s"
			 "&from=%s", u->repo, u->digest, mount_from);
	else
		snprintf(url, sizeof(url), "/v2/%s/blobs/uploads/", u->repo);
	rc = rc_do(u->c, &req, &u->resp);
	if (rc)
		return rc;
	if (u->resp.status == 201)
		return 1;
	if (u->resp.status != 202)
		return rc_status_error(u->c, &u->resp, "POST blob upload");
	return rb_take_location(u);
}

/* The session URL with "digest=<digest>" added to its query. */
static int rb_digest_url(const struct rb_put *u, char *out, size_t len)
{
	int n = snprintf(out, len, "%s%sdigest=%s", u->location,
			 strchr(u->location, '?') ? "&" : "?", u->digest);

	if (n < 0 || (size_t)n >= len)
		return err_set(ERR_LIMIT, "upload URL too long");
	return 0;
}

static int rb_put_final(struct rb_put *u, uint64_t off, uint64_t len)
{
	char url[RC_URL_MAX];
	struct rc_req req = { .method = "PUT", .url = url, .scope = u->scope,
			      .content_type = "application/octet-stream",
			      .body = RC_BODY_NONE, .retry = true,
			      .deadline = u->deadline };
	int rc = rb_digest_url(u, url, sizeof(url));

	if (rc)
		return rc;
	if (len) {
		req.body.fd = u->fd;
		req.body.off = off;
		req.body.len = len;
	}
	rc = rc_do(u->c, &req, &u->resp);
	if (!rc && u->resp.status != 201)
		rc = rc_status_error(u->c, &u->resp, "PUT blob");
	if (!rc && u->resp.digest[0] && strcmp(u->resp.digest, u->digest))
		rc = err_set(ERR_DIGEST, "registry '%s' stored blob %s as "
			     "%.80s", u->c->host, u->digest, u->resp.digest);
	return rc;
}

static int rb_cancel(struct rb_put *u, int rc)
{
	struct rc_req req = { .method = "DELETE", .url = u->location,
			      .scope = u->scope, .body = RC_BODY_NONE,
			      .deadline = u->deadline };
	struct rc_resp resp;
	char keep[1024];

	/* Best effort: the original failure is what the caller sees. */
	snprintf(keep, sizeof(keep), "%s", err_msg());
	rc_resp_init(&resp);
	rc_do_once(u->c, &req, &resp);
	rc_resp_release(&resp);
	err_set(rc, "%s", keep);
	return rc;
}

static int rb_verify_fd(struct rb_put *u, EVP_MD_CTX *h, uint64_t from)
{
	char got[DIGEST_STR_LEN];
	int rc = rb_hash_fd(h, u->fd, from, u->size);

	if (rc)
		return rc;
	rb_final_digest(h, got);
	if (strcmp(got, u->digest))
		return err_set(ERR_DIGEST, "local blob has digest %s, not %s",
			       got, u->digest);
	return 0;
}

/* Small blobs: check the bytes, then one PUT carrying them all. */
static int rb_monolithic(struct rb_put *u)
{
	EVP_MD_CTX *h = rb_hash_new();
	int rc;

	if (!h)
		return err_set(ERR_NOMEM, "cannot create a SHA-256 context");
	rc = rb_verify_fd(u, h, 0);
	EVP_MD_CTX_free(h);
	if (!rc)
		rc = rb_put_final(u, 0, u->size);
	return rc;
}

/*
 * "0-N" or "bytes=0-N" from an upload status: N+1 bytes received.
 * Distribution answers "0-0" for an empty session too; it is read as 0.
 */
static int rb_parse_range(const char *r, uint64_t *received)
{
	const char *p = r;
	char *end;
	unsigned long long last;

	*received = 0;
	if (!*r)
		return 0;
	if (!strncmp(p, "bytes=", 6))
		p += 6;
	if (strncmp(p, "0-", 2) || p[2] < '0' || p[2] > '9')
		return err_set(ERR_NET, "malformed upload Range '%.60s'", r);
	errno = 0;
	last = strtoull(p + 2, &end, 10);
	if (errno || *end || last == ULLONG_MAX)
		return err_set(ERR_NET, "malformed upload Range '%.60s'", r);
	*received = last ? last + 1 : 0;
	return 0;
}

/* Ask the registry how much of the session it has. */
static int rb_status(struct rb_put *u, uint64_t *received)
{
	struct rc_req req = { .method = "GET", .url = u->location,
			      .scope = u->scope, .body = RC_BODY_NONE,
			      .retry = true, .deadline = u->deadline };
	char url[RC_URL_MAX];
	int rc;

	snprintf(url, sizeof(url), "%s", u->location);
	req.url = url;
	rc = rc_do(u->c, &req, &u->resp);
	if (!rc && u->resp.status != 204)
		rc = rc_status_error(u->c, &u->resp, "GET upload status");
	if (!rc)
		rc = rb_parse_range(u->resp.range, received);
	if (!rc && *received > u->size)
		rc = err_set(ERR_NET, "registry '%s' reports more bytes than "
			     "the blob has", u->c->host);
	if (!rc && u->resp.location[0])
		rc = rb_take_location(u);
	return rc;
}

/* Bring the committed hash to the registry's offset after a failure. */
static int rb_resync(struct rb_put *u, EVP_MD_CTX **committed,
		     uint64_t *off)
{
	uint64_t got;
	int rc = rb_status(u, &got);

	if (rc)
		return rc;
	if (got < *off) {
		/* The registry lost data we sent: hash again from zero. */
		EVP_MD_CTX_free(*committed);
		*committed = rb_hash_new();
		if (!*committed)
			return err_set(ERR_NOMEM, "out of memory");
		*off = 0;
	}
	rc = rb_hash_fd(*committed, u->fd, *off, got);
	if (!rc)
		*off = got;
	return rc;
}

/* PATCH bytes [off, off+n); on success the hash advances with them. */
static int rb_patch(struct rb_put *u, EVP_MD_CTX **committed, uint64_t off,
		    uint64_t n)
{
	char url[RC_URL_MAX], range[64];
	struct rc_req req = { .method = "PATCH", .url = url,
			      .scope = u->scope,
			      .content_type = "application/octet-stream",
			      .content_range = range, .body = RC_BODY_NONE,
			      .deadline = u->deadline };
	EVP_MD_CTX *h = EVP_MD_CTX_new();
	int rc;

	if (!h || !EVP_MD_CTX_copy_ex(h, *committed)) {
		EVP_MD_CTX_free(h);
		return err_set(ERR_NOMEM, "out of memory");
	}
	snprintf(url, sizeof(url), "%s", u->location);
	snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, off,
		 off + n - 1);
	req.body.fd = u->fd;
	req.body.off = off;
	req.body.len = n;
	req.body.hash = h;
	rc = rc_do_once(u->c, &req, &u->resp);
	if (!rc && u->resp.status == 202 && u->resp.rewound) {
		/* Part of the body went twice: hash the range afresh. */
		if (!EVP_MD_CTX_copy_ex(h, *committed))
			rc = err_set(ERR_NOMEM, "out of memory");
		else
			rc = rb_hash_fd(h, u->fd, off, off + n);
	}
	if (!rc && u->resp.status == 202)
		rc = rb_take_location(u);
	if (!rc && u->resp.status == 202) {
		EVP_MD_CTX_free(*committed);
		*committed = h;
		return 0;
	}
	EVP_MD_CTX_free(h);
	return rc;
}

/* Large blobs: PATCH chunks, resuming where the registry stopped. */
static int rb_chunked(struct rb_put *u)
{
	EVP_MD_CTX *committed = rb_hash_new();
	char got[DIGEST_STR_LEN];
	uint64_t off = 0;
	int rc = 0, attempt = 0;

	if (!committed)
		return err_set(ERR_NOMEM, "cannot create a SHA-256 context");
	while (off < u->size) {
		uint64_t n = u->size - off < u->c->chunk_size
			     ? u->size - off : u->c->chunk_size;

		rc = rb_patch(u, &committed, off, n);
		if (!rc && u->resp.status == 202) {
			off += n;
			attempt = 0;
			continue;
		}
		if (!rb_should_retry(u->c, rc, &u->resp, attempt,
				     u->deadline)) {
			if (!rc)
				rc = rc_status_error(u->c, &u->resp,
						     "PATCH blob chunk");
			goto out;
		}
		rc_backoff(attempt++);
		rc = rb_resync(u, &committed, &off);
		if (rc)
			goto out;
	}
	rb_final_digest(committed, got);
	if (strcmp(got, u->digest)) {
		rc = rb_cancel(u, err_set(ERR_DIGEST, "local blob has digest "
					  "%s, not %s", got, u->digest));
		goto out;
	}
	rc = rb_put_final(u, 0, 0);
out:
	EVP_MD_CTX_free(committed);
	return rc;
}

int regclient_blob_put_fd(struct regclient *c, const char *repo,
			  const char *digest, int fd, uint64_t size,
			  const char *mount_from, const char **how)
{
	struct rb_put u = { .c = c, .repo = repo, .digest = digest,
			    .fd = fd, .size = size };
	uint64_t have;
	int rc = rb_check(repo, digest);

	if (rc)
		return rc;
	/* Same token scope as the upload, so one token serves both. */
	rc = rc_blob_head(c, repo, digest, "push,pull", &have);
	if (how)
		*how = "exists";
	if (!rc && (have == size || have == UINT64_MAX))
		return 0;
	if (rc && rc != ERR_NOTFOUND)
		return rc;
	rc = rc_scope(u.scope, repo, "push,pull");
	if (rc)
		return rc;
	u.deadline = rc_deadline(c);
	rc_resp_init(&u.resp);
	rc = rb_start(&u, mount_from);
	if (how)
		*how = rc == 1 ? "mounted" : "pushed";
	if (rc == 1)
		rc = 0;
	else if (!rc && size <= c->monolithic_max)
		rc = rb_monolithic(&u);
	else if (!rc)
		rc = rb_chunked(&u);
	rc_resp_release(&u.resp);
	return rc;
}

int regclient_blob_put_buf(struct regclient *c, const char *repo,
			   const void *p, size_t len,
			   char digest[DIGEST_STR_LEN])
{
	int fd, rc;

	if (len > REGCLIENT_MONOLITHIC_MAX)
		return err_set(ERR_LIMIT, "in-memory blob larger than %u "
			       "bytes", REGCLIENT_MONOLITHIC_MAX);
	sha256_digest_buf(p, len, digest);
	/* A memory file lets small blobs share the fd upload path. */
	fd = memfd_create("stele-blob", MFD_CLOEXEC);
	if (fd < 0)
		return err_setsys(ERR_IO, errno, "memfd_create");
	rc = fs_write_all(fd, p, len, "memory blob");
	if (!rc)
		rc = regclient_blob_put_fd(c, repo, digest, fd, len, NULL,
					   NULL);
	close(fd);
	return rc;
}

/* An OCI Distribution client: manifests, blobs, tags, referrers, auth. */
#ifndef STELE_CLIENT_REGCLIENT_H
#define STELE_CLIENT_REGCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/sha256.h"

#define REGCLIENT_MANIFEST_MAX (4u << 20) /* manifests and indexes */
#define REGCLIENT_JSON_MAX (4u << 20)     /* tag lists, token replies */
#define REGCLIENT_MEDIA_TYPE_MAX 255
#define REGCLIENT_TAG_PAGES_MAX 1000      /* Link pages followed */
#define REGCLIENT_MONOLITHIC_MAX (16u << 20) /* default: larger blobs are
						 uploaded in chunks */
/*
 * Default PATCH size. Distribution re-reads its hash state for every
 * chunk, so few large chunks push faster; memory does not depend on it.
 */
#define REGCLIENT_CHUNK_SIZE (128u << 20)

/* Accept header used for manifest GETs: OCI and Docker schema 2. */
#define REGCLIENT_ACCEPT_MANIFESTS \
	"application/vnd.oci.image.manifest.v1+json, " \
	"application/vnd.oci.image.index.v1+json, " \
	"application/vnd.docker.distribution.manifest.v2+json, " \
	"application/vnd.docker.distribution.manifest.list.v2+json"

/*
 * Options of a client. Strings are copied by regclient_new(); the caller
 * keeps ownership of its own copies. Zero values mean the default.
 */
struct regclient_opts {
	const char *username;   /* with password: Basic and token requests */
	const char *password;
	const char *identity_token; /* OAuth2 refresh token */
	const char *bearer_token;   /* a ready token sent as-is */
	const char *ca_file;    /* PEM bundle replacing the system CAs */
	bool insecure;          /* allow plain HTTP to a non-loopback host */
	int timeout_sec;        /* deadline of one operation incl. retries
				   (default 3600) */
	int retries;            /* attempts after the first (default 4) */
	uint64_t monolithic_max; /* one PUT up to this size (default
				    REGCLIENT_MONOLITHIC_MAX) */
	uint64_t chunk_size;    /* PATCH size (REGCLIENT_CHUNK_SIZE) */
	const char *user_agent;
	const char *credentials_hint; /* what to do when the registry wants
					 credentials and none were given
					 (default "run 'stele login HOST'") */
	bool basic_first;       /* send Basic credentials with the first
				   request (the /api/v1 endpoints answer
				   only Basic challenges) */
};

struct regclient;

/*
 * Create a client for host ("host[:port]"). HTTPS is used unless the
 * host is loopback ("localhost", 127.0.0.0/8, "[::1]"), opts->insecure is
 * set, or it is listed in STELE_INSECURE_REGISTRIES (comma separated);
 * those hosts try HTTPS first and fall back to HTTP. The caller owns the
 * result and frees it with regclient_free() (NULL-safe). The client may
 * be used from several threads at once.
 */
int regclient_new(const char *host, const struct regclient_opts *opts,
		  struct regclient **out);
void regclient_free(struct regclient *c);

/* True when host may be spoken to over plain HTTP without --insecure. */
bool regclient_host_is_loopback(const char *host);

/*
 * GET /v2/ with the configured credentials, running the token flow when
 * challenged. 0 when the registry accepts them (or needs none);
 * ERR_UNAUTH with one line when they are refused.
 */
int regclient_ping(struct regclient *c);

/*
 * Fetch a manifest by tag or digest into body, an initialised buffer
 * whose contents and limit are replaced (REGCLIENT_MANIFEST_MAX); it is
 * left empty on failure.
 * The digest of the bytes received goes into digest; it must equal
 * reference when that is a digest, and the Docker-Content-Digest header
 * when the registry sends one, else ERR_DIGEST. media_type receives the
 * Content-Type (REGCLIENT_MEDIA_TYPE_MAX + 1 bytes; may be NULL).
 * ERR_NOTFOUND when the registry has no such manifest.
 */
int regclient_manifest_get(struct regclient *c, const char *repo,
			   const char *reference, struct buf *body,
			   char digest[DIGEST_STR_LEN], char *media_type);

/*
 * Resolve a tag (or digest) to the digest of its manifest by fetching
 * and hashing it, never trusting a header alone.
 */
int regclient_resolve(struct regclient *c, const char *repo,
		      const char *reference, char digest[DIGEST_STR_LEN]);

/* PUT a manifest under reference (tag or its digest). */
int regclient_manifest_put(struct regclient *c, const char *repo,
			   const char *reference, const char *media_type,
			   const void *body, size_t len,
			   char digest[DIGEST_STR_LEN]);

/* HEAD a blob: 0 and its size, or ERR_NOTFOUND. */
int regclient_blob_exists(struct regclient *c, const char *repo,
			  const char *digest, uint64_t *size);

/*
 * Receives blob bytes in order; a non-zero return aborts the transfer
 * and is returned by regclient_blob_get().
 */
typedef int (*regclient_sink_fn)(const void *p, size_t n, void *arg);

/*
 * Stream blob digest of size bytes (UINT64_MAX: unknown) to sink.
 * Transfers that break are resumed with a Range request until the
 * deadline. The hash of all
 * bytes must equal digest (ERR_DIGEST otherwise), and more bytes than
 * size is ERR_LIMIT: the caller must discard what the sink received when
 * this returns an error.
 */
int regclient_blob_get(struct regclient *c, const char *repo,
		       const char *digest, uint64_t size,
		       regclient_sink_fn sink, void *arg);

/*
 * regclient_blob_get() resuming after the first have bytes, which are
 * read from prefix_fd (with pread) to seed the hash; sink receives only
 * the bytes after them.
 */
int regclient_blob_get_resume(struct regclient *c, const char *repo,
			      const char *digest, uint64_t size,
			      int prefix_fd, uint64_t have,
			      regclient_sink_fn sink, void *arg);

/*
 * Download a blob into fd (opened for writing at its current end). When
 * fd already holds bytes, they are hashed and the download resumes after
 * them with a Range request. fd ends up holding exactly the blob.
 */
int regclient_blob_fetch_fd(struct regclient *c, const char *repo,
			    const char *digest, uint64_t size, int fd);

/*
 * Upload size bytes read from fd (with pread, from offset 0) as blob
 * digest, unless the registry has it. With mount_from (a repository of
 * the same registry), a cross-repository mount is tried first. Blobs up
 * to opts.monolithic_max go in one PUT, larger ones in PATCH chunks of
 * opts.chunk_size; a failed chunk resumes from the offset the
 * registry reports. The bytes are hashed as they are sent and the upload
 * is cancelled with ERR_DIGEST if they do not match digest. On success
 * *how (when not NULL) says what happened: "exists", "mounted" or
 * "pushed" (a static string).
 */
int regclient_blob_put_fd(struct regclient *c, const char *repo,
			  const char *digest, int fd, uint64_t size,
			  const char *mount_from, const char **how);

/* Upload a small in-memory blob (same rules as regclient_blob_put_fd). */
int regclient_blob_put_buf(struct regclient *c, const char *repo,
			   const void *p, size_t len,
			   char digest[DIGEST_STR_LEN]);

/* Receives one tag; non-zero stops the listing and is returned. */
typedef int (*regclient_tag_fn)(const char *tag, void *arg);

/* List every tag of repo, following Link pages. */
int regclient_tags_list(struct regclient *c, const char *repo,
			regclient_tag_fn fn, void *arg);

/*
 * The referrers of digest as an OCI image index JSON in out (an
 * initialised buffer, replaced; REGCLIENT_JSON_MAX), filtered by
 * artifact_type when not NULL. When the registry has no referrers API,
 * the "sha256-<hex>" tag schema is read instead; no referrers at all
 * gives an empty index.
 */
int regclient_referrers(struct regclient *c, const char *repo,
			const char *digest, const char *artifact_type,
			struct buf *out);

/* DELETE a manifest (by digest, or a tag where allowed). */
int regclient_delete(struct regclient *c, const char *repo,
		     const char *reference);

/* DELETE a blob by digest. */
int regclient_blob_delete(struct regclient *c, const char *repo,
			  const char *digest);

#endif

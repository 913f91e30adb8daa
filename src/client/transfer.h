/* Push and pull of ModelKits between a local store and a registry. */
#ifndef STELE_CLIENT_TRANSFER_H
#define STELE_CLIENT_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include "client/regclient.h"
#include "util/buf.h"
#include "util/sha256.h"

#define XFER_BLOBS_MAX 10000  /* descriptors in one manifest */
#define XFER_JOBS_MAX 16

/*
 * Where a pulled blob goes. Exactly one of commit and abort is called;
 * both release w. commit is only called with bytes whose digest was
 * verified. abort with keep_partial keeps the bytes for a resume.
 */
struct xfer_sink {
	void *w;
	uint64_t have;   /* bytes already held (0 when none) */
	int have_fd;     /* readable fd of those bytes, -1 when have is 0 */
	int (*write)(const void *p, size_t n, void *w); /* regclient_sink_fn */
	int (*commit)(void *w, const char *digest);
	void (*abort)(void *w, bool keep_partial);
};

/*
 * The local side of a transfer, as a small function table so the OCI
 * layout directory and the stele store plug in the same way. self is
 * the implementation's state. Every function returns 0 or an error code
 * with err_set() done.
 */
struct xfer_local {
	void *self;
	/* The manifest a reference (tag or digest) names. */
	int (*manifest_get)(void *self, const char *ref, struct buf *body,
			    char digest[DIGEST_STR_LEN]);
	/* Record a manifest (already verified) and point tag at it. */
	int (*manifest_put)(void *self, const char *tag,
			    const char *media_type, const void *body,
			    size_t len, const char *digest);
	/* 1 when the blob is present and complete, 0 when not. */
	int (*blob_has)(void *self, const char *digest);
	/* Open a blob for reading; the caller closes *fd. */
	int (*blob_open)(void *self, const char *digest, int *fd,
			 uint64_t *size);
	/*
	 * Start receiving a blob of size bytes into out. The sink may
	 * already hold bytes from an interrupted run (out->have, readable
	 * through out->have_fd); the pull verifies and resumes after them.
	 */
	int (*blob_begin)(void *self, const char *digest, uint64_t size,
			  struct xfer_sink *out);
};

/* Callback for progress lines ("pushed", "exists", "resumed at"). */
typedef void (*xfer_note_fn)(const char *digest, const char *what,
			     uint64_t n, void *arg);

struct xfer_opts {
	int jobs;             /* parallel blob transfers (default 4) */
	const char *mount_from; /* push: repository to mount blobs from */
	xfer_note_fn note;    /* may be NULL; called from worker threads */
	void *note_arg;
};

/*
 * Push the manifest local names by local_ref, its config and layers to
 * repo under reference (a tag, or "" to push by digest only). The
 * manifest's digest goes into digest.
 */
int xfer_push(struct regclient *c, const struct xfer_local *l,
	      const char *local_ref, const char *repo, const char *reference,
	      const struct xfer_opts *o, char digest[DIGEST_STR_LEN]);

/*
 * Pull repo's manifest reference (tag or digest) with its config and
 * layers into l, tagging it local_tag ("" for none). Every byte is
 * verified against its digest before it becomes visible locally.
 */
int xfer_pull(struct regclient *c, const struct xfer_local *l,
	      const char *repo, const char *reference, const char *local_tag,
	      const struct xfer_opts *o, char digest[DIGEST_STR_LEN]);

/*
 * The descriptors (digest, size) of an image manifest's config and
 * layers. ERR_INVALID for indexes, bad digests or sizes, ERR_LIMIT past
 * XFER_BLOBS_MAX. media_type receives the manifest's media type
 * (REGCLIENT_MEDIA_TYPE_MAX + 1 bytes), the OCI one when absent.
 */
struct xfer_blob {
	char digest[DIGEST_STR_LEN];
	uint64_t size;
};
int xfer_manifest_blobs(const void *body, size_t len,
			struct xfer_blob **blobs, size_t *count,
			char *media_type);

#endif

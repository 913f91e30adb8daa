/* Content-addressed blob storage behind a function table, with upload
 * sessions that are hashed while they stream and survive a restart. */
#ifndef STELE_SERVER_BLOBSTORE_H
#define STELE_SERVER_BLOBSTORE_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#include "util/sha256.h"

/* "sha512:" + 128 hex digits + NUL. */
#define BLOB_DIGEST_MAX (7 + 128 + 1)

struct blobstore;
struct blobstore_upload;

/* Called per stored blob by walk; non-zero stops the walk. */
typedef int (*blobstore_walk_cb)(void *arg, const char *digest);

/*
 * Every function returns 0 or a negative err_code with err_set() called.
 * Digests handed in are already validated (blobstore_digest_valid),
 * upload ids are [0-9a-f]{32}: both become file names.
 */
struct blobstore_ops {
	void (*close)(struct blobstore *bs);

	/* Open a blob for reading: a file descriptor the caller closes, and
	 * its size. ERR_NOTFOUND when absent. */
	int (*open)(struct blobstore *bs, const char *digest, int *fd,
		    int64_t *size);
	/* Store a small object (a manifest) durably under digest, which
	 * the caller computed with blobstore_digest_buf(). */
	int (*put)(struct blobstore *bs, const void *p, size_t n,
		   const char *digest);
	int (*remove)(struct blobstore *bs, const char *digest);

	/*
	 * Take exclusive use of upload id. create starts an empty one;
	 * otherwise the session is reopened and cut back to size, the
	 * length the metadata recorded last (bytes past it were never
	 * acknowledged), rehashing from disk when the hash state was lost.
	 * ERR_CONFLICT when another request holds it.
	 */
	int (*upload_acquire)(struct blobstore *bs, const char *id,
			      int create, int64_t size,
			      struct blobstore_upload **out);
	int (*upload_write)(struct blobstore_upload *u, const void *p,
			    size_t n);
	/* Bytes written so far. */
	int64_t (*upload_size)(struct blobstore_upload *u);
	/* Flush to disk so the size can be recorded as durable. */
	int (*upload_sync)(struct blobstore_upload *u);
	/*
	 * Check the content against digest (ERR_DIGEST when it differs,
	 * the session stays usable) and move it into place with fsync and
	 * rename. sha256 is computed while data streams in; a sha512 digest
	 * costs one more read of the file. On success the session is gone
	 * and u is freed.
	 */
	int (*upload_commit)(struct blobstore_upload *u, const char *digest);
	/* Give the session back (it stays resumable). NULL is fine. */
	void (*upload_release)(struct blobstore_upload *u);
	/* Delete a session's data; fine when it does not exist. */
	int (*upload_remove)(struct blobstore *bs, const char *id);

	/* Every blob last modified before the given time (for GC to find
	 * content the index never recorded, e.g. after a crash). */
	int (*walk)(struct blobstore *bs, int64_t before,
		    blobstore_walk_cb cb, void *arg);
	/* Remove leftovers that are not upload sessions (temporary files
	 * of interrupted writes) modified before the given time. */
	int (*sweep)(struct blobstore *bs, int64_t before);
};

struct blobstore {
	const struct blobstore_ops *ops;
};

struct blobstore_upload {
	struct blobstore *bs;
};

/* True for "sha256:" + 64 or "sha512:" + 128 lower-case hex digits:
 * the only digests the store accepts (they become file names). */
bool blobstore_digest_valid(const char *d);

/* Digest of n bytes with the algorithm of like ("sha256:..." or
 * "sha512:..."; NULL means sha256) into out. */
void blobstore_digest_buf(const char *like, const void *p, size_t n,
			  char out[BLOB_DIGEST_MAX]);

/* The filesystem backend rooted at dir (blobs/ and uploads/ below it). */
int blobstore_fs_open(const char *dir, struct blobstore **out);

void blobstore_close(struct blobstore *bs);

#endif

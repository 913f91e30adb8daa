/* The local store: an OCI image layout (oci-layout, index.json,
 * blobs/sha256/) holding ModelKits, written crash-safely. */
#ifndef STELE_STORE_STORE_H
#define STELE_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"
#include "util/sha256.h"

#define STORE_INDEX_MAX (64u << 20)     /* bytes of index.json */
#define STORE_INDEX_MAX_ENTRIES 100000
#define STORE_REF_MAX 512               /* "host/repo:tag" */

/*
 * Layout under the root directory:
 *   oci-layout            {"imageLayoutVersion":"1.0.0"}
 *   index.json            manifests, each tagged with the annotation
 *                         org.opencontainers.image.ref.name = "repo:tag"
 *                         (the full reference, host included when given)
 *   blobs/sha256/<hex>    content, named by its digest
 *   tmp/                  blobs being written (never visible as blobs)
 *   .lock                 serialises index.json updates (flock)
 *   .gc.lock              shared while a store is open, exclusive to prune
 *
 * A blob appears under blobs/ only after it was fully written, fsynced and
 * its digest checked, by rename(). index.json is replaced atomically.
 * A struct store is owned by the caller of store_open(); store_free()
 * accepts NULL.
 */
struct store;

/* The default root: $STELE_HOME/store, else $XDG_DATA_HOME/stele/store,
 * else ~/.local/share/stele/store. */
int store_default_root(char *out, size_t len);

/* Open (creating when missing) the layout at root, or the default root
 * when root is NULL. */
int store_open(const char *root, struct store **out);
void store_free(struct store *s);
const char *store_root(const struct store *s);

/* ---- blobs ---- */

/*
 * A blob being written: bytes are hashed as they arrive. commit checks
 * the digest against expected (when not NULL; ERR_DIGEST on mismatch),
 * fsyncs and renames into place, and frees w; abort removes the partial
 * file and frees w (NULL-safe). A failed write leaves w for abort.
 */
struct store_blob_writer;

int store_blob_open_write(struct store *s, struct store_blob_writer **out);
int store_blob_write(struct store_blob_writer *w, const void *p, size_t n);
int store_blob_commit(struct store_blob_writer *w, const char *expected,
		      char digest[DIGEST_STR_LEN], uint64_t *size);
void store_blob_abort(struct store_blob_writer *w);

/* Write a small in-memory blob (config, manifest). */
int store_blob_put(struct store *s, const void *p, size_t n,
		   char digest[DIGEST_STR_LEN]);

/*
 * A blob being read. Reads hash the content; the read that reaches the
 * end returns ERR_DIGEST instead of 0 when the content does not match the
 * digest, or when its size differs from the file's size at open. So a
 * caller that reads to 0 has read verified bytes.
 */
struct store_blob_reader;

int store_blob_open_read(struct store *s, const char *digest,
			 struct store_blob_reader **out, uint64_t *size);
ssize_t store_blob_read(struct store_blob_reader *r, void *p, size_t n);
void store_blob_close(struct store_blob_reader *r);

/* Read a whole blob of at most max bytes, verified. */
int store_blob_get(struct store *s, const char *digest, size_t max,
		   struct buf *out);

/* 1 when the blob exists (size via *size when not NULL), 0 if not. */
int store_blob_exists(struct store *s, const char *digest, uint64_t *size);

/* ---- references ---- */

/*
 * Normalise a reference for the index: "[host/]repo:tag", "latest" when
 * the tag is missing. Digest references ("repo@sha256:...") resolve
 * without the index. ERR_INVALID for a malformed reference.
 */
int store_ref_normalize(const char *ref, char out[STORE_REF_MAX],
			char digest[DIGEST_STR_LEN]);

/* The manifest digest a reference names (ERR_NOTFOUND when unknown). */
int store_resolve(struct store *s, const char *ref,
		  char digest[DIGEST_STR_LEN]);

/*
 * Point ref (a tag reference, not a digest one) at the manifest digest,
 * which must be stored, replacing a previous target. media_type and
 * artifact_type describe the manifest
 * (artifact_type may be NULL).
 */
int store_tag(struct store *s, const char *ref, const char *digest,
	      const char *media_type, const char *artifact_type,
	      uint64_t size);

/* Remove ref from the index (ERR_NOTFOUND when it is not there). */
int store_untag(struct store *s, const char *ref);

struct store_entry {
	char ref[STORE_REF_MAX];
	char digest[DIGEST_STR_LEN];
	char media_type[256];
	char artifact_type[256];
	uint64_t size;
};

/* Every tagged manifest, in index order; free *out with free(). */
int store_list(struct store *s, struct store_entry **out, size_t *n);

/*
 * Delete every blob no tagged manifest reaches (manifest, config, layers,
 * subject), and the partial blobs killed writers left in tmp/. bytes
 * counts both. Needs exclusive use of the store: ERR_CONFLICT when another
 * stele process has it open. Nothing is deleted when any tagged manifest
 * cannot be read and parsed.
 */
int store_prune(struct store *s, uint64_t *blobs, uint64_t *bytes);

#endif

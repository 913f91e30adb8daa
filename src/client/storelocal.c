/* Adapter from the xfer_local function table to the local store. */
#include "client/storelocal.h"
#include "oci/digest.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int sl_ref(const struct storelocal *sl, const char *ref, char *out)
{
	int n = snprintf(out, STORE_REF_MAX, "%s%s%s", sl->name,
			 oci_digest_valid(ref) ? "@" : ":", ref);

	if (n < 0 || n >= STORE_REF_MAX)
		return err_set(ERR_LIMIT, "reference '%s' too long", sl->name);
	return 0;
}

static int sl_manifest_get(void *self, const char *ref, struct buf *body,
			   char digest[DIGEST_STR_LEN])
{
	struct storelocal *sl = self;
	char full[STORE_REF_MAX];
	int rc = sl_ref(sl, ref, full);

	if (!rc)
		rc = store_resolve(sl->store, full, digest);
	if (!rc)
		rc = store_blob_get(sl->store, digest, REGCLIENT_MANIFEST_MAX,
				    body);
	return rc;
}

/* The manifest's artifactType, for the store's index entry. */
static void sl_artifact_type(const void *body, size_t len, char *out,
			     size_t cap)
{
	json_error_t je;
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
	const char *at = json_string_value(json_object_get(root,
							   "artifactType"));

	snprintf(out, cap, "%s", at && strlen(at) < cap ? at : "");
	json_decref(root);
}

static int sl_manifest_put(void *self, const char *tag,
			   const char *media_type, const void *body,
			   size_t len, const char *digest)
{
	struct storelocal *sl = self;
	char full[STORE_REF_MAX], got[DIGEST_STR_LEN], at[256];
	int rc;

	rc = store_blob_put(sl->store, body, len, got);
	if (!rc && strcmp(got, digest))
		rc = err_set(ERR_DIGEST, "manifest stored as %s, not %s", got,
			     digest);
	/* Pulled by digest only: the blobs are kept, no tag is made. */
	if (rc || !*tag)
		return rc;
	rc = sl_ref(sl, tag, full);
	sl_artifact_type(body, len, at, sizeof(at));
	if (!rc)
		rc = store_tag(sl->store, full, digest, media_type,
			       at[0] ? at : NULL, len);
	return rc;
}

static int sl_blob_has(void *self, const char *digest)
{
	struct storelocal *sl = self;

	return store_blob_exists(sl->store, digest, NULL) == 1;
}

/*
 * Uploads read the blob file with pread (chunk retries need random
 * access); the registry client hashes what it sends, so a damaged file
 * fails the push with ERR_DIGEST as a store reader would.
 */
static int sl_blob_open(void *self, const char *digest, int *fd,
			uint64_t *size)
{
	struct storelocal *sl = self;
	char path[4096];
	struct stat st;

	if (!oci_digest_valid(digest))
		return err_set(ERR_INVALID, "invalid digest '%s'", digest);
	snprintf(path, sizeof(path), "%s/blobs/sha256/%s",
		 store_root(sl->store), oci_digest_hex(digest));
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0)
		return err_setsys(errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
				  errno, "blob %s is not in the local store",
				  digest);
	if (fstat(*fd, &st) || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return err_set(ERR_IO, "blob %s is not a regular file",
			       digest);
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

static int sl_w_write(const void *p, size_t n, void *w)
{
	return store_blob_write(w, p, n);
}

static int sl_w_commit(void *w, const char *digest)
{
	char got[DIGEST_STR_LEN];
	uint64_t size;

	/* store_blob_commit() releases w whatever the outcome. */
	return store_blob_commit(w, digest, got, &size);
}

static void sl_w_abort(void *w, bool keep_partial)
{
	store_blob_abort(w);
}

static int sl_blob_begin(void *self, const char *digest, uint64_t size,
			 struct xfer_sink *out)
{
	struct storelocal *sl = self;
	struct store_blob_writer *w = NULL;
	int rc = store_blob_open_write(sl->store, &w);

	if (rc)
		return rc;
	out->w = w;
	out->have = 0;
	out->have_fd = -1;
	out->write = sl_w_write;
	out->commit = sl_w_commit;
	out->abort = sl_w_abort;
	return 0;
}

int storelocal_bind(struct storelocal *self_mem, struct store *s,
		    const char *name, struct xfer_local *out)
{
	if ((size_t)snprintf(self_mem->name, sizeof(self_mem->name), "%s",
			     name) >= sizeof(self_mem->name))
		return err_set(ERR_LIMIT, "reference '%s' too long", name);
	self_mem->store = s;
	out->self = self_mem;
	out->manifest_get = sl_manifest_get;
	out->manifest_put = sl_manifest_put;
	out->blob_has = sl_blob_has;
	out->blob_open = sl_blob_open;
	out->blob_begin = sl_blob_begin;
	return 0;
}

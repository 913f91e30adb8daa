/* OCI image-layout directories: index.json, blobs/sha256, resumable writes. */
#include "client/layout.h"
#include "oci/digest.h"
#include "oci/ref.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LAYOUT_FILE "{\"imageLayoutVersion\":\"1.0.0\"}"

struct layout {
	char dir[PATH_MAX];
};

/* "<dir>/<a><b>" into out (PATH_MAX bytes). */
static int layout_path(const struct layout *l, char *out, const char *a,
		       const char *b)
{
	int n = snprintf(out, PATH_MAX, "%s/%s%s", l->dir, a, b);

	if (n < 0 || n >= PATH_MAX)
		return err_set(ERR_LIMIT, "path in layout '%s' too long",
			       l->dir);
	return 0;
}

static int layout_blob_path(const struct layout *l, const char *digest,
			    char *out)
{
	if (!oci_digest_valid(digest))
		return err_set(ERR_INVALID, "invalid digest '%s'", digest);
	return layout_path(l, out, "blobs/sha256/", oci_digest_hex(digest));
}

static int layout_create(struct layout *l)
{
	char p[PATH_MAX];
	int rc;

	rc = layout_path(l, p, "blobs/sha256", "");
	if (!rc)
		rc = fs_mkdirs(p, 0755);
	if (!rc)
		rc = layout_path(l, p, "oci-layout", "");
	if (!rc && !fs_exists(p))
		rc = fs_write_atomic(p, LAYOUT_FILE, strlen(LAYOUT_FILE),
				     0644);
	if (!rc)
		rc = layout_path(l, p, "index.json", "");
	if (!rc && !fs_exists(p))
		rc = fs_write_atomic(p, "{\"schemaVersion\":2,\"manifests\":"
				     "[]}\n", 34, 0644);
	return rc;
}

int layout_open(const char *dir, bool create, struct layout **out)
{
	struct layout *l;
	char p[PATH_MAX];
	int rc = 0;

	*out = NULL;
	l = calloc(1, sizeof(*l));
	if (!l)
		return err_set(ERR_NOMEM, "out of memory");
	if ((size_t)snprintf(l->dir, sizeof(l->dir), "%s", dir) >=
	    sizeof(l->dir) - 64)
		rc = err_set(ERR_LIMIT, "layout path too long");
	if (!rc && create)
		rc = layout_create(l);
	if (!rc)
		rc = layout_path(l, p, "oci-layout", "");
	if (!rc && !fs_exists(p))
		rc = err_set(ERR_NOTFOUND, "'%s' is not an OCI image layout "
			     "(no oci-layout file)", dir);
	if (rc) {
		free(l);
		return rc;
	}
	*out = l;
	return 0;
}

void layout_free(struct layout *l)
{
	free(l);
}

static int layout_index_load(const struct layout *l, json_t **root)
{
	struct buf b = BUF_INIT(LAYOUT_INDEX_MAX);
	char p[PATH_MAX];
	json_error_t je;
	int rc;

	*root = NULL;
	rc = layout_path(l, p, "index.json", "");
	if (!rc)
		rc = fs_read_file(p, LAYOUT_INDEX_MAX, &b);
	if (rc)
		return rc;
	*root = json_loadb(b.data ? b.data : "", b.len,
			   JSON_REJECT_DUPLICATES, &je);
	buf_release(&b);
	if (!*root)
		return err_set(ERR_INVALID, "%s: line %d column %d: %s", p,
			       je.line, je.column, je.text);
	if (!json_is_object(*root) ||
	    !json_is_array(json_object_get(*root, "manifests"))) {
		json_decref(*root);
		*root = NULL;
		return err_set(ERR_INVALID, "%s: no manifests array", p);
	}
	return 0;
}

static const char *layout_ref_name(json_t *d)
{
	return json_string_value(json_object_get(
		json_object_get(d, "annotations"), LAYOUT_REF_ANNOTATION));
}

/* The digest index.json gives ref (a tag or a digest). */
static int layout_resolve(const struct layout *l, const char *ref,
			  char digest[DIGEST_STR_LEN])
{
	json_t *root, *d;
	size_t i;
	int rc = layout_index_load(l, &root);

	if (rc)
		return rc;
	rc = err_set(ERR_NOTFOUND, "no manifest '%s' in layout '%s'", ref,
		     l->dir);
	json_array_foreach(json_object_get(root, "manifests"), i, d) {
		const char *dg = json_string_value(json_object_get(d,
								   "digest"));
		const char *name = layout_ref_name(d);

		if (!dg || !oci_digest_valid(dg))
			continue;
		if (!strcmp(dg, ref) || (name && !strcmp(name, ref))) {
			snprintf(digest, DIGEST_STR_LEN, "%s", dg);
			rc = 0;
			break;
		}
	}
	json_decref(root);
	return rc;
}

static int layout_manifest_get(void *self, const char *ref,
			       struct buf *body, char digest[DIGEST_STR_LEN])
{
	struct layout *l = self;
	char p[PATH_MAX], got[DIGEST_STR_LEN];
	int rc;

	rc = layout_resolve(l, ref, digest);
	if (!rc)
		rc = layout_blob_path(l, digest, p);
	if (!rc)
		rc = fs_read_file(p, REGCLIENT_MANIFEST_MAX, body);
	if (rc)
		return rc;
	sha256_digest_buf(body->data ? body->data : "", body->len, got);
	if (strcmp(got, digest))
		return err_set(ERR_DIGEST, "manifest blob %s in layout '%s' "
			       "is corrupt", digest, l->dir);
	return 0;
}

static int layout_index_add(struct layout *l, const char *tag,
			    const char *media_type, size_t len,
			    const char *digest)
{
	json_t *root, *list, *d;
	char p[PATH_MAX], *text = NULL;
	size_t i;
	int rc = layout_index_load(l, &root);

	if (rc)
		return rc;
	list = json_object_get(root, "manifests");
	/* One entry per tag; an untagged pull keeps one per digest. */
	for (i = json_array_size(list); i-- > 0;) {
		const char *name = layout_ref_name(json_array_get(list, i));
		const char *dg = json_string_value(json_object_get(
					json_array_get(list, i), "digest"));

		if ((*tag && name && !strcmp(name, tag)) ||
		    (!name && dg && !strcmp(dg, digest)))
			json_array_remove(list, i);
	}
	d = json_pack("{sssssI}", "mediaType", media_type, "digest", digest,
		      "size", (json_int_t)len);
	if (d && *tag)
		json_object_set_new(d, "annotations", json_pack("{ss}",
				    LAYOUT_REF_ANNOTATION, tag));
	if (!d || json_array_append_new(list, d))
		rc = err_set(ERR_NOMEM, "out of memory");
	if (!rc)
		text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!rc && !text)
		rc = err_set(ERR_NOMEM, "out of memory");
	if (!rc)
		rc = layout_path(l, p, "index.json", "");
	if (!rc)
		rc = fs_write_atomic(p, text, strlen(text), 0644);
	free(text);
	json_decref(root);
	return rc;
}

static int layout_manifest_put(void *self, const char *tag,
			       const char *media_type, const void *body,
			       size_t len, const char *digest)
{
	struct layout *l = self;
	char p[PATH_MAX];
	int rc;

	if (*tag && !oci_tag_valid(tag))
		return err_set(ERR_INVALID, "invalid tag '%s'", tag);
	rc = layout_blob_path(l, digest, p);
	if (!rc && !fs_exists(p))
		rc = fs_write_atomic(p, body, len, 0644);
	if (!rc)
		rc = layout_index_add(l, tag, media_type, len, digest);
	return rc;
}

static int layout_blob_has(void *self, const char *digest)
{
	char p[PATH_MAX];

	if (layout_blob_path(self, digest, p))
		return 0;
	return fs_exists(p);
}

static int layout_blob_open(void *self, const char *digest, int *fd,
			    uint64_t *size)
{
	char p[PATH_MAX];
	struct stat st;
	int rc = layout_blob_path(self, digest, p);

	if (rc)
		return rc;
	*fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0)
		return err_setsys(errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
				  errno, "cannot open blob %s", digest);
	if (fstat(*fd, &st) || !S_ISREG(st.st_mode)) {
		close(*fd);
		*fd = -1;
		return err_set(ERR_IO, "blob %s is not a regular file",
			       digest);
	}
	*size = (uint64_t)st.st_size;
	return 0;
}

static int layout_partial_path(struct layout *l, const char *digest,
			       char *out)
{
	if (!oci_digest_valid(digest))
		return err_set(ERR_INVALID, "invalid digest '%s'", digest);
	return layout_path(l, out, ".partial/sha256-",
			   oci_digest_hex(digest));
}

/* A pulled blob on its way into the layout: .partial/sha256-<hex>. */
struct layout_writer {
	char tmp[PATH_MAX];
	char path[PATH_MAX];
	int fd;
	uint64_t pos;
};

static int layout_w_write(const void *p, size_t n, void *arg)
{
	struct layout_writer *w = arg;
	const char *q = p;

	while (n) {
		ssize_t got = pwrite(w->fd, q, n, (off_t)w->pos);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return err_setsys(ERR_IO, errno, "cannot write '%s'",
					  w->tmp);
		q += got;
		n -= (size_t)got;
		w->pos += (uint64_t)got;
	}
	return 0;
}

static int layout_w_commit(void *arg, const char *digest)
{
	struct layout_writer *w = arg;
	int rc = 0;

	if (fchmod(w->fd, 0644))
		rc = err_setsys(ERR_IO, errno, "cannot chmod '%s'", w->tmp);
	if (!rc && ftruncate(w->fd, (off_t)w->pos))
		rc = err_setsys(ERR_IO, errno, "cannot truncate '%s'", w->tmp);
	if (rc)
		close(w->fd);
	else
		rc = fs_commit_tmp(w->fd, w->tmp, w->path);
	free(w);
	return rc;
}

static void layout_w_abort(void *arg, bool keep_partial)
{
	struct layout_writer *w = arg;

	if (!keep_partial)
		unlink(w->tmp);
	close(w->fd);
	free(w);
}

/* Open (or reopen, to resume) the partial file of a blob, locked. */
static int layout_w_open(struct layout_writer *w, const char *digest,
			 uint64_t size)
{
	struct stat st;

	/* No O_TRUNC: bytes of an interrupted run are resumed. */
	w->fd = open(w->tmp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		     0600);
	if (w->fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", w->tmp);
	if (flock(w->fd, LOCK_EX | LOCK_NB)) {
		close(w->fd);
		return err_set(ERR_CONFLICT, "blob %s is being downloaded by "
			       "another process", digest);
	}
	if (fstat(w->fd, &st) || !S_ISREG(st.st_mode)) {
		close(w->fd);
		return err_set(ERR_IO, "'%s' is not a regular file", w->tmp);
	}
	w->pos = (uint64_t)st.st_size;
	if (w->pos > size && ftruncate(w->fd, 0) == 0)
		w->pos = 0;
	return 0;
}

static int layout_blob_begin(void *self, const char *digest, uint64_t size,
			     struct xfer_sink *out)
{
	struct layout *l = self;
	struct layout_writer *w;
	char dir[PATH_MAX];
	int rc;

	w = calloc(1, sizeof(*w));
	if (!w)
		return err_set(ERR_NOMEM, "out of memory");
	rc = layout_path(l, dir, ".partial", "");
	if (!rc)
		rc = fs_mkdirs(dir, 0700);
	if (!rc)
		rc = layout_partial_path(l, digest, w->tmp);
	if (!rc)
		rc = layout_blob_path(l, digest, w->path);
	if (!rc)
		rc = layout_w_open(w, digest, size);
	if (rc) {
		free(w);
		return rc;
	}
	out->w = w;
	out->have = w->pos;
	out->have_fd = w->fd;
	out->write = layout_w_write;
	out->commit = layout_w_commit;
	out->abort = layout_w_abort;
	return 0;
}

void layout_local(struct layout *l, struct xfer_local *out)
{
	out->self = l;
	out->manifest_get = layout_manifest_get;
	out->manifest_put = layout_manifest_put;
	out->blob_has = layout_blob_has;
	out->blob_open = layout_blob_open;
	out->blob_begin = layout_blob_begin;
}

/* The filesystem blob store: blobs/sha256/<2 hex>/<64 hex> and
 * uploads/<id>. A blob appears only by rename of a complete, fsynced
 * file, so a reader never sees a partial blob. */
#include "server/blobstore.h"
#include "util/err.h"
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Sessions whose hash state is kept between requests. */
#define UPLOAD_CACHE_MAX 256
#define REHASH_CHUNK (1 << 20)
/* Start writeback every this many bytes so the fsync at commit has
 * little left to do and a large push overlaps network and disk. */
#define WRITEBACK_STEP (16 << 20)

struct fs_upload {
	struct blobstore_upload base;
	char id[64];
	int fd;
	int64_t size;
	int64_t flushed;      /* writeback started up to here */
	EVP_MD_CTX *md;
	bool busy;
	bool cached;
};

struct fs_store {
	struct blobstore base;
	char root[PATH_MAX];
	pthread_mutex_t lock;
	struct fs_upload *cache[UPLOAD_CACHE_MAX];
};

static bool is_hex(const char *p, size_t n)
{
	return strlen(p) == n && strspn(p, "0123456789abcdef") == n;
}

bool blobstore_digest_valid(const char *d)
{
	if (!d)
		return false;
	if (!strncmp(d, "sha256:", 7))
		return is_hex(d + 7, 64);
	if (!strncmp(d, "sha512:", 7))
		return is_hex(d + 7, 128);
	return false;
}

static const EVP_MD *digest_md(const char *like)
{
	return like && !strncmp(like, "sha512:", 7) ? EVP_sha512() :
	       EVP_sha256();
}

static void digest_string(const EVP_MD *md, const unsigned char *raw,
			  char out[BLOB_DIGEST_MAX])
{
	memcpy(out, md == EVP_sha512() ? "sha512:" : "sha256:", 7);
	hex_encode(raw, (size_t)EVP_MD_get_size(md), out + 7);
}

void blobstore_digest_buf(const char *like, const void *p, size_t n,
			  char out[BLOB_DIGEST_MAX])
{
	const EVP_MD *md = digest_md(like);
	unsigned char raw[EVP_MAX_MD_SIZE];

	EVP_Digest(p, n, raw, NULL, md, NULL);
	digest_string(md, raw, out);
}

/* blobs/<algorithm>/<first two hex digits>/<hex> */
static int blob_path(struct fs_store *s, const char *digest, char *out,
		     size_t n, bool dir_only)
{
	const char *hex = digest + 7;
	int len;

	if (dir_only)
		len = snprintf(out, n, "%s/blobs/%.6s/%.2s", s->root, digest,
			       hex);
	else
		len = snprintf(out, n, "%s/blobs/%.6s/%.2s/%s", s->root,
			       digest, hex, hex);
	if (len < 0 || (size_t)len >= n)
		return err_set(ERR_LIMIT, "blob path too long");
	return 0;
}

static int upload_path(struct fs_store *s, const char *id, char *out,
		       size_t n)
{
	int len = snprintf(out, n, "%s/uploads/%s", s->root, id);

	if (len < 0 || (size_t)len >= n)
		return err_set(ERR_LIMIT, "upload path too long");
	return 0;
}

static int fs_open_blob(struct blobstore *bs, const char *digest, int *fd,
			int64_t *size)
{
	struct fs_store *s = (struct fs_store *)bs;
	char path[PATH_MAX];
	struct stat st;
	int rc = blob_path(s, digest, path, sizeof(path), false);

	if (rc)
		return rc;
	*fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (*fd < 0) {
		if (errno == ENOENT)
			return err_set(ERR_NOTFOUND, "blob '%s' is missing",
				       digest);
		return err_setsys(ERR_IO, errno, "cannot open blob '%s'",
				  digest);
	}
	if (fstat(*fd, &st)) {
		rc = err_setsys(ERR_IO, errno, "cannot stat blob '%s'",
				digest);
		close(*fd);
		*fd = -1;
		return rc;
	}
	*size = st.st_size;
	/* Blobs are read front to back: ask for a larger readahead. */
	posix_fadvise(*fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	return 0;
}

/* Move a complete file at tmp to the blob's place and make it durable. */
static int place_blob(struct fs_store *s, int fd, const char *tmp,
		      const char *digest)
{
	char dir[PATH_MAX], path[PATH_MAX];
	int rc;

	rc = blob_path(s, digest, dir, sizeof(dir), true);
	if (!rc)
		rc = blob_path(s, digest, path, sizeof(path), false);
	if (!rc)
		rc = fs_mkdirs(dir, 0700);
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	/* Content addressing: an existing blob has the same bytes. */
	if (fs_exists(path)) {
		close(fd);
		unlink(tmp);
		return 0;
	}
	return fs_commit_tmp(fd, tmp, path);
}

static int fs_put(struct blobstore *bs, const void *p, size_t n,
		  const char *digest)
{
	struct fs_store *s = (struct fs_store *)bs;
	char dir[PATH_MAX + 16], tmp[PATH_MAX], actual[BLOB_DIGEST_MAX];
	int fd, rc;

	/* Content addressing is the store's invariant, whoever the caller
	 * is: a blob is never filed under a digest it does not have. */
	if (!blobstore_digest_valid(digest))
		return err_set(ERR_INVALID, "invalid digest for stored blob");
	blobstore_digest_buf(digest, p, n, actual);
	if (strcmp(actual, digest))
		return err_set(ERR_DIGEST, "blob content is %s, not %s",
			       actual, digest);
	snprintf(dir, sizeof(dir), "%s/uploads", s->root);
	fd = fs_tmp_open(dir, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	rc = fs_write_all(fd, p, n, "manifest");
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	return place_blob(s, fd, tmp, digest);
}

static int fs_remove(struct blobstore *bs, const char *digest)
{
	struct fs_store *s = (struct fs_store *)bs;
	char path[PATH_MAX];
	int rc = blob_path(s, digest, path, sizeof(path), false);

	if (rc)
		return rc;
	if (unlink(path) && errno != ENOENT)
		return err_setsys(ERR_IO, errno, "cannot remove blob '%s'",
				  digest);
	return 0;
}

static void upload_free(struct fs_upload *u)
{
	if (!u)
		return;
	if (u->fd >= 0)
		close(u->fd);
	EVP_MD_CTX_free(u->md);
	free(u);
}

/* Find a cached session; caller holds the lock. */
static struct fs_upload **cache_slot(struct fs_store *s, const char *id)
{
	for (int i = 0; i < UPLOAD_CACHE_MAX; i++)
		if (s->cache[i] && !strcmp(s->cache[i]->id, id))
			return &s->cache[i];
	return NULL;
}

static void cache_drop(struct fs_store *s, struct fs_upload *u)
{
	pthread_mutex_lock(&s->lock);
	for (int i = 0; i < UPLOAD_CACHE_MAX; i++)
		if (s->cache[i] == u)
			s->cache[i] = NULL;
	pthread_mutex_unlock(&s->lock);
}

/* Cut the file back to size and rebuild the hash state from disk. */
static int upload_rehash(struct fs_upload *u, int64_t size)
{
	char *chunk = NULL;
	int64_t done = 0;
	int rc = 0;

	if (ftruncate(u->fd, size))
		return err_setsys(ERR_IO, errno, "cannot truncate upload");
	if (EVP_DigestInit_ex(u->md, EVP_sha256(), NULL) != 1)
		return err_set(ERR_GENERIC, "sha256 init failed");
	chunk = malloc(REHASH_CHUNK);
	if (!chunk)
		return err_set(ERR_NOMEM, "out of memory for rehash");
	while (!rc && done < size) {
		ssize_t got = pread(u->fd, chunk, REHASH_CHUNK, done);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			rc = err_setsys(ERR_IO, got ? errno : EIO,
					"cannot reread upload");
		else
			EVP_DigestUpdate(u->md, chunk, (size_t)got);
		done += got > 0 ? got : 0;
	}
	free(chunk);
	if (!rc && lseek(u->fd, size, SEEK_SET) < 0)
		rc = err_setsys(ERR_IO, errno, "cannot seek upload");
	if (!rc)
		u->size = u->flushed = size;
	return rc;
}

static int upload_new(struct fs_store *s, const char *id, int create,
		      struct fs_upload **out)
{
	char path[PATH_MAX];
	struct fs_upload *u;
	int flags = O_RDWR | O_CLOEXEC | O_NOFOLLOW;
	int rc = upload_path(s, id, path, sizeof(path));

	if (rc)
		return rc;
	u = calloc(1, sizeof(*u));
	if (!u || !(u->md = EVP_MD_CTX_new())) {
		free(u);
		return err_set(ERR_NOMEM, "out of memory for upload");
	}
	u->base.bs = &s->base;
	snprintf(u->id, sizeof(u->id), "%s", id);
	u->fd = open(path, flags | (create ? O_CREAT | O_EXCL : 0), 0600);
	if (u->fd < 0) {
		rc = errno == ENOENT ?
			err_set(ERR_NOTFOUND, "upload '%s' has no data", id) :
			err_setsys(ERR_IO, errno, "cannot open upload '%s'",
				   id);
		upload_free(u);
		return rc;
	}
	u->size = -1;
	*out = u;
	return 0;
}

/* Take a session from the cache, or open it from disk. */
static int upload_take(struct fs_store *s, const char *id, int create,
		       struct fs_upload **out)
{
	struct fs_upload **slot;
	int rc;

	pthread_mutex_lock(&s->lock);
	slot = cache_slot(s, id);
	if (slot && (*slot)->busy) {
		pthread_mutex_unlock(&s->lock);
		return err_set(ERR_CONFLICT, "upload '%s' is in use", id);
	}
	if (slot) {
		(*slot)->busy = true;
		*out = *slot;
		pthread_mutex_unlock(&s->lock);
		return 0;
	}
	pthread_mutex_unlock(&s->lock);
	rc = upload_new(s, id, create, out);
	if (rc)
		return rc;
	(*out)->busy = true;
	pthread_mutex_lock(&s->lock);
	slot = cache_slot(s, id);
	for (int i = 0; !slot && i < UPLOAD_CACHE_MAX; i++) {
		if (!s->cache[i]) {
			s->cache[i] = *out;
			(*out)->cached = true;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (slot) {
		/* Another request opened it meanwhile. */
		upload_free(*out);
		*out = NULL;
		return err_set(ERR_CONFLICT, "upload '%s' is in use", id);
	}
	return 0;
}

static void fs_upload_release(struct blobstore_upload *bu)
{
	struct fs_upload *u = (struct fs_upload *)bu;
	struct fs_store *s;

	if (!u)
		return;
	s = (struct fs_store *)u->base.bs;
	pthread_mutex_lock(&s->lock);
	u->busy = false;
	pthread_mutex_unlock(&s->lock);
	if (!u->cached)
		upload_free(u);
}

static int fs_upload_acquire(struct blobstore *bs, const char *id,
			     int create, int64_t size,
			     struct blobstore_upload **out)
{
	struct fs_store *s = (struct fs_store *)bs;
	struct fs_upload *u = NULL;
	int rc = upload_take(s, id, create, &u);

	if (rc)
		return rc;
	if (u->size != size) {
		rc = upload_rehash(u, size);
		if (rc) {
			u->size = -1;
			fs_upload_release(&u->base);
			return rc;
		}
	}
	*out = &u->base;
	return 0;
}

static int fs_upload_write(struct blobstore_upload *bu, const void *p,
			   size_t n)
{
	struct fs_upload *u = (struct fs_upload *)bu;
	int rc = fs_write_all(u->fd, p, n, "upload");

	if (rc) {
		/* Unknown length reached disk: force a rehash next time. */
		u->size = -1;
		return rc;
	}
	EVP_DigestUpdate(u->md, p, n);
	u->size += (int64_t)n;
	if (u->size - u->flushed >= WRITEBACK_STEP) {
		/* Advisory: a failure only means the final fsync does more. */
		sync_file_range(u->fd, u->flushed, u->size - u->flushed,
				SYNC_FILE_RANGE_WRITE);
		u->flushed = u->size;
	}
	return 0;
}

static int64_t fs_upload_size(struct blobstore_upload *bu)
{
	return ((struct fs_upload *)bu)->size;
}

static int fs_upload_sync(struct blobstore_upload *bu)
{
	struct fs_upload *u = (struct fs_upload *)bu;

	if (fdatasync(u->fd))
		return err_setsys(ERR_IO, errno, "cannot sync upload");
	return 0;
}

/* The sha256 of what was written, leaving the running state intact. */
static int upload_digest(struct fs_upload *u, char out[BLOB_DIGEST_MAX])
{
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	unsigned char raw[SHA256_LEN];
	unsigned int len = sizeof(raw);

	if (!copy || EVP_MD_CTX_copy_ex(copy, u->md) != 1 ||
	    EVP_DigestFinal_ex(copy, raw, &len) != 1) {
		EVP_MD_CTX_free(copy);
		return err_set(ERR_GENERIC, "sha256 finalisation failed");
	}
	EVP_MD_CTX_free(copy);
	digest_string(EVP_sha256(), raw, out);
	return 0;
}

/* Another algorithm than the running one: read the file once more. */
static int upload_digest_reread(struct fs_upload *u, const EVP_MD *md,
				char out[BLOB_DIGEST_MAX])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char raw[EVP_MAX_MD_SIZE];
	char *chunk = malloc(REHASH_CHUNK);
	int64_t done = 0;
	int rc = 0;

	if (!ctx || !chunk || EVP_DigestInit_ex(ctx, md, NULL) != 1)
		rc = err_set(ERR_NOMEM, "out of memory for digest");
	while (!rc && done < u->size) {
		ssize_t got = pread(u->fd, chunk, REHASH_CHUNK, done);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			rc = err_setsys(ERR_IO, got ? errno : EIO,
					"cannot reread upload");
		else
			EVP_DigestUpdate(ctx, chunk, (size_t)got);
		done += got > 0 ? got : 0;
	}
	if (!rc && EVP_DigestFinal_ex(ctx, raw, NULL) != 1)
		rc = err_set(ERR_GENERIC, "digest finalisation failed");
	if (!rc)
		digest_string(md, raw, out);
	free(chunk);
	EVP_MD_CTX_free(ctx);
	return rc;
}

static int fs_upload_commit(struct blobstore_upload *bu, const char *digest)
{
	struct fs_upload *u = (struct fs_upload *)bu;
	struct fs_store *s = (struct fs_store *)u->base.bs;
	char got[BLOB_DIGEST_MAX], path[PATH_MAX];
	const EVP_MD *md = digest_md(digest);
	int rc, fd;

	rc = md == EVP_sha256() ? upload_digest(u, got) :
	     upload_digest_reread(u, md, got);
	if (rc)
		return rc;
	if (strcmp(got, digest))
		return err_set(ERR_DIGEST, "upload content is '%s', not '%s'",
			       got, digest);
	rc = upload_path(s, u->id, path, sizeof(path));
	if (rc)
		return rc;
	cache_drop(s, u);
	fd = u->fd;
	u->fd = -1;
	rc = place_blob(s, fd, path, digest);
	upload_free(u);
	return rc;
}

static int fs_upload_remove(struct blobstore *bs, const char *id)
{
	struct fs_store *s = (struct fs_store *)bs;
	struct fs_upload **slot, *u = NULL;
	char path[PATH_MAX];
	int rc = upload_path(s, id, path, sizeof(path));

	if (rc)
		return rc;
	pthread_mutex_lock(&s->lock);
	slot = cache_slot(s, id);
	if (slot && (*slot)->busy) {
		pthread_mutex_unlock(&s->lock);
		return err_set(ERR_CONFLICT, "upload '%s' is in use", id);
	}
	if (slot) {
		u = *slot;
		*slot = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	upload_free(u);
	if (unlink(path) && errno != ENOENT)
		return err_setsys(ERR_IO, errno, "cannot remove upload '%s'",
				  id);
	return 0;
}

static bool old_file(int dfd, const char *name, int64_t before)
{
	struct stat st;

	return !fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) &&
	       S_ISREG(st.st_mode) && (int64_t)st.st_mtime < before;
}

/* One blobs/<alg>/<xx>/ directory. */
static int walk_dir(const char *dir, const char *alg, size_t hexlen,
		    int64_t before, blobstore_walk_cb cb, void *arg)
{
	char digest[BLOB_DIGEST_MAX];
	DIR *d = opendir(dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return 0;
	while (!rc && (e = readdir(d))) {
		if (strlen(e->d_name) != hexlen ||
		    strspn(e->d_name, "0123456789abcdef") != hexlen ||
		    !old_file(dirfd(d), e->d_name, before))
			continue;
		snprintf(digest, sizeof(digest), "%.6s:%.128s", alg,
			 e->d_name);
		rc = cb(arg, digest);
	}
	closedir(d);
	return rc;
}

static int fs_walk(struct blobstore *bs, int64_t before,
		   blobstore_walk_cb cb, void *arg)
{
	static const struct { const char *alg; size_t hexlen; } algs[] = {
		{ "sha256", 64 }, { "sha512", 128 },
	};
	struct fs_store *s = (struct fs_store *)bs;
	char dir[PATH_MAX + 32];
	int rc = 0;

	for (size_t a = 0; !rc && a < 2; a++) {
		for (int i = 0; !rc && i < 256; i++) {
			snprintf(dir, sizeof(dir), "%s/blobs/%s/%02x",
				 s->root, algs[a].alg, i);
			rc = walk_dir(dir, algs[a].alg, algs[a].hexlen,
				      before, cb, arg);
		}
	}
	return rc;
}

static int fs_sweep(struct blobstore *bs, int64_t before)
{
	struct fs_store *s = (struct fs_store *)bs;
	char dir[PATH_MAX + 16];
	struct dirent *e;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/uploads", s->root);
	d = opendir(dir);
	if (!d)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", dir);
	while ((e = readdir(d))) {
		/* Session files are named by their 32-hex id; temporary
		 * files start with ".tmp-". */
		if (strncmp(e->d_name, ".tmp-", 5) ||
		    !old_file(dirfd(d), e->d_name, before))
			continue;
		unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return 0;
}

static void fs_close(struct blobstore *bs)
{
	struct fs_store *s = (struct fs_store *)bs;

	for (int i = 0; i < UPLOAD_CACHE_MAX; i++)
		upload_free(s->cache[i]);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

static const struct blobstore_ops fs_ops = {
	.close = fs_close,
	.open = fs_open_blob,
	.put = fs_put,
	.remove = fs_remove,
	.upload_acquire = fs_upload_acquire,
	.upload_write = fs_upload_write,
	.upload_size = fs_upload_size,
	.upload_sync = fs_upload_sync,
	.upload_commit = fs_upload_commit,
	.upload_release = fs_upload_release,
	.upload_remove = fs_upload_remove,
	.walk = fs_walk,
	.sweep = fs_sweep,
};

int blobstore_fs_open(const char *dir, struct blobstore **out)
{
	struct fs_store *s = calloc(1, sizeof(*s));
	char sub[PATH_MAX + 32];
	int rc;

	*out = NULL;
	if (!s)
		return err_set(ERR_NOMEM, "out of memory for blob store");
	s->base.ops = &fs_ops;
	pthread_mutex_init(&s->lock, NULL);
	snprintf(s->root, sizeof(s->root), "%s", dir);
	snprintf(sub, sizeof(sub), "%s/blobs/sha256", dir);
	rc = fs_mkdirs(sub, 0700);
	snprintf(sub, sizeof(sub), "%s/uploads", dir);
	if (!rc)
		rc = fs_mkdirs(sub, 0700);
	if (rc) {
		fs_close(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

void blobstore_close(struct blobstore *bs)
{
	if (bs)
		bs->ops->close(bs);
}

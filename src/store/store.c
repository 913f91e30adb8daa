/*
 * The local OCI image-layout store. Crash safety rests on two rules:
 * a blob is renamed into blobs/sha256/ only after its bytes are fsynced
 * and its digest checked, and index.json is only ever replaced whole
 * (fs_write_atomic) while holding .lock. Prune takes .gc.lock exclusively
 * so it can never delete a blob another process has written but not yet
 * tagged.
 */
#include "store/store.h"
#include "oci/digest.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "util/err.h"
#include "util/fs.h"

#include <dirent.h>
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

#define STORE_WBUF (1u << 20)
#define STORE_NEST_MAX 4    /* index-of-index depth followed by prune */

static const char layout_json[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
static const char empty_index[] = "{\"schemaVersion\":2,\"mediaType\":\""
	OCI_MT_INDEX "\",\"manifests\":[]}";

struct store {
	char root[PATH_MAX];
	int gc_fd;
};

struct store_blob_writer {
	struct store *s;
	int fd;
	char tmp[PATH_MAX];
	struct sha256 hash;
	uint64_t size;
	uint8_t *buf;
	size_t used;
};

struct store_blob_reader {
	int fd;
	char digest[DIGEST_STR_LEN];
	struct sha256 hash;
	uint64_t size, got;
	bool verified;
	int verdict;          /* result of the check, repeated at each read */
};

static int path_of(const struct store *s, char *out, const char *rel)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", s->root, rel);

	if (n < 0 || n >= PATH_MAX)
		return err_set(ERR_LIMIT, "store path too long under '%s'",
			       s->root);
	return 0;
}

static int blob_path(const struct store *s, const char *digest, char *out)
{
	char rel[80];
	int rc = oci_digest_check(digest);

	if (rc)
		return err_set(rc, "invalid digest '%s'", digest);

	snprintf(rel, sizeof(rel), "blobs/sha256/%s", oci_digest_hex(digest));
	return path_of(s, out, rel);
}

int store_default_root(char *out, size_t len)
{
	const char *home = getenv("STELE_HOME");
	const char *xdg = getenv("XDG_DATA_HOME");
	const char *user = getenv("HOME");
	int n;

	if (home && *home)
		n = snprintf(out, len, "%s/store", home);
	else if (xdg && *xdg)
		n = snprintf(out, len, "%s/stele/store", xdg);
	else if (user && *user)
		n = snprintf(out, len, "%s/.local/share/stele/store", user);
	else
		return err_set(ERR_NOTFOUND, "no store directory: set "
			       "STELE_HOME");
	if (n < 0 || (size_t)n >= len)
		return err_set(ERR_LIMIT, "store path too long");
	return 0;
}

static int lock_open(const struct store *s, const char *name, int op)
{
	char path[PATH_MAX];
	int fd, rc = path_of(s, path, name);

	if (rc)
		return rc;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", path);
	while (flock(fd, op)) {
		if (errno == EINTR)
			continue;
		rc = errno == EWOULDBLOCK ? ERR_CONFLICT : ERR_IO;
		err_setsys(rc, errno, "cannot lock '%s'", path);
		close(fd);
		return rc;
	}
	return fd;
}

static void lock_close(int fd)
{
	if (fd >= 0)
		close(fd); /* closing drops the flock */
}

static int ensure_file(const struct store *s, const char *name,
		       const char *content)
{
	char path[PATH_MAX];
	int rc = path_of(s, path, name);

	if (rc || fs_exists(path))
		return rc;
	return fs_write_atomic(path, content, strlen(content), 0644);
}

static int store_init_layout(struct store *s)
{
	char path[PATH_MAX];
	int lock, rc;

	rc = path_of(s, path, "blobs/sha256");
	if (!rc)
		rc = fs_mkdirs(path, 0755);
	if (!rc)
		rc = path_of(s, path, "tmp");
	if (!rc)
		rc = fs_mkdirs(path, 0755);
	if (rc)
		return rc;
	lock = lock_open(s, ".lock", LOCK_EX);
	if (lock < 0)
		return lock;
	rc = ensure_file(s, "oci-layout", layout_json);
	if (!rc)
		rc = ensure_file(s, "index.json", empty_index);
	lock_close(lock);
	return rc;
}

int store_open(const char *root, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	int rc = 0;

	*out = NULL;
	if (!s)
		return err_set(ERR_NOMEM, "out of memory");
	s->gc_fd = -1;
	if (root) {
		if (strlen(root) >= sizeof(s->root) - 64)
			rc = err_set(ERR_LIMIT, "store path too long");
		else
			snprintf(s->root, sizeof(s->root), "%s", root);
	} else {
		rc = store_default_root(s->root, sizeof(s->root) - 64);
	}
	if (!rc)
		rc = store_init_layout(s);
	if (!rc) {
		s->gc_fd = lock_open(s, ".gc.lock", LOCK_SH);
		if (s->gc_fd < 0)
			rc = s->gc_fd;
	}
	if (rc) {
		store_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	lock_close(s->gc_fd);
	free(s);
}

const char *store_root(const struct store *s)
{
	return s->root;
}

/* ---- blob writing ---- */

int store_blob_open_write(struct store *s, struct store_blob_writer **out)
{
	struct store_blob_writer *w = calloc(1, sizeof(*w));
	char dir[PATH_MAX];
	int rc;

	*out = NULL;
	if (!w)
		return err_set(ERR_NOMEM, "out of memory");
	w->s = s;
	w->fd = -1;
	w->buf = malloc(STORE_WBUF);
	rc = w->buf ? sha256_init(&w->hash) :
		err_set(ERR_NOMEM, "out of memory");
	if (!rc)
		rc = path_of(s, dir, "tmp");
	if (!rc) {
		w->fd = fs_tmp_open(dir, w->tmp, sizeof(w->tmp));
		if (w->fd < 0)
			rc = w->fd;
	}
	if (rc) {
		w->tmp[0] = 0;
		store_blob_abort(w);
		return rc;
	}
	*out = w;
	return 0;
}

static int writer_flush(struct store_blob_writer *w)
{
	int rc = fs_write_all(w->fd, w->buf, w->used, "blob");

	w->used = 0;
	return rc;
}

int store_blob_write(struct store_blob_writer *w, const void *p, size_t n)
{
	int rc;

	sha256_update(&w->hash, p, n);
	w->size += n;
	if (w->used + n <= STORE_WBUF) {
		memcpy(w->buf + w->used, p, n);
		w->used += n;
		return 0;
	}
	rc = writer_flush(w);
	if (rc)
		return rc;
	if (n >= STORE_WBUF)
		return fs_write_all(w->fd, p, n, "blob");
	memcpy(w->buf, p, n);
	w->used = n;
	return 0;
}

void store_blob_abort(struct store_blob_writer *w)
{
	if (!w)
		return;
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp[0])
		unlink(w->tmp);
	sha256_release(&w->hash);
	free(w->buf);
	free(w);
}

static int commit_into_place(struct store_blob_writer *w, const char *path)
{
	int fd = w->fd, rc;

	w->fd = -1;
	if (fchmod(fd, 0644)) {
		close(fd);
		return err_setsys(ERR_IO, errno, "cannot chmod blob");
	}
	rc = fs_commit_tmp(fd, w->tmp, path);
	w->tmp[0] = 0; /* fs_commit_tmp unlinks it on failure */
	return rc;
}

int store_blob_commit(struct store_blob_writer *w, const char *expected,
		      char digest[DIGEST_STR_LEN], uint64_t *size)
{
	char got[DIGEST_STR_LEN], path[PATH_MAX];
	uint64_t have = 0;
	int rc = writer_flush(w);

	if (rc)
		goto out;
	sha256_final_digest(&w->hash, got);
	if (expected && strcmp(expected, got)) {
		rc = err_set(ERR_DIGEST, "blob content has digest %s, "
			     "expected %s", got, expected);
		goto out;
	}
	rc = blob_path(w->s, got, path);
	if (rc)
		goto out;
	/* Content-addressed: a blob of the right size is the same bytes
	 * (readers verify); one of another size is damaged and replaced. */
	if (store_blob_exists(w->s, got, &have) == 1 && have == w->size)
		goto out;
	rc = commit_into_place(w, path);
out:
	if (!rc) {
		if (digest)
			memcpy(digest, got, DIGEST_STR_LEN);
		if (size)
			*size = w->size;
	}
	store_blob_abort(w);
	return rc;
}

int store_blob_put(struct store *s, const void *p, size_t n,
		   char digest[DIGEST_STR_LEN])
{
	struct store_blob_writer *w;
	int rc = store_blob_open_write(s, &w);

	if (rc)
		return rc;
	rc = store_blob_write(w, p, n);
	if (rc) {
		store_blob_abort(w);
		return rc;
	}
	return store_blob_commit(w, NULL, digest, NULL);
}

/* ---- blob reading ---- */

int store_blob_exists(struct store *s, const char *digest, uint64_t *size)
{
	char path[PATH_MAX];
	struct stat st;
	int rc = blob_path(s, digest, path);

	if (rc)
		return rc;
	if (lstat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	if (size)
		*size = (uint64_t)st.st_size;
	return 1;
}

int store_blob_open_read(struct store *s, const char *digest,
			 struct store_blob_reader **out, uint64_t *size)
{
	struct store_blob_reader *r;
	char path[PATH_MAX];
	struct stat st;
	int rc = blob_path(s, digest, path);

	*out = NULL;
	if (rc)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return err_set(ERR_NOMEM, "out of memory");
	r->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (r->fd < 0) {
		rc = err_setsys(errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
				errno, "blob %s", digest);
	} else if (fstat(r->fd, &st) || !S_ISREG(st.st_mode)) {
		rc = err_set(ERR_IO, "blob %s is not a regular file", digest);
	} else {
		rc = sha256_init(&r->hash);
	}
	if (rc) {
		store_blob_close(r);
		return rc;
	}
	memcpy(r->digest, digest, DIGEST_STR_LEN);
	r->size = (uint64_t)st.st_size;
	if (size)
		*size = r->size;
	*out = r;
	return 0;
}

static int reader_verify(struct store_blob_reader *r)
{
	char got[DIGEST_STR_LEN];

	sha256_final_digest(&r->hash, got);
	r->verified = true;
	if (r->got != r->size)
		r->verdict = err_set(ERR_DIGEST, "blob %s changed size while "
				     "being read", r->digest);
	else if (strcmp(got, r->digest))
		r->verdict = err_set(ERR_DIGEST, "blob %s is corrupt: its "
				     "content hashes to %s", r->digest, got);
	return r->verdict;
}

ssize_t store_blob_read(struct store_blob_reader *r, void *p, size_t n)
{
	ssize_t got;

	if (r->verified)
		return r->verdict;
	do
		got = read(r->fd, p, n);
	while (got < 0 && errno == EINTR);
	if (got < 0)
		return err_setsys(ERR_IO, errno, "cannot read blob %s",
				  r->digest);
	if (got == 0 && n > 0)
		return reader_verify(r);
	sha256_update(&r->hash, p, (size_t)got);
	r->got += (uint64_t)got;
	return got;
}

void store_blob_close(struct store_blob_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	sha256_release(&r->hash);
	free(r);
}

int store_blob_get(struct store *s, const char *digest, size_t max,
		   struct buf *out)
{
	struct store_blob_reader *r;
	char chunk[65536];
	uint64_t size;
	ssize_t got;
	int rc = store_blob_open_read(s, digest, &r, &size);

	buf_init(out, max);
	if (rc)
		return rc;
	if (size > max) {
		store_blob_close(r);
		return err_set(ERR_LIMIT, "blob %s of %llu bytes exceeds the "
			       "%zu-byte limit", digest,
			       (unsigned long long)size, max);
	}
	while ((got = store_blob_read(r, chunk, sizeof(chunk))) > 0) {
		rc = buf_put(out, chunk, (size_t)got);
		if (rc)
			break;
	}
	if (got < 0)
		rc = (int)got;
	if (!rc && !out->data)
		rc = buf_put(out, "", 0);
	store_blob_close(r);
	if (rc)
		buf_release(out);
	return rc;
}

/* ---- references and index.json ---- */

int store_ref_normalize(const char *ref, char out[STORE_REF_MAX],
			char digest[DIGEST_STR_LEN])
{
	struct oci_ref r;
	int rc = oci_ref_parse(ref, &r), n;

	if (rc)
		return rc;
	memcpy(digest, r.digest, DIGEST_STR_LEN);
	n = snprintf(out, STORE_REF_MAX, "%s%s%s:%s", r.host,
		     r.host[0] ? "/" : "", r.repo, r.tag[0] ? r.tag : "latest");
	if (n < 0 || n >= STORE_REF_MAX)
		return err_set(ERR_LIMIT, "reference too long");
	return 0;
}

static int index_path(const struct store *s, char *out)
{
	return path_of(s, out, "index.json");
}

static int index_check_entry(json_t *e, size_t i)
{
	json_t *d = json_object_get(e, "digest");
	json_t *ann = json_object_get(e, "annotations");
	json_t *name = ann ? json_object_get(ann, OCI_ANN_REF_NAME) : NULL;

	if (!json_is_object(e) || !json_is_string(d) ||
	    !oci_digest_valid(json_string_value(d)) ||
	    !json_is_string(json_object_get(e, "mediaType")) ||
	    !json_is_integer(json_object_get(e, "size")) ||
	    (ann && !json_is_object(ann)) || (name && !json_is_string(name)))
		return err_set(ERR_INVALID, "index.json: entry %zu is not a "
			       "valid descriptor", i);
	return 0;
}

static int index_load(struct store *s, json_t **out)
{
	char path[PATH_MAX];
	struct buf b;
	json_error_t jerr;
	json_t *root, *list;
	int rc = index_path(s, path);

	*out = NULL;
	if (!rc)
		rc = fs_read_file(path, STORE_INDEX_MAX, &b);
	if (rc)
		return rc;
	root = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &jerr);
	buf_release(&b);
	if (!root)
		return err_set(ERR_INVALID, "'%s': %s at byte %d", path,
			       jerr.text, jerr.position);
	list = json_object_get(root, "manifests");
	if (!json_is_object(root) || !json_is_array(list) ||
	    json_array_size(list) > STORE_INDEX_MAX_ENTRIES) {
		json_decref(root);
		return err_set(ERR_INVALID, "'%s' is not an OCI index", path);
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		rc = index_check_entry(json_array_get(list, i), i);
		if (rc) {
			json_decref(root);
			return rc;
		}
	}
	*out = root;
	return 0;
}

static int index_save(struct store *s, json_t *root)
{
	char path[PATH_MAX];
	char *text;
	int rc = index_path(s, path);

	if (rc)
		return rc;
	text = json_dumps(root, JSON_COMPACT);
	if (!text)
		return err_set(ERR_NOMEM, "out of memory for index.json");
	rc = fs_write_atomic(path, text, strlen(text), 0644);
	free(text);
	return rc;
}

static const char *entry_ref(json_t *e)
{
	json_t *ann = json_object_get(e, "annotations");

	return ann ? json_string_value(json_object_get(ann,
						       OCI_ANN_REF_NAME)) :
		NULL;
}

/* Index position of the entry tagged ref, or -1. */
static long index_find(json_t *root, const char *ref)
{
	json_t *list = json_object_get(root, "manifests");

	for (size_t i = 0; i < json_array_size(list); i++) {
		const char *name = entry_ref(json_array_get(list, i));

		if (name && !strcmp(name, ref))
			return (long)i;
	}
	return -1;
}

int store_resolve(struct store *s, const char *ref,
		  char digest[DIGEST_STR_LEN])
{
	char name[STORE_REF_MAX], dig[DIGEST_STR_LEN];
	json_t *root;
	long at;
	int rc = store_ref_normalize(ref, name, dig);

	if (rc)
		return rc;
	if (dig[0]) {
		rc = store_blob_exists(s, dig, NULL);
		if (rc < 0)
			return rc;
		if (!rc)
			return err_set(ERR_NOTFOUND, "'%s' is not in the "
				       "local store", ref);
		memcpy(digest, dig, DIGEST_STR_LEN);
		return 0;
	}
	rc = index_load(s, &root);
	if (rc)
		return rc;
	at = index_find(root, name);
	if (at < 0) {
		json_decref(root);
		return err_set(ERR_NOTFOUND, "'%s' is not in the local store",
			       name);
	}
	snprintf(digest, DIGEST_STR_LEN, "%s", json_string_value(
			 json_object_get(json_array_get(json_object_get(
				 root, "manifests"), (size_t)at), "digest")));
	json_decref(root);
	return 0;
}

static json_t *index_entry_new(const char *ref, const char *digest,
			       const char *media_type,
			       const char *artifact_type, uint64_t size)
{
	json_t *e = json_object(), *ann = json_object();

	json_t *at = artifact_type ? json_string(artifact_type) : NULL;

	if (!e || !ann || (artifact_type && !at) ||
	    json_object_set_new(e, "mediaType", json_string(media_type)) ||
	    json_object_set_new(e, "digest", json_string(digest)) ||
	    json_object_set_new(e, "size", json_integer((json_int_t)size)) ||
	    json_object_set_new(ann, OCI_ANN_REF_NAME, json_string(ref)) ||
	    json_object_set(e, "annotations", ann) ||
	    (at && json_object_set(e, "artifactType", at))) {
		json_decref(at);
		json_decref(e);
		json_decref(ann);
		return NULL;
	}
	json_decref(at);
	json_decref(ann);
	return e;
}

static int index_put(struct store *s, const char *name, json_t *entry)
{
	json_t *root, *list;
	long at;
	int lock, rc;

	lock = lock_open(s, ".lock", LOCK_EX);
	if (lock < 0)
		return lock;
	rc = index_load(s, &root);
	if (rc)
		goto out;
	list = json_object_get(root, "manifests");
	at = index_find(root, name);
	if (at >= 0)
		rc = json_array_set(list, (size_t)at, entry);
	else
		rc = json_array_append(list, entry);
	rc = rc ? err_set(ERR_NOMEM, "out of memory") : index_save(s, root);
	json_decref(root);
out:
	lock_close(lock);
	return rc;
}

int store_tag(struct store *s, const char *ref, const char *digest,
	      const char *media_type, const char *artifact_type,
	      uint64_t size)
{
	char name[STORE_REF_MAX], dig[DIGEST_STR_LEN];
	json_t *entry;
	int rc = store_ref_normalize(ref, name, dig);

	if (!rc && dig[0])
		rc = err_set(ERR_INVALID, "'%s' names a digest; a tag is "
			     "needed", ref);
	if (rc)
		return rc;
	rc = store_blob_exists(s, digest, NULL);
	if (rc <= 0)
		return rc < 0 ? rc : err_set(ERR_NOTFOUND, "manifest %s is "
					     "not in the store", digest);
	entry = index_entry_new(name, digest, media_type, artifact_type,
				size);
	if (!entry)
		return err_set(ERR_NOMEM, "out of memory");
	rc = index_put(s, name, entry);
	json_decref(entry);
	return rc;
}

int store_untag(struct store *s, const char *ref)
{
	char name[STORE_REF_MAX], dig[DIGEST_STR_LEN];
	json_t *root = NULL;
	long at;
	int lock, rc = store_ref_normalize(ref, name, dig);

	if (rc)
		return rc;
	lock = lock_open(s, ".lock", LOCK_EX);
	if (lock < 0)
		return lock;
	rc = index_load(s, &root);
	if (rc)
		goto out;
	at = index_find(root, name);
	if (at < 0) {
		rc = err_set(ERR_NOTFOUND, "'%s' is not in the local store",
			     name);
		goto out;
	}
	json_array_remove(json_object_get(root, "manifests"), (size_t)at);
	rc = index_save(s, root);
out:
	json_decref(root);
	lock_close(lock);
	return rc;
}

static void copy_field(char *dst, size_t len, json_t *v)
{
	snprintf(dst, len, "%s", json_is_string(v) ? json_string_value(v) :
		 "");
}

int store_list(struct store *s, struct store_entry **out, size_t *n)
{
	json_t *root, *list;
	struct store_entry *v;
	size_t k = 0;
	int rc = index_load(s, &root);

	*out = NULL;
	*n = 0;
	if (rc)
		return rc;
	list = json_object_get(root, "manifests");
	v = calloc(json_array_size(list) + 1, sizeof(*v));
	if (!v) {
		json_decref(root);
		return err_set(ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *e = json_array_get(list, i);
		const char *name = entry_ref(e);

		if (!name)
			continue;
		snprintf(v[k].ref, sizeof(v[k].ref), "%s", name);
		copy_field(v[k].digest, sizeof(v[k].digest),
			   json_object_get(e, "digest"));
		copy_field(v[k].media_type, sizeof(v[k].media_type),
			   json_object_get(e, "mediaType"));
		copy_field(v[k].artifact_type, sizeof(v[k].artifact_type),
			   json_object_get(e, "artifactType"));
		v[k].size = (uint64_t)json_integer_value(
			json_object_get(e, "size"));
		k++;
	}
	json_decref(root);
	*out = v;
	*n = k;
	return 0;
}

/* ---- prune ---- */

struct digest_set {
	char (*d)[DIGEST_STR_LEN];
	size_t n, cap;
};

static int set_add(struct digest_set *set, const char *digest)
{
	if (set->n == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		char (*d)[DIGEST_STR_LEN] = realloc(set->d, cap *
						     sizeof(*d));

		if (!d)
			return err_set(ERR_NOMEM, "out of memory");
		set->d = d;
		set->cap = cap;
	}
	memcpy(set->d[set->n++], digest, DIGEST_STR_LEN);
	return 0;
}

static int cmp_digest(const void *a, const void *b)
{
	return strcmp(a, b);
}

static bool set_has(const struct digest_set *set, const char *digest)
{
	return set->n && bsearch(digest, set->d, set->n, DIGEST_STR_LEN,
		       cmp_digest) != NULL;
}

static int mark_manifest(struct store *s, const char *digest, int depth,
			 struct digest_set *live);

static int mark_index(struct store *s, const struct buf *b, int depth,
		      struct digest_set *live)
{
	json_t *root = json_loadb(b->data, b->len, JSON_REJECT_DUPLICATES,
				  NULL);
	json_t *list = root ? json_object_get(root, "manifests") : NULL;
	int rc = 0;

	if (!json_is_array(list) || depth >= STORE_NEST_MAX)
		rc = err_set(ERR_INVALID, "cannot read a nested index");
	for (size_t i = 0; !rc && i < json_array_size(list); i++) {
		const char *d = json_string_value(json_object_get(
			json_array_get(list, i), "digest"));

		rc = d && oci_digest_valid(d) ?
			mark_manifest(s, d, depth + 1, live) :
			err_set(ERR_INVALID, "bad digest in a nested index");
	}
	json_decref(root);
	return rc;
}

static int mark_manifest(struct store *s, const char *digest, int depth,
			 struct digest_set *live)
{
	struct oci_manifest *m = NULL;
	struct buf b;
	int rc = set_add(live, digest);

	if (!rc)
		rc = store_blob_get(s, digest, OCI_MANIFEST_MAX, &b);
	if (rc) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err_msg());
		return err_set(rc, "prune stopped: manifest %s: %s", digest,
			       why);
	}
	rc = oci_manifest_parse(b.data, b.len, &m);
	if (rc == ERR_UNSUPPORTED)
		rc = mark_index(s, &b, depth, live);
	else if (!rc)
		rc = set_add(live, m->config.digest);
	for (size_t i = 0; !rc && m && i < m->n_layers; i++)
		rc = set_add(live, m->layers[i].digest);
	if (!rc && m && m->has_subject)
		rc = set_add(live, m->subject.digest);
	oci_manifest_free(m);
	buf_release(&b);
	return rc;
}

static int sweep_blobs(struct store *s, const struct digest_set *live,
		       uint64_t *blobs, uint64_t *bytes)
{
	char dir[PATH_MAX], digest[DIGEST_STR_LEN];
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc = path_of(s, dir, "blobs/sha256");

	if (rc)
		return rc;
	d = opendir(dir);
	if (!d)
		return err_setsys(ERR_IO, errno, "cannot list '%s'", dir);
	while ((e = readdir(d)) != NULL) {
		snprintf(digest, sizeof(digest), "sha256:%.64s", e->d_name);
		if (strlen(e->d_name) != SHA256_HEX_LEN ||
		    !oci_digest_valid(digest) || set_has(live, digest))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW))
			continue;
		if (unlinkat(dirfd(d), e->d_name, 0)) {
			rc = err_setsys(ERR_IO, errno, "cannot remove blob %s",
					digest);
			break;
		}
		(*blobs)++;
		*bytes += (uint64_t)st.st_size;
	}
	closedir(d);
	if (!rc)
		rc = fs_sync_dir(dir);
	return rc;
}

/* Bytes held by the files directly in dir (a killed pull's partial
 * blobs), so that prune reports the space it gives back. */
static uint64_t tmp_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	uint64_t n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (!fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISREG(st.st_mode))
			n += (uint64_t)st.st_size;
	closedir(d);
	return n;
}

/* With the store to ourselves, partial uploads in tmp/ are orphans. */
static int sweep_tmp(struct store *s, uint64_t *bytes)
{
	char dir[PATH_MAX];
	int rc = path_of(s, dir, "tmp");
	uint64_t n = 0;

	if (!rc) {
		n = tmp_bytes(dir);
		rc = fs_remove_tree(dir);
	}
	if (!rc)
		*bytes += n;
	return rc ? rc : fs_mkdirs(dir, 0755);
}

static int prune_locked(struct store *s, uint64_t *blobs, uint64_t *bytes)
{
	struct digest_set live = { 0 };
	json_t *root;
	json_t *list;
	int rc = index_load(s, &root);

	if (rc)
		return rc;
	list = json_object_get(root, "manifests");
	for (size_t i = 0; !rc && i < json_array_size(list); i++)
		rc = mark_manifest(s, json_string_value(json_object_get(
				   json_array_get(list, i), "digest")), 0,
				   &live);
	json_decref(root);
	if (!rc) {
		if (live.n)
			qsort(live.d, live.n, DIGEST_STR_LEN, cmp_digest);
		rc = sweep_blobs(s, &live, blobs, bytes);
	}
	if (!rc)
		rc = sweep_tmp(s, bytes);
	free(live.d);
	return rc;
}

int store_prune(struct store *s, uint64_t *blobs, uint64_t *bytes)
{
	int lock, rc;

	*blobs = *bytes = 0;
	if (flock(s->gc_fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		flock(s->gc_fd, LOCK_SH);
		if (e == EWOULDBLOCK)
			return err_set(ERR_CONFLICT, "another stele process "
				       "is using the store; prune later");
		return err_setsys(ERR_IO, e, "cannot lock the store");
	}
	lock = lock_open(s, ".lock", LOCK_EX);
	if (lock < 0) {
		flock(s->gc_fd, LOCK_SH);
		return lock;
	}
	rc = prune_locked(s, blobs, bytes);
	lock_close(lock);
	flock(s->gc_fd, LOCK_SH);
	return rc;
}

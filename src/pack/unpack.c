/*
 * stele unpack. Layers are extracted into a staging directory while the
 * blob digest (checked by the store reader when it reaches the end) and
 * the diffId (hashed here over the decompressed tar) are verified; only
 * a fully verified result is moved into the destination. Every path is
 * created relative to a directory descriptor with O_NOFOLLOW and O_EXCL,
 * so a layer can neither follow a link out nor replace what another
 * entry wrote.
 */
#include "pack/pack.h"
#include "kitfile/kitfile.h"
#include "oci/manifest.h"
#include "pack/tar.h"
#include "util/err.h"
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define UNPACK_CONFIG_MAX (16u << 20)
#define UNPACK_BUF (1u << 20)

int unpack_filter_parse(const char *s, unsigned *mask)
{
	static const struct {
		const char *word;
		unsigned bit;
	} words[] = {
		{ "model", UNPACK_MODEL }, { "code", UNPACK_CODE },
		{ "datasets", UNPACK_DATASETS }, { "docs", UNPACK_DOCS },
		{ "prompts", UNPACK_PROMPTS }, { "kitfile", UNPACK_KITFILE },
	};
	const char *p = s;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;

		for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].word) == n &&
			    !strncmp(words[i].word, p, n)) {
				*mask |= words[i].bit;
				found = true;
			}
		if (!found)
			return err_set(ERR_INVALID, "unknown filter '%.*s' "
				       "(use model, code, datasets, docs, "
				       "prompts, kitfile)", (int)n, p);
		p += n + (p[n] == ',');
	}
	if (!*mask)
		return err_set(ERR_INVALID, "empty filter");
	return 0;
}

unsigned unpack_role_bit(enum oci_layer_role r)
{
	switch (r) {
	case OCI_ROLE_MODEL:
	case OCI_ROLE_MODELPART:
		return UNPACK_MODEL;
	case OCI_ROLE_CODE:
		return UNPACK_CODE;
	case OCI_ROLE_DATASET:
		return UNPACK_DATASETS;
	case OCI_ROLE_DOCS:
		return UNPACK_DOCS;
	default:
		return UNPACK_PROMPTS;
	}
}

struct blob_src {
	struct stream_in base;
	struct store_blob_reader *r;
};

static ssize_t blob_src_read(struct stream_in *in, void *p, size_t n)
{
	struct blob_src *b = stream_container_of(in, struct blob_src, base);

	return store_blob_read(b->r, p, n);
}

/* Open (creating) each directory of rel below root; returns an fd. */
static int open_dirs(int root, const char *rel, size_t len, mode_t mode)
{
	char comp[NAME_MAX + 1];
	int fd = dup(root);
	size_t i = 0;

	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open directory");
	while (i < len) {
		size_t n = strcspn(rel + i, "/");
		int next;

		if (n > NAME_MAX || n > len - i) {
			close(fd);
			return err_set(ERR_LIMIT, "name too long in '%s'", rel);
		}
		memcpy(comp, rel + i, n);
		comp[n] = 0;
		if (mkdirat(fd, comp, mode | 0700) && errno != EEXIST) {
			int e = errno;

			close(fd);
			return err_setsys(ERR_IO, e, "cannot create '%s'",
					  rel);
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			      O_CLOEXEC);
		close(fd);
		if (next < 0)
			return err_setsys(ERR_INVALID, errno, "'%.*s' is not "
					  "a directory", (int)(i + n), rel);
		fd = next;
		i += n + 1;
	}
	return fd;
}

/* Stream src into a new file rel below root. */
static int write_file(int root, const char *rel, unsigned mode,
		      struct stream_in *src, struct tar_reader *tr,
		      uint8_t *buf)
{
	const char *slash = strrchr(rel, '/');
	const char *base = slash ? slash + 1 : rel;
	int dfd = open_dirs(root, rel, slash ? (size_t)(slash - rel) : 0,
			    0755);
	int fd, rc = 0;
	ssize_t got;

	if (dfd < 0)
		return dfd;
	fd = openat(dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_CLOEXEC, mode & 0777);
	close(dfd);
	if (fd < 0)
		return err_setsys(errno == EEXIST ? ERR_INVALID : ERR_IO,
				  errno, "cannot create '%s'%s", rel,
				  errno == EEXIST ? " (duplicate entry)" : "");
	for (;;) {
		got = tr ? tar_reader_read(tr, buf, UNPACK_BUF) :
			stream_read(src, buf, UNPACK_BUF);
		if (got <= 0)
			break;
		rc = fs_write_all(fd, buf, (size_t)got, rel);
		if (rc)
			break;
	}
	if (got < 0)
		rc = (int)got;
	if (close(fd) && !rc)
		rc = err_setsys(ERR_IO, errno, "cannot write '%s'", rel);
	return rc;
}

static int extract_tar(int root, struct stream_in *in, const char *what,
		       uint8_t *buf)
{
	struct tar_reader *tr;
	struct tar_entry *e = malloc(sizeof(*e));
	int rc = e ? tar_reader_new(in, what, &tr) :
		err_set(ERR_NOMEM, "out of memory");

	if (rc) {
		free(e);
		return rc;
	}
	while ((rc = tar_reader_next(tr, e)) == 1) {
		if (e->type == TAR_DIR) {
			int fd = open_dirs(root, e->name, strlen(e->name),
					   e->mode);

			rc = fd < 0 ? fd : 0;
			if (fd >= 0)
				close(fd);
		} else {
			rc = write_file(root, e->name, e->mode, NULL, tr, buf);
		}
		if (rc)
			break;
	}
	tar_reader_free(tr);
	free(e);
	return rc;
}

struct layer_job {
	struct store *s;
	const struct unpack_layer_source *from;   /* NULL: the store only */
	const struct oci_descriptor *d;
	struct oci_layer_info info;
	const char *diff_id;      /* expected, "" when unknown */
	int root;
	uint8_t *buf;
};

/* Read whatever is left so the source checks the digest: both the store
 * reader and an unpack_layer_source end with 0 only on a verified blob. */
static int finish_blob(struct stream_in *in, const char *digest)
{
	uint8_t tmp[512];
	ssize_t got = stream_read(in, tmp, sizeof(tmp));

	if (got > 0)
		return err_set(ERR_INVALID, "layer %s: data after the end of "
			       "the archive", digest);
	return (int)got;
}

static int check_diff_id(const struct layer_job *j, const char *got)
{
	if (!j->diff_id[0] || !strcmp(j->diff_id, got))
		return 0;
	return err_set(ERR_DIGEST, "layer %s: uncompressed content has "
		       "diffId %s, the config says %s", j->d->digest, got,
		       j->diff_id);
}

/* The layer's bytes: from the caller's source when it offers them,
 * otherwise from the store, whose size must match the manifest's. */
static int open_layer(struct layer_job *j, struct blob_src *src,
		      struct stream_in **in)
{
	uint64_t size;
	int rc;

	*in = NULL;
	if (j->from) {
		rc = j->from->open(j->from->arg, j->d, in);
		if (rc || *in)
			return rc;
	}
	rc = store_blob_open_read(j->s, j->d->digest, &src->r, &size);
	if (!rc && size != j->d->size)
		rc = err_set(ERR_DIGEST, "layer %s is %s: %" PRIu64 " bytes "
			     "stored, the manifest says %" PRIu64,
			     j->d->digest, size < j->d->size ? "truncated" :
			     "damaged", size, j->d->size);
	if (!rc)
		*in = &src->base;
	return rc;
}

static int extract_layer(struct layer_job *j)
{
	struct blob_src src = { .base.read = blob_src_read };
	struct stream_hash_in diff = { 0 };
	struct stream_in *raw = NULL, *in;
	struct pack_zin *z = NULL;
	char what[DIGEST_STR_LEN + 8], got[DIGEST_STR_LEN];
	int rc;

	snprintf(what, sizeof(what), "layer %s", j->d->digest);
	rc = open_layer(j, &src, &raw);
	if (!rc)
		rc = pack_zin_new((enum pack_compression)j->info.comp, raw,
				  what, &z);
	/* Uncompressed, the blob digest the source checks is the diffId:
	 * no second hash over the same bytes. */
	if (!rc && j->info.comp != OCI_COMP_NONE)
		rc = stream_hash_in_init(&diff, pack_zin_stream(z));
	if (rc)
		goto out;
	in = j->info.comp == OCI_COMP_NONE ? pack_zin_stream(z) : &diff.base;
	if (j->info.raw)
		rc = write_file(j->root, j->info.filepath, 0644, in, NULL,
				j->buf);
	else
		rc = extract_tar(j->root, in, what, j->buf);
	if (!rc)
		rc = pack_zin_end(z);
	if (!rc)
		rc = finish_blob(raw, j->d->digest);
	if (rc)
		goto out;
	if (j->info.comp == OCI_COMP_NONE)
		memcpy(got, j->d->digest, DIGEST_STR_LEN);
	else
		stream_hash_in_final(&diff, got);
	rc = check_diff_id(j, got);
out:
	if (j->info.comp != OCI_COMP_NONE)
		stream_hash_in_release(&diff);
	pack_zin_free(z);
	if (raw && raw != &src.base)
		j->from->close(j->from->arg, raw);
	store_blob_close(src.r);
	return rc;
}

/* ---- staging and moving into place ---- */

struct unpack_ctx {
	struct store *s;
	const struct unpack_opts *o;
	const struct unpack_layer_source *from;
	struct oci_manifest *m;
	struct kitfile *kf;
	json_t *mp_config;        /* ModelPack config, for rootfs.diff_ids */
	char stage[PATH_MAX];
	bool dest_exists;
	int stage_fd;
};

static int make_stage(struct unpack_ctx *c)
{
	const char *dir = c->o->dir;
	struct stat st;
	int n;

	if (!lstat(dir, &st)) {
		if (!S_ISDIR(st.st_mode))
			return err_set(ERR_EXISTS, "'%s' exists and is not a "
				       "directory", dir);
		c->dest_exists = true;
		n = snprintf(c->stage, sizeof(c->stage),
			     "%s/.stele-unpack-XXXXXX", dir);
	} else {
		size_t len = strlen(dir);

		while (len > 1 && dir[len - 1] == '/')
			len--;
		n = snprintf(c->stage, sizeof(c->stage),
			     "%.*s.stele-unpack-XXXXXX", (int)len, dir);
	}
	if (n < 0 || n >= (int)sizeof(c->stage))
		return err_set(ERR_LIMIT, "path too long: '%s'", dir);
	if (!mkdtemp(c->stage)) {
		int e = errno;

		c->stage[0] = 0;
		return err_setsys(ERR_IO, e, "cannot create a staging "
				  "directory for '%s'", dir);
	}
	c->stage_fd = open(c->stage, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->stage_fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", c->stage);
	/* mkdtemp made it 0700; a new destination gets the usual mode. */
	if (!c->dest_exists && fchmod(c->stage_fd, 0755))
		return err_setsys(ERR_IO, errno, "cannot chmod '%s'", c->stage);
	return 0;
}

static int merge_dir(int src, int dst, const char *rel, bool overwrite,
		     bool apply);

/* One staged entry against the destination: absent, merge or replace. */
static int merge_entry(int src, int dst, const char *name, const char *rel,
		       bool overwrite, bool apply)
{
	struct stat ss, ds;
	int rc = 0;

	if (fstatat(src, name, &ss, AT_SYMLINK_NOFOLLOW))
		return err_setsys(ERR_IO, errno, "cannot stat '%s'", rel);
	if (fstatat(dst, name, &ds, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT)
			return err_setsys(ERR_IO, errno, "cannot stat '%s'",
					  rel);
	} else if (S_ISDIR(ss.st_mode) && S_ISDIR(ds.st_mode)) {
		int s2 = openat(src, name, O_RDONLY | O_DIRECTORY |
				O_NOFOLLOW | O_CLOEXEC);
		int d2 = openat(dst, name, O_RDONLY | O_DIRECTORY |
				O_NOFOLLOW | O_CLOEXEC);

		if (s2 < 0 || d2 < 0)
			rc = err_setsys(ERR_IO, errno, "cannot open '%s'", rel);
		else
			rc = merge_dir(s2, d2, rel, overwrite, apply);
		if (s2 >= 0)
			close(s2);
		if (d2 >= 0)
			close(d2);
		return rc;
	} else if (!overwrite) {
		return err_set(ERR_EXISTS, "'%s' already exists; use -o to "
			       "overwrite", rel);
	} else if (apply) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "/proc/self/fd/%d/%s", dst, name);
		rc = fs_remove_tree(path);
	}
	if (!rc && apply && renameat(src, name, dst, name))
		rc = err_setsys(ERR_IO, errno, "cannot move '%s' into place",
				rel);
	return rc;
}

static int merge_dir(int src, int dst, const char *rel, bool overwrite,
		     bool apply)
{
	/* Not dup(): the dry run must not leave the shared offset at the
	 * end of the directory for the real pass. */
	int fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int rc = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return err_setsys(ERR_IO, errno, "cannot list '%s'", rel);
	}
	while (!rc && (e = readdir(d)) != NULL) {
		char sub[PATH_MAX];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
		rc = merge_entry(src, dst, e->d_name, sub, overwrite, apply);
	}
	closedir(d);
	return rc;
}

static int move_into_place(struct unpack_ctx *c)
{
	const char *dir = c->o->dir;
	int dst, rc;

	if (!c->dest_exists) {
		if (rename(c->stage, dir))
			return err_setsys(ERR_IO, errno, "cannot move the "
					  "result to '%s'", dir);
		c->stage[0] = 0;
		return 0;
	}
	dst = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dst < 0)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", dir);
	/* A dry run first, so a refusal changes nothing. */
	rc = merge_dir(c->stage_fd, dst, dir, c->o->overwrite, false);
	if (!rc)
		rc = merge_dir(c->stage_fd, dst, dir, c->o->overwrite, true);
	close(dst);
	return rc;
}

/* ---- the ModelKit ---- */

static int load_manifest(struct unpack_ctx *c)
{
	char digest[DIGEST_STR_LEN];
	struct buf b;
	int rc = store_resolve(c->s, c->o->ref, digest);

	if (!rc)
		rc = store_blob_get(c->s, digest, OCI_MANIFEST_MAX, &b);
	if (rc)
		return rc;
	rc = oci_manifest_parse(b.data, b.len, &c->m);
	buf_release(&b);
	if (!rc && oci_manifest_format(c->m) == OCI_FORMAT_UNKNOWN)
		rc = err_set(ERR_UNSUPPORTED, "'%s' is neither a ModelKit nor "
			     "a ModelPack artifact", c->o->ref);
	return rc;
}

static int load_config(struct unpack_ctx *c)
{
	const char *ann;
	struct buf b;
	int rc = store_blob_get(c->s, c->m->config.digest, UNPACK_CONFIG_MAX,
				&b);

	if (rc)
		return rc;
	if (oci_manifest_format(c->m) == OCI_FORMAT_KITOPS) {
		rc = kitfile_from_config_json(b.data, b.len, &c->kf);
	} else {
		c->mp_config = json_loadb(b.data, b.len,
					  JSON_REJECT_DUPLICATES, NULL);
		if (!c->mp_config)
			rc = err_set(ERR_INVALID, "config %s is not valid "
				     "JSON", c->m->config.digest);
		ann = oci_annotations_get(&c->m->annotations,
					  KIT_ANN_KITFILE);
		if (!rc && ann)
			rc = kitfile_from_config_json(ann, strlen(ann),
						      &c->kf);
	}
	buf_release(&b);
	return rc;
}

static const char *expected_diff_id(struct unpack_ctx *c, size_t i)
{
	json_t *ids;
	const char *d = c->m->layers[i].digest;

	if (c->kf && oci_manifest_format(c->m) == OCI_FORMAT_KITOPS) {
		for (size_t k = 0; k < c->kf->n_entries; k++)
			if (!strcmp(c->kf->entries[k].digest, d))
				return c->kf->entries[k].diff_id;
		return "";
	}
	ids = json_object_get(json_object_get(c->mp_config, "rootfs"),
			      "diff_ids");
	d = json_string_value(json_array_get(ids, i));
	return d ? d : "";
}

static int write_kitfile(struct unpack_ctx *c)
{
	struct buf y = BUF_INIT(KITFILE_MAX_BYTES);
	struct stream_mem_in mem;
	uint8_t tmp[4096];
	int rc;

	if (!c->kf)
		return 0;
	rc = kitfile_to_yaml(c->kf, &y);
	stream_mem_in_init(&mem, y.data, y.len);
	if (!rc)
		rc = write_file(c->stage_fd, "Kitfile", 0644, &mem.base, NULL,
				tmp);
	buf_release(&y);
	return rc;
}

static int extract_layers(struct unpack_ctx *c)
{
	struct layer_job j = { .s = c->s, .from = c->from,
			       .root = c->stage_fd };
	int rc = 0;

	j.buf = malloc(UNPACK_BUF);
	if (!j.buf)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; !rc && i < c->m->n_layers; i++) {
		char name[TAR_PATH_MAX + 1];

		j.d = &c->m->layers[i];
		rc = oci_layer_classify(j.d, &j.info);
		if (rc || !(c->o->filter & unpack_role_bit(j.info.role)))
			continue;
		if (j.info.raw) {
			snprintf(name, sizeof(name), "%s", j.info.filepath ?
				 j.info.filepath : "");
			rc = tar_name_check(name, "raw layer");
			if (!rc && !name[0])
				rc = err_set(ERR_INVALID, "raw layer %s has no "
					     "file path", j.d->digest);
			j.info.filepath = name;
		}
		j.diff_id = expected_diff_id(c, i);
		if (!rc)
			rc = extract_layer(&j);
	}
	free(j.buf);
	return rc;
}

int unpack_modelkit(struct store *s, const struct unpack_opts *o)
{
	return unpack_modelkit_from(s, o, NULL);
}

int unpack_modelkit_from(struct store *s, const struct unpack_opts *o,
			 const struct unpack_layer_source *from)
{
	struct unpack_ctx c = { .s = s, .o = o, .from = from,
				.stage_fd = -1 };
	int rc = load_manifest(&c);

	if (!rc)
		rc = load_config(&c);
	if (!rc)
		rc = make_stage(&c);
	if (!rc && (o->filter & UNPACK_KITFILE))
		rc = write_kitfile(&c);
	if (!rc)
		rc = extract_layers(&c);
	if (!rc)
		rc = move_into_place(&c);
	if (c.stage_fd >= 0)
		close(c.stage_fd);
	if (c.stage[0])
		fs_remove_tree(c.stage);
	oci_manifest_free(c.m);
	kitfile_free(c.kf);
	json_decref(c.mp_config);
	return rc;
}

/*
 * Layers of a stored ModelKit into a scratch directory for scanning. The
 * tar reading is pack/tar.h's strict reader, so the same names and entry
 * types are refused as by `stele unpack`; every path is created relative
 * to a directory descriptor with O_NOFOLLOW and O_EXCL so no entry can
 * follow a link out of the scratch directory or replace another entry.
 */
#include "pipeline/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "oci/manifest.h"
#include "pack/compress.h"
#include "pack/tar.h"
#include "util/err.h"
#include "util/fs.h"

#define EXTRACT_BUF (256u * 1024)

struct budget {
	uint64_t bytes;
	uint64_t files;
	uint8_t *buf;
};

static int charge(struct budget *b, uint64_t bytes, const char *name)
{
	if (b->files >= PIPELINE_SCRATCH_FILES)
		return err_set(ERR_LIMIT, "more than %d entries to scan",
			       PIPELINE_SCRATCH_FILES);
	if (bytes > PIPELINE_SCRATCH_MAX - b->bytes)
		return err_set(ERR_LIMIT, "'%s' takes the scan over %llu "
			       "bytes", tar_printable(name),
			       (unsigned long long)PIPELINE_SCRATCH_MAX);
	b->files++;
	b->bytes += bytes;
	return 0;
}

/* Open (creating) the first len bytes of rel as directories below root. */
static int open_parent(int root, const char *rel, size_t len)
{
	char comp[NAME_MAX + 1];
	int fd = dup(root);
	size_t i = 0;

	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open scratch");
	while (i < len) {
		size_t n = strcspn(rel + i, "/");
		int next;

		if (n > NAME_MAX) {
			close(fd);
			return err_set(ERR_LIMIT, "name too long in '%s'",
				       tar_printable(rel));
		}
		memcpy(comp, rel + i, n);
		comp[n] = 0;
		if (mkdirat(fd, comp, 0700) && errno != EEXIST) {
			close(fd);
			return err_setsys(ERR_IO, errno, "cannot create '%s'",
					  tar_printable(rel));
		}
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			      O_CLOEXEC);
		close(fd);
		if (next < 0)
			return err_setsys(ERR_INVALID, errno, "'%s' is not a "
					  "directory", tar_printable(rel));
		fd = next;
		i += n + 1;
	}
	return fd;
}

typedef ssize_t (*read_fn)(void *src, void *p, size_t n);

static ssize_t tar_src(void *src, void *p, size_t n)
{
	return tar_reader_read(src, p, n);
}

static ssize_t stream_src(void *src, void *p, size_t n)
{
	return stream_read(src, p, n);
}

static int write_entry(int root, const char *rel, read_fn rd, void *src,
		       struct budget *b)
{
	const char *slash = strrchr(rel, '/');
	int dfd = open_parent(root, rel, slash ? (size_t)(slash - rel) : 0);
	int fd, rc = 0;
	ssize_t got;

	if (dfd < 0)
		return dfd;
	fd = openat(dfd, slash ? slash + 1 : rel, O_WRONLY | O_CREAT |
		    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	close(dfd);
	if (fd < 0)
		return err_setsys(ERR_INVALID, errno, "cannot create '%s'",
				  tar_printable(rel));
	while ((got = rd(src, b->buf, EXTRACT_BUF)) > 0) {
		if ((uint64_t)got > PIPELINE_SCRATCH_MAX - b->bytes) {
			rc = err_set(ERR_LIMIT, "layers exceed %llu bytes",
				     (unsigned long long)PIPELINE_SCRATCH_MAX);
			break;
		}
		b->bytes += (uint64_t)got;
		rc = fs_write_all(fd, b->buf, (size_t)got, rel);
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
		       struct budget *b)
{
	struct tar_entry *e = malloc(sizeof(*e));
	struct tar_reader *tr = NULL;
	int rc = e ? tar_reader_new(in, what, &tr) :
		err_set(ERR_NOMEM, "out of memory");

	while (!rc && (rc = tar_reader_next(tr, e)) == 1) {
		rc = charge(b, 0, e->name);
		if (!rc && e->type == TAR_DIR) {
			int fd = open_parent(root, e->name, strlen(e->name));

			rc = fd < 0 ? fd : 0;
			if (fd >= 0)
				close(fd);
		} else if (!rc) {
			rc = write_entry(root, e->name, tar_src, tr, b);
		}
	}
	tar_reader_free(tr);
	free(e);
	return rc;
}

/* One layer: digest checked over every byte, then the content. */
static int extract_layer(struct blobstore *bs, const struct oci_descriptor *d,
			 int root, struct budget *b)
{
	struct oci_layer_info info;
	struct stream_fd_in fin;
	struct stream_hash_in hin;
	struct pack_zin *z = NULL;
	char got[DIGEST_STR_LEN], name[TAR_PATH_MAX + 1];
	int64_t size;
	int fd = -1, rc = oci_layer_classify(d, &info);

	if (rc)
		return rc;
	rc = bs->ops->open(bs, d->digest, &fd, &size);
	if (rc)
		return rc;
	stream_fd_in_init(&fin, fd, d->digest);
	rc = stream_hash_in_init(&hin, &fin.base);
	if (rc)
		goto out;
	rc = pack_zin_new((enum pack_compression)info.comp, &hin.base,
			  d->digest, &z);
	if (!rc && info.raw) {
		snprintf(name, sizeof(name), "%s", info.filepath ?
			 info.filepath : "");
		rc = tar_name_check(name, d->digest);
		if (!rc)
			rc = charge(b, 0, name);
		if (!rc)
			rc = write_entry(root, name, stream_src,
					 pack_zin_stream(z), b);
	} else if (!rc) {
		rc = extract_tar(root, pack_zin_stream(z), d->digest, b);
	}
	if (!rc)
		rc = pack_zin_end(z);
	if (!rc) {
		stream_hash_in_final(&hin, got);
		if (strcmp(got, d->digest) || hin.count != d->size)
			rc = err_set(ERR_DIGEST, "layer '%s' does not match "
				     "its digest", d->digest);
	}
	stream_hash_in_release(&hin);
out:
	pack_zin_free(z);
	close(fd);
	return rc;
}

int pipeline_extract(struct blobstore *bs, const char *mbytes, size_t n,
		     const char *dir)
{
	struct oci_manifest *m = NULL;
	struct budget b = { 0 };
	int root = -1;
	int rc = oci_manifest_parse(mbytes, n, &m);

	if (rc)
		return rc;
	b.buf = malloc(EXTRACT_BUF);
	root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (!b.buf)
		rc = err_set(ERR_NOMEM, "out of memory");
	else if (root < 0)
		rc = err_setsys(ERR_IO, errno, "cannot open '%s'", dir);
	for (size_t i = 0; !rc && i < m->n_layers; i++)
		rc = extract_layer(bs, &m->layers[i], root, &b);
	if (root >= 0)
		close(root);
	free(b.buf);
	oci_manifest_free(m);
	return rc;
}

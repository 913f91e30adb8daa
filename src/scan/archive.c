/*
 * Tar, 7z, cpio and single-file gzip/bzip2/xz/zstd wrappers read through
 * libarchive; every regular member is analysed as a stream of its own,
 * with limits on entries, expansion and nesting.
 */
#include "scan/engine.h"
#include "scan/rules.h"
#include "util/err.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define AR_MAX_ENTRIES 100000
#define AR_BOMB_RATIO 1000
#define AR_BOMB_MIN (64u << 20)
#define AR_FD_BUF (64u << 10)

struct ar {
	struct scan_ctx *c;
	struct scan_file *f;
	struct archive *a;
	const char *member;   /* for messages */
	uint64_t out;         /* bytes produced by the current member */
	char **names;
	size_t n_names;
};

/* ---- sources: the forward reader, or a descriptor for 7z ---- */

static la_ssize_t rd_cb(struct archive *a, void *ctx, const void **buf)
{
	struct scan_rd *rd = ctx;
	const uint8_t *p;
	size_t n;

	if (scan_rd_peek(rd, SCAN_RD_BUF, &p, &n) || scan_rd_skip(rd, n)) {
		archive_set_error(a, EIO, "%s", err_msg());
		return -1;
	}
	*buf = p;
	return (la_ssize_t)n;
}

struct fdsrc {
	int fd;
	int64_t pos, size;
	uint8_t buf[AR_FD_BUF];
};

static la_ssize_t fd_cb(struct archive *a, void *ctx, const void **buf)
{
	struct fdsrc *s = ctx;
	ssize_t k = pread(s->fd, s->buf, sizeof(s->buf), (off_t)s->pos);

	if (k < 0) {
		archive_set_error(a, EIO, "read failed");
		return -1;
	}
	s->pos += k;
	*buf = s->buf;
	return k;
}

static la_int64_t fd_seek(struct archive *a, void *ctx, la_int64_t off,
			  int whence)
{
	struct fdsrc *s = ctx;
	int64_t to = whence == SEEK_SET ? off : whence == SEEK_CUR ?
		     s->pos + off : s->size + off;

	(void)a;
	if (to < 0 || to > s->size)
		return ARCHIVE_FATAL;
	s->pos = to;
	return to;
}

static la_int64_t fd_skip(struct archive *a, void *ctx, la_int64_t n)
{
	struct fdsrc *s = ctx;

	(void)a;
	if (n > s->size - s->pos)
		n = s->size - s->pos;
	s->pos += n;
	return n;
}

/* ---- members ---- */

static int entry_read(void *ctx, uint8_t *p, size_t n, size_t *got)
{
	struct ar *ar = ctx;
	la_ssize_t k = archive_read_data(ar->a, p, n);
	la_int64_t in;

	if (k < 0)
		return err_set(ERR_INVALID, "archive: cannot read '%s': %s",
			       ar->member, archive_error_string(ar->a));
	*got = (size_t)k;
	ar->out += *got;
	if (archive_filter_count(ar->a) > 1)
		ar->c->expanded += *got;
	in = archive_filter_bytes(ar->a, -1);
	if (ar->c->expanded > SCAN_MAX_TOTAL_BYTES ||
	    (ar->out > AR_BOMB_MIN && in >= 0 &&
	     ar->out / AR_BOMB_RATIO > (uint64_t)in)) {
		scan_add(ar->c->r, "archive-bomb", SCAN_HIGH, ar->member, NULL,
			 "archive member expands past %llu bytes from %lld",
			 (unsigned long long)ar->out, (long long)in);
		return err_set(ERR_LIMIT, "archive: '%s' exceeds the "
			       "expansion limits", ar->member);
	}
	return 0;
}

static bool bad_name(const char *n)
{
	const char *p = n;

	if (n[0] == '/' || n[0] == '\\' || (n[0] && n[1] == ':'))
		return true;
	while (*p) {
		size_t len = strcspn(p, "/\\");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += len + (p[len] != '\0');
	}
	return false;
}

static int note_name(struct ar *ar, const char *name, const char *path)
{
	char **nn;

	for (size_t i = 0; i < ar->n_names; i++)
		if (!strcmp(ar->names[i], name))
			return scan_add(ar->c->r, "archive-duplicate-name",
					SCAN_HIGH, path, NULL, "archive holds "
					"two members named '%.200s'", name);
	nn = realloc(ar->names, (ar->n_names + 1) * sizeof(*nn));
	if (!nn)
		return err_set(ERR_NOMEM, "out of memory");
	ar->names = nn;
	ar->names[ar->n_names] = strdup(name);
	if (!ar->names[ar->n_names])
		return err_set(ERR_NOMEM, "out of memory");
	ar->n_names++;
	return 0;
}

static int link_entry(struct ar *ar, struct archive_entry *e,
		      const char *path)
{
	const char *t = archive_entry_symlink(e);

	if (!t)
		t = archive_entry_hardlink(e);
	if (t && bad_name(t))
		return scan_add(ar->c->r, "archive-traversal", SCAN_HIGH, path,
				NULL, "link member points to '%.200s', "
				"outside the extraction directory", t);
	return 0;
}

static int one_entry(struct ar *ar, struct archive_entry *e,
		     unsigned profiles)
{
	const char *name = archive_entry_pathname(e);
	struct scan_ctx sub = *ar->c;
	struct scan_rd rd;
	char *path = NULL;
	int rc;

	if (!name || !*name)
		name = "data";
	if (asprintf(&path, "%s!%s", ar->f->path, name) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	rc = note_name(ar, name, path);
	if (!rc && bad_name(name))
		rc = scan_add(ar->c->r, "archive-traversal", SCAN_HIGH, path,
			      NULL, "member name escapes the extraction "
			      "directory");
	if (!rc)
		rc = link_entry(ar, e, path);
	if (rc || archive_entry_filetype(e) != AE_IFREG)
		goto out;
	ar->member = path;
	ar->out = 0;
	rc = scan_rd_init(&rd, entry_read, ar, path);
	if (rc)
		goto out;
	if (!scan_ctx_digest(ar->c))
		scan_rd_no_digest(&rd, NULL);
	sub.depth++;
	rc = scan_stream(&sub, &rd, -1, path, profiles);
	ar->c->expanded = sub.expanded;
	scan_rd_release(&rd);
out:
	free(path);
	return rc;
}

static int walk_entries(struct ar *ar, unsigned profiles)
{
	struct archive_entry *e;
	size_t n = 0;
	int r, rc = 0;

	while (!rc &&
	       (r = archive_read_next_header(ar->a, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN) {
			scan_file_incomplete(ar->f, "archive: %s",
					     archive_error_string(ar->a));
			return 0;
		}
		if (++n > AR_MAX_ENTRIES) {
			scan_file_incomplete(ar->f, "archive has more than %d "
					     "entries", AR_MAX_ENTRIES);
			return scan_add(ar->c->r, "archive-bomb", SCAN_HIGH,
					ar->f->path, NULL, "more than %d "
					"archive entries", AR_MAX_ENTRIES);
		}
		rc = one_entry(ar, e, profiles);
	}
	return rc;
}

static bool is_7z(struct scan_rd *rd)
{
	const uint8_t *p;
	size_t n;

	return !scan_rd_peek(rd, 6, &p, &n) && n == 6 &&
	       !memcmp(p, "7z\xbc\xaf\x27\x1c", 6);
}

static int open_archive(struct ar *ar, struct scan_rd *rd, int fd,
			struct fdsrc **src, int *tmp)
{
	struct stat st;
	uint64_t size;
	int rc;

	archive_read_support_filter_all(ar->a);
	archive_read_support_format_all(ar->a);
	archive_read_support_format_raw(ar->a);
	if (!is_7z(rd))
		return archive_read_open(ar->a, rd, NULL, rd_cb, NULL);
	if (fd < 0) {
		rc = scan_spool(rd, tmp, &size);
		if (rc)
			return rc;
		fd = *tmp;
	}
	*src = calloc(1, sizeof(**src));
	if (!*src)
		return err_set(ERR_NOMEM, "out of memory");
	/* fstat, not lseek: the hashing reader shares this descriptor's
	 * file offset and must keep reading where it was. */
	if (fstat(fd, &st))
		return err_setsys(ERR_IO, errno, "cannot stat archive");
	(*src)->fd = fd;
	(*src)->size = (int64_t)st.st_size;
	archive_read_set_read_callback(ar->a, fd_cb);
	archive_read_set_seek_callback(ar->a, fd_seek);
	archive_read_set_skip_callback(ar->a, fd_skip);
	archive_read_set_callback_data(ar->a, *src);
	return archive_read_open1(ar->a);
}

int scan_archive(struct scan_ctx *c, struct scan_rd *rd, int fd,
		 struct scan_file *f, unsigned profiles)
{
	struct ar ar = { .c = c, .f = f };
	struct fdsrc *src = NULL;
	int tmp = -1, rc = 0;

	if (c->depth >= SCAN_MAX_DEPTH) {
		scan_file_incomplete(f, "archive nesting limit reached");
		return scan_add(c->r, "archive-bomb", SCAN_HIGH, f->path, NULL,
				"archives nested deeper than %d",
				SCAN_MAX_DEPTH);
	}
	ar.a = archive_read_new();
	if (!ar.a)
		return err_set(ERR_NOMEM, "out of memory");
	rc = open_archive(&ar, rd, fd, &src, &tmp);
	if (rc == ERR_NOMEM)
		goto out;
	if (rc) {
		scan_file_incomplete(f, "archive: %s", rc == ARCHIVE_FATAL ||
				     rc < 0 ? archive_error_string(ar.a) ?
				     archive_error_string(ar.a) : err_msg() :
				     "cannot open");
		rc = 0;
		goto out;
	}
	rc = walk_entries(&ar, profiles);
	if (!rc) {
		const char *fmt = archive_format(ar.a) == ARCHIVE_FORMAT_RAW ?
				  archive_filter_name(ar.a, 0) :
				  archive_format_name(ar.a);
		char *s = strdup(fmt ? fmt : "archive");

		if (s) {
			free(f->format);
			f->format = s;
		}
	}
out:
	archive_read_free(ar.a);
	for (size_t i = 0; i < ar.n_names; i++)
		free(ar.names[i]);
	free(ar.names);
	free(src);
	if (tmp >= 0)
		close(tmp);
	return rc;
}

/* ---- a bare zlib stream (joblib compress=N, torch's legacy zlib) ---- */

struct zlsrc {
	struct scan_ctx *c;
	struct scan_rd *in;
	const char *path;
	z_stream zs;
	bool done;
	uint64_t consumed, out;
};

static int zl_read(void *ctx, uint8_t *p, size_t n, size_t *got)
{
	struct zlsrc *s = ctx;
	const uint8_t *b;
	size_t avail;
	int zr, rc;

	*got = 0;
	while (!s->done && !*got) {
		rc = scan_rd_peek(s->in, SCAN_RD_BUF, &b, &avail);
		if (rc)
			return rc;
		s->zs.next_in = (Bytef *)(uintptr_t)b;
		s->zs.avail_in = (uInt)avail;
		s->zs.next_out = p;
		s->zs.avail_out = (uInt)(n > (1u << 30) ? (1u << 30) : n);
		zr = inflate(&s->zs, Z_NO_FLUSH);
		rc = scan_rd_skip(s->in, avail - s->zs.avail_in);
		if (rc)
			return rc;
		s->consumed += avail - s->zs.avail_in;
		*got = (size_t)(s->zs.next_out - p);
		if (zr == Z_STREAM_END)
			s->done = true;
		else if (zr == Z_BUF_ERROR && !avail)
			return err_set(ERR_INVALID, "zlib: '%s' is truncated",
				       s->path);
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return err_set(ERR_INVALID, "zlib: corrupt data in "
				       "'%s'", s->path);
	}
	s->out += *got;
	s->c->expanded += *got;
	if (s->c->expanded > SCAN_MAX_TOTAL_BYTES ||
	    (s->out > AR_BOMB_MIN && s->out / AR_BOMB_RATIO > s->consumed)) {
		scan_add(s->c->r, "archive-bomb", SCAN_HIGH, s->path, NULL,
			 "zlib stream expands past %llu bytes from %llu",
			 (unsigned long long)s->out,
			 (unsigned long long)s->consumed);
		return err_set(ERR_LIMIT, "zlib: '%s' exceeds the expansion "
			       "limits", s->path);
	}
	return 0;
}

int scan_zlib(struct scan_ctx *c, struct scan_rd *rd, struct scan_file *f,
	      unsigned profiles)
{
	struct zlsrc s = { .c = c, .in = rd };
	struct scan_ctx sub = *c;
	struct scan_rd out;
	char *path = NULL;
	int rc;

	if (c->depth >= SCAN_MAX_DEPTH) {
		scan_file_incomplete(f, "archive nesting limit reached");
		return scan_add(c->r, "archive-bomb", SCAN_HIGH, f->path, NULL,
				"archives nested deeper than %d",
				SCAN_MAX_DEPTH);
	}
	if (asprintf(&path, "%s!zlib", f->path) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	s.path = path;
	if (inflateInit(&s.zs) != Z_OK) {
		free(path);
		return err_set(ERR_NOMEM, "zlib init failed");
	}
	rc = scan_rd_init(&out, zl_read, &s, path);
	if (!rc) {
		if (!scan_ctx_digest(c))
			scan_rd_no_digest(&out, NULL);
		sub.depth++;
		rc = scan_stream(&sub, &out, -1, path, profiles);
		c->expanded = sub.expanded;
		scan_rd_release(&out);
	}
	inflateEnd(&s.zs);
	free(path);
	return rc;
}

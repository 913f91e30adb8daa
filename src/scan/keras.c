/* Keras 3 .keras files: a zip whose config.json describes the model. The
 * zip is read through libarchive with pread()-based callbacks (the
 * central directory decides the members, as Python's zipfile does), every
 * config.json is analysed, and a second one is itself a finding because
 * zipfile would silently pick the last. */
#include "scan/formats.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan/fmt_util.h"
#include "util/buf.h"
#include "util/err.h"

#define KZ_MAX_ENTRIES 100000
#define KZ_MAX_CONFIG (64u << 20)
#define KZ_BLOCK 65536

struct kz_src {
	int fd;
	uint64_t pos, size;
	uint8_t block[KZ_BLOCK];
};

static la_ssize_t kz_read(struct archive *a, void *ud, const void **out)
{
	struct kz_src *s = ud;
	ssize_t got;

	if (s->pos >= s->size)
		return 0;
	do {
		got = pread(s->fd, s->block, sizeof(s->block), (off_t)s->pos);
	} while (got < 0 && errno == EINTR);
	if (got < 0) {
		archive_set_error(a, errno, "read failed");
		return -1;
	}
	s->pos += (uint64_t)got;
	*out = s->block;
	return got;
}

static la_int64_t kz_seek(struct archive *a, void *ud, la_int64_t off,
			  int whence)
{
	struct kz_src *s = ud;
	int64_t base = whence == SEEK_SET ? 0 :
		       whence == SEEK_CUR ? (int64_t)s->pos :
		       (int64_t)s->size;

	if (off > INT64_MAX - base || base + off < 0)
		return ARCHIVE_FATAL;
	s->pos = (uint64_t)(base + off);
	return (la_int64_t)s->pos;
}

static la_int64_t kz_skip(struct archive *a, void *ud, la_int64_t n)
{
	struct kz_src *s = ud;

	if (n < 0 || (uint64_t)n > s->size - (s->pos < s->size ? s->pos :
					      s->size))
		n = (la_int64_t)(s->pos < s->size ? s->size - s->pos : 0);
	s->pos += (uint64_t)n;
	return n;
}

static int read_member(struct archive *a, struct scan_file *f,
		       const char *name, struct buf *out)
{
	char chunk[16384];
	la_ssize_t n;
	int rc;

	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		rc = buf_put(out, chunk, (size_t)n);
		if (rc == ERR_LIMIT)
			return scan_fmt_fail(f, ERR_LIMIT, "keras: '%s' larger "
					     "than %u bytes in '%s'", name,
					     KZ_MAX_CONFIG, f->path);
		if (rc)
			return scan_fmt_fail(f, rc, "out of memory");
	}
	if (n < 0)
		return scan_fmt_fail(f, ERR_UNSUPPORTED, "keras: cannot read "
				     "'%s' in '%s': %s", name, f->path,
				     archive_error_string(a));
	return 0;
}

static int kz_entries(struct archive *a, struct scan_report *r,
		      struct scan_file *f)
{
	struct archive_entry *e;
	struct buf cfg = BUF_INIT(KZ_MAX_CONFIG);
	size_t n = 0, configs = 0;
	int rc = 0, ar;

	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);

		if (++n > KZ_MAX_ENTRIES) {
			rc = scan_fmt_fail(f, ERR_LIMIT, "keras: more than %d "
					   "members in '%s'", KZ_MAX_ENTRIES,
					   f->path);
			goto out;
		}
		if (!name || strcmp(name, "config.json"))
			continue;
		if (++configs == 2)
			scan_add(r, "keras-zip-duplicate", SCAN_HIGH, f->path,
				 OWASP_SUPPLY_CHAIN, "config.json appears more "
				 "than once in '%s': the loader reads only "
				 "one of them", f->path);
		buf_clear(&cfg);
		rc = read_member(a, f, name, &cfg);
		if (!rc)
			rc = scan_fmt_keras_config(r, f, buf_cstr(&cfg),
						   cfg.len);
		if (rc)
			goto out;
	}
	if (ar != ARCHIVE_EOF)
		rc = scan_fmt_fail(f, ERR_INVALID, "keras: bad zip '%s': %s",
				   f->path, archive_error_string(a));
	else if (!configs)
		rc = scan_fmt_fail(f, ERR_INVALID, "keras: no config.json in "
				   "'%s'", f->path);
out:
	buf_release(&cfg);
	return rc;
}

int scan_fmt_keras(struct scan_report *r, struct scan_file *f, int fd,
		   uint64_t size)
{
	struct kz_src *s = calloc(1, sizeof(*s));
	struct archive *a = archive_read_new();
	int rc;

	if (!s || !a) {
		rc = scan_fmt_fail(f, ERR_NOMEM, "out of memory");
		goto out;
	}
	s->fd = fd;
	s->size = size;
	archive_read_support_format_zip_seekable(a);
	archive_read_set_callback_data(a, s);
	archive_read_set_read_callback(a, kz_read);
	archive_read_set_seek_callback(a, kz_seek);
	archive_read_set_skip_callback(a, kz_skip);
	if (archive_read_open1(a) != ARCHIVE_OK) {
		rc = scan_fmt_fail(f, ERR_INVALID, "keras: not a zip '%s': %s",
				   f->path, archive_error_string(a));
		goto out;
	}
	rc = kz_entries(a, r, f);
out:
	archive_read_free(a);
	free(s);
	return rc;
}

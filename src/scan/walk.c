/*
 * Walking files and directories, sniffing each stream's content (names
 * and extensions are never trusted) and handing it to its analyser.
 */
#include "scan/engine.h"
#include "scan/formats.h"
#include "scan/rules.h"
#include "util/err.h"
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SCAN_MAX_DIR_DEPTH 64
#define SCAN_SNIFF_LEN 4096
#define SCAN_EOCD_WINDOW (65535u + 22u)

/* Profiles a plain pickle gets: the common frameworks' allowlists. */
#define SCAN_PROFILES_PICKLE (SCAN_PROFILE_BASE | SCAN_PROFILE_NUMPY | \
	SCAN_PROFILE_SKLEARN | SCAN_PROFILE_XGBOOST | SCAN_PROFILE_JOBLIB)

enum sniffed { SNIFF_EMPTY, SNIFF_ZIP, SNIFF_NPY, SNIFF_ARCHIVE, SNIFF_OTHER };

static bool has_prefix(const uint8_t *b, size_t n, const char *magic,
		       size_t mlen)
{
	return n >= mlen && !memcmp(b, magic, mlen);
}

/*
 * Two bytes can look like a zlib header by chance ("(S" does); inflate
 * what was peeked to be sure before treating the stream as compressed.
 */
static bool zlib_plausible(const uint8_t *b, size_t n)
{
	uint8_t out[4096];
	z_stream zs;
	int zr = Z_OK;

	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return false;
	zs.next_in = (Bytef *)(uintptr_t)b;
	zs.avail_in = (uInt)n;
	while (zr == Z_OK && zs.avail_in) {
		zs.next_out = out;
		zs.avail_out = sizeof(out);
		zr = inflate(&zs, Z_NO_FLUSH);
	}
	inflateEnd(&zs);
	return zr == Z_OK || zr == Z_STREAM_END || zr == Z_BUF_ERROR;
}

/* Containers first; everything else goes to formats.h or pickle. */
static enum sniffed sniff(const uint8_t *b, size_t n)
{
	if (!n)
		return SNIFF_EMPTY;
	if (has_prefix(b, n, "PK\3\4", 4) || has_prefix(b, n, "PK\5\6", 4))
		return SNIFF_ZIP;
	if (has_prefix(b, n, "\x93NUMPY", 6))
		return SNIFF_NPY;
	if (has_prefix(b, n, "\x1f\x8b", 2) || has_prefix(b, n, "BZh", 3) ||
	    has_prefix(b, n, "\xfd" "7zXZ\0", 6) ||
	    has_prefix(b, n, "\x28\xb5\x2f\xfd", 4) ||
	    has_prefix(b, n, "\x04\x22\x4d\x18", 4) ||
	    has_prefix(b, n, "7z\xbc\xaf\x27\x1c", 6) ||
	    (n >= 262 && !memcmp(b + 257, "ustar", 5)))
		return SNIFF_ARCHIVE;
	return SNIFF_OTHER;
}

static void set_format(struct scan_file *f, const char *fmt)
{
	char *s = strdup(fmt);

	if (!s)
		return;
	free(f->format);
	f->format = s;
}

/*
 * A reader over a regular file by pread(), leaving its file offset
 * alone; size (from fstat) bounds skips, which only move the offset.
 */
struct pread_src {
	int fd;
	uint64_t off, size;
	uint64_t ahead;       /* readahead asked for up to here */
	bool read_ahead;      /* every byte will be read: hashing */
};

/*
 * While hashing a cold file, keep SCAN_READAHEAD bytes in flight beyond
 * the read position, asked for in SCAN_READAHEAD_STEP pieces, so the disk
 * works while the hash runs (page cache, not memory of ours).
 */
#define SCAN_READAHEAD (32ull << 20)
#define SCAN_READAHEAD_STEP (8ull << 20)

static void read_ahead(struct pread_src *s)
{
	uint64_t want = s->off + SCAN_READAHEAD;

	if (!s->read_ahead)
		return;
	if (want > s->size)
		want = s->size;
	if (s->ahead < s->off)
		s->ahead = s->off;
	if (want < s->ahead + SCAN_READAHEAD_STEP && want < s->size)
		return;
	if (want > s->ahead)
		posix_fadvise(s->fd, (off_t)s->ahead, (off_t)(want - s->ahead),
			      POSIX_FADV_WILLNEED);
	s->ahead = want;
}

static int pread_read(void *ctx, uint8_t *p, size_t n, size_t *got)
{
	struct pread_src *s = ctx;
	ssize_t k;

	read_ahead(s);
	do {
		k = pread(s->fd, p, n, (off_t)s->off);
	} while (k < 0 && errno == EINTR);
	if (k < 0)
		return err_setsys(ERR_IO, errno, "read failed");
	s->off += (uint64_t)k;
	*got = (size_t)k;
	return 0;
}

static int pread_skip(void *ctx, uint64_t n, uint64_t *done)
{
	struct pread_src *s = ctx;
	uint64_t left = s->size > s->off ? s->size - s->off : 0;

	*done = n < left ? n : left;
	s->off += *done;
	return 0;
}

static int pread_src_init(struct pread_src *s, int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		return err_setsys(ERR_IO, errno, "cannot stat a file");
	*s = (struct pread_src){ .fd = fd, .size = (uint64_t)st.st_size };
	return 0;
}

/* Copy the rest of rd into an unlinked temporary file to seek in. */
int scan_spool(struct scan_rd *rd, int *fd_out, uint64_t *size)
{
	const char *dir = getenv("TMPDIR");
	const uint8_t *b;
	size_t n;
	int fd, rc = 0;

	*fd_out = -1;
	*size = 0;
	if (!dir || !*dir)
		dir = "/tmp";
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0) {
		/* File systems without O_TMPFILE: a named file, unlinked. */
		char tmpl[PATH_MAX];

		snprintf(tmpl, sizeof(tmpl), "%s/stele-scan-XXXXXX", dir);
		fd = mkostemp(tmpl, O_CLOEXEC);
		if (fd >= 0)
			unlink(tmpl);
	}
	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot create a temporary "
				  "file to read an archive member");
	for (;;) {
		rc = scan_rd_peek(rd, SCAN_RD_BUF, &b, &n);
		if (rc || !n)
			break;
		if (*size + n > SCAN_MAX_SPOOL) {
			rc = err_set(ERR_LIMIT, "archive member larger than "
				     "%llu bytes", SCAN_MAX_SPOOL);
			break;
		}
		rc = fs_write_all(fd, b, n, "temporary file");
		if (!rc)
			rc = scan_rd_skip(rd, n);
		if (rc)
			break;
		*size += n;
	}
	if (rc) {
		close(fd);
		return rc;
	}
	*fd_out = fd;
	return 0;
}

/*
 * Four bytes can match by chance inside tensor data: only a record whose
 * central directory starts where it says (or a zip64 one) counts. Zip64
 * end records and their locator (76 bytes, which torch.save always
 * writes) sit between the directory and this record.
 */
static bool cd_plausible(int fd, uint64_t eocd, const uint8_t *rec)
{
	uint32_t cd_size = (uint32_t)rec[12] | (uint32_t)rec[13] << 8 |
			   (uint32_t)rec[14] << 16 | (uint32_t)rec[15] << 24;
	uint16_t count = (uint16_t)(rec[10] | rec[11] << 8);
	uint8_t sig[4];

	if (count == 0xFFFF || cd_size == 0xFFFFFFFFu)
		return true;
	if (scan_zip64_locator(fd, eocd))
		eocd -= 76;
	if (!count || cd_size > eocd)
		return false;
	return pread(fd, sig, 4, (off_t)(eocd - cd_size)) == 4 &&
	       !memcmp(sig, "PK\1\2", 4);
}

/* An end-of-central-directory record near the end: a zip is there. */
static bool has_eocd(int fd, uint64_t size)
{
	uint64_t win = size < SCAN_EOCD_WINDOW ? size : SCAN_EOCD_WINDOW;
	uint8_t *b;
	bool found = false;

	if (fd < 0 || size < 22)
		return false;
	b = malloc(win);
	if (!b)
		return false;
	if (pread(fd, b, win, (off_t)(size - win)) == (ssize_t)win)
		for (uint64_t i = win - 22 + 1; i-- > 0;)
			if (!memcmp(b + i, "PK\5\6", 4)) {
				found = cd_plausible(fd, size - win + i, b + i);
				break;
			}
	free(b);
	return found;
}

static int analyse_zip(struct scan_ctx *c, struct scan_rd *rd, int fd,
		       struct scan_file *f, unsigned profiles)
{
	struct stat st;
	uint64_t size;
	int tmp = -1, rc;

	if (fd >= 0 && !fstat(fd, &st)) {
		size = (uint64_t)st.st_size;
	} else {
		rc = scan_spool(rd, &tmp, &size);
		if (rc == ERR_NOMEM)
			return rc;
		if (rc) {
			scan_file_incomplete(f, "%s", err_msg());
			return 0;
		}
		fd = tmp;
	}
	rc = scan_zip(c, fd, size, f, profiles);
	if (tmp >= 0)
		close(tmp);
	return rc;
}

/*
 * The formats in formats.h read by pread(): a stream without a file of
 * its own (an archive member, a buffer) is spooled first, which also
 * hashes it. *fd_io is the descriptor to use, *tmp the one to close.
 */
static int stream_file(struct scan_rd *rd, int fd, struct scan_file *f,
		       int *fd_io, int *tmp, uint64_t *size)
{
	struct stat st;
	int rc;

	*tmp = -1;
	if (fd >= 0 && !fstat(fd, &st)) {
		*fd_io = fd;
		*size = (uint64_t)st.st_size;
		return 0;
	}
	rc = scan_spool(rd, tmp, size);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc) {
		scan_file_incomplete(f, "%s", err_msg());
		return 1;
	}
	*fd_io = *tmp;
	return 0;
}

static int run_fmt_fd(struct scan_ctx *c, struct scan_file *f,
		      enum scan_fmt_kind k, int fd, uint64_t size)
{
	int rc;

	set_format(f, scan_fmt_name(k));
	rc = scan_fmt_run(k, c->r, f, fd, size);
	/* The analyser marked f incomplete; only the report failing stops. */
	if (rc && f->complete)
		scan_file_incomplete(f, "%s", err_msg());
	return rc == ERR_NOMEM ? rc : 0;
}

static int run_fmt(struct scan_ctx *c, struct scan_rd *rd, int fd,
		   struct scan_file *f, enum scan_fmt_kind k)
{
	uint64_t size;
	int io, tmp, rc;

	rc = stream_file(rd, fd, f, &io, &tmp, &size);
	if (rc)
		return rc < 0 ? rc : 0;
	rc = run_fmt_fd(c, f, k, io, size);
	if (tmp >= 0)
		close(tmp);
	return rc;
}

/*
 * No magic number: a protocol 0/1 pickle, protobuf (ONNX, SavedModel),
 * text (configs, templates, Python, docs) or opaque data. Pickles come
 * first, since a protocol-0 pickle is ASCII; text that is no pickle is
 * then checked as text.
 */
static int dispatch_plain(struct scan_ctx *c, struct scan_rd *rd, int fd,
			  struct scan_file *f, unsigned profiles,
			  enum scan_fmt_kind k)
{
	struct pread_src src;
	struct scan_rd prd;
	uint64_t size;
	bool is_pickle = false;
	int io, tmp, rc;

	if (k == SCAN_FMT_ONNX || k == SCAN_FMT_SAVEDMODEL ||
	    k == SCAN_FMT_KERAS_METADATA)
		return run_fmt(c, rd, fd, f, k);
	set_format(f, "pickle");
	if (k == SCAN_FMT_UNKNOWN) {
		rc = scan_pickle(c, rd, f, profiles | SCAN_PROFILES_PICKLE,
				 SCAN_PICKLE_TRIAL, &is_pickle);
		if (!rc && !is_pickle)
			set_format(f, "data");
		return rc;
	}
	rc = stream_file(rd, fd, f, &io, &tmp, &size);
	if (rc)
		return rc < 0 ? rc : 0;
	rc = pread_src_init(&src, io);
	if (!rc)
		rc = scan_rd_init(&prd, pread_read, &src, f->path);
	if (!rc) {
		/* The digest is the outer reader's; this one only looks. */
		scan_rd_no_digest(&prd, pread_skip);
		rc = scan_pickle(c, &prd, f, profiles | SCAN_PROFILES_PICKLE,
				 SCAN_PICKLE_TRIAL, &is_pickle);
		scan_rd_release(&prd);
	}
	if (!rc && !is_pickle)
		rc = run_fmt_fd(c, f, k, io, size);
	if (tmp >= 0)
		close(tmp);
	return rc;
}

static bool fmt_binary(enum scan_fmt_kind k)
{
	return k == SCAN_FMT_GGUF || k == SCAN_FMT_H5 ||
	       k == SCAN_FMT_SAFETENSORS;
}

static int dispatch(struct scan_ctx *c, struct scan_rd *rd, int fd,
		    struct scan_file *f, unsigned profiles, bool *zip)
{
	enum scan_fmt_kind k;
	const uint8_t *b;
	size_t n;
	bool is_pickle;
	enum sniffed kind;
	int rc;

	*zip = false;
	rc = scan_rd_peek(rd, SCAN_SNIFF_LEN, &b, &n);
	if (rc) {
		scan_file_incomplete(f, "%s", err_msg());
		return 0;
	}
	if (profiles & SCAN_HINT_KERAS_CONFIG) {
		set_format(f, "keras-config");
		return scan_keras_config(c, rd, f);
	}
	kind = sniff(b, n);
	*zip = kind == SNIFF_ZIP;
	k = kind == SNIFF_OTHER ? scan_fmt_sniff(b, n, f->path) :
	    SCAN_FMT_UNKNOWN;
	if (k == SCAN_FMT_H5 && (profiles & SCAN_PROFILE_KERAS)) {
		/* Keras 3 archives keep only weights in HDF5; the model
		 * config is config.json, analysed on its own. */
		set_format(f, "hdf5-weights");
		return 0;
	}
	if (fmt_binary(k))
		return run_fmt(c, rd, fd, f, k);
	switch (kind) {
	case SNIFF_EMPTY:
		set_format(f, "empty");
		return 0;
	case SNIFF_ZIP:
		set_format(f, "zip");
		return analyse_zip(c, rd, fd, f, profiles);
	case SNIFF_NPY:
		set_format(f, "npy");
		return scan_npy(c, rd, f, profiles);
	case SNIFF_ARCHIVE:
		set_format(f, "archive");
		return scan_archive(c, rd, fd, f, profiles);
	case SNIFF_OTHER:
		break;
	}
	if (b[0] == 0x80 && n >= 2 && b[1] <= 5) {
		set_format(f, "pickle");
		return scan_pickle(c, rd, f, profiles | SCAN_PROFILES_PICKLE,
				   SCAN_PICKLE_FILE, &is_pickle);
	}
	/* RFC 1950 header: deflate, a valid check value, no dictionary. */
	if (n >= 2 && (b[0] & 0x0f) == 8 && (b[0] >> 4) <= 7 &&
	    !(b[1] & 0x20) && ((b[0] << 8) | b[1]) % 31 == 0 &&
	    zlib_plausible(b, n)) {
		set_format(f, "zlib");
		return scan_zlib(c, rd, f, profiles);
	}
	return dispatch_plain(c, rd, fd, f, profiles, k);
}

/* The Keras config.json of a .keras archive, read whole (bounded). */
#define SCAN_KERAS_CONFIG_MAX (64u << 20)

int scan_keras_config(struct scan_ctx *c, struct scan_rd *rd,
		      struct scan_file *f)
{
	uint8_t *text = NULL, *nb;
	const uint8_t *b;
	size_t n, have = 0;
	int rc = 0;

	for (;;) {
		rc = scan_rd_peek(rd, SCAN_RD_BUF, &b, &n);
		if (rc || !n)
			break;
		if (n > SCAN_KERAS_CONFIG_MAX - have) {
			rc = err_set(ERR_LIMIT, "'%s': Keras config larger "
				     "than %u bytes", f->path,
				     SCAN_KERAS_CONFIG_MAX);
			break;
		}
		nb = realloc(text, have + n + 1);
		if (!nb) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		text = nb;
		memcpy(text + have, b, n);
		have += n;
		rc = scan_rd_skip(rd, n);
		if (rc)
			break;
	}
	if (!rc)
		rc = scan_fmt_keras_config(c->r, f, text ? (char *)text : "",
					   have);
	free(text);
	if (rc && f->complete)
		scan_file_incomplete(f, "%s", err_msg());
	return rc == ERR_NOMEM ? rc : 0;
}

int scan_stream(struct scan_ctx *c, struct scan_rd *rd, int fd,
		const char *path, unsigned profiles)
{
	struct scan_file *f = scan_add_file(c->r, path, "unknown");
	struct stat st;
	bool zip;
	int rc;

	if (!f)
		return err_set(ERR_NOMEM, "cannot add '%s' to the report",
			       path);
	rc = dispatch(c, rd, fd, f, profiles, &zip);
	if (rc)
		return rc;

	/* A polyglot: something else up front, a zip at the end. */
	if (fd >= 0 && !zip && !fstat(fd, &st) &&
	    has_eocd(fd, (uint64_t)st.st_size)) {
		rc = scan_zip(c, fd, (uint64_t)st.st_size, f, profiles);
		if (rc)
			return rc;
	}

	if (scan_rd_drain(rd))
		scan_file_incomplete(f, "%s", err_msg());
	f->size = scan_rd_offset(rd);
	scan_rd_digest(rd, f->sha256);
	return 0;
}

/* ---- files ---- */

static int scan_open_fd(struct scan_report *r, int fd, const char *display,
			const struct scan_opts *o)
{
	struct scan_ctx c = { .r = r, .o = o };
	struct pread_src src;
	struct scan_rd rd;
	int rc;

	rc = pread_src_init(&src, fd);
	if (!rc)
		rc = scan_rd_init(&rd, pread_read, &src, display);
	if (rc)
		return rc;
	src.read_ahead = scan_ctx_digest(&c);
	if (!src.read_ahead)
		scan_rd_no_digest(&rd, pread_skip);
	rc = scan_stream(&c, &rd, fd, display, o ? o->extra_profiles : 0);
	scan_rd_release(&rd);
	return rc;
}

int scan_file(struct scan_report *r, const char *file, const char *display,
	      const struct scan_opts *o)
{
	struct stat st;
	int fd, rc;

	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return err_setsys(errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
				  errno, "cannot open '%s'", file);
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(ERR_INVALID, "'%s' is not a regular file",
			       file);
	}
	rc = scan_open_fd(r, fd, display ? display : file, o);
	close(fd);
	return rc;
}

/* ---- directories ---- */

struct walk {
	struct scan_report *r;
	const struct scan_opts *o;
	char root[PATH_MAX];       /* realpath of the top directory */
	char disp[PATH_MAX];       /* display path being built */
	char full[PATH_MAX];       /* file-system path being built */
};

static int walk_dir(struct walk *w, int dfd, size_t dlen, size_t flen,
		    unsigned depth);

static bool inside_root(const struct walk *w, const char *real)
{
	size_t n = strlen(w->root);

	if (!strcmp(w->root, "/"))
		return true;
	return !strncmp(real, w->root, n) && (real[n] == '/' || !real[n]);
}

static int walk_symlink(struct walk *w)
{
	char real[PATH_MAX];

	if (!realpath(w->full, real))
		return scan_add(w->r, "fs-symlink", SCAN_INFO, w->disp, NULL,
				"dangling symlink not followed");
	if (!inside_root(w, real))
		return scan_add(w->r, "fs-symlink-escape", SCAN_MEDIUM,
				w->disp, NULL, "symlink points outside the "
				"scanned tree to '%s'; not followed", real);
	return scan_add(w->r, "fs-symlink", SCAN_INFO, w->disp, NULL,
			"symlink inside the tree not followed (its target "
			"is scanned in place)");
}

static int walk_entry(struct walk *w, int dfd, const char *name,
		      size_t dlen, size_t flen, unsigned depth)
{
	struct stat st;
	int fd, rc;
	size_t nd, nf;

	nd = (size_t)snprintf(w->disp + dlen, sizeof(w->disp) - dlen, "%s%s",
			      dlen ? "/" : "", name) + dlen;
	nf = (size_t)snprintf(w->full + flen, sizeof(w->full) - flen, "/%s",
			      name) + flen;
	if (nd >= sizeof(w->disp) || nf >= sizeof(w->full))
		return scan_add(w->r, "fs-special-file", SCAN_LOW, w->disp,
				NULL, "path too long to scan");
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return scan_add(w->r, "fs-special-file", SCAN_LOW, w->disp,
				NULL, "cannot stat: %s", strerror(errno));
	if (S_ISLNK(st.st_mode))
		return walk_symlink(w);
	if (S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
		if (fd < 0)
			return scan_add(w->r, "fs-special-file", SCAN_LOW,
					w->disp, NULL, "cannot open "
					"directory: %s", strerror(errno));
		return walk_dir(w, fd, nd, nf, depth + 1);
	}
	if (!S_ISREG(st.st_mode))
		return scan_add(w->r, "fs-special-file", SCAN_LOW, w->disp,
				NULL, "device, FIFO or socket not read");
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0) {
		struct scan_file *f = scan_add_file(w->r, w->disp, "unknown");

		scan_file_incomplete(f, "cannot open: %s", strerror(errno));
		return f ? 0 : ERR_NOMEM;
	}
	/* Raced into something else between stat and open: refuse. */
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return scan_add(w->r, "fs-special-file", SCAN_LOW, w->disp,
				NULL, "changed type while scanning");
	}
	rc = scan_open_fd(w->r, fd, w->disp, w->o);
	close(fd);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names sorted so reports are reproducible. Consumes dfd. */
static int walk_dir(struct walk *w, int dfd, size_t dlen, size_t flen,
		    unsigned depth)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (depth > SCAN_MAX_DIR_DEPTH) {
		close(dfd);
		return scan_add(w->r, "archive-bomb", SCAN_HIGH, w->disp, NULL,
				"directories nested deeper than %d; not "
				"scanned", SCAN_MAX_DIR_DEPTH);
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return err_setsys(ERR_IO, errno, "cannot read '%s'", w->full);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap ? cap * 2 : 32) *
					    sizeof(*nn));

			if (!nn) {
				rc = err_set(ERR_NOMEM, "out of memory");
				goto out;
			}
			names = nn;
			cap = cap ? cap * 2 : 32;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			rc = err_set(ERR_NOMEM, "out of memory");
			goto out;
		}
		n++;
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; !rc && i < n; i++) {
		rc = walk_entry(w, dirfd(d), names[i], dlen, flen, depth);
		w->disp[dlen] = '\0';
		w->full[flen] = '\0';
	}
out:
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	closedir(d);
	return rc;
}

int scan_dir(struct scan_report *r, const char *dir, const char *prefix,
	     const struct scan_opts *o)
{
	struct walk *w = calloc(1, sizeof(*w));
	int fd, rc;

	if (!w)
		return err_set(ERR_NOMEM, "out of memory");
	w->r = r;
	w->o = o;
	if (!realpath(dir, w->root)) {
		rc = err_setsys(ERR_NOTFOUND, errno, "cannot resolve '%s'",
				dir);
		goto out;
	}
	snprintf(w->full, sizeof(w->full), "%s", w->root);
	snprintf(w->disp, sizeof(w->disp), "%s", prefix ? prefix : "");
	fd = open(w->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		rc = err_setsys(ERR_IO, errno, "cannot open '%s'", dir);
		goto out;
	}
	rc = walk_dir(w, fd, strlen(w->disp), strlen(w->full), 0);
out:
	free(w);
	return rc;
}

int scan_path(struct scan_report *r, const char *path,
	      const struct scan_opts *o)
{
	struct stat st;

	if (stat(path, &st))
		return err_setsys(errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
				  errno, "cannot scan '%s'", path);
	if (S_ISDIR(st.st_mode))
		return scan_dir(r, path, NULL, o);
	return scan_file(r, path, path, o);
}

/* ---- memory ---- */

struct memsrc {
	const uint8_t *p;
	size_t len, pos;
};

static int mem_read(void *ctx, uint8_t *p, size_t n, size_t *got)
{
	struct memsrc *m = ctx;
	size_t k = m->len - m->pos < n ? m->len - m->pos : n;

	if (k)
		memcpy(p, m->p + m->pos, k);
	m->pos += k;
	*got = k;
	return 0;
}

static int mem_skip(void *ctx, uint64_t n, uint64_t *done)
{
	struct memsrc *m = ctx;
	size_t left = m->len - m->pos;

	*done = n < left ? n : left;
	m->pos += (size_t)*done;
	return 0;
}

int scan_buffer(struct scan_report *r, const void *data, size_t len,
		const char *display, const struct scan_opts *o)
{
	struct memsrc m = { .p = data, .len = len };
	struct scan_ctx c = { .r = r, .o = o };
	struct scan_rd rd;
	int rc;

	rc = scan_rd_init(&rd, mem_read, &m, display);
	if (rc)
		return rc;
	if (!scan_ctx_digest(&c))
		scan_rd_no_digest(&rd, mem_skip);
	rc = scan_stream(&c, &rd, -1, display, o ? o->extra_profiles : 0);
	scan_rd_release(&rd);
	return rc;
}

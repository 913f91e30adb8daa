/*
 * Zip archives read the way PyTorch's reader (miniz) reads them: the
 * central directory is the truth, each local header is compared with it,
 * encryption flags and CRCs do not stop the loader (so they do not stop
 * us either, they are reported), zip64 and data before the archive are
 * handled. Every member is analysed as a stream of its own.
 */
#include "scan/engine.h"
#include "scan/rules.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define ZIP_MAX_ENTRIES 100000
#define ZIP_MAX_NAME 4096
#define ZIP_MAX_CD (256u << 20)            /* central directory bytes */
#define ZIP_BOMB_RATIO 1000                /* expanded / compressed */
#define ZIP_BOMB_MIN (64u << 20)           /* ratio checked above this */
#define ZIP_EOCD_MAX_SCAN (65535u + 22u)
#define ZIP_IN_BUF (64u << 10)

struct zip_entry {
	char *name;
	uint16_t flags, method;
	uint32_t crc;
	uint64_t csize, usize, offset;
};

struct zip {
	struct scan_ctx *c;
	struct scan_file *f;
	int fd;
	uint64_t size, base;
	bool base_hidden;      /* offsets are absolute, yet data comes first */
	struct zip_entry *e;
	size_t n;
};

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int pread_all(int fd, void *p, size_t n, uint64_t off)
{
	ssize_t k = pread(fd, p, n, (off_t)off);

	if (k != (ssize_t)n)
		return err_set(ERR_INVALID, "zip: truncated at offset %llu",
			       (unsigned long long)off);
	return 0;
}

/* The last end-of-central-directory record, as miniz searches for it. */
static int find_eocd(struct zip *z, uint64_t *pos)
{
	uint64_t win = z->size < ZIP_EOCD_MAX_SCAN ? z->size :
		       ZIP_EOCD_MAX_SCAN;
	uint8_t *b;
	int rc;

	if (z->size < 22)
		return err_set(ERR_INVALID, "zip: too short for an archive");
	b = malloc(win);
	if (!b)
		return err_set(ERR_NOMEM, "out of memory");
	rc = pread_all(z->fd, b, win, z->size - win);
	if (!rc) {
		rc = err_set(ERR_INVALID, "zip: no end of central directory");
		for (uint64_t i = win - 22 + 1; i-- > 0;)
			if (!memcmp(b + i, "PK\5\6", 4)) {
				*pos = z->size - win + i;
				rc = 0;
				break;
			}
	}
	free(b);
	return rc;
}

static int read_zip64_eocd(struct zip *z, uint64_t eocd, uint64_t *count,
			   uint64_t *cd_size, uint64_t *cd_off)
{
	uint8_t loc[20], rec[56];
	uint64_t at;
	int rc;

	if (eocd < 20)
		return err_set(ERR_INVALID, "zip: zip64 locator missing");
	rc = pread_all(z->fd, loc, 20, eocd - 20);
	if (rc)
		return rc;
	if (memcmp(loc, "PK\6\7", 4))
		return err_set(ERR_INVALID, "zip: zip64 locator missing");
	at = le64(loc + 8);
	/* With prefix data the recorded offset is off by the prefix. */
	if (at + 56 > z->size || pread_all(z->fd, rec, 56, at) ||
	    memcmp(rec, "PK\6\6", 4)) {
		at = eocd - 20 - 56;
		if (eocd < 76 || pread_all(z->fd, rec, 56, at) ||
		    memcmp(rec, "PK\6\6", 4))
			return err_set(ERR_INVALID, "zip: zip64 end record "
				       "missing");
	}
	*count = le64(rec + 32);
	*cd_size = le64(rec + 40);
	*cd_off = le64(rec + 48);
	return 0;
}

static bool traversal_name(const char *n)
{
	const char *p = n;

	if (n[0] == '/' || n[0] == '\\' || (n[0] && n[1] == ':'))
		return true;
	while (*p) {
		size_t len = strcspn(p, "/\\");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += len;
		if (*p)
			p++;
	}
	return false;
}

/* zip64 extended information overrides the 0xFFFFFFFF fields. */
static void zip64_extra(const uint8_t *x, size_t xl, struct zip_entry *e,
			bool u, bool c, bool o)
{
	while (xl >= 4) {
		uint16_t id = le16(x), len = le16(x + 2);
		const uint8_t *d = x + 4;
		size_t k = 0;

		if (len > xl - 4)
			return;
		if (id == 1) {
			if (u && k + 8 <= len) {
				e->usize = le64(d + k);
				k += 8;
			}
			if (c && k + 8 <= len) {
				e->csize = le64(d + k);
				k += 8;
			}
			if (o && k + 8 <= len)
				e->offset = le64(d + k);
			return;
		}
		x += 4 + len;
		xl -= 4 + len;
	}
}

static int parse_entry(struct zip *z, const uint8_t *p, size_t left,
		       size_t *used)
{
	struct zip_entry *e = &z->e[z->n];
	uint16_t nl, xl, cl;

	if (left < 46 || memcmp(p, "PK\1\2", 4))
		return err_set(ERR_INVALID, "zip: bad central directory entry "
			       "%zu", z->n);
	nl = le16(p + 28);
	xl = le16(p + 30);
	cl = le16(p + 32);
	if ((size_t)46 + nl + xl + cl > left)
		return err_set(ERR_INVALID, "zip: central directory entry %zu "
			       "overruns", z->n);
	memset(e, 0, sizeof(*e));
	e->flags = le16(p + 8);
	e->method = le16(p + 10);
	e->crc = le32(p + 16);
	e->csize = le32(p + 20);
	e->usize = le32(p + 24);
	e->offset = le32(p + 42);
	zip64_extra(p + 46 + nl, xl, e, e->usize == 0xFFFFFFFFu,
		    e->csize == 0xFFFFFFFFu, e->offset == 0xFFFFFFFFu);
	e->name = malloc((size_t)nl + 1);
	if (!e->name)
		return err_set(ERR_NOMEM, "out of memory");
	memcpy(e->name, p + 46, nl);
	e->name[nl] = '\0';
	z->n++;
	*used = (size_t)46 + nl + xl + cl;
	return 0;
}

static bool starts_with_member(struct zip *z)
{
	uint8_t h[4];

	return !pread_all(z->fd, h, 4, 0) &&
	       (!memcmp(h, "PK\3\4", 4) || !memcmp(h, "PK\5\6", 4));
}

/* PyTorch's writer (miniz) adds zip64 end records to every archive; like
 * miniz and Python's zipfile, a locator before the end record means its
 * zip64 values are the ones a loader uses, saturated fields or not. */
bool scan_zip64_locator(int fd, uint64_t eocd)
{
	uint8_t sig[4];

	return eocd >= 20 + 56 && !pread_all(fd, sig, 4, eocd - 20) &&
	       !memcmp(sig, "PK\6\7", 4);
}

static int read_cd(struct zip *z)
{
	uint8_t eocd_rec[22], *cd = NULL;
	uint64_t eocd = 0, count, cd_size, cd_off, cd_start;
	size_t pos = 0, used = 0;
	int rc;

	rc = find_eocd(z, &eocd);
	if (!rc)
		rc = pread_all(z->fd, eocd_rec, 22, eocd);
	if (rc)
		return rc;
	count = le16(eocd_rec + 10);
	cd_size = le32(eocd_rec + 12);
	cd_off = le32(eocd_rec + 16);
	if (count == 0xFFFF || cd_size == 0xFFFFFFFFu ||
	    cd_off == 0xFFFFFFFFu || scan_zip64_locator(z->fd, eocd)) {
		rc = read_zip64_eocd(z, eocd, &count, &cd_size, &cd_off);
		if (rc)
			return rc;
		eocd -= 20 + 56;
	}
	if (count > ZIP_MAX_ENTRIES || cd_size > ZIP_MAX_CD) {
		scan_add(z->c->r, "archive-bomb", SCAN_HIGH, z->f->path, NULL,
			 "zip declares %llu entries in %llu directory bytes",
			 (unsigned long long)count,
			 (unsigned long long)cd_size);
		return err_set(ERR_LIMIT, "zip: more than %d entries or an "
			       "oversized central directory", ZIP_MAX_ENTRIES);
	}
	if (cd_size > eocd)
		return err_set(ERR_INVALID, "zip: central directory larger "
			       "than the file");
	cd_start = eocd - cd_size;
	if (cd_start < cd_off)
		return err_set(ERR_INVALID, "zip: central directory offset "
			       "past its position");
	z->base = cd_start - cd_off;
	if (!z->base && !starts_with_member(z))
		z->base_hidden = true;
	if (z->base || z->base_hidden) {
		rc = scan_add(z->c->r, "zip-prefix-data", SCAN_MEDIUM,
			      z->f->path, NULL, "data precedes the zip archive "
			      "(%llu bytes by its offsets)",
			      (unsigned long long)z->base);
		if (rc)
			return rc;
	}
	z->e = calloc(count ? count : 1, sizeof(*z->e));
	cd = malloc(cd_size ? cd_size : 1);
	if (!z->e || !cd) {
		free(cd);
		return err_set(ERR_NOMEM, "out of memory");
	}
	rc = pread_all(z->fd, cd, cd_size, cd_start);
	while (!rc && z->n < count) {
		rc = parse_entry(z, cd + pos, cd_size - pos, &used);
		pos += used;
	}
	free(cd);
	return rc;
}

static int cmp_entry_names(const void *a, const void *b)
{
	return strcmp((*(struct zip_entry *const *)a)->name,
		      (*(struct zip_entry *const *)b)->name);
}

static int cmp_entry_offsets(const void *a, const void *b)
{
	const struct zip_entry *x = *(struct zip_entry *const *)a;
	const struct zip_entry *y = *(struct zip_entry *const *)b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/*
 * Entries whose data overlap let a small file expand many times over
 * (the overlapping-file zip bomb); no writer produces them.
 */
static int check_overlap(struct zip *z)
{
	struct zip_entry **s = malloc((z->n ? z->n : 1) * sizeof(*s));
	int rc = 0;

	if (!s)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < z->n; i++)
		s[i] = &z->e[i];
	qsort(s, z->n, sizeof(*s), cmp_entry_offsets);
	for (size_t i = 1; i < z->n; i++) {
		const struct zip_entry *a = s[i - 1];

		if (a->csize > UINT64_MAX - a->offset - 30 ||
		    s[i]->offset < a->offset + 30 + a->csize) {
			rc = scan_add(z->c->r, "archive-bomb", SCAN_HIGH,
				      z->f->path, NULL, "zip members '%.200s' "
				      "and '%.200s' overlap", a->name,
				      s[i]->name);
			if (!rc)
				rc = err_set(ERR_LIMIT, "zip: overlapping "
					     "members");
			break;
		}
	}
	free(s);
	return rc;
}

static int check_names(struct zip *z)
{
	struct zip_entry **s;
	char path[ZIP_MAX_NAME + 512];
	int rc = 0;

	for (size_t i = 0; !rc && i < z->n; i++)
		if (traversal_name(z->e[i].name) ||
		    strlen(z->e[i].name) != strnlen(z->e[i].name, ZIP_MAX_NAME))
			rc = scan_add(z->c->r, "archive-traversal", SCAN_HIGH,
				      z->f->path, NULL, "zip member name "
				      "'%.200s' escapes the extraction "
				      "directory", z->e[i].name);
	s = malloc((z->n ? z->n : 1) * sizeof(*s));
	if (!s)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < z->n; i++)
		s[i] = &z->e[i];
	qsort(s, z->n, sizeof(*s), cmp_entry_names);
	for (size_t i = 1; !rc && i < z->n; i++)
		if (!strcmp(s[i]->name, s[i - 1]->name)) {
			snprintf(path, sizeof(path), "%s", z->f->path);
			rc = scan_add(z->c->r, "archive-duplicate-name",
				      SCAN_HIGH, path, NULL, "zip holds two "
				      "members named '%.200s'", s[i]->name);
		}
	free(s);
	return rc;
}

/* ---- member streams ---- */

struct zsrc {
	struct zip *z;
	const struct zip_entry *e;
	const char *path;
	uint64_t pos, end, out;
	bool deflate, zinit, zdone;
	z_stream zs;
	uint8_t in[ZIP_IN_BUF];
	uint32_t crc;
};

static int bomb(struct zsrc *s)
{
	scan_add(s->z->c->r, "archive-bomb", SCAN_HIGH, s->path, NULL,
		 "zip member expands past %llu bytes from %llu "
		 "(ratio or total limit)", (unsigned long long)s->out,
		 (unsigned long long)s->e->csize);
	return err_set(ERR_LIMIT, "zip: member '%s' exceeds the expansion "
		       "limits", s->e->name);
}

static int zsrc_inflate(struct zsrc *s, uint8_t *p, size_t n, size_t *got)
{
	int zr;

	*got = 0;
	while (!s->zdone && !*got) {
		if (!s->zs.avail_in && s->pos < s->end) {
			size_t k = s->end - s->pos < ZIP_IN_BUF ?
				   (size_t)(s->end - s->pos) : ZIP_IN_BUF;

			if (pread_all(s->z->fd, s->in, k, s->pos))
				return ERR_INVALID;
			s->pos += k;
			s->zs.next_in = s->in;
			s->zs.avail_in = (uInt)k;
		}
		s->zs.next_out = p;
		s->zs.avail_out = (uInt)(n > (1u << 30) ? (1u << 30) : n);
		zr = inflate(&s->zs, Z_NO_FLUSH);
		*got = (size_t)(s->zs.next_out - p);
		if (zr == Z_STREAM_END)
			s->zdone = true;
		else if (zr == Z_BUF_ERROR && !s->zs.avail_in &&
			 s->pos >= s->end)
			return err_set(ERR_INVALID, "zip: member '%s' is "
				       "truncated", s->e->name);
		else if (zr != Z_OK && zr != Z_BUF_ERROR)
			return err_set(ERR_INVALID, "zip: member '%s' has "
				       "corrupt deflate data", s->e->name);
	}
	return 0;
}

static int zsrc_read(void *ctx, uint8_t *p, size_t n, size_t *got)
{
	struct zsrc *s = ctx;
	int rc;

	if (s->deflate) {
		rc = zsrc_inflate(s, p, n, got);
	} else {
		size_t k = s->end - s->pos < n ? (size_t)(s->end - s->pos) : n;

		rc = k ? pread_all(s->z->fd, p, k, s->pos) : 0;
		s->pos += k;
		*got = k;
	}
	if (rc)
		return rc;
	s->crc = (uint32_t)crc32(s->crc, p, (uInt)*got);
	s->out += *got;
	/* Only decompression counts toward the bomb budget: a stored
	 * 70 GB checkpoint is large, not a bomb. */
	if (s->deflate)
		s->z->c->expanded += *got;
	if (s->z->c->expanded > SCAN_MAX_TOTAL_BYTES ||
	    (s->out > ZIP_BOMB_MIN &&
	     s->out / ZIP_BOMB_RATIO > s->e->csize))
		return bomb(s);
	return 0;
}

/* Local header: where the data starts, and whether it agrees. */
static int local_header(struct zip *z, const struct zip_entry *e,
			const char *path, uint64_t *data)
{
	uint8_t h[30];
	char name[ZIP_MAX_NAME];
	uint16_t nl, xl;
	uint64_t at = z->base + e->offset;
	bool mismatch = false;
	int rc;

	if (at + 30 > z->size || pread_all(z->fd, h, 30, at) ||
	    memcmp(h, "PK\3\4", 4))
		return err_set(ERR_INVALID, "zip: no local header for '%s'",
			       e->name);
	nl = le16(h + 26);
	xl = le16(h + 28);
	*data = at + 30 + nl + xl;
	if (*data > z->size || e->csize > z->size - *data)
		return err_set(ERR_INVALID, "zip: member '%s' extends past "
			       "the end of the archive", e->name);
	if (nl != strlen(e->name) || nl >= sizeof(name) ||
	    pread_all(z->fd, name, nl, at + 30) || memcmp(name, e->name, nl))
		mismatch = true;
	if (le16(h + 8) != e->method)
		mismatch = true;
	if (!(le16(h + 6) & 8) && le32(h + 18) != 0xFFFFFFFFu &&
	    (le32(h + 18) != e->csize || le32(h + 22) != e->usize ||
	     le32(h + 14) != e->crc))
		mismatch = true;
	if (!mismatch)
		return 0;
	rc = scan_add(z->c->r, "zip-header-mismatch", SCAN_HIGH, path, NULL,
		      "local header of '%.200s' disagrees with the central "
		      "directory (name, method, sizes or CRC)", e->name);
	return rc;
}

static bool is_ts_code(const char *n);
static int ts_code_check(struct zip *z, const struct zip_entry *e,
			 const char *path, uint64_t data);

static int member(struct zip *z, const struct zip_entry *e,
		  unsigned profiles)
{
	struct zsrc *s = NULL;
	struct scan_rd rd;
	struct scan_ctx sub = *z->c;
	char *path = NULL;
	uint64_t data;
	int rc;

	if (asprintf(&path, "%s!%s", z->f->path, e->name) < 0)
		return err_set(ERR_NOMEM, "out of memory");
	if (e->name[0] && e->name[strlen(e->name) - 1] == '/' && !e->usize)
		goto out_ok;
	rc = local_header(z, e, path, &data);
	if (rc)
		goto out_rc;
	if (e->flags & 1) {
		rc = scan_add(z->c->r, "zip-flag-anomaly", SCAN_MEDIUM, path,
			      NULL, "member claims encryption; PyTorch reads "
			      "it as plain data and so does the scanner");
		if (rc)
			goto out_rc;
	}
	if (e->method != 0 && e->method != 8) {
		rc = scan_add(z->c->r, "zip-flag-anomaly", SCAN_MEDIUM, path,
			      NULL, "compression method %u is not one PyTorch "
			      "reads", e->method);
		struct scan_file *mf = scan_add_file(z->c->r, path, "unknown");

		scan_file_incomplete(mf, "zip: compression method %u not "
				     "supported", e->method);
		goto out_rc;
	}
	if ((profiles & SCAN_PROFILE_TORCHSCRIPT) && is_ts_code(e->name)) {
		rc = ts_code_check(z, e, path, data);
		if (rc)
			goto out_rc;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out_rc;
	}
	s->z = z;
	s->e = e;
	s->path = path;
	s->pos = data;
	s->end = data + e->csize;
	s->deflate = e->method == 8;
	s->crc = (uint32_t)crc32(0, NULL, 0);
	if (s->deflate) {
		if (inflateInit2(&s->zs, -MAX_WBITS) != Z_OK) {
			rc = err_set(ERR_NOMEM, "zlib init failed");
			goto out_rc;
		}
		s->zinit = true;
	}
	rc = scan_rd_init(&rd, zsrc_read, s, path);
	if (rc)
		goto out_rc;
	/* Read even without a digest: the CRC check needs every byte. */
	if (!scan_ctx_digest(z->c))
		scan_rd_no_digest(&rd, NULL);
	sub.depth++;
	if ((profiles & SCAN_PROFILE_KERAS) && !strcmp(e->name, "config.json"))
		profiles |= SCAN_HINT_KERAS_CONFIG;
	rc = scan_stream(&sub, &rd, -1, path, profiles);
	z->c->expanded = sub.expanded;
	scan_rd_release(&rd);
	if (!rc && !rd.err && s->crc != e->crc)
		rc = scan_add(z->c->r, "zip-crc-mismatch", SCAN_MEDIUM, path,
			      NULL, "CRC-32 is %08x, the directory says %08x",
			      s->crc, e->crc);
	if (!rc && !s->deflate && e->csize != e->usize)
		rc = scan_add(z->c->r, "zip-header-mismatch", SCAN_HIGH, path,
			      NULL, "stored member sizes differ (%llu vs "
			      "%llu)", (unsigned long long)e->csize,
			      (unsigned long long)e->usize);
	goto out_rc;
out_ok:
	rc = 0;
out_rc:
	if (rc && rc != ERR_NOMEM) {
		struct scan_file *mf = scan_add_file(z->c->r, path, "unknown");

		scan_file_incomplete(mf, "%s", err_msg());
		rc = mf ? 0 : ERR_NOMEM;
	}
	if (s && s->zinit)
		inflateEnd(&s->zs);
	free(s);
	free(path);
	return rc;
}

/* ---- TorchScript code/ members ---- */

#define TS_CODE_MAX (4u << 20)

static bool is_ts_code(const char *n)
{
	size_t len = strlen(n);

	return (strstr(n, "/code/") || !strncmp(n, "code/", 5)) && len > 3 &&
	       !strcmp(n + len - 3, ".py");
}

/*
 * TorchScript cannot import Python, so Python escape hatches in its code
 * mean the archive was edited by hand or targets another loader.
 */
static int ts_code_check(struct zip *z, const struct zip_entry *e,
			 const char *path, uint64_t data)
{
	static const char *const needles[] = {
		"__import__", "exec(", "eval(", "os.system", "subprocess",
		"builtins", "getattr(", "compile(", "open(", "socket",
	};
	struct zsrc s = { .z = z, .e = e, .path = path, .pos = data,
			  .end = data + e->csize, .deflate = e->method == 8 };
	char *buf;
	size_t len = 0, got;
	int rc = 0;

	if (s.deflate && inflateInit2(&s.zs, -MAX_WBITS) != Z_OK)
		return err_set(ERR_NOMEM, "zlib init failed");
	buf = malloc(TS_CODE_MAX + 1);
	while (buf && !rc && len < TS_CODE_MAX) {
		rc = zsrc_read(&s, (uint8_t *)buf + len, TS_CODE_MAX - len,
			       &got);
		if (!got)
			break;
		len += got;
	}
	if (s.deflate)
		inflateEnd(&s.zs);
	if (!buf)
		return err_set(ERR_NOMEM, "out of memory");
	buf[len] = '\0';
	for (size_t i = 0; !rc && i < sizeof(needles) / sizeof(*needles); i++)
		if (memmem(buf, len, needles[i], strlen(needles[i])))
			rc = scan_add(z->c->r, "torchscript-code", SCAN_MEDIUM,
				      path, SCAN_OWASP_SUPPLY_CHAIN,
				      "TorchScript code mentions '%s', which "
				      "TorchScript itself cannot run",
				      needles[i]);
	free(buf);
	/* The expansion counted here is counted again by the real pass. */
	if (s.deflate)
		z->c->expanded -= s.out;
	return rc == ERR_NOMEM ? rc : 0;
}

/* What the member names say about the archive's loader. */
static const char *classify(const struct zip *z, unsigned *profiles)
{
	bool pkl = false, code = false, npy = z->n > 0, kcfg = false;
	bool kmeta = false;

	for (size_t i = 0; i < z->n; i++) {
		const char *n = z->e[i].name, *slash = strrchr(n, '/');
		const char *base = slash ? slash + 1 : n;
		size_t len = strlen(n);

		if (!strcmp(base, "data.pkl") || !strcmp(base, "constants.pkl"))
			pkl = true;
		if (strstr(n, "/code/") || !strncmp(n, "code/", 5))
			code = true;
		if (len < 4 || strcmp(n + len - 4, ".npy"))
			npy = false;
		kcfg = kcfg || !strcmp(n, "config.json");
		kmeta = kmeta || !strcmp(n, "metadata.json");
	}
	if (kcfg && kmeta) {
		*profiles |= SCAN_PROFILE_KERAS;
		return "keras";
	}
	if (pkl && code) {
		*profiles |= SCAN_PROFILE_BASE | SCAN_PROFILE_NUMPY |
			     SCAN_PROFILE_TORCH | SCAN_PROFILE_TORCHSCRIPT;
		return "torchscript";
	}
	if (pkl) {
		*profiles |= SCAN_PROFILE_BASE | SCAN_PROFILE_NUMPY |
			     SCAN_PROFILE_TORCH;
		return "pytorch-zip";
	}
	if (npy) {
		*profiles |= SCAN_PROFILE_BASE | SCAN_PROFILE_NUMPY;
		return "npz";
	}
	return "zip";
}

static void zip_release(struct zip *z)
{
	for (size_t i = 0; i < z->n; i++)
		free(z->e[i].name);
	free(z->e);
}

int scan_zip(struct scan_ctx *c, int fd, uint64_t size, struct scan_file *f,
	     unsigned profiles)
{
	struct zip z = { .c = c, .f = f, .fd = fd, .size = size };
	const char *fmt;
	char *s;
	int rc;

	if (c->depth >= SCAN_MAX_DEPTH) {
		rc = scan_add(c->r, "archive-bomb", SCAN_HIGH, f->path, NULL,
			      "archives nested deeper than %d", SCAN_MAX_DEPTH);
		scan_file_incomplete(f, "archive nesting limit reached");
		return rc;
	}
	rc = read_cd(&z);
	if (!rc)
		rc = check_names(&z);
	if (!rc)
		rc = check_overlap(&z);
	if (rc) {
		if (rc != ERR_NOMEM)
			scan_file_incomplete(f, "%s", err_msg());
		zip_release(&z);
		return rc == ERR_NOMEM ? rc : 0;
	}
	fmt = classify(&z, &profiles);
	s = strdup(fmt);
	if (s) {
		free(f->format);
		f->format = s;
	}
	for (size_t i = 0; !rc && i < z.n; i++)
		rc = member(&z, &z.e[i], profiles);
	zip_release(&z);
	return rc;
}

/* Layer compression through zlib (raw deflate in a fixed gzip frame) and
 * libzstd, both streaming with fixed-size buffers. */
#include "pack/compress.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define ZBUF_SIZE (256u * 1024)
#define ZSTD_PACK_LEVEL 3

/* Go's compress/gzip header with no name and zero time: the same bytes
 * kit writes, so only the deflate stream itself can differ. */
static const uint8_t gzip_header[10] = {
	0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff,
};

int pack_compression_parse(const char *s, enum pack_compression *out)
{
	if (!strcmp(s, "none"))
		*out = PACK_COMP_NONE;
	else if (!strcmp(s, "gzip"))
		*out = PACK_COMP_GZIP;
	else if (!strcmp(s, "zstd"))
		*out = PACK_COMP_ZSTD;
	else
		return err_set(ERR_INVALID, "unknown compression '%s' "
			       "(use none, gzip or zstd)", s);
	return 0;
}

const char *pack_compression_name(enum pack_compression c)
{
	switch (c) {
	case PACK_COMP_GZIP:
		return "gzip";
	case PACK_COMP_ZSTD:
		return "zstd";
	default:
		return "none";
	}
}

struct pack_zout {
	struct stream_out base;
	enum pack_compression comp;
	struct stream_out *next;
	z_stream zs;
	bool zs_ready;
	uLong crc;
	uint64_t isize;
	ZSTD_CCtx *cctx;
	uint8_t *buf;
};

static int zout_gzip_run(struct pack_zout *z, int flush)
{
	int zrc, rc;

	do {
		z->zs.next_out = z->buf;
		z->zs.avail_out = ZBUF_SIZE;
		zrc = deflate(&z->zs, flush);
		if (zrc == Z_STREAM_ERROR)
			return err_set(ERR_GENERIC, "gzip: deflate failed");
		rc = stream_write(z->next, z->buf, ZBUF_SIZE - z->zs.avail_out);
		if (rc)
			return rc;
	} while (z->zs.avail_out == 0 || (flush == Z_FINISH &&
					  zrc != Z_STREAM_END));
	return 0;
}

static int zout_gzip_write(struct pack_zout *z, const void *p, size_t n)
{
	const Bytef *q = p;

	while (n) {
		uInt chunk = n > (1u << 30) ? (1u << 30) : (uInt)n;
		int rc;

		z->crc = crc32(z->crc, q, chunk);
		z->isize += chunk;
		z->zs.next_in = (Bytef *)(uintptr_t)q;
		z->zs.avail_in = chunk;
		rc = zout_gzip_run(z, Z_NO_FLUSH);
		if (rc)
			return rc;
		q += chunk;
		n -= chunk;
	}
	return 0;
}

static int zout_zstd_run(struct pack_zout *z, ZSTD_inBuffer *in,
			 ZSTD_EndDirective mode)
{
	size_t left;

	do {
		ZSTD_outBuffer out = { z->buf, ZBUF_SIZE, 0 };
		int rc;

		left = ZSTD_compressStream2(z->cctx, &out, in, mode);
		if (ZSTD_isError(left))
			return err_set(ERR_GENERIC, "zstd: %s",
				       ZSTD_getErrorName(left));
		rc = stream_write(z->next, z->buf, out.pos);
		if (rc)
			return rc;
	} while (mode == ZSTD_e_end ? left != 0 : in->pos < in->size);
	return 0;
}

static int zout_write(struct stream_out *o, const void *p, size_t n)
{
	struct pack_zout *z = stream_container_of(o, struct pack_zout, base);
	ZSTD_inBuffer in = { p, n, 0 };

	switch (z->comp) {
	case PACK_COMP_GZIP:
		return zout_gzip_write(z, p, n);
	case PACK_COMP_ZSTD:
		return zout_zstd_run(z, &in, ZSTD_e_continue);
	default:
		return stream_write(z->next, p, n);
	}
}

static int zout_init_codec(struct pack_zout *z)
{
	if (z->comp == PACK_COMP_GZIP) {
		if (deflateInit2(&z->zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
				 -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
			return err_set(ERR_NOMEM, "gzip: cannot initialise");
		z->zs_ready = true;
		z->crc = crc32(0, Z_NULL, 0);
		return stream_write(z->next, gzip_header,
				    sizeof(gzip_header));
	}
	if (z->comp == PACK_COMP_ZSTD) {
		z->cctx = ZSTD_createCCtx();
		if (!z->cctx)
			return err_set(ERR_NOMEM, "zstd: cannot initialise");
		ZSTD_CCtx_setParameter(z->cctx, ZSTD_c_compressionLevel,
				       ZSTD_PACK_LEVEL);
	}
	return 0;
}

int pack_zout_new(enum pack_compression c, struct stream_out *next,
		  struct pack_zout **out)
{
	struct pack_zout *z = calloc(1, sizeof(*z));
	int rc;

	*out = NULL;
	if (!z)
		return err_set(ERR_NOMEM, "out of memory");
	z->base.write = zout_write;
	z->comp = c;
	z->next = next;
	if (c != PACK_COMP_NONE) {
		z->buf = malloc(ZBUF_SIZE);
		if (!z->buf) {
			free(z);
			return err_set(ERR_NOMEM, "out of memory");
		}
	}
	rc = zout_init_codec(z);
	if (rc) {
		pack_zout_free(z);
		return rc;
	}
	*out = z;
	return 0;
}

struct stream_out *pack_zout_stream(struct pack_zout *z)
{
	return &z->base;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

int pack_zout_finish(struct pack_zout *z)
{
	ZSTD_inBuffer in = { NULL, 0, 0 };
	uint8_t trailer[8];
	int rc;

	if (z->comp == PACK_COMP_ZSTD)
		return zout_zstd_run(z, &in, ZSTD_e_end);
	if (z->comp != PACK_COMP_GZIP)
		return 0;
	z->zs.next_in = NULL;
	z->zs.avail_in = 0;
	rc = zout_gzip_run(z, Z_FINISH);
	if (rc)
		return rc;
	put_le32(trailer, (uint32_t)z->crc);
	put_le32(trailer + 4, (uint32_t)z->isize);
	return stream_write(z->next, trailer, sizeof(trailer));
}

void pack_zout_free(struct pack_zout *z)
{
	if (!z)
		return;
	if (z->zs_ready)
		deflateEnd(&z->zs);
	ZSTD_freeCCtx(z->cctx);
	free(z->buf);
	free(z);
}

struct pack_zin {
	struct stream_in base;
	enum pack_compression comp;
	struct stream_in *src;
	const char *what;
	z_stream zs;
	bool zs_ready;
	ZSTD_DCtx *dctx;
	ZSTD_inBuffer zin;
	size_t zstd_left;      /* last ZSTD_decompressStream hint */
	bool src_eof;
	bool done;             /* compressed stream ended */
	uint8_t *buf;
};

static int zin_fill(struct pack_zin *z, size_t *avail)
{
	ssize_t got;

	if (z->src_eof) {
		*avail = 0;
		return 0;
	}
	got = stream_read(z->src, z->buf, ZBUF_SIZE);
	if (got < 0)
		return (int)got;
	if (got == 0)
		z->src_eof = true;
	*avail = (size_t)got;
	return 0;
}

static ssize_t zin_gzip_read(struct pack_zin *z, void *p, size_t n)
{
	if (n > (1u << 30))
		n = 1u << 30;
	z->zs.next_out = p;
	z->zs.avail_out = (uInt)n;
	while (!z->done && z->zs.avail_out == n) {
		int zrc;

		if (z->zs.avail_in == 0) {
			size_t avail = 0;
			int rc = zin_fill(z, &avail);

			if (rc)
				return rc;
			if (avail == 0)
				return err_set(ERR_INVALID, "%s: gzip stream "
					       "is truncated", z->what);
			z->zs.next_in = z->buf;
			z->zs.avail_in = (uInt)avail;
		}
		zrc = inflate(&z->zs, Z_NO_FLUSH);
		if (zrc == Z_STREAM_END)
			z->done = true;
		else if (zrc != Z_OK && zrc != Z_BUF_ERROR)
			return err_set(ERR_INVALID, "%s: bad gzip data (%s)",
				       z->what, z->zs.msg ? z->zs.msg : "?");
	}
	return (ssize_t)(n - z->zs.avail_out);
}

static ssize_t zin_zstd_read(struct pack_zin *z, void *p, size_t n)
{
	ZSTD_outBuffer out = { p, n, 0 };

	while (out.pos == 0) {
		if (z->zin.pos == z->zin.size) {
			size_t avail = 0;
			int rc = zin_fill(z, &avail);

			if (rc)
				return rc;
			if (avail == 0) {
				z->done = true;
				return 0;
			}
			z->zin.src = z->buf;
			z->zin.size = avail;
			z->zin.pos = 0;
		}
		z->zstd_left = ZSTD_decompressStream(z->dctx, &out, &z->zin);
		if (ZSTD_isError(z->zstd_left))
			return err_set(ERR_INVALID, "%s: bad zstd data (%s)",
				       z->what,
				       ZSTD_getErrorName(z->zstd_left));
	}
	return (ssize_t)out.pos;
}

static ssize_t zin_read(struct stream_in *in, void *p, size_t n)
{
	struct pack_zin *z = stream_container_of(in, struct pack_zin, base);

	if (n == 0)
		return 0;
	switch (z->comp) {
	case PACK_COMP_GZIP:
		return zin_gzip_read(z, p, n);
	case PACK_COMP_ZSTD:
		return zin_zstd_read(z, p, n);
	default:
		return stream_read(z->src, p, n);
	}
}

static int zin_init_codec(struct pack_zin *z)
{
	if (z->comp == PACK_COMP_GZIP) {
		if (inflateInit2(&z->zs, 16 + 15) != Z_OK)
			return err_set(ERR_NOMEM, "gzip: cannot initialise");
		z->zs_ready = true;
	} else if (z->comp == PACK_COMP_ZSTD) {
		z->dctx = ZSTD_createDCtx();
		if (!z->dctx)
			return err_set(ERR_NOMEM, "zstd: cannot initialise");
		/* Refuse frames that ask for a window beyond 128 MiB. */
		ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, 27);
		z->zstd_left = 1; /* no frame seen yet */
	}
	return 0;
}

int pack_zin_new(enum pack_compression c, struct stream_in *src,
		 const char *what, struct pack_zin **out)
{
	struct pack_zin *z = calloc(1, sizeof(*z));
	int rc;

	*out = NULL;
	if (!z)
		return err_set(ERR_NOMEM, "out of memory");
	z->base.read = zin_read;
	z->comp = c;
	z->src = src;
	z->what = what;
	if (c != PACK_COMP_NONE) {
		z->buf = malloc(ZBUF_SIZE);
		if (!z->buf) {
			free(z);
			return err_set(ERR_NOMEM, "out of memory");
		}
	}
	rc = zin_init_codec(z);
	if (rc) {
		pack_zin_free(z);
		return rc;
	}
	*out = z;
	return 0;
}

struct stream_in *pack_zin_stream(struct pack_zin *z)
{
	return &z->base;
}

/* After the compressed data only the end of the source may follow. */
static int zin_expect_eof(struct pack_zin *z, size_t pending)
{
	size_t avail = 0;
	int rc;

	if (pending)
		return err_set(ERR_INVALID, "%s: data after the end of the "
			       "compressed stream", z->what);
	rc = zin_fill(z, &avail);
	if (rc)
		return rc;
	if (avail)
		return err_set(ERR_INVALID, "%s: data after the end of the "
			       "compressed stream", z->what);
	return 0;
}

int pack_zin_end(struct pack_zin *z)
{
	uint8_t one;
	ssize_t got;

	if (z->comp == PACK_COMP_NONE) {
		got = stream_read(z->src, &one, 1);
		if (got < 0)
			return (int)got;
		return got ? err_set(ERR_INVALID, "%s: unexpected data at "
				     "the end", z->what) : 0;
	}
	if (!z->done) {
		got = zin_read(&z->base, &one, 1);
		if (got < 0)
			return (int)got;
		if (got)
			return err_set(ERR_INVALID, "%s: unexpected data at "
				       "the end", z->what);
	}
	if (z->comp == PACK_COMP_GZIP)
		return zin_expect_eof(z, z->zs.avail_in);
	if (z->zstd_left != 0)
		return err_set(ERR_INVALID, "%s: zstd stream is truncated",
			       z->what);
	return 0;
}

void pack_zin_free(struct pack_zin *z)
{
	if (!z)
		return;
	if (z->zs_ready)
		inflateEnd(&z->zs);
	ZSTD_freeDCtx(z->dctx);
	free(z->buf);
	free(z);
}

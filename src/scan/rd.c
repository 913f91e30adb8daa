/* The hashing forward-only reader every analyser pulls bytes through. */
#include "scan/engine.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

int scan_rd_init(struct scan_rd *rd, scan_read_fn fn, void *ctx,
		 const char *name)
{
	memset(rd, 0, sizeof(*rd));
	rd->read = fn;
	rd->ctx = ctx;
	rd->name = name;
	rd->digest = true;
	rd->buf = malloc(SCAN_RD_BUF);
	if (!rd->buf)
		return err_set(ERR_NOMEM, "out of memory for reader");
	if (sha256_init(&rd->hash)) {
		free(rd->buf);
		rd->buf = NULL;
		return err_set(ERR_NOMEM, "cannot start sha256");
	}
	return 0;
}

void scan_rd_release(struct scan_rd *rd)
{
	if (!rd)
		return;
	free(rd->buf);
	rd->buf = NULL;
	sha256_release(&rd->hash);
}

void scan_rd_no_digest(struct scan_rd *rd, scan_skip_fn skip)
{
	rd->digest = false;
	rd->skip = skip;
}

/* May skips and the drain seek instead of read? */
static bool can_seek(const struct scan_rd *rd)
{
	return !rd->digest && rd->skip && !rd->tap;
}

/* Move what is left to the front and read more behind it. */
static int fill(struct scan_rd *rd, size_t want)
{
	size_t got;
	int rc;

	if (rd->err)
		return rd->err;
	if (rd->pos) {
		memmove(rd->buf, rd->buf + rd->pos, rd->len - rd->pos);
		rd->len -= rd->pos;
		rd->pos = 0;
	}
	while (!rd->eof && rd->len < want) {
		rc = rd->read(rd->ctx, rd->buf + rd->len,
			      SCAN_RD_BUF - rd->len, &got);
		if (rc) {
			rd->err = rc;
			return rc;
		}
		if (!got) {
			rd->eof = true;
			break;
		}
		if (rd->digest)
			sha256_update(&rd->hash, rd->buf + rd->len, got);
		if (rd->tap)
			rd->tap(rd->tap_ctx, rd->buf + rd->len, got);
		rd->len += got;
	}
	return 0;
}

int scan_rd_peek(struct scan_rd *rd, size_t n, const uint8_t **p,
		 size_t *avail)
{
	int rc;

	if (n > SCAN_RD_BUF)
		n = SCAN_RD_BUF;
	if (rd->len - rd->pos < n) {
		rc = fill(rd, n);
		if (rc)
			return rc;
	}
	*p = rd->buf + rd->pos;
	*avail = rd->len - rd->pos < n ? rd->len - rd->pos : n;
	return 0;
}

static int short_read(struct scan_rd *rd, uint64_t want)
{
	return err_set(ERR_INVALID, "truncated: %llu more bytes needed at "
		       "offset %llu in '%s'", (unsigned long long)want,
		       (unsigned long long)rd->off, rd->name);
}

int scan_rd_read(struct scan_rd *rd, void *p, size_t n)
{
	uint8_t *out = p;
	size_t have;
	int rc;

	while (n) {
		have = rd->len - rd->pos;
		if (!have) {
			rc = fill(rd, 1);
			if (rc)
				return rc;
			have = rd->len - rd->pos;
			if (!have)
				return short_read(rd, n);
		}
		if (have > n)
			have = n;
		memcpy(out, rd->buf + rd->pos, have);
		rd->pos += have;
		rd->off += have;
		out += have;
		n -= have;
	}
	return 0;
}

/*
 * Drop the buffer and pass over up to n more bytes in the source; *done
 * says how many were there.
 */
static int pass_over(struct scan_rd *rd, uint64_t n, uint64_t *done)
{
	int rc;

	*done = 0;
	rd->off += rd->len - rd->pos;
	rd->pos = rd->len = 0;
	if (rd->err)
		return rd->err;
	if (rd->eof)
		return 0;
	rc = rd->skip(rd->ctx, n, done);
	if (rc) {
		rd->err = rc;
		return rc;
	}
	rd->off += *done;
	if (*done < n)
		rd->eof = true;
	return 0;
}

/* A source that ends first is a truncation, as a short read would be. */
static int seek_over(struct scan_rd *rd, uint64_t n)
{
	uint64_t done;
	int rc = pass_over(rd, n, &done);

	if (!rc && done < n)
		return short_read(rd, n - done);
	return rc;
}

int scan_rd_skip(struct scan_rd *rd, uint64_t n)
{
	size_t have;
	int rc;

	have = rd->len - rd->pos;
	if (can_seek(rd) && n > have && n - have >= SCAN_RD_SEEK_MIN)
		return seek_over(rd, n - have);
	while (n) {
		have = rd->len - rd->pos;
		if (!have) {
			rd->pos = rd->len = 0;
			rc = fill(rd, 1);
			if (rc)
				return rc;
			have = rd->len;
			if (!have)
				return short_read(rd, n);
		}
		if (have > n)
			have = (size_t)n;
		rd->pos += have;
		rd->off += have;
		n -= have;
	}
	return 0;
}

int scan_rd_drain(struct scan_rd *rd)
{
	uint64_t done;
	int rc;

	if (can_seek(rd))
		return pass_over(rd, UINT64_MAX, &done);
	for (;;) {
		rd->off += rd->len - rd->pos;
		rd->pos = rd->len = 0;
		if (rd->eof)
			return 0;
		rc = fill(rd, SCAN_RD_BUF);
		if (rc)
			return rc;
	}
}

bool scan_rd_at_end(struct scan_rd *rd)
{
	const uint8_t *p;
	size_t n;

	if (scan_rd_peek(rd, 1, &p, &n))
		return false;
	return n == 0;
}

void scan_rd_digest(struct scan_rd *rd, char *hex)
{
	uint8_t raw[SHA256_LEN];

	if (!rd->digest) {
		hex[0] = '\0';
		return;
	}
	sha256_final(&rd->hash, raw);
	hex_encode(raw, SHA256_LEN, hex);
}

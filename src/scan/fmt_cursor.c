/* Windowed forward reads over a descriptor, never past a bound. */
#include "scan/fmt_cursor.h"

#include <string.h>

#include "scan/fmt_util.h"
#include "util/err.h"

void fmt_cursor_init(struct fmt_cursor *c, int fd, const struct scan_file *f,
		     uint64_t pos, uint64_t end)
{
	c->fd = fd;
	c->f = f;
	c->pos = pos;
	c->end = end;
	c->win_off = 0;
	c->win_len = 0;
}

uint64_t fmt_cursor_left(const struct fmt_cursor *c)
{
	return c->pos < c->end ? c->end - c->pos : 0;
}

static int refill(struct fmt_cursor *c)
{
	uint64_t left = fmt_cursor_left(c);
	size_t n = left < sizeof(c->win) ? (size_t)left : sizeof(c->win);
	int rc;

	rc = scan_fmt_pread(c->f, c->fd, c->pos, c->win, n);
	if (rc)
		return rc;
	c->win_off = c->pos;
	c->win_len = n;
	return 0;
}

int fmt_cursor_read(struct fmt_cursor *c, void *p, size_t n)
{
	uint8_t *out = p;

	if (n > fmt_cursor_left(c))
		return err_set(ERR_INVALID, "'%s': truncated at offset %llu "
			       "(%zu bytes wanted, %llu left)", c->f->path,
			       (unsigned long long)c->pos, n,
			       (unsigned long long)fmt_cursor_left(c));
	while (n) {
		size_t at, k;
		int rc;

		if (c->pos < c->win_off || c->pos >= c->win_off + c->win_len) {
			rc = refill(c);
			if (rc)
				return rc;
		}
		at = (size_t)(c->pos - c->win_off);
		k = c->win_len - at < n ? c->win_len - at : n;
		memcpy(out, c->win + at, k);
		out += k;
		n -= k;
		c->pos += k;
	}
	return 0;
}

int fmt_cursor_skip(struct fmt_cursor *c, uint64_t n)
{
	if (n > fmt_cursor_left(c))
		return err_set(ERR_INVALID, "'%s': truncated at offset %llu "
			       "(skip of %llu bytes)", c->f->path,
			       (unsigned long long)c->pos,
			       (unsigned long long)n);
	c->pos += n;
	return 0;
}

int fmt_cursor_u32le(struct fmt_cursor *c, uint32_t *v)
{
	uint8_t b[4];
	int rc = fmt_cursor_read(c, b, 4);

	if (rc)
		return rc;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	     (uint32_t)b[3] << 24;
	return 0;
}

int fmt_cursor_u64le(struct fmt_cursor *c, uint64_t *v)
{
	uint32_t lo, hi;
	int rc = fmt_cursor_u32le(c, &lo);

	if (!rc)
		rc = fmt_cursor_u32le(c, &hi);
	if (!rc)
		*v = (uint64_t)hi << 32 | lo;
	return rc;
}

/* A forward cursor over a file descriptor with a small read window, for
 * formats that are walked field by field (GGUF, protobuf, HDF5). */
#ifndef STELE_SCAN_FMT_CURSOR_H
#define STELE_SCAN_FMT_CURSOR_H

#include <stddef.h>
#include <stdint.h>

#include "scan/scan.h"

#define FMT_CURSOR_WINDOW 65536

/* The cursor borrows fd and f; it owns nothing that needs freeing. */
struct fmt_cursor {
	int fd;
	const struct scan_file *f;
	uint64_t pos;          /* next byte to read */
	uint64_t end;          /* reads stop here (file size or a bound) */
	uint64_t win_off;      /* file offset of win[0] */
	size_t win_len;
	uint8_t win[FMT_CURSOR_WINDOW];
};

void fmt_cursor_init(struct fmt_cursor *c, int fd, const struct scan_file *f,
		     uint64_t pos, uint64_t end);

/* Copy n bytes at the cursor and advance; ERR_INVALID past c->end. */
int fmt_cursor_read(struct fmt_cursor *c, void *p, size_t n);

/* Advance n bytes without reading them; ERR_INVALID past c->end. */
int fmt_cursor_skip(struct fmt_cursor *c, uint64_t n);

int fmt_cursor_u32le(struct fmt_cursor *c, uint32_t *v);
int fmt_cursor_u64le(struct fmt_cursor *c, uint64_t *v);

/* Bytes left before c->end. */
uint64_t fmt_cursor_left(const struct fmt_cursor *c);

#endif

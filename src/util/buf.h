/* A growable byte buffer with a maximum size fixed at creation. */
#ifndef STELE_UTIL_BUF_H
#define STELE_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * Invariants: data is NULL or holds len bytes followed by a NUL; len < cap
 * when data is not NULL; len never exceeds max. A failed append leaves the
 * contents unchanged and returns ERR_LIMIT (max reached) or ERR_NOMEM.
 * A struct buf is owned by whoever declared it; buf_release() frees the data
 * and leaves an empty buffer with the same max.
 */
struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t max;
};

#define BUF_INIT(maxsize) { NULL, 0, 0, (maxsize) }

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);

/* Wipe the contents with zeroes (for secrets), then release. */
void buf_wipe(struct buf *b);

/* Make room for n more bytes. */
int buf_grow(struct buf *b, size_t n);

int buf_put(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Drop the contents, keep the allocation. */
void buf_clear(struct buf *b);

/* The contents as a C string; "" for an empty buffer. Never NULL. */
const char *buf_cstr(const struct buf *b);

/* Hand the allocation to the caller (free() it); b becomes empty. */
char *buf_detach(struct buf *b, size_t *len);

#endif

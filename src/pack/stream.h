/* Byte streams that layers flow through: sinks, sources, hashing taps. */
#ifndef STELE_PACK_STREAM_H
#define STELE_PACK_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/sha256.h"

/* The object a stream member is embedded in. */
#define stream_container_of(p, type, member) \
	((type *)(void *)((char *)(p) - offsetof(type, member)))

/*
 * A sink takes all n bytes or fails with an error code (message set).
 * A source returns up to n bytes, 0 at the end, or a negative error code.
 * Both are embedded as the first member of the object that implements
 * them; they own nothing.
 */
struct stream_out {
	int (*write)(struct stream_out *o, const void *p, size_t n);
};

struct stream_in {
	ssize_t (*read)(struct stream_in *in, void *p, size_t n);
};

static inline int stream_write(struct stream_out *o, const void *p,
			       size_t n)
{
	return n ? o->write(o, p, n) : 0;
}

static inline ssize_t stream_read(struct stream_in *in, void *p, size_t n)
{
	return in->read(in, p, n);
}

/* Read exactly n bytes; ERR_INVALID naming what when the stream ends. */
int stream_read_full(struct stream_in *in, void *p, size_t n,
		     const char *what);

/* A sink that hashes and counts what passes on to next (next may be NULL:
 * the bytes are only hashed). Release with stream_hash_out_release(). */
struct stream_hash_out {
	struct stream_out base;
	struct stream_out *next;
	struct sha256 hash;
	uint64_t count;
};

int stream_hash_out_init(struct stream_hash_out *h, struct stream_out *next);
void stream_hash_out_final(struct stream_hash_out *h,
			   char digest[DIGEST_STR_LEN]);
void stream_hash_out_release(struct stream_hash_out *h);

/* A source that hashes and counts what it reads from src. */
struct stream_hash_in {
	struct stream_in base;
	struct stream_in *src;
	struct sha256 hash;
	uint64_t count;
};

int stream_hash_in_init(struct stream_hash_in *h, struct stream_in *src);
void stream_hash_in_final(struct stream_hash_in *h,
			  char digest[DIGEST_STR_LEN]);
void stream_hash_in_release(struct stream_hash_in *h);

/* A source over a memory region (tests and fuzzing). */
struct stream_mem_in {
	struct stream_in base;
	const uint8_t *p;
	size_t len;
	size_t off;
};

void stream_mem_in_init(struct stream_mem_in *m, const void *p, size_t len);

/* A source reading a file descriptor it does not own. */
struct stream_fd_in {
	struct stream_in base;
	int fd;
	const char *name;
};

void stream_fd_in_init(struct stream_fd_in *f, int fd, const char *name);

#endif

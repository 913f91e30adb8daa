/* Byte streams; see stream.h for the contracts. */
#include "pack/stream.h"
#include "util/err.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

int stream_read_full(struct stream_in *in, void *p, size_t n,
		     const char *what)
{
	uint8_t *q = p;

	while (n) {
		ssize_t got = stream_read(in, q, n);

		if (got < 0)
			return (int)got;
		if (got == 0)
			return err_set(ERR_INVALID, "%s is truncated", what);
		q += got;
		n -= (size_t)got;
	}
	return 0;
}

static int hash_out_write(struct stream_out *o, const void *p, size_t n)
{
	struct stream_hash_out *h =
		stream_container_of(o, struct stream_hash_out, base);

	sha256_update(&h->hash, p, n);
	h->count += n;
	return h->next ? stream_write(h->next, p, n) : 0;
}

int stream_hash_out_init(struct stream_hash_out *h, struct stream_out *next)
{
	h->base.write = hash_out_write;
	h->next = next;
	h->count = 0;
	return sha256_init(&h->hash);
}

void stream_hash_out_final(struct stream_hash_out *h,
			   char digest[DIGEST_STR_LEN])
{
	sha256_final_digest(&h->hash, digest);
}

void stream_hash_out_release(struct stream_hash_out *h)
{
	if (h)
		sha256_release(&h->hash);
}

static ssize_t hash_in_read(struct stream_in *in, void *p, size_t n)
{
	struct stream_hash_in *h =
		stream_container_of(in, struct stream_hash_in, base);
	ssize_t got = stream_read(h->src, p, n);

	if (got > 0) {
		sha256_update(&h->hash, p, (size_t)got);
		h->count += (uint64_t)got;
	}
	return got;
}

int stream_hash_in_init(struct stream_hash_in *h, struct stream_in *src)
{
	h->base.read = hash_in_read;
	h->src = src;
	h->count = 0;
	return sha256_init(&h->hash);
}

void stream_hash_in_final(struct stream_hash_in *h,
			  char digest[DIGEST_STR_LEN])
{
	sha256_final_digest(&h->hash, digest);
}

void stream_hash_in_release(struct stream_hash_in *h)
{
	if (h)
		sha256_release(&h->hash);
}

static ssize_t mem_read(struct stream_in *in, void *p, size_t n)
{
	struct stream_mem_in *m =
		stream_container_of(in, struct stream_mem_in, base);
	size_t left = m->len - m->off;

	if (n > left)
		n = left;
	if (n)
		memcpy(p, m->p + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

void stream_mem_in_init(struct stream_mem_in *m, const void *p, size_t len)
{
	m->base.read = mem_read;
	m->p = p;
	m->len = len;
	m->off = 0;
}

static ssize_t fd_read(struct stream_in *in, void *p, size_t n)
{
	struct stream_fd_in *f =
		stream_container_of(in, struct stream_fd_in, base);

	for (;;) {
		ssize_t got = read(f->fd, p, n);

		if (got >= 0)
			return got;
		if (errno != EINTR)
			return err_setsys(ERR_IO, errno, "cannot read '%s'",
					  f->name);
	}
}

void stream_fd_in_init(struct stream_fd_in *f, int fd, const char *name)
{
	f->base.read = fd_read;
	f->fd = fd;
	f->name = name;
}

/* Streaming SHA-256 and the "sha256:<hex>" digest strings built from it. */
#ifndef STELE_UTIL_SHA256_H
#define STELE_UTIL_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64
/* "sha256:" + 64 hex digits + NUL */
#define DIGEST_STR_LEN (7 + SHA256_HEX_LEN + 1)

struct sha256 {
	void *ctx; /* EVP_MD_CTX, opaque to keep OpenSSL out of headers */
};

int sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *p, size_t n);
/* Writes the raw hash; the context is released and may be re-inited. */
void sha256_final(struct sha256 *h, uint8_t out[SHA256_LEN]);
/* Writes "sha256:<hex>" into out (DIGEST_STR_LEN bytes). */
void sha256_final_digest(struct sha256 *h, char out[DIGEST_STR_LEN]);
/* Releases the context without producing a hash; accepts a released one. */
void sha256_release(struct sha256 *h);

/* One-shot helpers. */
void sha256_buf(const void *p, size_t n, uint8_t out[SHA256_LEN]);
void sha256_digest_buf(const void *p, size_t n, char out[DIGEST_STR_LEN]);

/* Hash a whole file by streaming it. */
int sha256_digest_file(const char *path, char out[DIGEST_STR_LEN],
		       uint64_t *size);

/* Lower-case hex of n bytes into out (2n+1 bytes). */
void hex_encode(const uint8_t *p, size_t n, char *out);

#endif

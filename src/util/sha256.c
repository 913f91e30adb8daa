/* SHA-256 through OpenSSL's EVP interface. */
#include "util/sha256.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <string.h>
#include <unistd.h>

int sha256_init(struct sha256 *h)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	h->ctx = NULL;
	if (!ctx)
		return err_set(ERR_NOMEM, "out of memory for sha256");
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return err_set(ERR_GENERIC, "sha256 initialisation failed");
	}
	h->ctx = ctx;
	return 0;
}

void sha256_update(struct sha256 *h, const void *p, size_t n)
{
	if (n)
		EVP_DigestUpdate(h->ctx, p, n);
}

void sha256_final(struct sha256 *h, uint8_t out[SHA256_LEN])
{
	unsigned int len = SHA256_LEN;

	EVP_DigestFinal_ex(h->ctx, out, &len);
	sha256_release(h);
}

void hex_encode(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

void sha256_final_digest(struct sha256 *h, char out[DIGEST_STR_LEN])
{
	uint8_t raw[SHA256_LEN];

	sha256_final(h, raw);
	memcpy(out, "sha256:", 7);
	hex_encode(raw, SHA256_LEN, out + 7);
}

void sha256_release(struct sha256 *h)
{
	if (h && h->ctx) {
		EVP_MD_CTX_free(h->ctx);
		h->ctx = NULL;
	}
}

void sha256_buf(const void *p, size_t n, uint8_t out[SHA256_LEN])
{
	unsigned int len = SHA256_LEN;

	EVP_Digest(p, n, out, &len, EVP_sha256(), NULL);
}

void sha256_digest_buf(const void *p, size_t n, char out[DIGEST_STR_LEN])
{
	uint8_t raw[SHA256_LEN];

	sha256_buf(p, n, raw);
	memcpy(out, "sha256:", 7);
	hex_encode(raw, SHA256_LEN, out + 7);
}

int sha256_digest_file(const char *path, char out[DIGEST_STR_LEN],
		       uint64_t *size)
{
	struct sha256 h;
	char chunk[1 << 16];
	uint64_t total = 0;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", path);
	rc = sha256_init(&h);
	if (rc)
		goto out;
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = err_setsys(ERR_IO, errno, "cannot read '%s'", path);
			sha256_release(&h);
			goto out;
		}
		sha256_update(&h, chunk, (size_t)n);
		total += (uint64_t)n;
	}
	sha256_final_digest(&h, out);
	if (size)
		*size = total;
out:
	close(fd);
	return rc;
}

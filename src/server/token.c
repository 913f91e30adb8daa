/* ES256 JWT (RFC 7515/7519) signing and strict verification. The
 * signature is the raw 64-byte r||s form JOSE requires, not DER. */
#include "server/token.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/sha256.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define B64V sodium_base64_VARIANT_URLSAFE_NO_PADDING
#define ES256_SIG_LEN 64
#define CLOCK_SKEW 60

static int key_generate(const char *path, EVP_PKEY **out)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	BIO *mem = NULL;
	char *pem;
	long len;
	int rc;

	if (!k)
		return err_set(ERR_GENERIC, "cannot generate token key");
	mem = BIO_new(BIO_s_mem());
	if (!mem || !PEM_write_bio_PrivateKey(mem, k, NULL, NULL, 0, NULL,
					      NULL)) {
		BIO_free(mem);
		EVP_PKEY_free(k);
		return err_set(ERR_GENERIC, "cannot encode token key");
	}
	len = BIO_get_mem_data(mem, &pem);
	rc = fs_write_atomic(path, pem, (size_t)len, 0600);
	OPENSSL_cleanse(pem, (size_t)len);
	BIO_free(mem);
	if (rc) {
		EVP_PKEY_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

int token_key_load(const char *path, EVP_PKEY **out)
{
	FILE *f = fopen(path, "re");
	EVP_PKEY *k;

	*out = NULL;
	if (!f && errno == ENOENT)
		return key_generate(path, out);
	if (!f)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", path);
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
	    EVP_PKEY_get_bits(k) != 256) {
		EVP_PKEY_free(k);
		return err_set(ERR_INVALID, "'%s' is not a P-256 private key",
			       path);
	}
	*out = k;
	return 0;
}

static int b64_put(struct buf *out, const void *p, size_t n)
{
	size_t cap = sodium_base64_ENCODED_LEN(n, B64V);
	int rc = buf_grow(out, cap);

	if (rc)
		return rc;
	sodium_bin2base64(out->data + out->len, cap, p, n, B64V);
	out->len += strlen(out->data + out->len);
	return 0;
}

static int json_b64_put(struct buf *out, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	int rc;

	if (!s)
		return err_set(ERR_NOMEM, "out of memory for token");
	rc = b64_put(out, s, strlen(s));
	free(s);
	return rc;
}

/* DER ECDSA signature to fixed-width r||s. */
static int der_to_raw(const unsigned char *der, size_t n,
		      unsigned char raw[ES256_SIG_LEN])
{
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &der, (long)n);
	const BIGNUM *r, *s;
	int ok;

	if (!sig)
		return err_set(ERR_GENERIC, "bad signature encoding");
	ECDSA_SIG_get0(sig, &r, &s);
	ok = BN_bn2binpad(r, raw, 32) == 32 &&
	     BN_bn2binpad(s, raw + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	return ok ? 0 : err_set(ERR_GENERIC, "bad signature size");
}

static int sign_input(EVP_PKEY *key, const char *p, size_t n,
		      unsigned char raw[ES256_SIG_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char der[128];
	size_t dlen = sizeof(der);
	int ok;

	ok = ctx && EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL,
				       key) == 1 &&
	     EVP_DigestSign(ctx, der, &dlen, (const unsigned char *)p,
			    n) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return err_set(ERR_GENERIC, "token signing failed");
	return der_to_raw(der, dlen, raw);
}

int token_issue(EVP_PKEY *key, const char *service, const char *sub,
		json_t *access, int ttl, time_t now, struct buf *out)
{
	unsigned char rnd[16], raw[ES256_SIG_LEN];
	char jti[33];
	json_t *hdr, *claims;
	int rc;

	rc = fs_random(rnd, sizeof(rnd));
	if (rc)
		return rc;
	hex_encode(rnd, sizeof(rnd), jti);
	hdr = json_pack("{s:s, s:s}", "alg", "ES256", "typ", "JWT");
	claims = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I, s:s, s:O}",
			   "iss", TOKEN_ISSUER, "sub", sub, "aud", service,
			   "exp", (json_int_t)(now + ttl),
			   "nbf", (json_int_t)now, "iat", (json_int_t)now,
			   "jti", jti, "access", access);
	rc = hdr && claims ? 0 : err_set(ERR_NOMEM, "out of memory");
	if (!rc)
		rc = json_b64_put(out, hdr);
	if (!rc)
		rc = buf_putc(out, '.');
	if (!rc)
		rc = json_b64_put(out, claims);
	if (!rc)
		rc = sign_input(key, out->data, out->len, raw);
	if (!rc)
		rc = buf_putc(out, '.');
	if (!rc)
		rc = b64_put(out, raw, sizeof(raw));
	json_decref(hdr);
	json_decref(claims);
	return rc;
}

/* Decode one base64url JSON segment into an object. */
static json_t *segment_json(const char *p, size_t n)
{
	unsigned char bin[TOKEN_MAX_BYTES];
	size_t len;
	json_t *j;

	if (sodium_base642bin(bin, sizeof(bin), p, n, NULL, &len, NULL,
			      B64V))
		return NULL;
	j = json_loadb((const char *)bin, len, JSON_REJECT_DUPLICATES, NULL);
	if (j && !json_is_object(j)) {
		json_decref(j);
		return NULL;
	}
	return j;
}

static int check_header(const char *p, size_t n)
{
	json_t *h = segment_json(p, n);
	json_t *alg = json_object_get(h, "alg");
	int ok;

	/* Only our algorithm: never "none", never an HMAC keyed by the
	 * public key, never something the header asks for. */
	ok = h && json_is_string(alg) &&
	     !strcmp(json_string_value(alg), "ES256") &&
	     !json_object_get(h, "crit") && !json_object_get(h, "jwk") &&
	     !json_object_get(h, "jku") && !json_object_get(h, "x5u");
	json_decref(h);
	return ok ? 0 : err_set(ERR_UNAUTH, "token: algorithm refused");
}

static int check_signature(EVP_PKEY *key, const char *tok, size_t signed_len,
			   const char *sig64)
{
	unsigned char raw[ES256_SIG_LEN + 8], *der = NULL;
	EVP_MD_CTX *ctx = NULL;
	ECDSA_SIG *sig = NULL;
	BIGNUM *r, *s;
	size_t len;
	int dlen, ok = 0;

	if (sodium_base642bin(raw, sizeof(raw), sig64, strlen(sig64), NULL,
			      &len, NULL, B64V) || len != ES256_SIG_LEN)
		return err_set(ERR_UNAUTH, "token: bad signature encoding");
	sig = ECDSA_SIG_new();
	r = BN_bin2bn(raw, 32, NULL);
	s = BN_bin2bn(raw + 32, 32, NULL);
	if (!sig || !r || !s || !ECDSA_SIG_set0(sig, r, s)) {
		BN_free(r);
		BN_free(s);
		goto out;
	}
	dlen = i2d_ECDSA_SIG(sig, &der);
	ctx = EVP_MD_CTX_new();
	ok = dlen > 0 && ctx &&
	     EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, der, (size_t)dlen,
			      (const unsigned char *)tok, signed_len) == 1;
out:
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	ECDSA_SIG_free(sig);
	return ok ? 0 : err_set(ERR_UNAUTH, "token: bad signature");
}

static int check_claims(json_t *c, const char *service, time_t now)
{
	json_t *iss = json_object_get(c, "iss");
	json_t *aud = json_object_get(c, "aud");
	json_t *exp = json_object_get(c, "exp");
	json_t *nbf = json_object_get(c, "nbf");
	json_t *sub = json_object_get(c, "sub");

	if (!json_is_string(iss) ||
	    strcmp(json_string_value(iss), TOKEN_ISSUER))
		return err_set(ERR_UNAUTH, "token: wrong issuer");
	if (!json_is_string(aud) ||
	    strcmp(json_string_value(aud), service))
		return err_set(ERR_UNAUTH, "token: wrong audience");
	if (!json_is_integer(exp) || json_integer_value(exp) <= now)
		return err_set(ERR_UNAUTH, "token: expired");
	if (!json_is_integer(nbf) ||
	    json_integer_value(nbf) > now + CLOCK_SKEW)
		return err_set(ERR_UNAUTH, "token: not valid yet");
	if (!json_is_string(sub) || !json_is_array(json_object_get(c,
								   "access")))
		return err_set(ERR_UNAUTH, "token: missing claims");
	return 0;
}

int token_verify(EVP_PKEY *key, const char *service, const char *tok,
		 time_t now, json_t **claims)
{
	const char *d1, *d2;
	json_t *c;
	int rc;

	*claims = NULL;
	if (strlen(tok) > TOKEN_MAX_BYTES)
		return err_set(ERR_UNAUTH, "token: too long");
	d1 = strchr(tok, '.');
	d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	if (!d1 || !d2 || strchr(d2 + 1, '.'))
		return err_set(ERR_UNAUTH, "token: not a compact JWS");
	rc = check_header(tok, (size_t)(d1 - tok));
	if (!rc)
		rc = check_signature(key, tok, (size_t)(d2 - tok), d2 + 1);
	if (rc)
		return rc;
	c = segment_json(d1 + 1, (size_t)(d2 - d1 - 1));
	if (!c)
		return err_set(ERR_UNAUTH, "token: bad claims");
	rc = check_claims(c, service, now);
	if (rc) {
		json_decref(c);
		return rc;
	}
	*claims = c;
	return 0;
}

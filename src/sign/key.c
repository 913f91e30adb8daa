/* ECDSA P-256 keys on OpenSSL 3; see key.h for the contracts. */
#include "sign/key.h"
#include "sign/b64.h"
#include "util/err.h"
#include "util/fs.h"

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct sign_key {
	EVP_PKEY *pkey;
	bool has_private;
};

void sign_key_free(struct sign_key *k)
{
	if (!k)
		return;
	/* EVP_PKEY_free clears the private scalar (BN_clear_free). */
	EVP_PKEY_free(k->pkey);
	free(k);
}

bool sign_key_has_private(const struct sign_key *k)
{
	return k && k->has_private;
}

/* Refuse anything but ECDSA on P-256, saying what the key really is. */
static int key_check_p256(EVP_PKEY *pkey, const char *name)
{
	char group[64];
	size_t len = 0;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_EC)
		return err_set(ERR_UNSUPPORTED, "key '%s' is %s, not ECDSA "
			       "P-256", name, EVP_PKEY_get0_type_name(pkey));
	if (!EVP_PKEY_get_group_name(pkey, group, sizeof(group), &len))
		return err_set(ERR_UNSUPPORTED, "key '%s' uses explicit "
			       "curve parameters, not the named curve P-256",
			       name);
	if (OBJ_sn2nid(group) != NID_X9_62_prime256v1)
		return err_set(ERR_UNSUPPORTED, "key '%s' uses curve %s, "
			       "not P-256", name, group);
	return 0;
}

static int key_wrap(EVP_PKEY *pkey, bool priv, const char *name,
		    struct sign_key **out)
{
	struct sign_key *k;
	int rc = key_check_p256(pkey, name);

	if (rc) {
		EVP_PKEY_free(pkey);
		return rc;
	}
	k = calloc(1, sizeof(*k));
	if (!k) {
		EVP_PKEY_free(pkey);
		return err_set(ERR_NOMEM, "out of memory for key");
	}
	k->pkey = pkey;
	k->has_private = priv;
	*out = k;
	return 0;
}

int sign_key_generate(struct sign_key **out)
{
	EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	*out = NULL;
	if (!pkey)
		return err_set(ERR_GENERIC, "cannot generate a P-256 key");
	return key_wrap(pkey, true, "generated", out);
}

int sign_key_from_public_pem(const char *pem, size_t n, const char *name,
			     struct sign_key **out)
{
	EVP_PKEY *pkey;
	BIO *bio;

	*out = NULL;
	if (n > SIGN_KEY_FILE_MAX)
		return err_set(ERR_LIMIT, "public key '%s' is larger than "
			       "%u bytes", name, SIGN_KEY_FILE_MAX);
	bio = BIO_new_mem_buf(pem, (int)n);
	if (!bio)
		return err_set(ERR_NOMEM, "out of memory reading '%s'", name);
	pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!pkey)
		return err_set(ERR_INVALID, "'%s' holds no PEM PUBLIC KEY "
			       "block", name);
	return key_wrap(pkey, false, name, out);
}

int sign_key_load_public(const char *path, struct sign_key **out)
{
	struct buf b;
	int rc;

	*out = NULL;
	rc = fs_read_file(path, SIGN_KEY_FILE_MAX, &b);
	if (rc)
		return rc;
	rc = sign_key_from_public_pem(b.data, b.len, path, out);
	buf_release(&b);
	return rc;
}

int sign_key_from_pkcs8(const void *der, size_t n, const char *name,
			struct sign_key **out)
{
	const unsigned char *p = der;
	PKCS8_PRIV_KEY_INFO *p8;
	EVP_PKEY *pkey;

	*out = NULL;
	if (n > SIGN_KEY_FILE_MAX)
		return err_set(ERR_LIMIT, "private key '%s' too large", name);
	p8 = d2i_PKCS8_PRIV_KEY_INFO(NULL, &p, (long)n);
	if (!p8 || p != (const unsigned char *)der + n) {
		PKCS8_PRIV_KEY_INFO_free(p8);
		return err_set(ERR_INVALID, "private key '%s' is not one "
			       "PKCS#8 DER structure", name);
	}
	pkey = EVP_PKCS82PKEY(p8);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (!pkey)
		return err_set(ERR_INVALID, "private key '%s' cannot be "
			       "decoded", name);
	return key_wrap(pkey, true, name, out);
}

int sign_key_to_pkcs8(const struct sign_key *k, struct buf *out)
{
	PKCS8_PRIV_KEY_INFO *p8;
	unsigned char *der = NULL;
	int len, rc;

	if (!sign_key_has_private(k))
		return err_set(ERR_INVALID, "key has no private part");
	p8 = EVP_PKEY2PKCS8(k->pkey);
	if (!p8)
		return err_set(ERR_GENERIC, "cannot encode PKCS#8 key");
	len = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
	PKCS8_PRIV_KEY_INFO_free(p8);
	if (len <= 0)
		return err_set(ERR_GENERIC, "cannot encode PKCS#8 key");
	rc = buf_put(out, der, (size_t)len);
	OPENSSL_clear_free(der, (size_t)len);
	return rc;
}

int sign_key_public_der(const struct sign_key *k, struct buf *out)
{
	unsigned char *der = NULL;
	int len, rc;

	len = i2d_PUBKEY(k->pkey, &der);
	if (len <= 0)
		return err_set(ERR_GENERIC, "cannot encode public key");
	rc = buf_put(out, der, (size_t)len);
	OPENSSL_free(der);
	return rc;
}

int sign_key_public_pem(const struct sign_key *k, struct buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc;

	if (!bio)
		return err_set(ERR_NOMEM, "out of memory for PEM");
	if (!PEM_write_bio_PUBKEY(bio, k->pkey)) {
		BIO_free(bio);
		return err_set(ERR_GENERIC, "cannot write public key PEM");
	}
	n = BIO_get_mem_data(bio, &p);
	rc = buf_put(out, p, (size_t)n);
	BIO_free(bio);
	return rc;
}

static int key_spki_hash(const struct sign_key *k, uint8_t h[SHA256_LEN])
{
	struct buf der = BUF_INIT(SIGN_KEY_FILE_MAX);
	int rc = sign_key_public_der(k, &der);

	if (!rc)
		sha256_buf(der.data, der.len, h);
	buf_release(&der);
	return rc;
}

int sign_key_hint(const struct sign_key *k, char out[SIGN_HINT_LEN])
{
	struct buf b = BUF_INIT(SIGN_HINT_LEN);
	uint8_t h[SHA256_LEN];
	int rc = key_spki_hash(k, h);

	if (!rc)
		rc = sign_b64_encode(h, sizeof(h), &b);
	if (!rc)
		memcpy(out, b.data, b.len + 1);
	buf_release(&b);
	return rc;
}

int sign_key_fingerprint(const struct sign_key *k, char out[DIGEST_STR_LEN])
{
	uint8_t h[SHA256_LEN];
	int rc = key_spki_hash(k, h);

	if (rc)
		return rc;
	memcpy(out, "sha256:", 7);
	hex_encode(h, sizeof(h), out + 7);
	return 0;
}

static EVP_PKEY_CTX *key_ctx(const struct sign_key *k, bool for_sign)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, k->pkey, NULL);
	int ok;

	if (!ctx)
		return NULL;
	ok = for_sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx);
	if (ok != 1 || EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

int sign_ecdsa_sign(const struct sign_key *k, const uint8_t hash[SHA256_LEN],
		    struct buf *sig)
{
	unsigned char der[SIGN_SIG_MAX];
	size_t len = sizeof(der);
	EVP_PKEY_CTX *ctx;
	int ok;

	if (!sign_key_has_private(k))
		return err_set(ERR_INVALID, "signing needs a private key");
	ctx = key_ctx(k, true);
	if (!ctx)
		return err_set(ERR_GENERIC, "cannot set up ECDSA signing");
	ok = EVP_PKEY_sign(ctx, der, &len, hash, SHA256_LEN);
	EVP_PKEY_CTX_free(ctx);
	if (ok != 1)
		return err_set(ERR_GENERIC, "ECDSA signing failed");
	return buf_put(sig, der, len);
}

/* Only canonical DER: the same signature has exactly one encoding. */
static int sig_check_der(const void *sig, size_t n)
{
	const unsigned char *p = sig;
	unsigned char *again = NULL;
	ECDSA_SIG *s;
	int len;

	if (n == 0 || n > SIGN_SIG_MAX)
		return err_set(ERR_INVALID, "signature of %zu bytes is not "
			       "an ECDSA P-256 signature", n);
	s = d2i_ECDSA_SIG(NULL, &p, (long)n);
	if (!s)
		return err_set(ERR_INVALID, "signature is not DER ECDSA");
	len = i2d_ECDSA_SIG(s, &again);
	ECDSA_SIG_free(s);
	if (len < 0 || (size_t)len != n || memcmp(again, sig, n)) {
		OPENSSL_free(again);
		return err_set(ERR_INVALID, "signature is not canonical DER");
	}
	OPENSSL_free(again);
	return 0;
}

int sign_ecdsa_verify(const struct sign_key *k,
		      const uint8_t hash[SHA256_LEN],
		      const void *sig, size_t sig_len)
{
	EVP_PKEY_CTX *ctx;
	int rc = sig_check_der(sig, sig_len), ok;

	if (rc)
		return rc;
	ctx = key_ctx(k, false);
	if (!ctx)
		return err_set(ERR_GENERIC, "cannot set up ECDSA verification");
	ok = EVP_PKEY_verify(ctx, sig, sig_len, hash, SHA256_LEN);
	EVP_PKEY_CTX_free(ctx);
	if (ok != 1)
		return err_set(ERR_DENIED, "signature does not verify with "
			       "this key");
	return 0;
}

int sign_ecdsa_sign_bytes(const struct sign_key *k, const void *p,
			  size_t n, struct buf *sig)
{
	uint8_t h[SHA256_LEN];

	sha256_buf(p, n, h);
	return sign_ecdsa_sign(k, h, sig);
}

int sign_ecdsa_verify_bytes(const struct sign_key *k, const void *p,
			    size_t n, const void *sig, size_t sig_len)
{
	uint8_t h[SHA256_LEN];

	sha256_buf(p, n, h);
	return sign_ecdsa_verify(k, h, sig, sig_len);
}

/* Encrypted PEM is refused here instead of prompting on the terminal. */
static int key_no_password(char *buf, int size, int rwflag, void *u)
{
	return -1;
}

int sign_key_from_private_pem(const char *pem, size_t n, const char *name,
			      struct sign_key **out)
{
	EVP_PKEY *pkey;
	BIO *bio;

	*out = NULL;
	if (n > SIGN_KEY_FILE_MAX)
		return err_set(ERR_LIMIT, "private key '%s' too large", name);
	bio = BIO_new_mem_buf(pem, (int)n);
	if (!bio)
		return err_set(ERR_NOMEM, "out of memory reading '%s'", name);
	pkey = PEM_read_bio_PrivateKey(bio, NULL, key_no_password, NULL);
	BIO_free(bio);
	if (!pkey)
		return err_set(ERR_INVALID, "'%s' holds no unencrypted PEM "
			       "PRIVATE KEY", name);
	return key_wrap(pkey, true, name, out);
}

int sign_key_private_pem(const struct sign_key *k, struct buf *out)
{
	BIO *bio;
	char *p;
	long n;
	int rc;

	if (!sign_key_has_private(k))
		return err_set(ERR_INVALID, "key has no private part");
	bio = BIO_new(BIO_s_secmem());
	if (!bio)
		return err_set(ERR_NOMEM, "out of memory for PEM");
	if (!PEM_write_bio_PKCS8PrivateKey(bio, k->pkey, NULL, NULL, 0, NULL,
					   NULL)) {
		BIO_free(bio);
		return err_set(ERR_GENERIC, "cannot write private key PEM");
	}
	n = BIO_get_mem_data(bio, &p);
	rc = buf_put(out, p, (size_t)n);
	BIO_free(bio);
	return rc;
}

static int key_create_files(const char *key_path, const char *pub_path,
			    struct sign_key **out)
{
	struct buf priv = BUF_INIT(SIGN_KEY_FILE_MAX);
	struct buf pub = BUF_INIT(SIGN_KEY_FILE_MAX);
	int rc = sign_key_generate(out);

	if (!rc)
		rc = sign_key_private_pem(*out, &priv);
	if (!rc)
		rc = sign_key_public_pem(*out, &pub);
	if (!rc)
		rc = fs_write_atomic(pub_path, pub.data, pub.len, 0644);
	if (!rc)
		rc = fs_write_atomic(key_path, priv.data, priv.len, 0600);
	buf_wipe(&priv);
	buf_release(&pub);
	if (rc) {
		sign_key_free(*out);
		*out = NULL;
	}
	return rc;
}

static int key_read_private(const char *path, struct sign_key **out)
{
	struct stat st;
	struct buf b;
	int rc;

	if (stat(path, &st))
		return err_setsys(ERR_IO, errno, "cannot stat '%s'", path);
	if (st.st_mode & 077)
		return err_set(ERR_DENIED, "signing key '%s' is accessible by "
			       "group or others (mode %03o); chmod 600 it",
			       path, (unsigned)(st.st_mode & 0777));
	rc = fs_read_file(path, SIGN_KEY_FILE_MAX, &b);
	if (rc)
		return rc;
	rc = sign_key_from_private_pem(b.data, b.len, path, out);
	buf_wipe(&b);
	return rc;
}

int sign_key_load_or_create(const char *dir, struct sign_key **out,
			    bool *created)
{
	char key_path[PATH_MAX], pub_path[PATH_MAX];
	int rc;

	*out = NULL;
	*created = false;
	if (snprintf(key_path, sizeof(key_path), "%s/signing.key", dir) >=
	    (int)sizeof(key_path) ||
	    snprintf(pub_path, sizeof(pub_path), "%s/signing.pub", dir) >=
	    (int)sizeof(pub_path))
		return err_set(ERR_INVALID, "key directory path too long");
	if (fs_exists(key_path))
		return key_read_private(key_path, out);
	rc = fs_mkdirs(dir, 0700);
	if (!rc)
		rc = key_create_files(key_path, pub_path, out);
	*created = rc == 0;
	return rc;
}

/* Encrypted key files compatible with cosign; see keyfile.h. */
#include "sign/keyfile.h"
#include "sign/b64.h"
#include "util/err.h"
#include "util/fs.h"

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define KEYFILE_SALT_LEN 32
#define KEYFILE_SALT_MIN 16
#define KEYFILE_SALT_MAX 64
#define KEYFILE_KEY_LEN crypto_secretbox_KEYBYTES

struct keyfile_kdf {
	uint64_t n, r, p;
	struct buf salt;
	struct buf nonce;
	struct buf box;
};

static int keyfile_scrypt(const char *pw, size_t pw_len,
			  const struct keyfile_kdf *kdf,
			  uint8_t key[KEYFILE_KEY_LEN])
{
	uint64_t mem = 128 * kdf->r * (kdf->n + 2) + 128 * kdf->r * kdf->p;

	if (EVP_PBE_scrypt(pw, pw_len, (const unsigned char *)kdf->salt.data,
			   kdf->salt.len, kdf->n, kdf->r, kdf->p,
			   mem + 65536, key, KEYFILE_KEY_LEN) != 1)
		return err_set(ERR_GENERIC, "scrypt key derivation failed");
	return 0;
}

static void keyfile_kdf_release(struct keyfile_kdf *kdf)
{
	buf_release(&kdf->salt);
	buf_release(&kdf->nonce);
	buf_release(&kdf->box);
}

static int keyfile_init_sodium(void)
{
	if (sodium_init() < 0)
		return err_set(ERR_GENERIC, "libsodium cannot initialise");
	return 0;
}

/* Wrap the JSON text in the PEM armour, 64 columns like cosign. */
static int keyfile_pem(const char *json, struct buf *out)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *p;
	long n;
	int rc;

	if (!bio)
		return err_set(ERR_NOMEM, "out of memory for PEM");
	if (!PEM_write_bio(bio, SIGN_KEYFILE_PEM_TYPE, "",
			   (const unsigned char *)json, (long)strlen(json))) {
		BIO_free(bio);
		return err_set(ERR_GENERIC, "cannot write key PEM");
	}
	n = BIO_get_mem_data(bio, &p);
	rc = buf_put(out, p, (size_t)n);
	BIO_free(bio);
	return rc;
}

static int keyfile_json(const struct keyfile_kdf *kdf, struct buf *out)
{
	struct buf salt = BUF_INIT(256), nonce = BUF_INIT(256);
	struct buf box = BUF_INIT(4 * SIGN_KEY_FILE_MAX);
	json_t *j = NULL;
	char *text = NULL;
	int rc;

	rc = sign_b64_encode(kdf->salt.data, kdf->salt.len, &salt);
	if (!rc)
		rc = sign_b64_encode(kdf->nonce.data, kdf->nonce.len, &nonce);
	if (!rc)
		rc = sign_b64_encode(kdf->box.data, kdf->box.len, &box);
	if (rc)
		goto out;
	j = json_pack("{s:{s:s,s:{s:I,s:I,s:I},s:s},s:{s:s,s:s},s:s}",
		      "kdf", "name", "scrypt", "params",
		      "N", (json_int_t)kdf->n, "r", (json_int_t)kdf->r,
		      "p", (json_int_t)kdf->p, "salt", salt.data,
		      "cipher", "name", "nacl/secretbox", "nonce", nonce.data,
		      "ciphertext", box.data);
	text = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	if (!text) {
		rc = err_set(ERR_NOMEM, "cannot encode key file JSON");
		goto out;
	}
	rc = keyfile_pem(text, out);
out:
	free(text);
	json_decref(j);
	buf_release(&salt);
	buf_release(&nonce);
	buf_release(&box);
	return rc;
}

static int keyfile_seal(const struct buf *der, const char *pw, size_t pw_len,
			struct keyfile_kdf *kdf)
{
	uint8_t key[KEYFILE_KEY_LEN], salt[KEYFILE_SALT_LEN];
	uint8_t nonce[crypto_secretbox_NONCEBYTES];
	int rc;

	rc = fs_random(salt, sizeof(salt));
	if (!rc)
		rc = fs_random(nonce, sizeof(nonce));
	if (!rc)
		rc = buf_put(&kdf->salt, salt, sizeof(salt));
	if (!rc)
		rc = buf_put(&kdf->nonce, nonce, sizeof(nonce));
	if (!rc)
		rc = keyfile_scrypt(pw, pw_len, kdf, key);
	if (!rc)
		rc = buf_grow(&kdf->box, der->len + crypto_secretbox_MACBYTES);
	if (!rc) {
		crypto_secretbox_easy((unsigned char *)kdf->box.data,
				      (const unsigned char *)der->data,
				      der->len, nonce, key);
		kdf->box.len = der->len + crypto_secretbox_MACBYTES;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return rc;
}

int sign_keyfile_encrypt(const struct sign_key *k, const char *password,
			 size_t password_len, struct buf *out)
{
	struct keyfile_kdf kdf = {
		SIGN_SCRYPT_N, SIGN_SCRYPT_R, SIGN_SCRYPT_P,
		BUF_INIT(KEYFILE_SALT_MAX), BUF_INIT(64),
		BUF_INIT(SIGN_KEY_FILE_MAX),
	};
	struct buf der = BUF_INIT(SIGN_KEY_FILE_MAX);
	int rc = keyfile_init_sodium();

	if (!rc)
		rc = sign_key_to_pkcs8(k, &der);
	if (!rc)
		rc = keyfile_seal(&der, password, password_len, &kdf);
	if (!rc)
		rc = keyfile_json(&kdf, out);
	buf_wipe(&der);
	keyfile_kdf_release(&kdf);
	return rc;
}

/* Strip the PEM armour; only the two cosign key types are accepted. */
static int keyfile_unpem(const char *text, size_t n, const char *name,
			 struct buf *body)
{
	char *type = NULL, *header = NULL;
	unsigned char *data = NULL;
	long len = 0;
	BIO *bio;
	int rc = 0;

	bio = BIO_new_mem_buf(text, (int)n);
	if (!bio)
		return err_set(ERR_NOMEM, "out of memory reading '%s'", name);
	if (!PEM_read_bio(bio, &type, &header, &data, &len)) {
		rc = err_set(ERR_INVALID, "'%s' holds no PEM block", name);
		goto out;
	}
	if (strcmp(type, SIGN_KEYFILE_PEM_TYPE) &&
	    strcmp(type, SIGN_KEYFILE_PEM_TYPE_OLD)) {
		rc = err_set(ERR_UNSUPPORTED, "'%s' is a '%s' PEM block, not "
			     "an encrypted cosign private key", name, type);
		goto out;
	}
	rc = buf_put(body, data, (size_t)len);
out:
	OPENSSL_free(type);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(bio);
	return rc;
}

static int keyfile_get_str(json_t *obj, const char *key, const char *name,
			   const char **out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		return err_set(ERR_INVALID, "key file '%s': \"%s\" is missing "
			       "or not a string", name, key);
	*out = json_string_value(v);
	return 0;
}

static int keyfile_get_b64(json_t *obj, const char *key, const char *name,
			   struct buf *out)
{
	const char *s = NULL;
	char what[128];
	int rc = keyfile_get_str(obj, key, name, &s);

	if (rc)
		return rc;
	snprintf(what, sizeof(what), "key file '%s' %s", name, key);
	return sign_b64_decode(s, strlen(s), out, what);
}

static int keyfile_get_uint(json_t *obj, const char *key, const char *name,
			    uint64_t *out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return err_set(ERR_INVALID, "key file '%s': scrypt \"%s\" is "
			       "missing or not a positive integer", name, key);
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int keyfile_check_cost(const struct keyfile_kdf *kdf, const char *name)
{
	if (kdf->n < 2 || (kdf->n & (kdf->n - 1)))
		return err_set(ERR_INVALID, "key file '%s': scrypt N=%llu is "
			       "not a power of two", name,
			       (unsigned long long)kdf->n);
	if (kdf->r > 64 || kdf->p > SIGN_SCRYPT_MAX_P ||
	    kdf->n > SIGN_SCRYPT_MAX_MEM / 128 / kdf->r)
		return err_set(ERR_LIMIT, "key file '%s': scrypt cost N=%llu "
			       "r=%llu p=%llu exceeds the limits", name,
			       (unsigned long long)kdf->n,
			       (unsigned long long)kdf->r,
			       (unsigned long long)kdf->p);
	return 0;
}

static int keyfile_parse_kdf(json_t *root, const char *name,
			     struct keyfile_kdf *kdf)
{
	json_t *k = json_object_get(root, "kdf");
	json_t *params = json_object_get(k, "params");
	const char *s = NULL;
	int rc;

	if (!json_is_object(k) || !json_is_object(params))
		return err_set(ERR_INVALID, "key file '%s': \"kdf\" with "
			       "\"params\" is missing", name);
	rc = keyfile_get_str(k, "name", name, &s);
	if (rc)
		return rc;
	if (strcmp(s, "scrypt"))
		return err_set(ERR_UNSUPPORTED, "key file '%s': kdf '%s' is "
			       "not scrypt", name, s);
	rc = keyfile_get_uint(params, "N", name, &kdf->n);
	if (!rc)
		rc = keyfile_get_uint(params, "r", name, &kdf->r);
	if (!rc)
		rc = keyfile_get_uint(params, "p", name, &kdf->p);
	if (!rc)
		rc = keyfile_check_cost(kdf, name);
	if (!rc)
		rc = keyfile_get_b64(k, "salt", name, &kdf->salt);
	if (!rc && (kdf->salt.len < KEYFILE_SALT_MIN ||
		    kdf->salt.len > KEYFILE_SALT_MAX))
		rc = err_set(ERR_INVALID, "key file '%s': salt of %zu bytes",
			     name, kdf->salt.len);
	return rc;
}

static int keyfile_parse_cipher(json_t *root, const char *name,
				struct keyfile_kdf *kdf)
{
	json_t *c = json_object_get(root, "cipher");
	const char *s = NULL;
	int rc;

	if (!json_is_object(c))
		return err_set(ERR_INVALID, "key file '%s': \"cipher\" is "
			       "missing", name);
	rc = keyfile_get_str(c, "name", name, &s);
	if (rc)
		return rc;
	if (strcmp(s, "nacl/secretbox"))
		return err_set(ERR_UNSUPPORTED, "key file '%s': cipher '%s' "
			       "is not nacl/secretbox", name, s);
	rc = keyfile_get_b64(c, "nonce", name, &kdf->nonce);
	if (!rc && kdf->nonce.len != crypto_secretbox_NONCEBYTES)
		rc = err_set(ERR_INVALID, "key file '%s': nonce of %zu bytes, "
			     "expected %u", name, kdf->nonce.len,
			     crypto_secretbox_NONCEBYTES);
	if (!rc)
		rc = keyfile_get_b64(root, "ciphertext", name, &kdf->box);
	if (!rc && kdf->box.len <= crypto_secretbox_MACBYTES)
		rc = err_set(ERR_INVALID, "key file '%s': ciphertext too "
			     "short", name);
	return rc;
}

static int keyfile_parse(const struct buf *body, const char *name,
			 struct keyfile_kdf *kdf)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	root = json_loadb(body->data, body->len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return err_set(ERR_INVALID, "key file '%s': %s at byte %d",
				name, jerr.text, jerr.position);
	if (!json_is_object(root))
		rc = err_set(ERR_INVALID, "key file '%s' is not a JSON object",
			     name);
	else
		rc = keyfile_parse_kdf(root, name, kdf);
	if (!rc)
		rc = keyfile_parse_cipher(root, name, kdf);
	json_decref(root);
	return rc;
}

static int keyfile_open(const struct keyfile_kdf *kdf, const char *name,
			const char *pw, size_t pw_len, struct sign_key **out)
{
	uint8_t key[KEYFILE_KEY_LEN];
	struct buf der = BUF_INIT(SIGN_KEY_FILE_MAX);
	size_t len = kdf->box.len - crypto_secretbox_MACBYTES;
	int rc;

	rc = keyfile_scrypt(pw, pw_len, kdf, key);
	if (!rc)
		rc = buf_grow(&der, len);
	if (rc)
		goto out;
	if (crypto_secretbox_open_easy((unsigned char *)der.data,
				       (const unsigned char *)kdf->box.data,
				       kdf->box.len,
				       (const unsigned char *)kdf->nonce.data,
				       key)) {
		rc = err_set(ERR_DENIED, "cannot decrypt '%s': wrong password "
			     "or altered key file", name);
		goto out;
	}
	der.len = len;
	rc = sign_key_from_pkcs8(der.data, der.len, name, out);
out:
	OPENSSL_cleanse(key, sizeof(key));
	buf_wipe(&der);
	return rc;
}

int sign_keyfile_decrypt(const char *text, size_t n, const char *name,
			 const char *password, size_t password_len,
			 struct sign_key **out)
{
	struct keyfile_kdf kdf = {
		0, 0, 0, BUF_INIT(SIGN_KEY_FILE_MAX),
		BUF_INIT(SIGN_KEY_FILE_MAX), BUF_INIT(SIGN_KEY_FILE_MAX),
	};
	struct buf body = BUF_INIT(SIGN_KEY_FILE_MAX);
	int rc;

	*out = NULL;
	if (n > SIGN_KEY_FILE_MAX)
		return err_set(ERR_LIMIT, "key file '%s' is larger than %u "
			       "bytes", name, SIGN_KEY_FILE_MAX);
	rc = keyfile_init_sodium();
	if (!rc)
		rc = keyfile_unpem(text, n, name, &body);
	if (!rc)
		rc = keyfile_parse(&body, name, &kdf);
	if (!rc)
		rc = keyfile_open(&kdf, name, password, password_len, out);
	buf_release(&body);
	keyfile_kdf_release(&kdf);
	return rc;
}

int sign_keyfile_load(const char *path, const char *password,
		      size_t password_len, struct sign_key **out)
{
	struct buf b;
	int rc;

	*out = NULL;
	rc = fs_read_file(path, SIGN_KEY_FILE_MAX, &b);
	if (rc)
		return rc;
	rc = sign_keyfile_decrypt(b.data, b.len, path, password,
				  password_len, out);
	buf_release(&b);
	return rc;
}

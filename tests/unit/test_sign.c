/* Unit tests for the sign module: base64, keys, DSSE, bundles, payloads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sign/b64.h"
#include "sign/attach.h"
#include "sign/bundle.h"
#include "sign/check.h"
#include "sign/dsse.h"
#include "sign/key.h"
#include "sign/keyfile.h"
#include "sign/keyring.h"
#include "sign/payload.h"
#include "sign/scanpred.h"
#include "sign/sign.h"
#include "sign/statement.h"
#include "util/err.h"
#include "util/fs.h"

#define DIGEST_A "sha256:5891b5b522d5df086d0ff0b110fbd9d2" \
		 "1bb4fc7163af34d08286a2e846f6be03"
#define DIGEST_B "sha256:0000000000000000000000000000000000" \
		 "000000000000000000000000000000"

static struct sign_key *test_key;
static struct sign_key *other_key;

static int keys_setup(void **state)
{
	if (sign_key_generate(&test_key) || sign_key_generate(&other_key))
		return -1;
	return 0;
}

static int keys_teardown(void **state)
{
	sign_key_free(test_key);
	sign_key_free(other_key);
	return 0;
}

static void data_path(const char *name, char *out, size_t len)
{
	const char *dir = getenv("STELE_TEST_DATA");

	snprintf(out, len, "%s/sign/%s", dir ? dir : "tests/data", name);
}

static void read_data(const char *name, struct buf *out)
{
	char path[4096];

	data_path(name, path, sizeof(path));
	assert_int_equal(fs_read_file(path, 1 << 20, out), 0);
}

static void test_b64_round_trip_all_lengths(void **state)
{
	const char *in = "any carnal pleasure.";
	struct buf enc = BUF_INIT(64), dec = BUF_INIT(64);

	for (size_t n = 0; n <= strlen(in); n++) {
		buf_clear(&enc);
		assert_int_equal(sign_b64_encode(in, n, &enc), 0);
		assert_int_equal(sign_b64_decode(enc.data, enc.len, &dec, "t"),
				 0);
		assert_int_equal(dec.len, n);
		assert_memory_equal(dec.data, in, n);
	}
	buf_release(&enc);
	buf_release(&dec);
}

static void test_b64_truncated_refused(void **state)
{
	struct buf dec = BUF_INIT(64);

	assert_int_equal(sign_b64_decode("aGVsbG8", 7, &dec, "sig"),
			 ERR_INVALID);
	assert_string_equal(err_msg(), "sig: truncated base64 (length 7 is "
			    "not a multiple of 4)");
	buf_release(&dec);
}

static void test_b64_bad_forms_refused(void **state)
{
	struct buf dec = BUF_INIT(64);

	assert_int_equal(sign_b64_decode("aG=sbG8=", 8, &dec, "x"),
			 ERR_INVALID);
	assert_int_equal(sign_b64_decode("aGVs\nbG8", 8, &dec, "x"),
			 ERR_INVALID);
	assert_int_equal(sign_b64_decode("aGVsbG9=", 8, &dec, "x"),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "non-canonical"));
	assert_int_equal(sign_b64_decode("a===", 4, &dec, "x"), ERR_INVALID);
	assert_int_equal(sign_b64_decode("aGVsbG8-", 8, &dec, "x"),
			 ERR_INVALID);
	buf_release(&dec);
}

static void test_dsse_pae_vectors(void **state)
{
	struct buf pae = BUF_INIT(256);

	assert_int_equal(sign_dsse_pae("http://example.com/HelloWorld",
				       "hello world", 11, &pae), 0);
	assert_string_equal(pae.data, "DSSEv1 29 http://example.com/"
			    "HelloWorld 11 hello world");
	buf_clear(&pae);
	assert_int_equal(sign_dsse_pae("", "", 0, &pae), 0);
	assert_string_equal(pae.data, "DSSEv1 0  0 ");
	buf_clear(&pae);
	assert_int_equal(sign_dsse_pae("t", "a\0b", 3, &pae), 0);
	assert_int_equal(pae.len, 16);
	assert_memory_equal(pae.data, "DSSEv1 1 t 3 a\0b", 16);
	buf_release(&pae);
}

static void test_key_encrypt_decrypt_round_trip(void **state)
{
	struct buf pem = BUF_INIT(SIGN_KEY_FILE_MAX);
	struct buf pub1 = BUF_INIT(4096), pub2 = BUF_INIT(4096);
	struct sign_key *k = NULL;

	assert_int_equal(sign_keyfile_encrypt(test_key, "secret", 6, &pem), 0);
	assert_non_null(strstr(pem.data, "-----BEGIN ENCRYPTED SIGSTORE "
			       "PRIVATE KEY-----\n"));
	assert_int_equal(sign_keyfile_decrypt(pem.data, pem.len, "k",
					      "secret", 6, &k), 0);
	assert_true(sign_key_has_private(k));
	assert_int_equal(sign_key_public_pem(test_key, &pub1), 0);
	assert_int_equal(sign_key_public_pem(k, &pub2), 0);
	assert_string_equal(pub1.data, pub2.data);
	sign_key_free(k);
	assert_int_equal(sign_keyfile_decrypt(pem.data, pem.len, "k",
					      "secreT", 6, &k), ERR_DENIED);
	assert_null(k);
	assert_string_equal(err_msg(), "cannot decrypt 'k': wrong password "
			    "or altered key file");
	buf_release(&pem);
	buf_release(&pub1);
	buf_release(&pub2);
}

static void test_key_reads_cosign_key_file(void **state)
{
	struct buf pub = BUF_INIT(4096), mine = BUF_INIT(4096);
	struct sign_key *k = NULL;
	char path[4096];

	data_path("cosign.key", path, sizeof(path));
	assert_int_equal(sign_keyfile_load(path, "pw", 2, &k), 0);
	read_data("cosign.pub", &pub);
	assert_int_equal(sign_key_public_pem(k, &mine), 0);
	assert_string_equal(mine.data, pub.data);
	sign_key_free(k);
	buf_release(&pub);
	buf_release(&mine);
}

/* Rewrite a key file's JSON body with one substitution, re-armoured. */
static void keyfile_with(const char *from, const char *to, struct buf *out)
{
	struct buf pem = BUF_INIT(1 << 16), body = BUF_INIT(1 << 16);
	struct buf b64 = BUF_INIT(1 << 16);
	char *p, *end, *json, *hit;

	read_data("cosign.key", &pem);
	p = strchr(pem.data, '\n') + 1;
	end = strstr(p, "-----END");
	for (char *q = p; q < end; q++)
		if (*q != '\n')
			assert_int_equal(buf_putc(&b64, *q), 0);
	assert_int_equal(sign_b64_decode(b64.data, b64.len, &body, "t"), 0);
	json = body.data;
	hit = strstr(json, from);
	assert_non_null(hit);
	buf_clear(&b64);
	assert_int_equal(buf_put(&b64, json, (size_t)(hit - json)), 0);
	assert_int_equal(buf_puts(&b64, to), 0);
	assert_int_equal(buf_puts(&b64, hit + strlen(from)), 0);
	buf_clear(&body);
	assert_int_equal(sign_b64_encode(b64.data, b64.len, &body), 0);
	assert_int_equal(buf_printf(out, "-----BEGIN ENCRYPTED SIGSTORE "
				    "PRIVATE KEY-----\n%s\n-----END ENCRYPTED "
				    "SIGSTORE PRIVATE KEY-----\n", body.data),
			 0);
	buf_release(&pem);
	buf_release(&body);
	buf_release(&b64);
}

static void test_keyfile_bad_params_refused(void **state)
{
	struct buf pem = BUF_INIT(1 << 16);
	struct sign_key *k = NULL;

	keyfile_with("\"N\":65536", "\"N\":1073741824", &pem);
	assert_int_equal(sign_keyfile_decrypt(pem.data, pem.len, "k", "pw", 2,
					      &k), ERR_LIMIT);
	buf_clear(&pem);
	keyfile_with("\"N\":65536", "\"N\":65535", &pem);
	assert_int_equal(sign_keyfile_decrypt(pem.data, pem.len, "k", "pw", 2,
					      &k), ERR_INVALID);
	buf_clear(&pem);
	keyfile_with("nacl/secretbox", "aes-gcm", &pem);
	assert_int_equal(sign_keyfile_decrypt(pem.data, pem.len, "k", "pw", 2,
					      &k), ERR_UNSUPPORTED);
	buf_clear(&pem);
	keyfile_with("\"kdf\":", "\"kdf\":{},\"kdf\":", &pem);
	assert_int_equal(sign_keyfile_decrypt(pem.data, pem.len, "k", "pw", 2,
					      &k), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "duplicate"));
	buf_clear(&pem);
	keyfile_with("\"ciphertext\":\"", "\"ciphertext\":\"AAAA", &pem);
	assert_int_equal(sign_keyfile_decrypt(pem.data, pem.len, "k", "pw", 2,
					      &k), ERR_DENIED);
	assert_null(k);
	buf_release(&pem);
}

static void test_key_wrong_curve_refused(void **state)
{
	struct sign_key *k = NULL;
	char path[4096];

	data_path("p384.pub", path, sizeof(path));
	assert_int_equal(sign_key_load_public(path, &k), ERR_UNSUPPORTED);
	assert_null(k);
	assert_non_null(strstr(err_msg(), "uses curve secp384r1, not P-256"));
}

static void test_key_hint_matches_cosign(void **state)
{
	struct sign_key *k = NULL;
	char path[4096], hint[SIGN_HINT_LEN];

	data_path("cosign.pub", path, sizeof(path));
	assert_int_equal(sign_key_load_public(path, &k), 0);
	assert_int_equal(sign_key_hint(k, hint), 0);
	assert_string_equal(hint,
			    "jPu48SZlDKNLtD9uUesg1H1R4lnoKBLslUVC1aP7LoM=");
	sign_key_free(k);
}

static void test_ecdsa_noncanonical_der_refused(void **state)
{
	struct buf sig = BUF_INIT(SIGN_SIG_MAX);
	uint8_t h[SHA256_LEN] = { 1 };
	char padded[SIGN_SIG_MAX];

	assert_int_equal(sign_ecdsa_sign(test_key, h, &sig), 0);
	assert_int_equal(sign_ecdsa_verify(test_key, h, sig.data, sig.len), 0);
	assert_int_equal(sign_ecdsa_verify(other_key, h, sig.data, sig.len),
			 ERR_DENIED);
	memcpy(padded, sig.data, sig.len);
	padded[sig.len] = 0;
	assert_int_equal(sign_ecdsa_verify(test_key, h, padded, sig.len + 1),
			 ERR_INVALID);
	buf_release(&sig);
}

static void test_dsse_sign_verify_and_tamper(void **state)
{
	struct buf env = BUF_INIT(1 << 16);
	struct sign_dsse d;

	sign_dsse_init(&d);
	assert_int_equal(sign_dsse_sign(test_key, "t/x", "{}", 2, &env), 0);
	assert_int_equal(sign_dsse_parse(env.data, env.len, &d), 0);
	assert_int_equal(sign_dsse_verify(&d, test_key, "t/x"), 0);
	assert_int_equal(sign_dsse_verify(&d, test_key, "t/y"), ERR_INVALID);
	assert_string_equal(err_msg(), "DSSE payloadType 't/x' is not the "
			    "expected 't/y'");
	assert_int_equal(sign_dsse_verify(&d, other_key, "t/x"), ERR_DENIED);
	/* Same signature, other payload: the PAE differs, so it must fail. */
	assert_int_equal(buf_puts(&d.payload, " "), 0);
	assert_int_equal(sign_dsse_verify(&d, test_key, "t/x"), ERR_DENIED);
	sign_dsse_release(&d);
	buf_release(&env);
}

static void test_dsse_signature_over_other_pae_refused(void **state)
{
	struct buf other = BUF_INIT(1 << 16), pae = BUF_INIT(256);
	struct buf sig = BUF_INIT(SIGN_SIG_MAX), sig64 = BUF_INIT(512);
	struct buf env = BUF_INIT(1 << 16);
	struct sign_dsse d;

	sign_dsse_init(&d);
	assert_int_equal(sign_dsse_pae("t/x", "{\"a\":1}", 7, &pae), 0);
	assert_int_equal(sign_ecdsa_sign_bytes(test_key, pae.data, pae.len,
					       &sig), 0);
	assert_int_equal(sign_b64_encode(sig.data, sig.len, &sig64), 0);
	/* e30= is "{}": a real signature, but over another payload's PAE. */
	assert_int_equal(buf_printf(&env, "{\"payloadType\":\"t/x\","
				    "\"payload\":\"e30=\",\"signatures\":"
				    "[{\"sig\":\"%s\"}]}", sig64.data), 0);
	assert_int_equal(sign_dsse_parse(env.data, env.len, &d), 0);
	assert_int_equal(sign_dsse_verify(&d, test_key, "t/x"), ERR_DENIED);
	assert_non_null(strstr(err_msg(), "over the PAE"));
	sign_dsse_release(&d);
	buf_release(&other);
	buf_release(&pae);
	buf_release(&sig);
	buf_release(&sig64);
	buf_release(&env);
}

static void test_dsse_malformed_envelopes_refused(void **state)
{
	static const char *const bad[] = {
		"{\"payloadType\":\"a\",\"payloadType\":\"b\",\"payload\":"
		"\"e30=\",\"signatures\":[{\"sig\":\"AAAA\"}]}",
		"{\"payloadType\":\"a\",\"payload\":\"e30\","
		"\"signatures\":[{\"sig\":\"AAAA\"}]}",
		"{\"payloadType\":\"a\",\"payload\":\"e30=\","
		"\"signatures\":[]}",
		"{\"payloadType\":1,\"payload\":\"e30=\","
		"\"signatures\":[{\"sig\":\"AAAA\"}]}",
		"{\"payloadType\":\"a\",\"payload\":\"e30=\","
		"\"signatures\":[{\"sig\":\"AAAA\"}]} x",
	};
	struct sign_dsse d;

	sign_dsse_init(&d);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sign_dsse_parse(bad[i], strlen(bad[i]), &d),
				 ERR_INVALID);
	sign_dsse_parse(bad[0], strlen(bad[0]), &d);
	assert_non_null(strstr(err_msg(), "duplicate"));
	sign_dsse_release(&d);
}

static void test_payload_matches_cosign_layout(void **state)
{
	struct buf p = BUF_INIT(4096);
	struct sign_payload pl;

	assert_int_equal(sign_payload_build("localhost:5000/m", DIGEST_A, &p),
			 0);
	assert_string_equal(p.data, "{\"critical\":{\"identity\":{\"docker-"
			    "reference\":\"localhost:5000/m\"},\"image\":{"
			    "\"docker-manifest-digest\":\"" DIGEST_A "\"},"
			    "\"type\":\"cosign container image signature\"},"
			    "\"optional\":null}");
	assert_int_equal(sign_payload_parse(p.data, p.len, &pl), 0);
	assert_string_equal(pl.digest, DIGEST_A);
	assert_string_equal(pl.reference, "localhost:5000/m");
	assert_int_equal(sign_payload_build("m", "sha256:12", &p),
			 ERR_INVALID);
	buf_release(&p);
}

static void test_image_signature_digest_mismatch(void **state)
{
	struct buf p = BUF_INIT(4096), sig = BUF_INIT(512);
	struct sign_payload pl;

	assert_int_equal(sign_image_payload(test_key, "r/m", DIGEST_A, &p,
					    &sig), 0);
	assert_int_equal(sign_verify_image_payload(test_key, p.data, p.len,
						   sig.data, sig.len, DIGEST_A,
						   &pl), 0);
	assert_int_equal(sign_verify_image_payload(test_key, p.data, p.len,
						   sig.data, sig.len, DIGEST_B,
						   &pl), ERR_DIGEST);
	assert_int_equal(sign_verify_image_payload(other_key, p.data, p.len,
						   sig.data, sig.len, DIGEST_A,
						   &pl), ERR_DENIED);
	assert_int_equal(sign_verify_image_payload(test_key, p.data, p.len,
						   sig.data, sig.len - 1,
						   DIGEST_A, &pl), ERR_INVALID);
	buf_release(&p);
	buf_release(&sig);
}

static void statement_for(const char *digest, struct buf *out)
{
	struct sign_subject s;

	memset(&s, 0, sizeof(s));
	strcpy(s.name, "model");
	strcpy(s.digest, digest);
	assert_int_equal(sign_statement_build(&s, 1, "https://x/v1",
					      "{\"v\":1}", 7, out), 0);
}

static void test_attestation_round_trip_and_subject(void **state)
{
	struct buf st = BUF_INIT(1 << 16), bundle = BUF_INIT(1 << 16);
	struct sign_statement *s = malloc(sizeof(*s));

	sign_statement_init(s);
	statement_for(DIGEST_A, &st);
	assert_int_equal(sign_attestation(test_key, st.data, st.len, &bundle),
			 0);
	assert_int_equal(sign_verify_attestation(test_key, bundle.data,
						 bundle.len, DIGEST_A,
						 "https://x/v1", s), 0);
	assert_string_equal(s->predicate.data, "{\"v\":1}");
	assert_int_equal(sign_verify_attestation(test_key, bundle.data,
						 bundle.len, DIGEST_B, NULL,
						 s), ERR_DIGEST);
	assert_non_null(strstr(err_msg(), "subject digest mismatch"));
	assert_int_equal(sign_verify_attestation(other_key, bundle.data,
						 bundle.len, DIGEST_A, NULL,
						 s), ERR_DENIED);
	sign_statement_release(s);
	free(s);
	buf_release(&st);
	buf_release(&bundle);
}

static void test_attestation_wrong_payload_type_refused(void **state)
{
	struct buf st = BUF_INIT(1 << 16), env = BUF_INIT(1 << 16);
	struct sign_statement *s = malloc(sizeof(*s));

	sign_statement_init(s);
	statement_for(DIGEST_A, &st);
	assert_int_equal(sign_dsse_sign(test_key, "application/json", st.data,
					st.len, &env), 0);
	assert_int_equal(sign_verify_attestation(test_key, env.data, env.len,
						 DIGEST_A, NULL, s),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "payloadType"));
	sign_statement_release(s);
	free(s);
	buf_release(&st);
	buf_release(&env);
}

static void test_statement_refuses_bad_documents(void **state)
{
	static const char *const bad[] = {
		"{\"_type\":\"https://in-toto.io/Statement/v2\",\"subject\":"
		"[{\"digest\":{\"sha256\":\"ab\"}}],\"predicateType\":\"x\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":"
		"[],\"predicateType\":\"x\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":"
		"[{\"digest\":{\"sha256\":\"AB\"}}],\"predicateType\":\"x\"}",
		"{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":"
		"[{\"digest\":{}}],\"predicateType\":\"x\"}",
	};
	struct sign_statement *s = malloc(sizeof(*s));

	sign_statement_init(s);
	assert_int_equal(sign_statement_parse(bad[0], strlen(bad[0]), s),
			 ERR_UNSUPPORTED);
	for (size_t i = 1; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sign_statement_parse(bad[i], strlen(bad[i]),
						      s), ERR_INVALID);
	sign_statement_release(s);
	free(s);
}

static void test_bundle_verifies_cosign_bundles(void **state)
{
	struct buf text = BUF_INIT(1 << 16), blob = BUF_INIT(1 << 16);
	struct sign_statement *s = malloc(sizeof(*s));
	struct sign_bundle *b = malloc(sizeof(*b));
	struct sign_key *k = NULL;
	uint8_t h[SHA256_LEN];
	char path[4096];

	sign_statement_init(s);
	sign_bundle_init(b);
	data_path("cosign.pub", path, sizeof(path));
	assert_int_equal(sign_key_load_public(path, &k), 0);
	read_data("blob.txt", &blob);
	sha256_buf(blob.data, blob.len, h);
	read_data("cosign-blob.bundle", &text);
	assert_int_equal(sign_bundle_parse(text.data, text.len, b), 0);
	assert_int_equal(sign_bundle_verify_message(b, k, h), 0);
	assert_int_equal(sign_bundle_verify_message(b, test_key, h),
			 ERR_DENIED);
	h[0] ^= 1;
	assert_int_equal(sign_bundle_verify_message(b, k, h), ERR_DIGEST);
	buf_release(&text);
	read_data("cosign-att.bundle", &text);
	assert_int_equal(sign_verify_attestation(k, text.data, text.len,
						 DIGEST_A,
						 "https://stele.dev/scan/v1",
						 s), 0);
	sign_key_free(k);
	sign_bundle_release(b);
	sign_statement_release(s);
	free(b);
	free(s);
	buf_release(&text);
	buf_release(&blob);
}

static void test_bundle_refuses_bad_shapes(void **state)
{
	static const char head[] = "{\"mediaType\":\"application/vnd.dev."
		"sigstore.bundle.v0.3+json\",\"verificationMaterial\":";
	static const char *const cases[] = {
		"{\"certificate\":{\"rawBytes\":\"AAAA\"}},"
		"\"messageSignature\":{}}",
		"{\"publicKey\":{}},\"messageSignature\":{\"messageDigest\":"
		"{\"algorithm\":\"SHA2_512\",\"digest\":\"AAAA\"},"
		"\"signature\":\"AAAA\"}}",
		"{\"publicKey\":{}},\"messageSignature\":{},"
		"\"dsseEnvelope\":{}}",
		"{\"publicKey\":{}}}",
	};
	static const int want[] = {
		ERR_UNSUPPORTED, ERR_UNSUPPORTED, ERR_INVALID, ERR_INVALID,
	};
	struct sign_bundle *b = malloc(sizeof(*b));
	char doc[1024];

	sign_bundle_init(b);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(doc, sizeof(doc), "%s%s", head, cases[i]);
		assert_int_equal(sign_bundle_parse(doc, strlen(doc), b),
				 want[i]);
	}
	snprintf(doc, sizeof(doc), "{\"mediaType\":\"application/vnd.dev."
		 "sigstore.bundle+json;version=0.2\"}");
	assert_int_equal(sign_bundle_parse(doc, strlen(doc), b),
			 ERR_UNSUPPORTED);
	sign_bundle_release(b);
	free(b);
}

static void test_service_key_created_then_reloaded(void **state)
{
	char dir[] = "/tmp/stele-sign-XXXXXX", path[300];
	struct sign_key *a = NULL, *b = NULL;
	char fa[DIGEST_STR_LEN], fb[DIGEST_STR_LEN];
	bool created;
	struct stat st;

	assert_non_null(mkdtemp(dir));
	assert_int_equal(sign_key_load_or_create(dir, &a, &created), 0);
	assert_true(created);
	snprintf(path, sizeof(path), "%s/signing.key", dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sign_key_load_or_create(dir, &b, &created), 0);
	assert_false(created);
	assert_int_equal(sign_key_fingerprint(a, fa), 0);
	assert_int_equal(sign_key_fingerprint(b, fb), 0);
	assert_string_equal(fa, fb);
	sign_key_free(b);
	assert_int_equal(chmod(path, 0640), 0);
	assert_int_equal(sign_key_load_or_create(dir, &b, &created),
			 ERR_DENIED);
	assert_null(b);
	sign_key_free(a);
	unlink(path);
	snprintf(path, sizeof(path), "%s/signing.pub", dir);
	unlink(path);
	rmdir(dir);
}

static void test_keyring_finds_the_signing_key(void **state)
{
	struct buf st = BUF_INIT(1 << 16), bundle = BUF_INIT(1 << 16);
	struct sign_statement *s = malloc(sizeof(*s));
	struct sign_keyring ring;
	struct sign_key *pub = NULL;
	struct buf pem = BUF_INIT(4096);
	size_t which = 99;

	sign_statement_init(s);
	sign_keyring_init(&ring);
	assert_int_equal(sign_key_public_pem(other_key, &pem), 0);
	assert_int_equal(sign_key_from_public_pem(pem.data, pem.len, "o",
						  &pub), 0);
	assert_int_equal(sign_keyring_add(&ring, pub, "other.pub"), 0);
	assert_int_equal(sign_attest_digest(test_key, "m", DIGEST_A,
					    "https://x/v1", "{}", 2, &bundle),
			 0);
	assert_int_equal(sign_keyring_verify_attestation(&ring, bundle.data,
							 bundle.len, DIGEST_A,
							 NULL, s, &which),
			 ERR_DENIED);
	assert_string_equal(err_msg(), "attestation verifies with none of "
			    "the 1 trusted keys");
	buf_clear(&pem);
	assert_int_equal(sign_key_public_pem(test_key, &pem), 0);
	assert_int_equal(sign_key_from_public_pem(pem.data, pem.len, "t",
						  &pub), 0);
	assert_int_equal(sign_keyring_add(&ring, pub, "test.pub"), 0);
	assert_int_equal(sign_keyring_verify_attestation(&ring, bundle.data,
							 bundle.len, DIGEST_A,
							 NULL, s, &which), 0);
	assert_int_equal(which, 1);
	assert_int_equal(sign_keyring_verify_attestation(&ring, bundle.data,
							 bundle.len, DIGEST_B,
							 NULL, s, &which),
			 ERR_DIGEST);
	sign_keyring_release(&ring);
	sign_statement_release(s);
	free(s);
	buf_release(&st);
	buf_release(&bundle);
	buf_release(&pem);
}

static void test_keyring_dir_with_wrong_curve_fails(void **state)
{
	struct sign_keyring ring;
	char dir[4096];

	data_path("", dir, sizeof(dir));
	sign_keyring_init(&ring);
	/* tests/data/sign holds cosign.pub and the P-384 p384.pub. */
	assert_int_equal(sign_keyring_load_dir(&ring, dir), ERR_UNSUPPORTED);
	sign_keyring_release(&ring);
	assert_int_equal(ring.n, 0);
}

/* An in-memory blob store for sign_check_manifest(). */
struct mem_blobs {
	size_t n;
	char digest[4][DIGEST_STR_LEN];
	struct buf data[4];
};

static void mem_add(struct mem_blobs *m, const char *p, size_t len,
		    char digest[DIGEST_STR_LEN])
{
	sha256_digest_buf(p, len, digest);
	memcpy(m->digest[m->n], digest, DIGEST_STR_LEN);
	buf_init(&m->data[m->n], 1 << 20);
	assert_int_equal(buf_put(&m->data[m->n], p, len), 0);
	m->n++;
}

static void mem_release(struct mem_blobs *m)
{
	for (size_t i = 0; i < m->n; i++)
		buf_release(&m->data[i]);
}

static int mem_fetch(void *arg, const char *digest, uint64_t size,
		     size_t max, struct buf *out)
{
	struct mem_blobs *m = arg;

	for (size_t i = 0; i < m->n; i++) {
		if (strcmp(m->digest[i], digest))
			continue;
		if (m->data[i].len != size)
			return err_set(ERR_DIGEST, "size differs");
		buf_release(out);
		buf_init(out, max);
		return buf_put(out, m->data[i].data, m->data[i].len);
	}
	return err_set(ERR_NOTFOUND, "no blob %s", digest);
}

struct seen {
	int n, valid;
	int last_rc;
	char predicate_type[SIGN_PREDICATE_TYPE_MAX + 1];
	char reason[256];
	char key_name[64];
};

static void seen_record(const struct sign_record *r, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->valid += r->rc == 0;
	s->last_rc = r->rc;
	snprintf(s->predicate_type, sizeof(s->predicate_type), "%s",
		 r->predicate_type);
	snprintf(s->reason, sizeof(s->reason), "%s", r->reason);
	if (!r->rc)
		snprintf(s->key_name, sizeof(s->key_name), "%s", r->key_name);
}

static void ring_of(struct sign_key *k, struct sign_keyring *ring)
{
	struct buf pem = BUF_INIT(4096);
	struct sign_key *pub = NULL;

	sign_keyring_init(ring);
	assert_int_equal(sign_key_public_pem(k, &pem), 0);
	assert_int_equal(sign_key_from_public_pem(pem.data, pem.len, "k",
						  &pub), 0);
	assert_int_equal(sign_keyring_add(ring, pub, "k.pub"), 0);
	buf_release(&pem);
}

/* Add k's public half under the name "signer.pub". */
static void add_to_ring(struct sign_key *k, struct sign_keyring *ring)
{
	struct buf pem = BUF_INIT(4096);
	struct sign_key *pub = NULL;

	assert_int_equal(sign_key_public_pem(k, &pem), 0);
	assert_int_equal(sign_key_from_public_pem(pem.data, pem.len, "k",
						  &pub), 0);
	assert_int_equal(sign_keyring_add(ring, pub, "signer.pub"), 0);
	buf_release(&pem);
}

static void test_check_legacy_manifest(void **state)
{
	struct buf payload = BUF_INIT(4096), sig = BUF_INIT(512);
	struct buf m = BUF_INIT(8192);
	struct mem_blobs blobs = { 0 };
	struct sign_keyring ring;
	struct seen seen = { 0 };
	char pd[DIGEST_STR_LEN];
	char tag[] = "sha256-5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af"
		     "34d08286a2e846f6be03.sig";

	ring_of(other_key, &ring);
	add_to_ring(test_key, &ring);
	assert_int_equal(sign_image_payload(test_key, "r/m", DIGEST_A,
					    &payload, &sig), 0);
	mem_add(&blobs, payload.data, payload.len, pd);
	assert_int_equal(buf_printf(&m, "{\"schemaVersion\":2,\"layers\":["
		"{\"mediaType\":\"" SIGN_PAYLOAD_MEDIA_TYPE "\",\"size\":%zu,"
		"\"digest\":\"%s\",\"annotations\":{\""
		SIGN_COSIGN_SIG_ANNOTATION
		"\":\"%s\"}},{\"mediaType\":\"" SIGN_PAYLOAD_MEDIA_TYPE "\","
		"\"size\":%zu,\"digest\":\"%s\",\"annotations\":{\""
		SIGN_COSIGN_SIG_ANNOTATION "\":\"MEUCIQ==\"}}]}", payload.len,
		pd, sig.data, payload.len, pd), 0);
	assert_int_equal(sign_check_manifest(m.data, m.len, tag, &ring, NULL,
					     mem_fetch, &blobs, seen_record,
					     &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_int_equal(seen.valid, 1);
	assert_int_equal(seen.last_rc, ERR_INVALID);
	assert_string_equal(seen.key_name, "signer.pub");
	/* The same layers under another digest's tag sign the wrong thing. */
	memset(&seen, 0, sizeof(seen));
	tag[7] = '6';
	assert_int_equal(sign_check_manifest(m.data, m.len, tag, &ring, NULL,
					     mem_fetch, &blobs, seen_record,
					     &seen), 0);
	assert_int_equal(seen.valid, 0);
	/* Not a signature tag, not a referrer: nothing to report. */
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sign_check_manifest(m.data, m.len, "v1", &ring, NULL,
					     mem_fetch, &blobs, seen_record,
					     &seen), 0);
	assert_int_equal(seen.n, 0);
	sign_keyring_release(&ring);
	mem_release(&blobs);
	buf_release(&payload);
	buf_release(&sig);
	buf_release(&m);
}

static void referrer_for(const char *statement_digest, const char *subject,
			 struct mem_blobs *blobs, struct buf *m)
{
	struct buf bundle = BUF_INIT(1 << 16);
	char bd[DIGEST_STR_LEN];

	assert_int_equal(sign_attest_digest(test_key, "", statement_digest,
					    "https://x/v1", "{}", 2, &bundle),
			 0);
	mem_add(blobs, bundle.data, bundle.len, bd);
	assert_int_equal(buf_printf(m, "{\"schemaVersion\":2,\"artifactType\":"
		"\"" SIGN_BUNDLE_MEDIA_TYPE "\",\"layers\":[{\"mediaType\":\""
		SIGN_BUNDLE_MEDIA_TYPE "\",\"size\":%zu,\"digest\":\"%s\"}],"
		"\"subject\":{\"mediaType\":\"x\",\"size\":1,"
		"\"digest\":\"%s\"}}",
		bundle.len, bd, subject), 0);
	buf_release(&bundle);
}

static void test_check_bundle_referrer_subjects(void **state)
{
	struct buf m = BUF_INIT(8192);
	struct mem_blobs blobs = { 0 };
	struct sign_keyring ring;
	struct seen seen = { 0 };

	ring_of(test_key, &ring);
	referrer_for(DIGEST_A, DIGEST_A, &blobs, &m);
	assert_int_equal(sign_check_manifest(m.data, m.len, NULL, &ring, NULL,
					     mem_fetch, &blobs, seen_record,
					     &seen), 0);
	assert_int_equal(seen.valid, 1);
	assert_string_equal(seen.predicate_type, "https://x/v1");
	/* A statement about A attached to B is recorded as invalid. */
	buf_clear(&m);
	memset(&seen, 0, sizeof(seen));
	referrer_for(DIGEST_A, DIGEST_B, &blobs, &m);
	assert_int_equal(sign_check_manifest(m.data, m.len, NULL, &ring, NULL,
					     mem_fetch, &blobs, seen_record,
					     &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(seen.last_rc, ERR_DIGEST);
	assert_non_null(strstr(seen.reason, "subject digest mismatch"));
	sign_keyring_release(&ring);
	ring_of(other_key, &ring);
	buf_clear(&m);
	memset(&seen, 0, sizeof(seen));
	referrer_for(DIGEST_A, DIGEST_A, &blobs, &m);
	assert_int_equal(sign_check_manifest(m.data, m.len, NULL, &ring, NULL,
					     mem_fetch, &blobs, seen_record,
					     &seen), 0);
	assert_int_equal(seen.last_rc, ERR_DENIED);
	sign_keyring_release(&ring);
	mem_release(&blobs);
	buf_release(&m);
}

static void test_check_refuses_oversized_layer(void **state)
{
	static const char m[] = "{\"artifactType\":\"" SIGN_BUNDLE_MEDIA_TYPE
		"\",\"layers\":[{\"mediaType\":\"" SIGN_BUNDLE_MEDIA_TYPE "\","
		"\"size\":99999999999,\"digest\":\"" DIGEST_A "\"}],"
		"\"subject\":{\"digest\":\"" DIGEST_A "\"}}";
	struct mem_blobs blobs = { 0 };
	struct sign_keyring ring;
	struct seen seen = { 0 };

	ring_of(test_key, &ring);
	assert_int_equal(sign_check_manifest(m, strlen(m), NULL, &ring, NULL,
					     mem_fetch, &blobs, seen_record,
					     &seen), 0);
	assert_int_equal(seen.last_rc, ERR_LIMIT);
	sign_keyring_release(&ring);
}

static void test_check_legacy_attestation_manifest(void **state)
{
	struct buf st = BUF_INIT(1 << 16), env = BUF_INIT(1 << 16);
	struct buf m = BUF_INIT(8192);
	struct mem_blobs blobs = { 0 };
	struct sign_keyring ring;
	struct seen seen = { 0 };
	char ed[DIGEST_STR_LEN], subject[DIGEST_STR_LEN];
	char tag[] = "sha256-5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af"
		     "34d08286a2e846f6be03.att";

	assert_int_equal(sign_legacy_tag(tag, subject), SIGN_KIND_LEGACY_ATT);
	assert_string_equal(subject, DIGEST_A);
	assert_int_equal(sign_legacy_tag("sha256-abc.att", subject), 0);
	ring_of(test_key, &ring);
	statement_for(DIGEST_A, &st);
	assert_int_equal(sign_dsse_sign(test_key, SIGN_INTOTO_PAYLOAD_TYPE,
					st.data, st.len, &env), 0);
	mem_add(&blobs, env.data, env.len, ed);
	assert_int_equal(buf_printf(&m, "{\"layers\":[{\"mediaType\":\""
		SIGN_DSSE_MEDIA_TYPE "\",\"size\":%zu,\"digest\":\"%s\"}]}",
		env.len, ed), 0);
	assert_int_equal(sign_check_manifest(m.data, m.len, tag, &ring,
					     "https://x/v1", mem_fetch,
					     &blobs, seen_record, &seen), 0);
	assert_int_equal(seen.valid, 1);
	assert_string_equal(seen.predicate_type, "https://x/v1");
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(sign_check_manifest(m.data, m.len, tag, &ring,
					     "https://y/v1", mem_fetch,
					     &blobs, seen_record, &seen), 0);
	assert_int_equal(seen.last_rc, ERR_INVALID);
	sign_keyring_release(&ring);
	mem_release(&blobs);
	buf_release(&st);
	buf_release(&env);
	buf_release(&m);
}

static void scan_summary(struct sign_scan_summary *s)
{
	memset(s, 0, sizeof(*s));
	strcpy(s->verdict, "suspicious");
	s->counts[SIGN_SEV_HIGH] = 2;
	s->counts[SIGN_SEV_INFO] = 7;
	strcpy(s->scanner_version, "0.1.0");
	strcpy(s->advisory_db_version, "osv-2026-12-01");
	strcpy(s->scanned_at, "2026-12-04T16:00:00Z");
	s->findings_json = "[{\"rule\":\"pickle-global-denied\","
			   "\"severity\":\"high\"}]";
}

static void test_scan_attestation_round_trip(void **state)
{
	struct buf pred = BUF_INIT(1 << 16), bundle = BUF_INIT(1 << 16);
	struct sign_statement *st = malloc(sizeof(*st));
	struct sign_scan_summary in, out;

	sign_statement_init(st);
	scan_summary(&in);
	assert_int_equal(sign_scan_predicate_build(&in, &pred), 0);
	assert_int_equal(sign_attest_digest(test_key, "r/m", DIGEST_A,
					    SIGN_SCAN_PREDICATE_TYPE,
					    pred.data, pred.len, &bundle), 0);
	assert_int_equal(sign_verify_attestation(test_key, bundle.data,
						 bundle.len, DIGEST_A,
						 SIGN_SCAN_PREDICATE_TYPE,
						 st), 0);
	assert_int_equal(sign_scan_predicate_parse(st->predicate.data,
						   st->predicate.len, &out), 0);
	assert_string_equal(out.verdict, "suspicious");
	assert_int_equal(out.counts[SIGN_SEV_HIGH], 2);
	assert_int_equal(out.counts[SIGN_SEV_INFO], 7);
	assert_int_equal(out.nfindings, 1);
	assert_string_equal(out.advisory_db_version, "osv-2026-12-01");
	assert_string_equal(out.scanned_at, "2026-12-04T16:00:00Z");
	sign_statement_release(st);
	free(st);
	buf_release(&pred);
	buf_release(&bundle);
}

static void test_scan_predicate_refusals(void **state)
{
	struct buf pred = BUF_INIT(1 << 16);
	struct sign_scan_summary s, out;
	const char *bad;

	scan_summary(&s);
	strcpy(s.verdict, "fine");
	assert_int_equal(sign_scan_predicate_build(&s, &pred), ERR_INVALID);
	scan_summary(&s);
	strcpy(s.scanned_at, "2026-12-04 16:00:00");
	assert_int_equal(sign_scan_predicate_build(&s, &pred), ERR_INVALID);
	scan_summary(&s);
	s.findings_json = "{}";
	assert_int_equal(sign_scan_predicate_build(&s, &pred), ERR_INVALID);
	scan_summary(&s);
	assert_int_equal(sign_scan_predicate_build(&s, &pred), 0);
	bad = "{\"verdict\":\"clean\",\"counts\":{\"critical\":0,"
	      "\"high\":-1,\"medium\":0,\"low\":0,\"info\":0},"
	      "\"findings\":[],\"scanner\":{\"version\":\"1\"},"
	      "\"advisoryDatabase\":{\"version\":\"\"},"
	      "\"scannedAt\":\"2026-12-04T16:00:00Z\"}";
	assert_int_equal(sign_scan_predicate_parse(bad, strlen(bad), &out),
			 ERR_INVALID);
	assert_string_equal(err_msg(), "scan predicate: count 'high' is not "
			    "a non-negative integer");
	buf_release(&pred);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_b64_round_trip_all_lengths),
		cmocka_unit_test(test_b64_truncated_refused),
		cmocka_unit_test(test_b64_bad_forms_refused),
		cmocka_unit_test(test_dsse_pae_vectors),
		cmocka_unit_test(test_key_encrypt_decrypt_round_trip),
		cmocka_unit_test(test_key_reads_cosign_key_file),
		cmocka_unit_test(test_keyfile_bad_params_refused),
		cmocka_unit_test(test_key_wrong_curve_refused),
		cmocka_unit_test(test_key_hint_matches_cosign),
		cmocka_unit_test(test_ecdsa_noncanonical_der_refused),
		cmocka_unit_test(test_dsse_sign_verify_and_tamper),
		cmocka_unit_test(test_dsse_signature_over_other_pae_refused),
		cmocka_unit_test(test_dsse_malformed_envelopes_refused),
		cmocka_unit_test(test_payload_matches_cosign_layout),
		cmocka_unit_test(test_image_signature_digest_mismatch),
		cmocka_unit_test(test_attestation_round_trip_and_subject),
		cmocka_unit_test(test_attestation_wrong_payload_type_refused),
		cmocka_unit_test(test_statement_refuses_bad_documents),
		cmocka_unit_test(test_bundle_verifies_cosign_bundles),
		cmocka_unit_test(test_bundle_refuses_bad_shapes),
		cmocka_unit_test(test_service_key_created_then_reloaded),
		cmocka_unit_test(test_keyring_finds_the_signing_key),
		cmocka_unit_test(test_keyring_dir_with_wrong_curve_fails),
		cmocka_unit_test(test_check_legacy_manifest),
		cmocka_unit_test(test_check_bundle_referrer_subjects),
		cmocka_unit_test(test_check_refuses_oversized_layer),
		cmocka_unit_test(test_check_legacy_attestation_manifest),
		cmocka_unit_test(test_scan_attestation_round_trip),
		cmocka_unit_test(test_scan_predicate_refusals),
	};

	return cmocka_run_group_tests(tests, keys_setup, keys_teardown);
}

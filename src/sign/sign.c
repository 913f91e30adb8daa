/* Signing and verification of images and attestations; see sign.h. */
#include "sign/sign.h"
#include "sign/b64.h"
#include "sign/dsse.h"
#include "sign/sjson.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int sign_image_payload(const struct sign_key *key, const char *ref_name,
		       const char *digest, struct buf *payload,
		       struct buf *sig_b64)
{
	struct buf sig = BUF_INIT(SIGN_SIG_MAX);
	size_t start = payload->len;
	int rc;

	rc = sign_payload_build(ref_name, digest, payload);
	if (!rc)
		rc = sign_ecdsa_sign_bytes(key, payload->data + start,
					   payload->len - start, &sig);
	if (!rc)
		rc = sign_b64_encode(sig.data, sig.len, sig_b64);
	buf_release(&sig);
	return rc;
}

int sign_verify_image_payload(const struct sign_key *key,
			      const void *payload, size_t payload_len,
			      const char *sig_b64, size_t sig_len,
			      const char *digest, struct sign_payload *out)
{
	struct buf sig = BUF_INIT(SIGN_SIG_MAX);
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sign_b64_decode(sig_b64, sig_len, &sig, "signature");
	if (!rc)
		rc = sign_ecdsa_verify_bytes(key, payload, payload_len,
					     sig.data, sig.len);
	buf_release(&sig);
	if (rc)
		return rc;
	/* Only now, and only these bytes, are read as a payload. */
	rc = sign_payload_parse(payload, payload_len, out);
	if (!rc && strcmp(out->digest, digest))
		rc = err_set(ERR_DIGEST, "signed payload names %s, not %s",
			     out->digest, digest);
	return rc;
}

int sign_attestation(const struct sign_key *key, const void *statement,
		     size_t len, struct buf *bundle_json)
{
	struct sign_statement *st = malloc(sizeof(*st));
	int rc;

	if (!st)
		return err_set(ERR_NOMEM, "out of memory for statement");
	sign_statement_init(st);
	rc = sign_statement_parse(statement, len, st);
	sign_statement_release(st);
	free(st);
	if (rc)
		return rc;
	return sign_bundle_dsse(key, SIGN_INTOTO_PAYLOAD_TYPE, statement,
				len, bundle_json);
}

int sign_attest_digest(const struct sign_key *key, const char *name,
		       const char *digest, const char *predicate_type,
		       const void *predicate, size_t len,
		       struct buf *bundle_json)
{
	struct buf st = BUF_INIT(SIGN_JSON_MAX);
	struct sign_subject subj;
	int rc;

	memset(&subj, 0, sizeof(subj));
	if (strlen(name) > SIGN_SUBJECT_NAME_MAX ||
	    strlen(digest) >= sizeof(subj.digest))
		return err_set(ERR_INVALID, "subject name or digest too long");
	strcpy(subj.name, name);
	strcpy(subj.digest, digest);
	rc = sign_statement_build(&subj, 1, predicate_type, predicate, len,
				  &st);
	if (!rc)
		rc = sign_attestation(key, st.data, st.len, bundle_json);
	buf_release(&st);
	return rc;
}

/* A bundle has "mediaType"; a bare envelope has "payloadType". */
static int attestation_is_bundle(const void *doc, size_t len, bool *bundle)
{
	json_t *root;
	int rc = sign_json_load(doc, len, "attestation", &root);

	if (rc)
		return rc;
	*bundle = json_object_get(root, "mediaType") != NULL;
	json_decref(root);
	return 0;
}

static int attestation_verified_payload(const struct sign_key *key,
					const void *doc, size_t len,
					struct buf *payload)
{
	struct sign_bundle *b = malloc(sizeof(*b));
	bool is_bundle = false;
	int rc;

	if (!b)
		return err_set(ERR_NOMEM, "out of memory for bundle");
	sign_bundle_init(b);
	rc = attestation_is_bundle(doc, len, &is_bundle);
	if (!rc && is_bundle)
		rc = sign_bundle_parse(doc, len, b);
	if (!rc && is_bundle)
		rc = sign_bundle_verify_dsse(b, key, SIGN_INTOTO_PAYLOAD_TYPE);
	if (!rc && !is_bundle)
		rc = sign_dsse_parse(doc, len, &b->dsse);
	if (!rc && !is_bundle)
		rc = sign_dsse_verify(&b->dsse, key, SIGN_INTOTO_PAYLOAD_TYPE);
	if (!rc)
		rc = buf_put(payload, b->dsse.payload.data,
			     b->dsse.payload.len);
	sign_bundle_release(b);
	free(b);
	return rc;
}

int sign_verify_attestation(const struct sign_key *key, const void *doc,
			    size_t len, const char *digest,
			    const char *predicate_type,
			    struct sign_statement *st)
{
	struct buf payload = BUF_INIT(SIGN_JSON_MAX);
	int rc;

	rc = attestation_verified_payload(key, doc, len, &payload);
	if (!rc)
		rc = sign_statement_parse(payload.data, payload.len, st);
	buf_release(&payload);
	if (rc)
		return rc;
	rc = sign_statement_check_subject(st, digest);
	if (!rc && predicate_type &&
	    strcmp(st->predicate_type, predicate_type))
		rc = err_set(ERR_INVALID, "attestation predicate type '%s' is "
			     "not '%s'", st->predicate_type, predicate_type);
	return rc;
}

int sign_hash_file(const char *path, uint8_t hash[SHA256_LEN])
{
	char chunk[1 << 16];
	struct sha256 h;
	ssize_t n;
	int fd, rc;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_setsys(errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
				  errno, "cannot open '%s'", path);
	rc = sha256_init(&h);
	while (!rc && (n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			rc = err_setsys(ERR_IO, errno, "cannot read '%s'",
					path);
		else
			sha256_update(&h, chunk, (size_t)n);
	}
	if (rc)
		sha256_release(&h);
	else
		sha256_final(&h, hash);
	close(fd);
	return rc;
}

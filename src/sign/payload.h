/* The simple-signing payload cosign signs for a container image. */
#ifndef STELE_SIGN_PAYLOAD_H
#define STELE_SIGN_PAYLOAD_H

#include <stddef.h>

#include "util/buf.h"
#include "util/sha256.h"

#define SIGN_PAYLOAD_TYPE "cosign container image signature"
#define SIGN_PAYLOAD_MEDIA_TYPE \
	"application/vnd.dev.cosign.simplesigning.v1+json"
#define SIGN_PAYLOAD_MAX (64u * 1024)
#define SIGN_PAYLOAD_REF_MAX 512

struct sign_payload {
	char reference[SIGN_PAYLOAD_REF_MAX + 1]; /* docker-reference */
	char digest[DIGEST_STR_LEN];              /* docker-manifest-digest */
};

/*
 * Append the payload for reference (the repository name, as cosign puts
 * it in "docker-reference") and the manifest digest:
 * {"critical":{"identity":{"docker-reference":R},"image":
 * {"docker-manifest-digest":D},"type":"cosign container image
 * signature"},"optional":null}. ERR_INVALID for a bad digest.
 */
int sign_payload_build(const char *reference, const char *digest,
		       struct buf *out);

/*
 * Parse payload bytes (call only on bytes whose signature verified).
 * The critical type must be the cosign one and the digest a valid sha256
 * digest; "optional" may be null or an object, its content is not used.
 */
int sign_payload_parse(const void *p, size_t n, struct sign_payload *out);

#endif

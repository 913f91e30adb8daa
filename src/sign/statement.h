/* in-toto Statement v1: what an attestation says about which artifacts. */
#ifndef STELE_SIGN_STATEMENT_H
#define STELE_SIGN_STATEMENT_H

#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/sha256.h"

#define SIGN_STATEMENT_TYPE_V1 "https://in-toto.io/Statement/v1"
/* Still written by cosign attest; accepted when reading. */
#define SIGN_STATEMENT_TYPE_V01 "https://in-toto.io/Statement/v0.1"
#define SIGN_STATEMENT_MAX_SUBJECTS 64
#define SIGN_SUBJECT_NAME_MAX 512
#define SIGN_PREDICATE_TYPE_MAX 512

struct sign_subject {
	char name[SIGN_SUBJECT_NAME_MAX + 1];
	char digest[DIGEST_STR_LEN]; /* "sha256:<hex>", "" when none */
};

/* A parsed statement; release with sign_statement_release (NULL-safe). */
struct sign_statement {
	char predicate_type[SIGN_PREDICATE_TYPE_MAX + 1];
	size_t nsubjects;
	struct sign_subject subjects[SIGN_STATEMENT_MAX_SUBJECTS];
	struct buf predicate; /* compact JSON of "predicate", "" if absent */
};

void sign_statement_init(struct sign_statement *st);
void sign_statement_release(struct sign_statement *st);

/*
 * Append a v1 statement: {"_type","subject":[{"name","digest":{"sha256"}}],
 * "predicateType","predicate"}. predicate is JSON text that must be one
 * object (duplicate keys refused), or NULL to leave it out. Subjects need
 * valid sha256 digests; an empty name is left out.
 */
int sign_statement_build(const struct sign_subject *subjects, size_t n,
			 const char *predicate_type, const void *predicate,
			 size_t predicate_len, struct buf *out);

/*
 * Parse statement bytes (only bytes whose signature verified). _type must
 * be v1 or v0.1, subjects 1..SIGN_STATEMENT_MAX_SUBJECTS each with a
 * digest object of strings, a "sha256" one valid hex; predicateType a
 * non-empty string. st is reset first.
 */
int sign_statement_parse(const void *p, size_t n, struct sign_statement *st);

/* 0 when a subject has digest; ERR_DIGEST naming the digest otherwise. */
int sign_statement_check_subject(const struct sign_statement *st,
				 const char *digest);

/*
 * The predicate type for a cosign --type shorthand ("slsaprovenance",
 * "slsaprovenance1", "vuln", "spdxjson", "cyclonedx", "link", "openvex",
 * "custom"), or type itself when it is already a URI.
 */
const char *sign_predicate_type(const char *type);

#endif

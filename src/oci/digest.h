/* Validation of OCI digest strings; only sha256 is accepted. */
#ifndef STELE_OCI_DIGEST_H
#define STELE_OCI_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "util/sha256.h"

/*
 * True when s is exactly "sha256:" followed by 64 lower-case hex digits.
 * Anything else (other algorithms, upper case, wrong length, separators,
 * path characters) is refused: digests are used to build file paths.
 */
bool oci_digest_valid(const char *s);

/* Same check on a counted string (not NUL-terminated). */
bool oci_digest_validn(const char *s, size_t n);

/*
 * Check s and report why it is refused: ERR_UNSUPPORTED for a well-formed
 * digest of another algorithm, ERR_INVALID otherwise.
 */
int oci_digest_check(const char *s);

/* The 64-hex part of a valid digest. */
static inline const char *oci_digest_hex(const char *digest)
{
	return digest + 7;
}

#endif

/* Strict standard base64 (RFC 4648 section 4) for the signature formats. */
#ifndef STELE_SIGN_B64_H
#define STELE_SIGN_B64_H

#include <stddef.h>

#include "util/buf.h"

/*
 * Append the padded base64 encoding of n bytes to out.
 * Returns ERR_LIMIT when out's maximum would be passed.
 */
int sign_b64_encode(const void *p, size_t n, struct buf *out);

/*
 * Decode exactly n characters of padded standard base64 into out (which is
 * cleared first). Refused with ERR_INVALID and a reason naming what (for
 * example "signature") and the byte offset: a length that is not a
 * multiple of 4 (truncated input), characters outside the alphabet,
 * padding anywhere but the end, and non-zero bits in the last character
 * (a non-canonical encoding, which would let two texts mean one value).
 */
int sign_b64_decode(const char *s, size_t n, struct buf *out,
		    const char *what);

#endif

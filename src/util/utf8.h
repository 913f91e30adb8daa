/* Strict UTF-8 decoding (no overlong forms, surrogates or values past
 * U+10FFFF), shared by everything that must tell text from bytes. */
#ifndef STELE_UTIL_UTF8_H
#define STELE_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode one code point from s (n bytes available). Returns its length
 * (1-4) and stores it in *cp, or 0 when the bytes are not valid UTF-8. */
size_t utf8_decode(const uint8_t *s, size_t n, uint32_t *cp);

/* Copy at most max bytes of s into a new string, replacing each invalid
 * byte with '?'. Returns NULL when out of memory. */
char *utf8_sanitize(const char *s, size_t max);

#endif

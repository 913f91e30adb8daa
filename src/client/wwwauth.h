/* Strict, bounded parser for the WWW-Authenticate header (RFC 7235). */
#ifndef STELE_CLIENT_WWWAUTH_H
#define STELE_CLIENT_WWWAUTH_H

#include <stddef.h>

#define WWWAUTH_HEADER_MAX 4096 /* longer header values are refused */
#define WWWAUTH_PARAMS_MAX 16   /* auth-params in one challenge */
#define WWWAUTH_CHALLENGES_MAX 8
#define WWWAUTH_VALUE_MAX 1024  /* one parameter value, unescaped */

enum wwwauth_scheme {
	WWWAUTH_NONE = 0,
	WWWAUTH_BASIC,
	WWWAUTH_BEARER,
};

/*
 * The challenge stele acts on. When the header carries several, Bearer
 * wins over Basic; other schemes are skipped. Absent parameters are "".
 */
struct wwwauth {
	enum wwwauth_scheme scheme;
	char realm[WWWAUTH_VALUE_MAX + 1];
	char service[WWWAUTH_VALUE_MAX + 1];
	char scope[WWWAUTH_VALUE_MAX + 1];
	char error[WWWAUTH_VALUE_MAX + 1];
};

/*
 * Parse len bytes of a header value (no "WWW-Authenticate:" prefix).
 * Returns 0, ERR_INVALID with the byte offset of a syntax error (also for
 * a parameter given twice in one challenge), ERR_LIMIT when a named limit
 * is reached, or ERR_UNSUPPORTED when no Basic or Bearer challenge is
 * present. A Bearer challenge without a realm is ERR_INVALID.
 */
int wwwauth_parse(const char *s, size_t len, struct wwwauth *out);

#endif

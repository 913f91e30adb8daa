/* Digest grammar from the OCI image spec, restricted to sha256. */
#include "oci/digest.h"
#include "util/err.h"

#include <string.h>

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool oci_digest_validn(const char *s, size_t n)
{
	if (n != 7 + SHA256_HEX_LEN || memcmp(s, "sha256:", 7))
		return false;
	for (size_t i = 7; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

bool oci_digest_valid(const char *s)
{
	return s && oci_digest_validn(s, strlen(s));
}

/* algorithm ::= component ([+._-] component)*, component ::= [a-z0-9]+ */
static bool algorithm_valid(const char *s, size_t n)
{
	bool prev_sep = true;

	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

		if (alnum) {
			prev_sep = false;
			continue;
		}
		if (!strchr("+._-", c) || prev_sep)
			return false;
		prev_sep = true;
	}
	return !prev_sep;
}

static bool encoded_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++) {
		char c = *s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '=' || c == '_' ||
		      c == '-'))
			return false;
	}
	return true;
}

int oci_digest_check(const char *s)
{
	const char *colon;

	if (!s)
		return err_set(ERR_INVALID, "missing digest");
	if (oci_digest_valid(s))
		return 0;
	colon = strchr(s, ':');
	if (colon && algorithm_valid(s, (size_t)(colon - s)) &&
	    encoded_valid(colon + 1) && strncmp(s, "sha256:", 7))
		return err_set(ERR_UNSUPPORTED,
			       "unsupported digest algorithm in '%.80s'", s);
	return err_set(ERR_INVALID, "invalid digest '%.80s'", s);
}

/* Tag rules for immutable versions and reserved environment names. */
#include "server/http.h"

#include <string.h>

/* Digits without a leading zero (semver 2.0 numeric identifier). */
static const char *numeric(const char *p)
{
	if (*p == '0')
		return p[1] >= '0' && p[1] <= '9' ? NULL : p + 1;
	if (*p < '1' || *p > '9')
		return NULL;
	while (*p >= '0' && *p <= '9')
		p++;
	return p;
}

bool policy_is_version(const char *tag)
{
	const char *p = tag;

	if (*p == 'v')
		p++;
	for (int part = 0; part < 3; part++) {
		p = numeric(p);
		if (!p)
			return false;
		if (part < 2 && *p++ != '.')
			return false;
	}
	if (*p == '\0')
		return true;
	/* Pre-release: '-' then dot-separated [0-9A-Za-z-] identifiers;
	 * '+' build metadata cannot appear in a tag. */
	if (*p++ != '-' || !*p)
		return false;
	for (bool empty = true; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (empty)
				return false;
			if (*p == '\0')
				return true;
			empty = true;
			continue;
		}
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= 'A' && *p <= 'Z') || *p == '-'))
			return false;
		empty = false;
	}
}

bool policy_is_environment(const struct server_config *c, const char *tag)
{
	for (int i = 0; i < c->nenvironments; i++)
		if (!strcmp(c->environments[i], tag))
			return true;
	return false;
}

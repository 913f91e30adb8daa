/* Fuzz target: WWW-Authenticate header parsing. */
#include "fuzz.h"

#include <string.h>

#include "client/wwwauth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wwwauth wa;

	if (wwwauth_parse((const char *)data, size, &wa) == 0) {
		/* A success always yields a scheme and bounded strings. */
		if (wa.scheme == WWWAUTH_NONE ||
		    strlen(wa.realm) > WWWAUTH_VALUE_MAX ||
		    strlen(wa.scope) > WWWAUTH_VALUE_MAX ||
		    (wa.scheme == WWWAUTH_BEARER && !wa.realm[0]))
			__builtin_trap();
	}
	return 0;
}

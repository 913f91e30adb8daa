/* Fuzz target: KServe storage URI parsing. */
#include "fuzz.h"

#include <string.h>

#include "initializer/uri.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[2048];
	struct oci_ref ref;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (init_uri_parse(s, "registry.local:5000", &ref) == 0 &&
	    (!ref.host[0] || (!ref.tag[0] && !ref.digest[0])))
		__builtin_trap();
	return 0;
}

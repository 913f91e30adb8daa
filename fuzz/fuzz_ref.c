/* Fuzz target: reference and digest parsing. */
#include "fuzz.h"

#include <string.h>

#include "oci/digest.h"
#include "oci/ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[1024], out[1024];
	struct oci_ref ref, again;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	oci_digest_check(s);
	if (oci_ref_parse(s, &ref) == 0) {
		/* A parsed reference must format and parse to itself. */
		if (oci_ref_format(&ref, out, sizeof(out)) ||
		    oci_ref_parse(out, &again) ||
		    memcmp(&ref, &again, sizeof(ref)))
			__builtin_trap();
	}
	return 0;
}

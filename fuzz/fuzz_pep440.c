/* Fuzz target: PEP 440 versions and specifier sets. */
#include "fuzz.h"

#include <string.h>

#include "vuln/pep440.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[600], out[PEP440_MAX_LEN * 2];
	struct pep440_version v, again;
	struct pep440_specset set;
	struct pep440_bound lo, hi;

	if (size >= sizeof(s))
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (pep440_parse(s, &v) == 0) {
		/* A normalised version parses to an equal version. */
		if (pep440_format(&v, out, sizeof(out)) ||
		    pep440_parse(out, &again) || pep440_cmp(&v, &again))
			__builtin_trap();
	}
	if (pep440_specset_parse(s, &set) == 0) {
		pep440_specset_contains(&set, &v, true);
		pep440_specset_bounds(&set, &lo, &hi);
	}
	return 0;
}

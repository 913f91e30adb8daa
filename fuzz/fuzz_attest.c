/* Fuzz target: reading the registry's attestation predicates. */
#include "fuzz.h"

#include "gov/attest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct attest_scan s;
	struct attest_approval a;
	struct attest_promotion p;
	const char *j = (const char *)data;

	attest_scan_parse(j, size, &s);
	attest_approval_parse(j, size, &a);
	attest_promotion_parse(j, size, &p);
	return 0;
}

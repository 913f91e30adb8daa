/* Fuzz target: policy configuration parsing. */
#include "fuzz.h"

#include "gov/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct policy *p;

	if (policy_parse((const char *)data, size, "fuzz", &p) == 0)
		policy_free(p);
	return 0;
}

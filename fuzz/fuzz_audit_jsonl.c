/* Fuzz target: verifying an audit export (JSON Lines). */
#include "fuzz.h"

#include <stdio.h>

#include "gov/audit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	FILE *f;
	int64_t n;

	if (size == 0)
		return 0;
	f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (!f)
		return 0;
	audit_verify_jsonl(f, "fuzz", &n);
	fclose(f);
	return 0;
}

/* Fuzz target: the scan findings JSON governance reads from the scans
 * table. */
#include "fuzz.h"

#include "gov/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gov_scan s = { 0 };

	gov_scan_findings_parse((const char *)data, size, &s);
	gov_scan_release(&s);
	return 0;
}

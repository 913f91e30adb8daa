/* Fuzz target: content sniffing and the pickle analyser on any bytes. */
#include "fuzz.h"

#include <stdlib.h>

#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_report *r = scan_report_new();
	struct scan_opts o = { 0 };
	char *out = NULL;

	if (!r)
		return 0;
	if (scan_buffer(r, data, size, "fuzz.pkl", &o) == 0) {
		/* Every report must render; a verdict must exist. */
		if (scan_report_render(r, SCAN_FORMAT_SARIF, &out))
			__builtin_trap();
		(void)scan_report_verdict(r);
	}
	free(out);
	scan_report_free(r);
	return 0;
}

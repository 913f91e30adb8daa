/* Fuzz target: the ONNX and SavedModel protobuf walkers (by name hint). */
#include "fuzz.h"

#include <stdlib.h>

#include "scan/scan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_report *r = scan_report_new();
	struct scan_opts o = { 0 };
	const char *name;

	if (!r || !size) {
		scan_report_free(r);
		return 0;
	}
	/* The first byte picks the reading; the rest is the file. */
	name = data[0] & 1 ? "saved_model.pb" : "model.onnx";
	scan_buffer(r, data + 1, size - 1, name, &o);
	scan_report_free(r);
	return 0;
}

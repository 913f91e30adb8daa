/* Fuzz target: the Keras model-config walker on arbitrary JSON text. */
#include "fuzz.h"

#include "scan/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_report *r = scan_report_new();
	struct scan_file *f = r ? scan_add_file(r, "config.json", "keras") :
			      NULL;

	if (f)
		scan_fmt_keras_config(r, f, (const char *)data, size);
	scan_report_free(r);
	return 0;
}

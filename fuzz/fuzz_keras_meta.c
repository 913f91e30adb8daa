/* Fuzz target: the keras_metadata.pb analyser on arbitrary file contents. */
#include "fuzz.h"
#include "fuzz_fd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_fd_run(data, size, scan_fmt_keras_metadata);
	return 0;
}

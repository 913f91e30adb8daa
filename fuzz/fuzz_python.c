/* Fuzz target: the python analyser on arbitrary file contents. */
#include "fuzz.h"
#include "fuzz_fd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_fd_run(data, size, scan_fmt_python);
	return 0;
}

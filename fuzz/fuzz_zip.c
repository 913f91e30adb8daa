/* Fuzz target: the zip reader, fed through a seekable descriptor. */
#include "fuzz.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "scan/engine.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_report *r = scan_report_new();
	struct scan_opts o = { 0 };
	struct scan_ctx c = { .r = r, .o = &o };
	struct scan_file *f;
	int fd;

	if (!r)
		return 0;
	fd = memfd_create("fuzz-zip", MFD_CLOEXEC);
	if (fd >= 0 && write(fd, data, size) == (ssize_t)size) {
		f = scan_add_file(r, "fuzz.zip", "zip");
		if (f)
			scan_zip(&c, fd, size, f, 0);
	}
	if (fd >= 0)
		close(fd);
	scan_report_free(r);
	return 0;
}

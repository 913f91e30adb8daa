/* An in-memory file (memfd) per fuzz input, so fd-based analysers run on
 * exactly the fuzzer's bytes. */
#include "fuzz_fd.h"

#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/fs.h"

void fuzz_fd_run(const uint8_t *data, size_t size,
		 int (*analyse)(struct scan_report *, struct scan_file *, int,
				uint64_t))
{
	struct scan_report *r;
	struct scan_file *f;
	int fd;

	fd = memfd_create("fuzz", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size && fs_write_all(fd, data, size, "fuzz"))
		abort();
	r = scan_report_new();
	f = r ? scan_add_file(r, "fuzz/input", "fuzz") : NULL;
	if (f)
		analyse(r, f, fd, size);
	scan_report_free(r);
	close(fd);
}

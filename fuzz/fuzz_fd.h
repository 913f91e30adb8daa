/* Fuzz inputs as file descriptors, for analysers that read with pread(). */
#ifndef STELE_FUZZ_FD_H
#define STELE_FUZZ_FD_H

#include <stddef.h>
#include <stdint.h>

#include "scan/formats.h"

/* Run analyse() on data through an in-memory file; the report and file
 * record are made and freed here. */
void fuzz_fd_run(const uint8_t *data, size_t size,
		 int (*analyse)(struct scan_report *, struct scan_file *, int,
				uint64_t));

#endif

/* Fuzz target: requirements files (with includes) and PEP 508 lines. */
#include "fuzz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/fs.h"
#include "vuln/deps.h"

static char dir[] = "/tmp/stele-fuzz-reqs-XXXXXX";

static void cleanup(void)
{
	fs_remove_tree(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct vuln_deps d = { 0 };
	struct vuln_req req;
	char path[64], line[512];
	FILE *f;

	if (!ready) {
		if (!mkdtemp(dir))
			return 0;
		atexit(cleanup);
		ready = 1;
	}
	snprintf(path, sizeof(path), "%s/requirements.txt", dir);
	f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	/* The file may include itself or siblings: cycles must end. */
	vuln_deps_requirements(&d, dir, "requirements.txt");
	vuln_deps_release(&d);
	if (size < sizeof(line)) {
		memcpy(line, data, size);
		line[size] = '\0';
		vuln_req_parse(line, &req);
	}
	return 0;
}

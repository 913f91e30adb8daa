/* Fuzz target: the server's validation of pushed manifests. */
#include "fuzz.h"

#include "server/validate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mcheck m;
	static const char *const types[] = {
		NULL, MT_OCI_MANIFEST, MT_OCI_INDEX, MT_DOCKER_MANIFEST,
	};

	if (mcheck_parse((const char *)data, size, types[size % 4], &m) == 0 &&
	    (!m.media_type[0] || m.nrefs < 0))
		__builtin_trap();
	mcheck_release(&m);
	return 0;
}

/* Fuzz target: manifest parsing, classification and re-serialisation. */
#include "fuzz.h"

#include <string.h>

#include "oci/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_manifest *m, *again;
	struct oci_layer_info info;
	struct buf out = BUF_INIT(2 * OCI_MANIFEST_MAX);

	if (oci_manifest_parse((const char *)data, size, &m))
		return 0;
	oci_manifest_format(m);
	for (size_t i = 0; i < m->n_layers; i++)
		oci_layer_classify(&m->layers[i], &info);
	/* What we accept we must be able to write and read back. */
	if (oci_manifest_to_json(m, &out) ||
	    oci_manifest_parse(out.data, out.len, &again))
		__builtin_trap();
	if (again->n_layers != m->n_layers ||
	    strcmp(again->config.digest, m->config.digest))
		__builtin_trap();
	oci_manifest_free(again);
	oci_manifest_free(m);
	buf_release(&out);
	return 0;
}

/* Fuzz target: OSV records as JSON and as YAML, then range walking. */
#include "fuzz.h"

#include <stdlib.h>

#include "vuln/osv.h"

static void exercise(const struct osv_record *r)
{
	struct pep440_version v;
	struct osv_interval *iv;
	size_t n;

	pep440_parse("1.0", &v);
	osv_record_group(r);
	for (size_t i = 0; i < r->n_aff; i++) {
		if (osv_intervals(&r->aff[i], &iv, &n))
			continue;
		osv_affects(&r->aff[i], iv, n, &v);
		free(iv);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct osv_record *r = NULL;

	if (osv_parse_json((const char *)data, size, "fuzz", &r) == 0)
		exercise(r);
	osv_record_free(r);
	r = NULL;
	if (osv_parse_yaml((const char *)data, size, "fuzz", &r) == 0)
		exercise(r);
	osv_record_free(r);
	return 0;
}

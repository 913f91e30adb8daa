/* Fuzz target: content sniffing and the pickle analyser on any bytes,
 * with and without digests (skips seeked instead of read): the two
 * reports must agree. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "scan/scan.h"

static struct scan_report *scan_once(const uint8_t *data, size_t size,
				     bool no_digest)
{
	struct scan_report *r = scan_report_new();
	struct scan_opts o = { .no_digest = no_digest };

	if (r && scan_buffer(r, data, size, "fuzz.pkl", &o)) {
		scan_report_free(r);
		return NULL;
	}
	return r;
}

/* Same verdict, findings and file records, digests aside. */
static bool same_report(const struct scan_report *a,
			const struct scan_report *b)
{
	size_t n = scan_report_n_findings(a);

	if (scan_report_verdict(a) != scan_report_verdict(b) ||
	    n != scan_report_n_findings(b) ||
	    scan_report_n_files(a) != scan_report_n_files(b))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(scan_report_finding(a, i)->rule,
			   scan_report_finding(b, i)->rule))
			return false;
	for (size_t i = 0; i < scan_report_n_files(a); i++) {
		const struct scan_file *fa = scan_report_file(a, i);
		const struct scan_file *fb = scan_report_file(b, i);

		if (fa->size != fb->size || fa->complete != fb->complete ||
		    fb->sha256[0])
			return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_report *r = scan_once(data, size, false);
	struct scan_report *nd = NULL;
	char *out = NULL;

	if (r) {
		/* Every report must render; a verdict must exist. */
		if (scan_report_render(r, SCAN_FORMAT_SARIF, &out))
			__builtin_trap();
		nd = scan_once(data, size, true);
		if (nd && !same_report(r, nd))
			__builtin_trap();
	}
	free(out);
	scan_report_free(nd);
	scan_report_free(r);
	return 0;
}

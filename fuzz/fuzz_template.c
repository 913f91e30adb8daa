/* Fuzz target: chat-template and text checks on arbitrary bytes. */
#include "fuzz.h"

#include "scan/fmt_util.h"
#include "scan/formats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_report *r = scan_report_new();
	struct scan_file *f = r ? scan_add_file(r, "t.jinja", "template") :
			      NULL;

	if (f) {
		scan_fmt_template_text(r, f, (const char *)data, size, 0);
		scan_fmt_check_text(r, f, (const char *)data, size, 0,
				    SCAN_TEXT_DOC);
	}
	scan_report_free(r);
	return 0;
}

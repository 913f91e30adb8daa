/* Names of severities and verdicts, shared by scanners and policy. */
#include "scan/scan.h"
#include "util/err.h"

#include <string.h>

static const char *const scan_severity_names[] = {
	"info", "low", "medium", "high", "critical",
};

const char *scan_severity_name(enum scan_severity s)
{
	if ((unsigned)s > SCAN_CRITICAL)
		return "unknown";
	return scan_severity_names[s];
}

int scan_severity_parse(const char *s, enum scan_severity *out)
{
	for (int i = 0; i <= SCAN_CRITICAL; i++) {
		if (!strcmp(s, scan_severity_names[i])) {
			*out = (enum scan_severity)i;
			return 0;
		}
	}
	return err_set(ERR_INVALID, "unknown severity '%s' (critical, high, "
		       "medium, low, info)", s);
}

const char *scan_verdict_name(enum scan_verdict v)
{
	switch (v) {
	case SCAN_CLEAN: return "clean";
	case SCAN_SUSPICIOUS: return "suspicious";
	case SCAN_MALICIOUS: return "malicious";
	case SCAN_INCOMPLETE: return "incomplete";
	}
	return "incomplete";
}

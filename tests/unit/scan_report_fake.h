/* Test access to the findings of the fake scan report. */
#ifndef STELE_TESTS_SCAN_REPORT_FAKE_H
#define STELE_TESTS_SCAN_REPORT_FAKE_H

#include <stddef.h>

#include "scan/scan.h"

/* The findings added so far, in order; *n gets their count. */
const struct scan_finding *scan_fake_findings(const struct scan_report *r,
					      size_t *n);

#endif

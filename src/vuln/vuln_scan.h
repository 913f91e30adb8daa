/* Dependency vulnerabilities as scan findings (see scan/scan.h). */
#ifndef STELE_VULN_VULN_SCAN_H
#define STELE_VULN_VULN_SCAN_H

#include "scan/scan.h"
#include "vuln/match.h"
#include "vuln/vulndb.h"

/*
 * Read every dependency file under dir, match it against db and add to r:
 * one file record per dependency file (incomplete when part of it could
 * not be read, with the reason) and one finding per issue and dependency,
 * rule "dep-vulnerable" for a pinned version an advisory affects and
 * "dep-range-vulnerable" for a range admitting an affected version. Paths
 * are relative to dir. Returns 0 or the failure of the walk or database.
 */
int vuln_scan_dir(struct vuln_db *db, const char *dir,
		  struct scan_report *r);

/*
 * Without advisories to match against: read every dependency file under
 * dir and add its file record, incomplete with the reason why, so a scan
 * never reports unchecked dependencies as clean. No findings are added.
 */
int vuln_scan_dir_unchecked(const char *dir, const char *why,
			    struct scan_report *r);

/*
 * Add what vuln_check_dir() found to r: a file record per dependency file
 * of deps (NULL: none) and a finding per entry of f.
 */
int vuln_scan_add(struct scan_report *r, const struct vuln_deps *deps,
		  const struct vuln_findings *f);

#endif

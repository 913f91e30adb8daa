/* CVSS v3.x and v4.0 base scores computed from vector strings. */
#ifndef STELE_VULN_CVSS_H
#define STELE_VULN_CVSS_H

/* Longest vector string accepted. */
#define CVSS_MAX_VECTOR 256

/*
 * Score a "CVSS:3.0/...", "CVSS:3.1/..." or "CVSS:4.0/..." vector. v3
 * uses the specification's base equations (v3.1 Roundup); v4.0 the
 * MacroVector lookup table and interpolation of the FIRST specification,
 * taking threat and environmental metrics into account when present.
 * Returns 0 and the score in *score (0.0 to 10.0), ERR_INVALID for a
 * malformed vector (unknown or repeated metric, missing base metric) or
 * ERR_UNSUPPORTED for another version.
 */
int cvss_score(const char *vector, double *score);

/* The qualitative band: "none", "low", "medium", "high", "critical". */
const char *cvss_band(double score);

#endif

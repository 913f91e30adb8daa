/* PEP 440 versions and specifier sets, PEP 503 package names. */
#ifndef STELE_VULN_PEP440_H
#define STELE_VULN_PEP440_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest version string accepted; longer is ERR_LIMIT. */
#define PEP440_MAX_LEN 256
/* Release segments kept (1.2.3.4... beyond this is ERR_LIMIT). */
#define PEP440_MAX_RELEASE 24
/* Local label bytes kept after normalisation. */
#define PEP440_MAX_LOCAL 64
/* Numbers above this are ERR_LIMIT rather than silently wrapping. */
#define PEP440_MAX_NUMBER 999999999999999999ULL
/* Specifiers in one set. */
#define PEP440_MAX_SPECS 32

enum pep440_pre { PEP440_PRE_NONE = -1, PEP440_PRE_A, PEP440_PRE_B,
		  PEP440_PRE_RC };

/*
 * A parsed version. A string that is not PEP 440 is kept as a legacy
 * version: it orders before every valid version and compares with other
 * legacy versions by its lower-cased text. Plain value, no allocation.
 */
struct pep440_version {
	bool legacy;
	uint64_t epoch;
	uint64_t release[PEP440_MAX_RELEASE];
	size_t n_release;
	int pre;             /* enum pep440_pre */
	uint64_t pre_n;
	bool has_post;
	uint64_t post;
	bool has_dev;
	uint64_t dev;
	char local[PEP440_MAX_LOCAL + 1];  /* normalised, "" when none */
	char text[PEP440_MAX_LEN + 1];     /* legacy: lower-cased input */
};

/*
 * Parse a PEP 440 version (surrounding whitespace, a leading "v" and every
 * spelling the PEP allows). Returns 0, ERR_INVALID when s is not PEP 440
 * (v is then a legacy version, still usable for ordering) or ERR_LIMIT.
 */
int pep440_parse(const char *s, struct pep440_version *v);

/* Total order: <0, 0, >0. Legacy before valid; 1.0 == 1.0.0. */
int pep440_cmp(const struct pep440_version *a,
	       const struct pep440_version *b);

/* Normalised text ("1!2.0rc1.post2.dev3+ubuntu.1") into out. */
int pep440_format(const struct pep440_version *v, char *out, size_t len);

bool pep440_is_prerelease(const struct pep440_version *v);

/*
 * PEP 503 normalisation: lower case, runs of "-", "_", "." become one "-".
 * Returns ERR_INVALID for an empty name or a character outside the name
 * alphabet, ERR_LIMIT when out is too small.
 */
int pep503_normalize(const char *name, char *out, size_t len);

enum pep440_op { PEP440_EQ, PEP440_NE, PEP440_LE, PEP440_GE, PEP440_LT,
		 PEP440_GT, PEP440_COMPAT, PEP440_ARBITRARY };

struct pep440_spec {
	enum pep440_op op;
	bool wildcard;                /* "==1.2.*" / "!=1.2.*" */
	struct pep440_version v;
};

/* A comma-separated specifier set; empty admits everything. */
struct pep440_specset {
	struct pep440_spec s[PEP440_MAX_SPECS];
	size_t n;
};

/* Parse ">=1.0, !=1.3.*, <2" (whitespace anywhere, parentheses not). */
int pep440_specset_parse(const char *s, struct pep440_specset *set);

/*
 * True when v satisfies every specifier. Pre-releases are admitted when
 * prereleases is true or a specifier names one (PEP 440's default rule).
 */
bool pep440_specset_contains(const struct pep440_specset *set,
			     const struct pep440_version *v,
			     bool prereleases);

/* True when the set is exactly one "==V" (or "===V") without wildcard. */
bool pep440_specset_pinned(const struct pep440_specset *set);

/*
 * The interval the set spans in version order, ignoring "!=" and the
 * pre-release rules: has_lo/has_hi false for an open side. Returns
 * ERR_INVALID when the set admits nothing. Used to decide whether a range
 * reaches an affected interval.
 */
struct pep440_bound {
	bool has;
	bool inclusive;
	struct pep440_version v;
};

int pep440_specset_bounds(const struct pep440_specset *set,
			  struct pep440_bound *lo, struct pep440_bound *hi);

#endif

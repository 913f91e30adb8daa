/* Matching declared dependencies against the advisory database. */
#ifndef STELE_VULN_MATCH_H
#define STELE_VULN_MATCH_H

#include <stdbool.h>
#include <stddef.h>

#include "vuln/deps.h"
#include "vuln/vulndb.h"

/*
 * One issue affecting one dependency. Advisories that share an id or
 * alias are merged into one finding reported under the lowest CVE id.
 * Strings are owned by the struct vuln_findings.
 */
struct vuln_finding {
	char *package;
	char *version;       /* pinned version, or the requirement's range */
	bool pinned;
	char *id;
	char **aliases;      /* every other id, sorted */
	size_t n_aliases;
	char *summary;
	char *url;
	double score;        /* highest CVSS base score, -1 when none */
	char *severity;      /* "low".."critical" (score band or label) */
	char **fixed;        /* fixed versions in version order */
	size_t n_fixed;
	char *safe;          /* versions outside every affected range */
	char *file;
	int line;
	size_t issue;        /* internal: the advisories' issue number */
};

struct vuln_findings {
	struct vuln_finding *v;
	size_t n, cap;
};

void vuln_findings_release(struct vuln_findings *f);

/*
 * A matcher caches each package's advisories, so matching many
 * dependencies (a whole registry) loads each package once. It borrows db.
 */
struct vuln_matcher;

int vuln_matcher_new(struct vuln_db *db, struct vuln_matcher **out);
void vuln_matcher_free(struct vuln_matcher *m);

/*
 * Add to out the issues affecting dep: a pinned version when an advisory
 * affects it, a range when it admits an affected version. Returns 0, or
 * ERR_INVALID when the dependency's version or range cannot be read.
 */
int vuln_match_dep(struct vuln_matcher *m, const struct vuln_dep *dep,
		   struct vuln_findings *out);

/*
 * The versions outside every affected interval of a, as a specifier
 * list ("<1.0 or >=1.4.2,<2.0 or >=2.1.3"); "none" when every version is
 * affected. malloc'ed.
 */
char *vuln_safe_text(const struct vuln_adv *a);

/* The affected intervals of a as text ("<1.4.2", ">=2.0,<=2.1"). */
char *vuln_affected_text(const struct vuln_adv *a);

/* The band for a finding: CVSS band, else the label, else "medium". */
const char *vuln_severity(double score, const char *label);

/* Scan dir's dependency files and match them all (see deps.h). */
int vuln_check_dir(struct vuln_db *db, const char *dir,
		   struct vuln_deps *deps, struct vuln_findings *out);

#endif

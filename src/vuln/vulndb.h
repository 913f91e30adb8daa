/* The advisory database: OSV imports into SQLite, queries by package. */
#ifndef STELE_VULN_VULNDB_H
#define STELE_VULN_VULNDB_H

#include <stdbool.h>
#include <stddef.h>

#include "vuln/osv.h"

/* Bounds on one import. */
#define VULNDB_MAX_DOWNLOAD (1ull << 30)   /* bytes fetched from a URL */
#define VULNDB_MAX_FILES 2000000           /* records in one source */
#define VULNDB_MAX_DEPTH 16                /* directory nesting */
#define VULNDB_MAX_WARNINGS 100            /* messages kept per import */

/* An open database; thread-compatible. Close with vulndb_close(). */
struct vuln_db;

/* $STELE_HOME/vulndb.sqlite, or ~/.stele/vulndb.sqlite. */
int vulndb_default_path(char *out, size_t len);

/* Open (creating the file and schema when missing). */
int vulndb_open(const char *path, struct vuln_db **out);
void vulndb_close(struct vuln_db *db);

/* What one import did. Release with vulndb_import_release(). */
struct vulndb_import {
	size_t added, updated, unchanged, withdrawn, skipped, other;
	char newest[28];             /* newest modified seen, "" if none */
	double seconds;
	char **warnings;             /* one line per skipped record */
	size_t n_warnings;           /* kept; skipped counts them all */
};

/*
 * Import OSV records from a directory (JSON and YAML files, recursively),
 * a zip export, a single JSON or YAML file, or an http(s) URL to any of
 * the file forms. The whole import is one transaction: on failure the
 * database is unchanged. A record that cannot be parsed is skipped and
 * described in st->warnings; it never stops the import. A stored record
 * is replaced only by a later 'modified'; a withdrawn record removes it.
 */
int vulndb_import(struct vuln_db *db, const char *source,
		  struct vulndb_import *st);
void vulndb_import_release(struct vulndb_import *st);

/* One past import, newest first in struct vulndb_status. */
struct vulndb_source {
	char *source;
	char *finished;              /* UTC, RFC 3339 */
	long long added, updated, skipped, withdrawn;
	char *newest;
};

struct vulndb_status {
	long long advisories, groups, packages, aliases;
	char *newest;                /* newest modified stored, or NULL */
	struct vulndb_source *sources;
	size_t n_sources;
};

int vulndb_status(struct vuln_db *db, struct vulndb_status *st);
void vulndb_status_release(struct vulndb_status *st);

/* An advisory's entry for one package, as matching needs it. */
struct vuln_adv {
	char *id;
	char *group;                 /* CVE when it has one */
	char **aliases;              /* every other id of the record */
	size_t n_aliases;
	char *summary;
	char *url;
	char *vector;
	double score;                /* -1 when unknown */
	char *label;                 /* database severity or NULL */
	char *modified;
	struct osv_affected aff;
	struct osv_interval *iv;     /* aff's ranges walked */
	size_t n_iv;
	char **fixed;                /* fixed versions in version order */
	size_t n_fixed;
	/*
	 * Listed versions outside every interval, parsed and sorted, so a
	 * match needs no parsing; usually empty since ranges cover them.
	 */
	struct pep440_version *extra;
	size_t n_extra;
	size_t issue;                /* set by matching: same issue, same n */
};

/* True when a (with its intervals and extra versions) affects v. */
bool vuln_adv_affects(const struct vuln_adv *a,
		      const struct pep440_version *v);

struct vuln_advs {
	struct vuln_adv *v;
	size_t n;
};

/*
 * Every advisory affecting the PEP 503 normalised package (an index
 * lookup). Release with vuln_advs_release().
 */
int vulndb_package(struct vuln_db *db, const char *package,
		   struct vuln_advs *out);

/* Advisories whose id, alias or group is id, with their packages. */
int vulndb_advisory(struct vuln_db *db, const char *id,
		    struct vuln_advs *out);

void vuln_advs_release(struct vuln_advs *a);

#endif

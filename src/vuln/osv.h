/* OSV advisory records: parsing from JSON or YAML, and range evaluation. */
#ifndef STELE_VULN_OSV_H
#define STELE_VULN_OSV_H

#include <stdbool.h>
#include <stddef.h>

#include "vuln/pep440.h"

/* Bounds on one record; a record beyond them is refused. */
#define OSV_MAX_RECORD (4u << 20)     /* bytes of JSON or YAML */
#define OSV_MAX_AFFECTED 1024
#define OSV_MAX_EVENTS 4096           /* per range */
#define OSV_MAX_VERSIONS 20000        /* per affected entry */
#define OSV_MAX_ALIASES 256
#define OSV_MAX_DEPTH 32              /* nesting of YAML and JSON */
#define OSV_MAX_NODES 1000000         /* YAML nodes after aliases */
#define OSV_MAX_SUMMARY 240

enum osv_event_kind { OSV_INTRODUCED, OSV_FIXED, OSV_LAST_AFFECTED,
		      OSV_LIMIT };

struct osv_event {
	enum osv_event_kind kind;
	char *version;                /* "0" for introduced-at-start */
};

/* One ECOSYSTEM range: its events in the order given. */
struct osv_range {
	struct osv_event *ev;
	size_t n;
};

/* The PyPI part of an affected entry. */
struct osv_affected {
	char *package;                /* PEP 503 normalised */
	struct osv_range *ranges;
	size_t n_ranges;
	char **versions;
	size_t n_versions;
};

/*
 * A record as stored. Every string is owned by the record; free the
 * record with osv_record_free(), which accepts NULL.
 */
struct osv_record {
	char *id;
	char *modified;       /* normalised "YYYY-MM-DDTHH:MM:SS.ffffffZ" */
	char *published;      /* normalised like modified, or NULL */
	bool withdrawn;
	char **aliases;
	size_t n_aliases;
	char *summary;        /* one line, at most OSV_MAX_SUMMARY bytes */
	char *url;            /* advisory reference or NULL */
	char *vector;         /* the CVSS vector scored, or NULL */
	double score;         /* highest CVSS base score, -1 when none */
	char *label;          /* "low".."critical" from the database, or NULL */
	struct osv_affected *aff;   /* PyPI entries only */
	size_t n_aff;
};

/*
 * Parse one record. name is used in messages ("vulns/x/PYSEC-1.yaml").
 * JSON is parsed with duplicate keys refused; YAML with every scalar read
 * as a string and duplicate keys refused. Returns 0, ERR_INVALID (the
 * message names the file and what is wrong) or ERR_LIMIT.
 */
int osv_parse_json(const char *data, size_t len, const char *name,
		   struct osv_record **out);
int osv_parse_yaml(const char *data, size_t len, const char *name,
		   struct osv_record **out);

void osv_record_free(struct osv_record *r);

/* Free what an affected entry owns (not the struct itself). */
void osv_affected_release(struct osv_affected *a);

/*
 * The group an advisory reports under: its lowest CVE id among the id and
 * aliases when it has one, else the lowest of them all. Returns a pointer
 * into r.
 */
const char *osv_record_group(const struct osv_record *r);

/* An affected interval in version order; open sides have has_* false. */
struct osv_interval {
	bool has_lo, has_hi, hi_inclusive;
	struct pep440_version lo, hi;   /* lo is always inclusive */
};

/*
 * Walk the ranges of a into intervals, events sorted in version order
 * (OSV: introduced and last_affected inclusive, fixed exclusive, limit
 * caps). *out is malloc'ed; free() it.
 */
int osv_intervals(const struct osv_affected *a, struct osv_interval **out,
		  size_t *n);

/* True when v is inside one of the intervals or listed in versions. */
bool osv_affects(const struct osv_affected *a,
		 const struct osv_interval *iv, size_t n,
		 const struct pep440_version *v);

/* Normalise an RFC 3339 timestamp into out (28 bytes). */
int osv_timestamp(const char *s, char out[28]);

#endif

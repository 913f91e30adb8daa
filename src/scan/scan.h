/* The scan engine's shared vocabulary: findings, per-file results, the
 * report and its verdict. Format analysers add to a report through this
 * interface; they never print. */
#ifndef STELE_SCAN_SCAN_H
#define STELE_SCAN_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/sha256.h"

enum scan_severity {
	SCAN_INFO,
	SCAN_LOW,
	SCAN_MEDIUM,
	SCAN_HIGH,
	SCAN_CRITICAL,
};

enum scan_verdict {
	SCAN_CLEAN,       /* everything analysed, nothing at or above medium */
	SCAN_SUSPICIOUS,  /* findings at medium/high, none critical */
	SCAN_MALICIOUS,   /* at least one critical finding */
	SCAN_INCOMPLETE,  /* something could not be fully analysed */
};

/* Dependency findings carry these; NULL for other findings. */
struct scan_dep {
	char *package;
	char *version;       /* pinned version or the requirement's range */
	char *id;            /* advisory id (CVE when it has one) */
	char **aliases;
	size_t n_aliases;
	char **fixed;
	size_t n_fixed;
	char *summary;
	char *url;
	double score;        /* CVSS base score, -1 when unknown */
	int line;            /* where the dependency was declared */
};

struct scan_finding {
	char *rule;          /* stable id, e.g. "pickle-global-denied" */
	enum scan_severity severity;
	char *path;          /* file, with "!" separating archive members */
	char *message;       /* one line, names the object and offset */
	char *owasp;         /* OWASP LLM Top 10 2025 id or NULL */
	struct scan_dep *dep;
};

struct scan_file {
	char *path;
	char *format;        /* "pickle", "pytorch-zip", "safetensors", ... */
	char sha256[SHA256_HEX_LEN + 1];
	uint64_t size;
	bool complete;       /* false: error, limit or unsupported content */
	char *reason;        /* why incomplete, NULL when complete */
};

/* Opaque accumulator. Thread-compatible, not thread-safe. */
struct scan_report;

struct scan_report *scan_report_new(void);
void scan_report_free(struct scan_report *r);

/* Add a finding; fmt is the one-line message. Returns 0 or ERR_NOMEM. */
int scan_add(struct scan_report *r, const char *rule,
	     enum scan_severity sev, const char *path, const char *owasp,
	     const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Add a dependency finding; dep is copied. */
int scan_add_dep(struct scan_report *r, const char *rule,
		 enum scan_severity sev, const char *path,
		 const struct scan_dep *dep, const char *fmt, ...)
	__attribute__((format(printf, 6, 7)));

/* Record one analysed file; returns its record for later updates. */
struct scan_file *scan_add_file(struct scan_report *r, const char *path,
				const char *format);

/* Mark a file incomplete with a one-line reason (first reason kept). */
void scan_file_incomplete(struct scan_file *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

enum scan_verdict scan_report_verdict(const struct scan_report *r);

const char *scan_severity_name(enum scan_severity s);
int scan_severity_parse(const char *s, enum scan_severity *out);
const char *scan_verdict_name(enum scan_verdict v);

#endif

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
	char sha256[SHA256_HEX_LEN + 1]; /* "" when not computed */
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

/* ---- Reading a report back (tests, callers that post-process). ---- */

size_t scan_report_n_findings(const struct scan_report *r);
const struct scan_finding *scan_report_finding(const struct scan_report *r,
					       size_t i);
size_t scan_report_n_files(const struct scan_report *r);
const struct scan_file *scan_report_file(const struct scan_report *r,
					 size_t i);

/* Highest severity among the findings; -1 when there are none. */
int scan_report_max_severity(const struct scan_report *r);

/* True when any file is incomplete or findings were dropped at a limit. */
bool scan_report_incomplete(const struct scan_report *r);

/*
 * The `stele scan` exit status: 1 when a finding is at or above fail_on
 * (even if something else went wrong), else 2 when anything is
 * incomplete, else 0.
 */
int scan_report_exit_status(const struct scan_report *r,
			    enum scan_severity fail_on);

/* ---- Output (output.c). ---- */

enum scan_format { SCAN_FORMAT_TEXT, SCAN_FORMAT_JSON, SCAN_FORMAT_SARIF };

int scan_format_parse(const char *s, enum scan_format *out);

/*
 * Serialise the report as a NUL-terminated string the caller free()s.
 * JSON follows the contract in PRODUCT.md; SARIF is version 2.1.0.
 */
int scan_report_render(const struct scan_report *r, enum scan_format f,
		       char **out);

/* ---- Scanning (walk.c). ---- */

/* Allowlist profiles (data/scan/allow-*.txt), combinable as a bit set. */
enum scan_profile {
	SCAN_PROFILE_BASE = 1u << 0,     /* builtins, collections, copyreg */
	SCAN_PROFILE_NUMPY = 1u << 1,
	SCAN_PROFILE_TORCH = 1u << 2,
	SCAN_PROFILE_SKLEARN = 1u << 3,
	SCAN_PROFILE_XGBOOST = 1u << 4,
	SCAN_PROFILE_JOBLIB = 1u << 5,
};

/* Parse a profile name ("torch", "sklearn", ...); ERR_INVALID if unknown. */
int scan_profile_parse(const char *name, unsigned *bit);

/*
 * Profiles a Kitfile's model.framework declares ("PyTorch",
 * "scikit-learn", "XGBoost", "joblib", "NumPy"; case-insensitive). Unknown
 * or NULL frameworks add nothing: the file formats still choose theirs.
 */
unsigned scan_profiles_for_framework(const char *framework);

struct scan_opts {
	/*
	 * Profiles added to the ones chosen by each file's format (for
	 * example from the Kitfile or --profile). 0 adds none.
	 */
	unsigned extra_profiles;
	/*
	 * Called by scan_modelkit() with the unpacked directory before it
	 * is removed (NULL: not called), so the caller can add what this
	 * module does not check, such as dependency advisories. A negative
	 * return fails the scan.
	 */
	int (*unpacked)(void *arg, const char *dir, struct scan_report *r);
	void *unpacked_arg;
	/*
	 * Skip the sha256 of every file (reported as null) so that tensor
	 * payloads in seekable files are passed over by offset, unread.
	 * Verdicts do not change; only the digests go.
	 */
	bool no_digest;
};

/*
 * Scan a file or directory given on the command line. A symlink named
 * directly is followed; symlinks met inside a directory never are.
 * Returns 0 when the report holds the outcome (even with incomplete
 * files) or a negative code when path cannot be read at all.
 */
int scan_path(struct scan_report *r, const char *path,
	      const struct scan_opts *o);

/*
 * Scan every file below dir, reporting paths as prefix + "/" + relative
 * path (prefix NULL or "": relative paths alone). Hidden files are
 * scanned; symlinks are reported and not followed.
 */
int scan_dir(struct scan_report *r, const char *dir, const char *prefix,
	     const struct scan_opts *o);

/* Scan one regular file, reported under display (NULL: file itself). */
int scan_file(struct scan_report *r, const char *file, const char *display,
	      const struct scan_opts *o);

/*
 * Scan bytes already in memory (tests, fuzzing, small blobs) as one
 * file reported under display.
 */
int scan_buffer(struct scan_report *r, const void *data, size_t len,
		const char *display, const struct scan_opts *o);

#endif

/* A minimal in-memory scan report implementing the scan.h contract, with
 * an accessor so the format analysers' unit tests can see each finding.
 * The unit tests always link it (its definitions satisfy every scan.h
 * reference, so the real report in libstele.a is never pulled in); fuzz
 * replays link it only while src/scan/scan.c is absent from the tree
 * (see src/scan/meson.build). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scan_report_fake.h"
#include "util/err.h"

struct scan_report {
	struct scan_finding *findings;
	size_t n_findings;
	struct scan_file **files;
	size_t n_files;
};

struct scan_report *scan_report_new(void)
{
	return calloc(1, sizeof(struct scan_report));
}

void scan_report_free(struct scan_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_findings; i++) {
		free(r->findings[i].rule);
		free(r->findings[i].path);
		free(r->findings[i].message);
		free(r->findings[i].owasp);
	}
	for (size_t i = 0; i < r->n_files; i++) {
		free(r->files[i]->path);
		free(r->files[i]->format);
		free(r->files[i]->reason);
		free(r->files[i]);
	}
	free(r->findings);
	free(r->files);
	free(r);
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

int scan_add(struct scan_report *r, const char *rule, enum scan_severity sev,
	     const char *path, const char *owasp, const char *fmt, ...)
{
	struct scan_finding *n, *x;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = realloc(r->findings, (r->n_findings + 1) * sizeof(*n));
	if (!n)
		return ERR_NOMEM;
	r->findings = n;
	x = &n[r->n_findings++];
	memset(x, 0, sizeof(*x));
	x->rule = dup_or_null(rule);
	x->severity = sev;
	x->path = dup_or_null(path);
	x->owasp = dup_or_null(owasp);
	x->message = strdup(msg);
	return 0;
}

int scan_add_dep(struct scan_report *r, const char *rule,
		 enum scan_severity sev, const char *path,
		 const struct scan_dep *dep, const char *fmt, ...)
{
	(void)dep;
	(void)fmt;
	return scan_add(r, rule, sev, path, NULL, "%s", "dependency");
}

struct scan_file *scan_add_file(struct scan_report *r, const char *path,
				const char *format)
{
	struct scan_file **n, *f;

	n = realloc(r->files, (r->n_files + 1) * sizeof(*n));
	if (!n)
		return NULL;
	r->files = n;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->path = dup_or_null(path);
	f->format = dup_or_null(format);
	f->complete = true;
	n[r->n_files++] = f;
	return f;
}

void scan_file_incomplete(struct scan_file *f, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	f->complete = false;
	if (f->reason)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	f->reason = strdup(msg);
}

enum scan_verdict scan_report_verdict(const struct scan_report *r)
{
	enum scan_verdict v = SCAN_CLEAN;

	for (size_t i = 0; i < r->n_findings; i++) {
		if (r->findings[i].severity == SCAN_CRITICAL)
			return SCAN_MALICIOUS;
		if (r->findings[i].severity >= SCAN_MEDIUM)
			v = SCAN_SUSPICIOUS;
	}
	for (size_t i = 0; i < r->n_files && v == SCAN_CLEAN; i++)
		if (!r->files[i]->complete)
			v = SCAN_INCOMPLETE;
	return v;
}

const struct scan_finding *scan_fake_findings(const struct scan_report *r,
					      size_t *n)
{
	*n = r->n_findings;
	return r->findings;
}

/* The scan report: findings and per-file results, and the verdict. */
#include "scan/scan.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * A hostile archive can produce one finding per member; past this many
 * the report stops storing findings, keeps counting the highest severity
 * and marks itself incomplete so the verdict never understates.
 */
#define SCAN_MAX_FINDINGS 20000
#define SCAN_MAX_FILES 200000
#define SCAN_MAX_MESSAGE 1024

struct scan_report {
	struct scan_finding *findings;
	size_t n_findings, cap_findings;
	struct scan_file **files;
	size_t n_files, cap_files;
	int max_sev;           /* over every finding, stored or dropped */
	bool dropped;          /* a limit made us drop findings or files */
};

struct scan_report *scan_report_new(void)
{
	struct scan_report *r = calloc(1, sizeof(*r));

	if (r)
		r->max_sev = -1;
	return r;
}

static void dep_free(struct scan_dep *d)
{
	if (!d)
		return;
	free(d->package);
	free(d->version);
	free(d->id);
	for (size_t i = 0; i < d->n_aliases; i++)
		free(d->aliases[i]);
	free(d->aliases);
	for (size_t i = 0; i < d->n_fixed; i++)
		free(d->fixed[i]);
	free(d->fixed);
	free(d->summary);
	free(d->url);
	free(d);
}

static void file_free(struct scan_file *f)
{
	if (!f)
		return;
	free(f->path);
	free(f->format);
	free(f->reason);
	free(f);
}

void scan_report_free(struct scan_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_findings; i++) {
		struct scan_finding *f = &r->findings[i];

		free(f->rule);
		free(f->path);
		free(f->message);
		free(f->owasp);
		dep_free(f->dep);
	}
	free(r->findings);
	for (size_t i = 0; i < r->n_files; i++)
		file_free(r->files[i]);
	free(r->files);
	free(r);
}

/* Length of a valid UTF-8 sequence at p (1-4), or 0 when invalid. */
static size_t utf8_len(const unsigned char *p)
{
	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xC2 && p[0] <= 0xDF)
		return (p[1] & 0xC0) == 0x80 ? 2 : 0;
	if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[0] == 0xE0 && p[1] < 0xA0) ||
		    (p[0] == 0xED && p[1] > 0x9F))
			return 0;
		return 3;
	}
	if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		if ((p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 ||
		    (p[3] & 0xC0) != 0x80 || (p[0] == 0xF0 && p[1] < 0x90) ||
		    (p[0] == 0xF4 && p[1] > 0x8F))
			return 0;
		return 4;
	}
	return 0;
}

/*
 * Report text comes from hostile files: keep it one line of valid UTF-8
 * (JSON and SARIF need it) by replacing control bytes and invalid
 * sequences with '?'.
 */
static void clean_text(char *s)
{
	unsigned char *p = (unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (n == 1 && (*p < 0x20 || *p == 0x7f))
			*p = '?';
		if (!n) {
			*p = '?';
			n = 1;
		}
		p += n;
	}
}

static char *dup_clean(const char *s)
{
	char *d = strdup(s);

	if (d)
		clean_text(d);
	return d;
}

static char *dup_or_null(const char *s)
{
	return s ? dup_clean(s) : NULL;
}

static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return err_set(ERR_NOMEM, "out of memory growing scan report");
	*arr = p;
	*cap = ncap;
	return 0;
}

__attribute__((format(printf, 6, 0)))
static int add_finding(struct scan_report *r, const char *rule,
		       enum scan_severity sev, const char *path,
		       const char *owasp, const char *fmt, va_list ap,
		       struct scan_finding **out)
{
	char msg[SCAN_MAX_MESSAGE];
	struct scan_finding *f;

	*out = NULL;
	if ((int)sev > r->max_sev)
		r->max_sev = (int)sev;
	if (r->n_findings >= SCAN_MAX_FINDINGS) {
		r->dropped = true;
		return 0;
	}
	if (grow((void **)&r->findings, &r->cap_findings, r->n_findings,
		 sizeof(*r->findings)))
		return ERR_NOMEM;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	f = &r->findings[r->n_findings];
	memset(f, 0, sizeof(*f));
	f->severity = sev;
	f->rule = dup_clean(rule);
	f->path = dup_clean(path ? path : "");
	f->message = dup_clean(msg);
	f->owasp = dup_or_null(owasp);
	r->n_findings++;
	if (!f->rule || !f->path || !f->message || (owasp && !f->owasp))
		return err_set(ERR_NOMEM, "out of memory adding finding");
	*out = f;
	return 0;
}

int scan_add(struct scan_report *r, const char *rule,
	     enum scan_severity sev, const char *path, const char *owasp,
	     const char *fmt, ...)
{
	struct scan_finding *f;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = add_finding(r, rule, sev, path, owasp, fmt, ap, &f);
	va_end(ap);
	return rc;
}

static int copy_strv(char **src, size_t n, char ***dst, size_t *dn)
{
	*dst = NULL;
	*dn = 0;
	if (!n)
		return 0;
	*dst = calloc(n, sizeof(char *));
	if (!*dst)
		return ERR_NOMEM;
	for (size_t i = 0; i < n; i++) {
		(*dst)[i] = dup_clean(src[i] ? src[i] : "");
		if (!(*dst)[i])
			return ERR_NOMEM;
		(*dn)++;
	}
	return 0;
}

static struct scan_dep *dep_copy(const struct scan_dep *s)
{
	struct scan_dep *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->package = dup_or_null(s->package);
	d->version = dup_or_null(s->version);
	d->id = dup_or_null(s->id);
	d->summary = dup_or_null(s->summary);
	d->url = dup_or_null(s->url);
	d->score = s->score;
	d->line = s->line;
	if (copy_strv(s->aliases, s->n_aliases, &d->aliases, &d->n_aliases) ||
	    copy_strv(s->fixed, s->n_fixed, &d->fixed, &d->n_fixed) ||
	    (s->package && !d->package) || (s->version && !d->version) ||
	    (s->id && !d->id) || (s->summary && !d->summary) ||
	    (s->url && !d->url)) {
		dep_free(d);
		return NULL;
	}
	return d;
}

int scan_add_dep(struct scan_report *r, const char *rule,
		 enum scan_severity sev, const char *path,
		 const struct scan_dep *dep, const char *fmt, ...)
{
	struct scan_finding *f;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = add_finding(r, rule, sev, path, NULL, fmt, ap, &f);
	va_end(ap);
	if (rc || !f || !dep)
		return rc;
	f->dep = dep_copy(dep);
	if (!f->dep)
		return err_set(ERR_NOMEM, "out of memory copying dependency");
	return 0;
}

struct scan_file *scan_add_file(struct scan_report *r, const char *path,
				const char *format)
{
	struct scan_file *f;

	if (r->n_files >= SCAN_MAX_FILES) {
		r->dropped = true;
		return NULL;
	}
	if (grow((void **)&r->files, &r->cap_files, r->n_files,
		 sizeof(*r->files)))
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->path = dup_clean(path ? path : "");
	f->format = dup_clean(format ? format : "unknown");
	if (!f->path || !f->format) {
		file_free(f);
		return NULL;
	}
	f->complete = true;
	r->files[r->n_files++] = f;
	return f;
}

void scan_file_incomplete(struct scan_file *f, const char *fmt, ...)
{
	char msg[SCAN_MAX_MESSAGE];
	va_list ap;

	if (!f)
		return;
	f->complete = false;
	if (f->reason)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* On allocation failure the file stays incomplete without reason. */
	f->reason = dup_clean(msg);
}

size_t scan_report_n_findings(const struct scan_report *r)
{
	return r->n_findings;
}

const struct scan_finding *scan_report_finding(const struct scan_report *r,
					       size_t i)
{
	return i < r->n_findings ? &r->findings[i] : NULL;
}

size_t scan_report_n_files(const struct scan_report *r)
{
	return r->n_files;
}

const struct scan_file *scan_report_file(const struct scan_report *r,
					 size_t i)
{
	return i < r->n_files ? r->files[i] : NULL;
}

int scan_report_max_severity(const struct scan_report *r)
{
	return r->max_sev;
}

bool scan_report_incomplete(const struct scan_report *r)
{
	if (r->dropped)
		return true;
	for (size_t i = 0; i < r->n_files; i++)
		if (!r->files[i]->complete)
			return true;
	return false;
}

/*
 * A critical finding decides the verdict even when analysis was cut
 * short; otherwise anything unfinished is never called clean or merely
 * suspicious.
 */
enum scan_verdict scan_report_verdict(const struct scan_report *r)
{
	if (r->max_sev >= SCAN_CRITICAL)
		return SCAN_MALICIOUS;
	if (scan_report_incomplete(r))
		return SCAN_INCOMPLETE;
	if (r->max_sev >= SCAN_MEDIUM)
		return SCAN_SUSPICIOUS;
	return SCAN_CLEAN;
}

int scan_report_exit_status(const struct scan_report *r,
			    enum scan_severity fail_on)
{
	if (r->max_sev >= (int)fail_on)
		return 1;
	if (scan_report_incomplete(r))
		return 2;
	return 0;
}

static const char *const severity_names[] = {
	[SCAN_INFO] = "info",
	[SCAN_LOW] = "low",
	[SCAN_MEDIUM] = "medium",
	[SCAN_HIGH] = "high",
	[SCAN_CRITICAL] = "critical",
};

const char *scan_severity_name(enum scan_severity s)
{
	if ((unsigned)s > SCAN_CRITICAL)
		return "unknown";
	return severity_names[s];
}

int scan_severity_parse(const char *s, enum scan_severity *out)
{
	for (int i = SCAN_INFO; i <= SCAN_CRITICAL; i++) {
		if (!strcmp(s, severity_names[i])) {
			*out = (enum scan_severity)i;
			return 0;
		}
	}
	return err_set(ERR_INVALID, "unknown severity '%s' (expected "
		       "critical, high, medium, low or info)", s);
}

const char *scan_verdict_name(enum scan_verdict v)
{
	switch (v) {
	case SCAN_CLEAN: return "clean";
	case SCAN_SUSPICIOUS: return "suspicious";
	case SCAN_MALICIOUS: return "malicious";
	case SCAN_INCOMPLETE: return "incomplete";
	}
	return "incomplete";
}

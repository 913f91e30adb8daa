/* Dependency vulnerabilities as scan findings. */
#include "vuln/vuln_scan.h"

#include <string.h>

#include "util/err.h"
#include "vuln/match.h"

static enum scan_severity severity_of(const char *band)
{
	static const struct { const char *name; enum scan_severity s; } m[] = {
		{ "critical", SCAN_CRITICAL }, { "high", SCAN_HIGH },
		{ "medium", SCAN_MEDIUM }, { "low", SCAN_LOW },
	};

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (!strcmp(band, m[i].name))
			return m[i].s;
	return SCAN_MEDIUM;
}

static int add_finding(struct scan_report *r, const struct vuln_finding *f)
{
	struct scan_dep dep = {
		.package = f->package, .version = f->version, .id = f->id,
		.aliases = f->aliases, .n_aliases = f->n_aliases,
		.fixed = f->fixed, .n_fixed = f->n_fixed,
		.summary = f->summary, .url = f->url, .score = f->score,
		.line = f->line,
	};

	if (f->pinned)
		return scan_add_dep(r, "dep-vulnerable",
				    severity_of(f->severity), f->file, &dep,
				    "%s %s is affected by %s; safe versions: "
				    "%s", f->package, f->version, f->id,
				    f->safe);
	return scan_add_dep(r, "dep-range-vulnerable",
			    severity_of(f->severity), f->file, &dep,
			    "requirement %s%s admits versions affected by %s; "
			    "safe versions: %s", f->package, f->version, f->id,
			    f->safe);
}

/* One record per file read; incomplete with its problems, and with why
 * when it could not be matched at all (NULL: it was). */
static int add_files(struct scan_report *r, const struct vuln_deps *d,
		     const char *why)
{
	for (size_t i = 0; i < d->n_files + d->n_problems; i++) {
		const char *path = i < d->n_files ? d->files[i]
			: d->problems[i - d->n_files].file;
		struct scan_file *f;

		/* A problem file already recorded gets no second record. */
		if (i >= d->n_files && vuln_deps_was_read(d, path))
			continue;
		f = scan_add_file(r, path, "python-dependencies");
		if (!f)
			return err_set(ERR_NOMEM, "out of memory");
		for (size_t k = 0; k < d->n_problems; k++)
			if (!strcmp(d->problems[k].file, path))
				scan_file_incomplete(f, "%s",
						     d->problems[k].reason);
		if (why)
			scan_file_incomplete(f, "%s", why);
	}
	return 0;
}

int vuln_scan_add(struct scan_report *r, const struct vuln_deps *deps,
		  const struct vuln_findings *f)
{
	int rc = deps ? add_files(r, deps, NULL) : 0;

	for (size_t i = 0; !rc && i < f->n; i++)
		rc = add_finding(r, &f->v[i]);
	return rc;
}

int vuln_scan_dir(struct vuln_db *db, const char *dir,
		  struct scan_report *r)
{
	struct vuln_deps deps = { 0 };
	struct vuln_findings f = { 0 };
	int rc = vuln_check_dir(db, dir, &deps, &f);

	if (!rc)
		rc = vuln_scan_add(r, &deps, &f);
	vuln_deps_release(&deps);
	vuln_findings_release(&f);
	return rc;
}

int vuln_scan_dir_unchecked(const char *dir, const char *why,
			    struct scan_report *r)
{
	struct vuln_deps deps = { 0 };
	int rc = vuln_deps_scan_dir(dir, &deps);

	if (!rc)
		rc = add_files(r, &deps, why);
	vuln_deps_release(&deps);
	return rc;
}

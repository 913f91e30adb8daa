/* Walking a directory for dependency files; PEP 508 requirements. */
#include "vuln/deps.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "vuln/pep440.h"

static char *dup_or_null(const char *s, bool *oom)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	*oom = *oom || !d;
	return d;
}

int vuln_deps_add(struct vuln_deps *d, const char *name, const char *spec,
		  const char *version, const char *file, int line)
{
	struct vuln_dep *grown, *e;
	bool oom = false;

	if (d->n >= DEPS_MAX_DEPS)
		return err_set(ERR_LIMIT, "deps: more than %d dependencies",
			       DEPS_MAX_DEPS);
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 32;

		grown = realloc(d->v, cap * sizeof(*grown));
		if (!grown)
			return err_set(ERR_NOMEM, "out of memory");
		d->v = grown;
		d->cap = cap;
	}
	e = &d->v[d->n];
	e->name = dup_or_null(name, &oom);
	e->spec = dup_or_null(spec ? spec : "", &oom);
	e->version = dup_or_null(version, &oom);
	e->file = dup_or_null(file, &oom);
	e->line = line;
	if (oom) {
		free(e->name);
		free(e->spec);
		free(e->version);
		free(e->file);
		return err_set(ERR_NOMEM, "out of memory");
	}
	d->n++;
	return 0;
}

int vuln_deps_problem(struct vuln_deps *d, const char *file,
		      const char *reason)
{
	struct vuln_dep_problem *grown;
	char *f = strdup(file), *r = strdup(reason);

	grown = f && r ? realloc(d->problems, (d->n_problems + 1) *
				 sizeof(*grown)) : NULL;
	if (!grown) {
		free(f);
		free(r);
		return err_set(ERR_NOMEM, "out of memory");
	}
	d->problems = grown;
	d->problems[d->n_problems].file = f;
	d->problems[d->n_problems].reason = r;
	d->n_problems++;
	return 0;
}

void vuln_deps_release(struct vuln_deps *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].name);
		free(d->v[i].spec);
		free(d->v[i].version);
		free(d->v[i].file);
	}
	free(d->v);
	for (size_t i = 0; i < d->n_problems; i++) {
		free(d->problems[i].file);
		free(d->problems[i].reason);
	}
	free(d->problems);
	for (size_t i = 0; i < d->n_files; i++)
		free(d->files[i]);
	free(d->files);
	memset(d, 0, sizeof(*d));
}

bool vuln_deps_was_read(const struct vuln_deps *d, const char *rel)
{
	for (size_t i = 0; i < d->n_files; i++)
		if (!strcmp(d->files[i], rel))
			return true;
	return false;
}

int vuln_deps_remember(struct vuln_deps *d, const char *rel)
{
	char **grown = realloc(d->files, (d->n_files + 1) * sizeof(char *));

	if (!grown)
		return err_set(ERR_NOMEM, "out of memory");
	d->files = grown;
	d->files[d->n_files] = strdup(rel);
	if (!d->files[d->n_files])
		return err_set(ERR_NOMEM, "out of memory");
	d->n_files++;
	return 0;
}

/* PEP 508 ----------------------------------------------------------- */

static const char *skip_sp(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* Copy the specifier text, dropping parentheses and blanks. */
static int copy_spec(const char *s, size_t n, struct vuln_req *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (strchr("() \t", s[i]))
			continue;
		if (o + 1 >= sizeof(out->spec))
			return err_set(ERR_LIMIT, "requirement specifier "
				       "longer than %zu bytes",
				       sizeof(out->spec) - 1);
		out->spec[o++] = s[i];
	}
	out->spec[o] = '\0';
	return 0;
}

int vuln_req_parse(const char *s, struct vuln_req *out)
{
	struct pep440_specset set;
	char raw[256];
	const char *p = skip_sp(s), *start = p;
	size_t n;
	int rc;

	memset(out, 0, sizeof(*out));
	while (isalnum((unsigned char)*p) || (*p && strchr("._-", *p)))
		p++;
	n = (size_t)(p - start);
	if (!n || n >= sizeof(raw) || !isalnum((unsigned char)*start))
		return err_set(ERR_INVALID, "no package name in requirement "
			       "'%.80s'", s);
	memcpy(raw, start, n);
	raw[n] = '\0';
	if ((rc = pep503_normalize(raw, out->name, sizeof(out->name))))
		return rc;
	p = skip_sp(p);
	if (*p == '[') {
		const char *close = strchr(p, ']');

		if (!close)
			return err_set(ERR_INVALID, "unclosed extras in "
				       "requirement '%.80s'", s);
		p = skip_sp(close + 1);
	}
	if (*p == '@') {
		out->url = true;
		return 0;
	}
	n = strcspn(p, ";");
	if ((rc = copy_spec(p, n, out)))
		return rc;
	if (pep440_specset_parse(out->spec, &set))
		return err_set(ERR_INVALID, "bad version specifier in "
			       "requirement '%.80s'", s);
	return 0;
}

/* Walking ----------------------------------------------------------- */

enum kind { K_NONE, K_REQS, K_PYPROJECT, K_TOML_LOCK, K_PIPFILE_LOCK,
	    K_CONDA, K_CYCLONEDX };

static enum kind kind_of(const char *base)
{
	if (!fnmatch("requirements*.txt", base, 0) ||
	    !fnmatch("*requirements.txt", base, 0) ||
	    !fnmatch("constraints*.txt", base, 0))
		return K_REQS;
	if (!strcmp(base, "pyproject.toml"))
		return K_PYPROJECT;
	if (!strcmp(base, "poetry.lock") || !strcmp(base, "uv.lock") ||
	    !strcmp(base, "pdm.lock"))
		return K_TOML_LOCK;
	if (!strcmp(base, "Pipfile.lock"))
		return K_PIPFILE_LOCK;
	if (!fnmatch("environment*.yml", base, 0) ||
	    !fnmatch("environment*.yaml", base, 0))
		return K_CONDA;
	if (!fnmatch("*.cdx.json", base, 0) || !strcmp(base, "bom.json") ||
	    !fnmatch("*sbom*.json", base, 0) ||
	    !fnmatch("*cyclonedx*.json", base, 0))
		return K_CYCLONEDX;
	return K_NONE;
}

static int parse_loaded(struct vuln_deps *d, enum kind k, const char *data,
			size_t len, const char *rel)
{
	switch (k) {
	case K_PYPROJECT: return vuln_deps_pyproject(d, data, len, rel);
	case K_TOML_LOCK: return vuln_deps_toml_lock(d, data, len, rel);
	case K_PIPFILE_LOCK: return vuln_deps_pipfile_lock(d, data, len, rel);
	case K_CONDA: return vuln_deps_conda_env(d, data, len, rel);
	case K_CYCLONEDX: return vuln_deps_cyclonedx(d, data, len, rel);
	default: return err_set(ERR_UNSUPPORTED, "not a dependency file");
	}
}

/* A parse failure becomes a problem of that file; others are returned. */
static int as_problem(struct vuln_deps *d, const char *rel, int rc)
{
	if (rc == ERR_INVALID || rc == ERR_LIMIT || rc == ERR_IO ||
	    rc == ERR_UNSUPPORTED)
		return vuln_deps_problem(d, rel, err_msg());
	return rc;
}

int vuln_deps_parse_file(const char *root, const char *rel,
			 struct vuln_deps *out)
{
	const char *base = strrchr(rel, '/');
	enum kind k = kind_of(base ? base + 1 : rel);
	char path[4096];
	struct buf b;
	int rc;

	if (k == K_NONE)
		return err_set(ERR_UNSUPPORTED, "'%s' is not a dependency "
			       "file", rel);
	if (k == K_REQS)
		return as_problem(out, rel,
				  vuln_deps_requirements(out, root, rel));
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", root, rel) >=
	    sizeof(path))
		return err_set(ERR_LIMIT, "path too long");
	if ((rc = vuln_deps_remember(out, rel)))
		return rc;
	rc = fs_read_file(path, DEPS_MAX_FILE, &b);
	if (rc)
		return as_problem(out, rel, rc);
	rc = parse_loaded(out, k, b.data ? b.data : "", b.len, rel);
	buf_release(&b);
	return as_problem(out, rel, rc);
}

struct walk {
	const char *root;
	struct vuln_deps *d;
	size_t seen;
};

static int walk_dir(struct walk *w, const char *rel, int depth)
{
	struct dirent **names = NULL;
	char dir[4096], sub[4096];
	struct stat sb;
	int n, rc = 0;

	if (depth > DEPS_MAX_WALK_DEPTH)
		return vuln_deps_problem(w->d, rel, "directory nested too "
					 "deep; not searched");
	snprintf(dir, sizeof(dir), "%s%s%s", w->root, *rel ? "/" : "", rel);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return err_setsys(ERR_IO, errno, "deps: cannot list '%s'",
				  dir);
	for (int i = 0; i < n; i++) {
		const char *e = names[i]->d_name;

		if (!rc && ++w->seen > DEPS_MAX_WALK_FILES)
			rc = err_set(ERR_LIMIT, "deps: more than %d entries "
				     "under '%s'", DEPS_MAX_WALK_FILES,
				     w->root);
		if (!rc && strcmp(e, ".") && strcmp(e, "..") &&
		    strcmp(e, ".git") && strcmp(e, "node_modules") &&
		    (size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel,
				     *rel ? "/" : "", e) < sizeof(sub) &&
		    (size_t)snprintf(dir, sizeof(dir), "%s/%s", w->root,
				     sub) < sizeof(dir) &&
		    !lstat(dir, &sb)) {
			if (S_ISDIR(sb.st_mode))
				rc = walk_dir(w, sub, depth + 1);
			else if (S_ISREG(sb.st_mode) && kind_of(e) != K_NONE)
				rc = vuln_deps_parse_file(w->root, sub, w->d);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

int vuln_deps_scan_dir(const char *dir, struct vuln_deps *out)
{
	struct walk w = { dir, out, 0 };
	struct stat sb;

	memset(out, 0, sizeof(*out));
	if (stat(dir, &sb) || !S_ISDIR(sb.st_mode))
		return err_set(ERR_NOTFOUND, "deps: '%s' is not a directory",
			       dir);
	return walk_dir(&w, "", 0);
}

/* Python dependencies declared in a directory: requirements files,
 * pyproject.toml, lock files, conda environments and CycloneDX SBOMs. */
#ifndef STELE_VULN_DEPS_H
#define STELE_VULN_DEPS_H

#include <stdbool.h>
#include <stddef.h>

#define DEPS_MAX_FILE (8u << 20)      /* bytes of one dependency file */
#define DEPS_MAX_LINE 65536           /* bytes of one logical line */
#define DEPS_MAX_DEPS 200000          /* dependencies in one scan */
#define DEPS_MAX_INCLUDE_DEPTH 16     /* nested -r / -c */
#define DEPS_MAX_WALK_DEPTH 32        /* directory nesting */
#define DEPS_MAX_WALK_FILES 100000    /* directory entries visited */

/* One declared dependency. Strings owned by the struct vuln_deps. */
struct vuln_dep {
	char *name;          /* PEP 503 normalised */
	char *spec;          /* the specifier set as written, "" for any */
	char *version;       /* the exact version when pinned, else NULL */
	char *file;          /* relative to the scanned directory */
	int line;            /* 1-based */
};

/* A file that could not be read fully, and why. */
struct vuln_dep_problem {
	char *file;
	char *reason;
};

struct vuln_deps {
	struct vuln_dep *v;
	size_t n, cap;
	struct vuln_dep_problem *problems;
	size_t n_problems;
	char **files;        /* dependency files read, relative */
	size_t n_files;
};

/*
 * Find and parse every dependency file under dir (symlinks not followed;
 * requirement includes confined to dir). A file that cannot be parsed is
 * recorded in problems and the walk goes on; only failures of the walk
 * itself (dir unreadable, limits, memory) are returned.
 */
int vuln_deps_scan_dir(const char *dir, struct vuln_deps *out);

/*
 * Parse one file, rel being its path below root, chosen by its name;
 * returns ERR_UNSUPPORTED when the name is not a dependency file.
 */
int vuln_deps_parse_file(const char *root, const char *rel,
			 struct vuln_deps *out);

void vuln_deps_release(struct vuln_deps *d);

/* A PEP 508 requirement ("name[extra] >=1,<2 ; marker" or "name @ url"). */
struct vuln_req {
	char name[256];      /* PEP 503 normalised */
	char spec[1024];     /* specifier set, "" when none or a URL */
	bool url;
};

int vuln_req_parse(const char *s, struct vuln_req *out);

/* Internal to the parsers: add a dependency (version NULL unless pinned). */
int vuln_deps_add(struct vuln_deps *d, const char *name, const char *spec,
		  const char *version, const char *file, int line);
int vuln_deps_problem(struct vuln_deps *d, const char *file,
		      const char *reason);
/* Whether rel was read in this scan; remember that it was. */
bool vuln_deps_was_read(const struct vuln_deps *d, const char *rel);
int vuln_deps_remember(struct vuln_deps *d, const char *rel);
/* Add a PEP 508 requirement; an unparsable one becomes a problem. */
int vuln_deps_add_req(struct vuln_deps *d, const char *text,
		      const char *file, int line);

/* Parsers by file kind; data is the whole file, rel its relative path. */
int vuln_deps_requirements(struct vuln_deps *d, const char *root,
			   const char *rel);
int vuln_deps_pyproject(struct vuln_deps *d, const char *data, size_t len,
			const char *rel);
int vuln_deps_toml_lock(struct vuln_deps *d, const char *data, size_t len,
			const char *rel);
int vuln_deps_pipfile_lock(struct vuln_deps *d, const char *data,
			   size_t len, const char *rel);
int vuln_deps_cyclonedx(struct vuln_deps *d, const char *data, size_t len,
			const char *rel);
int vuln_deps_conda_env(struct vuln_deps *d, const char *data, size_t len,
			const char *rel);

#endif

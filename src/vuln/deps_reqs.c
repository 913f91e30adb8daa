/* requirements.txt: continuations, comments, options, -r/-c includes. */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "vuln/deps.h"
#include "vuln/pep440.h"

struct reqs {
	struct vuln_deps *d;
	char root[PATH_MAX];               /* real path of the scan root */
	const char *stack[DEPS_MAX_INCLUDE_DEPTH + 1];
	int depth;
};

static int req_file(struct reqs *c, const char *rel, const char *from,
		    int from_line);

/* The exact version of a pinned set ("==1.2" or "===x"), else NULL. */
static const char *pinned_version(const char *spec)
{
	struct pep440_specset set;

	if (pep440_specset_parse(spec, &set) || !pep440_specset_pinned(&set))
		return NULL;
	return spec + (strncmp(spec, "===", 3) ? 2 : 3);
}

/* Add one PEP 508 requirement; a bad one is a problem, not a failure. */
int vuln_deps_add_req(struct vuln_deps *d, const char *text,
		      const char *file, int line)
{
	struct vuln_req r;
	char msg[512];
	int rc = vuln_req_parse(text, &r);

	if (rc == ERR_INVALID || rc == ERR_LIMIT) {
		snprintf(msg, sizeof(msg), "line %d: %s", line, err_msg());
		return vuln_deps_problem(d, file, msg);
	}
	if (rc)
		return rc;
	/* "name @ url" names no version to match. */
	if (r.url)
		return 0;
	return vuln_deps_add(d, r.name, r.spec, pinned_version(r.spec), file,
			     line);
}

static void strip_comment(char *s)
{
	for (char *p = s; *p; p++)
		if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
}

static char *trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Resolve an include against the including file; confined to root. */
static int include(struct reqs *c, const char *from, int line,
		   const char *target)
{
	char joined[PATH_MAX * 2], real[PATH_MAX], msg[600];
	const char *slash = strrchr(from, '/');
	size_t rl = strlen(c->root);

	if (target[0] == '/')
		snprintf(joined, sizeof(joined), "%s", target);
	else
		snprintf(joined, sizeof(joined), "%s/%.*s%s%s", c->root,
			 slash ? (int)(slash - from) : 0, from,
			 slash ? "/" : "", target);
	if (!realpath(joined, real)) {
		snprintf(msg, sizeof(msg), "line %d: included file '%.200s' "
			 "not found", line, target);
		return vuln_deps_problem(c->d, from, msg);
	}
	if (strncmp(real, c->root, rl) || real[rl] != '/') {
		snprintf(msg, sizeof(msg), "line %d: include '%.200s' leaves "
			 "the package directory; not read", line, target);
		return vuln_deps_problem(c->d, from, msg);
	}
	return req_file(c, real + rl + 1, from, line);
}

/* "-r x", "-rx", "--requirement x", "--requirement=x"; NULL if not. */
static const char *include_arg(char *s)
{
	static const char *const opts[] = { "--requirement", "--constraint",
					    "-r", "-c" };

	for (size_t i = 0; i < 4; i++) {
		size_t n = strlen(opts[i]);

		if (strncmp(s, opts[i], n))
			continue;
		s += n;
		if (i < 2 && *s && *s != '=' && !isspace((unsigned char)*s))
			return NULL;
		if (*s == '=')
			s++;
		return trim(s);
	}
	return NULL;
}

/* A path or archive to install: names no package we can match. */
static bool is_location(const char *s)
{
	return s[0] == '.' || s[0] == '/' || s[0] == '~' ||
	       !strncmp(s, "git+", 4) || !strncmp(s, "hg+", 3) ||
	       !strncmp(s, "svn+", 4) || !strncmp(s, "bzr+", 4) ||
	       (strstr(s, "://") && !strchr(s, '@'));
}

static int logical_line(struct reqs *c, const char *rel, char *s, int line)
{
	const char *arg;
	char *opt;

	strip_comment(s);
	s = trim(s);
	if (!*s)
		return 0;
	if (*s == '-') {
		arg = include_arg(s);
		if (arg && *arg)
			return include(c, rel, line, arg);
		/* -e, --index-url, --hash-only lines and the like. */
		return 0;
	}
	/* Per-requirement options (--hash=...) follow the requirement. */
	for (opt = s; (opt = strstr(opt, "--")); opt++)
		if (opt > s && isspace((unsigned char)opt[-1])) {
			*opt = '\0';
			break;
		}
	s = trim(s);
	if (is_location(s))
		return 0;
	return vuln_deps_add_req(c->d, s, rel, line);
}

/* A logical line over the limit is reported and skipped, not fatal. */
static int too_long(struct reqs *c, const char *rel, int first)
{
	char msg[128];

	snprintf(msg, sizeof(msg), "line %d longer than %d bytes; skipped",
		 first, DEPS_MAX_LINE);
	return vuln_deps_problem(c->d, rel, msg);
}

static int parse_lines(struct reqs *c, const char *rel, const struct buf *b)
{
	struct buf logical = BUF_INIT(DEPS_MAX_LINE);
	const char *p = buf_cstr(b), *end = p + b->len, *nl;
	int line = 0, first = 0, rc = 0;
	bool cont, skipping = false;
	size_t n, adv;

	while (!rc && p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		/* Advance past the whole physical line, whatever is trimmed
		 * from it: a last line ending in '\r' must still end. */
		adv = nl ? n + 1 : n;
		line++;
		if (!logical.len && !skipping)
			first = line;
		if (n && p[n - 1] == '\r')
			n--;
		cont = n && p[n - 1] == '\\';
		if (!skipping) {
			rc = buf_put(&logical, p, cont ? n - 1 : n);
			if (rc == ERR_LIMIT) {
				skipping = true;
				rc = too_long(c, rel, first);
			}
		}
		if (!rc && !cont) {
			if (!skipping && logical.len)
				rc = logical_line(c, rel, logical.data, first);
			buf_clear(&logical);
			skipping = false;
		}
		p += adv;
	}
	if (!rc && logical.len && !skipping)
		rc = logical_line(c, rel, logical.data, first);
	buf_release(&logical);
	return rc;
}

static int req_file(struct reqs *c, const char *rel, const char *from,
		    int from_line)
{
	char path[PATH_MAX * 2], msg[600];
	struct stat sb;
	struct buf b;
	int rc;

	for (int i = 0; i < c->depth; i++)
		if (!strcmp(c->stack[i], rel)) {
			snprintf(msg, sizeof(msg), "line %d: cyclic include "
				 "of '%.200s'", from_line, rel);
			return vuln_deps_problem(c->d, from, msg);
		}
	if (vuln_deps_was_read(c->d, rel))
		return 0;
	if (c->depth == DEPS_MAX_INCLUDE_DEPTH)
		return vuln_deps_problem(c->d, from, "includes nested too "
					 "deep");
	if ((rc = vuln_deps_remember(c->d, rel)))
		return rc;
	snprintf(path, sizeof(path), "%s/%s", c->root, rel);
	/* A FIFO or device would block or never end. */
	if (stat(path, &sb) || !S_ISREG(sb.st_mode)) {
		snprintf(msg, sizeof(msg), "line %d: '%.200s' is not a "
			 "regular file", from_line, rel);
		return vuln_deps_problem(c->d, from, msg);
	}
	rc = fs_read_file(path, DEPS_MAX_FILE, &b);
	if (rc)
		return vuln_deps_problem(c->d, rel, err_msg());
	c->stack[c->depth++] = c->d->files[c->d->n_files - 1];
	rc = parse_lines(c, rel, &b);
	c->depth--;
	buf_release(&b);
	if (rc == ERR_LIMIT || rc == ERR_INVALID)
		return vuln_deps_problem(c->d, rel, err_msg());
	return rc;
}

int vuln_deps_requirements(struct vuln_deps *d, const char *root,
			   const char *rel)
{
	struct reqs *c = calloc(1, sizeof(*c));
	char joined[PATH_MAX * 2], real[PATH_MAX];
	size_t rl;
	int rc;

	if (!c)
		return err_set(ERR_NOMEM, "out of memory");
	c->d = d;
	snprintf(joined, sizeof(joined), "%s/%s", root, rel);
	if (!realpath(root, c->root) || !realpath(joined, real)) {
		free(c);
		return err_set(ERR_IO, "cannot resolve '%s'", rel);
	}
	rl = strlen(c->root);
	if (strncmp(real, c->root, rl) || real[rl] != '/')
		rc = err_set(ERR_INVALID, "'%s' is outside the package", rel);
	else
		rc = req_file(c, real + rl + 1, rel, 0);
	free(c);
	return rc;
}

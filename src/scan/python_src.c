/* Python source carried by a ModelKit (the files auto_map makes
 * transformers import, custom layers, inference code): calls that execute
 * code, start processes, load native code or talk to the network.
 * Comments and string literals are skipped; names are matched as dotted
 * chains (os.system) and as imported modules, so an alias made with
 * "import os as o" is caught through the import itself. */
#include "scan/formats.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "scan/fmt_util.h"
#include "util/err.h"

#define PY_MAX_FILE (16u << 20)
#define PY_MAX_NAME 256

enum py_rule { PY_EXEC, PY_PROCESS, PY_NATIVE, PY_NETWORK, PY_IMPORT, PY_N };

static const struct {
	const char *rule;
	enum scan_severity sev;
	const char *what;
} py_rules[PY_N] = {
	[PY_EXEC] = { "python-exec", SCAN_HIGH, "executes dynamic code" },
	[PY_PROCESS] = { "python-process", SCAN_HIGH, "starts processes" },
	[PY_NATIVE] = { "python-native-code", SCAN_HIGH,
			"loads native code" },
	[PY_NETWORK] = { "python-network", SCAN_MEDIUM,
			 "opens network connections" },
	[PY_IMPORT] = { "python-dynamic-import", SCAN_HIGH,
			"imports modules by computed name" },
};

/* Dotted call targets; a trailing '.' matches any attribute. */
static const struct {
	const char *name;
	enum py_rule rule;
} py_calls[] = {
	{ "exec", PY_EXEC }, { "eval", PY_EXEC }, { "compile", PY_EXEC },
	{ "builtins.exec", PY_EXEC }, { "builtins.eval", PY_EXEC },
	{ "marshal.loads", PY_EXEC }, { "types.FunctionType", PY_EXEC },
	{ "types.CodeType", PY_EXEC },
	{ "os.system", PY_PROCESS }, { "os.popen", PY_PROCESS },
	{ "os.fork", PY_PROCESS }, { "os.exec", PY_PROCESS },
	{ "os.spawn", PY_PROCESS }, { "os.posix_spawn", PY_PROCESS },
	{ "subprocess.", PY_PROCESS }, { "pty.spawn", PY_PROCESS },
	{ "ctypes.", PY_NATIVE }, { "cffi.", PY_NATIVE },
	{ "socket.", PY_NETWORK }, { "urllib.request.", PY_NETWORK },
	{ "urlopen", PY_NETWORK }, { "requests.", PY_NETWORK },
	{ "http.client.", PY_NETWORK }, { "httpx.", PY_NETWORK },
	{ "__import__", PY_IMPORT }, { "importlib.import_module", PY_IMPORT },
};

/* Modules whose import alone says what the file can do. */
static const struct {
	const char *name;
	enum py_rule rule;
} py_modules[] = {
	{ "subprocess", PY_PROCESS }, { "pty", PY_PROCESS },
	{ "ctypes", PY_NATIVE }, { "cffi", PY_NATIVE },
	{ "socket", PY_NETWORK }, { "urllib.request", PY_NETWORK },
	{ "requests", PY_NETWORK }, { "http.client", PY_NETWORK },
	{ "httpx", PY_NETWORK }, { "marshal", PY_EXEC },
};

struct py {
	struct scan_report *r;
	struct scan_file *f;
	bool seen[PY_N];
	char name[PY_N][PY_MAX_NAME];
	size_t line[PY_N];
};

static void py_hit(struct py *p, enum py_rule k, const char *name,
		   size_t line)
{
	if (p->seen[k])
		return;
	p->seen[k] = true;
	snprintf(p->name[k], sizeof(p->name[k]), "%s", name);
	p->line[k] = line;
}

static bool name_matches(const char *name, const char *pat)
{
	size_t n = strlen(pat);

	if (pat[n - 1] == '.')
		return !strncmp(name, pat, n) ||
		       (strlen(name) == n - 1 && !strncmp(name, pat, n - 1));
	/* os.exec matches os.execv, os.execve, ... */
	return !strncmp(name, pat, n) &&
	       (name[n] == '\0' || (islower((unsigned char)name[n]) &&
				    strchr(pat, '.')));
}

static void check_call(struct py *p, const char *name, size_t line,
		       bool is_call, bool after_dot)
{
	for (size_t i = 0; i < sizeof(py_calls) / sizeof(py_calls[0]); i++) {
		/* model.eval() is a method, not the builtin. */
		if (after_dot || !name_matches(name, py_calls[i].name))
			continue;
		if (is_call || strchr(py_calls[i].name, '.'))
			py_hit(p, py_calls[i].rule, name, line);
	}
}

static void check_import(struct py *p, const char *mod, size_t line)
{
	for (size_t i = 0; i < sizeof(py_modules) / sizeof(py_modules[0]);
	     i++) {
		size_t n = strlen(py_modules[i].name);

		if (!strncmp(mod, py_modules[i].name, n) &&
		    (mod[n] == '\0' || mod[n] == '.'))
			py_hit(p, py_modules[i].rule, mod, line);
	}
}

/* Skip a string literal starting at s[i] (after any prefix letters). */
static size_t skip_string(const char *s, size_t len, size_t i, size_t *line)
{
	char q = s[i];
	bool triple = i + 2 < len && s[i + 1] == q && s[i + 2] == q;

	i += triple ? 3 : 1;
	while (i < len) {
		if (s[i] == '\\' && i + 1 < len) {
			*line += s[i + 1] == '\n';
			i += 2;
			continue;
		}
		*line += s[i] == '\n';
		if (!triple && (s[i] == q || s[i] == '\n'))
			return i + 1;
		if (triple && s[i] == q && i + 2 < len && s[i + 1] == q &&
		    s[i + 2] == q)
			return i + 3;
		i++;
	}
	return len;
}

/* A dotted name starting at s[i]; copied into out (cut at the limit). */
static size_t dotted(const char *s, size_t len, size_t i, char *out)
{
	size_t o = 0;

	while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_' ||
			   (s[i] == '.' && i + 1 < len &&
			    (isalpha((unsigned char)s[i + 1]) ||
			     s[i + 1] == '_')))) {
		if (o + 1 < PY_MAX_NAME)
			out[o++] = s[i];
		i++;
	}
	out[o] = '\0';
	return i;
}

static void scan_source(struct py *p, const char *s, size_t len)
{
	char name[PY_MAX_NAME], prev[PY_MAX_NAME] = "";
	size_t i = 0, line = 1;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '#') {
			while (i < len && s[i] != '\n')
				i++;
		} else if (c == '\'' || c == '"') {
			i = skip_string(s, len, i, &line);
			prev[0] = '\0';
		} else if (isalpha(c) || c == '_') {
			size_t j = dotted(s, len, i, name), k = j;
			bool after_dot = i > 0 && s[i - 1] == '.';

			if (k < len && (s[k] == '\'' || s[k] == '"') &&
			    strlen(name) <= 3 && strspn(name, "rbfuRBFU") ==
			    strlen(name)) {
				i = skip_string(s, len, k, &line);
				continue;
			}
			while (k < len && (s[k] == ' ' || s[k] == '\t'))
				k++;
			if (!strcmp(prev, "import") || !strcmp(prev, "from"))
				check_import(p, name, line);
			check_call(p, name, line, k < len && s[k] == '(',
				   after_dot);
			snprintf(prev, sizeof(prev), "%s", name);
			i = j;
		} else {
			line += c == '\n';
			if (c == ',' && !strcmp(prev, "import"))
				;   /* import a, b: keep the import context */
			else if (!isspace(c))
				prev[0] = '\0';
			i++;
		}
	}
}

int scan_fmt_python(struct scan_report *r, struct scan_file *f, int fd,
		    uint64_t size)
{
	struct py *p;
	char *text = NULL;
	int rc = 0;

	if (size > PY_MAX_FILE)
		return scan_fmt_fail(f, ERR_LIMIT, "python: %llu bytes exceed "
				     "the %u limit in '%s'",
				     (unsigned long long)size, PY_MAX_FILE,
				     f->path);
	p = calloc(1, sizeof(*p));
	if (!p)
		return scan_fmt_fail(f, ERR_NOMEM, "out of memory");
	p->r = r;
	p->f = f;
	rc = scan_fmt_read_alloc(f, fd, 0, (size_t)size, &text);
	if (rc) {
		rc = scan_fmt_fail(f, rc, "python: %s", err_msg());
		goto out;
	}
	scan_source(p, text, (size_t)size);
	for (int k = 0; k < PY_N && !rc; k++)
		if (p->seen[k])
			rc = scan_add(r, py_rules[k].rule, py_rules[k].sev,
				      f->path, OWASP_SUPPLY_CHAIN,
				      "Python code %s ('%s' at line %zu) in "
				      "'%s'", py_rules[k].what, p->name[k],
				      p->line[k], f->path);
	if (!rc)
		rc = scan_fmt_check_text(r, f, text, (size_t)size, 0,
					 SCAN_TEXT_DOC);
out:
	free(text);
	free(p);
	return rc;
}

/*
 * .kitignore as kit reads it: moby's ignorefile line rules and
 * patternmatcher semantics (patterns anchored at the context directory,
 * "**" across directories, '!' re-includes, a match on a parent
 * directory excludes everything below it).
 */
#include "kitfile/ignore.h"

#include <stdlib.h>
#include <string.h>

#include "kitfile/internal.h"
#include "util/err.h"
#include "util/fs.h"

/* How a pattern matches, as patternmatcher compiles it. */
enum match_type { M_EXACT, M_PREFIX, M_SUFFIX, M_REGEXP };

enum tok_type { T_LIT, T_STAR, T_ANY, T_CLASS, T_DSTAR_SLASH, T_DSTAR_END };

struct tok {
	enum tok_type type;
	unsigned char c;          /* T_LIT */
	bool negated;             /* T_CLASS */
	unsigned *ranges;         /* T_CLASS: lo,hi pairs of code points */
	size_t n_ranges;
};

struct pattern {
	char *text;               /* cleaned, without the leading '!' */
	bool exclusion;
	enum match_type type;
	struct tok *toks;
	size_t n_toks;
};

struct kitignore {
	struct pattern *p;
	size_t n;
	bool exclusions;
};

/* Longest line accepted, bufio.Scanner's limit in ignorefile, and the
 * longest pattern: matching costs its length times the path's. */
#define KITIGNORE_LINE_MAX 65536
#define KITIGNORE_PATTERN_MAX 4096

static void pattern_release(struct pattern *p)
{
	for (size_t i = 0; i < p->n_toks; i++)
		free(p->toks[i].ranges);
	free(p->toks);
	free(p->text);
}

void kitignore_free(struct kitignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++)
		pattern_release(&ig->p[i]);
	free(ig->p);
	free(ig);
}

/* Decode one UTF-8 rune; invalid bytes read as one U+FFFD byte. */
static size_t rune_at(const unsigned char *s, size_t len, unsigned *cp)
{
	size_t n;
	unsigned c = s[0];

	if (c < 0x80 || len < 2) {
		*cp = c < 0x80 ? c : 0xfffd;
		return 1;
	}
	n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
	if (n == 1 || n > len) {
		*cp = 0xfffd;
		return 1;
	}
	*cp = c & (0x3f >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

/* Room for one more of n elements of size sz in *arr, doubling at each
 * power of two (the capacity is implied by n). */
static int grow_array(void *arr, size_t n, size_t sz)
{
	void *grown;

	if (n != 0 && (n < 8 || (n & (n - 1))))
		return 0;
	grown = realloc(*(void **)arr, (n ? 2 * n : 8) * sz);
	if (!grown)
		return err_set(ERR_NOMEM, "out of memory");
	*(void **)arr = grown;
	return 0;
}

static int add_tok(struct pattern *p, struct tok t)
{
	int rc = grow_array(&p->toks, p->n_toks, sizeof(t));

	if (rc) {
		free(t.ranges);
		return rc;
	}
	p->toks[p->n_toks++] = t;
	return 0;
}

/* One class member: an escaped or plain rune. Go's filepath.Match
 * refuses '-' and ']' here and a trailing '\'. */
static int class_rune(const char *s, size_t *i, size_t len, unsigned *cp)
{
	if (*i >= len || s[*i] == '-' || s[*i] == ']')
		return ERR_INVALID;
	if (s[*i] == '\\' && ++*i >= len)
		return ERR_INVALID;
	if (s[*i] == '*' || s[*i] == '?' || s[*i] == '[')
		return ERR_UNSUPPORTED;
	*i += rune_at((const unsigned char *)s + *i, len - *i, cp);
	return 0;
}

/* "[...]": as Go's filepath.Match validates it; the set then matches one
 * rune, '/' included, as the regexp patternmatcher builds does. */
static int parse_class(struct pattern *p, const char *s, size_t *i,
		       size_t len)
{
	struct tok t = { .type = T_CLASS };
	unsigned lo, hi;
	int rc;

	if (++*i < len && s[*i] == '^')
		t.negated = true, ++*i;
	do {
		rc = class_rune(s, i, len, &lo);
		hi = lo;
		if (rc == 0 && *i < len && s[*i] == '-') {
			++*i;
			rc = class_rune(s, i, len, &hi);
			if (rc == 0 && hi < lo)
				rc = ERR_INVALID;
		}
		if (rc == 0)
			rc = grow_array(&t.ranges, t.n_ranges,
					2 * sizeof(*t.ranges));
		if (rc)
			break;
		t.ranges[t.n_ranges * 2] = lo;
		t.ranges[t.n_ranges * 2 + 1] = hi;
		t.n_ranges++;
	} while (*i < len && s[*i] != ']');
	if (rc == 0 && (*i >= len || s[*i] != ']'))
		rc = ERR_INVALID;
	if (rc) {
		free(t.ranges);
		return rc;
	}
	++*i;
	return add_tok(p, t);
}

/* "**" in its three places: at the start, inside, at the end. */
static int parse_dstar(struct pattern *p, const char *s, size_t *i,
		       size_t len, bool first)
{
	struct tok t = { .type = T_DSTAR_SLASH };

	*i += 2;
	if (*i < len && s[*i] == '/')
		++*i;
	if (*i >= len) {
		if (p->type == M_EXACT)
			p->type = M_PREFIX;
		else
			t.type = T_DSTAR_END, p->type = M_REGEXP;
	} else {
		p->type = M_REGEXP;
	}
	if (first)
		p->type = M_SUFFIX;
	return add_tok(p, t);
}

static int compile_step(struct pattern *p, const char *s, size_t *i,
			size_t len, size_t nth)
{
	struct tok t = { .type = T_LIT };

	if (s[*i] == '*' && *i + 1 < len && s[*i + 1] == '*')
		return parse_dstar(p, s, i, len, nth == 0);
	if (s[*i] == '[') {
		p->type = M_REGEXP;
		return parse_class(p, s, i, len);
	}
	if (s[*i] == '*' || s[*i] == '?') {
		t.type = s[*i] == '*' ? T_STAR : T_ANY;
		p->type = M_REGEXP;
		++*i;
		return add_tok(p, t);
	}
	if (s[*i] == '\\') {
		if (*i + 1 >= len)
			return ERR_INVALID;
		p->type = M_REGEXP;
		++*i;
	}
	t.c = (unsigned char)s[(*i)++];
	return add_tok(p, t);
}

static int compile(struct pattern *p)
{
	size_t len = strlen(p->text), i = 0, nth = 0;
	int rc = 0;

	p->type = M_EXACT;
	while (rc == 0 && i < len)
		rc = compile_step(p, p->text, &i, len, nth++);
	return rc;
}

/* patternmatcher.New for one line, after ignorefile.ReadAll's rules. */
static int add_pattern(struct kitignore *ig, const char *line, int lineno)
{
	struct pattern p = { 0 };
	char *clean;
	int rc;

	p.exclusion = line[0] == '!';
	if (p.exclusion && !line[1])
		return err_set(ERR_INVALID, ".kitignore:%d: illegal "
			       "exclusion pattern: \"!\"", lineno);
	if (strlen(line) > KITIGNORE_PATTERN_MAX)
		return err_set(ERR_LIMIT, ".kitignore:%d: pattern longer than "
			       "%d bytes", lineno, KITIGNORE_PATTERN_MAX);
	clean = kitfile_path_clean(line + p.exclusion);
	if (!clean)
		return err_set(ERR_NOMEM, "out of memory");
	/* ignorefile makes "/a" relative; patternmatcher cleans again. */
	if (clean[0] == '/' && clean[1])
		memmove(clean, clean + 1, strlen(clean));
	p.text = clean;
	rc = compile(&p);
	if (rc == ERR_UNSUPPORTED)
		rc = err_set(rc, ".kitignore:%d: '*', '?' or '[' inside "
			     "[...] is not supported: '%s'", lineno, line);
	else if (rc == ERR_INVALID)
		rc = err_set(rc, ".kitignore:%d: syntax error in pattern "
			     "'%s'", lineno, line);
	else if (rc == 0 && ig->n >= KITIGNORE_MAX_PATTERNS + 4)
		rc = err_set(ERR_LIMIT, ".kitignore: more than %d patterns",
			     KITIGNORE_MAX_PATTERNS);
	if (rc == 0)
		rc = grow_array(&ig->p, ig->n, sizeof(p));
	if (rc == 0)
		ig->p[ig->n++] = p;
	if (rc)
		pattern_release(&p);
	else if (p.exclusion)
		ig->exclusions = true;
	return rc;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
	       c == '\v' || c == '\f';
}

/* Trim, drop comments and blanks, and undo "! pattern" spacing. */
static int add_line(struct kitignore *ig, char *line, size_t n, int lineno)
{
	char *s = line, *e = line + n;

	if (lineno == 1 && n >= 3 && !memcmp(s, "\xef\xbb\xbf", 3))
		s += 3;
	if (*s == '#')
		return 0;
	while (s < e && is_space(*s))
		s++;
	while (e > s && is_space(e[-1]))
		e--;
	*e = '\0';
	if (s == e)
		return 0;
	if (memchr(s, '\0', (size_t)(e - s)))
		return err_set(ERR_INVALID, ".kitignore:%d: NUL character",
			       lineno);
	if (s[0] == '!') {
		char *r = s + 1;

		while (is_space(*r))
			r++;
		memmove(s + 1, r, strlen(r) + 1);
	}
	return add_pattern(ig, s, lineno);
}

static int add_defaults(struct kitignore *ig)
{
	/* kit appends the Kitfile names and .kitignore after the user's
	 * patterns, so no '!' line can bring them back. */
	static const char *const names[] = { "Kitfile", "kitfile",
					     ".kitfile", ".kitignore" };
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < 4; i++)
		rc = add_pattern(ig, names[i], 0);
	return rc;
}

static int parse_lines(struct kitignore *ig, const char *text, size_t len)
{
	size_t start = 0;
	int lineno = 0, rc = 0;

	while (rc == 0 && start < len) {
		const char *nl = memchr(text + start, '\n', len - start);
		size_t n = nl ? (size_t)(nl - text) - start : len - start;
		char *line;

		lineno++;
		if (n > KITIGNORE_LINE_MAX)
			return err_set(ERR_LIMIT, ".kitignore:%d: line longer "
				       "than %d bytes", lineno,
				       KITIGNORE_LINE_MAX);
		line = kitfile_strndup(text + start, n);
		if (!line)
			return err_set(ERR_NOMEM, "out of memory");
		rc = add_line(ig, line, n, lineno);
		free(line);
		start += n + 1;
	}
	return rc;
}

int kitignore_parse(const char *text, size_t len, struct kitignore **out)
{
	struct kitignore *ig;
	int rc;

	*out = NULL;
	if (len > KITIGNORE_MAX_BYTES)
		return err_set(ERR_LIMIT, ".kitignore larger than %u bytes",
			       KITIGNORE_MAX_BYTES);
	ig = calloc(1, sizeof(*ig));
	if (!ig)
		return err_set(ERR_NOMEM, "out of memory");
	rc = parse_lines(ig, text, len);
	if (rc == 0)
		rc = add_defaults(ig);
	if (rc)
		kitignore_free(ig);
	else
		*out = ig;
	return rc;
}

int kitignore_load(const char *dir, struct kitignore **out)
{
	struct buf b = BUF_INIT(KITIGNORE_MAX_BYTES);
	struct buf path = BUF_INIT(8192);
	int rc;

	*out = NULL;
	rc = buf_printf(&path, "%s/.kitignore", dir);
	if (rc == 0)
		rc = fs_read_file(buf_cstr(&path), KITIGNORE_MAX_BYTES, &b);
	if (rc == ERR_NOTFOUND)
		rc = kitignore_parse("", 0, out);
	else if (rc == 0)
		rc = kitignore_parse(buf_cstr(&b), b.len, out);
	buf_release(&b);
	buf_release(&path);
	return rc;
}

static bool class_match(const struct tok *t, unsigned cp)
{
	bool in = false;

	for (size_t i = 0; i < t->n_ranges && !in; i++)
		in = cp >= t->ranges[2 * i] && cp <= t->ranges[2 * i + 1];
	return in != t->negated;
}

/* One cell of the table: can toks[k..] match s[i..]? */
static bool cell(const struct pattern *p, const unsigned char *s,
		 size_t len, const bool *next, const bool *cur, bool *any,
		 size_t k, size_t i)
{
	const struct tok *t = &p->toks[k];
	unsigned cp;
	size_t n;

	switch (t->type) {
	case T_LIT:
		return i < len && s[i] == t->c && next[i + 1];
	case T_STAR:
		return next[i] || (i < len && s[i] != '/' && cur[i + 1]);
	case T_ANY:
	case T_CLASS:
		if (i >= len || (t->type == T_ANY && s[i] == '/'))
			return false;
		n = rune_at(s + i, len - i, &cp);
		return (t->type == T_ANY || class_match(t, cp)) && next[i + n];
	case T_DSTAR_SLASH:
		/* (.*\/)? with RE2's '.' that stops at newlines */
		*any = i < len && ((s[i] == '/' && next[i + 1]) ||
				   (s[i] != '\n' && *any));
		return next[i] || *any;
	case T_DSTAR_END:
		*any = next[i] || (i < len && s[i] != '\n' && *any);
		return *any;
	}
	return false;
}

/*
 * The regexp patternmatcher would build, run as a table: row k says which
 * suffixes of path toks[k..] match. Each row needs only the next one, so
 * two rows of strlen(path) + 1 cells suffice.
 */
static bool regexp_match(const struct pattern *p, const char *path)
{
	const unsigned char *s = (const unsigned char *)path;
	size_t len = strlen(path), w = len + 1;
	bool *next = calloc(2 * w, sizeof(bool)), *cur, r;

	if (!next)
		return true; /* fail closed: out of memory excludes */
	cur = next + w;
	next[len] = true;
	for (size_t k = p->n_toks; k-- > 0;) {
		bool any = false, *t;

		for (size_t i = w; i-- > 0;)
			cur[i] = cell(p, s, len, next, cur, &any, k, i);
		t = next;
		next = cur;
		cur = t;
	}
	r = next[0];
	free(next < cur ? next : cur);
	return r;
}

static bool pattern_match(const struct pattern *p, const char *path)
{
	size_t n = strlen(p->text), pl = strlen(path);

	switch (p->type) {
	case M_EXACT:
		return !strcmp(path, p->text);
	case M_PREFIX:
		return !strncmp(path, p->text, n - 2);
	case M_SUFFIX:
		/* The text after the leading "**"; "**\/foo" also matches
		 * "foo" itself. */
		if (pl >= n - 2 && !strcmp(path + pl - (n - 2), p->text + 2))
			return true;
		return p->text[2] == '/' && !strcmp(path, p->text + 3);
	default:
		return regexp_match(p, path);
	}
}

/* The pattern matches path or one of its parent directories. */
static bool match_or_parent(const struct pattern *p, const char *path)
{
	char *dup;
	bool m = pattern_match(p, path);

	if (m || !strchr(path, '/'))
		return m;
	dup = strdup(path);
	if (!dup)
		return true;
	for (char *sl = strchr(dup, '/'); sl && !m; sl = strchr(sl + 1, '/')) {
		*sl = '\0';
		m = pattern_match(p, dup);
		*sl = '/';
	}
	free(dup);
	return m;
}

static bool ignore_clean(const struct kitignore *ig, const char *path)
{
	bool matched = false;

	/* Later patterns win; a '!' only matters once something matched. */
	for (size_t i = 0; i < ig->n; i++) {
		const struct pattern *p = &ig->p[i];

		if (p->exclusion != matched)
			continue;
		if (match_or_parent(p, path))
			matched = !p->exclusion;
	}
	return matched;
}

/* filepath.Clean(strings.TrimSpace(path)) */
static char *clean_trimmed(const char *path)
{
	size_t n;
	char *t, *c;

	while (is_space(*path))
		path++;
	n = strlen(path);
	while (n && is_space(path[n - 1]))
		n--;
	t = kitfile_strndup(path, n);
	c = t ? kitfile_path_clean(t) : NULL;
	free(t);
	return c;
}

bool kitignore_match(const struct kitignore *ig, const char *relpath,
		     bool is_dir)
{
	char *path = clean_trimmed(relpath);
	bool m;

	(void)is_dir; /* patternmatcher ignores it: "dir/" == "dir" */
	if (!path)
		return true;
	m = ignore_clean(ig, path);
	free(path);
	return m;
}

bool kitignore_has_exclusions(const struct kitignore *ig)
{
	return ig->exclusions;
}

/* "data-v2" is not within "data"; everything is within ".". */
static bool is_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "."))
		return true;
	return !strncmp(path, dir, n) && (path[n] == '\0' || path[n] == '/');
}

static bool nested_in_other(const struct kitfile *kf, const char *path,
			    const char *layer)
{
	bool hit = false;

	for (size_t i = 0; i < kf->n_entries && !hit; i++) {
		const struct kitfile_entry *e = &kf->entries[i];
		char *other = clean_trimmed(KITFILE_ENTRY_PATH(e));

		if (!other)
			return true;
		/* A layer containing ours (".", a parent) takes nothing. */
		if (!is_within(layer, other))
			hit = is_within(path, other);
		free(other);
	}
	return hit;
}

bool kitignore_excludes(const struct kitignore *ig, const struct kitfile *kf,
			const char *relpath, const char *layer_path)
{
	char *path = clean_trimmed(relpath), *layer = clean_trimmed(layer_path);
	bool ex = true;

	if (path && layer)
		ex = ignore_clean(ig, path) || nested_in_other(kf, path, layer);
	free(path);
	free(layer);
	return ex;
}

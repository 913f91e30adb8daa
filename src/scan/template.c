/* Jinja chat templates: the code inside {{ }} and {% %} is tokenised and
 * checked for sandbox escapes (dunder access, the attr filter, globals
 * and builtins); the whole text for hidden instructions (branches on
 * message content, literal URLs, encoded blobs, hidden Unicode). */
#include "scan/formats.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "scan/fmt_util.h"
#include "util/err.h"

#define TP_MAX_TEXT (4u << 20)
#define TP_BLOB_MIN 80     /* base64 run that is more than a word */

enum tp_rule {
	TP_DUNDER, TP_ATTR, TP_GLOBALS, TP_BRANCH, TP_URL, TP_BLOB,
	TP_OVERRIDE, TP_HIDDEN, TP_N
};

static const struct {
	const char *rule;
	enum scan_severity sev;
	const char *owasp;
	const char *what;
} tp_rules[TP_N] = {
	[TP_DUNDER] = { "template-dunder-access", SCAN_CRITICAL,
			OWASP_SUPPLY_CHAIN, "dunder attribute access" },
	[TP_ATTR] = { "template-attr-filter", SCAN_HIGH, OWASP_SUPPLY_CHAIN,
		      "attr filter (attribute access by computed name)" },
	[TP_GLOBALS] = { "template-globals-access", SCAN_CRITICAL,
			 OWASP_SUPPLY_CHAIN,
			 "reference to globals, builtins or a known escape" },
	[TP_BRANCH] = { "template-content-branch", SCAN_MEDIUM,
			OWASP_PROMPT_INJECTION,
			"branch on message content matching a literal" },
	[TP_URL] = { "template-literal-url", SCAN_MEDIUM,
		     OWASP_PROMPT_INJECTION, "literal URL" },
	[TP_BLOB] = { "template-encoded-blob", SCAN_HIGH,
		      OWASP_PROMPT_INJECTION, "long encoded blob" },
	[TP_OVERRIDE] = { "template-instruction-override", SCAN_MEDIUM,
			  OWASP_PROMPT_INJECTION,
			  "text that overrides earlier instructions" },
	[TP_HIDDEN] = { "template-hidden-instruction", SCAN_HIGH,
			OWASP_PROMPT_INJECTION,
			"content-triggered branch that injects a URL, blob or "
			"override: trigger" },
};

/* Globals that Jinja and Flask environments expose: a way in to Python
 * objects when referenced as a name (not as an attribute or keyword). */
static const char *const tp_global_names[] = {
	"config", "cycler", "get_flashed_messages", "joiner", "lipsum", "os",
	"request", "self", "sys", "url_for",
};

/* Words that only escape payloads use, wherever they appear. */
static const char *const tp_escape_words[] = {
	"__import__", "builtins", "eval", "exec", "func_globals", "getattr",
	"globals", "import_module", "mro", "popen", "subclasses",
	"subprocess",
};

struct tp {
	size_t len;              /* of the whole template text */
	struct scan_report *r;
	struct scan_file *f;
	uint64_t base;
	bool seen[TP_N];
	const char *arg[TP_N];
	size_t arg_len[TP_N];
	uint64_t at[TP_N];
};

static void hit(struct tp *t, enum tp_rule k, const char *s, size_t n,
		uint64_t off)
{
	if (t->seen[k])
		return;
	t->seen[k] = true;
	t->arg[k] = s;
	t->arg_len[k] = n > 60 ? 60 : n;
	t->at[k] = t->base + off;
}

static bool is_ident(int c)
{
	return isalnum(c) || c == '_';
}

static bool in_words(const char *s, size_t n, const char *const *w,
		     size_t count)
{
	for (size_t i = 0; i < count; i++)
		if (strlen(w[i]) == n && !memcmp(s, w[i], n))
			return true;
	return false;
}

#define IN_WORDS(s, n, w) in_words(s, n, w, sizeof(w) / sizeof(w[0]))

/* name= inside a call is a keyword argument, not a reference. */
static bool keyword_arg(const char *s, size_t len, size_t end)
{
	while (end < len && (s[end] == ' ' || s[end] == '\t'))
		end++;
	return end + 1 < len && s[end] == '=' && s[end + 1] != '=';
}

/* State of one {{ }} or {% %} region while its tokens go by; the
 * content-branch flags cover one clause (between and/or). */
struct tp_region {
	bool is_if, has_content, has_compare, has_role;
	bool has_literal;        /* a string literal that is not a tag */
	size_t lit_at, lit_len;
	const char *prev;        /* previous significant token */
	size_t prev_len;
};

/* End of a clause of an if: a comparison of message content with a
 * plain-word literal (not a role test) is a content branch. */
static void clause_end(struct tp *t, struct tp_region *g, const char *text)
{
	if (g->is_if && g->has_content && g->has_compare && g->has_literal &&
	    !g->has_role)
		hit(t, TP_BRANCH, text + g->lit_at, g->lit_len, g->lit_at);
	g->has_content = g->has_compare = g->has_literal = false;
	g->has_role = false;
}

static void ident(struct tp *t, struct tp_region *g, const char *text,
		  size_t at, size_t n)
{
	const char *s = text + at;

	if ((n == 3 && !memcmp(s, "and", 3)) || (n == 2 && !memcmp(s, "or", 2)))
		clause_end(t, g, text);
	if (n == 4 && !memcmp(s, "role", 4))
		g->has_role = true;

	if (memmem(s, n, "__", 2))
		hit(t, TP_DUNDER, s, n, at);
	if (IN_WORDS(s, n, tp_escape_words) ||
	    (IN_WORDS(s, n, tp_global_names) &&
	     !(g->prev && g->prev[0] == '.') &&
	     !keyword_arg(text, t->len, at + n)))
		hit(t, TP_GLOBALS, s, n, at);
	if (n == 4 && !memcmp(s, "attr", 4) && g->prev && g->prev[0] == '|')
		hit(t, TP_ATTR, s, n, at);
	if (!g->prev && ((n == 2 && !memcmp(s, "if", 2)) ||
			 (n == 4 && !memcmp(s, "elif", 4))))
		g->is_if = true;
	if (n == 7 && !memcmp(s, "content", 7))
		g->has_content = true;
	if ((n == 2 && !memcmp(s, "in", 2)) ||
	    (n == 10 && !memcmp(s, "startswith", 10)) ||
	    (n == 8 && !memcmp(s, "endswith", 8)))
		g->has_compare = true;
}

static void literal(struct tp *t, struct tp_region *g, const char *text,
		    size_t at, size_t n)
{
	const char *s = text + at;

	if (memmem(s, n, "__", 2))
		hit(t, TP_DUNDER, s, n, at);
	if (n == 7 && !memcmp(s, "content", 7)) {
		g->has_content = true;
		return;
	}
	if (n == 4 && !memcmp(s, "role", 4)) {
		g->has_role = true;
		return;
	}
	/* Special tokens (<think>, [INST]) are how templates legitimately
	 * look inside content; plain words are how backdoors do. */
	if (n && s[0] != '<' && s[0] != '[' && s[0] != '\n' &&
	    !g->has_literal) {
		g->has_literal = true;
		g->lit_at = at;
		g->lit_len = n;
	}
}

/* Tokenise code from i to the closing delimiter; returns its end. */
static size_t region(struct tp *t, const char *s, size_t len, size_t i,
		     char close)
{
	struct tp_region g = { false, false, false, false, false, 0, 0, NULL,
			       0 };

	while (i + 1 < len && !(s[i] == close && s[i + 1] == '}')) {
		size_t j = i;

		if (s[i] == '\'' || s[i] == '"') {
			char q = s[i];

			for (j = i + 1; j < len && s[j] != q; j++)
				if (s[j] == '\\' && j + 1 < len)
					j++;
			literal(t, &g, s, i + 1, j - i - 1);
			g.prev = s + i;
			g.prev_len = 1;
			i = j < len ? j + 1 : j;
			continue;
		}
		if (is_ident((unsigned char)s[i])) {
			while (j < len && is_ident((unsigned char)s[j]))
				j++;
			ident(t, &g, s, i, j - i);
			g.prev = s + i;
			g.prev_len = j - i;
			i = j;
			continue;
		}
		if ((s[i] == '=' || s[i] == '!') && i + 1 < len &&
		    s[i + 1] == '=')
			g.has_compare = true;
		if (!isspace((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '+') {
			g.prev = s + i;
			g.prev_len = 1;
		}
		i++;
	}
	clause_end(t, &g, s);
	return i + 2;
}

static void text_checks(struct tp *t, const char *s, size_t len)
{
	size_t run = 0, up = 0, lo = 0, dig = 0;

	for (size_t i = 0; i <= len; i++) {
		int c = i < len ? (unsigned char)s[i] : 0;

		if (i + 8 < len && (!memcmp(s + i, "http://", 7) ||
				    !memcmp(s + i, "https://", 8))) {
			size_t e = i;

			/* text is not NUL-terminated: bound the span. */
			while (e < len && !strchr(" \"'\n<", s[e]) && s[e])
				e++;
			hit(t, TP_URL, s + i, e - i, i);
		}
		if (c && (isalnum(c) || c == '+' || c == '/' || c == '=')) {
			run++;
			up += isupper(c) != 0;
			lo += islower(c) != 0;
			dig += isdigit(c) != 0;
			continue;
		}
		if (run >= TP_BLOB_MIN && up && lo && dig)
			hit(t, TP_BLOB, s + i - run, run, i - run);
		run = up = lo = dig = 0;
	}
}

/* Phrases that turn a template into a second system prompt. */
static void overrides(struct tp *t, const char *s, size_t len)
{
	static const char *const phrases[] = {
		"ignore previous", "ignore all previous", "disregard previous",
		"disregard all previous", "ignore the above",
		"forget your instructions", "ignore prior", "ignore all prior",
		"disregard prior", "disregard all prior", "ignore your rules",
		"ignore all rules", "ignore your instructions",
	};

	for (size_t k = 0; k < sizeof(phrases) / sizeof(phrases[0]); k++) {
		size_t n = strlen(phrases[k]);

		for (size_t i = 0; i + n <= len; i++)
			if (!strncasecmp(s + i, phrases[k], n)) {
				hit(t, TP_OVERRIDE, s + i, n, i);
				return;
			}
	}
}

static int report(struct tp *t)
{
	int rc = 0;

	for (int k = 0; k < TP_N && !rc; k++) {
		if (!t->seen[k])
			continue;
		rc = scan_add(t->r, tp_rules[k].rule, tp_rules[k].sev,
			      t->f->path, tp_rules[k].owasp,
			      "chat template: %s '%.*s' at offset %llu in "
			      "'%s'", tp_rules[k].what, (int)t->arg_len[k],
			      t->arg[k], (unsigned long long)t->at[k],
			      t->f->path);
	}
	return rc;
}

int scan_fmt_template_text(struct scan_report *r, struct scan_file *f,
			   const char *text, size_t len, uint64_t base)
{
	struct tp t = { .len = len, .r = r, .f = f, .base = base };
	size_t i = 0;
	int rc;

	if (len > TP_MAX_TEXT)
		return scan_fmt_fail(f, ERR_LIMIT, "template: %zu bytes exceed "
				     "the limit in '%s'", len, f->path);
	while (i + 1 < len) {
		if (text[i] == '{' && (text[i + 1] == '{' ||
				       text[i + 1] == '%')) {
			i = region(&t, text, len, i + 2,
				   text[i + 1] == '{' ? '}' : '%');
			continue;
		}
		if (text[i] == '{' && text[i + 1] == '#') {
			const char *end = memmem(text + i, len - i, "#}", 2);

			i = end ? (size_t)(end - text) + 2 : len;
			continue;
		}
		i++;
	}
	text_checks(&t, text, len);
	overrides(&t, text, len);
	/* A branch on what the user typed that then adds a URL, a blob or
	 * new instructions is a backdoor, not formatting. */
	if (t.seen[TP_BRANCH] && (t.seen[TP_URL] || t.seen[TP_BLOB] ||
				  t.seen[TP_OVERRIDE]))
		hit(&t, TP_HIDDEN, t.arg[TP_BRANCH], t.arg_len[TP_BRANCH],
		    (size_t)(t.at[TP_BRANCH] - base));
	rc = report(&t);
	if (!rc)
		rc = scan_fmt_check_text(r, f, text, len, base,
					 SCAN_TEXT_TEMPLATE);
	return rc;
}

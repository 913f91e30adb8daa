/* A bounded TOML 1.0 reader producing a tree with line numbers. */
#include "vuln/toml.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"

/* How a table came to exist, to refuse redefinitions (TOML 1.0 rules). */
enum { T_HEADER = 1, T_IMPLICIT = 2, T_DOTTED = 4, T_INLINE = 8,
       T_AOT = 16 };

struct tp {
	const char *p, *end, *name;
	int line;
	size_t nodes;
};

static int fail(struct tp *t, const char *what)
{
	return err_set(ERR_INVALID, "%s: line %d: %s", t->name, t->line,
		       what);
}

void toml_free(struct toml_node *n)
{
	if (!n)
		return;
	for (size_t i = 0; i < n->n; i++)
		toml_free(n->kids[i]);
	free(n->kids);
	free(n->key);
	free(n->str);
	free(n);
}

static struct toml_node *node_new(struct tp *t, enum toml_type type)
{
	struct toml_node *n;

	if (++t->nodes > TOML_MAX_NODES) {
		err_set(ERR_LIMIT, "%s: more than %d TOML values", t->name,
			TOML_MAX_NODES);
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		err_set(ERR_NOMEM, "out of memory");
		return NULL;
	}
	n->type = type;
	n->line = t->line;
	return n;
}

/* The code for a failed node_new(), whose message is already set. */
static int node_fail(const struct tp *t)
{
	return t->nodes > TOML_MAX_NODES ? ERR_LIMIT : ERR_NOMEM;
}

static int add_kid(struct toml_node *parent, struct toml_node *kid)
{
	struct toml_node **grown;

	if (parent->n == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 4;

		grown = realloc(parent->kids, cap * sizeof(*grown));
		if (!grown)
			return err_set(ERR_NOMEM, "out of memory");
		parent->kids = grown;
		parent->cap = cap;
	}
	parent->kids[parent->n++] = kid;
	return 0;
}

const struct toml_node *toml_get(const struct toml_node *t, const char *key)
{
	if (!t || t->type != TOML_TABLE)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->kids[i]->key, key))
			return t->kids[i];
	return NULL;
}

const struct toml_node *toml_path(const struct toml_node *t,
				  const char *path)
{
	char key[128];
	size_t n;

	while (t && *path) {
		n = strcspn(path, ".");
		if (n >= sizeof(key))
			return NULL;
		memcpy(key, path, n);
		key[n] = '\0';
		t = toml_get(t, key);
		path += n + (path[n] == '.');
	}
	return t;
}

/* Lexing ---------------------------------------------------------- */

static void skip_ws(struct tp *t)
{
	while (t->p < t->end && (*t->p == ' ' || *t->p == '\t'))
		t->p++;
}

static void skip_comment(struct tp *t)
{
	if (t->p < t->end && *t->p == '#')
		while (t->p < t->end && *t->p != '\n')
			t->p++;
}

/* Whitespace, comments and newlines (inside arrays, between items). */
static void skip_all(struct tp *t)
{
	for (;;) {
		skip_ws(t);
		skip_comment(t);
		if (t->p < t->end && (*t->p == '\n' || *t->p == '\r')) {
			t->line += *t->p == '\n';
			t->p++;
			continue;
		}
		return;
	}
}

static int end_of_line(struct tp *t)
{
	skip_ws(t);
	skip_comment(t);
	if (t->p < t->end && *t->p == '\r')
		t->p++;
	if (t->p < t->end && *t->p != '\n')
		return fail(t, "unexpected text after value");
	return 0;
}

static int put_utf8(struct buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return ERR_INVALID;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return buf_put(b, u, n);
}

static int escape(struct tp *t, struct buf *b)
{
	static const char from[] = "btnfr\"\\", to[] = "\b\t\n\f\r\"\\";
	const char *hit;
	unsigned long cp = 0;
	int digits;

	if (t->p >= t->end)
		return fail(t, "unterminated escape");
	hit = strchr(from, *t->p);
	if (hit && *t->p) {
		t->p++;
		return buf_putc(b, to[hit - from]);
	}
	if (*t->p != 'u' && *t->p != 'U')
		return fail(t, "bad escape in string");
	digits = *t->p++ == 'u' ? 4 : 8;
	for (int i = 0; i < digits; i++, t->p++) {
		if (t->p >= t->end || !isxdigit((unsigned char)*t->p))
			return fail(t, "bad unicode escape");
		cp = cp * 16 + (unsigned long)(isdigit((unsigned char)*t->p)
			? *t->p - '0' : (tolower((unsigned char)*t->p) - 'a'
					 + 10));
	}
	return put_utf8(b, cp) ? fail(t, "bad unicode escape") : 0;
}

/* A string of any of the four kinds; the cursor is on the quote. */
static int read_string(struct tp *t, struct buf *b)
{
	char q = *t->p;
	bool multi = t->end - t->p >= 3 && t->p[1] == q && t->p[2] == q;
	int rc = 0;

	t->p += multi ? 3 : 1;
	if (multi && t->p < t->end && *t->p == '\n') {
		t->p++;
		t->line++;
	}
	while (!rc) {
		if (t->p >= t->end)
			return fail(t, "unterminated string");
		if (*t->p == q && (!multi || (t->end - t->p >= 3 &&
					      t->p[1] == q && t->p[2] == q))) {
			t->p += multi ? 3 : 1;
			/* Up to two more quotes belong to the content. */
			while (multi && t->p < t->end && *t->p == q) {
				rc = buf_putc(b, q);
				t->p++;
			}
			return rc;
		}
		if (*t->p == '\n') {
			if (!multi)
				return fail(t, "newline in string");
			t->line++;
		}
		if (q == '"' && *t->p == '\\') {
			t->p++;
			if (multi && t->p < t->end &&
			    (isspace((unsigned char)*t->p))) {
				/* Line-ending backslash trims whitespace. */
				while (t->p < t->end &&
				       isspace((unsigned char)*t->p))
					t->line += *t->p++ == '\n';
				continue;
			}
			rc = escape(t, b);
			continue;
		}
		rc = buf_putc(b, *t->p++);
	}
	return rc;
}

static bool bare_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-';
}

/* One key part (bare or quoted) into b. */
static int read_key_part(struct tp *t, struct buf *b)
{
	const char *s;

	buf_clear(b);
	skip_ws(t);
	if (t->p < t->end && (*t->p == '"' || *t->p == '\'')) {
		if (t->end - t->p >= 3 && t->p[1] == *t->p &&
		    t->p[2] == *t->p)
			return fail(t, "multi-line string as key");
		return read_string(t, b);
	}
	for (s = t->p; t->p < t->end && bare_char(*t->p); t->p++)
		;
	if (s == t->p)
		return fail(t, "expected a key");
	return buf_put(b, s, (size_t)(t->p - s));
}

/* Tables ---------------------------------------------------------- */

static struct toml_node *member(struct toml_node *tab, const char *key)
{
	for (size_t i = 0; i < tab->n; i++)
		if (!strcmp(tab->kids[i]->key, key))
			return tab->kids[i];
	return NULL;
}

static int new_member(struct tp *t, struct toml_node *tab, const char *key,
		      enum toml_type type, struct toml_node **out)
{
	struct toml_node *n = node_new(t, type);

	if (!n)
		return node_fail(t);
	n->key = strdup(key);
	if (!n->key || add_kid(tab, n)) {
		toml_free(n);
		return err_set(ERR_NOMEM, "out of memory");
	}
	*out = n;
	return 0;
}

/*
 * Step into table key of tab, creating it with flag when missing. An
 * array of tables is entered at its last element.
 */
static int descend(struct tp *t, struct toml_node *tab, const char *key,
		   unsigned flag, struct toml_node **out)
{
	struct toml_node *n = member(tab, key);
	int rc;

	if (!n) {
		rc = new_member(t, tab, key, TOML_TABLE, &n);
		if (rc)
			return rc;
		n->flags = flag;
	} else if (n->type == TOML_ARRAY && (n->flags & T_AOT) && n->n) {
		n = n->kids[n->n - 1];
	} else if (n->type != TOML_TABLE || (n->flags & T_INLINE) ||
		   (flag == T_DOTTED && (n->flags & T_HEADER))) {
		return fail(t, "key redefined");
	}
	*out = n;
	return 0;
}

static int parse_value(struct tp *t, int depth, struct toml_node **out);

/* key(.key)* = value into tab. */
static int parse_keyval(struct tp *t, struct toml_node *tab, int depth,
			unsigned flag)
{
	struct buf key = BUF_INIT(4096);
	struct toml_node *cur = tab, *val = NULL;
	int rc;

	for (;;) {
		rc = read_key_part(t, &key);
		if (rc)
			goto out;
		skip_ws(t);
		if (t->p < t->end && *t->p == '.') {
			t->p++;
			rc = descend(t, cur, buf_cstr(&key), flag, &cur);
			if (rc)
				goto out;
			continue;
		}
		break;
	}
	if (t->p >= t->end || *t->p != '=') {
		rc = fail(t, "expected '=' after key");
		goto out;
	}
	t->p++;
	if (member(cur, buf_cstr(&key))) {
		rc = fail(t, "duplicate key");
		goto out;
	}
	rc = parse_value(t, depth + 1, &val);
	if (rc)
		goto out;
	val->key = strdup(buf_cstr(&key));
	if (!val->key || add_kid(cur, val)) {
		toml_free(val);
		rc = err_set(ERR_NOMEM, "out of memory");
	}
out:
	buf_release(&key);
	return rc;
}

/* Values ---------------------------------------------------------- */

static int parse_array(struct tp *t, int depth, struct toml_node *arr)
{
	struct toml_node *v;
	int rc;

	t->p++;
	for (;;) {
		skip_all(t);
		if (t->p < t->end && *t->p == ']') {
			t->p++;
			return 0;
		}
		rc = parse_value(t, depth + 1, &v);
		if (rc)
			return rc;
		if (add_kid(arr, v)) {
			toml_free(v);
			return err_set(ERR_NOMEM, "out of memory");
		}
		skip_all(t);
		if (t->p < t->end && *t->p == ',') {
			t->p++;
			continue;
		}
		if (t->p < t->end && *t->p == ']')
			continue;
		return fail(t, "expected ',' or ']' in array");
	}
}

static int parse_inline(struct tp *t, int depth, struct toml_node *tab)
{
	int rc;

	t->p++;
	tab->flags = T_INLINE;
	skip_ws(t);
	if (t->p < t->end && *t->p == '}') {
		t->p++;
		return 0;
	}
	for (;;) {
		rc = parse_keyval(t, tab, depth, T_DOTTED);
		if (rc)
			return rc;
		skip_ws(t);
		if (t->p < t->end && *t->p == ',') {
			t->p++;
			continue;
		}
		if (t->p < t->end && *t->p == '}') {
			t->p++;
			return 0;
		}
		return fail(t, "expected ',' or '}' in inline table");
	}
}

/* The input is counted, not NUL-terminated: copy exactly n bytes. */
static char *toml_dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int parse_scalar(struct tp *t, struct toml_node *n)
{
	const char *s = t->p;

	while (t->p < t->end && !strchr(" \t\r\n,]}#", *t->p))
		t->p++;
	/* A date and time separated by a space ("1979-05-27 07:32:00"). */
	if (t->p - s == 10 && t->end - t->p > 3 && t->p[0] == ' ' &&
	    isdigit((unsigned char)t->p[1]) && s[4] == '-')
		for (t->p++; t->p < t->end && !strchr(" \t\r\n,]}#", *t->p);)
			t->p++;
	if (t->p == s)
		return fail(t, "expected a value");
	n->str = toml_dupn(s, (size_t)(t->p - s));
	return n->str ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static int parse_value(struct tp *t, int depth, struct toml_node **out)
{
	struct buf b = BUF_INIT((size_t)(t->end - t->p) + 1);
	struct toml_node *n;
	int rc;

	*out = NULL;
	if (depth > TOML_MAX_DEPTH)
		return err_set(ERR_LIMIT, "%s: line %d: values nested deeper "
			       "than %d", t->name, t->line, TOML_MAX_DEPTH);
	skip_ws(t);
	if (t->p >= t->end)
		return fail(t, "missing value");
	n = node_new(t, *t->p == '[' ? TOML_ARRAY : *t->p == '{' ? TOML_TABLE
		     : (*t->p == '"' || *t->p == '\'') ? TOML_STRING
		     : TOML_OTHER);
	if (!n)
		return node_fail(t);
	if (n->type == TOML_ARRAY) {
		rc = parse_array(t, depth, n);
	} else if (n->type == TOML_TABLE) {
		rc = parse_inline(t, depth, n);
	} else if (n->type == TOML_STRING) {
		rc = read_string(t, &b);
		if (!rc && !(n->str = buf_detach(&b, NULL)))
			n->str = strdup("");
		if (!rc && !n->str)
			rc = err_set(ERR_NOMEM, "out of memory");
	} else {
		rc = parse_scalar(t, n);
	}
	buf_release(&b);
	if (rc) {
		toml_free(n);
		return rc;
	}
	*out = n;
	return 0;
}

/* Headers --------------------------------------------------------- */

/* [[key]]: a new table at the end of the array key of tab. */
static int aot_append(struct tp *t, struct toml_node *tab,
		      struct toml_node *arr, const char *key,
		      struct toml_node **out)
{
	struct toml_node *n;
	int rc;

	if (!arr) {
		rc = new_member(t, tab, key, TOML_ARRAY, &arr);
		if (rc)
			return rc;
		arr->flags = T_AOT;
	} else if (arr->type != TOML_ARRAY || !(arr->flags & T_AOT)) {
		return fail(t, "array of tables redefines a key");
	}
	n = node_new(t, TOML_TABLE);
	if (!n)
		return node_fail(t);
	if (!(n->key = strdup(""))) {
		toml_free(n);
		return err_set(ERR_NOMEM, "out of memory");
	}
	if ((rc = add_kid(arr, n))) {
		toml_free(n);
		return rc;
	}
	n->flags = T_HEADER;
	*out = n;
	return 0;
}

static int header_path(struct tp *t, struct toml_node *root, bool aot,
		       struct toml_node **cur)
{
	struct buf key = BUF_INIT(4096);
	struct toml_node *tab = root, *n;
	int rc;

	for (;;) {
		rc = read_key_part(t, &key);
		if (rc)
			goto out;
		skip_ws(t);
		if (t->p < t->end && *t->p == '.') {
			t->p++;
			rc = descend(t, tab, buf_cstr(&key), T_IMPLICIT, &tab);
			if (rc)
				goto out;
			continue;
		}
		break;
	}
	n = member(tab, buf_cstr(&key));
	if (aot) {
		rc = aot_append(t, tab, n, buf_cstr(&key), &tab);
		if (rc)
			goto out;
	} else if (!n) {
		rc = new_member(t, tab, buf_cstr(&key), TOML_TABLE, &tab);
		if (rc)
			goto out;
		tab->flags = T_HEADER;
	} else if (n->type == TOML_TABLE && !(n->flags & (T_HEADER |
			T_INLINE | T_DOTTED))) {
		n->flags |= T_HEADER;
		tab = n;
	} else {
		rc = fail(t, "table defined twice");
		goto out;
	}
	*cur = tab;
out:
	buf_release(&key);
	return rc;
}

static int parse_header(struct tp *t, struct toml_node *root,
			struct toml_node **cur)
{
	bool aot = t->end - t->p >= 2 && t->p[1] == '[';
	int rc;

	t->p += aot ? 2 : 1;
	rc = header_path(t, root, aot, cur);
	if (rc)
		return rc;
	skip_ws(t);
	if (t->end - t->p < (aot ? 2 : 1) || *t->p != ']' ||
	    (aot && t->p[1] != ']'))
		return fail(t, "unterminated table header");
	t->p += aot ? 2 : 1;
	return end_of_line(t);
}

int toml_parse(const char *data, size_t len, const char *name,
	       struct toml_node **root)
{
	struct tp t = { data, data + len, name, 1, 0 };
	struct toml_node *top = node_new(&t, TOML_TABLE), *cur;
	int rc = 0;

	*root = NULL;
	if (!top)
		return node_fail(&t);
	cur = top;
	if (memchr(data, '\0', len))
		rc = fail(&t, "NUL byte in TOML");
	while (!rc) {
		skip_all(&t);
		if (t.p >= t.end)
			break;
		if (*t.p == '[')
			rc = parse_header(&t, top, &cur);
		else if (!(rc = parse_keyval(&t, cur, 0, T_DOTTED)))
			rc = end_of_line(&t);
	}
	if (rc) {
		toml_free(top);
		return rc;
	}
	*root = top;
	return 0;
}

/*
 * Kitfile YAML for people: what `stele init` writes and what unpacking
 * with --filter kitfile restores. Parsing the output gives back the same
 * Kitfile (and the same config JSON).
 */
#include "kitfile/internal.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* Plain only when go-yaml reads it back as this same string. */
static bool plain_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || s[0] == ' ' || s[n - 1] == ' ' || s[n - 1] == ':')
		return false;
	if (strchr("-?:,[]{}#&*!|>'\"%@`", s[0]))
		return false;
	for (const char *p = s; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20 || c >= 0x7f || strchr(",[]{}#", c))
			return false;
		if (c == ':' && p[1] == ' ')
			return false;
	}
	return kitfile_yaml_plain_is_string(s);
}

/* Double-quoted, escaping what YAML may not hold raw: C0 and C1
 * controls, DEL, the line separators, U+FEFF, U+FFFE and U+FFFF. */
static int put_quoted(struct buf *b, const char *s)
{
	int rc = buf_putc(b, '"');

	for (const unsigned char *p = (const unsigned char *)s;
	     rc == 0 && *p; p++) {
		if (*p == '"' || *p == '\\')
			rc = buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			rc = buf_puts(b, "\\n");
		else if (*p == '\t')
			rc = buf_puts(b, "\\t");
		else if (*p < 0x20 || *p == 0x7f)
			rc = buf_printf(b, "\\x%02x", *p);
		else if (p[0] == 0xe2 && p[1] == 0x80 &&
			 (p[2] == 0xa8 || p[2] == 0xa9))
			rc = buf_printf(b, "\\u%s", p[2] == 0xa8 ?
					"2028" : "2029"), p += 2;
		else if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			rc = buf_printf(b, "\\u%04x", p[1]), p += 1;
		else if (p[0] == 0xef && ((p[1] == 0xbf && p[2] >= 0xbe) ||
					  (p[1] == 0xbb && p[2] == 0xbf)))
			rc = buf_printf(b, "\\u%s", p[1] == 0xbb ? "feff" :
					p[2] == 0xbe ? "fffe" : "ffff"), p += 2;
		else
			rc = buf_putc(b, (char)*p);
	}
	return rc ? rc : buf_putc(b, '"');
}

static int put_scalar(struct buf *b, const char *s)
{
	return plain_ok(s) ? buf_puts(b, s) : put_quoted(b, s);
}

static int put_indent(struct buf *b, int n)
{
	int rc = 0;

	while (rc == 0 && n-- > 0)
		rc = buf_putc(b, ' ');
	return rc;
}

static int put_leaf(struct buf *b, json_t *v)
{
	char num[40];

	switch (json_typeof(v)) {
	case JSON_STRING:
		return put_scalar(b, json_string_value(v));
	case JSON_INTEGER:
		return buf_printf(b, "%" JSON_INTEGER_FORMAT,
				  json_integer_value(v));
	case JSON_REAL:
		kitfile_format_float(json_real_value(v), num);
		/* Keep it a float on the way back: "-0" would read as the
		 * integer 0, 11177671081359487000 as an unsigned integer. */
		if (!strpbrk(num, ".e"))
			strcat(num, ".0");
		return buf_puts(b, num);
	case JSON_TRUE:
		return buf_puts(b, "true");
	case JSON_FALSE:
		return buf_puts(b, "false");
	case JSON_OBJECT:
		return buf_puts(b, "{}");
	case JSON_ARRAY:
		return buf_puts(b, "[]");
	default:
		return buf_puts(b, "null");
	}
}

static bool is_block(json_t *v)
{
	return (json_is_object(v) && json_object_size(v)) ||
	       (json_is_array(v) && json_array_size(v));
}

static int put_block(struct buf *b, json_t *v, int indent, bool inline1);

/* The value after "key:" or "-": a leaf on the line or a block below. */
static int put_child(struct buf *b, json_t *v, int indent)
{
	int rc;

	if (!is_block(v)) {
		rc = buf_putc(b, ' ');
		if (rc == 0)
			rc = put_leaf(b, v);
		return rc ? rc : buf_putc(b, '\n');
	}
	rc = buf_putc(b, '\n');
	return rc ? rc : put_block(b, v, indent, false);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int put_mapping(struct buf *b, json_t *o, int indent, bool inline1)
{
	size_t n = json_object_size(o), i = 0;
	const char **keys = malloc(n * sizeof(*keys));
	const char *k;
	json_t *x;
	int rc = 0;

	if (!keys)
		return err_set(ERR_NOMEM, "out of memory");
	json_object_foreach(o, k, x)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	for (i = 0; rc == 0 && i < n; i++) {
		if (i || !inline1)
			rc = put_indent(b, indent);
		if (rc == 0)
			rc = put_scalar(b, keys[i]);
		if (rc == 0)
			rc = buf_putc(b, ':');
		if (rc == 0)
			rc = put_child(b, json_object_get(o, keys[i]),
				       indent + 2);
	}
	free(keys);
	return rc;
}

static int put_sequence(struct buf *b, json_t *a, int indent, bool inline1)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < json_array_size(a); i++) {
		json_t *x = json_array_get(a, i);

		if (i || !inline1)
			rc = put_indent(b, indent);
		if (rc == 0)
			rc = buf_putc(b, '-');
		if (rc == 0 && json_is_object(x) && is_block(x)) {
			rc = buf_putc(b, ' ');
			if (rc == 0)
				rc = put_mapping(b, x, indent + 2, true);
		} else if (rc == 0) {
			rc = put_child(b, x, indent + 2);
		}
	}
	return rc;
}

static int put_block(struct buf *b, json_t *v, int indent, bool inline1)
{
	if (json_is_object(v))
		return put_mapping(b, v, indent, inline1);
	return put_sequence(b, v, indent, inline1);
}

/* "key: value\n" at indent, skipped when value is NULL or "". */
static int put_field(struct buf *b, int indent, bool *inline1,
		     const char *key, const char *v)
{
	int rc = 0;

	if (!v || !*v)
		return 0;
	if (!*inline1)
		rc = put_indent(b, indent);
	*inline1 = false;
	if (rc == 0)
		rc = buf_printf(b, "%s: ", key);
	if (rc == 0)
		rc = put_scalar(b, v);
	return rc ? rc : buf_putc(b, '\n');
}

static int put_params(struct buf *b, int indent, bool *inline1, json_t *v)
{
	int rc = 0;

	if (!v)
		return 0;
	if (!*inline1)
		rc = put_indent(b, indent);
	*inline1 = false;
	if (rc == 0)
		rc = buf_puts(b, "parameters:");
	return rc ? rc : put_child(b, v, indent + 2);
}

static int put_entry(struct buf *b, const struct kitfile_entry *e,
		     int indent)
{
	bool in = true;
	size_t start = b->len;
	int rc = put_indent(b, indent);

	if (rc == 0)
		rc = buf_puts(b, "- ");
	start = b->len;
	if (rc == 0)
		rc = put_field(b, indent + 2, &in, "name", e->name);
	if (rc == 0)
		rc = put_field(b, indent + 2, &in, "path", e->kind ==
			       KITFILE_DOCS ? KITFILE_ENTRY_PATH(e) : e->path);
	if (rc == 0 && e->kind == KITFILE_DOCS && !e->path)
		rc = buf_puts(b, "path: \"\"\n"), in = false;
	if (rc == 0)
		rc = put_field(b, indent + 2, &in, "type", e->type);
	if (rc == 0)
		rc = put_field(b, indent + 2, &in, "description",
			       e->description);
	if (rc == 0)
		rc = put_field(b, indent + 2, &in, "license", e->license);
	if (rc == 0)
		rc = put_params(b, indent + 2, &in, e->parameters);
	if (rc == 0 && b->len == start)
		rc = buf_puts(b, "{}\n");
	return rc;
}

static int put_entries(struct buf *b, const struct kitfile *kf,
		       enum kitfile_kind kind, const char *key, int indent)
{
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < kf->n_entries; i++) {
		if (kf->entries[i].kind != kind)
			continue;
		if (n++ == 0) {
			rc = put_indent(b, indent);
			if (rc == 0)
				rc = buf_printf(b, "%s:\n", key);
		}
		if (rc == 0)
			rc = put_entry(b, &kf->entries[i], indent + 2);
	}
	return rc;
}

static int put_package(struct buf *b, const struct kitfile_package *p)
{
	bool in = false;
	int rc = buf_puts(b, "package:\n");

	if (rc == 0)
		rc = put_field(b, 2, &in, "name", p->name);
	if (rc == 0)
		rc = put_field(b, 2, &in, "version", p->version);
	if (rc == 0)
		rc = put_field(b, 2, &in, "description", p->description);
	if (rc == 0)
		rc = put_field(b, 2, &in, "license", p->license);
	if (rc == 0 && p->n_authors)
		rc = buf_puts(b, "  authors:\n");
	for (size_t i = 0; rc == 0 && i < p->n_authors; i++) {
		rc = buf_puts(b, "    - ");
		if (rc == 0)
			rc = p->authors[i] ? put_scalar(b, p->authors[i]) :
				buf_puts(b, "\"\"");
		if (rc == 0)
			rc = buf_putc(b, '\n');
	}
	return rc;
}

static bool package_empty(const struct kitfile_package *p)
{
	return !p->name && !p->version && !p->description && !p->license &&
	       !p->n_authors;
}

static int put_model(struct buf *b, const struct kitfile *kf)
{
	const struct kitfile_model *m = &kf->model;
	bool in = false, has_path = kf->n_entries &&
		kf->entries[0].kind == KITFILE_MODEL;
	size_t start;
	int rc = buf_puts(b, "model:\n");

	start = b->len;
	if (rc == 0)
		rc = put_field(b, 2, &in, "name", m->name);
	if (rc == 0 && has_path)
		rc = put_field(b, 2, &in, "path", kf->entries[0].path);
	if (rc == 0)
		rc = put_field(b, 2, &in, "framework", m->framework);
	if (rc == 0)
		rc = put_field(b, 2, &in, "format", m->format);
	if (rc == 0)
		rc = put_field(b, 2, &in, "version", m->version);
	if (rc == 0)
		rc = put_field(b, 2, &in, "description", m->description);
	if (rc == 0)
		rc = put_field(b, 2, &in, "license", m->license);
	if (rc == 0)
		rc = put_entries(b, kf, KITFILE_MODELPART, "parts", 2);
	if (rc == 0)
		rc = put_params(b, 2, &in, m->parameters);
	if (rc == 0 && b->len == start) {
		b->len -= 1; /* "model:\n" becomes "model: {}\n" */
		rc = buf_puts(b, " {}\n");
	}
	return rc;
}

int kitfile_to_yaml(const struct kitfile *kf, struct buf *out)
{
	int rc;

	buf_clear(out);
	rc = buf_puts(out, "manifestVersion: ");
	if (rc == 0)
		rc = put_scalar(out, kf->manifest_version ?
				kf->manifest_version : "1.0.0");
	if (rc == 0)
		rc = buf_putc(out, '\n');
	if (rc == 0 && !package_empty(&kf->package))
		rc = put_package(out, &kf->package);
	if (rc == 0 && kf->has_model)
		rc = put_model(out, kf);
	if (rc == 0)
		rc = put_entries(out, kf, KITFILE_CODE, "code", 0);
	if (rc == 0)
		rc = put_entries(out, kf, KITFILE_DATASET, "datasets", 0);
	if (rc == 0)
		rc = put_entries(out, kf, KITFILE_DOCS, "docs", 0);
	if (rc == 0)
		rc = put_entries(out, kf, KITFILE_PROMPT, "prompts", 0);
	return rc;
}

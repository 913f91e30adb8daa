/*
 * Kitfile YAML to struct kitfile, with the strictness of kit's decoder
 * (go-yaml v3 with KnownFields): unknown keys and wrong types fail, and
 * every message names the file, line and column.
 */
#include "kitfile/internal.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/err.h"

struct yctx {
	yaml_document_t *doc;
	const char *name;
	struct kitfile *kf;
	size_t nodes;
};

__attribute__((format(printf, 4, 5)))
static int yerr(const struct yctx *c, const yaml_node_t *n, int code,
		const char *fmt, ...)
{
	char msg[640];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return kitfile_err_at(code, c->name, (int)n->start_mark.line + 1,
			      (int)n->start_mark.column + 1, "%s", msg);
}

static yaml_node_t *node_at(const struct yctx *c, int index)
{
	return yaml_document_get_node(c->doc, index);
}

/*
 * Counts every node visited, aliases included, against the budget, and
 * refuses explicit tags: libyaml and go-yaml disagree on them, and kit's
 * schema has no use for them. (An explicit !!str on a plain scalar looks
 * like no tag once loaded and is read as plain.)
 */
static int visit(struct yctx *c, const yaml_node_t *n)
{
	const char *want = n->type == YAML_SCALAR_NODE ? YAML_STR_TAG :
		n->type == YAML_SEQUENCE_NODE ? YAML_SEQ_TAG : YAML_MAP_TAG;

	if (++c->nodes > KITFILE_MAX_NODES)
		return yerr(c, n, ERR_LIMIT, "more than %d YAML nodes "
			    "(aliases expanded)", KITFILE_MAX_NODES);
	if (n->tag && strcmp((const char *)n->tag, want))
		return yerr(c, n, ERR_UNSUPPORTED, "YAML tag '%s' is not "
			    "supported", (const char *)n->tag);
	return 0;
}

static const char *type_word(const yaml_node_t *n)
{
	if (n->type == YAML_SEQUENCE_NODE)
		return "a sequence";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	return "a scalar";
}

static bool is_plain(const yaml_node_t *n)
{
	return n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE ||
	       n->data.scalar.style == YAML_ANY_SCALAR_STYLE;
}

static const char *scalar_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain null ("", "~", "null") decodes to a Go zero value. */
static bool is_null(const yaml_node_t *n)
{
	static const char *const words[] = { "", "~", "null", "Null",
					     "NULL" };

	if (n->type != YAML_SCALAR_NODE || !is_plain(n))
		return false;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (!strcmp(scalar_text(n), words[i]))
			return true;
	return false;
}

/*
 * A scalar into a Go string field: go-yaml keeps the text as written
 * whatever it resolves to ("version: 1.0" is "1.0"); null and "" leave
 * the field empty, which we store as NULL.
 */
static int get_string(struct yctx *c, const yaml_node_t *n, const char *key,
		      const char *where, char **out)
{
	int rc = visit(c, n);
	size_t len;

	if (rc)
		return rc;
	if (n->type != YAML_SCALAR_NODE)
		return yerr(c, n, ERR_INVALID, "'%s' in %s must be a string, "
			    "not %s", key, where, type_word(n));
	len = n->data.scalar.length;
	if (memchr(scalar_text(n), '\0', len))
		return yerr(c, n, ERR_INVALID, "NUL character in '%s' in %s",
			    key, where);
	free(*out);
	*out = NULL;
	if (is_null(n) || len == 0)
		return 0;
	*out = kitfile_strndup(scalar_text(n), len);
	return *out ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static int to_json(struct yctx *c, const yaml_node_t *n, int depth,
		   json_t **out);

static int seq_to_json(struct yctx *c, const yaml_node_t *n, int depth,
		       json_t **out)
{
	json_t *a = json_array(), *v;
	int rc = 0;

	if (!a)
		return err_set(ERR_NOMEM, "out of memory");
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     rc == 0 && it < n->data.sequence.items.top; it++) {
		rc = to_json(c, node_at(c, *it), depth + 1, &v);
		if (rc == 0 && json_array_append_new(a, v))
			rc = err_set(ERR_NOMEM, "out of memory");
	}
	if (rc)
		json_decref(a);
	else
		*out = a;
	return rc;
}

/* go-yaml decodes a mapping into map[string]any only when every key is a
 * string (a date is not); kit's json.Marshal fails on any other map. */
static int map_key(struct yctx *c, const yaml_node_t *k, const char **key)
{
	int rc = visit(c, k);

	if (rc)
		return rc;
	if (k->type != YAML_SCALAR_NODE)
		return yerr(c, k, ERR_INVALID, "parameter keys must be "
			    "strings, not %s", type_word(k));
	if (memchr(scalar_text(k), '\0', k->data.scalar.length))
		return yerr(c, k, ERR_INVALID, "NUL character in a parameter "
			    "key");
	if (is_plain(k) && strcmp(scalar_text(k), "<<") &&
	    !kitfile_yaml_plain_is_string(scalar_text(k)))
		return yerr(c, k, ERR_INVALID, "parameter key '%s' is not a "
			    "string (quote it)", scalar_text(k));
	if (is_plain(k) && !strcmp(scalar_text(k), "<<"))
		return yerr(c, k, ERR_UNSUPPORTED, "merge keys ('<<') are not "
			    "supported");
	*key = scalar_text(k);
	return 0;
}

static int map_to_json(struct yctx *c, const yaml_node_t *n, int depth,
		       json_t **out)
{
	json_t *o = json_object(), *v = NULL;
	const char *key = NULL;
	int rc = 0;

	if (!o)
		return err_set(ERR_NOMEM, "out of memory");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     rc == 0 && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(c, p->key);

		rc = map_key(c, k, &key);
		if (rc == 0 && json_object_get(o, key))
			rc = yerr(c, k, ERR_INVALID, "mapping key '%s' "
				  "already defined", key);
		if (rc == 0)
			rc = to_json(c, node_at(c, p->value), depth + 1, &v);
		if (rc == 0 && json_object_set_new(o, key, v))
			rc = err_set(ERR_NOMEM, "out of memory");
	}
	if (rc)
		json_decref(o);
	else
		*out = o;
	return rc;
}

static int to_json(struct yctx *c, const yaml_node_t *n, int depth,
		   json_t **out)
{
	const char *why;
	int rc = visit(c, n);

	if (rc)
		return rc;
	if (depth > KITFILE_MAX_DEPTH)
		return yerr(c, n, ERR_LIMIT, "parameters nested deeper than "
			    "%d levels", KITFILE_MAX_DEPTH);
	if (n->type == YAML_SEQUENCE_NODE)
		return seq_to_json(c, n, depth, out);
	if (n->type == YAML_MAPPING_NODE)
		return map_to_json(c, n, depth, out);
	rc = kitfile_yaml_scalar(scalar_text(n), n->data.scalar.length,
				 is_plain(n), out, &why);
	if (rc == ERR_NOMEM)
		return err_set(rc, "out of memory");
	if (rc)
		return yerr(c, n, rc, "parameter value '%s': %s",
			    scalar_text(n), why);
	return 0;
}

/* parameters: null leaves the Go `any` nil, which omitempty drops. */
static int get_params(struct yctx *c, const yaml_node_t *n, json_t **out)
{
	json_decref(*out);
	*out = NULL;
	if (is_null(n))
		return visit(c, n);
	return to_json(c, n, 1, out);
}

/* The keys a section accepts. Fields kit knows and stele does not are
 * refused as unsupported rather than dropped. */
enum ftype { F_STR, F_PARAMS, F_UNSUPPORTED };

struct field {
	const char *key;
	enum ftype type;
	size_t off;
};

#define E_STR(k, m) { k, F_STR, offsetof(struct kitfile_entry, m) }
#define E_PARAMS { "parameters", F_PARAMS, \
		   offsetof(struct kitfile_entry, parameters) }
#define E_UNSUP(k) { k, F_UNSUPPORTED, 0 }

static const struct field part_fields[] = {
	E_STR("name", name), E_STR("path", path), E_STR("license", license),
	E_STR("type", type), { NULL, 0, 0 } };
static const struct field code_fields[] = {
	E_STR("path", path), E_STR("description", description),
	E_STR("license", license), { NULL, 0, 0 } };
static const struct field dataset_fields[] = {
	E_STR("name", name), E_STR("path", path),
	E_STR("description", description), E_STR("license", license),
	E_PARAMS, E_UNSUP("remotePath"), E_UNSUP("remoteHash"),
	{ NULL, 0, 0 } };
static const struct field docs_fields[] = {
	E_STR("path", path), E_STR("description", description),
	{ NULL, 0, 0 } };
static const struct field prompt_fields[] = {
	E_STR("name", name), E_STR("path", path),
	E_STR("description", description), { NULL, 0, 0 } };

static const struct field *find_field(const struct field *f, const char *k)
{
	for (; f->key; f++)
		if (!strcmp(f->key, k))
			return f;
	return NULL;
}

/*
 * Walk a mapping's pairs: keys must be scalars and unique. cb handles
 * each pair and reports unknown keys itself.
 */
typedef int (*pair_fn)(struct yctx *c, const yaml_node_t *k,
		       const yaml_node_t *v, void *arg);

static int each_pair(struct yctx *c, const yaml_node_t *map,
		     const char *where, pair_fn cb, void *arg)
{
	int rc = 0;

	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     rc == 0 && p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node_at(c, p->key);

		rc = visit(c, k);
		if (rc == 0 && k->type != YAML_SCALAR_NODE)
			rc = yerr(c, k, ERR_INVALID, "keys in %s must be "
				  "strings, not %s", where, type_word(k));
		if (rc == 0 && memchr(scalar_text(k), '\0',
				      k->data.scalar.length))
			rc = yerr(c, k, ERR_INVALID, "NUL character in a key "
				  "in %s", where);
		/* go-yaml skips a null key and its value; refuse it rather
		 * than drop data silently. */
		if (rc == 0 && is_null(k))
			rc = yerr(c, k, ERR_INVALID, "empty key in %s", where);
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start;
		     rc == 0 && q < p; q++) {
			yaml_node_t *o = node_at(c, q->key);

			if (!strcmp(scalar_text(o), scalar_text(k)))
				rc = yerr(c, k, ERR_INVALID, "key '%s' "
					  "already defined in %s at line %d",
					  scalar_text(k), where,
					  (int)o->start_mark.line + 1);
		}
		if (rc == 0)
			rc = cb(c, k, node_at(c, p->value), arg);
	}
	return rc;
}

struct entry_arg {
	struct kitfile_entry *e;
	const struct field *fields;
	const char *where;
};

static int entry_pair(struct yctx *c, const yaml_node_t *k,
		      const yaml_node_t *v, void *arg)
{
	struct entry_arg *a = arg;
	const struct field *f = find_field(a->fields, scalar_text(k));
	char *base = (char *)a->e;

	if (!f)
		return yerr(c, k, ERR_INVALID, "unknown key '%s' in %s",
			    scalar_text(k), a->where);
	if (f->type == F_UNSUPPORTED)
		return yerr(c, k, ERR_UNSUPPORTED, "'%s' in %s is not "
			    "supported by stele", f->key, a->where);
	if (f->type == F_PARAMS)
		return get_params(c, v, (json_t **)(base + f->off));
	if (!strcmp(f->key, "path")) {
		a->e->line = (int)v->start_mark.line + 1;
		a->e->column = (int)v->start_mark.column + 1;
	}
	return get_string(c, v, f->key, a->where, (char **)(base + f->off));
}

static int parse_entry(struct yctx *c, const yaml_node_t *n,
		       enum kitfile_kind kind, const struct field *fields,
		       const char *where)
{
	struct entry_arg a = { NULL, fields, where };
	int rc = 0;

	/* go-yaml drops a null item from a sequence of structs. */
	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return yerr(c, n, ERR_INVALID, "each item of %s must be a "
			    "mapping, not %s", where, type_word(n));
	a.e = kitfile_entry_add(c->kf, kind, (int)n->start_mark.line + 1,
				(int)n->start_mark.column + 1, &rc);
	if (!a.e)
		return rc;
	return each_pair(c, n, where, entry_pair, &a);
}

static int parse_list(struct yctx *c, const yaml_node_t *n,
		      enum kitfile_kind kind, const char *where)
{
	static const struct field *const fields[] = {
		[KITFILE_MODELPART] = part_fields,
		[KITFILE_CODE] = code_fields,
		[KITFILE_DATASET] = dataset_fields,
		[KITFILE_DOCS] = docs_fields,
		[KITFILE_PROMPT] = prompt_fields,
	};
	int rc = visit(c, n);

	if (rc || is_null(n))
		return rc;
	if (n->type != YAML_SEQUENCE_NODE)
		return yerr(c, n, ERR_INVALID, "%s must be a sequence, not %s",
			    where, type_word(n));
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     rc == 0 && it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = node_at(c, *it);

		rc = visit(c, item);
		if (rc == 0)
			rc = parse_entry(c, item, kind, fields[kind], where);
	}
	return rc;
}

static int parse_authors(struct yctx *c, const yaml_node_t *n)
{
	struct kitfile_package *p = &c->kf->package;
	int rc = visit(c, n);

	if (rc)
		return rc;
	if (is_null(n))
		return 0;
	if (n->type != YAML_SEQUENCE_NODE)
		return yerr(c, n, ERR_INVALID, "'authors' in package must be "
			    "a sequence of strings, not %s", type_word(n));
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     rc == 0 && it < n->data.sequence.items.top; it++) {
		yaml_node_t *a = node_at(c, *it);
		char **grown, *s = NULL;

		if (p->n_authors >= KITFILE_MAX_AUTHORS)
			return yerr(c, a, ERR_LIMIT, "more than %d authors",
				    KITFILE_MAX_AUTHORS);
		rc = get_string(c, a, "authors", "package", &s);
		if (rc)
			break;
		/* go-yaml drops a null item from a []string too. */
		if (is_null(a))
			continue;
		grown = realloc(p->authors,
				(p->n_authors + 1) * sizeof(*grown));
		if (!grown) {
			free(s);
			return err_set(ERR_NOMEM, "out of memory");
		}
		p->authors = grown;
		p->authors[p->n_authors++] = s;
	}
	return rc;
}

static int package_pair(struct yctx *c, const yaml_node_t *k,
			const yaml_node_t *v, void *arg)
{
	struct kitfile_package *p = &c->kf->package;
	const char *key = scalar_text(k);

	(void)arg;
	if (!strcmp(key, "name"))
		return get_string(c, v, key, "package", &p->name);
	if (!strcmp(key, "version"))
		return get_string(c, v, key, "package", &p->version);
	if (!strcmp(key, "description"))
		return get_string(c, v, key, "package", &p->description);
	if (!strcmp(key, "license"))
		return get_string(c, v, key, "package", &p->license);
	if (!strcmp(key, "authors"))
		return parse_authors(c, v);
	return yerr(c, k, ERR_INVALID, "unknown key '%s' in package", key);
}

static int model_path(struct yctx *c, const yaml_node_t *v)
{
	struct kitfile_entry *e;
	char *s = NULL;
	int rc;

	rc = get_string(c, v, "path", "model", &s);
	if (rc || !s)
		return rc;
	/* An empty model path packs no layer (kit's saveKitfileLayers). */
	e = kitfile_entry_add(c->kf, KITFILE_MODEL,
			      (int)v->start_mark.line + 1,
			      (int)v->start_mark.column + 1, &rc);
	if (!e) {
		free(s);
		return rc;
	}
	e->path = s;
	return 0;
}

static int model_pair(struct yctx *c, const yaml_node_t *k,
		      const yaml_node_t *v, void *arg)
{
	struct kitfile_model *m = &c->kf->model;
	const char *key = scalar_text(k);
	char **const strs[] = { &m->name, &m->license, &m->framework,
				&m->format, &m->version, &m->description };
	static const char *const names[] = { "name", "license", "framework",
					     "format", "version",
					     "description" };

	(void)arg;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(key, names[i]))
			return get_string(c, v, key, "model", strs[i]);
	if (!strcmp(key, "path"))
		return model_path(c, v);
	if (!strcmp(key, "parts"))
		return parse_list(c, v, KITFILE_MODELPART, "model.parts");
	if (!strcmp(key, "parameters"))
		return get_params(c, v, &m->parameters);
	return yerr(c, k, ERR_INVALID, "unknown key '%s' in model", key);
}

static int parse_section(struct yctx *c, const yaml_node_t *n,
			 const char *where, pair_fn cb)
{
	int rc = visit(c, n);

	if (rc)
		return rc;
	if (n->type != YAML_MAPPING_NODE)
		return yerr(c, n, ERR_INVALID, "%s must be a mapping, not %s",
			    where, type_word(n));
	return each_pair(c, n, where, cb, NULL);
}

static int root_pair(struct yctx *c, const yaml_node_t *k,
		     const yaml_node_t *v, void *arg)
{
	const char *key = scalar_text(k);

	(void)arg;
	if (!strcmp(key, "manifestVersion"))
		return get_string(c, v, key, "the Kitfile",
				  &c->kf->manifest_version);
	if (!strcmp(key, "package"))
		return is_null(v) ? 0 :
			parse_section(c, v, "package", package_pair);
	if (!strcmp(key, "model")) {
		if (is_null(v))
			return 0;
		c->kf->has_model = true;
		return parse_section(c, v, "model", model_pair);
	}
	if (!strcmp(key, "code"))
		return parse_list(c, v, KITFILE_CODE, "code");
	if (!strcmp(key, "datasets"))
		return parse_list(c, v, KITFILE_DATASET, "datasets");
	if (!strcmp(key, "docs"))
		return parse_list(c, v, KITFILE_DOCS, "docs");
	if (!strcmp(key, "prompts"))
		return parse_list(c, v, KITFILE_PROMPT, "prompts");
	if (!strcmp(key, "mcpServers"))
		return yerr(c, k, ERR_UNSUPPORTED, "'mcpServers' is not "
			    "supported by stele");
	return yerr(c, k, ERR_INVALID, "unknown key '%s' in the Kitfile",
		    key);
}

static int load_error(const yaml_parser_t *p, const char *name)
{
	if (p->error == YAML_MEMORY_ERROR)
		return err_set(ERR_NOMEM, "%s: out of memory", name);
	if (p->context)
		return kitfile_err_at(ERR_INVALID, name,
			(int)p->problem_mark.line + 1,
			(int)p->problem_mark.column + 1,
			"YAML error: %s %s", p->problem ? p->problem : "",
			p->context);
	return kitfile_err_at(ERR_INVALID, name,
			      (int)p->problem_mark.line + 1,
			      (int)p->problem_mark.column + 1,
			      "YAML error: %s",
			      p->problem ? p->problem : "malformed input");
}

static int parse_document(struct yctx *c)
{
	yaml_node_t *root = yaml_document_get_root_node(c->doc);
	int rc;

	if (!root || is_null(root))
		return err_set(ERR_INVALID, "%s: missing manifestVersion "
			       "(empty Kitfile)", c->name);
	rc = visit(c, root);
	if (rc)
		return rc;
	if (root->type != YAML_MAPPING_NODE)
		return yerr(c, root, ERR_INVALID, "a Kitfile must be a "
			    "mapping, not %s", type_word(root));
	rc = each_pair(c, root, "the Kitfile", root_pair, NULL);
	if (rc == 0)
		rc = kitfile_entries_sort(c->kf);
	if (rc == 0)
		rc = kitfile_validate(c->kf, c->name);
	return rc;
}

int kitfile_parse(const char *yaml, size_t len, const char *name,
		  struct kitfile **out)
{
	struct yctx c = { NULL, name ? name : "Kitfile", NULL, 0 };
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc;

	*out = NULL;
	if (len > KITFILE_MAX_BYTES)
		return err_set(ERR_LIMIT, "%s: Kitfile larger than %u bytes",
			       c.name, KITFILE_MAX_BYTES);
	c.kf = kitfile_new();
	if (!c.kf)
		return ERR_NOMEM;
	if (!yaml_parser_initialize(&parser)) {
		kitfile_free(c.kf);
		return err_set(ERR_NOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml,
				     len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = load_error(&parser, c.name);
		goto out;
	}
	c.doc = &doc;
	rc = parse_document(&c);
	yaml_document_delete(&doc);
out:
	yaml_parser_delete(&parser);
	if (rc)
		kitfile_free(c.kf);
	else
		*out = c.kf;
	return rc;
}

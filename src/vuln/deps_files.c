/* pyproject.toml, TOML lock files, Pipfile.lock, CycloneDX and conda. */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "util/err.h"
#include "vuln/deps.h"
#include "vuln/pep440.h"
#include "vuln/toml.h"

/* pyproject.toml ---------------------------------------------------- */

static int add_req_array(struct vuln_deps *d, const struct toml_node *arr,
			 const char *rel)
{
	int rc;

	if (!arr || arr->type != TOML_ARRAY)
		return 0;
	for (size_t i = 0; i < arr->n; i++) {
		/* PEP 735 {include-group = ...} entries name no package. */
		if (arr->kids[i]->type != TOML_STRING)
			continue;
		rc = vuln_deps_add_req(d, arr->kids[i]->str, rel,
				       arr->kids[i]->line);
		if (rc)
			return rc;
	}
	return 0;
}

/* Upper bound of a caret: bump the first non-zero release component. */
static int caret_upper(const struct pep440_version *v, char *out,
		       size_t len)
{
	struct pep440_version u = *v;
	size_t k = 0;

	while (k + 1 < u.n_release && u.release[k] == 0)
		k++;
	u.release[k]++;
	u.n_release = k + 1;
	u.pre = PEP440_PRE_NONE;
	u.has_post = u.has_dev = false;
	u.local[0] = '\0';
	return pep440_format(&u, out, len);
}

static int tilde_upper(const struct pep440_version *v, char *out,
		       size_t len)
{
	struct pep440_version u = *v;
	size_t k = u.n_release > 1 ? 1 : 0;

	u.release[k]++;
	u.n_release = k + 1;
	u.pre = PEP440_PRE_NONE;
	u.has_post = u.has_dev = false;
	u.local[0] = '\0';
	return pep440_format(&u, out, len);
}

/* One Poetry constraint token into PEP 440 text appended to out. */
static int poetry_token(const char *tok, char *out, size_t len)
{
	struct pep440_version v;
	char upper[PEP440_MAX_LEN + 1];
	size_t o = strlen(out);
	const char *sep = o ? "," : "";
	int n;

	if (!strcmp(tok, "*"))
		return 0;
	if ((tok[0] == '^' || (tok[0] == '~' && tok[1] != '='))) {
		if (pep440_parse(tok + 1, &v) ||
		    (tok[0] == '^' ? caret_upper(&v, upper, sizeof(upper))
				   : tilde_upper(&v, upper, sizeof(upper))))
			return err_set(ERR_INVALID, "bad Poetry constraint "
				       "'%.60s'", tok);
		n = snprintf(out + o, len - o, "%s>=%s,<%s", sep, tok + 1,
			     upper);
	} else if (isdigit((unsigned char)tok[0])) {
		n = snprintf(out + o, len - o, "%s==%s", sep, tok);
	} else {
		n = snprintf(out + o, len - o, "%s%s", sep, tok);
	}
	if (n < 0 || (size_t)n >= len - o)
		return err_set(ERR_LIMIT, "Poetry constraint too long");
	return 0;
}

/* "^1.2", "~1.2.3", ">=1,<2", "1.2.*", "*" into a PEP 440 set. */
static int poetry_spec(const char *in, char *out, size_t len)
{
	char copy[1024], *save = NULL, *tok;
	int rc;

	out[0] = '\0';
	if (strlen(in) >= sizeof(copy))
		return err_set(ERR_LIMIT, "Poetry constraint too long");
	/* Join operators to their versions: ">= 1.0" is one token. */
	{
		size_t o = 0;

		for (const char *p = in; *p; p++) {
			if (isspace((unsigned char)*p) && o &&
			    strchr("<>=!~^", copy[o - 1]))
				continue;
			copy[o++] = *p;
		}
		copy[o] = '\0';
	}
	for (tok = strtok_r(copy, ", \t", &save); tok;
	     tok = strtok_r(NULL, ", \t", &save))
		if ((rc = poetry_token(tok, out, len)))
			return rc;
	return 0;
}

/* Add one constraint of a Poetry entry; a bad one becomes a problem. */
static int poetry_add(struct vuln_deps *d, const char *name,
		      const char *text, int line, const char *rel)
{
	struct pep440_specset set;
	char spec[1024], msg[512];
	int rc;

	rc = poetry_spec(text, spec, sizeof(spec));
	if (!rc && pep440_specset_parse(spec, &set))
		rc = err_set(ERR_INVALID, "bad constraint '%.60s'", text);
	if (rc == ERR_INVALID || rc == ERR_LIMIT) {
		snprintf(msg, sizeof(msg), "line %d: %s", line, err_msg());
		return vuln_deps_problem(d, rel, msg);
	}
	if (rc)
		return rc;
	return vuln_deps_add(d, name, spec, pep440_specset_pinned(&set) ?
			     spec + 2 : NULL, rel, line);
}

/*
 * "^1.2 || ^2.0": each alternative is checked as its own range, so an
 * alternative admitting an affected version is reported.
 */
static int poetry_alternatives(struct vuln_deps *d, const char *name,
			       const struct toml_node *ver, const char *rel)
{
	char copy[1024], *alt, *next;
	int rc = 0;

	if (strlen(ver->str) >= sizeof(copy))
		return vuln_deps_problem(d, rel, "Poetry constraint too long");
	strcpy(copy, ver->str);
	for (alt = copy; !rc && alt; alt = next) {
		next = strstr(alt, "||");
		if (next) {
			*next = '\0';
			next += 2;
		}
		rc = poetry_add(d, name, alt, ver->line, rel);
	}
	return rc;
}

/* One constraint: a string or a table with "version". */
static int poetry_entry(struct vuln_deps *d, const char *name,
			const struct toml_node *n, const char *rel)
{
	const struct toml_node *ver = n;

	if (n->type == TOML_TABLE)
		ver = toml_get(n, "version");
	/* Path, git and url dependencies name no version. */
	if (!ver || ver->type != TOML_STRING)
		return 0;
	if (strstr(ver->str, "||"))
		return poetry_alternatives(d, name, ver, rel);
	return poetry_add(d, name, ver->str, ver->line, rel);
}

static int poetry_one(struct vuln_deps *d, const struct toml_node *n,
		      const char *rel)
{
	char name[256];
	int rc = 0;

	if (pep503_normalize(n->key, name, sizeof(name)))
		return 0;
	if (n->type != TOML_ARRAY)
		return poetry_entry(d, name, n, rel);
	/* Multiple constraints (per Python version): check each. */
	for (size_t i = 0; !rc && i < n->n; i++)
		rc = poetry_entry(d, name, n->kids[i], rel);
	return rc;
}

static int poetry_table(struct vuln_deps *d, const struct toml_node *t,
			const char *rel)
{
	int rc;

	if (!t || t->type != TOML_TABLE)
		return 0;
	for (size_t i = 0; i < t->n; i++) {
		if (!strcmp(t->kids[i]->key, "python"))
			continue;
		if ((rc = poetry_one(d, t->kids[i], rel)))
			return rc;
	}
	return 0;
}

int vuln_deps_pyproject(struct vuln_deps *d, const char *data, size_t len,
			const char *rel)
{
	const struct toml_node *opt, *groups;
	struct toml_node *root;
	int rc;

	rc = toml_parse(data, len, rel, &root);
	if (rc)
		return rc;
	rc = add_req_array(d, toml_path(root, "project.dependencies"), rel);
	opt = toml_path(root, "project.optional-dependencies");
	for (size_t i = 0; !rc && opt && opt->type == TOML_TABLE &&
	     i < opt->n; i++)
		rc = add_req_array(d, opt->kids[i], rel);
	opt = toml_get(root, "dependency-groups");
	for (size_t i = 0; !rc && opt && opt->type == TOML_TABLE &&
	     i < opt->n; i++)
		rc = add_req_array(d, opt->kids[i], rel);
	if (!rc)
		rc = poetry_table(d, toml_path(root,
			"tool.poetry.dependencies"), rel);
	if (!rc)
		rc = poetry_table(d, toml_path(root,
			"tool.poetry.dev-dependencies"), rel);
	groups = toml_path(root, "tool.poetry.group");
	for (size_t i = 0; !rc && groups && groups->type == TOML_TABLE &&
	     i < groups->n; i++)
		rc = poetry_table(d, toml_get(groups->kids[i],
					      "dependencies"), rel);
	toml_free(root);
	return rc;
}

/* poetry.lock, uv.lock, pdm.lock: [[package]] name and version. */
int vuln_deps_toml_lock(struct vuln_deps *d, const char *data, size_t len,
			const char *rel)
{
	const struct toml_node *pkgs, *name, *ver;
	struct toml_node *root;
	char norm[256], spec[PEP440_MAX_LEN + 3];
	int rc;

	rc = toml_parse(data, len, rel, &root);
	if (rc)
		return rc;
	pkgs = toml_get(root, "package");
	for (size_t i = 0; !rc && pkgs && pkgs->type == TOML_ARRAY &&
	     i < pkgs->n; i++) {
		name = toml_get(pkgs->kids[i], "name");
		ver = toml_get(pkgs->kids[i], "version");
		if (!name || !ver || name->type != TOML_STRING ||
		    ver->type != TOML_STRING ||
		    pep503_normalize(name->str, norm, sizeof(norm)) ||
		    strlen(ver->str) > PEP440_MAX_LEN)
			continue;
		snprintf(spec, sizeof(spec), "==%s", ver->str);
		rc = vuln_deps_add(d, norm, spec, ver->str, rel, name->line);
	}
	toml_free(root);
	return rc;
}

/* JSON files -------------------------------------------------------- */

/* Line of the first '"key"' followed by ':' at or after from. */
static int key_line(const char *data, size_t len, const char *key,
		    size_t from)
{
	size_t kl = strlen(key), line = 1;

	for (size_t i = 0; i < len; i++) {
		if (data[i] == '\n')
			line++;
		if (i < from || data[i] != '"' || i + kl + 2 > len ||
		    memcmp(data + i + 1, key, kl) || data[i + kl + 1] != '"')
			continue;
		for (size_t j = i + kl + 2; j < len; j++) {
			if (data[j] == ':')
				return (int)line;
			if (!isspace((unsigned char)data[j]))
				break;
		}
	}
	return 0;
}

/* Line of the first occurrence of the quoted string s. */
static int value_line(const char *data, size_t len, const char *s)
{
	char needle[600];
	const char *hit;
	int n = snprintf(needle, sizeof(needle), "\"%s\"", s), line = 1;

	if (n < 0 || (size_t)n >= sizeof(needle))
		return 0;
	hit = memmem(data, len, needle, (size_t)n);
	if (!hit)
		return 0;
	for (const char *p = data; p < hit; p++)
		line += *p == '\n';
	return line;
}

static json_t *load_json(const char *data, size_t len, const char *rel)
{
	json_error_t jerr;
	json_t *root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!root)
		err_set(ERR_INVALID, "%s: line %d column %d: %s", rel,
			jerr.line, jerr.column, jerr.text);
	return root;
}

int vuln_deps_pipfile_lock(struct vuln_deps *d, const char *data,
			   size_t len, const char *rel)
{
	static const char *const sections[] = { "default", "develop" };
	json_t *root = load_json(data, len, rel), *sec, *pkg;
	const char *name, *ver, *at;
	char norm[256];
	int rc = 0;

	if (!root)
		return ERR_INVALID;
	for (size_t s = 0; s < 2 && !rc; s++) {
		sec = json_object_get(root, sections[s]);
		at = memmem(data, len, sections[s], strlen(sections[s]));
		json_object_foreach(sec, name, pkg) {
			ver = json_string_value(json_object_get(pkg,
								"version"));
			/* Entries without a version are VCS or paths. */
			if (!ver || pep503_normalize(name, norm, sizeof(norm)))
				continue;
			rc = vuln_deps_add(d, norm, ver, strncmp(ver, "==", 2)
					   ? NULL : ver + 2, rel,
					   key_line(data, len, name, at ?
						    (size_t)(at - data) : 0));
			if (rc)
				break;
		}
	}
	json_decref(root);
	return rc;
}

/* Decode %XX in a purl part into out. */
static int purl_part(const char *s, size_t n, char *out, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '%' && i + 2 < n &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			char hex[3] = { s[i + 1], s[i + 2], '\0' };

			c = (char)strtol(hex, NULL, 16);
			i += 2;
		}
		if (o + 1 >= len || !c)
			return ERR_INVALID;
		out[o++] = c;
	}
	out[o] = '\0';
	return 0;
}

static int purl_dep(struct vuln_deps *d, const char *purl, const char *data,
		    size_t len, const char *rel)
{
	char name[256], norm[256], ver[PEP440_MAX_LEN + 1];
	char spec[PEP440_MAX_LEN + 3];
	const char *p = purl + strlen("pkg:pypi/"), *at;
	size_t n;

	if (strncasecmp(purl, "pkg:pypi/", 9))
		return 0;
	n = strcspn(p, "?#");
	at = memchr(p, '@', n);
	if (!at || purl_part(p, (size_t)(at - p), name, sizeof(name)) ||
	    purl_part(at + 1, n - (size_t)(at + 1 - p), ver, sizeof(ver)) ||
	    pep503_normalize(name, norm, sizeof(norm)))
		return 0;
	snprintf(spec, sizeof(spec), "==%s", ver);
	return vuln_deps_add(d, norm, spec, ver, rel,
			     value_line(data, len, purl));
}

static int cdx_components(struct vuln_deps *d, json_t *comps, int depth,
			  const char *data, size_t len, const char *rel)
{
	json_t *c;
	size_t i;
	int rc;

	if (depth > 16)
		return err_set(ERR_LIMIT, "%s: components nested too deep",
			       rel);
	json_array_foreach(comps, i, c) {
		const char *purl = json_string_value(json_object_get(c,
								     "purl"));

		if (purl && (rc = purl_dep(d, purl, data, len, rel)))
			return rc;
		rc = cdx_components(d, json_object_get(c, "components"),
				    depth + 1, data, len, rel);
		if (rc)
			return rc;
	}
	return 0;
}

int vuln_deps_cyclonedx(struct vuln_deps *d, const char *data, size_t len,
			const char *rel)
{
	json_t *root = load_json(data, len, rel);
	const char *fmt;
	int rc;

	if (!root)
		return ERR_INVALID;
	fmt = json_string_value(json_object_get(root, "bomFormat"));
	if (!fmt || strcmp(fmt, "CycloneDX")) {
		json_decref(root);
		return err_set(ERR_UNSUPPORTED, "%s: not a CycloneDX SBOM",
			       rel);
	}
	rc = cdx_components(d, json_object_get(root, "components"), 0, data,
			    len, rel);
	json_decref(root);
	return rc;
}

/* conda environment.yml: the pip section ---------------------------- */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *map,
			    const char *key)
{
	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);

		if (k && k->type == YAML_SCALAR_NODE &&
		    k->data.scalar.length == strlen(key) &&
		    !memcmp(k->data.scalar.value, key, strlen(key)))
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static int conda_pip(struct vuln_deps *d, yaml_document_t *doc,
		     yaml_node_t *pip, const char *rel)
{
	char line[2048];
	int rc;

	if (!pip || pip->type != YAML_SEQUENCE_NODE)
		return 0;
	for (yaml_node_item_t *i = pip->data.sequence.items.start;
	     i < pip->data.sequence.items.top; i++) {
		yaml_node_t *v = yaml_document_get_node(doc, *i);

		if (!v || v->type != YAML_SCALAR_NODE ||
		    v->data.scalar.length >= sizeof(line))
			continue;
		memcpy(line, v->data.scalar.value, v->data.scalar.length);
		line[v->data.scalar.length] = '\0';
		/* Options ("-r file", "--index-url") name no package. */
		if (line[0] == '-' || strstr(line, "://"))
			continue;
		rc = vuln_deps_add_req(d, line, rel,
				       (int)v->start_mark.line + 1);
		if (rc)
			return rc;
	}
	return 0;
}

int vuln_deps_conda_env(struct vuln_deps *d, const char *data, size_t len,
			const char *rel)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *deps;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return err_set(ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data,
				     len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = err_set(ERR_INVALID, "%s: line %zu: %s", rel,
			     parser.problem_mark.line + 1,
			     parser.problem ? parser.problem : "bad YAML");
		yaml_parser_delete(&parser);
		return rc;
	}
	deps = map_get(&doc, yaml_document_get_root_node(&doc),
		       "dependencies");
	if (deps && deps->type == YAML_SEQUENCE_NODE)
		for (yaml_node_item_t *i = deps->data.sequence.items.start;
		     !rc && i < deps->data.sequence.items.top; i++)
			rc = conda_pip(d, &doc, map_get(&doc,
				yaml_document_get_node(&doc, *i), "pip"),
				       rel);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

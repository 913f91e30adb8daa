/* OSV records from JSON or YAML into struct osv_record; range walking. */
#include "vuln/osv.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <yaml.h>

#include "util/err.h"
#include "vuln/cvss.h"

#define OSV_MAX_ID 128

void osv_affected_release(struct osv_affected *a)
{
	if (!a)
		return;
	free(a->package);
	for (size_t j = 0; j < a->n_ranges; j++) {
		for (size_t k = 0; k < a->ranges[j].n; k++)
			free(a->ranges[j].ev[k].version);
		free(a->ranges[j].ev);
	}
	free(a->ranges);
	for (size_t j = 0; j < a->n_versions; j++)
		free(a->versions[j]);
	free(a->versions);
	memset(a, 0, sizeof(*a));
}

void osv_record_free(struct osv_record *r)
{
	if (!r)
		return;
	free(r->id);
	free(r->modified);
	free(r->published);
	for (size_t i = 0; i < r->n_aliases; i++)
		free(r->aliases[i]);
	free(r->aliases);
	free(r->summary);
	free(r->url);
	free(r->vector);
	free(r->label);
	for (size_t i = 0; i < r->n_aff; i++)
		osv_affected_release(&r->aff[i]);
	free(r->aff);
	free(r);
}

/* Timestamps ------------------------------------------------------- */

int osv_timestamp(const char *s, char out[28])
{
	struct tm tm = { 0 };
	char frac[7] = "000000", wide[96];
	const char *p;
	int n = 0, oh = 0, om = 0, sign = 0;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2d%*[Tt ]%2d:%2d:%2d%n", &tm.tm_year,
		   &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min,
		   &tm.tm_sec, &n) != 6 || n < 19)
		return err_set(ERR_INVALID, "bad timestamp '%.40s'", s);
	p = s + n;
	if (*p == '.') {
		for (int i = 0; isdigit((unsigned char)*++p); i++)
			if (i < 6)
				frac[i] = *p;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') &&
		   sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 &&
		   strlen(p) == 6) {
		sign = *p == '+' ? 1 : -1;
		p += 6;
	}
	if (*p || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 ||
	    tm.tm_sec > 60 || tm.tm_year < 1 || tm.tm_year > 9999)
		return err_set(ERR_INVALID, "bad timestamp '%.40s'", s);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t = timegm(&tm) - sign * (oh * 3600 + om * 60);
	if (!gmtime_r(&t, &tm))
		return err_set(ERR_INVALID, "bad timestamp '%.40s'", s);
	/* gmtime_r() keeps every field in range, so this is 27 bytes. */
	n = snprintf(wide, sizeof(wide), "%04d-%02d-%02dT%02d:%02d:%02d.%sZ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		     tm.tm_min, tm.tm_sec, frac);
	if (n != 27)
		return err_set(ERR_INVALID, "bad timestamp '%.40s'", s);
	memcpy(out, wide, 28);
	return 0;
}

/* YAML to JSON, every scalar a string ------------------------------ */

struct yconv {
	yaml_document_t *doc;
	const char *name;
	size_t nodes;
};

static int yaml_node_json(struct yconv *c, yaml_node_t *node, int depth,
			  json_t **out);

static int yaml_map_json(struct yconv *c, yaml_node_t *node, int depth,
			 json_t *obj)
{
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(c->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(c->doc, p->value);
		json_t *jv = NULL;
		char key[256];
		int rc;

		if (!k || !v || k->type != YAML_SCALAR_NODE ||
		    k->data.scalar.length >= sizeof(key))
			return err_set(ERR_INVALID, "%s: line %zu: mapping "
				       "key is not a short string", c->name,
				       k ? k->start_mark.line + 1 : 0);
		memcpy(key, k->data.scalar.value, k->data.scalar.length);
		key[k->data.scalar.length] = '\0';
		if (strlen(key) != k->data.scalar.length ||
		    json_object_get(obj, key))
			return err_set(ERR_INVALID, "%s: line %zu: duplicate "
				       "or invalid key '%s'", c->name,
				       k->start_mark.line + 1, key);
		rc = yaml_node_json(c, v, depth + 1, &jv);
		if (rc)
			return rc;
		if (json_object_set_new(obj, key, jv))
			return err_set(ERR_INVALID, "%s: line %zu: key '%s' "
				       "is not UTF-8", c->name,
				       k->start_mark.line + 1, key);
	}
	return 0;
}

static int yaml_seq_json(struct yconv *c, yaml_node_t *node, int depth,
			 json_t *arr)
{
	for (yaml_node_item_t *i = node->data.sequence.items.start;
	     i < node->data.sequence.items.top; i++) {
		yaml_node_t *v = yaml_document_get_node(c->doc, *i);
		json_t *jv = NULL;
		int rc;

		if (!v)
			return err_set(ERR_INVALID, "%s: broken sequence",
				       c->name);
		rc = yaml_node_json(c, v, depth + 1, &jv);
		if (rc)
			return rc;
		if (json_array_append_new(arr, jv))
			return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

static int yaml_node_json(struct yconv *c, yaml_node_t *node, int depth,
			  json_t **out)
{
	int rc;

	/* Aliases share nodes: count every visit so nesting cannot blow up. */
	if (depth > OSV_MAX_DEPTH || ++c->nodes > OSV_MAX_NODES)
		return err_set(ERR_LIMIT, "%s: line %zu: YAML nested or "
			       "aliased beyond limits", c->name,
			       node->start_mark.line + 1);
	switch (node->type) {
	case YAML_SCALAR_NODE:
		*out = json_stringn((const char *)node->data.scalar.value,
				    node->data.scalar.length);
		if (!*out)
			return err_set(ERR_INVALID, "%s: line %zu: scalar is "
				       "not UTF-8", c->name,
				       node->start_mark.line + 1);
		return 0;
	case YAML_MAPPING_NODE:
		*out = json_object();
		if (!*out)
			return err_set(ERR_NOMEM, "out of memory");
		rc = yaml_map_json(c, node, depth, *out);
		break;
	case YAML_SEQUENCE_NODE:
		*out = json_array();
		if (!*out)
			return err_set(ERR_NOMEM, "out of memory");
		rc = yaml_seq_json(c, node, depth, *out);
		break;
	default:
		return err_set(ERR_INVALID, "%s: empty YAML node", c->name);
	}
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static int yaml_to_json(const char *data, size_t len, const char *name,
			json_t **out)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct yconv c = { &doc, name, 0 };
	yaml_node_t *root;
	int rc;

	*out = NULL;
	if (!yaml_parser_initialize(&parser))
		return err_set(ERR_NOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data,
				     len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = err_set(ERR_INVALID, "%s: line %zu: %s", name,
			     parser.problem_mark.line + 1,
			     parser.problem ? parser.problem : "bad YAML");
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	rc = root ? yaml_node_json(&c, root, 0, out)
		  : err_set(ERR_INVALID, "%s: empty YAML document", name);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

/* JSON record to struct ------------------------------------------- */

/* Prefix the current message with the record's name. */
static int err_in(int code, const char *name)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", err_msg());
	return err_set(code, "%s: %s", name, msg);
}

struct ctx {
	const char *name;
	struct osv_record *r;
};

static int bad(const struct ctx *c, const char *what)
{
	return err_set(ERR_INVALID, "%s: %s", c->name, what);
}

/* A string member: NULL when absent, error when of another type. */
static int get_str(const struct ctx *c, json_t *o, const char *key,
		   const char **out)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return err_set(ERR_INVALID, "%s: '%s' is not a string",
			       c->name, key);
	*out = json_string_value(v);
	return 0;
}

static int dup_into(char **dst, const char *s)
{
	*dst = strdup(s);
	return *dst ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static bool id_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > OSV_MAX_ID)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.:", *s))
			return false;
	return true;
}

static int parse_ids(const struct ctx *c, json_t *root)
{
	struct osv_record *r = c->r;
	const char *id, *mod, *pub, *wd;
	char ts[28];
	json_t *al, *v;
	size_t i;
	int rc;

	if ((rc = get_str(c, root, "id", &id)) ||
	    (rc = get_str(c, root, "modified", &mod)) ||
	    (rc = get_str(c, root, "published", &pub)) ||
	    (rc = get_str(c, root, "withdrawn", &wd)))
		return rc;
	if (!id || !id_ok(id))
		return bad(c, "missing or malformed 'id'");
	if (!mod)
		return bad(c, "missing 'modified'");
	if ((rc = dup_into(&r->id, id)))
		return rc;
	if (osv_timestamp(mod, ts))
		return err_in(ERR_INVALID, c->name);
	if ((rc = dup_into(&r->modified, ts)))
		return rc;
	if (pub && !osv_timestamp(pub, ts) && (rc = dup_into(&r->published,
							     ts)))
		return rc;
	r->withdrawn = wd != NULL;
	al = json_object_get(root, "aliases");
	if (!al || json_is_null(al))
		return 0;
	if (!json_is_array(al) || json_array_size(al) > OSV_MAX_ALIASES)
		return bad(c, "'aliases' is not a list of ids");
	r->aliases = calloc(json_array_size(al) + 1, sizeof(char *));
	if (!r->aliases)
		return err_set(ERR_NOMEM, "out of memory");
	json_array_foreach(al, i, v) {
		/* A malformed alias is dropped; the record stays useful. */
		if (!json_is_string(v) || !id_ok(json_string_value(v)))
			continue;
		if ((rc = dup_into(&r->aliases[r->n_aliases],
				   json_string_value(v))))
			return rc;
		r->n_aliases++;
	}
	return 0;
}

/* Summary, or the first line of details, cut to one short line. */
static int parse_summary(const struct ctx *c, json_t *root)
{
	const char *s, *d;
	char line[OSV_MAX_SUMMARY + 1];
	size_t n = 0;
	int rc;

	if ((rc = get_str(c, root, "summary", &s)) ||
	    (rc = get_str(c, root, "details", &d)))
		return rc;
	if (!s || !*s)
		s = d ? d : "";
	while (isspace((unsigned char)*s))
		s++;
	while (s[n] && s[n] != '\n' && n < OSV_MAX_SUMMARY)
		n++;
	/* Do not cut a UTF-8 sequence in half. */
	while (n && s[n] && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	memcpy(line, s, n);
	line[n] = '\0';
	for (char *p = line; *p; p++)
		if (*p == '\r' || *p == '\t')
			*p = ' ';
	return dup_into(&c->r->summary, line);
}

static int parse_refs(const struct ctx *c, json_t *root)
{
	json_t *refs = json_object_get(root, "references"), *ref;
	const char *best = NULL, *type, *url;
	int best_rank = 9, rank;
	size_t i;

	if (!json_is_array(refs))
		return 0;
	json_array_foreach(refs, i, ref) {
		if (get_str(c, ref, "type", &type) ||
		    get_str(c, ref, "url", &url) || !url)
			continue;
		rank = !type ? 3 : !strcmp(type, "ADVISORY") ? 0
		     : !strcmp(type, "WEB") ? 1 : 2;
		if (rank < best_rank) {
			best = url;
			best_rank = rank;
		}
	}
	return best ? dup_into(&c->r->url, best) : 0;
}

static const char *label_norm(const char *s)
{
	static const char *const map[][2] = { { "critical", "critical" },
		{ "high", "high" }, { "moderate", "medium" },
		{ "medium", "medium" }, { "low", "low" } };

	for (size_t i = 0; s && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcasecmp(s, map[i][0]))
			return map[i][1];
	return NULL;
}

static int parse_severity(const struct ctx *c, json_t *root)
{
	json_t *sev = json_object_get(root, "severity"), *e, *ds;
	const char *type, *vec, *label = NULL;
	double score;
	size_t i;
	int rc;

	c->r->score = -1;
	json_array_foreach(sev, i, e) {
		if (get_str(c, e, "type", &type) ||
		    get_str(c, e, "score", &vec) || !type || !vec ||
		    strncmp(type, "CVSS_V", 6))
			continue;
		/* A vector we cannot score is ignored, not fatal. */
		if (cvss_score(vec, &score) || score <= c->r->score)
			continue;
		c->r->score = score;
		free(c->r->vector);
		if ((rc = dup_into(&c->r->vector, vec)))
			return rc;
	}
	ds = json_object_get(root, "database_specific");
	if (json_is_object(ds))
		get_str(c, ds, "severity", &label);
	label = label_norm(label);
	return label ? dup_into(&c->r->label, label) : 0;
}

static int parse_event(const struct ctx *c, json_t *o, struct osv_event *e)
{
	static const char *const kinds[] = { "introduced", "fixed",
					     "last_affected", "limit" };
	const char *key;
	json_t *v;

	if (!json_is_object(o) || json_object_size(o) != 1)
		return bad(c, "an event is not a one-key mapping");
	json_object_foreach(o, key, v) {
		for (int k = 0; k < 4; k++) {
			if (strcmp(key, kinds[k]))
				continue;
			if (!json_is_string(v) || !*json_string_value(v) ||
			    strlen(json_string_value(v)) > PEP440_MAX_LEN)
				return bad(c, "event version is not a string");
			e->kind = (enum osv_event_kind)k;
			return dup_into(&e->version, json_string_value(v));
		}
	}
	return bad(c, "unknown event type");
}

static int parse_range(const struct ctx *c, json_t *o, struct osv_range *r)
{
	json_t *evs = json_object_get(o, "events"), *e;
	size_t i;
	int rc;

	if (!json_is_array(evs) || !json_array_size(evs) ||
	    json_array_size(evs) > OSV_MAX_EVENTS)
		return bad(c, "a range has no events list");
	r->ev = calloc(json_array_size(evs), sizeof(*r->ev));
	if (!r->ev)
		return err_set(ERR_NOMEM, "out of memory");
	json_array_foreach(evs, i, e) {
		if ((rc = parse_event(c, e, &r->ev[r->n])))
			return rc;
		r->n++;
	}
	return 0;
}

static int parse_ranges(const struct ctx *c, json_t *o,
			struct osv_affected *a)
{
	json_t *rs = json_object_get(o, "ranges"), *r;
	const char *type;
	size_t i;
	int rc;

	if (!rs || json_is_null(rs))
		return 0;
	if (!json_is_array(rs) || json_array_size(rs) > OSV_MAX_AFFECTED)
		return bad(c, "'ranges' is not a list");
	a->ranges = calloc(json_array_size(rs) + 1, sizeof(*a->ranges));
	if (!a->ranges)
		return err_set(ERR_NOMEM, "out of memory");
	json_array_foreach(rs, i, r) {
		if ((rc = get_str(c, r, "type", &type)))
			return rc;
		if (!type)
			return bad(c, "a range has no type");
		/* GIT and SEMVER ranges do not order PyPI versions. */
		if (strcmp(type, "ECOSYSTEM"))
			continue;
		rc = parse_range(c, r, &a->ranges[a->n_ranges]);
		/* Counted even on failure so the record frees it. */
		a->n_ranges++;
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_versions(const struct ctx *c, json_t *o,
			  struct osv_affected *a)
{
	json_t *vs = json_object_get(o, "versions"), *v;
	size_t i;
	int rc;

	if (!vs || json_is_null(vs))
		return 0;
	if (!json_is_array(vs) || json_array_size(vs) > OSV_MAX_VERSIONS)
		return bad(c, "'versions' is not a bounded list");
	a->versions = calloc(json_array_size(vs) + 1, sizeof(char *));
	if (!a->versions)
		return err_set(ERR_NOMEM, "out of memory");
	json_array_foreach(vs, i, v) {
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) > PEP440_MAX_LEN)
			return bad(c, "a listed version is not a string");
		if ((rc = dup_into(&a->versions[a->n_versions],
				   json_string_value(v))))
			return rc;
		a->n_versions++;
	}
	return 0;
}

/* 1 when the entry is PyPI and was parsed, 0 when another ecosystem. */
static int parse_one_affected(const struct ctx *c, json_t *o,
			      struct osv_affected *a)
{
	json_t *pkg = json_object_get(o, "package"), *es;
	const char *eco, *name, *label = NULL;
	char norm[256];
	int rc;

	if (!json_is_object(pkg))
		return bad(c, "an affected entry has no package");
	if ((rc = get_str(c, pkg, "ecosystem", &eco)) ||
	    (rc = get_str(c, pkg, "name", &name)))
		return rc;
	if (!eco || !name)
		return bad(c, "package without ecosystem or name");
	if (strcmp(eco, "PyPI"))
		return 0;
	if (pep503_normalize(name, norm, sizeof(norm)))
		return err_in(ERR_INVALID, c->name);
	if ((rc = dup_into(&a->package, norm)) ||
	    (rc = parse_ranges(c, o, a)) || (rc = parse_versions(c, o, a)))
		return rc;
	es = json_object_get(o, "ecosystem_specific");
	if (!c->r->label && json_is_object(es))
		get_str(c, es, "severity", &label);
	if ((label = label_norm(label)) && (rc = dup_into(&c->r->label,
							  label)))
		return rc;
	return 1;
}

static int parse_affected(const struct ctx *c, json_t *root)
{
	json_t *aff = json_object_get(root, "affected"), *o;
	size_t i;
	int rc;

	if (!aff || json_is_null(aff))
		return 0;
	if (!json_is_array(aff) || json_array_size(aff) > OSV_MAX_AFFECTED)
		return bad(c, "'affected' is not a bounded list");
	c->r->aff = calloc(json_array_size(aff) + 1, sizeof(*c->r->aff));
	if (!c->r->aff)
		return err_set(ERR_NOMEM, "out of memory");
	json_array_foreach(aff, i, o) {
		rc = parse_one_affected(c, o, &c->r->aff[c->r->n_aff]);
		if (rc < 0) {
			/* Count the slot so osv_record_free() releases it. */
			c->r->n_aff++;
			return rc;
		}
		/* A half-filled slot of another ecosystem is reused. */
		c->r->n_aff += (size_t)rc;
	}
	return 0;
}

static int record_from_json(json_t *root, const char *name,
			    struct osv_record **out)
{
	struct ctx c = { name, NULL };
	int rc;

	*out = NULL;
	if (!json_is_object(root))
		return err_set(ERR_INVALID, "%s: record is not a mapping",
			       name);
	c.r = calloc(1, sizeof(*c.r));
	if (!c.r)
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = parse_ids(&c, root)) || (rc = parse_summary(&c, root)) ||
	    (rc = parse_refs(&c, root)) || (rc = parse_severity(&c, root)) ||
	    (rc = parse_affected(&c, root))) {
		osv_record_free(c.r);
		return rc;
	}
	*out = c.r;
	return 0;
}

int osv_parse_json(const char *data, size_t len, const char *name,
		   struct osv_record **out)
{
	json_error_t jerr;
	json_t *root;
	int rc;

	*out = NULL;
	if (len > OSV_MAX_RECORD)
		return err_set(ERR_LIMIT, "%s: record larger than %u bytes",
			       name, OSV_MAX_RECORD);
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return err_set(ERR_INVALID, "%s: line %d column %d: %s",
			       name, jerr.line, jerr.column, jerr.text);
	rc = record_from_json(root, name, out);
	json_decref(root);
	return rc;
}

int osv_parse_yaml(const char *data, size_t len, const char *name,
		   struct osv_record **out)
{
	json_t *root;
	int rc;

	*out = NULL;
	if (len > OSV_MAX_RECORD)
		return err_set(ERR_LIMIT, "%s: record larger than %u bytes",
			       name, OSV_MAX_RECORD);
	rc = yaml_to_json(data, len, name, &root);
	if (rc)
		return rc;
	rc = record_from_json(root, name, out);
	json_decref(root);
	return rc;
}

const char *osv_record_group(const struct osv_record *r)
{
	const char *cve = NULL, *low = r->id;

	for (size_t i = 0; i <= r->n_aliases; i++) {
		const char *s = i ? r->aliases[i - 1] : r->id;

		if (!strncmp(s, "CVE-", 4) && (!cve || strcmp(s, cve) < 0))
			cve = s;
		if (strcmp(s, low) < 0)
			low = s;
	}
	return cve ? cve : low;
}

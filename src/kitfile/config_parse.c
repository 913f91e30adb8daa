/*
 * Reading a config blob back into a struct kitfile. The blob comes from
 * a registry, so it is bounded, duplicate keys are refused, unknown keys
 * fail, digests are checked, and the paths pass the Kitfile rules again
 * before anyone unpacks by them.
 */
#include "kitfile/internal.h"

#include <stdlib.h>
#include <string.h>

#include "oci/digest.h"
#include "util/err.h"

#define CFG "config"

static int cfg_err(int code, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int cfg_err(int code, const char *where, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(code, CFG ": %s: %s", where, msg);
}

/* Go decodes null into a string as "": both become NULL here. */
static int get_str(json_t *v, const char *key, const char *where,
		   char **out)
{
	const char *s;

	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return cfg_err(ERR_INVALID, where, "'%s' must be a string",
			       key);
	s = json_string_value(v);
	free(*out);
	*out = NULL;
	if (!*s)
		return 0;
	*out = strdup(s);
	return *out ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static int depth_of(json_t *v, int depth)
{
	size_t i;
	const char *k;
	json_t *x;

	if (depth > KITFILE_MAX_DEPTH)
		return ERR_LIMIT;
	if (json_is_array(v))
		json_array_foreach(v, i, x)
			if (depth_of(x, depth + 1))
				return ERR_LIMIT;
	if (json_is_object(v))
		json_object_foreach(v, k, x)
			if (depth_of(x, depth + 1))
				return ERR_LIMIT;
	return 0;
}

static int get_params(json_t *v, const char *where, json_t **out)
{
	if (json_is_null(v))
		return 0;
	if (depth_of(v, 1))
		return cfg_err(ERR_LIMIT, where, "parameters nested deeper "
			       "than %d levels", KITFILE_MAX_DEPTH);
	json_decref(*out);
	*out = json_incref(v);
	return 0;
}

static int get_digest(json_t *v, const char *key, const char *where,
		      char out[DIGEST_STR_LEN])
{
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v) || !oci_digest_valid(json_string_value(v)))
		return cfg_err(ERR_INVALID, where, "'%s' is not a sha256 "
			       "digest", key);
	strcpy(out, json_string_value(v));
	return 0;
}

/* Keys each kind accepts besides digest and diffId, as in kit's structs. */
static const char *const entry_keys[][6] = {
	[KITFILE_MODELPART] = { "name", "path", "license", "type", NULL },
	[KITFILE_CODE] = { "path", "description", "license", NULL },
	[KITFILE_DATASET] = { "name", "path", "description", "license",
			      "parameters", NULL },
	[KITFILE_DOCS] = { "path", "description", NULL },
	[KITFILE_PROMPT] = { "name", "path", "description", NULL },
};

static char **entry_field(struct kitfile_entry *e, const char *key)
{
	if (!strcmp(key, "name"))
		return &e->name;
	if (!strcmp(key, "path"))
		return &e->path;
	if (!strcmp(key, "description"))
		return &e->description;
	if (!strcmp(key, "license"))
		return &e->license;
	return &e->type;
}

static bool key_allowed(enum kitfile_kind kind, const char *key)
{
	for (const char *const *k = entry_keys[kind]; *k; k++)
		if (!strcmp(*k, key))
			return true;
	return false;
}

static int entry_key(struct kitfile_entry *e, const char *key, json_t *v,
		     const char *where)
{
	if (!strcmp(key, "digest"))
		return get_digest(v, key, where, e->digest);
	if (!strcmp(key, "diffId"))
		return get_digest(v, key, where, e->diff_id);
	if (!strcmp(key, "remotePath") || !strcmp(key, "remoteHash"))
		return cfg_err(ERR_UNSUPPORTED, where, "'%s' is not "
			       "supported by stele", key);
	if (!key_allowed(e->kind, key))
		return cfg_err(ERR_INVALID, where, "unknown key '%s'", key);
	if (!strcmp(key, "parameters"))
		return get_params(v, where, &e->parameters);
	return get_str(v, key, where, entry_field(e, key));
}

static int parse_entry(struct kitfile *kf, json_t *o, enum kitfile_kind kind,
		       const char *where)
{
	struct kitfile_entry *e;
	const char *k;
	json_t *v;
	int rc = 0;

	e = kitfile_entry_add(kf, kind, 0, 0, &rc);
	if (!e)
		return rc;
	if (json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return cfg_err(ERR_INVALID, where, "items must be objects");
	json_object_foreach(o, k, v) {
		rc = entry_key(e, k, v, where);
		if (rc)
			break;
	}
	return rc;
}

static int parse_list(struct kitfile *kf, json_t *a, enum kitfile_kind kind,
		      const char *where)
{
	size_t i;
	json_t *o;
	int rc = 0;

	if (json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return cfg_err(ERR_INVALID, where, "must be an array");
	json_array_foreach(a, i, o) {
		rc = parse_entry(kf, o, kind, where);
		if (rc)
			break;
	}
	return rc;
}

static int parse_authors(struct kitfile_package *p, json_t *a)
{
	size_t i;
	json_t *s;

	if (json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return cfg_err(ERR_INVALID, "package", "'authors' must be "
			       "an array");
	if (json_array_size(a) > KITFILE_MAX_AUTHORS)
		return cfg_err(ERR_LIMIT, "package", "more than %d authors",
			       KITFILE_MAX_AUTHORS);
	p->authors = calloc(json_array_size(a) + 1, sizeof(*p->authors));
	if (!p->authors)
		return err_set(ERR_NOMEM, "out of memory");
	json_array_foreach(a, i, s) {
		/* encoding/json leaves a null element of []string "". */
		if (!json_is_string(s) && !json_is_null(s))
			return cfg_err(ERR_INVALID, "package", "authors must "
				       "be strings");
		p->authors[i] = strdup(json_is_null(s) ? "" :
				       json_string_value(s));
		if (!p->authors[i])
			return err_set(ERR_NOMEM, "out of memory");
		p->n_authors = i + 1;
	}
	return 0;
}

static int parse_package(struct kitfile_package *p, json_t *o)
{
	const char *k;
	json_t *v;
	int rc = 0;

	if (json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return cfg_err(ERR_INVALID, "package", "must be an object");
	json_object_foreach(o, k, v) {
		if (!strcmp(k, "name"))
			rc = get_str(v, k, "package", &p->name);
		else if (!strcmp(k, "version"))
			rc = get_str(v, k, "package", &p->version);
		else if (!strcmp(k, "description"))
			rc = get_str(v, k, "package", &p->description);
		else if (!strcmp(k, "license"))
			rc = get_str(v, k, "package", &p->license);
		else if (!strcmp(k, "authors"))
			rc = parse_authors(p, v);
		else
			rc = cfg_err(ERR_INVALID, "package", "unknown key "
				     "'%s'", k);
		if (rc)
			break;
	}
	return rc;
}

static int model_path(struct kitfile *kf, json_t *o,
		      struct kitfile_entry **e)
{
	json_t *p = json_object_get(o, "path");
	char *s = NULL;
	int rc;

	*e = NULL;
	rc = p ? get_str(p, "path", "model", &s) : 0;
	if (rc || !s)
		return rc;
	*e = kitfile_entry_add(kf, KITFILE_MODEL, 0, 0, &rc);
	if (!*e) {
		free(s);
		return rc;
	}
	(*e)->path = s;
	return 0;
}

static int model_key(struct kitfile *kf, struct kitfile_entry *e,
		     const char *k, json_t *v)
{
	struct kitfile_model *m = &kf->model;
	char **const strs[] = { &m->name, &m->license, &m->framework,
				&m->format, &m->version, &m->description };
	static const char *const names[] = { "name", "license", "framework",
					     "format", "version",
					     "description" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(k, names[i]))
			return get_str(v, k, "model", strs[i]);
	if (!strcmp(k, "path"))
		return 0;
	if (!strcmp(k, "parts"))
		return parse_list(kf, v, KITFILE_MODELPART, "model.parts");
	if (!strcmp(k, "parameters"))
		return get_params(v, "model", &m->parameters);
	if ((!strcmp(k, "digest") || !strcmp(k, "diffId")) && !e &&
	    !json_is_null(v))
		return cfg_err(ERR_INVALID, "model", "'%s' without a path",
			       k);
	if (!strcmp(k, "digest"))
		return get_digest(v, k, "model", e ? e->digest : NULL);
	if (!strcmp(k, "diffId"))
		return get_digest(v, k, "model", e ? e->diff_id : NULL);
	return cfg_err(ERR_INVALID, "model", "unknown key '%s'", k);
}

static int parse_model(struct kitfile *kf, json_t *o)
{
	struct kitfile_entry *e;
	size_t idx;
	const char *k;
	json_t *v;
	int rc;

	if (json_is_null(o))
		return 0;
	if (!json_is_object(o))
		return cfg_err(ERR_INVALID, "model", "must be an object");
	kf->has_model = true;
	rc = model_path(kf, o, &e);
	/* Parts may be added below and move the array: keep an index. */
	idx = e ? (size_t)(e - kf->entries) : 0;
	json_object_foreach(o, k, v) {
		if (rc)
			break;
		rc = model_key(kf, e ? &kf->entries[idx] : NULL, k, v);
	}
	return rc;
}

static int root_key(struct kitfile *kf, const char *k, json_t *v)
{
	if (!strcmp(k, "manifestVersion"))
		return get_str(v, k, "manifest", &kf->manifest_version);
	if (!strcmp(k, "package"))
		return parse_package(&kf->package, v);
	if (!strcmp(k, "model"))
		return parse_model(kf, v);
	if (!strcmp(k, "code"))
		return parse_list(kf, v, KITFILE_CODE, "code");
	if (!strcmp(k, "datasets"))
		return parse_list(kf, v, KITFILE_DATASET, "datasets");
	if (!strcmp(k, "docs"))
		return parse_list(kf, v, KITFILE_DOCS, "docs");
	if (!strcmp(k, "prompts"))
		return parse_list(kf, v, KITFILE_PROMPT, "prompts");
	if (!strcmp(k, "mcpServers"))
		return cfg_err(ERR_UNSUPPORTED, "manifest", "'mcpServers' is "
			       "not supported by stele");
	return cfg_err(ERR_INVALID, "manifest", "unknown key '%s'", k);
}

/* An integer literal beyond int64 (jansson's json_int_t) as text. */
static bool int_overflows(const char *p, size_t n)
{
	bool neg = p[0] == '-';
	const char *lim = neg ? "9223372036854775808" : "9223372036854775807";
	size_t digits = n - neg;

	return digits > 19 || (digits == 19 && memcmp(p + neg, lim, 19) > 0);
}

/*
 * Go writes a float64 below 1e21 without a point ("1e20" becomes
 * 100000000000000000000), which jansson refuses as too big an integer.
 * Mark such literals as reals by appending ".0": read back as a double,
 * they print as the same text. A '-' or digit outside a string can only
 * start a number in valid JSON; invalid JSON fails in jansson anyway.
 */
static int widen_big_ints(const char *json, size_t len, struct buf *out)
{
	bool in_str = false;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < len;) {
		size_t j = i + 1;
		bool integer = true;

		if (in_str || (json[i] != '-' && (json[i] < '0' ||
						   json[i] > '9'))) {
			if (in_str && json[i] == '\\' && i + 1 < len)
				rc = buf_put(out, json + i++, 1);
			else if (json[i] == '"')
				in_str = !in_str;
			rc = rc ? rc : buf_put(out, json + i++, 1);
			continue;
		}
		while (j < len && strchr("0123456789.eE+-", json[j])) {
			integer = integer && json[j] >= '0' && json[j] <= '9';
			j++;
		}
		rc = buf_put(out, json + i, j - i);
		/* "-0" too: only a float64 negative zero prints so. */
		if (rc == 0 && integer && (int_overflows(json + i, j - i) ||
					   (j - i == 2 && json[i] == '-' &&
					    json[i + 1] == '0')))
			rc = buf_puts(out, ".0");
		i = j;
	}
	return rc;
}

static int load_root(const char *json, size_t len, json_t **root)
{
	struct buf b = BUF_INIT(2 * (size_t)KITFILE_MAX_BYTES + 16);
	json_error_t jerr;
	int rc = widen_big_ints(json, len, &b);

	if (rc)
		goto out;
	*root = json_loadb(b.data ? b.data : "", b.len,
			   JSON_REJECT_DUPLICATES, &jerr);
	if (!*root)
		rc = err_set(ERR_INVALID, CFG ": JSON error at byte %d: %s",
			     jerr.position, jerr.text);
out:
	buf_release(&b);
	return rc;
}

int kitfile_from_config_json(const char *json, size_t len,
			     struct kitfile **out)
{
	struct kitfile *kf = NULL;
	json_t *root = NULL;
	const char *k;
	json_t *v;
	int rc = 0;

	*out = NULL;
	if (len > KITFILE_MAX_BYTES)
		return err_set(ERR_LIMIT, CFG ": larger than %u bytes",
			       KITFILE_MAX_BYTES);
	rc = load_root(json, len, &root);
	if (rc)
		return rc;
	if (!json_is_object(root)) {
		rc = err_set(ERR_INVALID, CFG ": not a JSON object");
		goto out;
	}
	kf = kitfile_new();
	if (!kf) {
		rc = ERR_NOMEM;
		goto out;
	}
	json_object_foreach(root, k, v) {
		rc = root_key(kf, k, v);
		if (rc)
			goto out;
	}
	rc = kitfile_entries_sort(kf);
	if (rc == 0)
		rc = kitfile_validate(kf, CFG);
out:
	json_decref(root);
	if (rc)
		kitfile_free(kf);
	else
		*out = kf;
	return rc;
}

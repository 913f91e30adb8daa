/*
 * Keras 3 `.keras` archives: config.json is walked recursively (nested
 * models, wrappers, every object with a class_name), Lambda layers and
 * serialized lambdas are flagged, and every `module` outside Keras is
 * refused the way the pickle allowlists refuse globals.
 */
#include "scan/engine.h"
#include "scan/rules.h"
#include "util/err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define KERAS_MAX_CONFIG (64u << 20)
#define KERAS_MAX_DEPTH 128

struct kctx {
	struct scan_ctx *c;
	const char *path;
	bool limit;
};

static bool keras_module(const char *m)
{
	return !strcmp(m, "keras") || !strncmp(m, "keras.", 6);
}

static int check_module(struct kctx *k, const char *mod, const char *cls,
			const char *fn)
{
	char canon[600];
	enum scan_global_class g;

	if (keras_module(mod))
		return 0;
	g = scan_allow_check(mod, fn ? fn : cls, 4, 0, canon, sizeof(canon));
	return scan_add(k->c->r, g == SCAN_GLOBAL_DENIED ?
			"keras-module-denied" : "keras-module-dangerous",
			g == SCAN_GLOBAL_DENIED ? SCAN_HIGH : SCAN_CRITICAL,
			k->path, SCAN_OWASP_SUPPLY_CHAIN,
			"Keras config names '%.200s' from module '%.200s', "
			"outside Keras", fn ? fn : cls, mod);
}

static int walk(struct kctx *k, json_t *v, unsigned depth);

static int walk_object(struct kctx *k, json_t *o, unsigned depth)
{
	json_t *cls = json_object_get(o, "class_name");
	json_t *mod = json_object_get(o, "module");
	json_t *cfg = json_object_get(o, "config");
	const char *key;
	json_t *val;
	int rc = 0;

	if (json_is_string(cls)) {
		const char *c = json_string_value(cls);

		if (!strcmp(c, "Lambda") || !strcmp(c, "__lambda__"))
			rc = scan_add(k->c->r, "keras-lambda", SCAN_CRITICAL,
				      k->path, SCAN_OWASP_SUPPLY_CHAIN,
				      "Keras config holds a %s: its Python "
				      "code runs when the model loads", c);
		if (!rc && json_is_string(mod))
			rc = check_module(k, json_string_value(mod), c,
					  !strcmp(c, "function") &&
					  json_is_string(cfg) ?
					  json_string_value(cfg) : NULL);
	}
	json_object_foreach(o, key, val) {
		if (rc)
			break;
		rc = walk(k, val, depth + 1);
	}
	return rc;
}

static int walk(struct kctx *k, json_t *v, unsigned depth)
{
	size_t i;
	json_t *e;
	int rc = 0;

	if (depth > KERAS_MAX_DEPTH) {
		k->limit = true;
		return 0;
	}
	if (json_is_object(v))
		return walk_object(k, v, depth);
	if (json_is_array(v))
		json_array_foreach(v, i, e) {
			rc = walk(k, e, depth + 1);
			if (rc)
				break;
		}
	return rc;
}

int scan_keras_config(struct scan_ctx *c, struct scan_rd *rd,
		      struct scan_file *f)
{
	struct kctx k = { .c = c, .path = f->path };
	json_error_t jerr;
	char *buf = NULL;
	size_t len = 0;
	const uint8_t *p;
	size_t n;
	json_t *root;
	int rc;

	for (;;) {
		rc = scan_rd_peek(rd, SCAN_RD_BUF, &p, &n);
		if (rc || !n)
			break;
		if (len + n > KERAS_MAX_CONFIG) {
			free(buf);
			scan_file_incomplete(f, "keras: config larger than %u "
					     "bytes", KERAS_MAX_CONFIG);
			return 0;
		}
		char *nb = realloc(buf, len + n + 1);

		if (!nb) {
			free(buf);
			return err_set(ERR_NOMEM, "out of memory");
		}
		buf = nb;
		memcpy(buf + len, p, n);
		len += n;
		rc = scan_rd_skip(rd, n);
		if (rc)
			break;
	}
	if (rc) {
		free(buf);
		scan_file_incomplete(f, "%s", err_msg());
		return 0;
	}
	root = json_loadb(buf ? buf : "", len, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!root) {
		scan_file_incomplete(f, "keras: config.json is not strict "
				     "JSON: %s at byte %d", jerr.text,
				     jerr.position);
		return 0;
	}
	rc = walk(&k, root, 0);
	json_decref(root);
	if (k.limit)
		scan_file_incomplete(f, "keras: config nested deeper than %d",
				     KERAS_MAX_DEPTH);
	return rc;
}

/* Strict JSON helpers; see sjson.h. */
#include "sign/sjson.h"
#include "sign/b64.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sign_json_load(const void *p, size_t n, const char *what, json_t **out)
{
	json_error_t jerr;
	json_t *j;

	*out = NULL;
	if (n > SIGN_JSON_MAX)
		return err_set(ERR_LIMIT, "%s: larger than %u bytes", what,
			       SIGN_JSON_MAX);
	j = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return err_set(ERR_INVALID, "%s: %s at byte %d", what,
			       jerr.text, jerr.position);
	if (!json_is_object(j)) {
		json_decref(j);
		return err_set(ERR_INVALID, "%s: not a JSON object", what);
	}
	*out = j;
	return 0;
}

int sign_json_str(json_t *obj, const char *key, const char *what,
		  const char **out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		return err_set(ERR_INVALID, "%s: \"%s\" is %s", what, key,
			       v ? "not a string" : "missing");
	*out = json_string_value(v);
	return 0;
}

int sign_json_obj(json_t *obj, const char *key, const char *what,
		  json_t **out)
{
	json_t *v = json_object_get(obj, key);

	if (!json_is_object(v))
		return err_set(ERR_INVALID, "%s: \"%s\" is %s", what, key,
			       v ? "not an object" : "missing");
	*out = v;
	return 0;
}

int sign_json_b64(json_t *obj, const char *key, const char *what,
		  struct buf *out)
{
	char name[160];
	json_t *v = json_object_get(obj, key);

	if (!json_is_string(v))
		return err_set(ERR_INVALID, "%s: \"%s\" is %s", what, key,
			       v ? "not a string" : "missing");
	snprintf(name, sizeof(name), "%s \"%s\"", what, key);
	return sign_b64_decode(json_string_value(v), json_string_length(v),
			       out, name);
}

int sign_json_dump(json_t *j, struct buf *out)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	int rc;

	if (!s)
		return err_set(ERR_NOMEM, "cannot encode JSON");
	rc = buf_puts(out, s);
	free(s);
	return rc;
}

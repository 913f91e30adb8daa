/* Strict JSON reading shared by the signature formats (jansson inside). */
#ifndef STELE_SIGN_SJSON_H
#define STELE_SIGN_SJSON_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"

/* Largest signature document read: envelope, bundle, statement, payload. */
#define SIGN_JSON_MAX (8u << 20)

/*
 * Parse n bytes as one JSON object, refusing duplicate keys (two readers
 * of one document must never see different values), NUL characters in
 * strings, text after the value and documents over SIGN_JSON_MAX. what
 * names the document in messages, with the byte offset of a parse error.
 * The caller owns *out (json_decref).
 */
int sign_json_load(const void *p, size_t n, const char *what, json_t **out);

/* A required string member; ERR_INVALID naming what and key otherwise. */
int sign_json_str(json_t *obj, const char *key, const char *what,
		  const char **out);

/* A required object member. */
int sign_json_obj(json_t *obj, const char *key, const char *what,
		  json_t **out);

/* A required string member holding strict base64, decoded into out. */
int sign_json_b64(json_t *obj, const char *key, const char *what,
		  struct buf *out);

/* Append a compact dump of j (member order kept) to out. */
int sign_json_dump(json_t *j, struct buf *out);

#endif

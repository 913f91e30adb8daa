/* Helpers shared by the files of the kitfile module; not a public API. */
#ifndef STELE_KITFILE_INTERNAL_H
#define STELE_KITFILE_INTERNAL_H

#include <stdarg.h>

#include "kitfile/kitfile.h"

/* Nodes (scalars, sequences, mappings, aliases expanded) one Kitfile may
 * hold; bounds the work an alias bomb can cause. */
#define KITFILE_MAX_NODES 100000
/* Authors one package section may list. */
#define KITFILE_MAX_AUTHORS 1024
/* Longest part type kit accepts (pkg/artifact: modelPartTypeMaxLen). */
#define KITFILE_PART_TYPE_MAX 64

/* A new empty Kitfile, or NULL (err set) when out of memory. */
struct kitfile *kitfile_new(void);

/*
 * Append an entry of the given kind, zeroed but for kind/line/column.
 * Returns NULL with ERR_LIMIT (more than KITFILE_MAX_ENTRIES) or
 * ERR_NOMEM set; *rc receives the code.
 */
struct kitfile_entry *kitfile_entry_add(struct kitfile *kf,
					enum kitfile_kind kind, int line,
					int column, int *rc);

/* Put entries in packing order (model, parts, code, datasets, docs,
 * prompts), keeping the Kitfile order inside each kind. */
int kitfile_entries_sort(struct kitfile *kf);

/*
 * The checks kit's Validate() makes: path types, model part types,
 * absolute paths, paths leaving the context, duplicate paths. name and
 * each entry's line/column locate the message.
 */
int kitfile_validate(const struct kitfile *kf, const char *name);

/* Copy n bytes into a new NUL-terminated string; NULL when out of memory. */
char *kitfile_strndup(const char *s, size_t n);

/* Format v as Go's encoding/json writes a float64 (shortest digits,
 * exponent form below 1e-6 and from 1e21). out holds 32 bytes. */
void kitfile_format_float(double v, char out[32]);

/* Append s as a JSON string the way Go's encoding/json escapes it. */
int kitfile_json_put_string(struct buf *b, const char *s);

/* Append a free-form value in Go's encoding/json form (sorted keys). */
int kitfile_json_put_value(struct buf *b, json_t *v, int depth);

/* Format "where: message" into the error slot: where is "name:line:col"
 * when line > 0, else "name". */
int kitfile_err_at(int code, const char *name, int line, int column,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/*
 * Type a YAML scalar the way go-yaml v3 does when decoding into Go's
 * `any` (kit's free-form parameters): quoted scalars are strings; plain
 * ones may be null, bool, int or float; timestamps become RFC 3339 strings.
 * Returns 0 and *out, or ERR_UNSUPPORTED / ERR_INVALID with *why set to
 * a static reason for values kit could not encode either (NaN, Inf,
 * merge keys, offsets of a day) or stele does not (integers above 2^63-1).
 */
int kitfile_yaml_scalar(const char *v, size_t len, bool plain,
			json_t **out, const char **why);

/* True when a plain scalar with this text is a string to go-yaml v3. */
bool kitfile_yaml_plain_is_string(const char *v);

#endif

/* The Kitfile: the manifest of a ModelKit, in YAML on disk and JSON in
 * the OCI config blob, following the KitOps schema. */
#ifndef STELE_KITFILE_KITFILE_H
#define STELE_KITFILE_KITFILE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/sha256.h"

#define KITFILE_MAX_BYTES (1u << 20)   /* a Kitfile larger than this fails */
#define KITFILE_MAX_ENTRIES 4096       /* layers one Kitfile may declare */
#define KITFILE_MAX_DEPTH 32           /* nesting of free-form parameters */

/* What a layer holds; decides its media type. */
enum kitfile_kind {
	KITFILE_MODEL,
	KITFILE_MODELPART,
	KITFILE_CODE,
	KITFILE_DATASET,
	KITFILE_DOCS,
	KITFILE_PROMPT,
};

/*
 * One path-bearing entry of the Kitfile: the model itself, a model part,
 * or an element of code, datasets, docs or prompts. Strings are NULL when
 * absent. digest and diff_id are "" until packing fills them (or the
 * config JSON carries them). line/column locate the entry in the YAML for
 * error messages (0 when parsed from JSON).
 */
struct kitfile_entry {
	enum kitfile_kind kind;
	char *path;
	char *name;
	char *description;
	char *license;
	char *type;            /* model parts only */
	json_t *parameters;    /* datasets only; NULL when absent */
	char digest[DIGEST_STR_LEN];
	char diff_id[DIGEST_STR_LEN];
	int line;
	int column;
};

struct kitfile_package {
	char *name;
	char *version;
	char *description;
	char *license;
	char **authors;
	size_t n_authors;
};

/*
 * The model section's own fields. Its path, if any, is the entry
 * entries[model_index]; parts are further entries of kind MODELPART.
 */
struct kitfile_model {
	char *name;
	char *framework;
	char *format;
	char *version;
	char *description;
	char *license;
	json_t *parameters;    /* free-form; NULL when absent */
};

/*
 * A parsed Kitfile. entries[] is in the order KitOps packs layers:
 * model, model parts, code, datasets, docs, prompts, each in Kitfile order.
 * Owned by the caller of the constructor; free with kitfile_free().
 */
struct kitfile {
	char *manifest_version;
	struct kitfile_package package;
	bool has_model;
	struct kitfile_model model;
	struct kitfile_entry *entries;
	size_t n_entries;
};

/*
 * Parse and validate Kitfile YAML. name is used in messages, which look
 * like "Kitfile:12:3: unknown key 'foo' in model". Refused: YAML errors,
 * unknown keys, wrong types, a missing manifestVersion, absolute paths,
 * paths escaping the context directory ("..", after normalisation),
 * duplicate paths, more than KITFILE_MAX_ENTRIES entries. Returns 0 and
 * *out, or ERR_INVALID / ERR_LIMIT with the message set.
 */
int kitfile_parse(const char *yaml, size_t len, const char *name,
		  struct kitfile **out);

/* Read and parse a Kitfile from disk (bounded by KITFILE_MAX_BYTES). */
int kitfile_load(const char *path, struct kitfile **out);

/*
 * The config blob: the Kitfile as JSON with each entry's digest and
 * diffId, byte-for-byte as KitOps writes it (field order and omitempty
 * as kit's Go structs).
 */
int kitfile_to_config_json(const struct kitfile *kf, struct buf *out);

/* Parse a config blob made by stele or kit (bounded, duplicate keys
 * refused). */
int kitfile_from_config_json(const char *json, size_t len,
			     struct kitfile **out);

/* Render as Kitfile YAML (for `stele init` and `unpack --filter kitfile`). */
int kitfile_to_yaml(const struct kitfile *kf, struct buf *out);

/*
 * Write a Kitfile for dir by classifying its files: weights to model or
 * model parts, docs (README, LICENSE, *.md), datasets (csv, parquet,
 * jsonl, ...), code (*.py, requirements, notebooks, ...).
 */
int kitfile_generate(const char *dir, struct kitfile **out);

void kitfile_free(struct kitfile *kf);

/* The KitOps media type of an entry's layer for a compression name
 * ("none", "gzip", "zstd"); NULL for an unknown compression. */
const char *kitfile_media_type(enum kitfile_kind kind, const char *compression);

/*
 * Additions used by pack/unpack (the declarations above are fixed).
 */

/* A path cleaned as Go's filepath.Clean does ("./a/" -> "a", "" -> ".");
 * kit compares and packs layer paths in this form. Caller frees; NULL
 * when out of memory. */
char *kitfile_path_clean(const char *path);

/*
 * Which layer a media type names: KitOps
 * (application/vnd.kitops.modelkit.<model|modelpart|code|dataset|docs>.v1.*)
 * or CNCF ModelPack (application/vnd.cncf.model.<weight|weight.config|
 * code|dataset|doc>.v1.*, also the older vnd.cnai.model prefix), each as
 * tar, tar+gzip, tar+zstd or raw. *compression is "none", "gzip" or "zstd";
 * *raw is true for an untarred single file. Prompts are code layers told
 * apart by the ml.kitops.modelkit.layer-subtype annotation, so this never
 * gives KITFILE_PROMPT. Returns ERR_UNSUPPORTED for any other type.
 */
int kitfile_media_type_parse(const char *media_type, enum kitfile_kind *kind,
			     const char **compression, bool *raw);

/* kitfile_parse() also returns ERR_UNSUPPORTED (fields kit knows that
 * stele does not pack, explicit YAML tags) and ERR_NOMEM. */

/* The entry's path as written, "" when absent; clean it before use. */
#define KITFILE_ENTRY_PATH(e) ((e)->path ? (e)->path : "")

#endif

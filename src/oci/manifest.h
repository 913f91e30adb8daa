/* OCI image manifests of ModelKits (KitOps) and ModelPack artifacts:
 * building, Go-compatible serialisation and strict parsing. */
#ifndef STELE_OCI_MANIFEST_H
#define STELE_OCI_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "util/sha256.h"

#define OCI_MANIFEST_MAX (4u << 20)       /* bytes of manifest JSON */
#define OCI_MANIFEST_MAX_LAYERS 4096
#define OCI_ANNOTATIONS_MAX 256           /* per descriptor or manifest */
#define OCI_MEDIA_TYPE_MAX 255

#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define KIT_ARTIFACT_TYPE "application/vnd.kitops.modelkit.manifest.v1+json"
#define KIT_MT_CONFIG "application/vnd.kitops.modelkit.config.v1+json"
#define MODELPACK_ARTIFACT_TYPE "application/vnd.cncf.model.manifest.v1+json"
#define MODELPACK_MT_CONFIG "application/vnd.cncf.model.config.v1+json"
#define CNAI_ARTIFACT_TYPE "application/vnd.cnai.model.manifest.v1+json"
#define CNAI_MT_CONFIG "application/vnd.cnai.model.config.v1+json"

#define OCI_ANN_CREATED "org.opencontainers.image.created"
#define OCI_ANN_REF_NAME "org.opencontainers.image.ref.name"
#define OCI_ANN_TITLE "org.opencontainers.image.title"
#define MODEL_ANN_FILEPATH "org.cncf.model.filepath"
#define CNAI_ANN_FILEPATH "org.cnai.model.filepath"
#define KIT_ANN_CLI_VERSION "ml.kitops.modelkit.cli-version"
#define KIT_ANN_KITFILE "ml.kitops.modelkit.kitfile"
#define KIT_ANN_SUBTYPE "ml.kitops.modelkit.layer-subtype"
#define KIT_SUBTYPE_PROMPT "prompt"

/* Key/value pairs kept sorted by key (how Go serialises maps). */
struct oci_annotations {
	char **keys;
	char **values;
	size_t n;
};

/* Set (or replace) key; both strings are copied. */
int oci_annotations_set(struct oci_annotations *a, const char *key,
			const char *value);
/* The value for key, or NULL. */
const char *oci_annotations_get(const struct oci_annotations *a,
				const char *key);
void oci_annotations_release(struct oci_annotations *a);

struct oci_descriptor {
	char *media_type;
	char digest[DIGEST_STR_LEN];
	uint64_t size;
	char *artifact_type;              /* NULL when absent */
	struct oci_annotations annotations;
};

void oci_descriptor_release(struct oci_descriptor *d);

/* An image manifest. Owned by its creator; free with oci_manifest_free. */
struct oci_manifest {
	char *media_type;                 /* NULL when absent */
	char *artifact_type;              /* NULL when absent */
	struct oci_descriptor config;
	struct oci_descriptor *layers;
	size_t n_layers;
	bool has_subject;
	struct oci_descriptor subject;
	struct oci_annotations annotations;
};

struct oci_manifest *oci_manifest_new(void);
void oci_manifest_free(struct oci_manifest *m);

/* Append a layer descriptor (strings copied); returns it via *out. */
int oci_manifest_add_layer(struct oci_manifest *m, const char *media_type,
			   const char *digest, uint64_t size,
			   struct oci_descriptor **out);

/* Fill a descriptor's fields (strings copied). */
int oci_descriptor_set(struct oci_descriptor *d, const char *media_type,
		       const char *digest, uint64_t size);

/*
 * Serialise exactly as Go's encoding/json marshals the image-spec structs
 * kit uses: compact, struct field order, omitempty, map keys sorted,
 * '<', '>', '&', U+2028 and U+2029 escaped as \u00XX / \u20XX, invalid
 * UTF-8 replaced by U+FFFD.
 */
int oci_manifest_to_json(const struct oci_manifest *m, struct buf *out);

/*
 * Parse an image manifest: at most OCI_MANIFEST_MAX bytes, duplicate keys
 * refused, schemaVersion 2, valid sha256 digests, non-negative sizes,
 * string annotations, at most OCI_MANIFEST_MAX_LAYERS layers. Unknown
 * fields are ignored, as the image spec requires. ERR_UNSUPPORTED for an
 * image index.
 */
int oci_manifest_parse(const char *json, size_t len,
		       struct oci_manifest **out);

/* Which flavour of model artifact a manifest is. */
enum oci_model_format {
	OCI_FORMAT_UNKNOWN,
	OCI_FORMAT_KITOPS,
	OCI_FORMAT_MODELPACK,     /* application/vnd.cncf.model.* */
	OCI_FORMAT_CNAI,          /* the older application/vnd.cnai.model.* */
};

enum oci_model_format oci_manifest_format(const struct oci_manifest *m);

/* What a layer holds, from its media type and annotations. */
enum oci_layer_role {
	OCI_ROLE_MODEL,
	OCI_ROLE_MODELPART,
	OCI_ROLE_CODE,
	OCI_ROLE_DATASET,
	OCI_ROLE_DOCS,
	OCI_ROLE_PROMPT,
};

enum oci_layer_comp {
	OCI_COMP_NONE,
	OCI_COMP_GZIP,
	OCI_COMP_ZSTD,
};

struct oci_layer_info {
	enum oci_layer_role role;
	enum oci_layer_comp comp;
	bool raw;                 /* ModelPack ".raw": the file itself */
	const char *filepath;     /* org.cncf/org.cnai.model.filepath, else
				   * org.opencontainers.image.title; NULL when
				   * absent; borrowed from the descriptor */
};

/* Classify a layer of a KitOps or ModelPack manifest; ERR_UNSUPPORTED
 * names an unknown media type. */
int oci_layer_classify(const struct oci_descriptor *d,
		       struct oci_layer_info *out);

/* "model", "modelpart", "code", "dataset", "docs", "prompt". */
const char *oci_layer_role_name(enum oci_layer_role r);

/* KitOps media type for a role and compression ("none", "gzip", "zstd");
 * prompts use the code type. NULL for an unknown compression. */
const char *oci_kit_media_type(enum oci_layer_role r, const char *comp);

/* Append s as a Go encoding/json string literal (quotes included). */
int oci_json_put_string(struct buf *out, const char *s);

#endif

/* Strict validation of manifests and indexes pushed to the registry. */
#ifndef STELE_SERVER_VALIDATE_H
#define STELE_SERVER_VALIDATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "server/blobstore.h"

/* The distribution spec lets registries refuse manifests above 4 MiB. */
#define MCHECK_MAX_BYTES (4 * 1024 * 1024)
/* Descriptors in one manifest (layers, or manifests of an index). */
#define MCHECK_MAX_DESCRIPTORS 10000
#define MCHECK_MEDIATYPE_MAX 255

#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST \
	"application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST \
	"application/vnd.docker.distribution.manifest.list.v2+json"

/*
 * What the registry learns from a valid manifest. Strings in refs point
 * into doc and live until mcheck_release(); annotations is NULL or a
 * malloc'd compact JSON object.
 */
struct mcheck {
	json_t *doc;
	char media_type[MCHECK_MEDIATYPE_MAX + 1];
	bool is_index;
	char subject[BLOB_DIGEST_MAX];       /* "" when none */
	char artifact_type[MCHECK_MEDIATYPE_MAX + 1]; /* "" when none */
	char *annotations;
	const char **refs;                  /* config, layers, children */
	int nrefs;
};

/*
 * Validate n bytes pushed with the given Content-Type (NULL when the
 * request had none; parameters after ';' are ignored). Refuses: more than
 * MCHECK_MAX_BYTES (ERR_LIMIT), invalid or duplicate-key JSON, a schema
 * version other than 2, documents that are both index and manifest, a
 * mediaType that contradicts Content-Type or the document's shape, and
 * malformed descriptors (ERR_INVALID). A manifest without a top-level
 * mediaType (KitOps) takes its type from Content-Type.
 */
int mcheck_parse(const char *p, size_t n, const char *content_type,
		 struct mcheck *out);

/* Free what mcheck_parse() filled in; accepts a zeroed or NULL struct. */
void mcheck_release(struct mcheck *m);

/* True for the four manifest and index media types served. */
bool mcheck_known_type(const char *media_type);

#endif

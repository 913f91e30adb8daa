/* Manifest validation (OCI image-spec manifest and index, Docker schema
 * 2 manifest and list). Parsing is bounded; every refusal names why. */
#include "server/validate.h"
#include "oci/digest.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool mcheck_known_type(const char *t)
{
	return !strcmp(t, MT_OCI_MANIFEST) || !strcmp(t, MT_OCI_INDEX) ||
	       !strcmp(t, MT_DOCKER_MANIFEST) || !strcmp(t, MT_DOCKER_LIST);
}

static bool type_is_index(const char *t)
{
	return !strcmp(t, MT_OCI_INDEX) || !strcmp(t, MT_DOCKER_LIST);
}

/* Copy Content-Type without parameters or surrounding blanks. */
static void content_type_base(const char *ct, char *out, size_t n)
{
	size_t len;

	while (*ct == ' ' || *ct == '\t')
		ct++;
	len = strcspn(ct, "; \t");
	if (len >= n)
		len = n - 1;
	memcpy(out, ct, len);
	out[len] = '\0';
}

static int check_descriptor(json_t *d, const char *where,
			    const char **digest_out)
{
	json_t *mt = json_object_get(d, "mediaType");
	json_t *dg = json_object_get(d, "digest");
	json_t *sz = json_object_get(d, "size");
	int rc;

	if (!json_is_object(d))
		return err_set(ERR_INVALID, "manifest: %s is not an object",
			       where);
	if (!json_is_string(mt) ||
	    json_string_length(mt) > MCHECK_MEDIATYPE_MAX)
		return err_set(ERR_INVALID, "manifest: %s has no valid "
			       "mediaType", where);
	if (!json_is_integer(sz) || json_integer_value(sz) < 0)
		return err_set(ERR_INVALID, "manifest: %s has no valid size",
			       where);
	if (!json_is_string(dg))
		return err_set(ERR_INVALID, "manifest: %s has no digest",
			       where);
	/* Other algorithms are well-formed references, only not stored. */
	rc = oci_digest_check(json_string_value(dg));
	if (rc && rc != ERR_UNSUPPORTED)
		return err_set(ERR_INVALID, "manifest: %s has an invalid "
			       "digest", where);
	err_clear();
	*digest_out = json_string_value(dg);
	return 0;
}

static int add_ref(struct mcheck *m, const char *digest)
{
	if (m->nrefs >= MCHECK_MAX_DESCRIPTORS + 1)
		return err_set(ERR_LIMIT, "manifest: more than %d descriptors",
			       MCHECK_MAX_DESCRIPTORS);
	m->refs[m->nrefs++] = digest;
	return 0;
}

static int check_list(struct mcheck *m, json_t *arr, const char *name)
{
	char where[64];
	const char *dg;
	size_t i;
	json_t *d;
	int rc;

	if (!json_is_array(arr))
		return err_set(ERR_INVALID, "manifest: '%s' is not an array",
			       name);
	if (json_array_size(arr) > MCHECK_MAX_DESCRIPTORS)
		return err_set(ERR_LIMIT, "manifest: more than %d %s",
			       MCHECK_MAX_DESCRIPTORS, name);
	json_array_foreach(arr, i, d) {
		snprintf(where, sizeof(where), "%s[%zu]", name, i);
		rc = check_descriptor(d, where, &dg);
		if (!rc)
			rc = add_ref(m, dg);
		if (rc)
			return rc;
	}
	return 0;
}

/* Decide the media type from the field, the header and the shape. */
static int decide_type(struct mcheck *m, json_t *doc, const char *ct_raw,
		       bool shape_index)
{
	json_t *mt = json_object_get(doc, "mediaType");
	char ct[MCHECK_MEDIATYPE_MAX + 1] = "";
	const char *t;

	if (ct_raw)
		content_type_base(ct_raw, ct, sizeof(ct));
	if (mt && (!json_is_string(mt) ||
		   json_string_length(mt) > MCHECK_MEDIATYPE_MAX))
		return err_set(ERR_INVALID, "manifest: mediaType is not a "
			       "string");
	if (mt && *ct && strcmp(json_string_value(mt), ct))
		return err_set(ERR_INVALID, "manifest: mediaType '%s' "
			       "contradicts Content-Type '%s'",
			       json_string_value(mt), ct);
	t = mt ? json_string_value(mt) : ct;
	if (!*t)
		t = shape_index ? MT_OCI_INDEX : MT_OCI_MANIFEST;
	if (!mcheck_known_type(t))
		return err_set(ERR_INVALID, "manifest: unsupported media "
			       "type '%s'", t);
	if (type_is_index(t) != shape_index)
		return err_set(ERR_INVALID, "manifest: media type '%s' does "
			       "not match the document", t);
	snprintf(m->media_type, sizeof(m->media_type), "%s", t);
	m->is_index = shape_index;
	return 0;
}

static int check_optional(struct mcheck *m, json_t *doc)
{
	json_t *at = json_object_get(doc, "artifactType");
	json_t *sub = json_object_get(doc, "subject");
	json_t *ann = json_object_get(doc, "annotations");
	const char *dg;
	int rc;

	if (at && (!json_is_string(at) ||
		   json_string_length(at) > MCHECK_MEDIATYPE_MAX))
		return err_set(ERR_INVALID, "manifest: artifactType is not a "
			       "valid string");
	if (at)
		snprintf(m->artifact_type, sizeof(m->artifact_type), "%s",
			 json_string_value(at));
	if (sub) {
		rc = check_descriptor(sub, "subject", &dg);
		if (rc)
			return rc;
		if (blobstore_digest_valid(dg))
			snprintf(m->subject, sizeof(m->subject), "%s", dg);
	}
	if (ann && !json_is_object(ann))
		return err_set(ERR_INVALID, "manifest: annotations is not an "
			       "object");
	if (ann) {
		m->annotations = json_dumps(ann, JSON_COMPACT);
		if (!m->annotations)
			return err_set(ERR_NOMEM, "out of memory");
	}
	return 0;
}

static int check_manifest(struct mcheck *m, json_t *doc)
{
	json_t *cfg = json_object_get(doc, "config");
	json_t *layers = json_object_get(doc, "layers");
	const char *dg;
	int rc;

	if (!cfg)
		return err_set(ERR_INVALID, "manifest: 'config' is missing");
	rc = check_descriptor(cfg, "config", &dg);
	if (!rc)
		rc = add_ref(m, dg);
	if (!rc && layers)
		rc = check_list(m, layers, "layers");
	/* Image-spec: an artifact's type falls back to the config's. */
	if (!rc && !*m->artifact_type)
		snprintf(m->artifact_type, sizeof(m->artifact_type), "%s",
			 json_string_value(json_object_get(cfg,
							   "mediaType")));
	return rc;
}

int mcheck_parse(const char *p, size_t n, const char *content_type,
		 struct mcheck *out)
{
	json_error_t jerr;
	json_t *doc, *sv;
	bool has_index, has_manifest;
	int rc;

	memset(out, 0, sizeof(*out));
	if (n > MCHECK_MAX_BYTES)
		return err_set(ERR_LIMIT, "manifest: %zu bytes is over the "
			       "%d byte limit", n, MCHECK_MAX_BYTES);
	doc = json_loadb(p, n, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return err_set(ERR_INVALID, "manifest: %s at line %d column "
			       "%d", jerr.text, jerr.line, jerr.column);
	out->doc = doc;
	if (!json_is_object(doc))
		return err_set(ERR_INVALID, "manifest: not a JSON object");
	sv = json_object_get(doc, "schemaVersion");
	if (!json_is_integer(sv) || json_integer_value(sv) != 2)
		return err_set(ERR_INVALID, "manifest: schemaVersion is not "
			       "2");
	has_index = json_object_get(doc, "manifests") != NULL;
	has_manifest = json_object_get(doc, "config") ||
		       json_object_get(doc, "layers");
	if (has_index && has_manifest)
		return err_set(ERR_INVALID, "manifest: both an index and an "
			       "image manifest");
	if (!has_index && !has_manifest)
		return err_set(ERR_INVALID, "manifest: neither 'manifests' "
			       "nor 'config'");
	out->refs = calloc(MCHECK_MAX_DESCRIPTORS + 1, sizeof(char *));
	if (!out->refs)
		return err_set(ERR_NOMEM, "out of memory");
	rc = decide_type(out, doc, content_type, has_index);
	if (!rc)
		rc = check_optional(out, doc);
	if (!rc && has_index)
		rc = check_list(out, json_object_get(doc, "manifests"),
				"manifests");
	else if (!rc)
		rc = check_manifest(out, doc);
	return rc;
}

void mcheck_release(struct mcheck *m)
{
	if (!m)
		return;
	json_decref(m->doc);
	free(m->annotations);
	free(m->refs);
	memset(m, 0, sizeof(*m));
}

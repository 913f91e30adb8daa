/*
 * ModelKit manifests. Serialisation mirrors Go's encoding/json on the
 * image-spec structs (kit marshals ocispec.Manifest), so a manifest built
 * from the same descriptors has the same bytes and digest as kit's.
 */
#include "oci/manifest.h"
#include "oci/digest.h"
#include "util/err.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- annotations ---- */

static size_t ann_find(const struct oci_annotations *a, const char *key,
		       bool *found)
{
	size_t lo = 0, hi = a->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(a->keys[mid], key);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

int oci_annotations_set(struct oci_annotations *a, const char *key,
			const char *value)
{
	bool found;
	size_t at = ann_find(a, key, &found);
	char *v = strdup(value), *k = NULL, **nk, **nv;

	if (!v)
		return err_set(ERR_NOMEM, "out of memory");
	if (found) {
		free(a->values[at]);
		a->values[at] = v;
		return 0;
	}
	if (a->n >= OCI_ANNOTATIONS_MAX) {
		free(v);
		return err_set(ERR_LIMIT, "more than %d annotations",
			       OCI_ANNOTATIONS_MAX);
	}
	k = strdup(key);
	nk = realloc(a->keys, (a->n + 1) * sizeof(*nk));
	if (nk)
		a->keys = nk;
	nv = realloc(a->values, (a->n + 1) * sizeof(*nv));
	if (nv)
		a->values = nv;
	if (!k || !nk || !nv) {
		free(k);
		free(v);
		return err_set(ERR_NOMEM, "out of memory");
	}
	memmove(a->keys + at + 1, a->keys + at, (a->n - at) * sizeof(*nk));
	memmove(a->values + at + 1, a->values + at,
		(a->n - at) * sizeof(*nv));
	a->keys[at] = k;
	a->values[at] = v;
	a->n++;
	return 0;
}

const char *oci_annotations_get(const struct oci_annotations *a,
				const char *key)
{
	bool found;
	size_t at = ann_find(a, key, &found);

	return found ? a->values[at] : NULL;
}

void oci_annotations_release(struct oci_annotations *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++) {
		free(a->keys[i]);
		free(a->values[i]);
	}
	free(a->keys);
	free(a->values);
	memset(a, 0, sizeof(*a));
}

/* ---- descriptors and manifests ---- */

void oci_descriptor_release(struct oci_descriptor *d)
{
	if (!d)
		return;
	free(d->media_type);
	free(d->artifact_type);
	oci_annotations_release(&d->annotations);
	memset(d, 0, sizeof(*d));
}

int oci_descriptor_set(struct oci_descriptor *d, const char *media_type,
		       const char *digest, uint64_t size)
{
	char *mt = strdup(media_type);

	if (!mt)
		return err_set(ERR_NOMEM, "out of memory");
	if (!oci_digest_valid(digest)) {
		free(mt);
		return err_set(ERR_INVALID, "invalid digest '%s'", digest);
	}
	free(d->media_type);
	d->media_type = mt;
	memcpy(d->digest, digest, DIGEST_STR_LEN);
	d->size = size;
	return 0;
}

struct oci_manifest *oci_manifest_new(void)
{
	struct oci_manifest *m = calloc(1, sizeof(*m));

	if (!m)
		err_set(ERR_NOMEM, "out of memory");
	return m;
}

void oci_manifest_free(struct oci_manifest *m)
{
	if (!m)
		return;
	free(m->media_type);
	free(m->artifact_type);
	oci_descriptor_release(&m->config);
	for (size_t i = 0; i < m->n_layers; i++)
		oci_descriptor_release(&m->layers[i]);
	free(m->layers);
	oci_descriptor_release(&m->subject);
	oci_annotations_release(&m->annotations);
	free(m);
}

int oci_manifest_add_layer(struct oci_manifest *m, const char *media_type,
			   const char *digest, uint64_t size,
			   struct oci_descriptor **out)
{
	struct oci_descriptor *l;
	int rc;

	if (m->n_layers >= OCI_MANIFEST_MAX_LAYERS)
		return err_set(ERR_LIMIT, "more than %d layers",
			       OCI_MANIFEST_MAX_LAYERS);
	l = realloc(m->layers, (m->n_layers + 1) * sizeof(*l));
	if (!l)
		return err_set(ERR_NOMEM, "out of memory");
	m->layers = l;
	l = &m->layers[m->n_layers];
	memset(l, 0, sizeof(*l));
	rc = oci_descriptor_set(l, media_type, digest, size);
	if (rc)
		return rc;
	m->n_layers++;
	if (out)
		*out = l;
	return 0;
}

/* ---- Go-compatible JSON output ---- */

/* Length of a valid UTF-8 sequence at s (at most n bytes), 0 if invalid;
 * *cp receives the code point. Same acceptance as Go's utf8 package. */
static size_t utf8_seq(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, c = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, c = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, c = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (c < 0x800 || (c >= 0xd800 && c <= 0xdfff))) ||
	    (len == 4 && (c < 0x10000 || c > 0x10ffff)))
		return 0;
	*cp = c;
	return len;
}

static int put_escape(struct buf *out, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };

	switch (c) {
	case '"':
		return buf_puts(out, "\\\"");
	case '\\':
		return buf_puts(out, "\\\\");
	case '\b':
		return buf_puts(out, "\\b");
	case '\f':
		return buf_puts(out, "\\f");
	case '\n':
		return buf_puts(out, "\\n");
	case '\r':
		return buf_puts(out, "\\r");
	case '\t':
		return buf_puts(out, "\\t");
	default:
		return buf_puts(out, e);
	}
}

int oci_json_put_string(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	int rc = buf_putc(out, '"');

	while (!rc && n) {
		uint32_t cp;
		size_t len = utf8_seq(p, n, &cp);

		if (len == 0) {
			rc = buf_puts(out, "\\ufffd");
			len = 1;
		} else if (len == 1 && (cp < 0x20 || cp == '"' ||
					cp == '\\' || cp == '<' ||
					cp == '>' || cp == '&')) {
			rc = put_escape(out, (unsigned char)cp);
		} else if (cp == 0x2028 || cp == 0x2029) {
			rc = buf_printf(out, "\\u%04" PRIx32, cp);
		} else {
			rc = buf_put(out, p, len);
		}
		p += len;
		n -= len;
	}
	return rc ? rc : buf_putc(out, '"');
}

static int put_key(struct buf *out, const char *key, bool *first)
{
	int rc = buf_puts(out, *first ? "\"" : ",\"");

	*first = false;
	if (!rc)
		rc = buf_puts(out, key);
	return rc ? rc : buf_puts(out, "\":");
}

static int put_str_field(struct buf *out, const char *key, const char *v,
			 bool *first)
{
	int rc = put_key(out, key, first);

	return rc ? rc : oci_json_put_string(out, v ? v : "");
}

static int put_annotations(struct buf *out,
			   const struct oci_annotations *a, bool *first)
{
	int rc;

	if (a->n == 0)
		return 0;
	rc = put_key(out, "annotations", first);
	if (!rc)
		rc = buf_putc(out, '{');
	for (size_t i = 0; !rc && i < a->n; i++) {
		if (i)
			rc = buf_putc(out, ',');
		if (!rc)
			rc = oci_json_put_string(out, a->keys[i]);
		if (!rc)
			rc = buf_putc(out, ':');
		if (!rc)
			rc = oci_json_put_string(out, a->values[i]);
	}
	return rc ? rc : buf_putc(out, '}');
}

static int put_descriptor(struct buf *out, const struct oci_descriptor *d)
{
	bool first = true;
	int rc = buf_putc(out, '{');

	if (!rc)
		rc = put_str_field(out, "mediaType", d->media_type, &first);
	if (!rc)
		rc = put_str_field(out, "digest", d->digest, &first);
	if (!rc)
		rc = put_key(out, "size", &first);
	if (!rc)
		rc = buf_printf(out, "%" PRIu64, d->size);
	if (!rc)
		rc = put_annotations(out, &d->annotations, &first);
	if (!rc && d->artifact_type && *d->artifact_type)
		rc = put_str_field(out, "artifactType", d->artifact_type,
				   &first);
	return rc ? rc : buf_putc(out, '}');
}

int oci_manifest_to_json(const struct oci_manifest *m, struct buf *out)
{
	bool first = true;
	int rc = buf_puts(out, "{\"schemaVersion\":2");

	first = false;
	if (!rc && m->media_type && *m->media_type)
		rc = put_str_field(out, "mediaType", m->media_type, &first);
	if (!rc && m->artifact_type && *m->artifact_type)
		rc = put_str_field(out, "artifactType", m->artifact_type,
				   &first);
	if (!rc)
		rc = put_key(out, "config", &first);
	if (!rc)
		rc = put_descriptor(out, &m->config);
	if (!rc)
		rc = put_key(out, "layers", &first);
	if (!rc)
		rc = buf_putc(out, '[');
	for (size_t i = 0; !rc && i < m->n_layers; i++) {
		if (i)
			rc = buf_putc(out, ',');
		if (!rc)
			rc = put_descriptor(out, &m->layers[i]);
	}
	if (!rc)
		rc = buf_putc(out, ']');
	if (!rc && m->has_subject) {
		rc = put_key(out, "subject", &first);
		if (!rc)
			rc = put_descriptor(out, &m->subject);
	}
	if (!rc)
		rc = put_annotations(out, &m->annotations, &first);
	if (!rc)
		rc = buf_putc(out, '}');
	if (rc == ERR_LIMIT)
		err_set(rc, "manifest exceeds %zu bytes", out->max);
	return rc;
}

/* ---- parsing ---- */

static int bad(const char *what)
{
	return err_set(ERR_INVALID, "manifest: %s", what);
}

static int parse_string(json_t *obj, const char *key, bool required,
			size_t max, char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v)
		return required ? err_set(ERR_INVALID, "manifest: missing "
					  "'%s'", key) : 0;
	if (!json_is_string(v))
		return err_set(ERR_INVALID, "manifest: '%s' is not a string",
			       key);
	if (json_string_length(v) > max)
		return err_set(ERR_LIMIT, "manifest: '%s' is too long", key);
	*out = strdup(json_string_value(v));
	return *out ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static int parse_annotations(json_t *obj, struct oci_annotations *a)
{
	json_t *ann = json_object_get(obj, "annotations");
	const char *key;
	json_t *v;
	int rc;

	if (!ann || json_is_null(ann))
		return 0;
	if (!json_is_object(ann))
		return bad("'annotations' is not an object");
	if (json_object_size(ann) > OCI_ANNOTATIONS_MAX)
		return err_set(ERR_LIMIT, "manifest: more than %d annotations",
			       OCI_ANNOTATIONS_MAX);
	json_object_foreach(ann, key, v) {
		if (!json_is_string(v))
			return err_set(ERR_INVALID, "manifest: annotation "
				       "'%s' is not a string", key);
		rc = oci_annotations_set(a, key, json_string_value(v));
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_descriptor(json_t *obj, const char *what,
			    struct oci_descriptor *d)
{
	json_t *digest, *size;
	int rc;

	if (!json_is_object(obj))
		return err_set(ERR_INVALID, "manifest: %s is not an object",
			       what);
	rc = parse_string(obj, "mediaType", true, OCI_MEDIA_TYPE_MAX,
			  &d->media_type);
	if (!rc)
		rc = parse_string(obj, "artifactType", false,
				  OCI_MEDIA_TYPE_MAX, &d->artifact_type);
	if (rc)
		return rc;
	digest = json_object_get(obj, "digest");
	if (!json_is_string(digest) ||
	    !oci_digest_valid(json_string_value(digest)))
		return err_set(ERR_INVALID, "manifest: %s has no valid sha256 "
			       "digest", what);
	memcpy(d->digest, json_string_value(digest), DIGEST_STR_LEN);
	size = json_object_get(obj, "size");
	if (!json_is_integer(size) || json_integer_value(size) < 0)
		return err_set(ERR_INVALID, "manifest: %s has no valid size",
			       what);
	d->size = (uint64_t)json_integer_value(size);
	return parse_annotations(obj, &d->annotations);
}

static int parse_layers(json_t *root, struct oci_manifest *m)
{
	json_t *layers = json_object_get(root, "layers");
	size_t n;

	if (!layers || json_is_null(layers))
		return 0;
	if (!json_is_array(layers))
		return bad("'layers' is not an array");
	n = json_array_size(layers);
	if (n > OCI_MANIFEST_MAX_LAYERS)
		return err_set(ERR_LIMIT, "manifest: more than %d layers",
			       OCI_MANIFEST_MAX_LAYERS);
	m->layers = calloc(n ? n : 1, sizeof(*m->layers));
	if (!m->layers)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		char what[32];
		int rc;

		snprintf(what, sizeof(what), "layer %zu", i);
		m->n_layers = i + 1;
		rc = parse_descriptor(json_array_get(layers, i), what,
				      &m->layers[i]);
		if (rc)
			return rc;
	}
	return 0;
}

static int parse_root(json_t *root, struct oci_manifest *m)
{
	json_t *sv = json_object_get(root, "schemaVersion");
	json_t *subject = json_object_get(root, "subject");
	int rc;

	if (!json_is_integer(sv) || json_integer_value(sv) != 2)
		return bad("schemaVersion is not 2");
	rc = parse_string(root, "mediaType", false, OCI_MEDIA_TYPE_MAX,
			  &m->media_type);
	if (rc)
		return rc;
	if (m->media_type && !strcmp(m->media_type, OCI_MT_INDEX))
		return err_set(ERR_UNSUPPORTED, "manifest: an image index is "
			       "not a ModelKit manifest");
	if (m->media_type && strcmp(m->media_type, OCI_MT_MANIFEST))
		return err_set(ERR_UNSUPPORTED, "manifest: unsupported media "
			       "type '%s'", m->media_type);
	if (json_object_get(root, "manifests"))
		return err_set(ERR_UNSUPPORTED, "manifest: an image index is "
			       "not a ModelKit manifest");
	rc = parse_string(root, "artifactType", false, OCI_MEDIA_TYPE_MAX,
			  &m->artifact_type);
	if (!rc)
		rc = parse_descriptor(json_object_get(root, "config"),
				      "config", &m->config);
	if (!rc)
		rc = parse_layers(root, m);
	if (!rc && subject && !json_is_null(subject)) {
		m->has_subject = true;
		rc = parse_descriptor(subject, "subject", &m->subject);
	}
	if (!rc)
		rc = parse_annotations(root, &m->annotations);
	return rc;
}

int oci_manifest_parse(const char *json, size_t len,
		       struct oci_manifest **out)
{
	struct oci_manifest *m;
	json_error_t jerr;
	json_t *root;
	int rc;

	*out = NULL;
	if (len > OCI_MANIFEST_MAX)
		return err_set(ERR_LIMIT, "manifest of %zu bytes exceeds the "
			       "%u-byte limit", len, OCI_MANIFEST_MAX);
	root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return err_set(ERR_INVALID, "manifest: %s at byte %d",
			       jerr.text, jerr.position);
	if (!json_is_object(root)) {
		json_decref(root);
		return bad("not a JSON object");
	}
	m = oci_manifest_new();
	if (!m) {
		json_decref(root);
		return ERR_NOMEM;
	}
	rc = parse_root(root, m);
	json_decref(root);
	if (rc) {
		oci_manifest_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

/* ---- ModelKit and ModelPack layers ---- */

enum oci_model_format oci_manifest_format(const struct oci_manifest *m)
{
	const char *at = m->artifact_type ? m->artifact_type : "";
	const char *ct = m->config.media_type ? m->config.media_type : "";

	if (!strcmp(at, KIT_ARTIFACT_TYPE) || !strcmp(ct, KIT_MT_CONFIG))
		return OCI_FORMAT_KITOPS;
	if (!strcmp(at, MODELPACK_ARTIFACT_TYPE) ||
	    !strcmp(ct, MODELPACK_MT_CONFIG))
		return OCI_FORMAT_MODELPACK;
	if (!strcmp(at, CNAI_ARTIFACT_TYPE) || !strcmp(ct, CNAI_MT_CONFIG))
		return OCI_FORMAT_CNAI;
	return OCI_FORMAT_UNKNOWN;
}

static const struct {
	const char *word;
	enum oci_layer_role role;
} kit_bases[] = {
	{ "model", OCI_ROLE_MODEL },
	{ "modelpart", OCI_ROLE_MODELPART },
	{ "code", OCI_ROLE_CODE },
	{ "dataset", OCI_ROLE_DATASET },
	{ "docs", OCI_ROLE_DOCS },
}, modelpack_bases[] = {
	{ "weight", OCI_ROLE_MODEL },
	{ "weight.config", OCI_ROLE_MODELPART },
	{ "code", OCI_ROLE_CODE },
	{ "dataset", OCI_ROLE_DATASET },
	{ "doc", OCI_ROLE_DOCS },
};

/* "<base>.v1.<tar|raw>[+gzip|+zstd]" after the vendor prefix. */
static int classify_suffix(const char *s, bool modelpack,
			   struct oci_layer_info *out)
{
	const char *v1 = strstr(s, ".v1.");
	size_t blen, n = sizeof(kit_bases) / sizeof(kit_bases[0]);
	const char *fmt;

	if (!v1)
		return ERR_UNSUPPORTED;
	blen = (size_t)(v1 - s);
	fmt = v1 + 4;
	for (size_t i = 0; i < n; i++) {
		const char *w = modelpack ? modelpack_bases[i].word :
			kit_bases[i].word;

		if (strlen(w) != blen || memcmp(w, s, blen))
			continue;
		out->role = modelpack ? modelpack_bases[i].role :
			kit_bases[i].role;
		out->raw = false;
		if (!strcmp(fmt, "tar"))
			out->comp = OCI_COMP_NONE;
		else if (!strcmp(fmt, "tar+gzip"))
			out->comp = OCI_COMP_GZIP;
		else if (!strcmp(fmt, "tar+zstd"))
			out->comp = OCI_COMP_ZSTD;
		else if (modelpack && !strcmp(fmt, "raw"))
			out->raw = true, out->comp = OCI_COMP_NONE;
		else
			return ERR_UNSUPPORTED;
		return 0;
	}
	return ERR_UNSUPPORTED;
}

int oci_layer_classify(const struct oci_descriptor *d,
		       struct oci_layer_info *out)
{
	static const char kit[] = "application/vnd.kitops.modelkit.";
	static const char mp[] = "application/vnd.cncf.model.";
	static const char cnai[] = "application/vnd.cnai.model.";
	const char *mt = d->media_type ? d->media_type : "";
	const char *sub;
	int rc = ERR_UNSUPPORTED;

	memset(out, 0, sizeof(*out));
	if (!strncmp(mt, kit, sizeof(kit) - 1))
		rc = classify_suffix(mt + sizeof(kit) - 1, false, out);
	else if (!strncmp(mt, mp, sizeof(mp) - 1))
		rc = classify_suffix(mt + sizeof(mp) - 1, true, out);
	else if (!strncmp(mt, cnai, sizeof(cnai) - 1))
		rc = classify_suffix(mt + sizeof(cnai) - 1, true, out);
	if (rc)
		return err_set(ERR_UNSUPPORTED, "unsupported layer media type "
			       "'%s'", mt);
	sub = oci_annotations_get(&d->annotations, KIT_ANN_SUBTYPE);
	if (out->role == OCI_ROLE_CODE && sub &&
	    !strcmp(sub, KIT_SUBTYPE_PROMPT))
		out->role = OCI_ROLE_PROMPT;
	out->filepath = oci_annotations_get(&d->annotations,
					    MODEL_ANN_FILEPATH);
	if (!out->filepath)
		out->filepath = oci_annotations_get(&d->annotations,
						    CNAI_ANN_FILEPATH);
	/* oras names pushed files with the image title. */
	if (!out->filepath)
		out->filepath = oci_annotations_get(&d->annotations,
						    OCI_ANN_TITLE);
	return 0;
}

const char *oci_layer_role_name(enum oci_layer_role r)
{
	static const char *const names[] = {
		[OCI_ROLE_MODEL] = "model", [OCI_ROLE_MODELPART] = "modelpart",
		[OCI_ROLE_CODE] = "code", [OCI_ROLE_DATASET] = "dataset",
		[OCI_ROLE_DOCS] = "docs", [OCI_ROLE_PROMPT] = "prompt",
	};

	return (unsigned)r < sizeof(names) / sizeof(names[0]) ? names[r] :
		"unknown";
}

const char *oci_kit_media_type(enum oci_layer_role r, const char *comp)
{
	static const char *const types[][3] = {
#define KIT_MT(b) { "application/vnd.kitops.modelkit." b ".v1.tar", \
		    "application/vnd.kitops.modelkit." b ".v1.tar+gzip", \
		    "application/vnd.kitops.modelkit." b ".v1.tar+zstd" }
		[OCI_ROLE_MODEL] = KIT_MT("model"),
		[OCI_ROLE_MODELPART] = KIT_MT("modelpart"),
		[OCI_ROLE_CODE] = KIT_MT("code"),
		[OCI_ROLE_DATASET] = KIT_MT("dataset"),
		[OCI_ROLE_DOCS] = KIT_MT("docs"),
		[OCI_ROLE_PROMPT] = KIT_MT("code"),
#undef KIT_MT
	};
	int c;

	if (!strcmp(comp, "none"))
		c = 0;
	else if (!strcmp(comp, "gzip"))
		c = 1;
	else if (!strcmp(comp, "zstd"))
		c = 2;
	else
		return NULL;
	if ((unsigned)r >= sizeof(types) / sizeof(types[0]))
		return NULL;
	return types[r][c];
}

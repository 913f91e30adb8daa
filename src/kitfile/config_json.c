/*
 * The ModelKit config blob: the Kitfile as kit's json.Marshal of its
 * KitFile struct writes it (pkg/artifact/kitfile.go), and back.
 */
#include "kitfile/internal.h"

#include <stdlib.h>
#include <string.h>

#include "oci/digest.h"
#include "util/err.h"

/* Writes the separator and "key": for the next field of an object. */
static int put_key(struct buf *b, bool *first, const char *key)
{
	int rc = *first ? 0 : buf_putc(b, ',');

	*first = false;
	if (rc == 0)
		rc = kitfile_json_put_string(b, key);
	return rc ? rc : buf_putc(b, ':');
}

/* A string field tagged omitempty: absent when NULL or "". */
static int put_str(struct buf *b, bool *first, const char *key,
		   const char *v)
{
	int rc;

	if (!v || !*v)
		return 0;
	rc = put_key(b, first, key);
	return rc ? rc : kitfile_json_put_string(b, v);
}

static int put_params(struct buf *b, bool *first, json_t *v)
{
	int rc;

	if (!v)
		return 0;
	rc = put_key(b, first, "parameters");
	return rc ? rc : kitfile_json_put_value(b, v, 1);
}

/* The embedded *LayerInfo: digest and diffId, both omitempty. */
static int put_layer_info(struct buf *b, bool *first,
			  const struct kitfile_entry *e)
{
	int rc = put_str(b, first, "digest", e->digest);

	return rc ? rc : put_str(b, first, "diffId", e->diff_id);
}

/* One element of code, datasets, docs, prompts or model.parts, with the
 * fields in the order of kit's structs. */
static int put_entry(struct buf *b, const struct kitfile_entry *e)
{
	bool first = true;
	int rc = buf_putc(b, '{');

	if (rc == 0 && e->kind == KITFILE_DOCS) {
		/* Docs.Path is the one path without omitempty. */
		rc = put_key(b, &first, "path");
		if (rc == 0)
			rc = kitfile_json_put_string(b, KITFILE_ENTRY_PATH(e));
	}
	if (rc == 0 && e->kind != KITFILE_CODE && e->kind != KITFILE_DOCS)
		rc = put_str(b, &first, "name", e->name);
	if (rc == 0 && e->kind != KITFILE_DOCS)
		rc = put_str(b, &first, "path", e->path);
	if (rc == 0 && e->kind == KITFILE_MODELPART) {
		rc = put_str(b, &first, "license", e->license);
		if (rc == 0)
			rc = put_str(b, &first, "type", e->type);
	}
	if (rc == 0 && e->kind != KITFILE_MODELPART)
		rc = put_str(b, &first, "description", e->description);
	if (rc == 0 && (e->kind == KITFILE_CODE || e->kind == KITFILE_DATASET))
		rc = put_str(b, &first, "license", e->license);
	if (rc == 0 && e->kind == KITFILE_DATASET)
		rc = put_params(b, &first, e->parameters);
	if (rc == 0)
		rc = put_layer_info(b, &first, e);
	return rc ? rc : buf_putc(b, '}');
}

static int put_list(struct buf *b, bool *first, const struct kitfile *kf,
		    enum kitfile_kind kind, const char *key)
{
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < kf->n_entries; i++) {
		if (kf->entries[i].kind != kind)
			continue;
		if (n++ == 0) {
			rc = put_key(b, first, key);
			if (rc == 0)
				rc = buf_putc(b, '[');
		} else {
			rc = buf_putc(b, ',');
		}
		if (rc == 0)
			rc = put_entry(b, &kf->entries[i]);
	}
	return rc || n == 0 ? rc : buf_putc(b, ']');
}

static const struct kitfile_entry *model_entry(const struct kitfile *kf)
{
	if (kf->n_entries && kf->entries[0].kind == KITFILE_MODEL)
		return &kf->entries[0];
	return NULL;
}

static int put_model(struct buf *b, bool *first, const struct kitfile *kf)
{
	const struct kitfile_model *m = &kf->model;
	const struct kitfile_entry *e = model_entry(kf);
	bool f = true;
	int rc;

	if (!kf->has_model)
		return 0;
	rc = put_key(b, first, "model");
	if (rc == 0)
		rc = buf_putc(b, '{');
	if (rc == 0)
		rc = put_str(b, &f, "name", m->name);
	if (rc == 0 && e)
		rc = put_str(b, &f, "path", e->path);
	if (rc == 0)
		rc = put_str(b, &f, "license", m->license);
	if (rc == 0)
		rc = put_str(b, &f, "framework", m->framework);
	if (rc == 0)
		rc = put_str(b, &f, "format", m->format);
	if (rc == 0)
		rc = put_str(b, &f, "version", m->version);
	if (rc == 0)
		rc = put_str(b, &f, "description", m->description);
	if (rc == 0)
		rc = put_list(b, &f, kf, KITFILE_MODELPART, "parts");
	if (rc == 0)
		rc = put_params(b, &f, m->parameters);
	if (rc == 0 && e)
		rc = put_layer_info(b, &f, e);
	return rc ? rc : buf_putc(b, '}');
}

static int put_package(struct buf *b, bool *first,
		       const struct kitfile_package *p)
{
	bool f = true;
	int rc = put_key(b, first, "package");

	/* A struct is never empty to omitempty: "package":{} stays. */
	if (rc == 0)
		rc = buf_putc(b, '{');
	if (rc == 0)
		rc = put_str(b, &f, "name", p->name);
	if (rc == 0)
		rc = put_str(b, &f, "version", p->version);
	if (rc == 0)
		rc = put_str(b, &f, "description", p->description);
	if (rc == 0)
		rc = put_str(b, &f, "license", p->license);
	if (rc == 0 && p->n_authors) {
		rc = put_key(b, &f, "authors");
		for (size_t i = 0; rc == 0 && i < p->n_authors; i++) {
			rc = buf_putc(b, i ? ',' : '[');
			if (rc == 0)
				rc = kitfile_json_put_string(b,
					p->authors[i] ? p->authors[i] : "");
		}
		if (rc == 0)
			rc = buf_putc(b, ']');
	}
	return rc ? rc : buf_putc(b, '}');
}

int kitfile_to_config_json(const struct kitfile *kf, struct buf *out)
{
	bool first = true;
	int rc;

	buf_clear(out);
	rc = buf_putc(out, '{');
	if (rc == 0)
		rc = put_key(out, &first, "manifestVersion");
	if (rc == 0)
		rc = kitfile_json_put_string(out, kf->manifest_version ?
					     kf->manifest_version : "");
	if (rc == 0)
		rc = put_package(out, &first, &kf->package);
	if (rc == 0)
		rc = put_model(out, &first, kf);
	if (rc == 0)
		rc = put_list(out, &first, kf, KITFILE_CODE, "code");
	if (rc == 0)
		rc = put_list(out, &first, kf, KITFILE_DATASET, "datasets");
	if (rc == 0)
		rc = put_list(out, &first, kf, KITFILE_DOCS, "docs");
	if (rc == 0)
		rc = put_list(out, &first, kf, KITFILE_PROMPT, "prompts");
	if (rc == 0)
		rc = buf_putc(out, '}');
	return rc;
}

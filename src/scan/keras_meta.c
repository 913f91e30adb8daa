/* keras_metadata.pb, which tf_keras writes beside saved_model.pb and reads
 * in tf_keras.models.load_model(): one SavedObject per layer, model and
 * metric, each with a JSON document that the loader revives from
 * (class_name and config, Lambda bytecode included). Every document is
 * parsed strictly and walked as one tree by the Keras config checker, so
 * a Lambda layer or an import from outside Keras is a finding here even
 * though saved_model.pb's graph only shows ordinary ops. */
#include "scan/formats.h"

#include <jansson.h>
#include <stdlib.h>

#include "scan/fmt_util.h"
#include "scan/pbwire.h"
#include "util/err.h"

#define KM_MAX_NODES 100000
#define KM_MAX_TEXT (64u << 20)      /* all metadata documents together */

/* Field numbers of tf_keras/protobuf/saved_metadata.proto. */
enum { META_NODES = 1, OBJ_METADATA = 5 };

struct km {
	struct scan_report *r;
	struct scan_file *f;
	struct fmt_cursor c;
	json_t *docs;               /* one array of every node's document */
	uint64_t text;              /* metadata bytes read so far */
};

static int km_fail(struct km *k, int rc)
{
	if (rc == ERR_INVALID)
		scan_add(k->r, "keras-config-invalid", SCAN_HIGH, k->f->path,
			 OWASP_SUPPLY_CHAIN, "malformed keras_metadata.pb: "
			 "%s", err_msg());
	return scan_fmt_fail(k->f, rc, "keras metadata: %s", err_msg());
}

static int km_document(struct km *k, const struct pb_field *fld)
{
	char *text = NULL;
	json_t *doc;
	int rc;

	if (fld->len > KM_MAX_TEXT - k->text)
		return scan_fmt_fail(k->f, ERR_LIMIT, "keras metadata: more "
				     "than %u bytes of JSON in '%s'",
				     KM_MAX_TEXT, k->f->path);
	k->text += fld->len;
	rc = pb_string(&k->c, fld, KM_MAX_TEXT, &text);
	if (rc)
		return km_fail(k, rc);
	doc = scan_fmt_json(k->f->path, text, fld->len);
	free(text);
	if (!doc)
		return km_fail(k, ERR_INVALID);
	if (json_array_append_new(k->docs, doc))
		return scan_fmt_fail(k->f, ERR_NOMEM, "out of memory");
	return 0;
}

static int km_object(struct km *k, const struct pb_field *obj)
{
	struct pb_field fld;
	uint64_t saved;
	int rc;

	if (obj->wire != PB_LEN) {
		err_set(ERR_INVALID, "'%s': node is not a message",
			k->f->path);
		return km_fail(k, ERR_INVALID);
	}
	saved = pb_enter(&k->c, obj);
	while ((rc = pb_next(&k->c, &fld)) > 0) {
		/* km_document() reports its own failures. */
		if (fld.num == OBJ_METADATA && (rc = km_document(k, &fld)))
			return rc;
	}
	pb_leave(&k->c, obj, saved);
	return rc < 0 ? km_fail(k, rc) : 0;
}

int scan_fmt_keras_metadata(struct scan_report *r, struct scan_file *f,
			    int fd, uint64_t size)
{
	struct km *k = calloc(1, sizeof(*k));
	struct pb_field fld;
	size_t nodes = 0;
	int rc;

	if (!k)
		return scan_fmt_fail(f, ERR_NOMEM, "out of memory");
	k->r = r;
	k->f = f;
	k->docs = json_array();
	fmt_cursor_init(&k->c, fd, f, 0, size);
	rc = k->docs ? 1 : scan_fmt_fail(f, ERR_NOMEM, "out of memory");
	while (rc > 0) {
		rc = pb_next(&k->c, &fld);
		if (rc < 0)
			rc = km_fail(k, rc);
		if (rc <= 0 || fld.num != META_NODES)
			continue;
		if (++nodes > KM_MAX_NODES)
			rc = scan_fmt_fail(f, ERR_LIMIT, "keras metadata: "
					   "more than %d nodes in '%s'",
					   KM_MAX_NODES, f->path);
		else if (!(rc = km_object(k, &fld)))
			rc = 1;
	}
	if (!rc)
		rc = scan_fmt_keras_tree(r, f, k->docs);
	json_decref(k->docs);
	free(k);
	return rc;
}

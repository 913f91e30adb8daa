/* Content discovery: tag listing with n/last pagination and the
 * referrers API with artifactType filtering. */
#include "server/http.h"
#include "server/validate.h"
#include "oci/digest.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

#define TAGS_PAGE_MAX 1000

static int add_name(void *arg, const char *name)
{
	json_array_append_new(arg, json_string(name));
	return 0;
}

void route_tags_list(struct req *r)
{
	struct meta *m = r->srv->meta;
	const char *last = http_query(r, "last");
	char link[META_REPO_MAX + META_TAG_MAX + 96];
	int n = route_page_size(r, TAGS_PAGE_MAX);
	json_t *tags, *j;
	bool more = false;
	int rc;

	if (n < 0 || (last && strlen(last) > META_TAG_MAX)) {
		http_error(r, 400, "PAGINATION_NUMBER_INVALID", "bad n or "
			   "last");
		return;
	}
	tags = json_array();
	/* One extra row tells whether a next page exists. */
	rc = m->ops->tag_list(m, r->repo, last, n + 1, add_name, tags);
	if (rc) {
		json_decref(tags);
		http_fail(r, rc, "NAME_UNKNOWN");
		return;
	}
	if ((int)json_array_size(tags) > n) {
		json_array_remove(tags, (size_t)n);
		more = n > 0;
	}
	if (more)
		snprintf(link, sizeof(link), "</v2/%s/tags/list?n=%d&last=%s>;"
			 " rel=\"next\"", r->repo, n, json_string_value(
				 json_array_get(tags, (size_t)n - 1)));
	j = json_pack("{s:s, s:o}", "name", r->repo, "tags", tags);
	http_json(r, 200, j, "application/json");
	json_decref(j);
	if (more)
		http_header(r, "Link", link);
}

static int add_referrer(void *arg, const struct meta_manifest *mf)
{
	json_t *d = json_pack("{s:s, s:s, s:I}", "mediaType", mf->media_type,
			      "digest", mf->digest, "size",
			      (json_int_t)mf->size);
	json_t *ann;

	if (!d)
		return ERR_NOMEM;
	if (*mf->artifact_type)
		json_object_set_new(d, "artifactType",
				    json_string(mf->artifact_type));
	if (mf->annotations) {
		ann = json_loads(mf->annotations, 0, NULL);
		if (json_is_object(ann))
			json_object_set_new(d, "annotations", ann);
		else
			json_decref(ann);
	}
	json_array_append_new(arg, d);
	return 0;
}

void route_referrers(struct req *r)
{
	struct meta *m = r->srv->meta;
	const char *at = http_query(r, "artifactType");
	json_t *list, *j;
	int rc;

	if (!blobstore_digest_valid(r->ref)) {
		http_error(r, 400, "DIGEST_INVALID", "invalid digest");
		return;
	}
	if (at && (!*at || strlen(at) > META_MEDIATYPE_MAX))
		at = NULL;
	list = json_array();
	rc = m->ops->referrers(m, r->repo, r->ref, at, add_referrer, list);
	if (rc) {
		json_decref(list);
		http_fail(r, rc, "UNKNOWN");
		return;
	}
	j = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType",
		      MT_OCI_INDEX, "manifests", list);
	http_json(r, 200, j, MT_OCI_INDEX);
	json_decref(j);
	if (at)
		http_header(r, "OCI-Filters-Applied", "artifactType");
}

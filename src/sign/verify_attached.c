/* Verification of the signatures and attestations attached to a target. */
#include "sign/attach.h"
#include "sign/bundle.h"
#include "sign/check.h"
#include "sign/sjson.h"
#include "oci/digest.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct found_ctx {
	struct regclient *c;
	const char *repo;
	const char *skip_type;  /* verified records of this type are dropped */
	sign_record_fn fn;
	void *arg;
	int nvalid;
};

static int found_sink(const void *p, size_t n, void *arg)
{
	return buf_put(arg, p, n);
}

static int found_fetch(void *arg, const char *digest, uint64_t size,
		       size_t max, struct buf *out)
{
	const struct found_ctx *x = arg;

	buf_release(out);
	buf_init(out, max);
	return regclient_blob_get(x->c, x->repo, digest, size, found_sink,
				  out);
}

static void found_record(const struct sign_record *r, void *arg)
{
	struct found_ctx *x = arg;

	if (!r->rc && x->skip_type && !strcmp(r->predicate_type,
					      x->skip_type))
		return;
	x->nvalid += r->rc == 0;
	x->fn(r, x->arg);
}

/* Fetch a manifest (its digest checked by the client) and check it. */
static int found_manifest(struct found_ctx *x, const char *reference,
			  const char *tag, const struct sign_keyring *ring,
			  const char *predicate_type)
{
	struct buf body = BUF_INIT(REGCLIENT_MANIFEST_MAX);
	char digest[DIGEST_STR_LEN];
	int rc;

	rc = regclient_manifest_get(x->c, x->repo, reference, &body, digest,
				    NULL);
	if (!rc)
		rc = sign_check_manifest(body.data, body.len, tag, ring,
					 predicate_type, found_fetch, x,
					 found_record, x);
	buf_release(&body);
	return rc;
}

static int verify_tag(struct regclient *c, const struct sign_target *t,
		      const char *suffix, const struct sign_keyring *ring,
		      const char *predicate_type, sign_record_fn fn,
		      void *arg, int *nvalid)
{
	struct found_ctx x = { c, t->repo, NULL, fn, arg, 0 };
	char tag[DIGEST_STR_LEN + 8];
	int rc;

	snprintf(tag, sizeof(tag), "sha256-%s%s", oci_digest_hex(t->digest),
		 suffix);
	rc = found_manifest(&x, tag, tag, ring, predicate_type);
	if (rc == ERR_NOTFOUND) {
		err_clear();
		rc = 0;
	}
	*nvalid = x.nvalid;
	return rc;
}

int sign_verify_legacy(struct regclient *c, const struct sign_target *t,
		       const struct sign_keyring *ring, sign_record_fn fn,
		       void *arg, int *nvalid)
{
	return verify_tag(c, t, ".sig", ring, NULL, fn, arg, nvalid);
}

int sign_verify_legacy_attestations(struct regclient *c,
				    const struct sign_target *t,
				    const struct sign_keyring *ring,
				    const char *predicate_type,
				    sign_record_fn fn, void *arg,
				    int *nvalid)
{
	return verify_tag(c, t, ".att", ring, predicate_type, fn, arg,
			  nvalid);
}

/* Skip, by the (unsigned) annotations, referrers of another type. */
static bool referrer_wanted(json_t *desc, const char *predicate_type)
{
	const char *at = json_string_value(json_object_get(desc,
							   "artifactType"));
	const char *a = json_string_value(json_object_get(json_object_get(
		desc, "annotations"), SIGN_BUNDLE_PREDICATE_ANNOTATION));

	/* cosign's fallback index entries carry the empty config type. */
	if (at && strcmp(at, SIGN_BUNDLE_MEDIA_TYPE) &&
	    strcmp(at, "application/vnd.oci.empty.v1+json"))
		return false;
	if (!a)
		return true;
	if (predicate_type)
		return !strcmp(a, predicate_type);
	return strcmp(a, SIGN_IMAGE_PREDICATE_TYPE) != 0;
}

static int referrers_list(struct regclient *c, const struct sign_target *t,
			  json_t **list)
{
	struct buf idx = BUF_INIT(REGCLIENT_JSON_MAX);
	json_t *root = NULL;
	int rc;

	*list = NULL;
	/* No server-side filter: see referrer_wanted(). */
	rc = regclient_referrers(c, t->repo, t->digest, NULL, &idx);
	if (!rc)
		rc = sign_json_load(idx.data, idx.len, "referrers index",
				    &root);
	buf_release(&idx);
	if (rc)
		return rc;
	*list = json_incref(json_object_get(root, "manifests"));
	json_decref(root);
	if (!json_is_array(*list))
		return err_set(ERR_INVALID, "referrers index has no list");
	if (json_array_size(*list) > SIGN_ATTACH_MAX_REFERRERS)
		return err_set(ERR_LIMIT, "more than %d referrers",
			       SIGN_ATTACH_MAX_REFERRERS);
	return 0;
}

static void referrer_failed(struct found_ctx *x, const struct sign_target *t,
			    const char *digest)
{
	struct sign_record r;

	memset(&r, 0, sizeof(r));
	r.kind = SIGN_KIND_BUNDLE;
	r.rc = ERR_INVALID;
	r.key_name = "";
	snprintf(r.manifest, sizeof(r.manifest), "%s",
		 digest && oci_digest_valid(digest) ? digest : "");
	memcpy(r.subject, t->digest, DIGEST_STR_LEN);
	snprintf(r.reason, sizeof(r.reason), "%s", err_msg());
	x->fn(&r, x->arg);
}

int sign_verify_referrers(struct regclient *c, const struct sign_target *t,
			  const struct sign_keyring *ring,
			  const char *predicate_type, sign_record_fn fn,
			  void *arg, int *nvalid)
{
	struct found_ctx x = { c, t->repo, NULL, fn, arg, 0 };
	json_t *list = NULL, *d;
	size_t i;
	int rc;

	if (!predicate_type)
		x.skip_type = SIGN_IMAGE_PREDICATE_TYPE;
	rc = referrers_list(c, t, &list);
	json_array_foreach(rc ? NULL : list, i, d) {
		const char *digest = json_string_value(json_object_get(
							d, "digest"));

		if (!referrer_wanted(d, predicate_type))
			continue;
		if (!digest || !oci_digest_valid(digest))
			err_set(ERR_INVALID, "referrer without a valid digest");
		else if (!found_manifest(&x, digest, NULL, ring,
					 predicate_type))
			continue;
		referrer_failed(&x, t, digest);
	}
	json_decref(list);
	*nvalid = x.nvalid;
	return rc;
}

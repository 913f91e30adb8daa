/* Simple-signing payloads (containers/image "atomic" signature format). */
#include "sign/payload.h"
#include "sign/sjson.h"
#include "oci/digest.h"
#include "util/err.h"

#include <string.h>

#define WHAT "simple-signing payload"

int sign_payload_build(const char *reference, const char *digest,
		       struct buf *out)
{
	json_t *j;
	int rc;

	if (!oci_digest_valid(digest))
		return err_set(ERR_INVALID, "cannot sign '%s': not a sha256 "
			       "digest", digest);
	if (strlen(reference) > SIGN_PAYLOAD_REF_MAX)
		return err_set(ERR_LIMIT, "reference longer than %d bytes",
			       SIGN_PAYLOAD_REF_MAX);
	j = json_pack("{s:{s:{s:s},s:{s:s},s:s},s:n}", "critical",
		      "identity", "docker-reference", reference,
		      "image", "docker-manifest-digest", digest,
		      "type", SIGN_PAYLOAD_TYPE, "optional");
	if (!j)
		return err_set(ERR_NOMEM, "cannot build " WHAT);
	rc = sign_json_dump(j, out);
	json_decref(j);
	return rc;
}

static int payload_critical(json_t *crit, struct sign_payload *out)
{
	json_t *identity, *image;
	const char *type = NULL, *ref = NULL, *digest = NULL;
	int rc;

	rc = sign_json_str(crit, "type", WHAT " critical", &type);
	if (rc)
		return rc;
	if (strcmp(type, SIGN_PAYLOAD_TYPE))
		return err_set(ERR_INVALID, WHAT ": critical type '%s' is "
			       "not '" SIGN_PAYLOAD_TYPE "'", type);
	rc = sign_json_obj(crit, "identity", WHAT " critical", &identity);
	if (!rc)
		rc = sign_json_obj(crit, "image", WHAT " critical", &image);
	if (!rc)
		rc = sign_json_str(identity, "docker-reference",
				   WHAT " identity", &ref);
	if (!rc)
		rc = sign_json_str(image, "docker-manifest-digest",
				   WHAT " image", &digest);
	if (rc)
		return rc;
	if (strlen(ref) > SIGN_PAYLOAD_REF_MAX)
		return err_set(ERR_LIMIT, WHAT ": docker-reference longer "
			       "than %d bytes", SIGN_PAYLOAD_REF_MAX);
	if (!oci_digest_valid(digest))
		return err_set(ERR_INVALID, WHAT ": docker-manifest-digest "
			       "is not a sha256 digest");
	strcpy(out->reference, ref);
	strcpy(out->digest, digest);
	return 0;
}

int sign_payload_parse(const void *p, size_t n, struct sign_payload *out)
{
	json_t *root, *crit, *opt;
	int rc;

	memset(out, 0, sizeof(*out));
	if (n > SIGN_PAYLOAD_MAX)
		return err_set(ERR_LIMIT, WHAT " larger than %u bytes",
			       SIGN_PAYLOAD_MAX);
	rc = sign_json_load(p, n, WHAT, &root);
	if (rc)
		return rc;
	rc = sign_json_obj(root, "critical", WHAT, &crit);
	if (!rc)
		rc = payload_critical(crit, out);
	opt = json_object_get(root, "optional");
	if (!rc && opt && !json_is_null(opt) && !json_is_object(opt))
		rc = err_set(ERR_INVALID, WHAT ": \"optional\" is neither "
			     "null nor an object");
	if (rc)
		memset(out, 0, sizeof(*out));
	json_decref(root);
	return rc;
}

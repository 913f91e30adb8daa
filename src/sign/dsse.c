/* DSSE v1: PAE, envelope JSON, signing and verification. */
#include "sign/dsse.h"
#include "sign/b64.h"
#include "sign/dsse_json.h"
#include "sign/sjson.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

void sign_dsse_init(struct sign_dsse *env)
{
	memset(env, 0, sizeof(*env));
	buf_init(&env->payload, SIGN_JSON_MAX);
	for (size_t i = 0; i < SIGN_DSSE_MAX_SIGS; i++)
		buf_init(&env->sigs[i].sig, SIGN_SIG_MAX);
}

void sign_dsse_release(struct sign_dsse *env)
{
	if (!env)
		return;
	buf_release(&env->payload);
	for (size_t i = 0; i < SIGN_DSSE_MAX_SIGS; i++)
		buf_release(&env->sigs[i].sig);
	sign_dsse_init(env);
}

int sign_dsse_pae(const char *type, const void *payload, size_t n,
		  struct buf *out)
{
	int rc = buf_printf(out, "DSSEv1 %zu %s %zu ", strlen(type), type, n);

	if (!rc)
		rc = buf_put(out, payload, n);
	return rc;
}

static int dsse_parse_sig(json_t *s, size_t i, struct sign_dsse_sig *out)
{
	json_t *keyid = json_object_get(s, "keyid");
	char what[64];

	snprintf(what, sizeof(what), "DSSE envelope signature %zu", i);
	if (!json_is_object(s))
		return err_set(ERR_INVALID, "%s is not an object", what);
	if (keyid && !json_is_string(keyid))
		return err_set(ERR_INVALID, "%s: \"keyid\" is not a string",
			       what);
	if (keyid && json_string_length(keyid) > SIGN_DSSE_KEYID_MAX)
		return err_set(ERR_LIMIT, "%s: keyid longer than %d bytes",
			       what, SIGN_DSSE_KEYID_MAX);
	if (keyid)
		strcpy(out->keyid, json_string_value(keyid));
	return sign_json_b64(s, "sig", what, &out->sig);
}

static int dsse_parse_sigs(json_t *obj, struct sign_dsse *env)
{
	json_t *sigs = json_object_get(obj, "signatures");
	size_t n;
	int rc;

	if (!json_is_array(sigs))
		return err_set(ERR_INVALID, "DSSE envelope: \"signatures\" is "
			       "%s", sigs ? "not an array" : "missing");
	n = json_array_size(sigs);
	if (n == 0)
		return err_set(ERR_INVALID, "DSSE envelope has no signatures");
	if (n > SIGN_DSSE_MAX_SIGS)
		return err_set(ERR_LIMIT, "DSSE envelope has %zu signatures, "
			       "more than %d", n, SIGN_DSSE_MAX_SIGS);
	for (size_t i = 0; i < n; i++) {
		rc = dsse_parse_sig(json_array_get(sigs, i), i,
				    &env->sigs[i]);
		if (rc)
			return rc;
		env->nsigs = i + 1;
	}
	return 0;
}

int sign_dsse_from_json(json_t *obj, struct sign_dsse *env)
{
	const char *type = NULL;
	int rc;

	sign_dsse_release(env);
	rc = sign_json_str(obj, "payloadType", "DSSE envelope", &type);
	if (rc)
		return rc;
	if (!*type || strlen(type) > SIGN_DSSE_TYPE_MAX)
		return err_set(ERR_INVALID, "DSSE envelope: payloadType is "
			       "empty or longer than %d bytes",
			       SIGN_DSSE_TYPE_MAX);
	strcpy(env->payload_type, type);
	rc = sign_json_b64(obj, "payload", "DSSE envelope", &env->payload);
	if (!rc)
		rc = dsse_parse_sigs(obj, env);
	if (rc)
		sign_dsse_release(env);
	return rc;
}

int sign_dsse_parse(const void *json, size_t n, struct sign_dsse *env)
{
	json_t *root;
	int rc;

	sign_dsse_release(env);
	rc = sign_json_load(json, n, "DSSE envelope", &root);
	if (rc)
		return rc;
	rc = sign_dsse_from_json(root, env);
	json_decref(root);
	return rc;
}

int sign_dsse_verify(const struct sign_dsse *env, const struct sign_key *key,
		     const char *expected_type)
{
	struct buf pae = BUF_INIT(SIGN_JSON_MAX + 2 * SIGN_DSSE_TYPE_MAX);
	int rc;

	if (expected_type && strcmp(env->payload_type, expected_type))
		return err_set(ERR_INVALID, "DSSE payloadType '%s' is not the "
			       "expected '%s'", env->payload_type,
			       expected_type);
	if (env->nsigs == 0)
		return err_set(ERR_INVALID, "DSSE envelope has no signatures");
	rc = sign_dsse_pae(env->payload_type, env->payload.data,
			   env->payload.len, &pae);
	if (rc)
		return rc;
	rc = ERR_DENIED;
	for (size_t i = 0; i < env->nsigs && rc; i++)
		rc = sign_ecdsa_verify_bytes(key, pae.data, pae.len,
					     env->sigs[i].sig.data,
					     env->sigs[i].sig.len);
	buf_release(&pae);
	if (rc)
		return err_set(ERR_DENIED, "no DSSE signature verifies with "
			       "this key over the PAE of the envelope's "
			       "payload (%zu signature%s tried)", env->nsigs,
			       env->nsigs == 1 ? "" : "s");
	return 0;
}

int sign_dsse_to_json(const struct sign_key *key, const char *type,
		      const void *payload, size_t n, bool with_keyid,
		      json_t **out)
{
	struct buf pae = BUF_INIT(SIGN_JSON_MAX + 2 * SIGN_DSSE_TYPE_MAX);
	struct buf sig = BUF_INIT(SIGN_SIG_MAX);
	struct buf sig64 = BUF_INIT(2 * SIGN_SIG_MAX);
	struct buf body64 = BUF_INIT(2 * SIGN_JSON_MAX);
	json_t *s;
	int rc;

	*out = NULL;
	rc = sign_dsse_pae(type, payload, n, &pae);
	if (!rc)
		rc = sign_ecdsa_sign_bytes(key, pae.data, pae.len, &sig);
	if (!rc)
		rc = sign_b64_encode(sig.data, sig.len, &sig64);
	if (!rc)
		rc = sign_b64_encode(payload, n, &body64);
	if (rc)
		goto out;
	s = with_keyid ? json_pack("{s:s,s:s}", "keyid", "", "sig",
				   sig64.data)
		       : json_pack("{s:s}", "sig", sig64.data);
	*out = json_pack("{s:s,s:s,s:[o]}", "payloadType", type,
			 "payload", body64.data, "signatures", s);
	if (!*out)
		rc = err_set(ERR_NOMEM, "cannot build DSSE envelope");
out:
	buf_release(&pae);
	buf_release(&sig);
	buf_release(&sig64);
	buf_release(&body64);
	return rc;
}

int sign_dsse_sign(const struct sign_key *key, const char *type,
		   const void *payload, size_t n, struct buf *out)
{
	json_t *env;
	int rc = sign_dsse_to_json(key, type, payload, n, true, &env);

	if (!rc)
		rc = sign_json_dump(env, out);
	json_decref(env);
	return rc;
}

/* in-toto statements: build, strict parse, subject checks. */
#include "sign/statement.h"
#include "sign/sjson.h"
#include "oci/digest.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

#define WHAT "in-toto statement"

void sign_statement_init(struct sign_statement *st)
{
	memset(st, 0, sizeof(*st));
	buf_init(&st->predicate, SIGN_JSON_MAX);
}

void sign_statement_release(struct sign_statement *st)
{
	if (!st)
		return;
	buf_release(&st->predicate);
	sign_statement_init(st);
}

static json_t *statement_subjects(const struct sign_subject *subjects,
				  size_t n)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < n; i++) {
		const struct sign_subject *s = &subjects[i];
		json_t *o = json_pack("{s:{s:s}}", "digest", "sha256",
				      oci_digest_hex(s->digest));

		/* cosign leaves the name out of image statements. */
		if (o && s->name[0] &&
		    json_object_set_new(o, "name", json_string(s->name))) {
			json_decref(o);
			o = NULL;
		}

		if (!o || json_array_append_new(arr, o)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

static int statement_check_subjects(const struct sign_subject *subjects,
				    size_t n)
{
	if (n == 0 || n > SIGN_STATEMENT_MAX_SUBJECTS)
		return err_set(ERR_INVALID, WHAT " needs 1 to %d subjects",
			       SIGN_STATEMENT_MAX_SUBJECTS);
	for (size_t i = 0; i < n; i++)
		if (!oci_digest_valid(subjects[i].digest))
			return err_set(ERR_INVALID, WHAT " subject '%s' has "
				       "no valid sha256 digest",
				       subjects[i].name);
	return 0;
}

int sign_statement_build(const struct sign_subject *subjects, size_t n,
			 const char *predicate_type, const void *predicate,
			 size_t predicate_len, struct buf *out)
{
	json_t *pred = NULL, *subj, *st;
	int rc;

	rc = statement_check_subjects(subjects, n);
	if (rc)
		return rc;
	if (!*predicate_type ||
	    strlen(predicate_type) > SIGN_PREDICATE_TYPE_MAX)
		return err_set(ERR_INVALID, "predicate type is empty or too "
			       "long");
	if (predicate) {
		rc = sign_json_load(predicate, predicate_len, "predicate",
				    &pred);
		if (rc)
			return rc;
	}
	subj = statement_subjects(subjects, n);
	st = json_pack("{s:s,s:o,s:s}", "_type", SIGN_STATEMENT_TYPE_V1,
		       "subject", subj, "predicateType", predicate_type);
	if (st && pred && json_object_set(st, "predicate", pred)) {
		json_decref(st);
		st = NULL;
	}
	json_decref(pred);
	if (!subj || !st) {
		json_decref(st);
		return err_set(ERR_NOMEM, "cannot build " WHAT);
	}
	rc = sign_json_dump(st, out);
	json_decref(st);
	return rc;
}

static int statement_digest(json_t *dig, size_t i, struct sign_subject *s)
{
	const char *alg;
	json_t *v;

	if (!json_is_object(dig) || json_object_size(dig) == 0)
		return err_set(ERR_INVALID, WHAT " subject %zu: \"digest\" is "
			       "not a non-empty object", i);
	json_object_foreach(dig, alg, v) {
		if (!json_is_string(v))
			return err_set(ERR_INVALID, WHAT " subject %zu: "
				       "digest '%s' is not a string", i, alg);
		if (strcmp(alg, "sha256"))
			continue;
		if (json_string_length(v) != SHA256_HEX_LEN)
			return err_set(ERR_INVALID, WHAT " subject %zu: "
				       "sha256 is not 64 hex digits", i);
		snprintf(s->digest, sizeof(s->digest), "sha256:%s",
			 json_string_value(v));
		if (!oci_digest_valid(s->digest))
			return err_set(ERR_INVALID, WHAT " subject %zu: "
				       "sha256 is not lower-case hex", i);
	}
	return 0;
}

static int statement_subject(json_t *o, size_t i, struct sign_subject *s)
{
	json_t *name;

	if (!json_is_object(o))
		return err_set(ERR_INVALID, WHAT " subject %zu is not an "
			       "object", i);
	name = json_object_get(o, "name");
	if (name && !json_is_string(name))
		return err_set(ERR_INVALID, WHAT " subject %zu: \"name\" is "
			       "not a string", i);
	if (name && json_string_length(name) > SIGN_SUBJECT_NAME_MAX)
		return err_set(ERR_LIMIT, WHAT " subject %zu: name longer "
			       "than %d bytes", i, SIGN_SUBJECT_NAME_MAX);
	if (name)
		strcpy(s->name, json_string_value(name));
	return statement_digest(json_object_get(o, "digest"), i, s);
}

static int statement_parse_subjects(json_t *root, struct sign_statement *st)
{
	json_t *arr = json_object_get(root, "subject");
	size_t n = json_array_size(arr);
	int rc;

	if (!json_is_array(arr) || n == 0)
		return err_set(ERR_INVALID, WHAT ": \"subject\" is not a "
			       "non-empty array");
	if (n > SIGN_STATEMENT_MAX_SUBJECTS)
		return err_set(ERR_LIMIT, WHAT ": %zu subjects, more than %d",
			       n, SIGN_STATEMENT_MAX_SUBJECTS);
	for (size_t i = 0; i < n; i++) {
		rc = statement_subject(json_array_get(arr, i), i,
				       &st->subjects[i]);
		if (rc)
			return rc;
		st->nsubjects = i + 1;
	}
	return 0;
}

static int statement_parse_root(json_t *root, struct sign_statement *st)
{
	const char *type = NULL, *ptype = NULL;
	json_t *pred;
	int rc;

	rc = sign_json_str(root, "_type", WHAT, &type);
	if (rc)
		return rc;
	if (strcmp(type, SIGN_STATEMENT_TYPE_V1) &&
	    strcmp(type, SIGN_STATEMENT_TYPE_V01))
		return err_set(ERR_UNSUPPORTED, WHAT ": _type '%s' is not "
			       "in-toto Statement v1", type);
	rc = sign_json_str(root, "predicateType", WHAT, &ptype);
	if (rc)
		return rc;
	if (!*ptype || strlen(ptype) > SIGN_PREDICATE_TYPE_MAX)
		return err_set(ERR_INVALID, WHAT ": predicateType is empty "
			       "or too long");
	strcpy(st->predicate_type, ptype);
	rc = statement_parse_subjects(root, st);
	pred = json_object_get(root, "predicate");
	if (!rc && pred && !json_is_object(pred))
		return err_set(ERR_INVALID, WHAT ": \"predicate\" is not an "
			       "object");
	if (!rc && pred)
		rc = sign_json_dump(pred, &st->predicate);
	return rc;
}

int sign_statement_parse(const void *p, size_t n, struct sign_statement *st)
{
	json_t *root;
	int rc;

	sign_statement_release(st);
	rc = sign_json_load(p, n, WHAT, &root);
	if (rc)
		return rc;
	rc = statement_parse_root(root, st);
	json_decref(root);
	if (rc)
		sign_statement_release(st);
	return rc;
}

int sign_statement_check_subject(const struct sign_statement *st,
				 const char *digest)
{
	for (size_t i = 0; i < st->nsubjects; i++)
		if (!strcmp(st->subjects[i].digest, digest))
			return 0;
	return err_set(ERR_DIGEST, WHAT " subject digest mismatch: no subject "
		       "names %s", digest);
}

static const struct {
	const char *name;
	const char *uri;
} predicate_types[] = {
	{ "custom", "https://cosign.sigstore.dev/attestation/v1" },
	{ "slsaprovenance", "https://slsa.dev/provenance/v0.2" },
	{ "slsaprovenance02", "https://slsa.dev/provenance/v0.2" },
	{ "slsaprovenance1", "https://slsa.dev/provenance/v1" },
	{ "spdx", "https://spdx.dev/Document" },
	{ "spdxjson", "https://spdx.dev/Document" },
	{ "cyclonedx", "https://cyclonedx.org/bom" },
	{ "link", "https://in-toto.io/Link/v1" },
	{ "vuln", "https://cosign.sigstore.dev/attestation/vuln/v1" },
	{ "openvex", "https://openvex.dev/ns" },
};

const char *sign_predicate_type(const char *type)
{
	for (size_t i = 0; i < sizeof(predicate_types) /
	     sizeof(predicate_types[0]); i++)
		if (!strcmp(type, predicate_types[i].name))
			return predicate_types[i].uri;
	return type;
}

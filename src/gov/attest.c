/* Building and strictly reading the registry's attestation predicates. */
#include "gov/attest.h"
#include "oci/digest.h"
#include "scan/scan.h"
#include "util/err.h"

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void attest_now(char out[32])
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int attest_dump(json_t *o, struct buf *out)
{
	char *s;
	int rc;

	if (!o)
		return err_set(ERR_NOMEM, "cannot build predicate");
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		return err_set(ERR_NOMEM, "cannot build predicate");
	rc = buf_puts(out, s);
	free(s);
	return rc;
}

int attest_scan_build(const struct attest_scan *a, struct buf *out)
{
	json_t *o = json_object(), *counts = json_object(), *f = NULL;
	int rc = 0;

	if (!o || !counts) {
		json_decref(o);
		json_decref(counts);
		return err_set(ERR_NOMEM, "cannot build predicate");
	}
	for (int s = ATTEST_NSEV - 1; s >= 0; s--)
		rc |= json_object_set_new(counts,
			scan_severity_name((enum scan_severity)s),
			json_integer(a->counts[s]));
	if (a->findings_json) {
		f = json_loads(a->findings_json, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_array(f)) {
			json_decref(f);
			json_decref(o);
			json_decref(counts);
			return err_set(ERR_INVALID, "findings summary is not a "
				       "JSON array");
		}
	}
	rc |= json_object_set_new(o, "verdict", json_string(a->verdict));
	rc |= json_object_set_new(o, "counts", counts);
	rc |= json_object_set_new(o, "scanner", json_string(a->scanner));
	rc |= json_object_set_new(o, "advisoryDatabase",
				  json_string(a->advisory_db));
	rc |= json_object_set_new(o, "time", json_string(a->time));
	if (f)
		rc |= json_object_set_new(o, "findings", f);
	if (rc) {
		json_decref(o);
		return err_set(ERR_NOMEM, "cannot build predicate");
	}
	return attest_dump(o, out);
}

int attest_approval_build(const struct attest_approval *a, struct buf *out)
{
	return attest_dump(json_pack("{s:s, s:s, s:s, s:s, s:s}",
				     "environment", a->environment,
				     "approver", a->approver, "role", a->role,
				     "comment", a->comment, "time", a->time),
			   out);
}

int attest_promotion_build(const struct attest_promotion *a,
			   struct buf *out)
{
	return attest_dump(json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, "
				     "s:o, s:b, s:b}",
				     "environment", a->environment,
				     "repository", a->repository,
				     "version", a->version,
				     "action", a->action, "actor", a->actor,
				     "reason", a->reason, "time", a->time,
				     "previous", a->previous[0] ?
				     json_string(a->previous) : json_null(),
				     "requireSignature", a->require_signature,
				     "breakGlass", a->break_glass), out);
}

/* ---- strict reading ----------------------------------------------------- */

static int attest_load(const char *json, size_t n, json_t **out)
{
	json_error_t e;

	if (n > ATTEST_PREDICATE_MAX)
		return err_set(ERR_LIMIT, "predicate larger than %u bytes",
			       ATTEST_PREDICATE_MAX);
	*out = json_loadb(json, n, JSON_REJECT_DUPLICATES, &e);
	if (!*out)
		return err_set(ERR_INVALID, "predicate: %s at offset %d",
			       e.text, e.position);
	if (!json_is_object(*out)) {
		json_decref(*out);
		return err_set(ERR_INVALID, "predicate is not an object");
	}
	return 0;
}

static int attest_text(json_t *o, const char *key, char *dst, size_t cap,
		       bool required)
{
	json_t *v = json_object_get(o, key);
	const char *s;

	dst[0] = '\0';
	if (!v || json_is_null(v))
		return required ? err_set(ERR_INVALID, "predicate lacks "
					  "'%s'", key) : 0;
	if (!json_is_string(v))
		return err_set(ERR_INVALID, "predicate '%s' is not a string",
			       key);
	s = json_string_value(v);
	if (strlen(s) >= cap || strlen(s) != json_string_length(v))
		return err_set(ERR_INVALID, "predicate '%s' is too long or "
			       "holds NUL", key);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/* A text member of a predicate and the char array it is copied to. */
struct attest_field {
	const char *key;
	size_t off;           /* offsetof the array in the output struct */
	size_t cap;           /* its size */
	bool required;
};

#define ATTEST_FIELD(type, key, member, required) \
	{ key, offsetof(type, member), sizeof(((type *)0)->member), required }
#define SCAN(key, member, req) \
	ATTEST_FIELD(struct attest_scan, key, member, req)
#define APPROVAL(key, member, req) \
	ATTEST_FIELD(struct attest_approval, key, member, req)
#define PROMOTION(key, member, req) \
	ATTEST_FIELD(struct attest_promotion, key, member, req)
#define NFIELDS(t) (sizeof(t) / sizeof((t)[0]))

static const struct attest_field scan_fields[] = {
	SCAN("verdict", verdict, true),
	SCAN("time", time, true),
	SCAN("scanner", scanner, false),
	SCAN("advisoryDatabase", advisory_db, false),
};

static const struct attest_field approval_fields[] = {
	APPROVAL("environment", environment, true),
	APPROVAL("approver", approver, true),
	APPROVAL("role", role, true),
	APPROVAL("comment", comment, false),
	APPROVAL("time", time, true),
};

static const struct attest_field promotion_fields[] = {
	PROMOTION("environment", environment, true),
	PROMOTION("repository", repository, true),
	PROMOTION("version", version, false),
	PROMOTION("action", action, true),
	PROMOTION("actor", actor, true),
	PROMOTION("reason", reason, false),
	PROMOTION("time", time, true),
	PROMOTION("previous", previous, false),
};

/* Copy each field of o into out, in table order; the first error wins. */
static int attest_texts(json_t *o, const struct attest_field *f, size_t n,
			void *out)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		rc = attest_text(o, f[i].key, (char *)out + f[i].off,
				 f[i].cap, f[i].required);
	return rc;
}

static bool attest_one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

int attest_scan_parse(const char *json, size_t n, struct attest_scan *out)
{
	static const char *const verdicts[] = {
		"clean", "suspicious", "malicious", "incomplete", NULL
	};
	json_t *o, *counts;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = attest_load(json, n, &o);
	if (rc)
		return rc;
	rc = attest_texts(o, scan_fields, NFIELDS(scan_fields), out);
	if (!rc && !attest_one_of(out->verdict, verdicts))
		rc = err_set(ERR_INVALID, "unknown verdict '%s'",
			     out->verdict);
	counts = json_object_get(o, "counts");
	if (!rc && !json_is_object(counts))
		rc = err_set(ERR_INVALID, "predicate lacks 'counts'");
	for (int s = 0; !rc && s < ATTEST_NSEV; s++) {
		json_t *v = json_object_get(counts,
			scan_severity_name((enum scan_severity)s));

		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 1000000000)
			rc = err_set(ERR_INVALID, "bad count for '%s'",
				     scan_severity_name((enum scan_severity)s));
		else
			out->counts[s] = (int)json_integer_value(v);
	}
	json_decref(o);
	return rc;
}

int attest_approval_parse(const char *json, size_t n,
			  struct attest_approval *out)
{
	json_t *o;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = attest_load(json, n, &o);
	if (rc)
		return rc;
	rc = attest_texts(o, approval_fields, NFIELDS(approval_fields),
			 out);
	json_decref(o);
	return rc;
}

static int attest_bool(json_t *o, const char *key, bool *out)
{
	json_t *v = json_object_get(o, key);

	*out = false;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return err_set(ERR_INVALID, "predicate '%s' is not a boolean",
			       key);
	*out = json_is_true(v);
	return 0;
}

int attest_promotion_parse(const char *json, size_t n,
			   struct attest_promotion *out)
{
	static const char *const actions[] = { "promote", "rollback", NULL };
	json_t *o;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = attest_load(json, n, &o);
	if (rc)
		return rc;
	rc = attest_texts(o, promotion_fields, NFIELDS(promotion_fields),
			 out);
	if (!rc && !attest_one_of(out->action, actions))
		rc = err_set(ERR_INVALID, "unknown action '%s'", out->action);
	if (!rc && out->previous[0] && !oci_digest_valid(out->previous))
		rc = err_set(ERR_INVALID, "predicate 'previous' is not a "
			     "digest");
	if (!rc)
		rc = attest_bool(o, "requireSignature",
				 &out->require_signature);
	if (!rc)
		rc = attest_bool(o, "breakGlass", &out->break_glass);
	json_decref(o);
	return rc;
}

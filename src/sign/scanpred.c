/* Scan attestation predicates; see scanpred.h. */
#include "sign/scanpred.h"
#include "sign/sjson.h"
#include "util/err.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define WHAT "scan predicate"

static const char *const sev_names[SIGN_SEV_COUNT] = {
	"critical", "high", "medium", "low", "info",
};

static const char *const verdicts[] = {
	"clean", "suspicious", "malicious", "incomplete",
};

static int scan_check_verdict(const char *v)
{
	for (size_t i = 0; i < sizeof(verdicts) / sizeof(verdicts[0]); i++)
		if (!strcmp(v, verdicts[i]))
			return 0;
	return err_set(ERR_INVALID, WHAT ": verdict '%s' is not clean, "
		       "suspicious, malicious or incomplete", v);
}

/* Exactly YYYY-MM-DDTHH:MM:SSZ with digits where digits belong. */
static int scan_check_time(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";

	if (strlen(t) != SIGN_SCAN_TIME_LEN)
		goto bad;
	for (size_t i = 0; i < SIGN_SCAN_TIME_LEN; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)t[i])
				    : t[i] != shape[i])
			goto bad;
	return 0;
bad:
	return err_set(ERR_INVALID, WHAT ": scannedAt '%.40s' is not "
		       "YYYY-MM-DDTHH:MM:SSZ", t);
}

static int scan_check(const struct sign_scan_summary *s)
{
	int rc = scan_check_verdict(s->verdict);

	if (!rc)
		rc = scan_check_time(s->scanned_at);
	if (!rc && !s->scanner_version[0])
		rc = err_set(ERR_INVALID, WHAT ": scanner version is empty");
	return rc;
}

static json_t *scan_counts(const struct sign_scan_summary *s)
{
	json_t *c = json_object();

	for (int i = 0; c && i < SIGN_SEV_COUNT; i++) {
		json_t *n = json_integer((json_int_t)s->counts[i]);

		if (json_object_set_new(c, sev_names[i], n)) {
			json_decref(c);
			return NULL;
		}
	}
	return c;
}

static int scan_findings(const struct sign_scan_summary *s, json_t **out)
{
	json_error_t jerr;

	*out = s->findings_json ?
	       json_loads(s->findings_json, JSON_REJECT_DUPLICATES, &jerr) :
	       json_array();
	if (!json_is_array(*out)) {
		json_decref(*out);
		*out = NULL;
		return err_set(ERR_INVALID, WHAT ": findings are not a JSON "
			       "array");
	}
	if (json_array_size(*out) > SIGN_SCAN_FINDINGS_MAX) {
		json_decref(*out);
		*out = NULL;
		return err_set(ERR_LIMIT, WHAT ": more than %d findings",
			       SIGN_SCAN_FINDINGS_MAX);
	}
	return 0;
}

int sign_scan_predicate_build(const struct sign_scan_summary *s,
			      struct buf *out)
{
	json_t *findings = NULL, *j;
	int rc = scan_check(s);

	if (!rc)
		rc = scan_findings(s, &findings);
	if (rc)
		return rc;
	j = json_pack("{s:s,s:o,s:o,s:{s:s,s:s},s:{s:s},s:s}",
		      "verdict", s->verdict, "counts", scan_counts(s),
		      "findings", findings, "scanner", "name", "stele",
		      "version", s->scanner_version, "advisoryDatabase",
		      "version", s->advisory_db_version,
		      "scannedAt", s->scanned_at);
	if (!j)
		return err_set(ERR_NOMEM, "cannot build " WHAT);
	rc = sign_json_dump(j, out);
	json_decref(j);
	return rc;
}

static int scan_copy(json_t *obj, const char *key, const char *what,
		     char *out, size_t len)
{
	const char *v = NULL;
	int rc = sign_json_str(obj, key, what, &v);

	if (rc)
		return rc;
	if (strlen(v) >= len)
		return err_set(ERR_LIMIT, "%s: \"%s\" longer than %zu bytes",
			       what, key, len - 1);
	memcpy(out, v, strlen(v) + 1);
	return 0;
}

static int scan_parse_counts(json_t *root, struct sign_scan_summary *s)
{
	json_t *c = NULL, *v;
	int rc = sign_json_obj(root, "counts", WHAT, &c);

	for (int i = 0; !rc && i < SIGN_SEV_COUNT; i++) {
		v = json_object_get(c, sev_names[i]);
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return err_set(ERR_INVALID, WHAT ": count '%s' is not "
				       "a non-negative integer", sev_names[i]);
		s->counts[i] = (unsigned long)json_integer_value(v);
	}
	return rc;
}

static int scan_parse_root(json_t *root, struct sign_scan_summary *s)
{
	json_t *scanner = NULL, *db = NULL, *f;
	int rc;

	rc = scan_copy(root, "verdict", WHAT, s->verdict, sizeof(s->verdict));
	if (!rc)
		rc = scan_parse_counts(root, s);
	if (!rc)
		rc = sign_json_obj(root, "scanner", WHAT, &scanner);
	if (!rc)
		rc = scan_copy(scanner, "version", WHAT " scanner",
			       s->scanner_version, sizeof(s->scanner_version));
	if (!rc)
		rc = sign_json_obj(root, "advisoryDatabase", WHAT, &db);
	if (!rc)
		rc = scan_copy(db, "version", WHAT " advisoryDatabase",
			       s->advisory_db_version,
			       sizeof(s->advisory_db_version));
	if (!rc)
		rc = scan_copy(root, "scannedAt", WHAT, s->scanned_at,
			       sizeof(s->scanned_at));
	f = json_object_get(root, "findings");
	if (!rc && !json_is_array(f))
		rc = err_set(ERR_INVALID, WHAT ": findings is not an array");
	if (!rc && json_array_size(f) > SIGN_SCAN_FINDINGS_MAX)
		rc = err_set(ERR_LIMIT, WHAT ": more than %d findings",
			     SIGN_SCAN_FINDINGS_MAX);
	if (!rc)
		s->nfindings = json_array_size(f);
	return rc ? rc : scan_check(s);
}

int sign_scan_predicate_parse(const void *p, size_t n,
			      struct sign_scan_summary *out)
{
	json_t *root;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = sign_json_load(p, n, WHAT, &root);
	if (rc)
		return rc;
	rc = scan_parse_root(root, out);
	json_decref(root);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc;
}

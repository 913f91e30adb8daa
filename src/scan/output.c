/* Rendering a scan report as text, JSON (PRODUCT.md) or SARIF 2.1.0. */
#include "scan/rules.h"
#include "scan/scan.h"
#include "util/buf.h"
#include "util/err.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCAN_OUTPUT_MAX (256u << 20)
#define SARIF_SCHEMA "https://json.schemastore.org/sarif-2.1.0.json"
#define RULES_DOC "docs/scan-rules.md"

int scan_format_parse(const char *s, enum scan_format *out)
{
	if (!strcmp(s, "text"))
		*out = SCAN_FORMAT_TEXT;
	else if (!strcmp(s, "json"))
		*out = SCAN_FORMAT_JSON;
	else if (!strcmp(s, "sarif"))
		*out = SCAN_FORMAT_SARIF;
	else
		return err_set(ERR_INVALID, "unknown format '%s' (expected "
			       "text, json or sarif)", s);
	return 0;
}

/* json_object_set_new that tolerates a NULL value (allocation failure). */
static int jset(json_t *o, const char *k, json_t *v)
{
	if (!v)
		return ERR_NOMEM;
	return json_object_set_new(o, k, v) ? ERR_NOMEM : 0;
}

static json_t *jstr(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *strv_json(char **v, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, jstr(v[i]));
	return a;
}

static int dep_json(json_t *o, const struct scan_dep *d)
{
	int rc = 0;

	rc |= jset(o, "package", jstr(d->package));
	rc |= jset(o, "version", jstr(d->version));
	rc |= jset(o, "id", jstr(d->id));
	rc |= jset(o, "aliases", strv_json(d->aliases, d->n_aliases));
	rc |= jset(o, "fixed", strv_json(d->fixed, d->n_fixed));
	if (d->summary)
		rc |= jset(o, "summary", json_string(d->summary));
	if (d->url)
		rc |= jset(o, "url", json_string(d->url));
	if (d->score >= 0)
		rc |= jset(o, "score", json_real(d->score));
	if (d->line > 0)
		rc |= jset(o, "line", json_integer(d->line));
	return rc ? ERR_NOMEM : 0;
}

static json_t *finding_json(const struct scan_finding *f)
{
	json_t *o = json_object();
	int rc = 0;

	if (!o)
		return NULL;
	rc |= jset(o, "rule", json_string(f->rule));
	rc |= jset(o, "severity", json_string(scan_severity_name(f->severity)));
	rc |= jset(o, "path", json_string(f->path));
	rc |= jset(o, "message", json_string(f->message));
	if (f->owasp)
		rc |= jset(o, "owasp", json_string(f->owasp));
	if (f->dep)
		rc |= dep_json(o, f->dep);
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *file_json(const struct scan_file *f)
{
	json_t *o = json_object();
	int rc = 0;

	if (!o)
		return NULL;
	rc |= jset(o, "path", json_string(f->path));
	rc |= jset(o, "format", json_string(f->format));
	rc |= jset(o, "sha256", f->sha256[0] ? json_string(f->sha256) :
		   json_null());
	rc |= jset(o, "size", json_integer((json_int_t)f->size));
	rc |= jset(o, "complete", json_boolean(f->complete));
	if (!f->complete)
		rc |= jset(o, "reason", jstr(f->reason ? f->reason :
					     "analysis did not finish"));
	if (rc) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *counts_json(const struct scan_report *r)
{
	size_t n[SCAN_CRITICAL + 1] = { 0 };
	json_t *o = json_object();

	for (size_t i = 0; i < scan_report_n_findings(r); i++)
		n[scan_report_finding(r, i)->severity]++;
	for (int s = SCAN_INFO; o && s <= SCAN_CRITICAL; s++)
		if (jset(o, scan_severity_name((enum scan_severity)s),
			 json_integer((json_int_t)n[s]))) {
			json_decref(o);
			return NULL;
		}
	return o;
}

static json_t *report_json(const struct scan_report *r)
{
	json_t *o = json_object(), *fs = json_array(), *files = json_array();
	int rc = 0;

	if (!o || !fs || !files)
		goto fail;
	for (size_t i = 0; i < scan_report_n_findings(r); i++)
		if (json_array_append_new(fs,
				finding_json(scan_report_finding(r, i))))
			goto fail;
	for (size_t i = 0; i < scan_report_n_files(r); i++)
		if (json_array_append_new(files,
				file_json(scan_report_file(r, i))))
			goto fail;
	rc |= jset(o, "verdict",
		   json_string(scan_verdict_name(scan_report_verdict(r))));
	rc |= jset(o, "complete", json_boolean(!scan_report_incomplete(r)));
	rc |= jset(o, "counts", counts_json(r));
	rc |= jset(o, "findings", fs);
	fs = NULL;
	rc |= jset(o, "files", files);
	files = NULL;
	if (rc)
		goto fail;
	return o;
fail:
	json_decref(fs);
	json_decref(files);
	json_decref(o);
	return NULL;
}

static const char *sarif_level(enum scan_severity s)
{
	if (s >= SCAN_HIGH)
		return "error";
	if (s == SCAN_MEDIUM)
		return "warning";
	return "note";
}

/* GitHub code scanning reads this property to rank security results. */
static const char *sarif_security_severity(enum scan_severity s)
{
	static const char *const v[] = { "0.0", "3.0", "5.5", "8.0", "9.5" };

	return v[s];
}

/*
 * Percent-encode a report path for artifactLocation.uri: unreserved
 * characters, '/' and '!' stay; everything else becomes %XX.
 */
static json_t *path_uri(const char *p)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b = BUF_INIT(1u << 20);
	json_t *j;

	for (const unsigned char *c = (const unsigned char *)p; *c; c++) {
		bool keep = (*c >= 'a' && *c <= 'z') ||
			    (*c >= 'A' && *c <= 'Z') ||
			    (*c >= '0' && *c <= '9') || strchr("-._~/!", *c);

		if (keep ? buf_putc(&b, (char)*c) :
		    buf_printf(&b, "%%%c%c", hex[*c >> 4], hex[*c & 15])) {
			buf_release(&b);
			return NULL;
		}
	}
	j = json_string(buf_cstr(&b));
	buf_release(&b);
	return j;
}

/*
 * helpUri must be an absolute URI and stele has no canonical web home,
 * so the rule's documentation is named in help.text instead.
 */
static json_t *sarif_rule(const char *id, enum scan_severity sev)
{
	const struct scan_rule *rule = scan_rule_find(id);
	char help[256];

	snprintf(help, sizeof(help), "See %s, section '%s', for an example "
		 "and the fix.", RULES_DOC, id);
	return json_pack("{s:s, s:{s:s}, s:{s:s}, s:{s:s}, s:{s:s, s:[s]}}",
		"id", id,
		"shortDescription", "text",
		rule ? rule->summary : "Vulnerable dependency.",
		"help", "text", help,
		"defaultConfiguration", "level", sarif_level(sev),
		"properties", "security-severity",
		sarif_security_severity(sev), "tags", "security");
}

/* Rules referenced by results, in first-use order; returns the index. */
static int rule_index(json_t *rules, const struct scan_finding *f)
{
	size_t i;
	json_t *v;

	json_array_foreach(rules, i, v) {
		if (!strcmp(json_string_value(json_object_get(v, "id")),
			    f->rule))
			return (int)i;
	}
	if (json_array_append_new(rules, sarif_rule(f->rule, f->severity)))
		return -1;
	return (int)json_array_size(rules) - 1;
}

static json_t *sarif_result(const struct scan_finding *f, int idx)
{
	json_t *o, *props;

	o = json_pack("{s:s, s:i, s:s, s:{s:s}, s:[{s:{s:{s:o}}}]}",
		"ruleId", f->rule, "ruleIndex", idx,
		"level", sarif_level(f->severity),
		"message", "text", f->message,
		"locations", "physicalLocation", "artifactLocation",
		"uri", path_uri(f->path));
	if (!o)
		return NULL;
	props = json_pack("{s:s}", "severity", scan_severity_name(f->severity));
	if (props && f->owasp)
		json_object_set_new(props, "owasp", json_string(f->owasp));
	if (props && f->dep)
		dep_json(props, f->dep);
	if (jset(o, "properties", props)) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Without a digest (--no-digest) the artifact has no "hashes". */
static json_t *sarif_artifact(const struct scan_file *f)
{
	json_t *a = json_pack("{s:{s:o}, s:I, s:{s:s, s:b}}",
		"location", "uri", path_uri(f->path),
		"length", (json_int_t)f->size,
		"properties", "format", f->format, "complete", f->complete);

	if (a && f->sha256[0] &&
	    jset(a, "hashes", json_pack("{s:s}", "sha-256", f->sha256))) {
		json_decref(a);
		return NULL;
	}
	return a;
}

static json_t *sarif_notifications(const struct scan_report *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < scan_report_n_files(r); i++) {
		const struct scan_file *f = scan_report_file(r, i);

		if (f->complete)
			continue;
		json_array_append_new(a, json_pack(
			"{s:s, s:{s:s}, s:[{s:{s:{s:o}}}]}",
			"level", "error",
			"message", "text", f->reason ? f->reason :
			"analysis did not finish",
			"locations", "physicalLocation", "artifactLocation",
			"uri", path_uri(f->path)));
	}
	return a;
}

static json_t *report_sarif(const struct scan_report *r)
{
	json_t *rules = json_array(), *results = json_array();
	json_t *arts = json_array(), *root = NULL;

	if (!rules || !results || !arts)
		goto fail;
	for (size_t i = 0; i < scan_report_n_findings(r); i++) {
		const struct scan_finding *f = scan_report_finding(r, i);
		int idx = rule_index(rules, f);

		if (idx < 0 || json_array_append_new(results,
						     sarif_result(f, idx)))
			goto fail;
	}
	for (size_t i = 0; i < scan_report_n_files(r); i++)
		if (json_array_append_new(arts,
				sarif_artifact(scan_report_file(r, i))))
			goto fail;
	root = json_pack("{s:s, s:s, s:[{s:{s:{s:s, s:s, s:o}}, "
			 "s:[{s:b, s:o}], s:o, s:o, s:{s:s}}]}",
		"$schema", SARIF_SCHEMA, "version", "2.1.0",
		"runs", "tool", "driver", "name", "stele",
		"version", STELE_VERSION,
		"rules", rules,
		"invocations", "executionSuccessful",
		!scan_report_incomplete(r),
		"toolExecutionNotifications", sarif_notifications(r),
		"artifacts", arts, "results", results,
		"properties", "verdict",
		scan_verdict_name(scan_report_verdict(r)));
	return root;
fail:
	json_decref(rules);
	json_decref(results);
	json_decref(arts);
	return NULL;
}

static int render_text(const struct scan_report *r, struct buf *b)
{
	size_t nf = scan_report_n_findings(r), nfiles = scan_report_n_files(r);
	size_t incomplete = 0;
	int rc = 0;

	for (size_t i = 0; !rc && i < nf; i++) {
		const struct scan_finding *f = scan_report_finding(r, i);

		rc = buf_printf(b, "%-8s %s: %s [%s]\n",
				scan_severity_name(f->severity), f->path,
				f->message, f->rule);
	}
	for (size_t i = 0; !rc && i < nfiles; i++) {
		const struct scan_file *f = scan_report_file(r, i);

		if (f->complete)
			continue;
		incomplete++;
		rc = buf_printf(b, "incomplete %s: %s\n", f->path,
				f->reason ? f->reason : "analysis did not "
				"finish");
	}
	if (!rc)
		rc = buf_printf(b, "verdict: %s (%zu file%s, %zu finding%s, "
				"%zu incomplete)\n",
				scan_verdict_name(scan_report_verdict(r)),
				nfiles, nfiles == 1 ? "" : "s", nf,
				nf == 1 ? "" : "s", incomplete);
	return rc;
}

int scan_report_render(const struct scan_report *r, enum scan_format f,
		       char **out)
{
	struct buf b = BUF_INIT(SCAN_OUTPUT_MAX);
	json_t *j;
	int rc;

	*out = NULL;
	if (f == SCAN_FORMAT_TEXT) {
		rc = render_text(r, &b);
		if (rc) {
			buf_release(&b);
			return rc;
		}
		*out = buf_detach(&b, NULL);
		return *out ? 0 : err_set(ERR_NOMEM, "out of memory");
	}
	j = f == SCAN_FORMAT_JSON ? report_json(r) : report_sarif(r);
	if (!j)
		return err_set(ERR_NOMEM, "out of memory rendering report");
	*out = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(j);
	if (!*out)
		return err_set(ERR_NOMEM, "out of memory rendering report");
	return 0;
}

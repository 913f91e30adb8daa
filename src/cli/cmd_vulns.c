/* stele vulns: list advisories, check a directory's dependencies. */
#include "cli/cli.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/pipeline_cli.h"
#include "util/err.h"
#include "vuln/match.h"
#include "vuln/pep440.h"
#include "vuln/vulndb.h"

/* Exit status of 'check' when a dependency is vulnerable. */
#define VULNS_FOUND 3

static const char usage[] =
	"usage: stele vulns [--db PATH | --registry HOST]\n"
	"                   (--id ID | --package NAME) [--format text|json]\n"
	"       stele vulns check [--db PATH] [--format text|json] DIR\n"
	"\n"
	"--id shows an advisory by its id or any alias (CVE, GHSA, PYSEC);\n"
	"--package lists the advisories of a PyPI package. 'check' reads the\n"
	"dependency files under DIR (requirements*.txt, pyproject.toml,\n"
	"poetry.lock, Pipfile.lock, uv.lock, pdm.lock, environment.yml,\n"
	"CycloneDX SBOMs) and reports pinned versions an advisory affects\n"
	"and ranges that admit one; it exits 3 when it finds any, 1 when\n"
	"no advisories are loaded (run 'stele vulndb import PATH' first).\n"
	"\n"
	"--registry HOST asks a stele registry which stored versions the\n"
	"advisory or package affects, with their version tags and the\n"
	"environments that run them now; it exits 3 when any is affected.";

struct opts {
	const char *db, *id, *package, *dir, *registry;
	bool json;
};

static int parse_opts(int argc, char **argv, struct opts *o)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char **dst = !strcmp(a, "--db") ? &o->db
				 : !strcmp(a, "--id") ? &o->id
				 : !strcmp(a, "--package") ? &o->package
				 : !strcmp(a, "--registry") ? &o->registry
				 : NULL;

		if (dst || !strcmp(a, "--format")) {
			if (i + 1 >= argc)
				return cli_usage_error("vulns", "%s needs a "
						       "value", a);
			if (dst) {
				*dst = argv[++i];
				continue;
			}
			o->json = !strcmp(argv[++i], "json");
			if (!o->json && strcmp(argv[i], "text"))
				return cli_usage_error("vulns", "unknown "
						       "format '%s'", argv[i]);
		} else if (!strcmp(a, "check") && !o->dir && i + 1 < argc) {
			o->dir = "";
		} else if (o->dir && !*o->dir && a[0] != '-') {
			o->dir = a;
		} else {
			return cli_usage_error("vulns", "unexpected '%s'", a);
		}
	}
	if (o->dir && !*o->dir)
		return cli_usage_error("vulns", "check needs a directory");
	if (!o->dir && !o->id == !o->package)
		return cli_usage_error("vulns", "give --id, --package or "
				       "check DIR");
	return 0;
}

static json_t *str_array(char *const *s, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(s[i]));
	return a;
}

/* Listing ------------------------------------------------------------ */

static json_t *adv_json(const struct vuln_adv *a)
{
	char *aff = vuln_affected_text(a), *safe = vuln_safe_text(a);
	json_t *o = json_pack("{s:s, s:s, s:o, s:s, s:s, s:s?, s:s?, s:s,"
			      " s:s, s:o, s:s?}",
			      "id", a->group, "record", a->id,
			      "aliases", str_array(a->aliases, a->n_aliases),
			      "package", a->aff.package,
			      "summary", a->summary, "url", a->url,
			      "vector", a->vector,
			      "severity", vuln_severity(a->score, a->label),
			      "affected", aff ? aff : "",
			      "fixed", str_array(a->fixed, a->n_fixed),
			      "safe", safe);

	if (o && a->score >= 0)
		json_object_set_new(o, "score", json_real(a->score));
	free(aff);
	free(safe);
	return o;
}

static void adv_text(const struct vuln_adv *a)
{
	char *aff = vuln_affected_text(a), *safe = vuln_safe_text(a);

	printf("%s %s (%s", a->group, a->aff.package, a->id);
	for (size_t i = 0; i < a->n_aliases; i++)
		if (strcmp(a->aliases[i], a->group))
			printf(", %s", a->aliases[i]);
	printf(") %s", vuln_severity(a->score, a->label));
	if (a->score >= 0)
		printf(" %.1f", a->score);
	printf(": %s\n  affected: %s\n  safe: %s\n", a->summary,
	       aff ? aff : "?", safe ? safe : "?");
	if (a->url)
		printf("  %s\n", a->url);
	free(aff);
	free(safe);
}

static int list(struct vuln_db *db, const struct opts *o)
{
	struct vuln_advs advs;
	char norm[256];
	json_t *arr;
	int rc;

	if (o->package) {
		if ((rc = pep503_normalize(o->package, norm, sizeof(norm))))
			return cli_fail("vulns", rc);
		rc = vulndb_package(db, norm, &advs);
	} else {
		rc = vulndb_advisory(db, o->id, &advs);
	}
	if (rc)
		return cli_fail("vulns", rc);
	if (o->json) {
		arr = json_array();
		for (size_t i = 0; arr && i < advs.n; i++)
			json_array_append_new(arr, adv_json(&advs.v[i]));
		json_dumpf(arr, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(arr);
	} else {
		for (size_t i = 0; i < advs.n; i++)
			adv_text(&advs.v[i]);
		if (!advs.n)
			printf("no advisories\n");
	}
	vuln_advs_release(&advs);
	return CLI_OK;
}

/* Checking ----------------------------------------------------------- */

static json_t *finding_json(const struct vuln_finding *f)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:s, s:o, s:s, s:s,"
			      " s:o, s:s, s:s?, s:s, s:i}",
			      "rule", f->pinned ? "dep-vulnerable"
						: "dep-range-vulnerable",
			      "package", f->package, "version", f->version,
			      "pinned", f->pinned, "id", f->id,
			      "aliases", str_array(f->aliases, f->n_aliases),
			      "summary", f->summary, "severity", f->severity,
			      "fixed", str_array(f->fixed, f->n_fixed),
			      "safe", f->safe, "url", f->url,
			      "file", f->file, "line", f->line);

	if (o && f->score >= 0)
		json_object_set_new(o, "score", json_real(f->score));
	return o;
}

static void finding_text(const struct vuln_finding *f)
{
	printf("%s:%d: %s %s%s: %s", f->file, f->line, f->package,
	       f->pinned ? "" : "range ", f->version, f->id);
	for (size_t i = 0; i < f->n_aliases; i++)
		printf("%s%s", i ? ", " : " (", f->aliases[i]);
	printf("%s %s", f->n_aliases ? ")" : "", f->severity);
	if (f->score >= 0)
		printf(" %.1f", f->score);
	printf(": %s [safe: %s]\n", f->summary, f->safe);
}

static void check_json(const struct vuln_deps *d,
		       const struct vuln_findings *f)
{
	json_t *o = json_object(), *arr = json_array(), *pr = json_array();

	for (size_t i = 0; i < f->n; i++)
		json_array_append_new(arr, finding_json(&f->v[i]));
	for (size_t i = 0; i < d->n_problems; i++)
		json_array_append_new(pr, json_pack("{s:s, s:s}", "file",
			d->problems[i].file, "reason", d->problems[i].reason));
	json_object_set_new(o, "dependencies", json_integer((json_int_t)d->n));
	json_object_set_new(o, "findings", arr);
	json_object_set_new(o, "problems", pr);
	json_dumpf(o, stdout, JSON_INDENT(2));
	putchar('\n');
	json_decref(o);
}

static int check(struct vuln_db *db, const struct opts *o)
{
	struct vuln_deps deps = { 0 };
	struct vuln_findings f = { 0 };
	int rc = vuln_check_dir(db, o->dir, &deps, &f);

	if (rc) {
		vuln_deps_release(&deps);
		vuln_findings_release(&f);
		return cli_fail("vulns check", rc);
	}
	if (o->json) {
		check_json(&deps, &f);
	} else {
		for (size_t i = 0; i < f.n; i++)
			finding_text(&f.v[i]);
		for (size_t i = 0; i < deps.n_problems; i++)
			fprintf(stderr, "stele vulns check: %s: %s\n",
				deps.problems[i].file,
				deps.problems[i].reason);
		printf("%zu %s, %zu vulnerable\n", deps.n,
		       deps.n == 1 ? "dependency" : "dependencies", f.n);
	}
	rc = f.n ? VULNS_FOUND : CLI_OK;
	vuln_deps_release(&deps);
	vuln_findings_release(&f);
	return rc;
}

int cmd_vulns(int argc, char **argv)
{
	struct opts o = { 0 };
	struct vuln_db *db = NULL;
	int rc;

	if (cli_wants_help(argc, argv)) {
		puts(usage);
		return CLI_OK;
	}
	if ((rc = parse_opts(argc, argv, &o)))
		return rc;
	if (o.registry && (o.dir || o.db || !o.id == !o.package))
		return cli_usage_error("vulns", "--registry takes one of --id "
				       "or --package");
	if (o.registry)
		return cli_vulns_remote(o.registry, o.id, o.package, o.json);
	rc = cli_vulndb_open_loaded(o.db, &db);
	if (rc)
		return cli_fail("vulns", rc);
	rc = o.dir ? check(db, &o) : list(db, &o);
	vulndb_close(db);
	return rc;
}

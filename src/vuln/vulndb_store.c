/* Storing OSV records in the database and loading them for matching. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"
#include "vuln/vulndb_int.h"

/* Ranges as [[["introduced","0"],["fixed","1.2"]], ...]. */
static char *ranges_json(const struct osv_affected *a)
{
	static const char *const kinds[] = { "introduced", "fixed",
					     "last_affected", "limit" };
	json_t *all = json_array(), *r, *e;
	char *s = NULL;

	if (!all)
		return NULL;
	for (size_t i = 0; i < a->n_ranges; i++) {
		r = json_array();
		if (!r || json_array_append_new(all, r))
			goto out;
		for (size_t k = 0; k < a->ranges[i].n; k++) {
			const struct osv_event *ev = &a->ranges[i].ev[k];

			e = json_pack("[ss]", kinds[ev->kind], ev->version);
			if (!e || json_array_append_new(r, e))
				goto out;
		}
	}
	s = json_dumps(all, JSON_COMPACT);
out:
	json_decref(all);
	return s;
}

static char *versions_json(const struct osv_affected *a)
{
	json_t *all = json_array();
	char *s = NULL;

	if (!all)
		return NULL;
	for (size_t i = 0; i < a->n_versions; i++)
		if (json_array_append_new(all, json_string(a->versions[i])))
			goto out;
	s = json_dumps(all, JSON_COMPACT);
out:
	json_decref(all);
	return s;
}

static int step_done(struct vuln_db *db, sqlite3_stmt *st)
{
	if (!st)
		return ERR_IO;
	if (sqlite3_step(st) != SQLITE_DONE)
		return vulndb_sql_fail(db, "cannot store advisory");
	return 0;
}

static int delete_record(struct vuln_db *db, const char *id)
{
	static const enum vulndb_sql del[] = { SQL_DEL_ADV, SQL_DEL_ALIAS,
					       SQL_DEL_AFF };
	sqlite3_stmt *st;
	int rc;

	for (size_t i = 0; i < 3; i++) {
		st = vulndb_stmt(db, del[i]);
		if (st)
			sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
		if ((rc = step_done(db, st)))
			return rc;
	}
	return 0;
}

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int insert_advisory(struct vuln_db *db, const struct osv_record *r)
{
	sqlite3_stmt *st = vulndb_stmt(db, SQL_INS_ADV);

	if (!st)
		return ERR_IO;
	sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, osv_record_group(r), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, r->modified, -1, SQLITE_STATIC);
	bind_opt(st, 4, r->published);
	sqlite3_bind_text(st, 5, r->summary ? r->summary : "", -1,
			  SQLITE_STATIC);
	bind_opt(st, 6, r->url);
	bind_opt(st, 7, r->vector);
	if (r->score >= 0)
		sqlite3_bind_double(st, 8, r->score);
	bind_opt(st, 9, r->label);
	return step_done(db, st);
}

static int insert_aliases(struct vuln_db *db, const struct osv_record *r)
{
	sqlite3_stmt *st;
	int rc;

	for (size_t i = 0; i < r->n_aliases; i++) {
		st = vulndb_stmt(db, SQL_INS_ALIAS);
		if (st) {
			sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, r->aliases[i], -1,
					  SQLITE_STATIC);
		}
		if ((rc = step_done(db, st)))
			return rc;
	}
	return 0;
}

static int insert_affected(struct vuln_db *db, const struct osv_record *r)
{
	sqlite3_stmt *st;
	char *ranges, *versions;
	int rc = 0;

	for (size_t i = 0; i < r->n_aff && !rc; i++) {
		ranges = ranges_json(&r->aff[i]);
		versions = versions_json(&r->aff[i]);
		st = vulndb_stmt(db, SQL_INS_AFF);
		if (!ranges || !versions) {
			rc = err_set(ERR_NOMEM, "out of memory");
		} else if (st) {
			sqlite3_bind_text(st, 1, r->id, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 2, r->aff[i].package, -1,
					  SQLITE_STATIC);
			sqlite3_bind_text(st, 3, ranges, -1, SQLITE_STATIC);
			sqlite3_bind_text(st, 4, versions, -1, SQLITE_STATIC);
			rc = step_done(db, st);
		} else {
			rc = ERR_IO;
		}
		free(ranges);
		free(versions);
	}
	return rc;
}

/* The stored record's modified time into out, "" when none is stored. */
static int stored_modified(struct vuln_db *db, const char *id,
			   char out[28])
{
	sqlite3_stmt *st = vulndb_stmt(db, SQL_GET_MODIFIED);
	const unsigned char *m;
	int s;

	out[0] = '\0';
	if (!st)
		return ERR_IO;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	s = sqlite3_step(st);
	if (s == SQLITE_ROW && (m = sqlite3_column_text(st, 0)))
		snprintf(out, 28, "%s", (const char *)m);
	else if (s != SQLITE_DONE && s != SQLITE_ROW)
		return vulndb_sql_fail(db, "cannot read advisory");
	sqlite3_reset(st);
	return 0;
}

int vulndb_put(struct vuln_db *db, const struct osv_record *r,
	       enum vulndb_put *what)
{
	char old[28];
	int rc;

	rc = stored_modified(db, r->id, old);
	if (rc)
		return rc;
	/* Normalised timestamps compare as strings; later wins. */
	if (old[0] && strcmp(old, r->modified) >= 0) {
		*what = PUT_UNCHANGED;
		return 0;
	}
	if (r->withdrawn || !r->n_aff) {
		*what = r->withdrawn ? PUT_WITHDRAWN : PUT_OTHER;
		return old[0] ? delete_record(db, r->id) : 0;
	}
	*what = old[0] ? PUT_UPDATED : PUT_ADDED;
	if ((old[0] && (rc = delete_record(db, r->id))) ||
	    (rc = insert_advisory(db, r)) || (rc = insert_aliases(db, r)))
		return rc;
	return insert_affected(db, r);
}

/* Loading ----------------------------------------------------------- */

static void adv_free(struct vuln_adv *a)
{
	free(a->id);
	free(a->group);
	for (size_t i = 0; i < a->n_aliases; i++)
		free(a->aliases[i]);
	free(a->aliases);
	free(a->summary);
	free(a->url);
	free(a->vector);
	free(a->label);
	free(a->modified);
	free(a->iv);
	free(a->fixed);   /* the strings belong to aff's events */
	free(a->extra);
	osv_affected_release(&a->aff);
}

void vuln_advs_release(struct vuln_advs *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		adv_free(&a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static int load_event(json_t *e, struct osv_event *ev)
{
	static const char *const kinds[] = { "introduced", "fixed",
					     "last_affected", "limit" };
	const char *k, *v;

	if (json_unpack(e, "[ss]", &k, &v))
		return ERR_INVALID;
	for (int i = 0; i < 4; i++)
		if (!strcmp(k, kinds[i])) {
			ev->kind = (enum osv_event_kind)i;
			ev->version = strdup(v);
			return ev->version ? 0 : ERR_NOMEM;
		}
	return ERR_INVALID;
}

static int load_ranges(const char *text, struct osv_affected *a)
{
	json_t *all = json_loads(text, 0, NULL), *r, *e;
	size_t i, k;
	int rc = 0;

	if (!json_is_array(all)) {
		json_decref(all);
		return err_set(ERR_INVALID, "vulndb: stored ranges corrupt");
	}
	a->ranges = calloc(json_array_size(all) + 1, sizeof(*a->ranges));
	if (!a->ranges)
		rc = ERR_NOMEM;
	json_array_foreach(all, i, r) {
		struct osv_range *rg;

		if (rc)
			break;
		rg = &a->ranges[a->n_ranges++];
		rg->ev = calloc(json_array_size(r) + 1, sizeof(*rg->ev));
		if (!rg->ev) {
			rc = ERR_NOMEM;
			break;
		}
		json_array_foreach(r, k, e) {
			if ((rc = load_event(e, &rg->ev[rg->n])))
				break;
			rg->n++;
		}
	}
	json_decref(all);
	return rc ? err_set(rc, "vulndb: cannot load stored ranges") : 0;
}

static int load_versions(const char *text, struct osv_affected *a)
{
	json_t *all = json_loads(text, 0, NULL), *v;
	size_t i;
	int rc = 0;

	if (!json_is_array(all)) {
		json_decref(all);
		return err_set(ERR_INVALID, "vulndb: stored versions corrupt");
	}
	a->versions = calloc(json_array_size(all) + 1, sizeof(char *));
	if (!a->versions)
		rc = ERR_NOMEM;
	json_array_foreach(all, i, v) {
		if (rc || !json_is_string(v))
			break;
		a->versions[a->n_versions] = strdup(json_string_value(v));
		if (!a->versions[a->n_versions]) {
			rc = ERR_NOMEM;
			break;
		}
		a->n_versions++;
	}
	json_decref(all);
	return rc ? err_set(rc, "out of memory") : 0;
}

static int fixed_cmp(const void *pa, const void *pb)
{
	struct pep440_version a, b;

	pep440_parse(*(char *const *)pa, &a);
	pep440_parse(*(char *const *)pb, &b);
	return pep440_cmp(&a, &b);
}

/* The distinct fixed versions, in version order. */
static int collect_fixed(struct vuln_adv *a)
{
	size_t total = 0;

	for (size_t i = 0; i < a->aff.n_ranges; i++)
		total += a->aff.ranges[i].n;
	a->fixed = calloc(total + 1, sizeof(char *));
	if (!a->fixed)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < a->aff.n_ranges; i++)
		for (size_t k = 0; k < a->aff.ranges[i].n; k++) {
			struct osv_event *e = &a->aff.ranges[i].ev[k];
			bool seen = false;

			if (e->kind != OSV_FIXED)
				continue;
			for (size_t j = 0; j < a->n_fixed && !seen; j++)
				seen = !strcmp(a->fixed[j], e->version);
			if (!seen)
				a->fixed[a->n_fixed++] = e->version;
		}
	qsort(a->fixed, a->n_fixed, sizeof(char *), fixed_cmp);
	return 0;
}

static bool in_intervals(const struct vuln_adv *a,
			 const struct pep440_version *v)
{
	struct osv_affected none = { 0 };

	return osv_affects(&none, a->iv, a->n_iv, v);
}

static int version_cmp(const void *pa, const void *pb)
{
	return pep440_cmp(pa, pb);
}

/* Parse the listed versions the intervals do not already cover. */
static int collect_extra(struct vuln_adv *a)
{
	struct pep440_version v;

	if (!a->aff.n_versions)
		return 0;
	for (size_t i = 0; i < a->aff.n_versions; i++) {
		if (pep440_parse(a->aff.versions[i], &v) == ERR_LIMIT ||
		    in_intervals(a, &v))
			continue;
		if (!a->extra) {
			a->extra = calloc(a->aff.n_versions, sizeof(v));
			if (!a->extra)
				return err_set(ERR_NOMEM, "out of memory");
		}
		a->extra[a->n_extra++] = v;
	}
	if (a->n_extra > 1)
		qsort(a->extra, a->n_extra, sizeof(v), version_cmp);
	return 0;
}

bool vuln_adv_affects(const struct vuln_adv *a,
		      const struct pep440_version *v)
{
	return in_intervals(a, v) ||
	       (a->n_extra && bsearch(v, a->extra, a->n_extra,
				      sizeof(*v), version_cmp));
}

static int load_aliases(struct vuln_db *db, struct vuln_adv *a)
{
	sqlite3_stmt *st = vulndb_stmt(db, SQL_ALIASES);
	char **grown;
	int s;

	if (!st)
		return ERR_IO;
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	while ((s = sqlite3_step(st)) == SQLITE_ROW) {
		grown = realloc(a->aliases, (a->n_aliases + 1) *
				sizeof(char *));
		if (!grown)
			return err_set(ERR_NOMEM, "out of memory");
		a->aliases = grown;
		a->aliases[a->n_aliases] = strdup((const char *)
			sqlite3_column_text(st, 0));
		if (!a->aliases[a->n_aliases])
			return err_set(ERR_NOMEM, "out of memory");
		a->n_aliases++;
	}
	if (s != SQLITE_DONE)
		return vulndb_sql_fail(db, "cannot read aliases");
	return 0;
}

static char *text_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *s = sqlite3_column_text(st, i);

	return s ? strdup((const char *)s) : NULL;
}

/* One result row into a, without aliases (the statement is busy). */
static int load_row(sqlite3_stmt *st, struct vuln_adv *a)
{
	int rc;

	a->id = text_dup(st, 0);
	a->group = text_dup(st, 1);
	a->summary = text_dup(st, 2);
	a->url = text_dup(st, 3);
	a->vector = text_dup(st, 4);
	a->score = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1
		 : sqlite3_column_double(st, 5);
	a->label = text_dup(st, 6);
	a->modified = text_dup(st, 7);
	a->aff.package = text_dup(st, 8);
	if (!a->id || !a->group || !a->summary || !a->modified ||
	    !a->aff.package)
		return err_set(ERR_NOMEM, "out of memory");
	if ((rc = load_ranges((const char *)sqlite3_column_text(st, 9),
			      &a->aff)) ||
	    (rc = load_versions((const char *)sqlite3_column_text(st, 10),
				&a->aff)) ||
	    (rc = osv_intervals(&a->aff, &a->iv, &a->n_iv)) ||
	    (rc = collect_extra(a)))
		return rc;
	return collect_fixed(a);
}

static int load_query(struct vuln_db *db, enum vulndb_sql which,
		      const char *key, struct vuln_advs *out)
{
	sqlite3_stmt *st = vulndb_stmt(db, which);
	struct vuln_adv *grown;
	int s = SQLITE_DONE, rc = 0;

	out->v = NULL;
	out->n = 0;
	if (!st)
		return ERR_IO;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
	while (!rc && (s = sqlite3_step(st)) == SQLITE_ROW) {
		grown = realloc(out->v, (out->n + 1) * sizeof(*grown));
		if (!grown) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		out->v = grown;
		memset(&out->v[out->n], 0, sizeof(out->v[0]));
		rc = load_row(st, &out->v[out->n++]);
	}
	if (!rc && s != SQLITE_DONE)
		rc = vulndb_sql_fail(db, "cannot read advisories");
	sqlite3_reset(st);
	for (size_t i = 0; i < out->n && !rc; i++)
		rc = load_aliases(db, &out->v[i]);
	if (rc)
		vuln_advs_release(out);
	return rc;
}

int vulndb_package(struct vuln_db *db, const char *package,
		   struct vuln_advs *out)
{
	return load_query(db, SQL_BY_PACKAGE, package, out);
}

int vulndb_advisory(struct vuln_db *db, const char *id,
		    struct vuln_advs *out)
{
	return load_query(db, SQL_BY_ID, id, out);
}

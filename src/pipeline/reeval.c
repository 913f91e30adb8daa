/*
 * Re-evaluation after an advisory import. Every scanned version's
 * dependencies were indexed at scan time (scan_deps), so this reads the
 * index, matches each distinct (package, specifier, version) once, and
 * compares each version's new dependency findings with the key stored
 * with its result. Only versions whose findings changed are rewritten and
 * signed again; no blob is read.
 */
#include "pipeline/internal.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gov/attest.h"
#include "util/err.h"
#include "vuln/match.h"
#include "vuln/vuln_scan.h"

#define REEVAL_MAX_CHANGED 1000000   /* versions rewritten in one run */
#define REEVAL_BATCH 500             /* versions per write transaction */

/* ---- A small string-keyed cache of match results. ---- */

struct cache_ent {
	char *key;
	struct vuln_findings f;
};

struct cache {
	struct cache_ent *v;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 1099511628211ull;
	return h;
}

static int cache_grow(struct cache *c)
{
	size_t cap = c->cap ? c->cap * 2 : 1024;
	struct cache_ent *v = calloc(cap, sizeof(*v));

	if (!v)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < c->cap; i++) {
		size_t k;

		if (!c->v[i].key)
			continue;
		k = hash_str(c->v[i].key) & (cap - 1);
		while (v[k].key)
			k = (k + 1) & (cap - 1);
		v[k] = c->v[i];
	}
	free(c->v);
	c->v = v;
	c->cap = cap;
	return 0;
}

/* The slot for key (found, or empty for it); NULL on allocation failure. */
static struct cache_ent *cache_slot(struct cache *c, const char *key)
{
	size_t k;

	if ((c->n + 1) * 2 > c->cap && cache_grow(c))
		return NULL;
	k = hash_str(key) & (c->cap - 1);
	while (c->v[k].key && strcmp(c->v[k].key, key))
		k = (k + 1) & (c->cap - 1);
	return &c->v[k];
}

static void cache_release(struct cache *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		free(c->v[i].key);
		vuln_findings_release(&c->v[i].f);
	}
	free(c->v);
}

/* ---- One version at a time. ---- */

struct version {
	char repo[META_REPO_MAX + 1];
	char digest[DIGEST_STR_LEN];
	char *old_key;
	struct vuln_findings f;     /* shallow copies, file/line own row */
	char **files;               /* strings the copies point at */
	size_t n_files;
};

struct change {
	char repo[META_REPO_MAX + 1];
	char digest[DIGEST_STR_LEN];
	json_t *deps;               /* new dependency findings, built in
				     * the write phase one at a time */
};

struct run {
	struct pipeline *p;
	struct vuln_matcher *m;
	struct cache cache;
	struct version cur;
	struct change *changes;
	size_t n_changes, cap_changes;
	struct pipeline_reeval *st;
};

static void version_reset(struct version *v)
{
	free(v->old_key);
	free(v->f.v);
	for (size_t i = 0; i < v->n_files; i++)
		free(v->files[i]);
	free(v->files);
	memset(v, 0, sizeof(*v));
}

static int match_once(struct run *r, const struct vuln_dep *d,
		      struct vuln_findings **out)
{
	char *key = NULL;
	struct cache_ent *e;
	int rc;

	if (asprintf(&key, "%s\x1f%s\x1f%s", d->name, d->spec,
		     d->version ? d->version : "\x1e") < 0)
		return err_set(ERR_NOMEM, "out of memory");
	e = cache_slot(&r->cache, key);
	if (!e) {
		free(key);
		return ERR_NOMEM;
	}
	if (e->key) {
		free(key);
		*out = &e->f;
		return 0;
	}
	e->key = key;
	r->cache.n++;
	rc = vuln_match_dep(r->m, d, &e->f);
	/* A dependency that cannot be read was reported at scan time. */
	if (rc == ERR_INVALID)
		rc = 0;
	*out = &e->f;
	return rc;
}

static int add_dep(struct run *r, const char *pkg, const char *spec,
		   const char *ver, const char *file, int line)
{
	/* vuln_dep's fields are not const, but matching only reads them. */
	struct vuln_dep d = { (char *)(uintptr_t)pkg, (char *)(uintptr_t)spec,
			      (char *)(uintptr_t)ver, (char *)(uintptr_t)file,
			      line };
	struct version *v = &r->cur;
	struct vuln_findings *hits;
	char **files;
	int rc = match_once(r, &d, &hits);

	if (rc || !hits->n)
		return rc;
	files = realloc(v->files, (v->n_files + 1) * sizeof(*files));
	if (!files)
		return err_set(ERR_NOMEM, "out of memory");
	v->files = files;
	v->files[v->n_files] = strdup(file);
	if (!v->files[v->n_files])
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < hits->n; i++) {
		struct vuln_finding *f;

		if (v->f.n == v->f.cap) {
			size_t cap = v->f.cap ? v->f.cap * 2 : 8;

			f = realloc(v->f.v, cap * sizeof(*f));
			if (!f)
				return err_set(ERR_NOMEM, "out of memory");
			v->f.v = f;
			v->f.cap = cap;
		}
		f = &v->f.v[v->f.n++];
		*f = hits->v[i];
		f->file = v->files[v->n_files];
		f->line = line;
	}
	v->n_files++;
	return 0;
}

/* The new dependency findings of the current version as JSON. */
static int render_deps(const struct version *v, json_t **out)
{
	struct scan_report *rep = scan_report_new();
	char *text = NULL;
	json_t *doc = NULL;
	int rc = rep ? vuln_scan_add(rep, NULL, &v->f) :
		err_set(ERR_NOMEM, "out of memory");

	*out = NULL;
	if (!rc)
		rc = scan_report_render(rep, SCAN_FORMAT_JSON, &text);
	if (!rc)
		doc = json_loads(text, 0, NULL);
	if (!rc && !json_is_array(json_object_get(doc, "findings")))
		rc = err_set(ERR_INVALID, "rendered report has no findings");
	if (!rc)
		*out = json_incref(json_object_get(doc, "findings"));
	json_decref(doc);
	free(text);
	scan_report_free(rep);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

/* The key pipeline_dep_key() gives the rendered findings, computed from
 * the findings themselves so unchanged versions are never rendered. */
static char *key_of(const struct vuln_findings *f)
{
	struct buf b = BUF_INIT(PIPELINE_FINDINGS_MAX);
	char **v = calloc(f->n + 1, sizeof(*v));
	size_t n = 0;

	if (!v)
		return NULL;
	for (; n < f->n; n++)
		if (asprintf(&v[n], "%s|%s|%s|%s|%d", nz(f->v[n].id),
			     nz(f->v[n].package), nz(f->v[n].version),
			     nz(f->v[n].file),
			     f->v[n].line > 0 ? f->v[n].line : 0) < 0)
			break;
	qsort(v, n, sizeof(*v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		buf_puts(&b, v[i]);
		buf_putc(&b, '\n');
		free(v[i]);
	}
	free(v);
	buf_putc(&b, 0);
	return buf_detach(&b, NULL);
}

/* Only the version is kept: its findings are rebuilt when written, so
 * memory does not grow with the number of changed versions. */
static int remember(struct run *r, const struct version *v)
{
	struct change *c;

	if (r->n_changes >= REEVAL_MAX_CHANGED)
		return err_set(ERR_LIMIT, "more than %d versions changed",
			       REEVAL_MAX_CHANGED);
	if (r->n_changes == r->cap_changes) {
		size_t cap = r->cap_changes ? r->cap_changes * 2 : 64;

		c = realloc(r->changes, cap * sizeof(*c));
		if (!c)
			return err_set(ERR_NOMEM, "out of memory");
		r->changes = c;
		r->cap_changes = cap;
	}
	c = &r->changes[r->n_changes++];
	memcpy(c->repo, v->repo, sizeof(c->repo));
	memcpy(c->digest, v->digest, sizeof(c->digest));
	c->deps = NULL;
	return 0;
}

/* The current version is complete: compare and remember a change. */
static int finish_version(struct run *r)
{
	struct version *v = &r->cur;
	char *key;
	int rc = 0;

	if (!*v->repo)
		return 0;
	r->st->versions++;
	key = key_of(&v->f);
	if (!key)
		rc = err_set(ERR_NOMEM, "out of memory");
	if (!rc && strcmp(key, v->old_key ? v->old_key : ""))
		rc = remember(r, v);
	free(key);
	version_reset(v);
	return rc;
}

static const char *col(sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	return s ? s : "";
}

/* Read the index and match every version (no write lock held). */
static int read_phase(struct run *r)
{
	sqlite3_stmt *st = NULL;
	int rc, step;

	pthread_mutex_lock(&r->p->lock);
	rc = pipeline_prepare(r->p, "SELECT s.repo, s.digest, s.dep_key, "
			      "d.package, d.spec, d.version, d.file, d.line"
			      " FROM scans s JOIN scan_deps d ON d.repo="
			      "s.repo AND d.digest=s.digest WHERE s.status="
			      "'done' ORDER BY s.repo, s.digest", &st);
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *repo = col(st, 0), *digest = col(st, 1);

		if (strcmp(repo, r->cur.repo) ||
		    strcmp(digest, r->cur.digest)) {
			rc = finish_version(r);
			snprintf(r->cur.repo, sizeof(r->cur.repo), "%s", repo);
			snprintf(r->cur.digest, sizeof(r->cur.digest), "%s",
				 digest);
			r->cur.old_key = strdup(col(st, 2));
		}
		r->st->deps++;
		if (!rc)
			rc = add_dep(r, col(st, 3), col(st, 4),
				     sqlite3_column_text(st, 5) ?
				     col(st, 5) : NULL, col(st, 6),
				     sqlite3_column_int(st, 7));
	}
	if (!rc && step != SQLITE_DONE)
		rc = pipeline_sql_fail(r->p, "read the dependency index");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&r->p->lock);
	if (!rc)
		rc = finish_version(r);
	return rc;
}

/* Ids in a but not in b, space separated. */
static char *ids_diff(json_t *a, json_t *b)
{
	struct buf out = BUF_INIT(1u << 20);
	json_t *f, *g;
	size_t i, k;

	json_array_foreach(a, i, f) {
		const char *id = json_string_value(json_object_get(f, "id"));
		bool seen = false;

		if (!id || !pipeline_finding_is_dep(f))
			continue;
		json_array_foreach(b, k, g)
			if (pipeline_finding_is_dep(g) &&
			    !strcmp(id, json_string_value(json_object_get(
					g, "id")) ? json_string_value(
					json_object_get(g, "id")) : ""))
				seen = true;
		if (!seen && !strstr(out.data ? out.data : "", id)) {
			if (out.len)
				buf_putc(&out, ' ');
			buf_puts(&out, id);
		}
	}
	buf_putc(&out, 0);
	return buf_detach(&out, NULL);
}

/* Rewrite one changed version: its model findings stay, its dependency
 * findings are replaced. */
static int apply_change(struct run *r, const struct change *c,
			const char *dbver, const char *now)
{
	struct pipeline_scan s;
	json_t *old = NULL, *all = json_array(), *f;
	char *added = NULL, *removed = NULL;
	size_t i;
	int rc = pipeline_scan_evidence_locked(r->p, c->repo, c->digest, &s);

	if (!rc)
		old = json_loads(s.findings ? s.findings : "[]", 0, NULL);
	if (!rc && (!json_is_array(old) || !all))
		rc = err_set(ERR_INVALID, "stored findings of '%s@%s' are "
			     "unreadable", c->repo, c->digest);
	json_array_foreach(old, i, f)
		if (!pipeline_finding_is_dep(f))
			json_array_append(all, f);
	json_array_extend(all, c->deps);
	if (!rc)
		rc = pipeline_scan_write(r->p, c->repo, c->digest, all,
					 s.incomplete, dbver,
					 ", changed=strftime("
					 "'%Y-%m-%dT%H:%M:%SZ','now')");
	if (!rc) {
		added = ids_diff(c->deps, old);
		removed = ids_diff(old, c->deps);
	}
	if (!rc && (!added || !removed))
		rc = err_set(ERR_NOMEM, "out of memory");
	if (!rc) {
		const char *args[] = { c->repo, c->digest, now, dbver, added,
				       removed };

		rc = pipeline_run(r->p, "INSERT INTO scan_changes(repo, "
				  "digest, time, advisory_db, added, removed)"
				  " VALUES(?,?,?,?,?,?)", NULL, 6, args);
	}
	if (!rc && *added)
		r->st->became_affected++;
	if (!rc)
		rc = pipeline_enqueue_locked(r->p, PIPELINE_ATTEST, c->repo,
					     c->digest, NULL);
	free(added);
	free(removed);
	json_decref(old);
	json_decref(all);
	pipeline_scan_release(&s);
	return rc;
}

/* Match one changed version's dependencies again (from the cache) and
 * render its new dependency findings into c->deps. */
static int rebuild(struct run *r, sqlite3_stmt *st, struct change *c)
{
	int rc = 0, step;

	version_reset(&r->cur);
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, c->repo, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->digest, -1, SQLITE_STATIC);
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW)
		rc = add_dep(r, col(st, 0), col(st, 1),
			     sqlite3_column_text(st, 2) ? col(st, 2) : NULL,
			     col(st, 3), sqlite3_column_int(st, 4));
	if (!rc && step != SQLITE_DONE)
		rc = pipeline_sql_fail(r->p, "read a version's dependencies");
	if (!rc)
		rc = render_deps(&r->cur, &c->deps);
	version_reset(&r->cur);
	return rc;
}

static int write_phase(struct run *r, const char *dbver, int64_t job_id)
{
	const char *args[] = { dbver };
	sqlite3_stmt *st = NULL;
	char now[32];
	int rc = pipeline_begin(r->p);

	if (rc)
		return rc;
	attest_now(now);
	rc = pipeline_prepare(r->p, "SELECT package, spec, version, file, "
			      "line FROM scan_deps WHERE repo=? AND digest=?",
			      &st);
	for (size_t i = 0; !rc && i < r->n_changes; i++) {
		struct change *c = &r->changes[i];

		rc = rebuild(r, st, c);
		if (!rc)
			rc = apply_change(r, c, dbver, now);
		json_decref(c->deps);
		c->deps = NULL;
		/* Commit in batches so pushes are not held up. A crash between
		 * batches is safe: the job is not done, it runs again, and the
		 * versions already rewritten compare equal and are skipped. */
		if (!rc && (i + 1) % REEVAL_BATCH == 0) {
			rc = pipeline_end(r->p, 0);
			if (!rc)
				rc = pipeline_begin(r->p);
			if (rc) {
				sqlite3_finalize(st);
				return rc;
			}
		}
	}
	sqlite3_finalize(st);
	if (!rc)
		rc = pipeline_run(r->p, "INSERT OR REPLACE INTO pipeline_state"
				  "(key, value) VALUES('reeval_db_version', ?)",
				  NULL, 1, args);
	if (!rc && job_id > 0)
		rc = pipeline_job_done_locked(r->p, job_id);
	r->st->changed = (int64_t)r->n_changes;
	return pipeline_end(r->p, rc);
}

int pipeline_reevaluate(struct pipeline *p, struct vuln_db *db,
			const char *db_version, int64_t job_id,
			struct pipeline_reeval *st)
{
	struct run r = { .p = p, .st = st };
	struct timespec t0, t1;
	int rc;

	memset(st, 0, sizeof(*st));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = vuln_matcher_new(db, &r.m);
	if (!rc)
		rc = read_phase(&r);
	if (!rc)
		rc = write_phase(&r, db_version, job_id);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->seconds = (double)(t1.tv_sec - t0.tv_sec) +
		      (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	version_reset(&r.cur);
	for (size_t i = 0; i < r.n_changes; i++)
		json_decref(r.changes[i].deps);
	free(r.changes);
	cache_release(&r.cache);
	vuln_matcher_free(r.m);
	return rc;
}

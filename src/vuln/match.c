/* Dependency matching: pins by version, ranges by interval overlap. */
#include "vuln/match.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/err.h"
#include "vuln/cvss.h"

#define MATCHER_MAX_PACKAGES 1000000

struct slot {
	char *package;
	struct vuln_advs advs;
};

struct vuln_matcher {
	struct vuln_db *db;
	struct slot *slots;      /* open addressing, power-of-two size */
	size_t size, used;
};

int vuln_matcher_new(struct vuln_db *db, struct vuln_matcher **out)
{
	struct vuln_matcher *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (!m)
		return err_set(ERR_NOMEM, "out of memory");
	m->db = db;
	m->size = 256;
	m->slots = calloc(m->size, sizeof(*m->slots));
	if (!m->slots) {
		free(m);
		return err_set(ERR_NOMEM, "out of memory");
	}
	*out = m;
	return 0;
}

void vuln_matcher_free(struct vuln_matcher *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->size; i++) {
		free(m->slots[i].package);
		vuln_advs_release(&m->slots[i].advs);
	}
	free(m->slots);
	free(m);
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct slot *find_slot(struct slot *slots, size_t size,
			      const char *pkg)
{
	size_t i = (size_t)hash(pkg) & (size - 1);

	while (slots[i].package && strcmp(slots[i].package, pkg))
		i = (i + 1) & (size - 1);
	return &slots[i];
}

static int grow(struct vuln_matcher *m)
{
	size_t size = m->size * 2;
	struct slot *slots = calloc(size, sizeof(*slots));

	if (!slots)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < m->size; i++)
		if (m->slots[i].package)
			*find_slot(slots, size, m->slots[i].package) =
				m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->size = size;
	return 0;
}

static bool share_id(const struct vuln_adv *a, const struct vuln_adv *b)
{
	if (!strcmp(a->group, b->group) || !strcmp(a->id, b->id))
		return true;
	for (size_t i = 0; i <= a->n_aliases; i++) {
		const char *x = i ? a->aliases[i - 1] : a->id;

		for (size_t k = 0; k <= b->n_aliases; k++)
			if (!strcmp(x, k ? b->aliases[k - 1] : b->id))
				return true;
	}
	return false;
}

static size_t root_of(struct vuln_advs *advs, size_t i)
{
	while (advs->v[i].issue != i)
		i = advs->v[i].issue = advs->v[advs->v[i].issue].issue;
	return i;
}

/*
 * Number the package's issues once: advisories sharing an id or alias
 * (transitively) get the same number, so matching merges in O(1).
 */
static void number_issues(struct vuln_advs *advs)
{
	for (size_t i = 0; i < advs->n; i++)
		advs->v[i].issue = i;
	for (size_t i = 0; i < advs->n; i++)
		for (size_t k = i + 1; k < advs->n; k++)
			if (share_id(&advs->v[i], &advs->v[k]))
				advs->v[root_of(advs, k)].issue =
					root_of(advs, i);
	for (size_t i = 0; i < advs->n; i++)
		advs->v[i].issue = root_of(advs, i);
}

/* The package's advisories, loaded once per matcher. */
static int advisories(struct vuln_matcher *m, const char *pkg,
		      const struct vuln_advs **out)
{
	struct slot *s = find_slot(m->slots, m->size, pkg);
	int rc;

	if (!s->package) {
		if (m->used >= MATCHER_MAX_PACKAGES)
			return err_set(ERR_LIMIT, "matcher: more than %d "
				       "packages", MATCHER_MAX_PACKAGES);
		if (2 * (m->used + 1) > m->size) {
			if ((rc = grow(m)))
				return rc;
			s = find_slot(m->slots, m->size, pkg);
		}
		rc = vulndb_package(m->db, pkg, &s->advs);
		if (rc)
			return rc;
		number_issues(&s->advs);
		s->package = strdup(pkg);
		if (!s->package) {
			vuln_advs_release(&s->advs);
			return err_set(ERR_NOMEM, "out of memory");
		}
		m->used++;
	}
	*out = &s->advs;
	return 0;
}

const char *vuln_severity(double score, const char *label)
{
	if (score > 0)
		return cvss_band(score);
	if (label)
		return label;
	return score == 0 ? "low" : "medium";
}

/* Interval text ---------------------------------------------------- */

static int put_version(struct buf *b, const char *op,
		       const struct pep440_version *v)
{
	char s[PEP440_MAX_LEN * 2];

	if (pep440_format(v, s, sizeof(s)))
		return ERR_LIMIT;
	return buf_printf(b, "%s%s", op, s);
}

/* The buffer's text ("" when empty), or NULL after a failure. */
static char *text_of(struct buf *b, int rc)
{
	char *s;

	if (rc) {
		buf_release(b);
		return NULL;
	}
	s = buf_detach(b, NULL);
	return s ? s : strdup("");
}

char *vuln_affected_text(const struct vuln_adv *a)
{
	struct buf b = BUF_INIT(1 << 20);
	int rc = 0;

	for (size_t i = 0; i < a->n_iv && !rc; i++) {
		const struct osv_interval *iv = &a->iv[i];

		if (i)
			rc = buf_puts(&b, " or ");
		if (!rc && iv->has_lo)
			rc = put_version(&b, ">=", &iv->lo);
		if (!rc && iv->has_lo && iv->has_hi)
			rc = buf_putc(&b, ',');
		if (!rc && iv->has_hi)
			rc = put_version(&b, iv->hi_inclusive ? "<=" : "<",
					 &iv->hi);
		if (!rc && !iv->has_lo && !iv->has_hi)
			rc = buf_puts(&b, "all versions");
	}
	if (!rc && !a->n_iv && a->aff.n_versions)
		rc = buf_printf(&b, "%zu listed versions", a->aff.n_versions);
	return text_of(&b, rc);
}

/* Safe versions ----------------------------------------------------- */

/* Order intervals by lower bound, an open lower bound first. */
static int iv_cmp(const void *pa, const void *pb)
{
	const struct osv_interval *a = pa, *b = pb;

	if (!a->has_lo || !b->has_lo)
		return (int)a->has_lo - (int)b->has_lo;
	return pep440_cmp(&a->lo, &b->lo);
}

/* Does b start at or before the end of a (so they join)? */
static bool joins(const struct osv_interval *a, const struct osv_interval *b)
{
	int c;

	if (!a->has_hi || !b->has_lo)
		return true;
	c = pep440_cmp(&b->lo, &a->hi);
	return c < 0 || c == 0;
}

static void extend(struct osv_interval *a, const struct osv_interval *b)
{
	int c;

	if (!a->has_hi)
		return;
	if (!b->has_hi) {
		a->has_hi = false;
		return;
	}
	c = pep440_cmp(&b->hi, &a->hi);
	if (c > 0 || (c == 0 && b->hi_inclusive)) {
		a->hi = b->hi;
		a->hi_inclusive = b->hi_inclusive;
	}
}

/* Merge overlapping intervals in place; returns the new count. */
static size_t merge(struct osv_interval *iv, size_t n)
{
	size_t o = 0;

	qsort(iv, n, sizeof(*iv), iv_cmp);
	for (size_t i = 0; i < n; i++) {
		if (o && joins(&iv[o - 1], &iv[i]))
			extend(&iv[o - 1], &iv[i]);
		else
			iv[o++] = iv[i];
	}
	return o;
}

/* A span of versions; open sides have has_* false. */
struct span {
	bool has_lo, lo_incl, has_hi, hi_incl;
	struct pep440_version lo, hi;
};

/* The gaps between merged, sorted intervals; out holds n + 1 spans. */
static size_t gaps(const struct osv_interval *iv, size_t n,
		   struct span *out)
{
	size_t o = 0;

	if (iv[0].has_lo)
		out[o++] = (struct span){ .has_hi = true, .hi = iv[0].lo };
	for (size_t i = 0; i + 1 < n; i++)
		out[o++] = (struct span){ .has_lo = true,
			.lo_incl = !iv[i].hi_inclusive, .lo = iv[i].hi,
			.has_hi = true, .hi = iv[i + 1].lo };
	if (iv[n - 1].has_hi)
		out[o++] = (struct span){ .has_lo = true,
			.lo_incl = !iv[n - 1].hi_inclusive,
			.lo = iv[n - 1].hi };
	return o;
}

/* Narrow s to the specifier's span; false when nothing is left. */
static bool clip(struct span *s, const struct pep440_bound *lo,
		 const struct pep440_bound *hi)
{
	int c;

	if (lo->has && (!s->has_lo || (c = pep440_cmp(&lo->v, &s->lo)) > 0 ||
			(c == 0 && !lo->inclusive))) {
		s->has_lo = true;
		s->lo = lo->v;
		s->lo_incl = lo->inclusive;
	}
	if (hi->has && (!s->has_hi || (c = pep440_cmp(&hi->v, &s->hi)) < 0 ||
			(c == 0 && !hi->inclusive))) {
		s->has_hi = true;
		s->hi = hi->v;
		s->hi_incl = hi->inclusive;
	}
	if (!s->has_lo || !s->has_hi)
		return true;
	c = pep440_cmp(&s->lo, &s->hi);
	return c < 0 || (c == 0 && s->lo_incl && s->hi_incl);
}

static int put_span(struct buf *b, const struct span *s)
{
	int rc = b->len ? buf_puts(b, " or ") : 0;

	if (!rc && s->has_lo)
		rc = put_version(b, s->lo_incl ? ">=" : ">", &s->lo);
	if (!rc && s->has_lo && s->has_hi)
		rc = buf_putc(b, ',');
	if (!rc && s->has_hi) {
		struct pep440_version h = s->hi;

		/* "<2.2.dev0" reads as "<2.2", which PEP 440 means anyway. */
		if (!s->hi_incl && h.has_dev && !h.dev && !h.has_post &&
		    h.pre == PEP440_PRE_NONE)
			h.has_dev = false;
		rc = put_version(b, s->hi_incl ? "<=" : "<", &h);
	}
	if (!rc && !s->has_lo && !s->has_hi)
		rc = buf_puts(b, "any version");
	return rc;
}

/*
 * The versions outside every interval of iv as text, only those inside
 * [lo, hi] when the bounds are given (a range's own span). iv is sorted
 * and merged in place.
 */
static char *gaps_text(struct osv_interval *iv, size_t n_iv,
		       const struct pep440_bound *lo,
		       const struct pep440_bound *hi)
{
	struct buf b = BUF_INIT(1 << 20);
	struct span *sp = malloc((n_iv + 1) * sizeof(*sp));
	size_t n;
	int rc = 0;

	if (!sp)
		return NULL;
	n = gaps(iv, merge(iv, n_iv), sp);
	for (size_t i = 0; i < n && !rc; i++)
		if (!lo || clip(&sp[i], lo, hi))
			rc = put_span(&b, &sp[i]);
	if (!rc && !b.len)
		rc = buf_puts(&b, lo ? "none in this range" : "none");
	free(sp);
	return text_of(&b, rc);
}

/*
 * The safe versions of an issue: outside the affected intervals of every
 * advisory numbered issue (they may disagree on the fix).
 */
static char *issue_safe_text(const struct vuln_advs *advs, size_t issue,
			     const struct pep440_bound *lo,
			     const struct pep440_bound *hi)
{
	struct osv_interval *iv;
	size_t n = 0, listed = 0;
	char *text;

	for (size_t i = 0; i < advs->n; i++)
		if (advs->v[i].issue == issue) {
			n += advs->v[i].n_iv;
			listed += advs->v[i].aff.n_versions;
		}
	if (!n)
		return strdup(listed ? "any version not listed in the "
			      "advisory" : "unknown");
	iv = malloc(n * sizeof(*iv));
	if (!iv)
		return NULL;
	n = 0;
	for (size_t i = 0; i < advs->n; i++)
		if (advs->v[i].issue == issue) {
			memcpy(iv + n, advs->v[i].iv,
			       advs->v[i].n_iv * sizeof(*iv));
			n += advs->v[i].n_iv;
		}
	text = gaps_text(iv, n, lo, hi);
	free(iv);
	return text;
}

char *vuln_safe_text(const struct vuln_adv *a)
{
	struct osv_interval *iv;
	char *text;

	if (!a->n_iv)
		return strdup(a->aff.n_versions ? "any version not listed in "
			      "the advisory" : "unknown");
	iv = malloc(a->n_iv * sizeof(*iv));
	if (!iv)
		return NULL;
	memcpy(iv, a->iv, a->n_iv * sizeof(*iv));
	text = gaps_text(iv, a->n_iv, NULL, NULL);
	free(iv);
	return text;
}

/* Findings ---------------------------------------------------------- */

static void finding_free(struct vuln_finding *f)
{
	free(f->package);
	free(f->version);
	free(f->id);
	for (size_t i = 0; i < f->n_aliases; i++)
		free(f->aliases[i]);
	free(f->aliases);
	free(f->summary);
	free(f->url);
	free(f->severity);
	for (size_t i = 0; i < f->n_fixed; i++)
		free(f->fixed[i]);
	free(f->fixed);
	free(f->safe);
	free(f->file);
}

void vuln_findings_release(struct vuln_findings *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->n; i++)
		finding_free(&f->v[i]);
	free(f->v);
	memset(f, 0, sizeof(*f));
}

static bool has_str(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return true;
	return false;
}

static int add_str(char ***list, size_t *n, const char *s)
{
	char **grown;

	if (!s || has_str(*list, *n, s))
		return 0;
	grown = realloc(*list, (*n + 1) * sizeof(char *));
	if (!grown)
		return err_set(ERR_NOMEM, "out of memory");
	*list = grown;
	grown[*n] = strdup(s);
	if (!grown[*n])
		return err_set(ERR_NOMEM, "out of memory");
	(*n)++;
	return 0;
}

/* Put every id of a into the finding's id set (id stays one of them). */
static int absorb_ids(struct vuln_finding *f, const struct vuln_adv *a)
{
	int rc = add_str(&f->aliases, &f->n_aliases, a->id);

	for (size_t i = 0; !rc && i < a->n_aliases; i++)
		rc = add_str(&f->aliases, &f->n_aliases, a->aliases[i]);
	return rc;
}

/* Report under the lowest CVE; the rest become aliases, sorted. */
static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void choose_id(struct vuln_finding *f)
{
	size_t best = SIZE_MAX;
	char *tmp;

	for (size_t i = 0; i < f->n_aliases; i++)
		if (!strncmp(f->aliases[i], "CVE-", 4) &&
		    (best == SIZE_MAX ||
		     strcmp(f->aliases[i], f->aliases[best]) < 0))
			best = i;
	if (best != SIZE_MAX && strncmp(f->id, "CVE-", 4)) {
		tmp = f->id;
		f->id = f->aliases[best];
		f->aliases[best] = tmp;
	} else if (best != SIZE_MAX && strcmp(f->aliases[best], f->id) < 0) {
		tmp = f->id;
		f->id = f->aliases[best];
		f->aliases[best] = tmp;
	}
	/* The id itself never stays among its aliases. */
	for (size_t i = 0; i < f->n_aliases; i++)
		if (!strcmp(f->aliases[i], f->id)) {
			free(f->aliases[i]);
			f->aliases[i] = f->aliases[--f->n_aliases];
			i--;
		}
	if (f->n_aliases > 1)
		qsort(f->aliases, f->n_aliases, sizeof(char *), str_cmp);
}

static int fixed_cmp(const void *pa, const void *pb)
{
	struct pep440_version a, b;

	pep440_parse(*(char *const *)pa, &a);
	pep440_parse(*(char *const *)pb, &b);
	return pep440_cmp(&a, &b);
}

static int merge_into(struct vuln_finding *f, const struct vuln_adv *a)
{
	int rc = absorb_ids(f, a);

	for (size_t i = 0; !rc && i < a->n_fixed; i++)
		rc = add_str(&f->fixed, &f->n_fixed, a->fixed[i]);
	if (!rc && a->score > f->score) {
		char *sev = strdup(vuln_severity(a->score, a->label));

		if (!sev)
			return err_set(ERR_NOMEM, "out of memory");
		free(f->severity);
		f->severity = sev;
		f->score = a->score;
	}
	if (!rc && !f->url && a->url && !(f->url = strdup(a->url)))
		rc = err_set(ERR_NOMEM, "out of memory");
	choose_id(f);
	if (f->n_fixed > 1)
		qsort(f->fixed, f->n_fixed, sizeof(char *), fixed_cmp);
	return rc;
}

/* The specifier's span for a range, NULL sides for a pin. */
struct within {
	const struct pep440_bound *lo, *hi;
};

static int new_finding(struct vuln_findings *out, const struct vuln_dep *dep,
		       const struct vuln_adv *a, const struct within *w)
{
	bool pinned = !w->lo;
	struct vuln_finding *f, *grown;

	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 8;

		grown = realloc(out->v, cap * sizeof(*grown));
		if (!grown)
			return err_set(ERR_NOMEM, "out of memory");
		out->v = grown;
		out->cap = cap;
	}
	f = &out->v[out->n];
	memset(f, 0, sizeof(*f));
	f->score = -1;
	f->pinned = pinned;
	f->line = dep->line;
	f->issue = a->issue;
	f->package = strdup(dep->name);
	f->version = strdup(pinned ? dep->version : dep->spec);
	f->id = strdup(a->group);
	f->summary = strdup(a->summary);
	f->severity = strdup(vuln_severity(a->score, a->label));
	f->file = strdup(dep->file);
	out->n++;
	if (!f->package || !f->version || !f->id || !f->summary ||
	    !f->severity || !f->file)
		return err_set(ERR_NOMEM, "out of memory");
	f->score = a->score;
	return merge_into(f, a);
}

/* Add a as a finding of dep, or merge it into one for the same issue. */
static int report(struct vuln_findings *out, size_t first,
		  const struct vuln_dep *dep, const struct vuln_adv *a,
		  const struct within *w)
{
	for (size_t i = first; i < out->n; i++)
		if (out->v[i].issue == a->issue)
			return merge_into(&out->v[i], a);
	return new_finding(out, dep, a, w);
}

/* Ranges ------------------------------------------------------------ */

/* Does the specifier's span [lo, hi] reach the affected interval? */
static bool overlaps(const struct pep440_bound *lo,
		     const struct pep440_bound *hi,
		     const struct osv_interval *iv)
{
	int c;

	if (lo->has && iv->has_hi) {
		c = pep440_cmp(&lo->v, &iv->hi);
		if (c > 0 || (c == 0 && !(lo->inclusive && iv->hi_inclusive)))
			return false;
	}
	if (hi->has && iv->has_lo) {
		c = pep440_cmp(&iv->lo, &hi->v);
		if (c > 0 || (c == 0 && !hi->inclusive))
			return false;
	}
	return true;
}

static bool range_admits(const struct pep440_specset *set,
			 const struct within *w, const struct vuln_adv *a)
{
	for (size_t i = 0; i < a->n_iv; i++)
		if (overlaps(w->lo, w->hi, &a->iv[i]))
			return true;
	/* Listed versions inside an interval were covered above. */
	for (size_t i = 0; i < a->n_extra; i++)
		if (pep440_specset_contains(set, &a->extra[i], false))
			return true;
	return false;
}

int vuln_match_dep(struct vuln_matcher *m, const struct vuln_dep *dep,
		   struct vuln_findings *out)
{
	const struct vuln_advs *advs = NULL;
	struct pep440_specset set;
	struct pep440_version v;
	struct pep440_bound lo, hi;
	struct within w = { NULL, NULL };
	size_t first = out->n;
	bool pinned = dep->version != NULL;
	int rc;

	if (pinned && pep440_parse(dep->version, &v) == ERR_LIMIT)
		return err_set(ERR_INVALID, "%s:%d: version '%.60s' of %s "
			       "is absurd", dep->file, dep->line,
			       dep->version, dep->name);
	if (!pinned && pep440_specset_parse(dep->spec, &set))
		return err_set(ERR_INVALID, "%s:%d: bad range '%.80s' of %s",
			       dep->file, dep->line, dep->spec, dep->name);
	/* A set that admits no version at all cannot reach an advisory. */
	if (!pinned && pep440_specset_bounds(&set, &lo, &hi))
		return 0;
	if (!pinned) {
		w.lo = &lo;
		w.hi = &hi;
	}
	rc = advisories(m, dep->name, &advs);
	for (size_t i = 0; !rc && i < advs->n; i++) {
		const struct vuln_adv *a = &advs->v[i];
		bool hit = pinned ? vuln_adv_affects(a, &v)
				  : range_admits(&set, &w, a);

		if (hit)
			rc = report(out, first, dep, a, &w);
	}
	/* Safe versions once every advisory of each issue is known. */
	for (size_t i = first; !rc && i < out->n; i++) {
		out->v[i].safe = issue_safe_text(advs, out->v[i].issue, w.lo,
						 w.hi);
		if (!out->v[i].safe)
			rc = err_set(ERR_NOMEM, "out of memory");
	}
	return rc;
}

int vuln_check_dir(struct vuln_db *db, const char *dir,
		   struct vuln_deps *deps, struct vuln_findings *out)
{
	struct vuln_matcher *m = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = vuln_deps_scan_dir(dir, deps);
	if (!rc)
		rc = vuln_matcher_new(db, &m);
	for (size_t i = 0; !rc && i < deps->n; i++) {
		rc = vuln_match_dep(m, &deps->v[i], out);
		if (rc == ERR_INVALID)
			rc = vuln_deps_problem(deps, deps->v[i].file,
					       err_msg());
	}
	vuln_matcher_free(m);
	return rc;
}

/* OSV ECOSYSTEM ranges walked in PEP 440 order into intervals. */
#include "vuln/osv.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

struct sorted_event {
	enum osv_event_kind kind;
	bool zero;                     /* introduced "0": before everything */
	struct pep440_version v;
};

static int event_cmp(const void *pa, const void *pb)
{
	const struct sorted_event *a = pa, *b = pb;
	int c;

	if (a->zero != b->zero)
		return a->zero ? -1 : 1;
	c = a->zero ? 0 : pep440_cmp(&a->v, &b->v);
	if (c)
		return c;
	/* Same version: open before closing so a point is not lost. */
	return (int)a->kind - (int)b->kind;
}

static int sort_events(const struct osv_range *r, struct sorted_event **out)
{
	struct sorted_event *ev = calloc(r->n ? r->n : 1, sizeof(*ev));

	if (!ev)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < r->n; i++) {
		ev[i].kind = r->ev[i].kind;
		ev[i].zero = r->ev[i].kind == OSV_INTRODUCED &&
			     !strcmp(r->ev[i].version, "0");
		/* A non-PEP 440 version still orders (legacy rule). */
		if (!ev[i].zero &&
		    pep440_parse(r->ev[i].version, &ev[i].v) == ERR_LIMIT)
			ev[i].v.legacy = true;
	}
	qsort(ev, r->n, sizeof(*ev), event_cmp);
	*out = ev;
	return 0;
}

/* Cut every interval at the lowest limit event (exclusive). */
static void apply_limit(struct osv_interval *iv, size_t *n,
			const struct pep440_version *limit)
{
	size_t o = 0;

	for (size_t i = 0; i < *n; i++) {
		if (iv[i].has_lo && pep440_cmp(&iv[i].lo, limit) >= 0)
			continue;
		if (!iv[i].has_hi || pep440_cmp(&iv[i].hi, limit) >= 0) {
			iv[i].has_hi = true;
			iv[i].hi_inclusive = false;
			iv[i].hi = *limit;
		}
		iv[o++] = iv[i];
	}
	*n = o;
}

static void walk(const struct sorted_event *ev, size_t n,
		 struct osv_interval *iv, size_t *niv)
{
	const struct pep440_version *limit = NULL;
	struct osv_interval cur;
	bool open = false;
	size_t start = *niv;

	for (size_t i = 0; i < n; i++) {
		const struct sorted_event *e = &ev[i];

		if (e->kind == OSV_LIMIT) {
			if (!limit)
				limit = &e->v;
		} else if (e->kind == OSV_INTRODUCED && !open) {
			memset(&cur, 0, sizeof(cur));
			cur.has_lo = !e->zero;
			if (cur.has_lo)
				cur.lo = e->v;
			open = true;
		} else if (e->kind != OSV_INTRODUCED && open) {
			cur.has_hi = true;
			cur.hi_inclusive = e->kind == OSV_LAST_AFFECTED;
			cur.hi = e->v;
			iv[(*niv)++] = cur;
			open = false;
		}
	}
	if (open)
		iv[(*niv)++] = cur;
	if (limit) {
		size_t m = *niv - start;

		apply_limit(iv + start, &m, limit);
		*niv = start + m;
	}
}

int osv_intervals(const struct osv_affected *a, struct osv_interval **out,
		  size_t *n)
{
	struct sorted_event *ev = NULL;
	struct osv_interval *iv;
	size_t total = 0;
	int rc;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < a->n_ranges; i++)
		total += a->ranges[i].n;
	iv = calloc(total ? total : 1, sizeof(*iv));
	if (!iv)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < a->n_ranges; i++) {
		rc = sort_events(&a->ranges[i], &ev);
		if (rc) {
			free(iv);
			return rc;
		}
		walk(ev, a->ranges[i].n, iv, n);
		free(ev);
	}
	*out = iv;
	return 0;
}

static bool in_interval(const struct osv_interval *iv,
			const struct pep440_version *v)
{
	int c;

	if (iv->has_lo && pep440_cmp(v, &iv->lo) < 0)
		return false;
	if (!iv->has_hi)
		return true;
	c = pep440_cmp(v, &iv->hi);
	return c < 0 || (c == 0 && iv->hi_inclusive);
}

bool osv_affects(const struct osv_affected *a,
		 const struct osv_interval *iv, size_t n,
		 const struct pep440_version *v)
{
	struct pep440_version lv;

	for (size_t i = 0; i < n; i++)
		if (in_interval(&iv[i], v))
			return true;
	for (size_t i = 0; i < a->n_versions; i++) {
		if (pep440_parse(a->versions[i], &lv) == ERR_LIMIT)
			continue;
		if (pep440_cmp(&lv, v) == 0)
			return true;
	}
	return false;
}

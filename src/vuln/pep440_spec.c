/* PEP 440 specifier sets: parsing, membership and the interval spanned. */
#include "vuln/pep440.h"

#include <ctype.h>
#include <string.h>

#include "util/err.h"

static const struct {
	const char *text;
	enum pep440_op op;
} ops[] = {
	/* Longest first so "===" is not read as "==". */
	{ "===", PEP440_ARBITRARY }, { "~=", PEP440_COMPAT },
	{ "==", PEP440_EQ }, { "!=", PEP440_NE }, { "<=", PEP440_LE },
	{ ">=", PEP440_GE }, { "<", PEP440_LT }, { ">", PEP440_GT },
};

static bool only_release(const struct pep440_version *v)
{
	return v->pre == PEP440_PRE_NONE && !v->has_post && !v->has_dev &&
	       !v->local[0];
}

static int spec_check(struct pep440_spec *sp, const char *text)
{
	switch (sp->op) {
	case PEP440_EQ:
	case PEP440_NE:
		if (sp->wildcard && !only_release(&sp->v))
			break;
		return 0;
	case PEP440_COMPAT:
		if (sp->v.n_release < 2 || sp->v.local[0])
			break;
		return 0;
	case PEP440_ARBITRARY:
		return 0;
	default:
		if (sp->v.local[0])
			break;
		return 0;
	}
	return err_set(ERR_INVALID, "pep440: specifier '%.80s' is not "
		       "allowed", text);
}

/* Parse one specifier from [s, s+n). */
static int spec_parse(const char *s, size_t n, struct pep440_spec *sp)
{
	char text[PEP440_MAX_LEN + 1];
	size_t i;
	int rc;

	memset(sp, 0, sizeof(*sp));
	if (n > PEP440_MAX_LEN)
		return err_set(ERR_LIMIT, "pep440: specifier longer than %d "
			       "bytes", PEP440_MAX_LEN);
	memcpy(text, s, n);
	text[n] = '\0';
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (!strncmp(text, ops[i].text, strlen(ops[i].text)))
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return err_set(ERR_INVALID, "pep440: specifier '%s' has no "
			       "operator", text);
	sp->op = ops[i].op;
	s = text + strlen(ops[i].text);
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if ((sp->op == PEP440_EQ || sp->op == PEP440_NE) && n >= 2 &&
	    !strncmp(s + n - 2, ".*", 2)) {
		sp->wildcard = true;
		text[s - text + (ptrdiff_t)n - 2] = '\0';
	}
	rc = pep440_parse(s, &sp->v);
	if (rc == ERR_LIMIT || (rc && sp->op != PEP440_ARBITRARY))
		return err_set(rc, "pep440: bad version in specifier "
			       "'%.80s'", s);
	if (!sp->v.text[0])
		return err_set(ERR_INVALID, "pep440: specifier without a "
			       "version");
	return spec_check(sp, s);
}

int pep440_specset_parse(const char *s, struct pep440_specset *set)
{
	const char *p = s, *end;
	size_t n;
	int rc;

	set->n = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return 0;
	for (;;) {
		end = strchr(p, ',');
		n = end ? (size_t)(end - p) : strlen(p);
		while (n && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		if (!n)
			return err_set(ERR_INVALID, "pep440: empty specifier "
				       "in '%.80s'", s);
		if (set->n == PEP440_MAX_SPECS)
			return err_set(ERR_LIMIT, "pep440: more than %d "
				       "specifiers", PEP440_MAX_SPECS);
		rc = spec_parse(p, n, &set->s[set->n]);
		if (rc)
			return rc;
		set->n++;
		if (!end)
			return 0;
		p = end + 1;
	}
}

/* The version without its local label. */
static struct pep440_version public_of(const struct pep440_version *v)
{
	struct pep440_version p = *v;

	p.local[0] = '\0';
	return p;
}

/* The epoch and release only. */
static struct pep440_version base_of(const struct pep440_version *v)
{
	struct pep440_version b = public_of(v);

	b.pre = PEP440_PRE_NONE;
	b.pre_n = 0;
	b.has_post = b.has_dev = false;
	b.post = b.dev = 0;
	return b;
}

/* "==1.2.*": same epoch and the release padded with zeros starts so. */
static bool prefix_match(const struct pep440_version *pre, size_t n,
			 const struct pep440_version *v)
{
	if (v->legacy || v->epoch != pre->epoch)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((i < v->n_release ? v->release[i] : 0) != pre->release[i])
			return false;
	return true;
}

static bool spec_eq(const struct pep440_spec *sp,
		    const struct pep440_version *v)
{
	struct pep440_version pv;

	if (sp->wildcard)
		return prefix_match(&sp->v, sp->v.n_release, v);
	pv = sp->v.local[0] ? *v : public_of(v);
	return pep440_cmp(&pv, &sp->v) == 0;
}

static bool same_base(const struct pep440_version *a,
		      const struct pep440_version *b)
{
	struct pep440_version x = base_of(a), y = base_of(b);

	return pep440_cmp(&x, &y) == 0;
}

static bool spec_lt(const struct pep440_spec *sp,
		    const struct pep440_version *v)
{
	if (pep440_cmp(v, &sp->v) >= 0)
		return false;
	/* "<1.0" excludes 1.0rc1 unless the specifier is a pre-release. */
	return pep440_is_prerelease(&sp->v) || !pep440_is_prerelease(v) ||
	       !same_base(v, &sp->v);
}

static bool spec_gt(const struct pep440_spec *sp,
		    const struct pep440_version *v)
{
	if (pep440_cmp(v, &sp->v) <= 0)
		return false;
	/* ">1.0" excludes 1.0.post1 and 1.0+local of the same release. */
	if (!sp->v.has_post && v->has_post && same_base(v, &sp->v))
		return false;
	return !(v->local[0] && same_base(v, &sp->v));
}

static bool spec_compat(const struct pep440_spec *sp,
			const struct pep440_version *v)
{
	struct pep440_version pv = public_of(v);

	return !v->legacy && pep440_cmp(&pv, &sp->v) >= 0 &&
	       prefix_match(&sp->v, sp->v.n_release - 1, v);
}

static bool spec_contains(const struct pep440_spec *sp,
			  const struct pep440_version *v)
{
	struct pep440_version pv = public_of(v);

	switch (sp->op) {
	case PEP440_EQ: return spec_eq(sp, v);
	case PEP440_NE: return !spec_eq(sp, v);
	case PEP440_LE: return pep440_cmp(&pv, &sp->v) <= 0;
	case PEP440_GE: return pep440_cmp(&pv, &sp->v) >= 0;
	case PEP440_LT: return spec_lt(sp, v);
	case PEP440_GT: return spec_gt(sp, v);
	case PEP440_COMPAT: return spec_compat(sp, v);
	case PEP440_ARBITRARY: return !strcmp(sp->v.text, v->text);
	}
	return false;
}

static bool names_prerelease(const struct pep440_specset *set)
{
	for (size_t i = 0; i < set->n; i++)
		if (set->s[i].op != PEP440_NE &&
		    pep440_is_prerelease(&set->s[i].v))
			return true;
	return false;
}

bool pep440_specset_contains(const struct pep440_specset *set,
			     const struct pep440_version *v,
			     bool prereleases)
{
	if (pep440_is_prerelease(v) && !prereleases && !names_prerelease(set))
		return false;
	for (size_t i = 0; i < set->n; i++)
		if (!spec_contains(&set->s[i], v))
			return false;
	return true;
}

bool pep440_specset_pinned(const struct pep440_specset *set)
{
	return set->n == 1 && ((set->s[0].op == PEP440_EQ &&
				!set->s[0].wildcard) ||
			       set->s[0].op == PEP440_ARBITRARY);
}

/* Raise lo to (v, inclusive) when that is tighter. */
static void tighten_lo(struct pep440_bound *lo,
		       const struct pep440_version *v, bool inclusive)
{
	int c = lo->has ? pep440_cmp(v, &lo->v) : 1;

	if (c > 0 || (c == 0 && !inclusive)) {
		lo->has = true;
		lo->v = *v;
		lo->inclusive = inclusive;
	}
}

static void tighten_hi(struct pep440_bound *hi,
		       const struct pep440_version *v, bool inclusive)
{
	int c = hi->has ? pep440_cmp(v, &hi->v) : -1;

	if (c < 0 || (c == 0 && !inclusive)) {
		hi->has = true;
		hi->v = *v;
		hi->inclusive = inclusive;
	}
}

/* The first version with release prefix[0..n) and the one after all. */
static void prefix_span(const struct pep440_version *v, size_t n,
			struct pep440_version *first,
			struct pep440_version *after)
{
	*first = base_of(v);
	first->n_release = n;
	first->has_dev = true;
	*after = *first;
	after->release[n - 1]++;
}

static void spec_bounds(const struct pep440_spec *sp,
			struct pep440_bound *lo, struct pep440_bound *hi)
{
	struct pep440_version first, after;

	switch (sp->op) {
	case PEP440_ARBITRARY:
		if (sp->v.legacy)
			return;
		__attribute__((fallthrough));
	case PEP440_EQ:
		if (sp->wildcard) {
			prefix_span(&sp->v, sp->v.n_release, &first, &after);
			tighten_lo(lo, &first, true);
			tighten_hi(hi, &after, false);
			return;
		}
		tighten_lo(lo, &sp->v, true);
		tighten_hi(hi, &sp->v, true);
		return;
	case PEP440_NE: return;
	case PEP440_LE: tighten_hi(hi, &sp->v, true); return;
	case PEP440_GE: tighten_lo(lo, &sp->v, true); return;
	case PEP440_LT: tighten_hi(hi, &sp->v, false); return;
	case PEP440_GT: tighten_lo(lo, &sp->v, false); return;
	case PEP440_COMPAT:
		prefix_span(&sp->v, sp->v.n_release - 1, &first, &after);
		tighten_lo(lo, &sp->v, true);
		tighten_hi(hi, &after, false);
		return;
	}
}

int pep440_specset_bounds(const struct pep440_specset *set,
			  struct pep440_bound *lo, struct pep440_bound *hi)
{
	int c;

	memset(lo, 0, sizeof(*lo));
	memset(hi, 0, sizeof(*hi));
	for (size_t i = 0; i < set->n; i++)
		spec_bounds(&set->s[i], lo, hi);
	if (!lo->has || !hi->has)
		return 0;
	c = pep440_cmp(&lo->v, &hi->v);
	if (c > 0 || (c == 0 && !(lo->inclusive && hi->inclusive)))
		return err_set(ERR_INVALID, "pep440: specifier set admits "
			       "no version");
	return 0;
}

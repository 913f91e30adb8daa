/* PEP 440 version parsing, ordering and specifiers; PEP 503 names. */
#include "vuln/pep440.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "util/err.h"

/* A cursor over the lower-cased, trimmed version text. */
struct cur {
	const char *p;
};

static bool is_sep(char c)
{
	return c == '-' || c == '_' || c == '.';
}

/* Read digits into *n; 0 when none, 1 when read, ERR_LIMIT on overflow. */
static int read_num(struct cur *c, uint64_t *n)
{
	const char *p = c->p;
	uint64_t v = 0;

	if (!isdigit((unsigned char)*p))
		return 0;
	for (; isdigit((unsigned char)*p); p++) {
		if (v > (PEP440_MAX_NUMBER - (uint64_t)(*p - '0')) / 10)
			return err_set(ERR_LIMIT,
				       "pep440: number too large in version");
		v = v * 10 + (uint64_t)(*p - '0');
	}
	c->p = p;
	*n = v;
	return 1;
}

/* Match one of the words at the cursor (longest listed first). */
static int read_word(struct cur *c, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(words[i]);

		if (!strncmp(c->p, words[i], l)) {
			c->p += l;
			return (int)i;
		}
	}
	return -1;
}

/* [sep] word [sep] [number]; returns 1 matched, 0 not, <0 error. */
static int read_tagged(struct cur *c, const char *const *words, size_t n,
		       int *which, uint64_t *num)
{
	struct cur save = *c;
	int rc;

	if (is_sep(*c->p))
		c->p++;
	*which = read_word(c, words, n);
	if (*which < 0) {
		*c = save;
		return 0;
	}
	save = *c;
	if (is_sep(*c->p))
		c->p++;
	*num = 0;
	rc = read_num(c, num);
	if (rc < 0)
		return rc;
	if (rc == 0)
		*c = save;
	return 1;
}

static int parse_release(struct cur *c, struct pep440_version *v)
{
	uint64_t n = 0;
	int rc;

	rc = read_num(c, &n);
	if (rc <= 0)
		return rc < 0 ? rc : ERR_INVALID;
	if (*c->p == '!') {
		v->epoch = n;
		c->p++;
		rc = read_num(c, &n);
		if (rc <= 0)
			return rc < 0 ? rc : ERR_INVALID;
	}
	v->release[v->n_release++] = n;
	while (c->p[0] == '.' && isdigit((unsigned char)c->p[1])) {
		if (v->n_release == PEP440_MAX_RELEASE)
			return err_set(ERR_LIMIT, "pep440: more than %d "
				       "release segments", PEP440_MAX_RELEASE);
		c->p++;
		rc = read_num(c, &v->release[v->n_release++]);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_suffixes(struct cur *c, struct pep440_version *v)
{
	static const char *const pre[] = { "alpha", "a", "beta", "b",
					   "preview", "pre", "c", "rc" };
	static const int pre_kind[] = { PEP440_PRE_A, PEP440_PRE_A,
		PEP440_PRE_B, PEP440_PRE_B, PEP440_PRE_RC, PEP440_PRE_RC,
		PEP440_PRE_RC, PEP440_PRE_RC };
	static const char *const post[] = { "post", "rev", "r" };
	static const char *const dev[] = { "dev" };
	int which, rc;
	uint64_t n;

	rc = read_tagged(c, pre, 8, &which, &n);
	if (rc < 0)
		return rc;
	if (rc) {
		v->pre = pre_kind[which];
		v->pre_n = n;
	}
	if (c->p[0] == '-' && isdigit((unsigned char)c->p[1])) {
		c->p++;
		rc = read_num(c, &v->post);
		if (rc < 0)
			return rc;
		v->has_post = true;
	} else {
		rc = read_tagged(c, post, 3, &which, &v->post);
		if (rc < 0)
			return rc;
		v->has_post = rc;
	}
	rc = read_tagged(c, dev, 1, &which, &v->dev);
	if (rc < 0)
		return rc;
	v->has_dev = rc;
	return 0;
}

/* Append one local segment, numbers without leading zeros. */
static int local_put(struct pep440_version *v, const char *s, size_t n)
{
	size_t len = strlen(v->local);
	bool digits = true;

	for (size_t i = 0; i < n; i++)
		digits = digits && isdigit((unsigned char)s[i]);
	while (digits && n > 1 && *s == '0') {
		s++;
		n--;
	}
	if (len + n + 1 > PEP440_MAX_LOCAL)
		return err_set(ERR_LIMIT, "pep440: local label longer than "
			       "%d bytes", PEP440_MAX_LOCAL);
	if (len)
		v->local[len++] = '.';
	memcpy(v->local + len, s, n);
	v->local[len + n] = '\0';
	return 0;
}

static int parse_local(struct cur *c, struct pep440_version *v)
{
	const char *seg;
	int rc;

	if (*c->p != '+')
		return 0;
	c->p++;
	for (;;) {
		seg = c->p;
		while (isalnum((unsigned char)*c->p))
			c->p++;
		if (c->p == seg)
			return ERR_INVALID;
		rc = local_put(v, seg, (size_t)(c->p - seg));
		if (rc)
			return rc;
		if (!is_sep(*c->p))
			return 0;
		c->p++;
	}
}

/* Lower-case and trim s into v->text. */
static int load_text(const char *s, struct pep440_version *v)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n > PEP440_MAX_LEN)
		return err_set(ERR_LIMIT, "pep440: version longer than %d "
			       "bytes", PEP440_MAX_LEN);
	for (size_t i = 0; i < n; i++)
		v->text[i] = (char)tolower((unsigned char)s[i]);
	v->text[n] = '\0';
	return 0;
}

int pep440_parse(const char *s, struct pep440_version *v)
{
	struct cur c;
	int rc;

	memset(v, 0, sizeof(*v));
	v->pre = PEP440_PRE_NONE;
	rc = load_text(s, v);
	if (rc)
		return rc;
	c.p = v->text;
	if (*c.p == 'v')
		c.p++;
	rc = parse_release(&c, v);
	if (!rc)
		rc = parse_suffixes(&c, v);
	if (!rc)
		rc = parse_local(&c, v);
	if (!rc && *c.p)
		rc = ERR_INVALID;
	if (rc == ERR_LIMIT)
		return rc;
	if (rc) {
		v->legacy = true;
		return err_set(ERR_INVALID, "pep440: '%s' is not a PEP 440 "
			       "version", v->text);
	}
	return 0;
}

static int cmp_u64(uint64_t a, uint64_t b)
{
	return a < b ? -1 : a > b;
}

static int cmp_release(const struct pep440_version *a,
		       const struct pep440_version *b)
{
	size_t n = a->n_release > b->n_release ? a->n_release : b->n_release;

	for (size_t i = 0; i < n; i++) {
		uint64_t x = i < a->n_release ? a->release[i] : 0;
		uint64_t y = i < b->n_release ? b->release[i] : 0;

		if (x != y)
			return cmp_u64(x, y);
	}
	return 0;
}

/*
 * The pre-release key: a dev release of a final version sorts before its
 * alphas (1.0.dev0 < 1.0a0), a final version after its release candidates.
 */
static int pre_rank(const struct pep440_version *v)
{
	if (v->pre == PEP440_PRE_NONE && !v->has_post && v->has_dev)
		return -2;
	if (v->pre == PEP440_PRE_NONE)
		return 3;
	return v->pre;
}

static int cmp_local_seg(const char *a, size_t na, const char *b, size_t nb)
{
	bool da = true, db = true;
	int c;

	for (size_t i = 0; i < na; i++)
		da = da && isdigit((unsigned char)a[i]);
	for (size_t i = 0; i < nb; i++)
		db = db && isdigit((unsigned char)b[i]);
	/* Numeric segments sort after alphanumeric ones. */
	if (da != db)
		return da ? 1 : -1;
	if (da && na != nb)
		return na < nb ? -1 : 1;
	c = strncmp(a, b, na < nb ? na : nb);
	if (c)
		return c < 0 ? -1 : 1;
	return na < nb ? -1 : na > nb;
}

static int cmp_local(const char *a, const char *b)
{
	if (!*a || !*b)
		return (*a != '\0') - (*b != '\0');
	while (*a && *b) {
		size_t na = strcspn(a, "."), nb = strcspn(b, ".");
		int c = cmp_local_seg(a, na, b, nb);

		if (c)
			return c;
		a += na + (a[na] == '.');
		b += nb + (b[nb] == '.');
	}
	return (*a != '\0') - (*b != '\0');
}

static int cmp_public(const struct pep440_version *a,
		      const struct pep440_version *b)
{
	int c;

	if (a->epoch != b->epoch)
		return cmp_u64(a->epoch, b->epoch);
	c = cmp_release(a, b);
	if (c)
		return c;
	if (pre_rank(a) != pre_rank(b))
		return pre_rank(a) < pre_rank(b) ? -1 : 1;
	if (a->pre != PEP440_PRE_NONE && a->pre_n != b->pre_n)
		return cmp_u64(a->pre_n, b->pre_n);
	if (a->has_post != b->has_post)
		return a->has_post ? 1 : -1;
	if (a->post != b->post)
		return cmp_u64(a->post, b->post);
	if (a->has_dev != b->has_dev)
		return a->has_dev ? -1 : 1;
	return cmp_u64(a->dev, b->dev);
}

int pep440_cmp(const struct pep440_version *a,
	       const struct pep440_version *b)
{
	int c;

	if (a->legacy || b->legacy) {
		if (a->legacy != b->legacy)
			return a->legacy ? -1 : 1;
		c = strcmp(a->text, b->text);
		return c < 0 ? -1 : c > 0;
	}
	c = cmp_public(a, b);
	return c ? c : cmp_local(a->local, b->local);
}

int pep440_format(const struct pep440_version *v, char *out, size_t len)
{
	static const char *const pre[] = { "a", "b", "rc" };
	size_t o = 0;
	int n;

#define PUT(...) do { \
	n = snprintf(out + o, len - o, __VA_ARGS__); \
	if (n < 0 || (size_t)n >= len - o) \
		return err_set(ERR_LIMIT, "pep440: formatted version " \
			       "does not fit"); \
	o += (size_t)n; \
} while (0)
	if (!len)
		return err_set(ERR_LIMIT, "pep440: no room for version");
	out[0] = '\0';
	if (v->legacy) {
		PUT("%s", v->text);
		return 0;
	}
	if (v->epoch)
		PUT("%llu!", (unsigned long long)v->epoch);
	for (size_t i = 0; i < v->n_release; i++)
		PUT("%s%llu", i ? "." : "",
		    (unsigned long long)v->release[i]);
	if (v->pre != PEP440_PRE_NONE)
		PUT("%s%llu", pre[v->pre], (unsigned long long)v->pre_n);
	if (v->has_post)
		PUT(".post%llu", (unsigned long long)v->post);
	if (v->has_dev)
		PUT(".dev%llu", (unsigned long long)v->dev);
	if (v->local[0])
		PUT("+%s", v->local);
#undef PUT
	return 0;
}

bool pep440_is_prerelease(const struct pep440_version *v)
{
	return !v->legacy && (v->pre != PEP440_PRE_NONE || v->has_dev);
}

int pep503_normalize(const char *name, char *out, size_t len)
{
	size_t o = 0;
	bool sep = false;

	if (!*name)
		return err_set(ERR_INVALID, "pep503: empty package name");
	for (const char *p = name; *p; p++) {
		if (is_sep(*p)) {
			sep = true;
			continue;
		}
		if (!isalnum((unsigned char)*p))
			return err_set(ERR_INVALID, "pep503: bad character "
				       "in package name '%.64s'", name);
		if (o + 2 + sep >= len)
			return err_set(ERR_LIMIT, "pep503: package name too "
				       "long");
		if (sep && o)
			out[o++] = '-';
		sep = false;
		out[o++] = (char)tolower((unsigned char)*p);
	}
	if (!o)
		return err_set(ERR_INVALID, "pep503: package name '%.64s' "
			       "has no letters or digits", name);
	out[o] = '\0';
	return 0;
}

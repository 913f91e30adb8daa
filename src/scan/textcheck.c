/* Hidden Unicode and secrets in text a ModelKit carries. Each rule is
 * reported once per text with the count and the first offset, so a
 * tokenizer with thousands of odd tokens stays one finding. */
#include "scan/fmt_util.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "scan/formats.h"
#include "util/err.h"

#include "util/utf8.h"

enum uni_class { UNI_TAG, UNI_BIDI, UNI_INVISIBLE, UNI_N };

enum secret_kind {
	SEC_AWS, SEC_GITHUB, SEC_HF, SEC_OPENAI, SEC_SLACK, SEC_PEM,
	SEC_GOOGLE, SEC_STRIPE, SEC_N
};

struct hit {
	size_t count;
	uint64_t first;
	uint32_t cp;
};

static const char *const uni_rule[UNI_N] = {
	"text-unicode-tag", "text-bidi-control", "text-invisible-unicode",
};

static const char *const uni_what[UNI_N] = {
	"Unicode tag characters (hidden ASCII)",
	"bidirectional control characters",
	"invisible characters",
};

static const char *const sec_rule[SEC_N] = {
	"secret-aws-access-key", "secret-github-token",
	"secret-huggingface-token", "secret-openai-key",
	"secret-slack-token", "secret-private-key",
	"secret-google-api-key", "secret-stripe-key",
};

static const char *const sec_what[SEC_N] = {
	"AWS access key id", "GitHub token", "Hugging Face token",
	"OpenAI API key", "Slack token", "private key block",
	"Google API key", "Stripe live secret key",
};

static int uni_classify(uint32_t cp, bool at_start)
{
	/* U+E0000..E007F spell ASCII invisibly: the smuggling channel. */
	if (cp >= 0xe0000 && cp <= 0xe007f)
		return UNI_TAG;
	/* Embeddings, overrides and isolates reorder what a reader sees. */
	if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069))
		return UNI_BIDI;
	if ((cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2060 && cp <= 0x2064) ||
	    cp == 0x061c || cp == 0x180e || cp == 0x00ad || cp == 0x034f ||
	    cp == 0x115f || cp == 0x1160 || cp == 0x3164 || cp == 0xffa0 ||
	    (cp >= 0xe0100 && cp <= 0xe01ef) || (cp >= 0xfff9 && cp <= 0xfffb))
		return UNI_INVISIBLE;
	if (cp == 0xfeff && !at_start)
		return UNI_INVISIBLE;
	return -1;
}

static enum scan_severity uni_severity(int cls, enum scan_text_ctx ctx)
{
	static const enum scan_severity tab[UNI_N][4] = {
		/* template, config, vocab, doc */
		[UNI_TAG] = { SCAN_HIGH, SCAN_HIGH, SCAN_HIGH, SCAN_HIGH },
		[UNI_BIDI] = { SCAN_HIGH, SCAN_HIGH, SCAN_LOW, SCAN_HIGH },
		[UNI_INVISIBLE] = { SCAN_HIGH, SCAN_MEDIUM, SCAN_INFO,
				    SCAN_LOW },
	};

	return tab[cls][ctx];
}

struct text_hits {
	struct hit uni[UNI_N];
	struct hit sec[SEC_N];
};

/* Count hidden code points starting before lim (the rest of s is look-
 * ahead that the next chunk will count). */
static void uni_scan(struct text_hits *t, const char *s, size_t len,
		     size_t lim, uint64_t base)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0;

	while (i < lim) {
		uint32_t cp;
		size_t n;
		int cls;

		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_decode(p + i, len - i, &cp);
		if (n == 0) {
			i++;
			continue;
		}
		cls = uni_classify(cp, base + i == 0);
		if (cls >= 0 && t->uni[cls].count++ == 0) {
			t->uni[cls].first = base + i;
			t->uni[cls].cp = cp;
		}
		i += n;
	}
}

static int uni_emit(struct scan_report *r, struct scan_file *f,
		    const struct text_hits *t, enum scan_text_ctx ctx)
{
	int rc = 0;

	for (int c = 0; c < UNI_N && !rc; c++) {
		const struct hit *h = &t->uni[c];

		if (!h->count)
			continue;
		rc = scan_add(r, uni_rule[c], uni_severity(c, ctx), f->path,
			      OWASP_PROMPT_INJECTION,
			      "%zu %s, first U+%04X at offset %llu in '%s'",
			      h->count, uni_what[c], (unsigned)h->cp,
			      (unsigned long long)h->first, f->path);
	}
	return rc;
}

static bool is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static bool is_upper(int c)
{
	return c >= 'A' && c <= 'Z';
}

static bool is_lower(int c)
{
	return c >= 'a' && c <= 'z';
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_b64(int c)
{
	return is_alnum(c) || c == '+' || c == '/' || c == '=';
}

/* Length of the run of token characters at s (alnum plus extra). */
static size_t run(const char *s, size_t n, const char *extra)
{
	size_t i = 0;

	while (i < n && (is_alnum((unsigned char)s[i]) ||
			 (s[i] && strchr(extra, s[i]))))
		i++;
	return i;
}

static bool boundary_before(const char *s, size_t i)
{
	return i == 0 || !(is_alnum((unsigned char)s[i - 1]) ||
			   s[i - 1] == '_' || s[i - 1] == '-');
}

/* AKIA/ASIA + 16 base32 characters; the documented example key is not a
 * secret. */
static size_t match_aws(const char *s, size_t n)
{
	static const char *const pfx[] = { "AKIA", "ASIA", "ABIA", "ACCA" };
	size_t k;

	if (n < 20)
		return 0;
	for (k = 0; k < 4; k++)
		if (!memcmp(s, pfx[k], 4))
			break;
	if (k == 4)
		return 0;
	for (size_t i = 4; i < 20; i++)
		if (!is_upper((unsigned char)s[i]) &&
		    !(s[i] >= '2' && s[i] <= '7'))
			return 0;
	if (n > 20 && is_alnum((unsigned char)s[20]))
		return 0;
	if (memmem(s, 20, "EXAMPLE", 7))
		return 0;
	return 20;
}

static size_t match_github(const char *s, size_t n)
{
	size_t l;

	if (n > 11 && !memcmp(s, "github_pat_", 11)) {
		l = run(s + 11, n - 11, "_");
		return l >= 60 ? 11 + l : 0;
	}
	if (n < 40 || s[0] != 'g' || s[1] != 'h' || !strchr("pousr", s[2]) ||
	    s[3] != '_')
		return 0;
	l = run(s + 4, n - 4, "");
	return l >= 36 && l <= 255 ? 4 + l : 0;
}

/* hf_ + 34 letters. Identifiers such as hf_AutoModelForCausalLM... are
 * refused: random tokens mix cases and have lowercase letters standing
 * alone between capitals, CamelCase words never do. */
static size_t match_hf(const char *s, size_t n)
{
	size_t up = 0, lo = 0, lone = 0;

	if (n < 37 || memcmp(s, "hf_", 3))
		return 0;
	for (size_t i = 3; i < 37; i++) {
		int c = (unsigned char)s[i];

		if (!is_upper(c) && !is_lower(c))
			return 0;
		up += is_upper(c);
		lo += is_lower(c);
		lone += is_lower(c) && i > 3 && i + 1 < 37 &&
			is_upper((unsigned char)s[i - 1]) &&
			is_upper((unsigned char)s[i + 1]);
	}
	if (n > 37 && (is_alnum((unsigned char)s[37]) || s[37] == '_'))
		return 0;
	return up >= 8 && lo >= 8 && lone >= 1 ? 37 : 0;
}

static size_t match_openai(const char *s, size_t n)
{
	static const char *const pfx[] = { "sk-proj-", "sk-svcacct-",
					   "sk-admin-" };
	size_t l;

	if (n < 23 || memcmp(s, "sk-", 3))
		return 0;
	for (size_t k = 0; k < 3; k++) {
		size_t pl = strlen(pfx[k]);

		if (n > pl && !memcmp(s, pfx[k], pl)) {
			l = run(s + pl, n - pl, "_-");
			return l >= 40 ? pl + l : 0;
		}
	}
	/* Legacy keys embed the base64 of "OpenAI". */
	l = run(s + 3, n - 3, "");
	if (l >= 40 && memmem(s + 3, l, "T3BlbkFJ", 8))
		return 3 + l;
	return 0;
}

static size_t match_slack(const char *s, size_t n)
{
	size_t l, digits = 0, dashes = 0;

	if (n < 15 || memcmp(s, "xox", 3) || !strchr("baprse", s[3]) ||
	    s[4] != '-')
		return 0;
	l = run(s + 5, n - 5, "-");
	for (size_t i = 5; i < 5 + l; i++) {
		dashes += s[i] == '-';
		digits += is_digit((unsigned char)s[i]);
	}
	return l >= 20 && dashes >= 2 && digits >= 10 ? 5 + l : 0;
}

/* A PEM private key header followed by real base64 (not "..."). */
static size_t match_pem(const char *s, size_t n)
{
	const char *end, *body;
	size_t b64 = 0;

	if (n < 40 || memcmp(s, "-----BEGIN ", 11))
		return 0;
	end = memchr(s + 11, '\n', n - 11 < 64 ? n - 11 : 64);
	if (!end || !memmem(s + 11, (size_t)(end - s) - 11,
			    "PRIVATE KEY-----", 16))
		return 0;
	body = end + 1;
	while (body < s + n && b64 < 64) {
		if (is_b64((unsigned char)*body))
			b64++;
		else if (*body != '\r' && *body != '\n' && *body != ' ' &&
			 *body != ':' && *body != '-')
			return 0;
		body++;
	}
	return b64 >= 64 ? (size_t)(body - s) : 0;
}

/* AIza + 35 of [A-Za-z0-9_-], the shape Google issues API keys in. */
static size_t match_google(const char *s, size_t n)
{
	size_t l;

	if (n < 39 || memcmp(s, "AIza", 4))
		return 0;
	l = run(s + 4, n - 4, "_-");
	return l == 35 ? 39 : 0;
}

/* sk_live_ / rk_live_ + 24 or more alphanumerics (test keys are not
 * secrets worth a finding). */
static size_t match_stripe(const char *s, size_t n)
{
	size_t l;

	if (n < 32 || (memcmp(s, "sk_live_", 8) && memcmp(s, "rk_live_", 8)))
		return 0;
	l = run(s + 8, n - 8, "");
	return l >= 24 && l <= 255 ? 8 + l : 0;
}

static size_t match_at(const char *s, size_t n, int *kind)
{
	size_t (*const fn[SEC_N])(const char *, size_t) = {
		match_aws, match_github, match_hf, match_openai,
		match_slack, match_pem, match_google, match_stripe,
	};

	for (int k = 0; k < SEC_N; k++) {
		size_t m = fn[k](s, n);

		if (m) {
			*kind = k;
			return m;
		}
	}
	return 0;
}

static void sec_scan(struct text_hits *t, const char *s, size_t len,
		     size_t lim, uint64_t base)
{
	for (size_t i = 0; i < lim; i++) {
		int kind;
		size_t m;

		if (!s[i] || !strchr("Aghsx-", s[i]) || !boundary_before(s, i))
			continue;
		m = match_at(s + i, len - i, &kind);
		if (!m)
			continue;
		if (t->sec[kind].count++ == 0)
			t->sec[kind].first = base + i;
		i += m - 1;
	}
}

static int sec_emit(struct scan_report *r, struct scan_file *f,
		    const struct text_hits *t)
{
	int rc = 0;

	for (int k = 0; k < SEC_N && !rc; k++) {
		const struct hit *h = &t->sec[k];

		if (!h->count)
			continue;
		/* The secret itself is never repeated in the report. */
		rc = scan_add(r, sec_rule[k], SCAN_HIGH, f->path,
			      OWASP_SENSITIVE_INFO,
			      "%zu %s%s, first at offset %llu in '%s'",
			      h->count, sec_what[k],
			      h->count > 1 ? " occurrences" : "",
			      (unsigned long long)h->first, f->path);
	}
	return rc;
}

int scan_fmt_check_unicode(struct scan_report *r, struct scan_file *f,
			   const char *s, size_t len, uint64_t base,
			   enum scan_text_ctx ctx)
{
	struct text_hits t = { 0 };

	uni_scan(&t, s, len, len, base);
	return uni_emit(r, f, &t, ctx);
}

int scan_fmt_check_secrets(struct scan_report *r, struct scan_file *f,
			   const char *s, size_t len, uint64_t base)
{
	struct text_hits t = { 0 };

	sec_scan(&t, s, len, len, base);
	return sec_emit(r, f, &t);
}

int scan_fmt_check_text(struct scan_report *r, struct scan_file *f,
			const char *s, size_t len, uint64_t base,
			enum scan_text_ctx ctx)
{
	int rc = scan_fmt_check_unicode(r, f, s, len, base, ctx);

	return rc ? rc : scan_fmt_check_secrets(r, f, s, len, base);
}

/* Text files are read in chunks that overlap by TX_LOOKAHEAD bytes: a
 * chunk counts only what starts in its first TX_CHUNK bytes, so a secret
 * or a code point across a boundary is seen once, whole. */
#define TX_CHUNK (1u << 20)
#define TX_LOOKAHEAD 4096

static enum scan_text_ctx ctx_for(const char *path)
{
	const char *base = strrchr(path, '/');
	const char *bang = strrchr(path, '!');

	if (bang && (!base || bang > base))
		base = bang;
	base = base ? base + 1 : path;
	if (strstr(base, "tokenizer") || strstr(base, "vocab") ||
	    strstr(base, "merges") || strstr(base, "special_tokens"))
		return SCAN_TEXT_VOCAB;
	if (strstr(base, "prompt") || strstr(base, "system"))
		return SCAN_TEXT_TEMPLATE;
	if (strstr(base, ".json") || strstr(base, ".yaml") ||
	    strstr(base, ".yml") || strstr(base, ".toml") ||
	    strstr(base, "Kitfile"))
		return SCAN_TEXT_CONFIG;
	return SCAN_TEXT_DOC;
}

int scan_fmt_text(struct scan_report *r, struct scan_file *f, int fd,
		  uint64_t size)
{
	struct text_hits t = { 0 };
	char *chunk = malloc(TX_CHUNK + TX_LOOKAHEAD);
	uint64_t pos = 0;
	int rc = 0;

	if (!chunk)
		return scan_fmt_fail(f, ERR_NOMEM, "out of memory");
	while (pos < size) {
		uint64_t left = size - pos;
		size_t n = left < TX_CHUNK + TX_LOOKAHEAD ? (size_t)left :
			   TX_CHUNK + TX_LOOKAHEAD;
		size_t lim = n < TX_CHUNK + TX_LOOKAHEAD ? n : TX_CHUNK;

		rc = scan_fmt_pread(f, fd, pos, chunk, n);
		if (rc) {
			rc = scan_fmt_fail(f, rc, "text: %s", err_msg());
			goto out;
		}
		uni_scan(&t, chunk, n, lim, pos);
		sec_scan(&t, chunk, n, lim, pos);
		pos += lim;
	}
	rc = uni_emit(r, f, &t, ctx_for(f->path));
	if (!rc)
		rc = sec_emit(r, f, &t);
out:
	free(chunk);
	return rc;
}

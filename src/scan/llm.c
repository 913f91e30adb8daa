/*
 * LLM-specific checks on the text a ModelKit carries: chat templates
 * (template injection and hidden instructions), Hugging Face remote-code
 * hooks, invisible Unicode and secrets. Each finding carries its OWASP
 * Top 10 for LLM Applications 2025 id.
 */
#include "scan/engine.h"
#include "scan/rules.h"
#include "util/err.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLM_MAX_TEXT (16u << 20)    /* a hinted file read whole */
#define LLM_TAP_CARRY 128           /* bytes kept across stream chunks */
#define LLM_MIN_BLOB 120            /* base64 run that counts as a blob */

#define OWASP_PROMPT "LLM01:2025"
#define OWASP_DISCLOSURE "LLM02:2025"
#define OWASP_SUPPLY "LLM03:2025"

/* ---- chat templates ---- */

/* Jinja sandbox escapes seen in template-injection reports. */
static const char *const tpl_escapes[] = {
	"__class__", "__globals__", "__builtins__", "__subclasses__",
	"__mro__", "__base__", "__init__", "__import__", "__getattribute__",
	"|attr", "attr(", "lipsum", "cycler", "joiner", "self._Template",
	"os.popen", "subprocess", "eval(", "exec(",
};

static bool has_b64_blob(const char *s, size_t n)
{
	size_t run = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		run = isalnum(ch) || ch == '+' || ch == '/' || ch == '=' ?
		      run + 1 : 0;
		if (run >= LLM_MIN_BLOB)
			return true;
	}
	return false;
}

/*
 * The first quoted literal in a block is ordinary text, not a special
 * token or tag such as '</think>' or '[INST]' that real templates test
 * for, nor a key such as 'content' itself.
 */
static bool plain_literal(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		size_t j;
		char q = p[i];

		if (q != '\'' && q != '"')
			continue;
		for (j = i + 1; j < len && p[j] != q; j++)
			;
		if (j >= len)
			return false;
		if (j > i + 1 && !strchr("<[|", p[i + 1]) &&
		    !(j - i - 1 == 7 && !memcmp(p + i + 1, "content", 7)) &&
		    !(j - i - 1 == 4 && !memcmp(p + i + 1, "role", 4)))
			return true;
		i = j;
	}
	return false;
}

/* A branch on what the user wrote: `if 'x' in message['content']`. */
static bool branches_on_content(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while ((p = memmem(p, (size_t)(end - p), "{%", 2))) {
		const char *close = memmem(p, (size_t)(end - p), "%}", 2);
		size_t len = close ? (size_t)(close - p) : (size_t)(end - p);

		if (memmem(p, len, "if", 2) && memmem(p, len, "content", 7) &&
		    (memmem(p, len, " in ", 4) || memmem(p, len, "==", 2)) &&
		    plain_literal(p, len))
			return true;
		p += 2;
	}
	return false;
}

int scan_llm_template(struct scan_ctx *c, const char *path,
		      const char *where, const char *t, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < sizeof(tpl_escapes) / sizeof(*tpl_escapes);
	     i++) {
		if (!memmem(t, n, tpl_escapes[i], strlen(tpl_escapes[i])))
			continue;
		return scan_add(c->r, "llm-template-injection", SCAN_CRITICAL,
				path, OWASP_SUPPLY, "%s uses '%s', a Jinja "
				"sandbox escape that runs code when the "
				"template renders", where, tpl_escapes[i]);
	}
	if (branches_on_content(t, n))
		rc = scan_add(c->r, "llm-template-hidden-instruction",
			      SCAN_HIGH, path, OWASP_PROMPT, "%s branches on "
			      "the content of messages (a hidden trigger)",
			      where);
	if (!rc && (memmem(t, n, "http://", 7) || memmem(t, n, "https://", 8)))
		rc = scan_add(c->r, "llm-template-hidden-instruction",
			      SCAN_MEDIUM, path, OWASP_PROMPT,
			      "%s contains a literal URL", where);
	if (!rc && has_b64_blob(t, n))
		rc = scan_add(c->r, "llm-template-hidden-instruction",
			      SCAN_MEDIUM, path, OWASP_PROMPT,
			      "%s contains an encoded blob", where);
	return rc;
}

/* ---- invisible Unicode and secrets, over any text ---- */

/* Zero-width, bidirectional controls and tag characters. */
static bool invisible(uint32_t cp)
{
	return (cp >= 0x200B && cp <= 0x200F) ||
	       (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2060 && cp <= 0x2064) ||
	       (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF ||
	       (cp >= 0xE0000 && cp <= 0xE007F);
}

/* First invisible code point in UTF-8 text (0 when none). */
static uint32_t find_invisible(const uint8_t *p, size_t n, size_t *at)
{
	for (size_t i = 0; i + 2 < n; i++) {
		uint32_t cp;

		if (p[i] == 0xE2 && (p[i + 1] & 0xC0) == 0x80 &&
		    (p[i + 2] & 0xC0) == 0x80)
			cp = 0x2000u | (uint32_t)(p[i + 1] & 0x3F) << 6 |
			     (p[i + 2] & 0x3F);
		else if (p[i] == 0xEF && p[i + 1] == 0xBB && p[i + 2] == 0xBF
			 && i > 0)
			cp = 0xFEFF;
		else if (p[i] == 0xF3 && i + 3 < n && p[i + 1] == 0xA0 &&
			 (p[i + 2] & 0xC0) == 0x80 && (p[i + 3] & 0xC0) == 0x80)
			cp = 0xE0000u | (uint32_t)(p[i + 2] & 0x3F) << 6 |
			     (p[i + 3] & 0x3F);
		else
			continue;
		if (invisible(cp)) {
			*at = i;
			return cp;
		}
	}
	return 0;
}

struct secret_pat {
	const char *name;
	const char *prefix;
	size_t min_tail;       /* characters of the token after the prefix */
	const char *tail_set;  /* NULL: [A-Za-z0-9] */
};

static const struct secret_pat secret_pats[] = {
	{ "AWS access key", "AKIA", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" },
	{ "AWS access key", "ASIA", 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" },
	{ "GitHub token", "ghp_", 36, NULL },
	{ "GitHub token", "gho_", 36, NULL },
	{ "GitHub token", "github_pat_", 60, NULL },
	{ "Hugging Face token", "hf_", 34, NULL },
	{ "OpenAI key", "sk-proj-", 40, NULL },
	{ "Slack token", "xoxb-", 20, NULL },
	{ "Google API key", "AIza", 35, NULL },
	{ "Stripe key", "sk_live_", 24, NULL },
	{ "private key", "-----BEGIN RSA PRIVATE KEY-----", 0, NULL },
	{ "private key", "-----BEGIN EC PRIVATE KEY-----", 0, NULL },
	{ "private key", "-----BEGIN OPENSSH PRIVATE KEY-----", 0, NULL },
	{ "private key", "-----BEGIN PRIVATE KEY-----", 0, NULL },
};

static const bool secret_first[256] = {
	['A'] = true, ['g'] = true, ['h'] = true, ['s'] = true, ['x'] = true,
	['-'] = true,
};

static bool tail_ok(const uint8_t *p, size_t n, const struct secret_pat *s)
{
	size_t k = 0;

	while (k < n && (s->tail_set ? strchr(s->tail_set, p[k]) != NULL :
			 isalnum(p[k]) || p[k] == '_' || p[k] == '-') && p[k])
		k++;
	/* Exactly the token: not a longer identifier that merely starts
	 * with the prefix (fewer false positives in code and docs). */
	if (s->tail_set)
		return k == s->min_tail;
	return k >= s->min_tail;
}

/* A secret in p[0..n); the token must start within p[0..limit). */
static const struct secret_pat *find_secret(const uint8_t *p, size_t n,
					    size_t limit)
{
	for (size_t i = 0; i < limit && i < n; i++) {
		/* Every prefix starts with one of these: skip fast. */
		if (!secret_first[p[i]])
			continue;
		for (size_t k = 0; k < sizeof(secret_pats) /
		     sizeof(*secret_pats); k++) {
			const struct secret_pat *s = &secret_pats[k];
			size_t pl = 0;

			if ((uint8_t)s->prefix[0] != p[i] ||
			    (i + 1 < n && (uint8_t)s->prefix[1] != p[i + 1]))
				continue;

			while (s->prefix[pl] && i + pl < n &&
			       p[i + pl] == (uint8_t)s->prefix[pl])
				pl++;
			if (s->prefix[pl])
				continue;
			if (i > 0 && (isalnum(p[i - 1]) || p[i - 1] == '_'))
				continue;
			if (tail_ok(p + i + pl, n - i - pl, s))
				return s;
		}
	}
	return NULL;
}

/* The tap sees every byte of a text stream once, in order. */
struct text_tap {
	struct scan_ctx *c;
	const char *path;
	bool unicode;          /* also look for invisible characters */
	bool got_secret, got_unicode;
	uint8_t carry[LLM_TAP_CARRY];
	size_t n_carry;
	uint8_t *win;
	int rc;
};

static void tap_chunk(void *ctx, const uint8_t *p, size_t n)
{
	struct text_tap *t = ctx;
	const struct secret_pat *s;
	size_t total = t->n_carry + n, at;
	uint32_t cp;

	if (t->rc || (t->got_secret && (t->got_unicode || !t->unicode)))
		return;
	memcpy(t->win, t->carry, t->n_carry);
	memcpy(t->win + t->n_carry, p, n);
	/* Tokens starting in the carry were already checked when whole. */
	s = t->got_secret ? NULL : find_secret(t->win, total, total);
	if (s) {
		t->got_secret = true;
		t->rc = scan_add(t->c->r, "secret-exposed", SCAN_HIGH, t->path,
				 OWASP_DISCLOSURE, "text holds what looks like "
				 "a %s", s->name);
	}
	if (!t->rc && t->unicode && !t->got_unicode &&
	    (cp = find_invisible(t->win, total, &at))) {
		t->got_unicode = true;
		t->rc = scan_add(t->c->r, "llm-hidden-unicode", SCAN_MEDIUM,
				 t->path, OWASP_PROMPT, "invisible or "
				 "bidirectional character U+%04X in text",
				 (unsigned)cp);
	}
	t->n_carry = total < LLM_TAP_CARRY ? total : LLM_TAP_CARRY;
	memcpy(t->carry, t->win + total - t->n_carry, t->n_carry);
}

static const char *base_name(const char *path)
{
	const char *b = path, *p;

	for (p = path; *p; p++)
		if (*p == '/' || *p == '!')
			b = p + 1;
	return b;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && !strcmp(s + n - m, suf);
}

/* Vocabularies legitimately hold invisible characters as tokens. */
static bool vocabulary(const char *b)
{
	return !strcmp(b, "tokenizer.json") || !strcmp(b, "vocab.json") ||
	       !strcmp(b, "vocab.txt") || !strcmp(b, "merges.txt") ||
	       ends_with(b, ".model") || ends_with(b, ".tiktoken");
}

static bool text_like(const uint8_t *p, size_t n)
{
	size_t bad = 0;

	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (p[i] == 0 || (p[i] < 0x20 && !strchr("\t\n\r\f", p[i])))
			bad++;
	return bad * 100 < n;
}

int scan_text_tap_start(struct scan_ctx *c, struct scan_rd *rd,
			struct scan_file *f)
{
	const uint8_t *p;
	size_t n;
	struct text_tap *t;

	if (scan_rd_peek(rd, 4096, &p, &n) || !text_like(p, n))
		return 0;
	t = calloc(1, sizeof(*t));
	if (t)
		t->win = malloc(SCAN_RD_BUF + LLM_TAP_CARRY);
	if (!t || !t->win) {
		free(t);
		return err_set(ERR_NOMEM, "out of memory");
	}
	t->c = c;
	t->path = f->path;
	t->unicode = !vocabulary(base_name(f->path));
	rd->tap = tap_chunk;
	rd->tap_ctx = t;
	/* Bytes already buffered by sniffing have not been seen yet. */
	tap_chunk(t, rd->buf + rd->pos, rd->len - rd->pos);
	return 0;
}

int scan_text_tap_end(struct scan_rd *rd)
{
	struct text_tap *t = rd->tap_ctx;
	int rc;

	if (!t)
		return 0;
	rc = t->rc;
	rd->tap = NULL;
	rd->tap_ctx = NULL;
	free(t->win);
	free(t);
	return rc;
}

/* ---- Hugging Face configs ---- */

static int check_template_value(struct scan_ctx *c, const char *path,
				json_t *v)
{
	size_t i;
	json_t *e;
	int rc = 0;

	if (json_is_string(v))
		return scan_llm_template(c, path, "chat template",
					 json_string_value(v),
					 json_string_length(v));
	/* A list of {"name": ..., "template": ...}. */
	json_array_foreach(v, i, e) {
		rc = check_template_value(c, path,
					  json_object_get(e, "template"));
		if (rc)
			break;
	}
	return rc;
}

static int check_auto_map(struct scan_ctx *c, const char *path, json_t *am)
{
	char files[512] = "";
	size_t used = 0;
	const char *k;
	json_t *v;

	json_object_foreach(am, k, v) {
		const char *ref = json_is_string(v) ? json_string_value(v) :
				  json_is_array(v) && json_is_string(
				  json_array_get(v, 0)) ?
				  json_string_value(json_array_get(v, 0)) : "";
		const char *dot = strrchr(ref, '.');
		const char *sep = strstr(ref, "--");
		const char *start = sep ? sep + 2 : ref;
		int w;

		if (!dot || dot <= start || used >= sizeof(files) - 1)
			continue;
		w = snprintf(files + used, sizeof(files) - used, "%s%.*s.py",
			     used ? ", " : "", (int)(dot - start), start);
		used += w > 0 ? (size_t)w : 0;
	}
	return scan_add(c->r, "llm-remote-code", SCAN_MEDIUM, path,
			OWASP_SUPPLY, "auto_map makes transformers run "
			"repository code with trust_remote_code (%s)",
			*files ? files : "no file named");
}

int scan_llm_json(struct scan_ctx *c, struct scan_file *f, const char *text,
		  size_t n)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, n, JSON_REJECT_DUPLICATES, &jerr);
	json_t *v;
	int rc = 0;

	if (!root)
		return 0;
	v = json_object_get(root, "chat_template");
	if (v)
		rc = check_template_value(c, f->path, v);
	v = json_object_get(root, "auto_map");
	if (!rc && json_is_object(v))
		rc = check_auto_map(c, f->path, v);
	v = json_object_get(root, "trust_remote_code");
	if (!rc && json_is_true(v))
		rc = scan_add(c->r, "llm-remote-code", SCAN_MEDIUM, f->path,
			      OWASP_SUPPLY, "config sets trust_remote_code");
	json_decref(root);
	return rc;
}

/* Files whose whole text is checked, chosen by name (scrutiny only). */
enum scan_llm_kind scan_llm_kind(const char *path)
{
	const char *b = base_name(path);

	if (ends_with(b, ".jinja") || ends_with(b, ".jinja2"))
		return SCAN_LLM_TEMPLATE;
	if (!strcmp(b, "tokenizer_config.json") ||
	    !strcmp(b, "chat_template.json") || !strcmp(b, "config.json"))
		return SCAN_LLM_CONFIG;
	if (ends_with(b, ".py"))
		return SCAN_LLM_PYTHON;
	return SCAN_LLM_NONE;
}

/* Python that remote-code hooks would run: exec, processes, network. */
int scan_llm_python(struct scan_ctx *c, struct scan_file *f,
		    const char *text, size_t n)
{
	static const char *const risky[] = {
		"exec(", "eval(", "os.system", "subprocess", "socket.",
		"urllib.request", "requests.", "__import__(", "pickle.load",
		"marshal.loads", "ctypes",
	};

	for (size_t i = 0; i < sizeof(risky) / sizeof(*risky); i++)
		if (memmem(text, n, risky[i], strlen(risky[i])))
			return scan_add(c->r, "llm-remote-code", SCAN_MEDIUM,
					f->path, OWASP_SUPPLY, "Python code "
					"uses '%s' (runs with "
					"trust_remote_code)", risky[i]);
	return 0;
}

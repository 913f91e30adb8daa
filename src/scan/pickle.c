/*
 * Pickle analysis that models CPython's _pickle loader: a real stack with
 * MARK fences, a memo with the loader's exact indices, FRAME bounds, and
 * values that remember where they came from, so every import and every
 * call the loader would make is classified against the allowlists.
 */
#include "scan/engine.h"
#include "scan/rules.h"
#include "util/err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Limits: reaching one makes the file incomplete, never clean. */
#define PK_MAX_OPS (200u * 1000 * 1000)  /* opcodes in one stream */
#define PK_MAX_STACK (1u << 20)          /* values on the stack */
#define PK_MAX_MARKS (1u << 16)          /* nested MARKs */
#define PK_MAX_MEMO (1u << 22)           /* highest memo index */
#define PK_MAX_ARENA (512u << 20)        /* bytes of modelled values */
#define PK_MAX_LINE (64u << 20)          /* protocol 0 text argument */
#define PK_KEEP_STR 512                  /* string bytes kept per value */
#define PK_KEEP_ITEMS 64                 /* container items kept */
#define PK_MAX_STREAMS 4096              /* streams in one file */
#define PK_MAX_SEEN 256                  /* distinct globals reported */
#define PK_MAX_NESTED 2                  /* joblib object arrays */
#define PK_HIGHEST_PROTOCOL 5
#define PK_MAX_PENDING 16                /* held-back trial findings */

enum pv_kind {
	PV_NONE, PV_BOOL, PV_INT, PV_FLOAT, PV_STR, PV_BYTES, PV_TUPLE,
	PV_LIST, PV_DICT, PV_SET, PV_GLOBAL, PV_CALL, PV_PERSID, PV_BUFFER,
};

/*
 * A modelled value. Containers hold their items (dicts as key, value
 * pairs) so the analyser can read literal state such as joblib array
 * shapes; strings keep their first PK_KEEP_STR bytes. A value is shared
 * between stack and memo exactly as the loader shares objects.
 */
struct pv {
	uint8_t kind;
	bool trunc;            /* string longer than what was kept */
	bool big;              /* int wider than 64 bits: raw bytes in s */
	int64_t i;
	char *s;
	uint32_t slen;
	struct pv **items;
	uint32_t n, cap;
	struct pv *callee;     /* PV_CALL: what was called */
	struct pv *args;       /* PV_CALL: its arguments */
	struct pv *state;      /* PV_CALL: BUILD state */
	enum scan_global_class gclass;  /* PV_GLOBAL */
};

/* A denied import held back until the stream proves to be a pickle. */
struct pk_pending {
	char canon[128];
	const char *via;
	uint64_t off;
};

/* An EXT opcode held back until the stream proves to be a pickle. */
struct pk_ext {
	bool held;
	size_t width;
	uint64_t code, off;
};

struct arena_block {
	struct arena_block *next;
	size_t used, size;
	max_align_t data[];
};

struct pk {
	struct scan_ctx *c;
	struct scan_rd *rd;
	struct scan_file *f;
	unsigned profiles;
	int proto;
	unsigned nested;
	uint64_t ops;

	struct pv **stack;
	size_t len, cap;
	size_t *marks;
	size_t n_marks, cap_marks;
	size_t fence;

	struct pv **memo;
	size_t memo_cap, memo_len;

	bool in_frame, frame_reported;
	uint64_t frame_end;

	struct arena_block *arena;
	size_t arena_total;

	bool imported;         /* a global, call or extension was seen */
	bool persid_seen;      /* reported once the stream proves a pickle */
	uint64_t persid_off;
	struct pv *result;
	uint64_t op_off;       /* offset of the current opcode */
	uint8_t op;

	char (*seen)[128];     /* globals already reported for this file */
	size_t *n_seen;

	bool trial;            /* the stream may turn out not to be a pickle */
	struct pk_pending pending[PK_MAX_PENDING];
	size_t n_pending;
	struct pk_ext ext;     /* first EXT opcode held back in trial mode */
};

static struct pv pv_none = { .kind = PV_NONE };
static struct pv pv_true = { .kind = PV_BOOL, .i = 1 };
static struct pv pv_false = { .kind = PV_BOOL, .i = 0 };
static struct pv pv_float = { .kind = PV_FLOAT };

/* ---- arena ---- */

static void *arena_alloc(struct pk *p, size_t n)
{
	struct arena_block *b = p->arena;
	size_t sz;

	n = (n + 15) & ~(size_t)15;
	if (!b || b->size - b->used < n) {
		sz = n > (64u << 10) ? n : (64u << 10);
		if (p->arena_total + sz > PK_MAX_ARENA) {
			err_set(ERR_LIMIT, "pickle: model of values exceeds "
				"%u MiB at offset %llu", PK_MAX_ARENA >> 20,
				(unsigned long long)p->op_off);
			return NULL;
		}
		b = malloc(sizeof(*b) + sz);
		if (!b) {
			err_set(ERR_NOMEM, "out of memory modelling pickle");
			return NULL;
		}
		b->next = p->arena;
		b->used = 0;
		b->size = sz;
		p->arena = b;
		p->arena_total += sz;
	}
	b->used += n;
	return (char *)b->data + b->used - n;
}

static void arena_free(struct pk *p)
{
	while (p->arena) {
		struct arena_block *next = p->arena->next;

		free(p->arena);
		p->arena = next;
	}
	p->arena_total = 0;
}

static struct pv *pv_new(struct pk *p, enum pv_kind k)
{
	struct pv *v = arena_alloc(p, sizeof(*v));

	if (v) {
		memset(v, 0, sizeof(*v));
		v->kind = (uint8_t)k;
	}
	return v;
}

static int pv_push_item(struct pk *p, struct pv *c, struct pv *item)
{
	struct pv **items;
	uint32_t ncap;

	/*
	 * Only small literal containers are ever read back (joblib array
	 * state, dtype arguments, shapes); keeping the head bounds memory.
	 */
	if (c->n >= PK_KEEP_ITEMS) {
		c->trunc = true;
		return 0;
	}
	if (c->n == c->cap) {
		ncap = c->cap ? c->cap * 2 : 4;
		items = arena_alloc(p, ncap * sizeof(*items));
		if (!items)
			return p->arena_total >= PK_MAX_ARENA ? ERR_LIMIT :
			       ERR_NOMEM;
		if (c->n)
			memcpy(items, c->items, c->n * sizeof(*items));
		c->items = items;
		c->cap = ncap;
	}
	c->items[c->n++] = item;
	return 0;
}

/* ---- errors ---- */

static int bad(struct pk *p, const char *what)
{
	return err_set(ERR_INVALID, "pickle: %s at offset %llu in '%s'", what,
		       (unsigned long long)p->op_off, p->f->path);
}

static int arena_err(struct pk *p)
{
	return p->arena_total + (64u << 10) > PK_MAX_ARENA ? ERR_LIMIT :
	       ERR_NOMEM;
}

/* ---- stack, marks, memo: CPython's Pdata and marker() semantics ---- */

static int push(struct pk *p, struct pv *v)
{
	struct pv **s;
	size_t ncap;

	if (!v)
		return arena_err(p);
	if (p->len == p->cap) {
		if (p->cap >= PK_MAX_STACK)
			return err_set(ERR_LIMIT, "pickle: stack deeper than "
				       "%u at offset %llu", PK_MAX_STACK,
				       (unsigned long long)p->op_off);
		ncap = p->cap ? p->cap * 2 : 64;
		s = realloc(p->stack, ncap * sizeof(*s));
		if (!s)
			return err_set(ERR_NOMEM, "out of memory");
		p->stack = s;
		p->cap = ncap;
	}
	p->stack[p->len++] = v;
	return 0;
}

static int pop(struct pk *p, struct pv **out)
{
	*out = NULL;
	if (p->len <= p->fence)
		return bad(p, "stack underflow");
	*out = p->stack[--p->len];
	return 0;
}

static int top(struct pk *p, struct pv **out)
{
	*out = NULL;
	if (p->len <= p->fence)
		return bad(p, "stack underflow");
	*out = p->stack[p->len - 1];
	return 0;
}

static int mark_push(struct pk *p)
{
	size_t *m;
	size_t ncap;

	if (p->n_marks == p->cap_marks) {
		if (p->cap_marks >= PK_MAX_MARKS)
			return err_set(ERR_LIMIT, "pickle: more than %u nested "
				       "MARKs at offset %llu", PK_MAX_MARKS,
				       (unsigned long long)p->op_off);
		ncap = p->cap_marks ? p->cap_marks * 2 : 16;
		m = realloc(p->marks, ncap * sizeof(*m));
		if (!m)
			return err_set(ERR_NOMEM, "out of memory");
		p->marks = m;
		p->cap_marks = ncap;
	}
	p->marks[p->n_marks++] = p->len;
	p->fence = p->len;
	return 0;
}

static int marker(struct pk *p, size_t *out)
{
	*out = 0;
	if (!p->n_marks)
		return bad(p, "could not find MARK");
	*out = p->marks[--p->n_marks];
	p->fence = p->n_marks ? p->marks[p->n_marks - 1] : 0;
	return 0;
}

/* Items from stack[start] to the top become a new container. */
static int pop_to(struct pk *p, size_t start, enum pv_kind k,
		  struct pv **out)
{
	struct pv *c = pv_new(p, k);
	int rc;

	if (!c)
		return arena_err(p);
	for (size_t i = start; i < p->len; i++) {
		rc = pv_push_item(p, c, p->stack[i]);
		if (rc)
			return rc;
	}
	p->len = start;
	*out = c;
	return 0;
}

static int memo_put(struct pk *p, uint64_t idx, struct pv *v)
{
	struct pv **m;
	size_t ncap;

	if (idx >= PK_MAX_MEMO)
		return err_set(ERR_LIMIT, "pickle: memo index %llu above the "
			       "limit at offset %llu",
			       (unsigned long long)idx,
			       (unsigned long long)p->op_off);
	if (idx >= p->memo_cap) {
		ncap = p->memo_cap ? p->memo_cap : 64;
		while (ncap <= idx)
			ncap *= 2;
		m = realloc(p->memo, ncap * sizeof(*m));
		if (!m)
			return err_set(ERR_NOMEM, "out of memory");
		memset(m + p->memo_cap, 0, (ncap - p->memo_cap) * sizeof(*m));
		p->memo = m;
		p->memo_cap = ncap;
	}
	/* MEMOIZE uses the count of filled slots, as both loaders do. */
	if (!p->memo[idx])
		p->memo_len++;
	p->memo[idx] = v;
	return 0;
}

static int memo_get(struct pk *p, uint64_t idx)
{
	if (idx >= p->memo_cap || !p->memo[idx])
		return bad(p, "memo value not found");
	return push(p, p->memo[idx]);
}

/* ---- reading arguments ---- */

static int rd_le(struct pk *p, size_t n, uint64_t *out)
{
	struct scan_rd *rd = p->rd;
	uint8_t b[8];
	int rc;

	/* Fast path: the bytes are already buffered (the common case). */
	if (rd->len - rd->pos >= n) {
		*out = 0;
		for (size_t i = 0; i < n; i++)
			*out |= (uint64_t)rd->buf[rd->pos + i] << (8 * i);
		rd->pos += n;
		rd->off += n;
		return 0;
	}
	rc = scan_rd_read(rd, b, n);

	*out = 0;
	for (size_t i = 0; !rc && i < n; i++)
		*out |= (uint64_t)b[i] << (8 * i);
	return rc;
}

/*
 * A protocol 0 argument line without its newline. The first keep bytes
 * go to out (NUL-terminated); *len is the full length.
 */
static int rd_line(struct pk *p, char *out, size_t keep, size_t *len)
{
	const uint8_t *b;
	size_t avail, total = 0, k;
	int rc;

	for (;;) {
		rc = scan_rd_peek(p->rd, 4096, &b, &avail);
		if (rc)
			return rc;
		if (!avail)
			return bad(p, "pickle exhausted before end of line");
		const uint8_t *nl = memchr(b, '\n', avail);
		size_t n = nl ? (size_t)(nl - b) : avail;

		k = total < keep ? keep - total : 0;
		if (k > n)
			k = n;
		memcpy(out + total, b, k);
		total += n;
		if (total > PK_MAX_LINE)
			return err_set(ERR_LIMIT, "pickle: text argument "
				       "longer than %u bytes at offset %llu",
				       PK_MAX_LINE,
				       (unsigned long long)p->op_off);
		rc = scan_rd_skip(p->rd, n + (nl != NULL));
		if (rc)
			return rc;
		if (nl)
			break;
	}
	out[total < keep ? total : keep] = '\0';
	*len = total;
	return 0;
}

static struct pv *str_value(struct pk *p, const char *s, size_t n,
			    bool trunc)
{
	struct pv *v = pv_new(p, PV_STR);
	size_t keep = n < PK_KEEP_STR ? n : PK_KEEP_STR;

	if (!v)
		return NULL;
	v->s = arena_alloc(p, keep + 1);
	if (!v->s)
		return NULL;
	memcpy(v->s, s, keep);
	v->s[keep] = '\0';
	v->slen = (uint32_t)keep;
	v->trunc = trunc || n > keep;
	return v;
}

/* A length-prefixed string or bytes: keep the head, skip the rest. */
static int counted(struct pk *p, uint64_t n, enum pv_kind k)
{
	char head[PK_KEEP_STR];
	size_t keep = n < PK_KEEP_STR ? (size_t)n : PK_KEEP_STR;
	struct pv *v;
	int rc;

	if (k != PV_STR) {
		rc = scan_rd_skip(p->rd, n);
		return rc ? rc : push(p, pv_new(p, k));
	}
	rc = scan_rd_read(p->rd, head, keep);
	if (!rc)
		rc = scan_rd_skip(p->rd, n - keep);
	if (rc)
		return rc;
	v = str_value(p, head, keep, n > keep);
	return push(p, v);
}

static int hexval(int ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static size_t put_utf8(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | ((cp >> 18) & 7));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* One escape after a backslash in a STRING (repr) literal. */
static size_t unescape_one(const char *s, size_t n, size_t *i, char *o)
{
	char ch = s[*i];
	int v;

	(*i)++;
	switch (ch) {
	case 'n': *o = '\n'; return 1;
	case 't': *o = '\t'; return 1;
	case 'r': *o = '\r'; return 1;
	case 'a': *o = '\a'; return 1;
	case 'b': *o = '\b'; return 1;
	case 'f': *o = '\f'; return 1;
	case 'v': *o = '\v'; return 1;
	case '\n': return 0;
	case 'x':
		if (*i + 2 <= n && hexval(s[*i]) >= 0 &&
		    hexval(s[*i + 1]) >= 0) {
			*o = (char)(hexval(s[*i]) * 16 + hexval(s[*i + 1]));
			*i += 2;
			return 1;
		}
		break;
	default:
		if (ch >= '0' && ch <= '7') {
			v = ch - '0';
			for (int k = 0; k < 2 && *i < n && s[*i] >= '0' &&
			     s[*i] <= '7'; k++)
				v = v * 8 + (s[(*i)++] - '0');
			*o = (char)v;
			return 1;
		}
		if (ch == '\\' || ch == '\'' || ch == '"') {
			*o = ch;
			return 1;
		}
	}
	o[0] = '\\';
	o[1] = ch;
	return 2;
}

/* STRING: a quoted repr with escapes, as codecs.escape_decode reads it. */
static int op_string(struct pk *p)
{
	char line[PK_KEEP_STR + 2], out[2 * PK_KEEP_STR + 8];
	size_t len, n, o = 0;

	if (rd_line(p, line, PK_KEEP_STR + 1, &len))
		return p->rd->err ? p->rd->err : ERR_INVALID;
	n = len < PK_KEEP_STR + 1 ? len : PK_KEEP_STR + 1;
	if (len < 2 || (line[0] != '\'' && line[0] != '"') ||
	    (len == n && line[n - 1] != line[0]))
		return bad(p, "the STRING opcode argument must be quoted");
	if (len == n)
		n--;
	for (size_t i = 1; i < n && o < PK_KEEP_STR;) {
		if (line[i] == '\\' && i + 1 < n) {
			i++;
			o += unescape_one(line, n, &i, out + o);
		} else {
			out[o++] = line[i++];
		}
	}
	return push(p, str_value(p, out, o, len > n + 1));
}

/* UNICODE: raw-unicode-escape, only \uXXXX and \UXXXXXXXX are escapes. */
static int op_unicode(struct pk *p)
{
	char line[PK_KEEP_STR + 1], out[PK_KEEP_STR + 8];
	size_t len, n, o = 0;

	if (rd_line(p, line, PK_KEEP_STR, &len))
		return p->rd->err ? p->rd->err : ERR_INVALID;
	n = len < PK_KEEP_STR ? len : PK_KEEP_STR;
	for (size_t i = 0; i < n && o < PK_KEEP_STR;) {
		size_t w = 0;
		uint32_t cp = 0;

		if (line[i] == '\\' && i + 1 < n &&
		    (line[i + 1] == 'u' || line[i + 1] == 'U'))
			w = line[i + 1] == 'u' ? 4 : 8;
		if (w && i + 2 + w <= n) {
			bool ok = true;

			for (size_t k = 0; k < w; k++) {
				int h = hexval(line[i + 2 + k]);

				ok = ok && h >= 0;
				cp = cp * 16 + (uint32_t)(h < 0 ? 0 : h);
			}
			if (!ok || cp > 0x10FFFF)
				return bad(p, "bad \\u escape in UNICODE");
			o += put_utf8(out + o, cp);
			i += 2 + w;
			continue;
		}
		o += put_utf8(out + o, (uint8_t)line[i++]);
	}
	return push(p, str_value(p, out, o, len > n));
}

static int parse_dec(struct pk *p, const char *s, bool allow_l, int64_t *out)
{
	char *end;
	long long v;

	*out = 0;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (allow_l && *end == 'L')
		end++;
	if (end == s || *end || errno)
		return bad(p, "invalid decimal argument");
	*out = v;
	return 0;
}

static int op_text_int(struct pk *p, bool is_long)
{
	char line[128];
	size_t len;
	struct pv *v;
	int64_t n;

	if (rd_line(p, line, sizeof(line) - 1, &len))
		return p->rd->err ? p->rd->err : ERR_INVALID;
	if (!is_long && len == 2 && line[0] == '0' &&
	    (line[1] == '0' || line[1] == '1'))
		return push(p, line[1] == '1' ? &pv_true : &pv_false);
	v = pv_new(p, PV_INT);
	if (!v)
		return arena_err(p);
	if (len >= sizeof(line) - 1 || parse_dec(p, line, is_long, &n)) {
		/* Wide integers are fine; only their digits are checked. */
		for (size_t i = 0; i < len && i < sizeof(line) - 1; i++)
			if (!strchr("0123456789-+L", line[i]))
				return bad(p, "invalid integer argument");
		v->big = true;
	} else {
		v->i = n;
	}
	return push(p, v);
}

static int op_long_bin(struct pk *p, size_t lenbytes)
{
	uint8_t head[16];
	uint64_t n;
	struct pv *v;
	int rc;

	rc = rd_le(p, lenbytes, &n);
	if (rc)
		return rc;
	if (lenbytes == 4 && (n & 0x80000000u))
		return bad(p, "LONG pickle has negative byte count");
	v = pv_new(p, PV_INT);
	if (!v)
		return arena_err(p);
	if (n <= 8) {
		rc = scan_rd_read(p->rd, head, (size_t)n);
		for (size_t i = 0; !rc && i < n; i++)
			v->i |= (int64_t)((uint64_t)head[i] << (8 * i));
		if (!rc && n && n < 8 && (head[n - 1] & 0x80))
			v->i -= (int64_t)1 << (8 * n);
	} else if (n <= sizeof(head)) {
		rc = scan_rd_read(p->rd, head, (size_t)n);
		v->big = true;
		v->s = arena_alloc(p, (size_t)n);
		if (!rc && !v->s)
			return arena_err(p);
		if (!rc)
			memcpy(v->s, head, (size_t)n);
		v->slen = (uint32_t)n;
	} else {
		v->big = true;
		rc = scan_rd_skip(p->rd, n);
	}
	return rc ? rc : push(p, v);
}

static int op_int_fixed(struct pk *p, size_t n, bool is_signed)
{
	struct pv *v = pv_new(p, PV_INT);
	uint64_t u;
	int rc;

	if (!v)
		return arena_err(p);
	rc = rd_le(p, n, &u);
	if (rc)
		return rc;
	v->i = is_signed ? (int64_t)(int32_t)(uint32_t)u : (int64_t)u;
	return push(p, v);
}

/* ---- globals and calls ---- */

static bool seen_before(struct pk *p, const char *canon)
{
	for (size_t i = 0; i < *p->n_seen; i++)
		if (!strcmp(p->seen[i], canon))
			return true;
	if (*p->n_seen < PK_MAX_SEEN)
		snprintf(p->seen[(*p->n_seen)++], 128, "%s", canon);
	return false;
}

static int report_global(struct pk *p, enum scan_global_class cls,
			 const char *canon, const char *via, uint64_t off,
			 bool now)
{
	static const char *const rule[] = {
		[SCAN_GLOBAL_DENIED] = "pickle-global-denied",
		[SCAN_GLOBAL_DANGEROUS] = "pickle-global-dangerous",
		[SCAN_GLOBAL_DUNDER] = "pickle-global-dunder",
	};
	static const char *const why[] = {
		[SCAN_GLOBAL_DENIED] = "is not in any allowlist in force",
		[SCAN_GLOBAL_DANGEROUS] = "can execute code or reach the "
					  "system",
		[SCAN_GLOBAL_DUNDER] = "reaches interpreter internals through "
				       "a dunder name",
	};

	struct pk_pending *q;

	if (cls == SCAN_GLOBAL_ALLOWED)
		return 0;
	/*
	 * Text that only looks like a protocol 0 pickle ("cuda\nnotes\n")
	 * names an unknown global and then fails: hold such findings until
	 * the stream proves to be a pickle (a call or a STOP).
	 */
	if (p->trial && cls == SCAN_GLOBAL_DENIED && !now) {
		if (p->n_pending == PK_MAX_PENDING)
			return report_global(p, cls, canon, via, off, true);
		q = &p->pending[p->n_pending++];
		snprintf(q->canon, sizeof(q->canon), "%s", canon);
		q->via = via;
		q->off = off;
		return 0;
	}
	p->imported = true;
	if (seen_before(p, canon))
		return 0;
	return scan_add(p->c->r, rule[cls], cls == SCAN_GLOBAL_DENIED ?
			SCAN_HIGH : SCAN_CRITICAL, p->f->path,
			SCAN_OWASP_SUPPLY_CHAIN,
			"pickle imports '%s' (%s at offset %llu), which %s",
			canon, via, (unsigned long long)off, why[cls]);
}

static int report_ext(struct pk *p, size_t width, uint64_t code,
		      uint64_t off)
{
	p->imported = true;
	return scan_add(p->c->r, "pickle-ext-opcode", SCAN_CRITICAL,
			p->f->path, SCAN_OWASP_SUPPLY_CHAIN,
			"pickle: EXT%zu imports extension code %llu through "
			"copyreg at offset %llu", width,
			(unsigned long long)code, (unsigned long long)off);
}

static int flush_pending(struct pk *p)
{
	int rc = 0;

	if (p->ext.held) {
		p->ext.held = false;
		rc = report_ext(p, p->ext.width, p->ext.code, p->ext.off);
	}
	for (size_t i = 0; !rc && i < p->n_pending; i++)
		rc = report_global(p, SCAN_GLOBAL_DENIED, p->pending[i].canon,
				   p->pending[i].via, p->pending[i].off, true);
	p->n_pending = 0;
	return rc;
}

/*
 * __import__ and getattr fail on names that are not dotted identifiers
 * ("mport subprocess" from a Python file read as INST), so the loader
 * stops there without importing anything. Non-ASCII bytes are accepted:
 * Python identifiers may be Unicode.
 */
static bool import_path_ok(const char *s)
{
	bool start = true;

	if (!*s)
		return false;
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '.') {
			if (start)
				return false;
			start = true;
			continue;
		}
		if (!(ch >= 0x80 || ch == '_' || (ch >= 'a' && ch <= 'z') ||
		      (ch >= 'A' && ch <= 'Z') ||
		      (!start && ch >= '0' && ch <= '9')))
			return false;
		start = false;
	}
	return !start;
}

/* Import module.name the way find_class would, and push the result. */
static int do_global(struct pk *p, const char *mod, const char *name,
		     bool trunc, const char *via)
{
	char canon[1100];
	struct pv *v = pv_new(p, PV_GLOBAL);
	enum scan_global_class cls;
	int rc;

	if (!v)
		return arena_err(p);
	if (!import_path_ok(mod) || !import_path_ok(name))
		return bad(p, "global name is not an importable identifier");
	cls = scan_allow_check(mod, name, p->proto, p->profiles, canon,
			       sizeof(canon));
	if (trunc && cls == SCAN_GLOBAL_ALLOWED)
		cls = SCAN_GLOBAL_DENIED;
	v->gclass = cls;
	v->s = arena_alloc(p, strlen(canon) + 1);
	if (!v->s)
		return arena_err(p);
	strcpy(v->s, canon);
	rc = report_global(p, cls, canon, via, p->op_off, false);
	return rc ? rc : push(p, v);
}

static int op_global(struct pk *p, const char *via)
{
	char mod[PK_KEEP_STR + 1], name[PK_KEEP_STR + 1];
	size_t ml, nl;
	int rc;

	rc = rd_line(p, mod, PK_KEEP_STR, &ml);
	if (!rc)
		rc = rd_line(p, name, PK_KEEP_STR, &nl);
	if (rc)
		return rc;
	return do_global(p, mod, name, ml > PK_KEEP_STR || nl > PK_KEEP_STR,
			 via);
}

static int op_stack_global(struct pk *p)
{
	struct pv *name, *mod;
	int rc;

	rc = pop(p, &name);
	if (!rc)
		rc = pop(p, &mod);
	if (rc)
		return rc;
	if (name->kind != PV_STR || mod->kind != PV_STR) {
		struct pv *v = pv_new(p, PV_GLOBAL);

		p->imported = true;
		if (!v)
			return arena_err(p);
		v->gclass = SCAN_GLOBAL_DANGEROUS;
		rc = scan_add(p->c->r, "pickle-stack-global-nonliteral",
			      SCAN_CRITICAL, p->f->path,
			      SCAN_OWASP_SUPPLY_CHAIN,
			      "pickle: STACK_GLOBAL operand is not a literal "
			      "string at offset %llu",
			      (unsigned long long)p->op_off);
		return rc ? rc : push(p, v);
	}
	return do_global(p, mod->s, name->s, mod->trunc || name->trunc,
			 "STACK_GLOBAL");
}

static int op_ext(struct pk *p, size_t n)
{
	struct pv *v;
	uint64_t code;
	int rc;

	rc = rd_le(p, n, &code);
	if (rc)
		return rc;
	/*
	 * Raw tensor bytes (a TensorFlow checkpoint shard, say) start with
	 * 0x82-0x84 one time in 85. CPython's copyreg registry is empty
	 * unless the loading program fills it, so an EXT on bytes that then
	 * fail to parse imports nothing: hold the finding until the stream
	 * proves to be a pickle (a call or a STOP), as for unknown globals.
	 */
	if (p->trial && !p->ext.held)
		p->ext = (struct pk_ext){ .held = true, .width = n,
					  .code = code, .off = p->op_off };
	else if (!p->trial)
		rc = report_ext(p, n, code, p->op_off);
	v = pv_new(p, PV_GLOBAL);
	if (!v)
		return arena_err(p);
	v->gclass = SCAN_GLOBAL_DANGEROUS;
	return rc ? rc : push(p, v);
}

/* Every call is checked: the callee must be an imported global. */
static int do_call(struct pk *p, struct pv *callee, struct pv *args,
		   const char *via)
{
	struct pv *v = pv_new(p, PV_CALL);
	int rc = 0;

	if (!v)
		return arena_err(p);
	p->imported = true;
	rc = flush_pending(p);
	if (rc)
		return rc;
	if (callee->kind != PV_GLOBAL)
		rc = scan_add(p->c->r, "pickle-call-nonliteral", SCAN_CRITICAL,
			      p->f->path, SCAN_OWASP_SUPPLY_CHAIN,
			      "pickle: %s calls a value that is not an "
			      "imported global at offset %llu", via,
			      (unsigned long long)p->op_off);
	v->callee = callee;
	v->args = args;
	return rc ? rc : push(p, v);
}

static int op_reduce(struct pk *p)
{
	struct pv *args, *callee;
	int rc = pop(p, &args);

	if (!rc)
		rc = pop(p, &callee);
	return rc ? rc : do_call(p, callee, args, "REDUCE");
}

static int op_newobj(struct pk *p, bool ex)
{
	struct pv *kw = NULL, *args, *cls;
	int rc = 0;

	if (ex)
		rc = pop(p, &kw);
	if (!rc)
		rc = pop(p, &args);
	if (!rc)
		rc = pop(p, &cls);
	return rc ? rc : do_call(p, cls, args, ex ? "NEWOBJ_EX" : "NEWOBJ");
}

static int op_obj(struct pk *p)
{
	struct pv *args, *cls;
	size_t m;
	int rc = marker(p, &m);

	if (rc)
		return rc;
	if (p->len == m)
		return bad(p, "OBJ without a class");
	cls = p->stack[m];
	rc = pop_to(p, m + 1, PV_TUPLE, &args);
	if (rc)
		return rc;
	p->len = m;
	return do_call(p, cls, args, "OBJ");
}

static int op_inst(struct pk *p)
{
	struct pv *cls, *args;
	size_t m;
	int rc;

	/* CPython finds the MARK before it reads the names. */
	rc = marker(p, &m);
	if (!rc)
		rc = op_global(p, "INST");
	if (!rc)
		rc = pop(p, &cls);
	if (!rc)
		rc = pop_to(p, m, PV_TUPLE, &args);
	return rc ? rc : do_call(p, cls, args, "INST");
}

static int joblib_array(struct pk *p, struct pv *obj);

static int op_build(struct pk *p)
{
	struct pv *state, *obj;
	int rc = pop(p, &state);

	if (!rc)
		rc = top(p, &obj);
	if (rc || !obj)
		return rc ? rc : ERR_INVALID;
	if (obj->kind == PV_GLOBAL)
		return scan_add(p->c->r, "pickle-build-on-global",
				SCAN_CRITICAL, p->f->path,
				SCAN_OWASP_SUPPLY_CHAIN,
				"pickle: BUILD sets attributes of imported "
				"'%s' at offset %llu",
				obj->s ? obj->s : "?",
				(unsigned long long)p->op_off);
	if (obj->kind != PV_CALL)
		return 0;
	obj->state = state;
	if (obj->callee && obj->callee->kind == PV_GLOBAL && obj->callee->s &&
	    !strcmp(obj->callee->s, "joblib.numpy_pickle.NumpyArrayWrapper") &&
	    (p->profiles & SCAN_PROFILE_JOBLIB) && !p->nested)
		return joblib_array(p, obj);
	return 0;
}

/* ---- containers ---- */

static int op_append(struct pk *p, bool many)
{
	struct pv *list, *v;
	size_t x;
	int rc;

	if (!many) {
		rc = pop(p, &v);
		if (!rc)
			rc = top(p, &list);
		if (rc || !list)
			return rc ? rc : ERR_INVALID;
		return list->kind == PV_LIST ? pv_push_item(p, list, v) : 0;
	}
	rc = marker(p, &x);
	if (rc)
		return rc;
	if (x > p->len || x <= p->fence)
		return bad(p, "stack underflow in APPENDS");
	list = p->stack[x - 1];
	for (size_t i = x; list->kind == PV_LIST && i < p->len; i++) {
		rc = pv_push_item(p, list, p->stack[i]);
		if (rc)
			return rc;
	}
	p->len = x;
	return 0;
}

static int op_setitems(struct pk *p, bool many)
{
	struct pv *d;
	size_t x;
	int rc;

	if (many) {
		rc = marker(p, &x);
		if (rc)
			return rc;
	} else {
		if (p->len < 2)
			return bad(p, "stack underflow in SETITEM");
		x = p->len - 2;
	}
	if (x > p->len || x <= p->fence)
		return bad(p, "stack underflow in SETITEMS");
	if ((p->len - x) % 2)
		return bad(p, "odd number of items for SETITEMS");
	d = p->stack[x - 1];
	for (size_t i = x; d->kind == PV_DICT && i < p->len; i++) {
		rc = pv_push_item(p, d, p->stack[i]);
		if (rc)
			return rc;
	}
	p->len = x;
	return 0;
}

static int op_additems(struct pk *p)
{
	struct pv *s;
	size_t x;
	int rc = marker(p, &x);

	if (rc)
		return rc;
	if (x > p->len || x <= p->fence)
		return bad(p, "stack underflow in ADDITEMS");
	s = p->stack[x - 1];
	p->len = x;
	(void)s;
	return 0;
}

static int op_from_mark(struct pk *p, enum pv_kind k)
{
	struct pv *c;
	size_t m;
	int rc = marker(p, &m);

	if (!rc && k == PV_DICT && (p->len - m) % 2)
		return bad(p, "odd number of items for DICT");
	if (!rc)
		rc = pop_to(p, m, k, &c);
	return rc ? rc : push(p, c);
}

static int op_tuple_n(struct pk *p, size_t n)
{
	struct pv *c;
	int rc;

	if (p->len < p->fence + n)
		return bad(p, "stack underflow in TUPLE");
	rc = pop_to(p, p->len - n, PV_TUPLE, &c);
	return rc ? rc : push(p, c);
}

/* ---- memo opcodes ---- */

static int op_put_text(struct pk *p, bool get)
{
	char line[64];
	size_t len;
	int64_t idx;
	struct pv *v;
	int rc;

	rc = rd_line(p, line, sizeof(line) - 1, &len);
	if (rc)
		return rc;
	if (len >= sizeof(line) - 1 || parse_dec(p, line, false, &idx))
		return bad(p, "invalid memo key");
	if (idx < 0)
		return bad(p, "negative PUT argument");
	if (get)
		return memo_get(p, (uint64_t)idx);
	rc = top(p, &v);
	return rc ? rc : memo_put(p, (uint64_t)idx, v);
}

static int op_put_bin(struct pk *p, size_t n, bool get)
{
	uint64_t idx;
	struct pv *v;
	int rc = rd_le(p, n, &idx);

	if (rc)
		return rc;
	if (get)
		return memo_get(p, idx);
	rc = top(p, &v);
	return rc ? rc : memo_put(p, idx, v);
}

/* ---- framing ---- */

static int frame_violation(struct pk *p, const char *what)
{
	if (p->frame_reported)
		return 0;
	p->frame_reported = true;
	return scan_add(p->c->r, "pickle-frame-violation", SCAN_MEDIUM,
			p->f->path, SCAN_OWASP_SUPPLY_CHAIN,
			"pickle: %s at offset %llu", what,
			(unsigned long long)p->op_off);
}

static int op_frame(struct pk *p)
{
	const uint8_t *b;
	uint64_t n;
	size_t avail;
	int rc;

	if (p->in_frame && p->op_off != p->frame_end) {
		rc = frame_violation(p, "new FRAME before the end of the "
				     "current one");
		if (rc)
			return rc;
	}
	rc = rd_le(p, 8, &n);
	if (rc)
		return rc;
	/* The C loader reads the whole frame up front: it must exist. */
	rc = scan_rd_peek(p->rd, n < SCAN_RD_BUF ? (size_t)n : SCAN_RD_BUF,
			  &b, &avail);
	if (rc)
		return rc;
	if (avail < (n < SCAN_RD_BUF ? n : SCAN_RD_BUF))
		return bad(p, "FRAME longer than the rest of the stream");
	p->in_frame = true;
	p->frame_end = scan_rd_offset(p->rd) + n;
	return 0;
}

/* ---- the dispatch loop ---- */

static int op_proto(struct pk *p)
{
	uint8_t v;
	int rc = scan_rd_read(p->rd, &v, 1);

	if (rc)
		return rc;
	if (v > PK_HIGHEST_PROTOCOL)
		return bad(p, "unsupported pickle protocol");
	p->proto = v;
	return 0;
}

static int op_persid(struct pk *p, bool bin)
{
	char line[PK_KEEP_STR + 1];
	struct pv *pid;
	size_t len;
	int rc;

	if (bin)
		rc = pop(p, &pid);
	else
		rc = rd_line(p, line, PK_KEEP_STR, &len);
	if (rc)
		return rc;
	if (!p->persid_seen) {
		p->persid_seen = true;
		p->persid_off = p->op_off;
	}
	return push(p, pv_new(p, PV_PERSID));
}

static int op_simple(struct pk *p, uint8_t op);

static int step(struct pk *p, bool *stop)
{
	uint8_t op;
	int rc;

	if (p->in_frame && scan_rd_offset(p->rd) == p->frame_end)
		p->in_frame = false;
	p->op_off = scan_rd_offset(p->rd);
	if (p->rd->pos < p->rd->len) {
		op = p->rd->buf[p->rd->pos++];
		p->rd->off++;
	} else {
		rc = scan_rd_read(p->rd, &op, 1);
		if (rc)
			return rc;
	}
	if (++p->ops > PK_MAX_OPS)
		return err_set(ERR_LIMIT, "pickle: more than %u opcodes in "
			       "one stream", PK_MAX_OPS);
	p->op = op;
	if (op == '.') {
		*stop = true;
		return pop(p, &p->result);
	}
	rc = op_simple(p, op);
	if (!rc && p->in_frame && scan_rd_offset(p->rd) > p->frame_end) {
		rc = frame_violation(p, "opcode crosses the end of its FRAME");
		p->in_frame = false;
	}
	return rc;
}

static int op_simple(struct pk *p, uint8_t op)
{
	struct pv *v;
	uint64_t n;
	size_t m;
	int rc;

	switch (op) {
	case '(': return mark_push(p);
	case '0':
		if (p->n_marks && p->marks[p->n_marks - 1] == p->len)
			return marker(p, &m);
		return pop(p, &v);
	case '1':
		rc = marker(p, &m);
		if (!rc)
			p->len = m;
		return rc;
	case '2':
		rc = top(p, &v);
		return rc ? rc : push(p, v);
	case 'F': {
		char line[128];
		size_t len;

		rc = rd_line(p, line, sizeof(line) - 1, &len);
		return rc ? rc : push(p, &pv_float);
	}
	case 'I': return op_text_int(p, false);
	case 'L': return op_text_int(p, true);
	case 'J': return op_int_fixed(p, 4, true);
	case 'K': return op_int_fixed(p, 1, false);
	case 'M': return op_int_fixed(p, 2, false);
	case 'N': return push(p, &pv_none);
	case 'P': return op_persid(p, false);
	case 'Q': return op_persid(p, true);
	case 'R': return op_reduce(p);
	case 'S': return op_string(p);
	case 'T':
		rc = rd_le(p, 4, &n);
		if (!rc && (n & 0x80000000u))
			return bad(p, "BINSTRING has negative length");
		return rc ? rc : counted(p, n, PV_STR);
	case 'U':
		rc = rd_le(p, 1, &n);
		return rc ? rc : counted(p, n, PV_STR);
	case 'V': return op_unicode(p);
	case 'X':
		rc = rd_le(p, 4, &n);
		return rc ? rc : counted(p, n, PV_STR);
	case 'a': return op_append(p, false);
	case 'b': return op_build(p);
	case 'c': return op_global(p, "GLOBAL");
	case 'd': return op_from_mark(p, PV_DICT);
	case '}': return push(p, pv_new(p, PV_DICT));
	case 'e': return op_append(p, true);
	case 'g': return op_put_text(p, true);
	case 'h': return op_put_bin(p, 1, true);
	case 'i': return op_inst(p);
	case 'j': return op_put_bin(p, 4, true);
	case 'l': return op_from_mark(p, PV_LIST);
	case ']': return push(p, pv_new(p, PV_LIST));
	case 'o': return op_obj(p);
	case 'p': return op_put_text(p, false);
	case 'q': return op_put_bin(p, 1, false);
	case 'r': return op_put_bin(p, 4, false);
	case 's': return op_setitems(p, false);
	case 't': return op_from_mark(p, PV_TUPLE);
	case ')': return push(p, pv_new(p, PV_TUPLE));
	case 'u': return op_setitems(p, true);
	case 'G':
		rc = scan_rd_skip(p->rd, 8);
		return rc ? rc : push(p, &pv_float);
	case 0x80: return op_proto(p);
	case 0x81: return op_newobj(p, false);
	case 0x82: return op_ext(p, 1);
	case 0x83: return op_ext(p, 2);
	case 0x84: return op_ext(p, 4);
	case 0x85: return op_tuple_n(p, 1);
	case 0x86: return op_tuple_n(p, 2);
	case 0x87: return op_tuple_n(p, 3);
	case 0x88: return push(p, &pv_true);
	case 0x89: return push(p, &pv_false);
	case 0x8a: return op_long_bin(p, 1);
	case 0x8b: return op_long_bin(p, 4);
	case 'B':
		rc = rd_le(p, 4, &n);
		return rc ? rc : counted(p, n, PV_BYTES);
	case 'C':
		rc = rd_le(p, 1, &n);
		return rc ? rc : counted(p, n, PV_BYTES);
	case 0x8c:
		rc = rd_le(p, 1, &n);
		return rc ? rc : counted(p, n, PV_STR);
	case 0x8d:
		rc = rd_le(p, 8, &n);
		return rc ? rc : counted(p, n, PV_STR);
	case 0x8e:
	case 0x96:
		rc = rd_le(p, 8, &n);
		return rc ? rc : counted(p, n, PV_BYTES);
	case 0x8f: return push(p, pv_new(p, PV_SET));
	case 0x90: return op_additems(p);
	case 0x91: return op_from_mark(p, PV_SET);
	case 0x92: return op_newobj(p, true);
	case 0x93: return op_stack_global(p);
	case 0x94:
		rc = top(p, &v);
		return rc ? rc : memo_put(p, p->memo_len, v);
	case 0x95: return op_frame(p);
	case 0x97: return push(p, pv_new(p, PV_BUFFER));
	case 0x98: return top(p, &v);
	default:
		return bad(p, "invalid load key");
	}
}

/* ---- joblib: raw array bytes between the opcodes ---- */

static struct pv *dict_get(struct pv *d, const char *key)
{
	if (!d || d->kind != PV_DICT)
		return NULL;
	for (uint32_t i = 0; i + 1 < d->n; i += 2)
		if (d->items[i]->kind == PV_STR && !d->items[i]->trunc &&
		    !strcmp(d->items[i]->s, key))
			return d->items[i + 1];
	return NULL;
}

/*
 * Bytes per element of a pickled numpy.dtype (REDUCE of numpy.dtype with
 * (typestr, align, copy), then BUILD with its state tuple). 0 means an
 * object dtype; -1 means it cannot be known.
 */
static int64_t dtype_itemsize(const struct pv *dt)
{
	const struct pv *a, *st;
	const char *s;
	char *end;
	long long n;

	if (!dt || dt->kind != PV_CALL || !dt->callee || !dt->callee->s ||
	    strcmp(dt->callee->s, "numpy.dtype"))
		return -1;
	a = dt->args;
	if (!a || a->kind != PV_TUPLE || !a->n || a->items[0]->kind != PV_STR)
		return -1;
	st = dt->state;
	if (st && st->kind == PV_TUPLE && st->n >= 8 &&
	    st->items[7]->kind == PV_INT && (st->items[7]->i & 1))
		return 0;
	s = a->items[0]->s;
	if (*s && strchr("<>|=", *s))
		s++;
	if (*s == 'O')
		return 0;
	if (*s == '?')
		return 1;
	if (!*s || !strchr("biufcSaUVMm", *s))
		return -1;
	n = strtoll(s + 1, &end, 10);
	if (end == s + 1 || n <= 0 || n > (1 << 20))
		return -1;
	if (*s == 'U')
		n *= 4;
	if ((*s == 'M' || *s == 'm') && *end != '\0' && *end != '[')
		return -1;
	if (*s != 'M' && *s != 'm' && *end)
		return -1;
	return n;
}

static int pickle_stream(struct scan_ctx *c, struct scan_rd *rd,
			 struct scan_file *f, unsigned profiles,
			 unsigned nested, bool trial,
			 struct pv **result, bool *imported);

static int joblib_array(struct pk *p, struct pv *obj)
{
	struct pv *st = obj->state, *shape, *align;
	uint64_t count = 1, pad;
	int64_t isz;
	int rc;

	shape = dict_get(st, "shape");
	isz = dtype_itemsize(dict_get(st, "dtype"));
	if (!shape || shape->kind != PV_TUPLE || isz < 0)
		return err_set(ERR_UNSUPPORTED, "joblib: array wrapper at "
			       "offset %llu has a shape or dtype that cannot "
			       "be read", (unsigned long long)p->op_off);
	if (p->in_frame && scan_rd_offset(p->rd) != p->frame_end)
		return err_set(ERR_UNSUPPORTED, "joblib: array data inside a "
			       "pickle frame at offset %llu",
			       (unsigned long long)p->op_off);
	p->in_frame = false;
	if (isz == 0)
		return pickle_stream(p->c, p->rd, p->f, p->profiles,
				     p->nested + 1, false, NULL, NULL);
	for (uint32_t i = 0; i < shape->n; i++) {
		struct pv *d = shape->items[i];

		if (d->kind != PV_INT || d->big || d->i < 0 ||
		    (d->i && count > UINT64_MAX / (uint64_t)d->i))
			return bad(p, "joblib array shape is not a tuple of "
				   "sizes");
		count *= (uint64_t)d->i;
	}
	if (count && (uint64_t)isz > UINT64_MAX / count)
		return bad(p, "joblib array size overflows");
	align = dict_get(st, "numpy_array_alignment_bytes");
	if (align && align->kind != PV_NONE) {
		rc = rd_le(p, 1, &pad);
		if (!rc)
			rc = scan_rd_skip(p->rd, pad);
		if (rc)
			return rc;
	}
	return scan_rd_skip(p->rd, count * (uint64_t)isz);
}

/* ---- streams ---- */

/* Globals already reported for the file being analysed. */
static _Thread_local char pk_seen[PK_MAX_SEEN][128];
static _Thread_local size_t pk_n_seen;

static void pk_release(struct pk *p)
{
	free(p->stack);
	free(p->marks);
	free(p->memo);
	arena_free(p);
}

/*
 * One pickle stream from the current offset to its STOP. *result is the
 * value STOP returned when the caller wants it; the values stay valid
 * until the stream's state is released, so only a verdict on them
 * (torch legacy magic) is passed back.
 */
static int pickle_stream(struct scan_ctx *c, struct scan_rd *rd,
			 struct scan_file *f, unsigned profiles,
			 unsigned nested, bool trial,
			 struct pv **result, bool *imported)
{
	struct pk p;
	bool stop = false;
	int rc = 0;

	if (nested > PK_MAX_NESTED)
		return err_set(ERR_LIMIT, "pickle: object arrays nested more "
			       "than %d deep", PK_MAX_NESTED);
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.rd = rd;
	p.f = f;
	p.profiles = profiles;
	p.nested = nested;
	p.seen = pk_seen;
	p.n_seen = &pk_n_seen;
	p.trial = trial;
	while (!rc && !stop)
		rc = step(&p, &stop);
	if (!rc)
		rc = flush_pending(&p);
	if ((!rc || p.imported) && p.persid_seen &&
	    !(profiles & SCAN_PROFILE_TORCH) && !seen_before(&p, "#persid")) {
		int rc2 = scan_add(c->r, "pickle-persistent-id", SCAN_LOW,
				   f->path, NULL, "pickle: persistent id at "
				   "offset %llu needs a custom loader",
				   (unsigned long long)p.persid_off);
		if (rc2)
			rc = rc2;
	}
	if (imported)
		*imported = p.imported;
	if (!rc && result) {
		/* Only the torch magic is needed: compare it here. */
		static const uint8_t magic[] = { 0x6c, 0xfc, 0x9c, 0x46, 0xf9,
						 0x20, 0x6a, 0xa8, 0x50, 0x19 };
		struct pv *v = p.result;

		*result = v && v->kind == PV_INT && v->big && v->s &&
			  v->slen == sizeof(magic) &&
			  !memcmp(v->s, magic, sizeof(magic)) ? &pv_true :
			  &pv_false;
	}
	pk_release(&p);
	return rc;
}

static void set_format(struct scan_file *f, const char *fmt)
{
	char *s = strdup(fmt);

	if (!s)
		return;
	free(f->format);
	f->format = s;
}

/* After the five legacy streams only raw storage bytes remain. */
#define PK_TORCH_LEGACY_STREAMS 5

int scan_pickle(struct scan_ctx *c, struct scan_rd *rd, struct scan_file *f,
		unsigned profiles, enum scan_pickle_mode mode,
		bool *is_pickle)
{
	struct pv *res = NULL;
	bool legacy = false, imported = false;
	int rc;

	*is_pickle = true;
	pk_n_seen = 0;
	for (unsigned n = 0;; n++) {
		if (n >= PK_MAX_STREAMS) {
			scan_file_incomplete(f, "more than %d pickle streams",
					     PK_MAX_STREAMS);
			return 0;
		}
		rc = pickle_stream(c, rd, f, profiles, 0,
				   mode == SCAN_PICKLE_TRIAL, &res, &imported);
		if (rc == ERR_NOMEM)
			return rc;
		if (rc && mode == SCAN_PICKLE_TRIAL && !imported) {
			/* Never a pickle, or trailing bytes after one. */
			*is_pickle = n > 0;
			return 0;
		}
		if (rc) {
			scan_file_incomplete(f, "%s", err_msg());
			return 0;
		}
		if (n == 0 && res == &pv_true) {
			legacy = true;
			profiles |= SCAN_PROFILE_TORCH | SCAN_PROFILE_NUMPY;
			set_format(f, "pytorch-legacy");
		}
		if (mode == SCAN_PICKLE_ONE ||
		    (legacy && n + 1 == PK_TORCH_LEGACY_STREAMS))
			return 0;
		/* torch.load reads all five legacy streams: each must be
		 * whole. Elsewhere, junk after a complete stream that imports
		 * nothing is not loadable and ends the analysis. */
		if (legacy) {
			mode = SCAN_PICKLE_FILE;
			continue;
		}
		if (scan_rd_at_end(rd))
			return 0;
		mode = SCAN_PICKLE_TRIAL;
	}
}

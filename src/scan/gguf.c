/* GGUF (versions 2 and 3): header, metadata key/values and tensor infos
 * are walked with every count and length checked against what remains;
 * tensor data is only checked by offset. Chat templates found in the
 * metadata go through the template checks. */
#include "scan/formats.h"

#include <stdlib.h>
#include <string.h>

#include "scan/fmt_cursor.h"
#include "scan/fmt_util.h"
#include "util/err.h"

#define GG_MAX_KV (1u << 20)
#define GG_MAX_TENSORS (1u << 20)
#define GG_MAX_KEY 65536
#define GG_MAX_TEXT (1u << 20)     /* strings we read to check */
#define GG_MAX_DIMS 4              /* GGML_MAX_DIMS */
#define GG_MAX_ARRAY_DEPTH 2
#define GG_DEFAULT_ALIGN 32

enum gg_type {
	GG_U8, GG_I8, GG_U16, GG_I16, GG_U32, GG_I32, GG_F32, GG_BOOL,
	GG_STRING, GG_ARRAY, GG_U64, GG_I64, GG_F64, GG_NTYPES
};

struct gg_tensor {
	char *name;
	uint64_t off, len;
};

struct gg {
	struct scan_report *r;
	struct scan_file *f;
	struct fmt_cursor *c;
	char **keys;
	size_t n_keys;
	struct gg_tensor *t;
	size_t n_t;
	uint64_t align;
};

static const uint8_t scalar_size[GG_NTYPES] = {
	1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8
};

/* ggml_type -> (elements per block, bytes per block); 0 = unknown. */
static bool ggml_block(uint32_t type, uint32_t *blk, uint32_t *bytes)
{
	static const uint16_t tab[][2] = {
		[0] = { 1, 4 }, [1] = { 1, 2 }, [2] = { 32, 18 },
		[3] = { 32, 20 }, [6] = { 32, 22 }, [7] = { 32, 24 },
		[8] = { 32, 34 }, [9] = { 32, 40 }, [10] = { 256, 84 },
		[11] = { 256, 110 }, [12] = { 256, 144 }, [13] = { 256, 176 },
		[14] = { 256, 210 }, [15] = { 256, 292 }, [16] = { 256, 66 },
		[17] = { 256, 74 }, [18] = { 256, 98 }, [19] = { 256, 50 },
		[20] = { 32, 18 }, [21] = { 256, 110 }, [22] = { 256, 82 },
		[23] = { 256, 136 }, [24] = { 1, 1 }, [25] = { 1, 2 },
		[26] = { 1, 4 }, [27] = { 1, 8 }, [28] = { 1, 8 },
		[29] = { 256, 56 }, [30] = { 1, 2 }, [34] = { 256, 54 },
		[35] = { 256, 66 }, [39] = { 32, 17 },
		[40] = { 64, 36 }, [41] = { 128, 18 },
	};

	if (type >= sizeof(tab) / sizeof(tab[0]) || !tab[type][0])
		return false;
	*blk = tab[type][0];
	*bytes = tab[type][1];
	return true;
}

static int malformed(struct gg *g, const char *what)
{
	scan_add(g->r, "gguf-header-invalid", SCAN_HIGH, g->f->path,
		 OWASP_SUPPLY_CHAIN, "GGUF: %s at offset %llu in '%s'", what,
		 (unsigned long long)g->c->pos, g->f->path);
	return scan_fmt_fail(g->f, ERR_INVALID, "gguf: %s at offset %llu in "
			     "'%s'", what, (unsigned long long)g->c->pos,
			     g->f->path);
}

/* A read failure inside the header: truncation is a malformed file. */
static int read_fail(struct gg *g, int rc)
{
	if (rc == ERR_INVALID)
		return malformed(g, "truncated header");
	return scan_fmt_fail(g->f, rc, "gguf: %s", err_msg());
}

/* Read a gguf_string of at most max bytes into *out (NUL-terminated), or
 * skip it when out is NULL. */
static int read_string(struct gg *g, size_t max, char **out, uint64_t *len)
{
	uint64_t n;
	char *s;
	int rc;

	rc = fmt_cursor_u64le(g->c, &n);
	if (rc)
		return read_fail(g, rc);
	if (n > fmt_cursor_left(g->c))
		return malformed(g, "string length past the end of file");
	if (len)
		*len = n;
	if (!out) {
		rc = fmt_cursor_skip(g->c, n);
		return rc ? read_fail(g, rc) : 0;
	}
	if (n > max)
		return scan_fmt_fail(g->f, ERR_LIMIT, "gguf: string of %llu "
				     "bytes exceeds the %zu limit at offset "
				     "%llu in '%s'", (unsigned long long)n,
				     max, (unsigned long long)g->c->pos,
				     g->f->path);
	s = malloc((size_t)n + 1);
	if (!s)
		return scan_fmt_fail(g->f, ERR_NOMEM, "out of memory");
	rc = fmt_cursor_read(g->c, s, (size_t)n);
	if (rc) {
		free(s);
		return read_fail(g, rc);
	}
	s[n] = '\0';
	*out = s;
	return 0;
}

static bool is_template_key(const char *k)
{
	return !strcmp(k, "tokenizer.chat_template") ||
	       !strncmp(k, "tokenizer.chat_template.", 24);
}

/* A string value: templates are checked as templates, other short
 * strings as configuration text. */
static int string_value(struct gg *g, const char *key)
{
	uint64_t at = g->c->pos + 8, n;
	char *s = NULL;
	int rc;

	if (key && is_template_key(key)) {
		rc = read_string(g, GG_MAX_TEXT, &s, &n);
		if (!rc)
			rc = scan_fmt_template_text(g->r, g->f, s, (size_t)n,
						    at);
	} else if (key) {
		uint64_t save = g->c->pos, len;

		rc = fmt_cursor_u64le(g->c, &len);
		if (rc)
			return read_fail(g, rc);
		g->c->pos = save;
		if (len > GG_MAX_TEXT) {
			/* Too long to check: the rest of the file still is. */
			scan_file_incomplete(g->f, "gguf: value of '%s' is "
					     "longer than %u bytes in '%s'",
					     key, GG_MAX_TEXT, g->f->path);
			return read_string(g, 0, NULL, NULL);
		}
		rc = read_string(g, GG_MAX_TEXT, &s, &n);
		if (!rc)
			rc = scan_fmt_check_text(g->r, g->f, s, (size_t)n, at,
						 SCAN_TEXT_CONFIG);
	} else {
		rc = read_string(g, 0, NULL, NULL);
	}
	free(s);
	return rc;
}

static int value(struct gg *g, uint32_t type, const char *key, int depth);

static int array_value(struct gg *g, int depth)
{
	uint32_t et;
	uint64_t n;
	int rc;

	if (depth >= GG_MAX_ARRAY_DEPTH)
		return scan_fmt_fail(g->f, ERR_LIMIT, "gguf: arrays nested "
				     "deeper than %d in '%s'",
				     GG_MAX_ARRAY_DEPTH, g->f->path);
	rc = fmt_cursor_u32le(g->c, &et);
	if (!rc)
		rc = fmt_cursor_u64le(g->c, &n);
	if (rc)
		return read_fail(g, rc);
	if (et >= GG_NTYPES)
		return malformed(g, "unknown array element type");
	if (scalar_size[et]) {
		if (n > fmt_cursor_left(g->c) / scalar_size[et])
			return malformed(g, "array runs past the end of file");
		rc = fmt_cursor_skip(g->c, n * scalar_size[et]);
		return rc ? read_fail(g, rc) : 0;
	}
	/* Every string or array element takes at least 8 bytes. */
	if (n > fmt_cursor_left(g->c) / 8)
		return malformed(g, "array count past the end of file");
	for (uint64_t i = 0; i < n; i++) {
		rc = value(g, et, NULL, depth + 1);
		if (rc)
			return rc;
	}
	return 0;
}

static int value(struct gg *g, uint32_t type, const char *key, int depth)
{
	int rc;

	if (type >= GG_NTYPES)
		return malformed(g, "unknown value type");
	if (type == GG_STRING)
		return string_value(g, key);
	if (type == GG_ARRAY)
		return array_value(g, depth);
	if (key && !strcmp(key, "general.alignment")) {
		uint32_t a;

		if (type != GG_U32)
			return malformed(g, "general.alignment is not a u32");
		rc = fmt_cursor_u32le(g->c, &a);
		if (rc)
			return read_fail(g, rc);
		g->align = a;
		return 0;
	}
	rc = fmt_cursor_skip(g->c, scalar_size[type]);
	return rc ? read_fail(g, rc) : 0;
}

static int read_kv(struct gg *g)
{
	char *key = NULL;
	uint32_t type;
	int rc;

	rc = read_string(g, GG_MAX_KEY, &key, NULL);
	if (rc)
		return rc;
	g->keys[g->n_keys++] = key;
	rc = fmt_cursor_u32le(g->c, &type);
	if (rc)
		return read_fail(g, rc);
	return value(g, type, key, 0);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loaders disagree on which duplicate wins: any duplicate is a finding. */
static void check_dup_keys(struct gg *g)
{
	qsort(g->keys, g->n_keys, sizeof(*g->keys), cmp_str);
	for (size_t i = 1; i < g->n_keys; i++) {
		if (strcmp(g->keys[i - 1], g->keys[i]))
			continue;
		scan_add(g->r, "gguf-duplicate-key", SCAN_HIGH, g->f->path,
			 OWASP_SUPPLY_CHAIN, "GGUF metadata key '%s' appears "
			 "more than once in '%s'", g->keys[i], g->f->path);
		return;
	}
}

static int tensor_len(struct gg *g, const uint64_t *ne, uint32_t nd,
		      uint32_t type, uint64_t *len)
{
	uint32_t blk, bytes;
	uint64_t n = 1;

	if (!ggml_block(type, &blk, &bytes))
		return scan_fmt_fail(g->f, ERR_UNSUPPORTED, "gguf: unknown "
				     "tensor type %u at offset %llu in '%s'",
				     type, (unsigned long long)g->c->pos,
				     g->f->path);
	for (uint32_t i = 0; i < nd; i++) {
		if (ne[i] && n > UINT64_MAX / ne[i])
			return malformed(g, "tensor element count overflows");
		n *= ne[i];
	}
	/* Rows are made of whole blocks (ggml requires ne[0] % blk == 0). */
	if (nd && ne[0] % blk)
		return malformed(g, "tensor row is not whole blocks");
	if (n / blk > UINT64_MAX / bytes)
		return malformed(g, "tensor byte size overflows");
	*len = n / blk * bytes;
	return 0;
}

static int read_tensor(struct gg *g, struct gg_tensor *t)
{
	uint64_t ne[GG_MAX_DIMS];
	uint32_t nd, type;
	int rc;

	rc = read_string(g, GG_MAX_KEY, &t->name, NULL);
	if (rc)
		return rc;
	rc = fmt_cursor_u32le(g->c, &nd);
	if (rc)
		return read_fail(g, rc);
	if (nd > GG_MAX_DIMS)
		return malformed(g, "tensor has more than 4 dimensions");
	for (uint32_t i = 0; i < nd && !rc; i++)
		rc = fmt_cursor_u64le(g->c, &ne[i]);
	if (!rc)
		rc = fmt_cursor_u32le(g->c, &type);
	if (!rc)
		rc = fmt_cursor_u64le(g->c, &t->off);
	if (rc)
		return read_fail(g, rc);
	return tensor_len(g, ne, nd, type, &t->len);
}

static int cmp_tensor_off(const void *a, const void *b)
{
	const struct gg_tensor *x = a, *y = b;

	return x->off < y->off ? -1 : x->off > y->off;
}

static int cmp_tensor_name(const void *a, const void *b)
{
	const struct gg_tensor *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void tensor_finding(struct gg *g, const char *rule,
			   const struct gg_tensor *t, const char *what)
{
	scan_add(g->r, rule, SCAN_HIGH, g->f->path, OWASP_SUPPLY_CHAIN,
		 "GGUF tensor '%s' (offset %llu, %llu bytes) %s in '%s'",
		 t->name, (unsigned long long)t->off,
		 (unsigned long long)t->len, what, g->f->path);
}

/* Extents inside the data section, aligned, non-overlapping, and names
 * unique. One finding per rule is enough to fail the file. */
static void check_tensors(struct gg *g, uint64_t data_start, uint64_t size)
{
	uint64_t data_len = size - data_start, prev_end = 0, end;
	bool bounds = false, aligned = false, overlap = false;

	for (size_t i = 0; i < g->n_t; i++) {
		struct gg_tensor *t = &g->t[i];

		if (!bounds && (t->off > data_len ||
				t->len > data_len - t->off)) {
			tensor_finding(g, "gguf-tensor-out-of-bounds", t,
				       "extends past the end of the file");
			bounds = true;
		}
		if (!aligned && t->off % g->align) {
			tensor_finding(g, "gguf-alignment-invalid", t,
				       "is not aligned");
			aligned = true;
		}
	}
	qsort(g->t, g->n_t, sizeof(*g->t), cmp_tensor_off);
	for (size_t i = 0; i < g->n_t && !overlap; i++) {
		if (i && g->t[i].off < prev_end) {
			tensor_finding(g, "gguf-tensor-overlap", &g->t[i],
				       "overlaps the previous tensor");
			overlap = true;
		}
		end = g->t[i].len > UINT64_MAX - g->t[i].off ? UINT64_MAX :
		      g->t[i].off + g->t[i].len;
		if (end > prev_end)
			prev_end = end;
	}
	qsort(g->t, g->n_t, sizeof(*g->t), cmp_tensor_name);
	for (size_t i = 1; i < g->n_t; i++) {
		if (!strcmp(g->t[i - 1].name, g->t[i].name)) {
			tensor_finding(g, "gguf-duplicate-tensor", &g->t[i],
				       "is defined twice");
			break;
		}
	}
}

static int read_header(struct gg *g, uint64_t *n_t, uint64_t *n_kv)
{
	uint8_t magic[4];
	uint32_t version;
	int rc;

	rc = fmt_cursor_read(g->c, magic, 4);
	if (!rc)
		rc = fmt_cursor_u32le(g->c, &version);
	if (!rc)
		rc = fmt_cursor_u64le(g->c, n_t);
	if (!rc)
		rc = fmt_cursor_u64le(g->c, n_kv);
	if (rc)
		return read_fail(g, rc);
	if (memcmp(magic, "GGUF", 4))
		return malformed(g, "bad magic");
	if (version == 1)
		return scan_fmt_fail(g->f, ERR_UNSUPPORTED, "gguf: version 1 "
				     "is not supported in '%s'", g->f->path);
	if (version != 2 && version != 3)
		return malformed(g, "unknown version");
	/* Each kv takes at least 12 bytes and each tensor info 24. */
	if (*n_kv > fmt_cursor_left(g->c) / 12 ||
	    *n_t > fmt_cursor_left(g->c) / 24)
		return malformed(g, "counts larger than the file");
	if (*n_kv > GG_MAX_KV || *n_t > GG_MAX_TENSORS)
		return scan_fmt_fail(g->f, ERR_LIMIT, "gguf: more than %u "
				     "keys or tensors in '%s'", GG_MAX_KV,
				     g->f->path);
	return 0;
}

static int walk(struct gg *g, uint64_t size)
{
	uint64_t n_t, n_kv, data_start;
	int rc;

	rc = read_header(g, &n_t, &n_kv);
	if (rc)
		return rc;
	g->keys = calloc((size_t)n_kv + 1, sizeof(*g->keys));
	g->t = calloc((size_t)n_t + 1, sizeof(*g->t));
	if (!g->keys || !g->t)
		return scan_fmt_fail(g->f, ERR_NOMEM, "out of memory");
	for (uint64_t i = 0; i < n_kv; i++) {
		rc = read_kv(g);
		if (rc)
			return rc;
	}
	check_dup_keys(g);
	if (!g->align || (g->align & (g->align - 1))) {
		scan_add(g->r, "gguf-alignment-invalid", SCAN_HIGH, g->f->path,
			 OWASP_SUPPLY_CHAIN, "GGUF general.alignment %llu is "
			 "not a power of two in '%s'",
			 (unsigned long long)g->align, g->f->path);
		return scan_fmt_fail(g->f, ERR_INVALID, "gguf: bad alignment "
				     "in '%s'", g->f->path);
	}
	for (uint64_t i = 0; i < n_t; i++) {
		rc = read_tensor(g, &g->t[g->n_t++]);
		if (rc)
			return rc;
	}
	data_start = g->c->pos + (g->align - g->c->pos % g->align) % g->align;
	if (data_start > size)
		return malformed(g, "data section starts past the end");
	check_tensors(g, data_start, size);
	return 0;
}

int scan_fmt_gguf(struct scan_report *r, struct scan_file *f, int fd,
		  uint64_t size)
{
	struct gg g = { r, f, NULL, NULL, 0, NULL, 0, GG_DEFAULT_ALIGN };
	int rc;

	g.c = malloc(sizeof(*g.c));
	if (!g.c)
		return scan_fmt_fail(f, ERR_NOMEM, "out of memory");
	fmt_cursor_init(g.c, fd, f, 0, size);
	rc = walk(&g, size);
	if (!rc && !f->complete)
		rc = err_set(ERR_LIMIT, "%s", f->reason ? f->reason :
			     "gguf: incomplete");
	for (size_t i = 0; i < g.n_keys; i++)
		free(g.keys[i]);
	for (size_t i = 0; i < g.n_t; i++)
		free(g.t[i].name);
	free(g.keys);
	free(g.t);
	free(g.c);
	return rc;
}

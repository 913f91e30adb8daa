/*
 * GGUF (versions 2 and 3): every header field is bounds- and
 * overflow-checked, keys and tensor names must be unique, tensors must
 * lie inside the file, aligned and without overlap. Tensor data is only
 * hashed.
 */
#include "scan/engine.h"
#include "scan/rules.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GG_MAX_KV 1000000u
#define GG_MAX_TENSORS 1000000u
#define GG_MAX_KEY 65536u              /* bytes in a key or tensor name */
#define GG_MAX_STRING (64u << 20)      /* bytes in a string value */
#define GG_MAX_ARRAY (1u << 26)        /* elements in an array value */
#define GG_MAX_DIMS 4                  /* GGML_MAX_DIMS */
#define GG_DEFAULT_ALIGNMENT 32

enum gg_type {
	GG_U8, GG_I8, GG_U16, GG_I16, GG_U32, GG_I32, GG_F32, GG_BOOL,
	GG_STRING, GG_ARRAY, GG_U64, GG_I64, GG_F64, GG_TYPE_COUNT,
};

static const uint8_t gg_scalar_size[GG_TYPE_COUNT] = {
	[GG_U8] = 1, [GG_I8] = 1, [GG_U16] = 2, [GG_I16] = 2, [GG_U32] = 4,
	[GG_I32] = 4, [GG_F32] = 4, [GG_BOOL] = 1, [GG_U64] = 8,
	[GG_I64] = 8, [GG_F64] = 8,
};

/* ggml tensor types: elements per block and bytes per block (0: none). */
static const struct {
	uint16_t block, size;
} ggml_types[] = {
	[0] = { 1, 4 },      [1] = { 1, 2 },      [2] = { 32, 18 },
	[3] = { 32, 20 },    [6] = { 32, 22 },    [7] = { 32, 24 },
	[8] = { 32, 34 },    [9] = { 32, 36 },    [10] = { 256, 84 },
	[11] = { 256, 110 }, [12] = { 256, 144 }, [13] = { 256, 176 },
	[14] = { 256, 210 }, [15] = { 256, 292 }, [16] = { 256, 66 },
	[17] = { 256, 74 },  [18] = { 256, 98 },  [19] = { 256, 50 },
	[20] = { 32, 18 },   [21] = { 256, 110 }, [22] = { 256, 82 },
	[23] = { 256, 136 }, [24] = { 1, 1 },     [25] = { 1, 2 },
	[26] = { 1, 4 },     [27] = { 1, 8 },     [28] = { 1, 8 },
	[29] = { 256, 56 },  [30] = { 1, 2 },     [34] = { 256, 54 },
	[35] = { 256, 66 },  [39] = { 32, 17 },
};

struct gg_tensor {
	char *name;
	uint64_t offset, size;
};

struct gg {
	struct scan_ctx *c;
	struct scan_rd *rd;
	struct scan_file *f;
	char **keys;
	size_t n_keys;
	struct gg_tensor *t;
	size_t n_t;
	uint64_t alignment;
	bool bad;
};

/* Report a malformed header; name (may be NULL) is quoted after what. */
static int gg_invalid(struct gg *g, const char *what, const char *name)
{
	g->bad = true;
	return scan_add(g->c->r, "gguf-invalid", SCAN_HIGH, g->f->path,
			SCAN_OWASP_SUPPLY_CHAIN, "gguf: %s%s%.200s%s at offset "
			"%llu", what, name ? " '" : "", name ? name : "",
			name ? "'" : "",
			(unsigned long long)scan_rd_offset(g->rd));
}

static int rd_u(struct gg *g, size_t n, uint64_t *v)
{
	uint8_t b[8];
	int rc = scan_rd_read(g->rd, b, n);

	*v = 0;
	for (size_t i = 0; !rc && i < n; i++)
		*v |= (uint64_t)b[i] << (8 * i);
	return rc;
}

/* A key or name: kept (NUL-terminated) up to GG_MAX_KEY bytes. */
static int rd_name(struct gg *g, char **out)
{
	uint64_t n;
	int rc = rd_u(g, 8, &n);

	*out = NULL;
	if (rc)
		return rc;
	if (n > GG_MAX_KEY)
		return err_set(ERR_LIMIT, "gguf: name of %llu bytes at offset "
			       "%llu exceeds the limit", (unsigned long long)n,
			       (unsigned long long)scan_rd_offset(g->rd));
	*out = malloc(n + 1);
	if (!*out)
		return err_set(ERR_NOMEM, "out of memory");
	rc = scan_rd_read(g->rd, *out, (size_t)n);
	(*out)[n] = '\0';
	if (!rc && strlen(*out) != n)
		rc = gg_invalid(g, "name with a NUL byte", *out);
	return rc;
}

static int skip_string(struct gg *g)
{
	uint64_t n;
	int rc = rd_u(g, 8, &n);

	if (rc)
		return rc;
	if (n > GG_MAX_STRING)
		return err_set(ERR_LIMIT, "gguf: string of %llu bytes exceeds "
			       "the limit", (unsigned long long)n);
	return scan_rd_skip(g->rd, n);
}

static int skip_value(struct gg *g, uint32_t type, bool in_array)
{
	uint64_t et, n;
	int rc;

	if (type >= GG_TYPE_COUNT)
		return gg_invalid(g, "unknown value type", NULL);
	if (type == GG_STRING)
		return skip_string(g);
	if (type != GG_ARRAY)
		return scan_rd_skip(g->rd, gg_scalar_size[type]);
	if (in_array)
		return gg_invalid(g, "nested array", NULL);
	rc = rd_u(g, 4, &et);
	if (!rc)
		rc = rd_u(g, 8, &n);
	if (rc)
		return rc;
	if (et >= GG_TYPE_COUNT || et == GG_ARRAY)
		return gg_invalid(g, "array of unknown or array type", NULL);
	if (n > GG_MAX_ARRAY)
		return err_set(ERR_LIMIT, "gguf: array of %llu elements "
			       "exceeds the limit", (unsigned long long)n);
	if (et != GG_STRING)
		return scan_rd_skip(g->rd, n * gg_scalar_size[et]);
	for (uint64_t i = 0; !rc && !g->bad && i < n; i++)
		rc = skip_string(g);
	return rc;
}

/* The chat template GGUF carries is checked like any other. */
static int read_template(struct gg *g, const char *key)
{
	uint64_t n;
	char *t;
	int rc = rd_u(g, 8, &n);

	if (rc)
		return rc;
	if (n > GG_MAX_STRING)
		return err_set(ERR_LIMIT, "gguf: chat template of %llu bytes "
			       "exceeds the limit", (unsigned long long)n);
	t = malloc(n + 1);
	if (!t)
		return err_set(ERR_NOMEM, "out of memory");
	rc = scan_rd_read(g->rd, t, (size_t)n);
	if (!rc)
		rc = scan_llm_template(g->c, g->f->path, key, t, (size_t)n);
	free(t);
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int read_kv(struct gg *g)
{
	uint64_t type, v;
	char *key;
	int rc = rd_name(g, &key);

	if (rc || !key) {
		free(key);
		return rc;
	}
	g->keys[g->n_keys++] = key;
	rc = rd_u(g, 4, &type);
	if (rc)
		return rc;
	if (!strcmp(key, "general.alignment")) {
		if (type != GG_U32)
			return gg_invalid(g, "general.alignment is not a "
					  "uint32", NULL);
		rc = rd_u(g, 4, &v);
		if (!rc && (!v || (v & (v - 1))))
			return gg_invalid(g, "general.alignment is not a power "
					  "of two", NULL);
		g->alignment = v;
		return rc;
	}
	/* The default template and named ones (chat_template.tool_use). */
	if (!strncmp(key, "tokenizer.chat_template", 23) &&
	    (key[23] == '\0' || key[23] == '.') && type == GG_STRING)
		return read_template(g, key);
	return skip_value(g, (uint32_t)type, false);
}

static int check_dups(struct gg *g, char **names, size_t n, const char *what)
{
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(names[i], names[i - 1]))
			return gg_invalid(g, what, names[i]);
	return 0;
}

static int read_tensor(struct gg *g, struct gg_tensor *t)
{
	uint64_t nd, d, type, elems = 1;
	int rc = rd_name(g, &t->name);

	if (!rc)
		rc = rd_u(g, 4, &nd);
	if (rc)
		return rc;
	if (!nd || nd > GG_MAX_DIMS)
		return gg_invalid(g, "tensor has a bad number of "
				  "dimensions", t->name);
	for (uint64_t i = 0; i < nd; i++) {
		rc = rd_u(g, 8, &d);
		if (rc)
			return rc;
		if (d > INT64_MAX || (d && elems > INT64_MAX / d))
			return gg_invalid(g, "tensor element count "
					  "overflows", t->name);
		elems *= d;
	}
	rc = rd_u(g, 4, &type);
	if (!rc)
		rc = rd_u(g, 8, &t->offset);
	if (rc)
		return rc;
	if (type >= sizeof(ggml_types) / sizeof(ggml_types[0]) ||
	    !ggml_types[type].block)
		return gg_invalid(g, "tensor has an unknown type",
				  t->name);
	if (elems % ggml_types[type].block)
		return gg_invalid(g, "tensor is not a whole number of "
				  "blocks", t->name);
	t->size = elems / ggml_types[type].block * ggml_types[type].size;
	return 0;
}

static int cmp_tensor(const void *a, const void *b)
{
	const struct gg_tensor *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

/* Extents: aligned, in order without overlap, inside the data section. */
static int check_extents(struct gg *g, uint64_t data_len)
{
	uint64_t end = 0;

	qsort(g->t, g->n_t, sizeof(*g->t), cmp_tensor);
	for (size_t i = 0; i < g->n_t; i++) {
		struct gg_tensor *t = &g->t[i];

		if (t->offset % g->alignment)
			return gg_invalid(g, "tensor is not aligned",
					  t->name);
		if (t->offset < end)
			return gg_invalid(g, "tensor overlaps another",
					  t->name);
		if (t->offset > data_len || t->size > data_len - t->offset)
			return gg_invalid(g, "tensor extends past the end "
					  "of the file", t->name);
		end = t->offset + t->size;
	}
	return 0;
}

static int read_header(struct gg *g, uint64_t *n_kv, uint64_t *n_t)
{
	uint8_t magic[4];
	uint64_t ver;
	int rc;

	*n_kv = *n_t = 0;
	rc = scan_rd_read(g->rd, magic, 4);
	if (!rc)
		rc = rd_u(g, 4, &ver);
	if (rc)
		return rc;
	if (ver != 2 && ver != 3)
		return err_set(ERR_UNSUPPORTED, "gguf: version %llu is not "
			       "supported", (unsigned long long)ver);
	rc = rd_u(g, 8, n_t);
	if (!rc)
		rc = rd_u(g, 8, n_kv);
	if (rc)
		return rc;
	if (*n_kv > GG_MAX_KV || *n_t > GG_MAX_TENSORS)
		return gg_invalid(g, "key or tensor count beyond any real "
				  "model", NULL);
	g->keys = calloc(*n_kv + 1, sizeof(*g->keys));
	g->t = calloc(*n_t + 1, sizeof(*g->t));
	if (!g->keys || !g->t)
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static int gg_body(struct gg *g)
{
	uint64_t n_kv, n_t, pad, start;
	char **names;
	int rc;

	rc = read_header(g, &n_kv, &n_t);
	for (uint64_t i = 0; !rc && !g->bad && i < n_kv; i++)
		rc = read_kv(g);
	if (!rc && !g->bad)
		rc = check_dups(g, g->keys, g->n_keys, "duplicate key");
	for (uint64_t i = 0; !rc && !g->bad && i < n_t; i++) {
		rc = read_tensor(g, &g->t[i]);
		g->n_t++;
	}
	if (rc || g->bad)
		return rc;
	names = calloc(g->n_t + 1, sizeof(*names));
	if (!names)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < g->n_t; i++)
		names[i] = g->t[i].name;
	rc = check_dups(g, names, g->n_t, "duplicate tensor name");
	free(names);
	if (rc || g->bad)
		return rc;

	/* The data section starts at the next multiple of the alignment. */
	pad = (g->alignment - scan_rd_offset(g->rd) % g->alignment) %
	      g->alignment;
	rc = scan_rd_skip(g->rd, pad);
	if (rc)
		return g->n_t ? rc : 0;
	start = scan_rd_offset(g->rd);
	rc = scan_rd_drain(g->rd);
	if (rc)
		return rc;
	return check_extents(g, scan_rd_offset(g->rd) - start);
}

int scan_gguf(struct scan_ctx *c, struct scan_rd *rd, struct scan_file *f)
{
	struct gg g = { .c = c, .rd = rd, .f = f,
			.alignment = GG_DEFAULT_ALIGNMENT };
	int rc = gg_body(&g);

	if (rc && rc != ERR_NOMEM)
		scan_file_incomplete(f, "%s", err_msg());
	for (size_t i = 0; i < g.n_keys; i++)
		free(g.keys[i]);
	free(g.keys);
	for (size_t i = 0; i < g.n_t; i++)
		free(g.t[i].name);
	free(g.t);
	return rc == ERR_NOMEM ? rc : 0;
}

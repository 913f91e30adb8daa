/*
 * safetensors: the header is checked as strictly as the reference loader
 * (length cap, strict JSON with duplicate keys refused, known dtypes,
 * shapes consistent with byte extents, extents tiling the data section
 * exactly); tensor bytes cannot carry code and are only hashed.
 */
#include "scan/engine.h"
#include "scan/rules.h"
#include "util/err.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define ST_MAX_HEADER 100000000u   /* the reference loader's cap */
#define ST_MAX_TENSORS 1000000u
#define ST_MAX_DIMS 64

struct st_extent {
	uint64_t begin, end;
};

static const struct {
	const char *name;
	unsigned bits;
} st_dtypes[] = {
	{ "BOOL", 8 }, { "U8", 8 }, { "I8", 8 }, { "F8_E5M2", 8 },
	{ "F8_E4M3", 8 }, { "F8_E8M0", 8 }, { "I16", 16 }, { "U16", 16 },
	{ "F16", 16 }, { "BF16", 16 }, { "I32", 32 }, { "U32", 32 },
	{ "F32", 32 }, { "F64", 64 }, { "I64", 64 }, { "U64", 64 },
	{ "C64", 64 }, { "F4", 4 }, { "F6_E2M3", 6 }, { "F6_E3M2", 6 },
};

static int invalid(struct scan_ctx *c, struct scan_file *f, const char *what,
		   const char *name)
{
	return scan_add(c->r, "safetensors-invalid", SCAN_HIGH, f->path,
			SCAN_OWASP_SUPPLY_CHAIN, "safetensors: %s%s%.200s%s",
			what, name ? " ('" : "", name ? name : "",
			name ? "')" : "");
}

static unsigned dtype_bits(const char *s)
{
	for (size_t i = 0; i < sizeof(st_dtypes) / sizeof(st_dtypes[0]); i++)
		if (!strcmp(s, st_dtypes[i].name))
			return st_dtypes[i].bits;
	return 0;
}

/* Bytes a tensor of this dtype and shape needs; false on overflow. */
static bool tensor_bytes(json_t *shape, unsigned bits, uint64_t *out)
{
	uint64_t n = 1;
	size_t i;
	json_t *d;

	if (!json_is_array(shape) || json_array_size(shape) > ST_MAX_DIMS)
		return false;
	json_array_foreach(shape, i, d) {
		json_int_t v = json_is_integer(d) ? json_integer_value(d) : -1;

		if (v < 0 || (v && n > UINT64_MAX / (uint64_t)v))
			return false;
		n *= (uint64_t)v;
	}
	if (n > UINT64_MAX / bits)
		return false;
	n *= bits;
	if (n % 8)
		return false;
	*out = n / 8;
	return true;
}

static const char *check_tensor(json_t *t, struct st_extent *e)
{
	json_t *dt = json_object_get(t, "dtype");
	json_t *off = json_object_get(t, "data_offsets");
	json_int_t b, en;
	uint64_t need;
	unsigned bits;

	if (!json_is_object(t) || json_object_size(t) != 3 ||
	    !json_is_string(dt) || !off)
		return "tensor entry must hold exactly dtype, shape and "
		       "data_offsets";
	bits = dtype_bits(json_string_value(dt));
	if (!bits)
		return "unknown dtype for tensor";
	if (!json_is_array(off) || json_array_size(off) != 2 ||
	    !json_is_integer(json_array_get(off, 0)) ||
	    !json_is_integer(json_array_get(off, 1)))
		return "data_offsets must be two integers for tensor";
	b = json_integer_value(json_array_get(off, 0));
	en = json_integer_value(json_array_get(off, 1));
	if (b < 0 || en < b)
		return "data_offsets out of order for tensor";
	if (!tensor_bytes(json_object_get(t, "shape"), bits, &need))
		return "shape is not a list of sizes for tensor";
	if (need != (uint64_t)(en - b))
		return "shape and dtype disagree with the byte extent of "
		       "tensor";
	e->begin = (uint64_t)b;
	e->end = (uint64_t)en;
	return NULL;
}

static int cmp_extent(const void *a, const void *b)
{
	const struct st_extent *x = a, *y = b;

	return x->begin < y->begin ? -1 : x->begin > y->begin;
}

static bool metadata_ok(json_t *m)
{
	const char *k;
	json_t *v;

	if (!json_is_object(m))
		return false;
	json_object_foreach(m, k, v)
		if (!json_is_string(v))
			return false;
	return true;
}

/* Check every entry; *exts gets the extents sorted by start. */
static int check_header(struct scan_ctx *c, struct scan_file *f, json_t *h,
			struct st_extent *exts, size_t *n, uint64_t *data_len,
			bool *bad)
{
	const char *k, *why = NULL, *name = NULL;
	json_t *v;

	*n = 0;
	*data_len = 0;
	json_object_foreach(h, k, v) {
		if (!strcmp(k, "__metadata__")) {
			if (!metadata_ok(v))
				why = "__metadata__ must map strings to "
				      "strings";
		} else {
			why = check_tensor(v, &exts[*n]);
			name = k;
			(*n)++;
		}
		if (why)
			break;
	}
	if (!why) {
		name = NULL;
		qsort(exts, *n, sizeof(*exts), cmp_extent);
	}
	for (size_t i = 0; !why && i < *n; i++) {
		if (exts[i].begin < *data_len)
			why = "tensors overlap in the data section";
		else if (exts[i].begin > *data_len)
			why = "gap between tensors in the data section";
		*data_len = exts[i].end;
	}
	if (!why)
		return 0;
	*bad = true;
	return invalid(c, f, why, name);
}

static int parse_header(struct scan_ctx *c, struct scan_rd *rd,
			struct scan_file *f, uint64_t n, json_t **out)
{
	json_error_t jerr;
	char *buf;
	int rc;

	*out = NULL;
	buf = malloc(n ? n : 1);
	if (!buf)
		return err_set(ERR_NOMEM, "out of memory");
	rc = scan_rd_read(rd, buf, n);
	if (rc) {
		free(buf);
		scan_file_incomplete(f, "%s", err_msg());
		return 0;
	}
	*out = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &jerr);
	free(buf);
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return scan_add(c->r, "safetensors-invalid", SCAN_HIGH,
				f->path, SCAN_OWASP_SUPPLY_CHAIN,
				"safetensors: header is not a strict JSON "
				"object: %s at byte %d", jerr.text,
				jerr.position);
	}
	return 0;
}

int scan_safetensors(struct scan_ctx *c, struct scan_rd *rd,
		     struct scan_file *f)
{
	uint8_t lenb[8];
	uint64_t n = 0, data_len, start;
	struct st_extent *exts = NULL;
	size_t count;
	json_t *h = NULL;
	bool bad = false;
	int rc;

	rc = scan_rd_read(rd, lenb, 8);
	if (rc) {
		scan_file_incomplete(f, "%s", err_msg());
		return 0;
	}
	for (int i = 0; i < 8; i++)
		n |= (uint64_t)lenb[i] << (8 * i);
	if (n > ST_MAX_HEADER)
		return invalid(c, f, "header length exceeds 100000000 bytes",
			       NULL);
	rc = parse_header(c, rd, f, n, &h);
	if (rc || !h)
		return rc;
	if (json_object_size(h) > ST_MAX_TENSORS) {
		json_decref(h);
		return invalid(c, f, "too many tensors", NULL);
	}
	exts = calloc(json_object_size(h) + 1, sizeof(*exts));
	if (!exts) {
		json_decref(h);
		return err_set(ERR_NOMEM, "out of memory");
	}
	rc = check_header(c, f, h, exts, &count, &data_len, &bad);
	json_decref(h);
	free(exts);
	if (rc || bad)
		return rc;

	/* Tensor bytes are only hashed; the total must match exactly. */
	start = scan_rd_offset(rd);
	if (scan_rd_drain(rd)) {
		scan_file_incomplete(f, "%s", err_msg());
		return 0;
	}
	if (scan_rd_offset(rd) - start != data_len)
		return invalid(c, f, "tensors do not tile the data section "
			       "exactly", NULL);
	return 0;
}

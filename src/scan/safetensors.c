/* safetensors: an 8-byte little-endian header length, a JSON header, then
 * the tensor bytes. Only the header is read; the payload is checked by
 * arithmetic (offsets must tile it exactly), never loaded. */
#include "scan/formats.h"

#include <stdlib.h>
#include <string.h>

#include "scan/fmt_util.h"
#include "util/err.h"

/* The reference loader refuses headers above 100 MB; past our own smaller
 * parse limit the file is reported incomplete rather than parsed. */
#define ST_LOADER_MAX_HEADER 100000000ull
#define ST_MAX_HEADER (16u << 20)
#define ST_MAX_TENSORS (1u << 20)
#define ST_MAX_RANK 64

struct st_extent {
	uint64_t begin, end;
	const char *name;
};

static int dtype_bits(const char *d)
{
	static const struct { const char *name; int bits; } tab[] = {
		{ "BOOL", 8 }, { "U8", 8 }, { "I8", 8 }, { "F8_E5M2", 8 },
		{ "F8_E4M3", 8 }, { "F8_E8M0", 8 }, { "I16", 16 },
		{ "U16", 16 }, { "F16", 16 }, { "BF16", 16 }, { "I32", 32 },
		{ "U32", 32 }, { "F32", 32 }, { "C64", 64 }, { "F64", 64 },
		{ "I64", 64 }, { "U64", 64 }, { "F4", 4 }, { "F6_E2M3", 6 },
		{ "F6_E3M2", 6 },
	};

	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++)
		if (!strcmp(d, tab[i].name))
			return tab[i].bits;
	return 0;
}

static int bad_header(struct scan_report *r, struct scan_file *f,
		      const char *rule, const char *what, const char *name)
{
	scan_add(r, rule, SCAN_HIGH, f->path, OWASP_SUPPLY_CHAIN,
		 "safetensors header: %s%s%s%s in '%s'", what,
		 name ? " for '" : "", name ? name : "", name ? "'" : "",
		 f->path);
	return scan_fmt_fail(f, ERR_INVALID, "safetensors: %s in '%s'",
			     what, f->path);
}

static bool json_u64(const json_t *v, uint64_t *out)
{
	json_int_t i;

	if (!json_is_integer(v))
		return false;
	i = json_integer_value(v);
	if (i < 0)
		return false;
	*out = (uint64_t)i;
	return true;
}

/* Byte length implied by dtype and shape; false on overflow or a packed
 * type whose bits do not fill whole bytes. */
static bool tensor_bytes(const json_t *shape, int bits, uint64_t *out)
{
	uint64_t n = 1, dim;
	size_t i;
	json_t *v;

	if (!json_is_array(shape) || json_array_size(shape) > ST_MAX_RANK)
		return false;
	json_array_foreach(shape, i, v) {
		if (!json_u64(v, &dim))
			return false;
		if (dim && n > UINT64_MAX / dim)
			return false;
		n *= dim;
	}
	if (n > UINT64_MAX / (uint64_t)bits || (n * (uint64_t)bits) % 8)
		return false;
	*out = n * (uint64_t)bits / 8;
	return true;
}

static int check_metadata(struct scan_report *r, struct scan_file *f,
			  json_t *meta)
{
	const char *k;
	json_t *v;
	int rc;

	if (!json_is_object(meta))
		return bad_header(r, f, "safetensors-header-invalid",
				  "__metadata__ is not an object", NULL);
	json_object_foreach(meta, k, v) {
		if (!json_is_string(v))
			return bad_header(r, f, "safetensors-header-invalid",
					  "metadata value is not a string", k);
		rc = scan_fmt_check_text(r, f, json_string_value(v),
					 json_string_length(v), 8,
					 SCAN_TEXT_CONFIG);
		if (rc)
			return scan_fmt_fail(f, rc, "safetensors: %s",
					     err_msg());
	}
	return 0;
}

/* One tensor entry: exactly dtype, shape and data_offsets. */
static int check_tensor(struct scan_report *r, struct scan_file *f,
			const char *name, json_t *t, struct st_extent *x,
			bool *mismatch)
{
	json_t *dt = json_object_get(t, "dtype");
	json_t *offs = json_object_get(t, "data_offsets");
	uint64_t want;
	int bits;

	if (!json_is_object(t) || json_object_size(t) != 3 ||
	    !json_is_string(dt) || !json_object_get(t, "shape") ||
	    !json_is_array(offs) || json_array_size(offs) != 2 ||
	    !json_u64(json_array_get(offs, 0), &x->begin) ||
	    !json_u64(json_array_get(offs, 1), &x->end))
		return bad_header(r, f, "safetensors-header-invalid",
				  "malformed tensor entry", name);
	x->name = name;
	bits = dtype_bits(json_string_value(dt));
	if (!bits)
		return scan_fmt_fail(f, ERR_UNSUPPORTED,
				     "safetensors: unknown dtype '%s' for "
				     "'%s' in '%s'", json_string_value(dt),
				     name, f->path);
	if (!tensor_bytes(json_object_get(t, "shape"), bits, &want) ||
	    x->end < x->begin || x->end - x->begin != want) {
		scan_add(r, "safetensors-dtype-shape-mismatch", SCAN_HIGH,
			 f->path, OWASP_SUPPLY_CHAIN,
			 "tensor '%s': dtype and shape do not match its "
			 "%llu..%llu byte range in '%s'", name,
			 (unsigned long long)x->begin,
			 (unsigned long long)x->end, f->path);
		*mismatch = true;
	}
	return 0;
}

static int cmp_extent(const void *a, const void *b)
{
	const struct st_extent *x = a, *y = b;

	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return x->end < y->end ? -1 : x->end > y->end;
}

/* Sorted by start, every extent must begin where the previous ended and
 * the last end where the file ends: no gap can hide bytes, no overlap can
 * alias tensors, nothing points past the end. */
static void check_tiling(struct scan_report *r, struct scan_file *f,
			 struct st_extent *x, size_t n, uint64_t data_len)
{
	uint64_t at = 0;

	qsort(x, n, sizeof(*x), cmp_extent);
	for (size_t i = 0; i < n; i++) {
		if (x[i].begin != at || x[i].end > data_len) {
			scan_add(r, "safetensors-offsets-invalid", SCAN_HIGH,
				 f->path, OWASP_SUPPLY_CHAIN,
				 "tensor '%s' at %llu..%llu %s (expected "
				 "start %llu, data section %llu bytes) in "
				 "'%s'", x[i].name,
				 (unsigned long long)x[i].begin,
				 (unsigned long long)x[i].end,
				 x[i].begin < at ? "overlaps" :
				 x[i].end > data_len ? "runs past the end" :
				 "leaves a gap",
				 (unsigned long long)at,
				 (unsigned long long)data_len, f->path);
			return;
		}
		at = x[i].end;
	}
	if (at != data_len)
		scan_add(r, "safetensors-offsets-invalid", SCAN_HIGH, f->path,
			 OWASP_SUPPLY_CHAIN,
			 "%llu trailing bytes after the last tensor in '%s'",
			 (unsigned long long)(data_len - at), f->path);
}

static int check_header(struct scan_report *r, struct scan_file *f,
			json_t *h, uint64_t data_len)
{
	struct st_extent *x = NULL;
	bool mismatch = false;
	size_t n = 0;
	const char *k;
	json_t *v;
	int rc = 0;

	if (!json_is_object(h))
		return bad_header(r, f, "safetensors-header-invalid",
				  "header is not an object", NULL);
	if (json_object_size(h) > ST_MAX_TENSORS)
		return scan_fmt_fail(f, ERR_LIMIT, "safetensors: more than "
				     "%u tensors in '%s'", ST_MAX_TENSORS,
				     f->path);
	x = calloc(json_object_size(h) + 1, sizeof(*x));
	if (!x)
		return scan_fmt_fail(f, ERR_NOMEM, "out of memory");
	json_object_foreach(h, k, v) {
		if (!strcmp(k, "__metadata__"))
			rc = check_metadata(r, f, v);
		else
			rc = check_tensor(r, f, k, v, &x[n++], &mismatch);
		if (rc)
			goto out;
	}
	check_tiling(r, f, x, n, data_len);
out:
	free(x);
	return rc;
}

int scan_fmt_safetensors(struct scan_report *r, struct scan_file *f, int fd,
			 uint64_t size)
{
	uint8_t le[8];
	uint64_t hlen = 0;
	char *text = NULL;
	json_t *h = NULL;
	int rc;

	rc = scan_fmt_pread(f, fd, 0, le, sizeof(le));
	if (rc)
		return scan_fmt_fail(f, rc, "safetensors: %s", err_msg());
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | le[i];
	if (hlen > ST_LOADER_MAX_HEADER || hlen > size - 8 || hlen < 2)
		return bad_header(r, f, "safetensors-header-too-large",
				  "header length out of range", NULL);
	if (hlen > ST_MAX_HEADER)
		return scan_fmt_fail(f, ERR_LIMIT, "safetensors: header of "
				     "%llu bytes exceeds the %u limit in '%s'",
				     (unsigned long long)hlen, ST_MAX_HEADER,
				     f->path);
	rc = scan_fmt_read_alloc(f, fd, 8, (size_t)hlen, &text);
	if (rc)
		return scan_fmt_fail(f, rc, "safetensors: %s", err_msg());
	if (text[0] != '{') {
		rc = bad_header(r, f, "safetensors-header-invalid",
				"header does not start with '{'", NULL);
		goto out;
	}
	h = scan_fmt_json(f->path, text, (size_t)hlen);
	if (!h) {
		rc = bad_header(r, f, strstr(err_msg(), "duplicate") ?
				"safetensors-duplicate-key" :
				"safetensors-header-invalid", err_msg(), NULL);
		goto out;
	}
	rc = check_header(r, f, h, size - 8 - hlen);
out:
	json_decref(h);
	free(text);
	return rc;
}

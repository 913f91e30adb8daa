/* Protobuf wire format per the encoding guide: tag = field << 3 | type,
 * varints of at most 10 bytes, length-delimited payloads bounded by the
 * enclosing message. */
#include "scan/pbwire.h"

#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static int varint(struct fmt_cursor *c, uint64_t *v)
{
	uint64_t x = 0;

	for (int i = 0; i < 10; i++) {
		uint8_t b;
		int rc = fmt_cursor_read(c, &b, 1);

		if (rc)
			return rc;
		if (i == 9 && b > 1)
			break;
		x |= (uint64_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return err_set(ERR_INVALID, "'%s': protobuf varint too long at "
		       "offset %llu", c->f->path, (unsigned long long)c->pos);
}

int pb_next(struct fmt_cursor *c, struct pb_field *fld)
{
	uint64_t tag, at = c->pos;
	int rc;

	if (c->pos >= c->end)
		return 0;
	rc = varint(c, &tag);
	if (rc)
		return rc;
	fld->num = (uint32_t)(tag >> 3);
	fld->wire = (enum pb_wire)(tag & 7);
	if (tag >> 3 == 0 || tag >> 3 > 536870911u)
		return err_set(ERR_INVALID, "'%s': protobuf field number 0 or "
			       "too large at offset %llu", c->f->path,
			       (unsigned long long)at);
	switch (fld->wire) {
	case PB_VARINT:
		return varint(c, &fld->val) ? ERR_INVALID : 1;
	case PB_I64:
		return fmt_cursor_u64le(c, &fld->val) ? ERR_INVALID : 1;
	case PB_I32: {
		uint32_t v;

		if (fmt_cursor_u32le(c, &v))
			return ERR_INVALID;
		fld->val = v;
		return 1;
	}
	case PB_LEN:
		rc = varint(c, &fld->len);
		if (rc)
			return rc;
		fld->off = c->pos;
		rc = fmt_cursor_skip(c, fld->len);
		return rc ? rc : 1;
	}
	/* Groups (3, 4) are deprecated and not used by ONNX or TensorFlow. */
	return err_set(ERR_INVALID, "'%s': protobuf wire type %u at offset "
		       "%llu", c->f->path, (unsigned)(tag & 7),
		       (unsigned long long)at);
}

uint64_t pb_enter(struct fmt_cursor *c, const struct pb_field *fld)
{
	uint64_t saved = c->end;

	c->pos = fld->off;
	c->end = fld->off + fld->len;
	return saved;
}

void pb_leave(struct fmt_cursor *c, const struct pb_field *fld,
	      uint64_t saved_end)
{
	c->pos = fld->off + fld->len;
	c->end = saved_end;
}

int pb_string(struct fmt_cursor *c, const struct pb_field *fld, size_t max,
	      char **out)
{
	uint64_t save_pos = c->pos, save_end;
	char *s;
	int rc;

	*out = NULL;
	if (fld->wire != PB_LEN)
		return err_set(ERR_INVALID, "'%s': protobuf field %u is not a "
			       "string", c->f->path, fld->num);
	if (fld->len > max)
		return err_set(ERR_LIMIT, "'%s': protobuf string of %llu bytes "
			       "at offset %llu exceeds the %zu limit",
			       c->f->path, (unsigned long long)fld->len,
			       (unsigned long long)fld->off, max);
	s = malloc((size_t)fld->len + 1);
	if (!s)
		return err_set(ERR_NOMEM, "out of memory");
	save_end = pb_enter(c, fld);
	rc = fmt_cursor_read(c, s, (size_t)fld->len);
	c->pos = save_pos;
	c->end = save_end;
	if (rc) {
		free(s);
		return rc;
	}
	s[fld->len] = '\0';
	if (strlen(s) != fld->len) {
		free(s);
		return err_set(ERR_INVALID, "'%s': NUL inside protobuf string "
			       "at offset %llu", c->f->path,
			       (unsigned long long)fld->off);
	}
	*out = s;
	return 0;
}

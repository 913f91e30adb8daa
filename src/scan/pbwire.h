/* A bounded reader for the protobuf wire format (ONNX, SavedModel): fields
 * are visited in order, length-delimited payloads are entered or skipped
 * by offset, so a multi-gigabyte initializer is never read. */
#ifndef STELE_SCAN_PBWIRE_H
#define STELE_SCAN_PBWIRE_H

#include <stdint.h>

#include "scan/fmt_cursor.h"

enum pb_wire { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

struct pb_field {
	uint32_t num;
	enum pb_wire wire;
	uint64_t val;        /* varint / fixed value */
	uint64_t off, len;   /* PB_LEN: where the payload is */
};

/*
 * Read the next field of the message that ends at c->end. Returns 1 with
 * *fld filled (a PB_LEN payload is skipped over; enter it with
 * pb_enter()), 0 at the end of the message, or ERR_INVALID (malformed:
 * bad tag, group wire types, a length past the end) with err_set().
 */
int pb_next(struct fmt_cursor *c, struct pb_field *fld);

/* Position c on fld's payload as a sub-message; returns the previous end
 * for pb_leave(). */
uint64_t pb_enter(struct fmt_cursor *c, const struct pb_field *fld);

/* Leave a sub-message entered with pb_enter(): the cursor continues after
 * fld's payload. */
void pb_leave(struct fmt_cursor *c, const struct pb_field *fld,
	      uint64_t saved_end);

/* Copy a PB_LEN payload of at most max bytes as a C string into *out
 * (caller frees). ERR_LIMIT when longer, ERR_INVALID when it holds a NUL
 * or the field is not length-delimited. */
int pb_string(struct fmt_cursor *c, const struct pb_field *fld, size_t max,
	      char **out);

#endif

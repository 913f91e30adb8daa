/*
 * ONNX models and TensorFlow SavedModels: a streaming protobuf wire-format
 * walker that descends only into the messages that can name code or
 * files (graphs, nodes, functions, tensors' external data) and skips
 * every other field, tensor payloads included, by length.
 */
#include "scan/engine.h"
#include "scan/rules.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PB_MAX_DEPTH 100        /* protobuf's own recursion limit */
#define PB_KEEP 1024            /* string bytes kept for checks */

enum pb_msg {
	PB_NONE,
	/* ONNX */
	ONNX_MODEL, ONNX_GRAPH, ONNX_NODE, ONNX_ATTR, ONNX_TENSOR,
	ONNX_ENTRY, ONNX_OPSET, ONNX_FUNCTION, ONNX_SPARSE,
	/* TensorFlow */
	TF_SAVED, TF_META, TF_GRAPH, TF_NODE, TF_LIB, TF_FUNC,
};

/* Submessage type of field f inside message m (PB_NONE: skip it). */
static enum pb_msg pb_child(enum pb_msg m, uint32_t f)
{
	switch (m) {
	case ONNX_MODEL:
		return f == 7 ? ONNX_GRAPH : f == 8 ? ONNX_OPSET :
		       f == 25 ? ONNX_FUNCTION : PB_NONE;
	case ONNX_GRAPH:
		return f == 1 ? ONNX_NODE : f == 5 ? ONNX_TENSOR :
		       f == 15 ? ONNX_SPARSE : PB_NONE;
	case ONNX_NODE:
		return f == 5 ? ONNX_ATTR : PB_NONE;
	case ONNX_ATTR:
		return f == 5 || f == 10 ? ONNX_TENSOR :
		       f == 6 || f == 11 ? ONNX_GRAPH :
		       f == 22 || f == 23 ? ONNX_SPARSE : PB_NONE;
	case ONNX_TENSOR:
		return f == 13 ? ONNX_ENTRY : PB_NONE;
	case ONNX_SPARSE:
		return f == 1 || f == 2 ? ONNX_TENSOR : PB_NONE;
	case ONNX_FUNCTION:
		return f == 7 ? ONNX_NODE : f == 9 ? ONNX_OPSET : PB_NONE;
	case TF_SAVED:
		return f == 2 ? TF_META : PB_NONE;
	case TF_META:
		return f == 2 ? TF_GRAPH : PB_NONE;
	case TF_GRAPH:
		return f == 1 ? TF_NODE : f == 2 ? TF_LIB : PB_NONE;
	case TF_LIB:
		return f == 1 ? TF_FUNC : PB_NONE;
	case TF_FUNC:
		return f == 3 ? TF_NODE : PB_NONE;
	default:
		return PB_NONE;
	}
}

/* String fields the checks read: (message, field). */
static bool pb_wanted_string(enum pb_msg m, uint32_t f)
{
	return (m == ONNX_NODE && (f == 4 || f == 7)) ||
	       (m == ONNX_ENTRY && (f == 1 || f == 2)) ||
	       (m == ONNX_OPSET && f == 1) || (m == TF_NODE && f == 2);
}

struct pb {
	struct scan_ctx *c;
	struct scan_rd *rd;
	struct scan_file *f;
	bool found;            /* a recognised field was seen */
};

/* What one message instance saw, checked when it ends. */
struct pb_seen {
	char s1[PB_KEEP + 1];  /* op_type / key / domain / op */
	char s2[PB_KEEP + 1];  /* domain / value */
};

static int pb_varint(struct pb *p, uint64_t *v)
{
	uint8_t b;
	int rc;

	*v = 0;
	for (int shift = 0; shift < 70; shift += 7) {
		rc = scan_rd_read(p->rd, &b, 1);
		if (rc)
			return rc;
		if (shift == 63 && b > 1)
			break;
		*v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return 0;
	}
	return err_set(ERR_INVALID, "protobuf: varint too long at offset %llu "
		       "in '%s'", (unsigned long long)scan_rd_offset(p->rd),
		       p->f->path);
}

static int pb_string(struct pb *p, uint64_t len, char *out)
{
	size_t keep = len < PB_KEEP ? (size_t)len : PB_KEEP;
	int rc = scan_rd_read(p->rd, out, keep);

	if (!rc)
		rc = scan_rd_skip(p->rd, len - keep);
	out[rc ? 0 : keep] = '\0';
	return rc;
}

static bool std_onnx_domain(const char *d)
{
	return !*d || !strcmp(d, "ai.onnx") || !strcmp(d, "ai.onnx.ml") ||
	       !strcmp(d, "ai.onnx.training") ||
	       !strcmp(d, "ai.onnx.preview.training") ||
	       !strcmp(d, "com.microsoft");
}

static bool bad_location(const char *l)
{
	const char *p = l;

	if (l[0] == '/' || l[0] == '\\' || (l[0] && l[1] == ':'))
		return true;
	while (*p) {
		size_t n = strcspn(p, "/\\");

		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n + (p[n] != '\0');
	}
	return false;
}

static int check_onnx_node(struct pb *p, const struct pb_seen *s)
{
	if (!strcmp(s->s1, "PyOp") || !strcmp(s->s1, "PythonOp") ||
	    !strcmp(s->s2, "ai.onnx.contrib"))
		return scan_add(p->c->r, "onnx-python-op", SCAN_HIGH,
				p->f->path, SCAN_OWASP_SUPPLY_CHAIN,
				"ONNX node '%s' in domain '%s' runs Python "
				"through a custom-op library", s->s1, s->s2);
	if (!std_onnx_domain(s->s2))
		return scan_add(p->c->r, "onnx-custom-domain", SCAN_MEDIUM,
				p->f->path, SCAN_OWASP_SUPPLY_CHAIN,
				"ONNX node '%s' uses custom op domain '%s', "
				"loaded from a native library", s->s1, s->s2);
	return 0;
}

static int check_end(struct pb *p, enum pb_msg m, const struct pb_seen *s)
{
	static const char *const tf_code[] = {
		"PyFunc", "PyFuncStateless", "EagerPyFunc",
	};
	static const char *const tf_file[] = {
		"ReadFile", "WriteFile", "MatchingFiles", "DeleteFile",
		"WriteFileV2", "ImmutableConst",
	};

	if (m == ONNX_NODE)
		return check_onnx_node(p, s);
	if (m == ONNX_ENTRY && !strcmp(s->s1, "location") &&
	    bad_location(s->s2))
		return scan_add(p->c->r, "onnx-external-data", SCAN_HIGH,
				p->f->path, SCAN_OWASP_SUPPLY_CHAIN,
				"ONNX tensor data location '%s' is absolute or "
				"leaves the model directory", s->s2);
	for (size_t i = 0; m == TF_NODE && i < 3; i++)
		if (!strcmp(s->s1, tf_code[i]))
			return scan_add(p->c->r, "tf-pyfunc", SCAN_CRITICAL,
					p->f->path, SCAN_OWASP_SUPPLY_CHAIN,
					"TensorFlow graph uses %s, which runs "
					"Python code", s->s1);
	for (size_t i = 0; m == TF_NODE && i < 6; i++)
		if (!strcmp(s->s1, tf_file[i]))
			return scan_add(p->c->r, "tf-file-op", SCAN_HIGH,
					p->f->path, SCAN_OWASP_SUPPLY_CHAIN,
					"TensorFlow graph uses %s, which reaches "
					"the file system", s->s1);
	return 0;
}

static int pb_message(struct pb *p, enum pb_msg m, uint64_t end,
		      unsigned depth);

static int pb_field(struct pb *p, enum pb_msg m, uint64_t end,
		    unsigned depth, struct pb_seen *seen)
{
	uint64_t key, v, left;
	uint32_t field;
	int wt, rc;

	rc = pb_varint(p, &key);
	if (rc)
		return rc;
	field = (uint32_t)(key >> 3);
	wt = (int)(key & 7);
	if (!field)
		return err_set(ERR_INVALID, "protobuf: field number 0 at "
			       "offset %llu in '%s'",
			       (unsigned long long)scan_rd_offset(p->rd),
			       p->f->path);
	switch (wt) {
	case 0:
		return pb_varint(p, &v);
	case 1:
		return scan_rd_skip(p->rd, 8);
	case 5:
		return scan_rd_skip(p->rd, 4);
	case 2:
		break;
	default:
		return err_set(ERR_INVALID, "protobuf: wire type %d at offset "
			       "%llu in '%s'", wt,
			       (unsigned long long)scan_rd_offset(p->rd),
			       p->f->path);
	}
	rc = pb_varint(p, &v);
	if (rc)
		return rc;
	left = end - scan_rd_offset(p->rd);
	if (v > left)
		return err_set(ERR_INVALID, "protobuf: field %u overruns its "
			       "message at offset %llu in '%s'", field,
			       (unsigned long long)scan_rd_offset(p->rd),
			       p->f->path);
	if (pb_child(m, field) != PB_NONE) {
		p->found = true;
		return pb_message(p, pb_child(m, field),
				  scan_rd_offset(p->rd) + v, depth + 1);
	}
	if (pb_wanted_string(m, field))
		return pb_string(p, v, (m == ONNX_NODE && field == 7) ||
				 (m == ONNX_ENTRY && field == 2) ?
				 seen->s2 : seen->s1);
	return scan_rd_skip(p->rd, v);
}

static int pb_message(struct pb *p, enum pb_msg m, uint64_t end,
		      unsigned depth)
{
	struct pb_seen *seen;
	int rc = 0;

	if (depth > PB_MAX_DEPTH)
		return err_set(ERR_LIMIT, "protobuf: messages nested deeper "
			       "than %d in '%s'", PB_MAX_DEPTH, p->f->path);
	seen = calloc(1, sizeof(*seen));
	if (!seen)
		return err_set(ERR_NOMEM, "out of memory");
	while (!rc && scan_rd_offset(p->rd) < end &&
	       !(end == UINT64_MAX && scan_rd_at_end(p->rd)))
		rc = pb_field(p, m, end, depth, seen);
	if (!rc && end != UINT64_MAX && scan_rd_offset(p->rd) != end)
		rc = err_set(ERR_INVALID, "protobuf: message overruns at "
			     "offset %llu in '%s'",
			     (unsigned long long)scan_rd_offset(p->rd),
			     p->f->path);
	if (!rc)
		rc = check_end(p, m, seen);
	free(seen);
	return rc;
}

int scan_proto(struct scan_ctx *c, struct scan_rd *rd, struct scan_file *f,
	       bool savedmodel)
{
	struct pb p = { .c = c, .rd = rd, .f = f };
	int rc;

	rc = pb_message(&p, savedmodel ? TF_SAVED : ONNX_MODEL, UINT64_MAX, 0);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc)
		scan_file_incomplete(f, "%s", err_msg());
	else if (!p.found)
		scan_file_incomplete(f, "%s: no graph found",
				     savedmodel ? "savedmodel" : "onnx");
	return 0;
}

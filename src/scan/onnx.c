/* ONNX ModelProto (onnx.proto3): every graph, subgraph and function is
 * walked for operator domains and for tensors whose bytes live in
 * external files; initializer payloads are skipped by offset. */
#include "scan/formats.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scan/fmt_util.h"
#include "scan/pbwire.h"
#include "util/err.h"

#define OX_MAX_DEPTH 32          /* nested graphs and messages */
#define OX_MAX_NAME 4096         /* op types, domains, keys */
#define OX_MAX_LOCATION 4096
#define OX_MAX_TEXT 65536        /* metadata values checked as text */
#define OX_MAX_FUNCS 4096

/* Field numbers from onnx/onnx.proto3. */
enum {
	MODEL_GRAPH = 7, MODEL_OPSET = 8, MODEL_META = 14,
	MODEL_TRAINING = 20, MODEL_FUNCTIONS = 25,
	GRAPH_NODE = 1, GRAPH_INIT = 5, GRAPH_SPARSE_INIT = 15,
	NODE_OP_TYPE = 4, NODE_ATTR = 5, NODE_DOMAIN = 7,
	ATTR_T = 5, ATTR_G = 6, ATTR_TENSORS = 10, ATTR_GRAPHS = 11,
	ATTR_SPARSE = 22, ATTR_SPARSES = 23,
	TENSOR_NAME = 8, TENSOR_EXTERNAL = 13,
	SPARSE_VALUES = 1,
	ENTRY_KEY = 1, ENTRY_VALUE = 2,
	TRAIN_INIT = 1, TRAIN_ALGO = 2,
	FUNC_NAME = 1, FUNC_NODE = 7, FUNC_DOMAIN = 10,
};

struct ox {
	struct scan_report *r;
	struct scan_file *f;
	struct fmt_cursor *c;
	char *funcs[OX_MAX_FUNCS];   /* domains of model-local functions */
	size_t n_funcs;
	bool python_op, custom_domain;
	bool loc_seen[4];            /* one finding per location rule */
};

typedef int (*ox_msg_fn)(struct ox *o, int depth);

static int ox_fail(struct ox *o, int rc)
{
	if (rc == ERR_INVALID)
		scan_add(o->r, "onnx-invalid", SCAN_HIGH, o->f->path,
			 OWASP_SUPPLY_CHAIN, "malformed ONNX protobuf: %s",
			 err_msg());
	return scan_fmt_fail(o->f, rc, "onnx: %s", err_msg());
}

/* Enter fld as a sub-message and run fn on it. */
static int ox_sub(struct ox *o, const struct pb_field *fld, ox_msg_fn fn,
		  int depth)
{
	uint64_t saved;
	int rc;

	if (fld->wire != PB_LEN) {
		err_set(ERR_INVALID, "'%s': field %u at offset %llu is not a "
			"message", o->f->path, fld->num,
			(unsigned long long)o->c->pos);
		return ox_fail(o, ERR_INVALID);
	}
	if (depth >= OX_MAX_DEPTH)
		return scan_fmt_fail(o->f, ERR_LIMIT, "onnx: messages nested "
				     "deeper than %d in '%s'", OX_MAX_DEPTH,
				     o->f->path);
	saved = pb_enter(o->c, fld);
	rc = fn(o, depth + 1);
	pb_leave(o->c, fld, saved);
	return rc;
}

static int ox_string(struct ox *o, const struct pb_field *fld, size_t max,
		     char **out)
{
	int rc = pb_string(o->c, fld, max, out);

	return rc ? ox_fail(o, rc) : 0;
}

static bool is_absolute(const char *p)
{
	return p[0] == '/' || p[0] == '\\' ||
	       (((p[0] | 0x20) >= 'a' && (p[0] | 0x20) <= 'z') &&
		p[1] == ':');
}

static bool has_dotdot(const char *p)
{
	for (const char *s = p; *s; ) {
		size_t n = strcspn(s, "/\\");

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s += n;
		if (*s)
			s++;
	}
	return false;
}

/* The model's own directory is known only when f->path names a file on
 * disk (not an archive member): then every component of the location is
 * checked for a link the loader would follow (sub/x where sub -> /). */
static bool is_link(const struct scan_file *f, const char *loc)
{
	const char *slash = strrchr(f->path, '/');
	size_t dir_len, at;
	char path[4096];
	struct stat st;
	int n;

	if (strchr(f->path, '!'))
		return false;
	n = slash ? snprintf(path, sizeof(path), "%.*s/%s",
			     (int)(slash - f->path), f->path, loc) :
		    snprintf(path, sizeof(path), "%s", loc);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	dir_len = slash ? (size_t)(slash - f->path) + 1 : 0;
	for (at = dir_len; at <= (size_t)n; at++) {
		char c = path[at];

		if (c != '/' && c != '\0')
			continue;
		path[at] = '\0';
		if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode))
			return true;
		path[at] = c;
	}
	return false;
}

/* One finding per rule: a large model names its data file once per
 * tensor. */
static void check_location(struct ox *o, const char *loc)
{
	static const char *const rules[4] = {
		"onnx-external-data-absolute", "onnx-external-data-traversal",
		"onnx-external-data-link", "onnx-external-data",
	};
	static const char *const what[4] = {
		"is an absolute path", "leaves the model directory",
		"is a symbolic link", "is read next to the model",
	};
	int k = is_absolute(loc) ? 0 : has_dotdot(loc) ? 1 :
		is_link(o->f, loc) ? 2 : 3;

	if (o->loc_seen[k])
		return;
	o->loc_seen[k] = true;
	scan_add(o->r, rules[k], k == 3 ? SCAN_INFO : SCAN_HIGH, o->f->path,
		 OWASP_SUPPLY_CHAIN, "external data location '%s' %s in '%s'",
		 loc, what[k], o->f->path);
}

/* StringStringEntryProto of external_data: only "location" matters. */
static int ox_external(struct ox *o, int depth)
{
	char *key = NULL, *val = NULL;
	struct pb_field fld;
	int rc;

	while ((rc = pb_next(o->c, &fld)) > 0) {
		char **dst = fld.num == ENTRY_KEY ? &key :
			     fld.num == ENTRY_VALUE ? &val : NULL;

		if (!dst)
			continue;
		free(*dst);
		*dst = NULL;
		rc = ox_string(o, &fld, OX_MAX_LOCATION, dst);
		if (rc)
			goto out;
	}
	if (rc < 0) {
		rc = ox_fail(o, rc);
		goto out;
	}
	if (key && !strcmp(key, "location"))
		check_location(o, val ? val : "");
out:
	free(key);
	free(val);
	return rc;
}

static int ox_tensor(struct ox *o, int depth)
{
	struct pb_field fld;
	int rc;

	while ((rc = pb_next(o->c, &fld)) > 0) {
		if (fld.num == TENSOR_EXTERNAL) {
			rc = ox_sub(o, &fld, ox_external, depth);
			if (rc)
				return rc;
		}
	}
	return rc < 0 ? ox_fail(o, rc) : 0;
}

static int ox_sparse(struct ox *o, int depth)
{
	struct pb_field fld;
	int rc;

	while ((rc = pb_next(o->c, &fld)) > 0) {
		if (fld.num == SPARSE_VALUES) {
			rc = ox_sub(o, &fld, ox_tensor, depth);
			if (rc)
				return rc;
		}
	}
	return rc < 0 ? ox_fail(o, rc) : 0;
}

static int ox_graph(struct ox *o, int depth);

static int ox_attr(struct ox *o, int depth)
{
	struct pb_field fld;
	ox_msg_fn fn;
	int rc;

	while ((rc = pb_next(o->c, &fld)) > 0) {
		switch (fld.num) {
		case ATTR_T: case ATTR_TENSORS: fn = ox_tensor; break;
		case ATTR_G: case ATTR_GRAPHS: fn = ox_graph; break;
		case ATTR_SPARSE: case ATTR_SPARSES: fn = ox_sparse; break;
		default: continue;
		}
		rc = ox_sub(o, &fld, fn, depth);
		if (rc)
			return rc;
	}
	return rc < 0 ? ox_fail(o, rc) : 0;
}

/* Standard and ONNX Runtime contrib domains run built-in kernels; any
 * other needs a custom-op library loaded by the serving process. */
static bool domain_standard(const char *d)
{
	static const char *const ok[] = {
		"", "ai.onnx", "ai.onnx.ml", "ai.onnx.preview.training",
		"ai.onnx.training", "com.microsoft", "com.microsoft.nchwc",
		"com.microsoft.experimental", "com.microsoft.mlfeaturizers",
		"com.ms.internal.nhwc", "org.pytorch.aten",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(d, ok[i]))
			return true;
	return false;
}

static bool domain_local(const struct ox *o, const char *d)
{
	for (size_t i = 0; i < o->n_funcs; i++)
		if (!strcmp(o->funcs[i], d))
			return true;
	return false;
}

/* onnxruntime-extensions runs Python callbacks as PyOp in its contrib
 * domain: loading such a model executes Python. */
static bool python_op(const char *domain, const char *op)
{
	return !strcmp(op, "PyOp") || !strcmp(op, "PythonOp") ||
	       strstr(domain, "python") || strstr(domain, "pyop") ||
	       (!strcmp(domain, "ai.onnx.contrib") && strstr(op, "Py"));
}

static void check_node(struct ox *o, const char *domain, const char *op)
{
	if (python_op(domain, op)) {
		if (!o->python_op)
			scan_add(o->r, "onnx-python-op", SCAN_CRITICAL,
				 o->f->path, OWASP_SUPPLY_CHAIN,
				 "operator '%s' in domain '%s' runs Python "
				 "code in '%s'", op, domain, o->f->path);
		o->python_op = true;
	} else if (!domain_standard(domain) && !domain_local(o, domain)) {
		if (!o->custom_domain)
			scan_add(o->r, "onnx-custom-domain", SCAN_HIGH,
				 o->f->path, OWASP_SUPPLY_CHAIN,
				 "operator '%s' from custom domain '%s' needs "
				 "native code outside the model in '%s'", op,
				 domain, o->f->path);
		o->custom_domain = true;
	}
}

static int ox_node(struct ox *o, int depth)
{
	char *op = NULL, *domain = NULL;
	struct pb_field fld;
	int rc;

	while ((rc = pb_next(o->c, &fld)) > 0) {
		rc = 0;
		if (fld.num == NODE_OP_TYPE || fld.num == NODE_DOMAIN) {
			char **dst = fld.num == NODE_OP_TYPE ? &op : &domain;

			free(*dst);
			*dst = NULL;
			rc = ox_string(o, &fld, OX_MAX_NAME, dst);
		} else if (fld.num == NODE_ATTR) {
			rc = ox_sub(o, &fld, ox_attr, depth);
		}
		if (rc)
			goto out;
	}
	if (rc < 0) {
		rc = ox_fail(o, rc);
		goto out;
	}
	check_node(o, domain ? domain : "", op ? op : "");
out:
	free(op);
	free(domain);
	return rc;
}

static int ox_graph(struct ox *o, int depth)
{
	struct pb_field fld;
	ox_msg_fn fn;
	int rc;

	while ((rc = pb_next(o->c, &fld)) > 0) {
		switch (fld.num) {
		case GRAPH_NODE: fn = ox_node; break;
		case GRAPH_INIT: fn = ox_tensor; break;
		case GRAPH_SPARSE_INIT: fn = ox_sparse; break;
		default: continue;
		}
		rc = ox_sub(o, &fld, fn, depth);
		if (rc)
			return rc;
	}
	return rc < 0 ? ox_fail(o, rc) : 0;
}

static int ox_training(struct ox *o, int depth)
{
	struct pb_field fld;
	int rc;

	while ((rc = pb_next(o->c, &fld)) > 0) {
		if (fld.num == TRAIN_INIT || fld.num == TRAIN_ALGO) {
			rc = ox_sub(o, &fld, ox_graph, depth);
			if (rc)
				return rc;
		}
	}
	return rc < 0 ? ox_fail(o, rc) : 0;
}

static int ox_function(struct ox *o, int depth)
{
	struct pb_field fld;
	int rc;

	while ((rc = pb_next(o->c, &fld)) > 0) {
		if (fld.num == FUNC_NODE) {
			rc = ox_sub(o, &fld, ox_node, depth);
			if (rc)
				return rc;
		}
	}
	return rc < 0 ? ox_fail(o, rc) : 0;
}

/* First pass over a FunctionProto: remember its domain. */
static int ox_function_domain(struct ox *o, int depth)
{
	struct pb_field fld;
	char *d = NULL;
	int rc;

	while ((rc = pb_next(o->c, &fld)) > 0) {
		if (fld.num != FUNC_DOMAIN)
			continue;
		free(d);
		d = NULL;
		rc = ox_string(o, &fld, OX_MAX_NAME, &d);
		if (rc)
			return rc;
	}
	if (rc < 0) {
		free(d);
		return ox_fail(o, rc);
	}
	if (!d)
		return 0;
	if (o->n_funcs == OX_MAX_FUNCS) {
		free(d);
		return scan_fmt_fail(o->f, ERR_LIMIT, "onnx: more than %d "
				     "functions in '%s'", OX_MAX_FUNCS,
				     o->f->path);
	}
	o->funcs[o->n_funcs++] = d;
	return 0;
}

static int ox_metadata(struct ox *o, int depth)
{
	struct pb_field fld;
	char *v = NULL;
	int rc;

	while ((rc = pb_next(o->c, &fld)) > 0) {
		if (fld.num != ENTRY_VALUE || fld.len > OX_MAX_TEXT)
			continue;
		rc = ox_string(o, &fld, OX_MAX_TEXT, &v);
		if (!rc)
			rc = scan_fmt_check_text(o->r, o->f, v, fld.len,
						 fld.off, SCAN_TEXT_CONFIG);
		free(v);
		v = NULL;
		if (rc)
			return rc;
	}
	return rc < 0 ? ox_fail(o, rc) : 0;
}

/* Pass 1 collects model-local function domains, pass 2 checks. */
static int ox_model(struct ox *o, uint64_t size)
{
	struct pb_field fld;
	int rc;

	for (int pass = 1; pass <= 2; pass++) {
		o->c->pos = 0;
		o->c->end = size;
		while ((rc = pb_next(o->c, &fld)) > 0) {
			ox_msg_fn fn = NULL;

			if (pass == 1 && fld.num == MODEL_FUNCTIONS)
				fn = ox_function_domain;
			if (pass == 2 && fld.num == MODEL_FUNCTIONS)
				fn = ox_function;
			if (pass == 2 && fld.num == MODEL_GRAPH)
				fn = ox_graph;
			if (pass == 2 && fld.num == MODEL_TRAINING)
				fn = ox_training;
			if (pass == 2 && fld.num == MODEL_META)
				fn = ox_metadata;
			if (fn && (rc = ox_sub(o, &fld, fn, 0)))
				return rc;
		}
		if (rc < 0)
			return ox_fail(o, rc);
	}
	return 0;
}

int scan_fmt_onnx(struct scan_report *r, struct scan_file *f, int fd,
		  uint64_t size)
{
	struct ox *o = calloc(1, sizeof(*o));
	int rc;

	if (!o)
		return scan_fmt_fail(f, ERR_NOMEM, "out of memory");
	o->c = malloc(sizeof(*o->c));
	if (!o->c) {
		free(o);
		return scan_fmt_fail(f, ERR_NOMEM, "out of memory");
	}
	o->r = r;
	o->f = f;
	fmt_cursor_init(o->c, fd, f, 0, size);
	rc = ox_model(o, size);
	for (size_t i = 0; i < o->n_funcs; i++)
		free(o->funcs[i]);
	free(o->c);
	free(o);
	return rc;
}

/* TensorFlow saved_model.pb (saved_model.proto): the op of every node in
 * every meta graph and in every function of the function library must be
 * in TensorFlow's op registry (data/scan/tf-ops.txt) or name a function
 * of the library; anything else needs a custom-op library and is
 * reported. A deny-list of registered ops that run Python or touch files,
 * processes or the network decides their severity. Tensor constants
 * inside the graph are skipped by offset. */
#include "scan/formats.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "scan/allow_data.h"
#include "scan/fmt_util.h"
#include "scan/pbwire.h"
#include "util/err.h"

#define SM_MAX_DEPTH 16
#define SM_MAX_OP 4096
#define SM_MAX_UNKNOWN 64           /* distinct unknown ops reported */
#define SM_MAX_FUNCS 100000         /* library functions remembered */
#define SM_MAX_NAME_BYTES (16u << 20) /* bytes of names remembered */

/* Field numbers from tensorflow/core/protobuf/{saved_model,meta_graph}.proto
 * and tensorflow/core/framework/{graph,node_def,function}.proto. */
enum {
	SAVED_META_GRAPHS = 2,
	META_GRAPH_DEF = 2,
	GRAPH_NODE = 1, GRAPH_LIBRARY = 2,
	NODE_NAME = 1, NODE_OP = 2,
	LIB_FUNCTION = 1,
	FUNC_SIGNATURE = 1, FUNC_NODE_DEF = 3,
	OPDEF_NAME = 1,
};

struct sm_rule {
	const char *op;
	const char *rule;
	enum scan_severity sev;
	const char *why;
};

/* Deny-list: decides severity and the explanation (see the limitation
 * on unknown ops in docs/KNOWN_LIMITATIONS.md). */
static const struct sm_rule sm_rules[] = {
	{ "PyFunc", "savedmodel-python-op", SCAN_CRITICAL, "runs Python" },
	{ "PyFuncStateless", "savedmodel-python-op", SCAN_CRITICAL,
	  "runs Python" },
	{ "EagerPyFunc", "savedmodel-python-op", SCAN_CRITICAL,
	  "runs Python" },
	{ "ReadFile", "savedmodel-file-op", SCAN_HIGH, "reads a file" },
	{ "WriteFile", "savedmodel-file-op", SCAN_HIGH, "writes a file" },
	{ "MatchingFiles", "savedmodel-file-op", SCAN_HIGH,
	  "lists files" },
	{ "ImmutableConst", "savedmodel-file-op", SCAN_HIGH,
	  "maps a file into memory" },
	{ "TextLineDataset", "savedmodel-file-op", SCAN_HIGH,
	  "reads files" },
	{ "TFRecordDataset", "savedmodel-file-op", SCAN_HIGH,
	  "reads files" },
	{ "TFRecordDatasetV2", "savedmodel-file-op", SCAN_HIGH,
	  "reads files" },
	{ "FixedLengthRecordDataset", "savedmodel-file-op", SCAN_HIGH,
	  "reads files" },
	{ "FixedLengthRecordDatasetV2", "savedmodel-file-op", SCAN_HIGH,
	  "reads files" },
	{ "LoadDataset", "savedmodel-file-op", SCAN_HIGH, "reads files" },
	{ "SaveDataset", "savedmodel-file-op", SCAN_HIGH, "writes files" },
	{ "SaveDatasetV2", "savedmodel-file-op", SCAN_HIGH,
	  "writes files" },
	{ "CreateSummaryFileWriter", "savedmodel-file-op", SCAN_HIGH,
	  "writes files" },
	{ "CreateSummaryDbWriter", "savedmodel-file-op", SCAN_HIGH,
	  "writes a database" },
	{ "ExperimentalSqlDataset", "savedmodel-file-op", SCAN_HIGH,
	  "opens a database" },
	{ "SqlDataset", "savedmodel-file-op", SCAN_HIGH,
	  "opens a database" },
	{ "ExperimentalLMDBDataset", "savedmodel-file-op", SCAN_HIGH,
	  "reads files" },
	{ "RpcServer", "savedmodel-network-op", SCAN_HIGH,
	  "serves RPC" },
	{ "RpcClient", "savedmodel-network-op", SCAN_HIGH,
	  "connects to a remote host" },
	{ "RpcCall", "savedmodel-network-op", SCAN_HIGH,
	  "calls a remote host" },
	{ "DecodeProtoV2", "savedmodel-file-op", SCAN_MEDIUM,
	  "may load a descriptor file" },
	{ "DebugIdentityV2", "savedmodel-file-op", SCAN_MEDIUM,
	  "dumps tensors to files" },
	{ "DebugIdentityV3", "savedmodel-file-op", SCAN_MEDIUM,
	  "dumps tensors to files or URLs" },
	/* Checkpoint I/O is in every SavedModel's saver graph. */
	{ "SaveV2", "savedmodel-checkpoint-op", SCAN_INFO,
	  "writes a checkpoint" },
	{ "RestoreV2", "savedmodel-checkpoint-op", SCAN_INFO,
	  "reads a checkpoint" },
	{ "MergeV2Checkpoints", "savedmodel-checkpoint-op", SCAN_INFO,
	  "renames checkpoint files" },
};

#define SM_N_RULES (sizeof(sm_rules) / sizeof(sm_rules[0]))

/* An op outside the registry, kept until the function names are known. */
struct sm_unknown {
	char *op;
	char *node;
};

struct sm {
	struct scan_report *r;
	struct scan_file *f;
	struct fmt_cursor *c;
	bool seen[SM_N_RULES];
	struct sm_unknown unknown[SM_MAX_UNKNOWN];
	size_t n_unknown;
	bool unknown_overflow;
	char **funcs;            /* function library signature names */
	size_t n_funcs, cap_funcs;
	size_t name_bytes;
};

/* The registry, sorted; NULL when tf-ops could not be loaded. The names
 * point into sm_ops_text. */
static char *sm_ops_text;
static char **sm_ops;
static size_t sm_n_ops;
static pthread_once_t sm_ops_once = PTHREAD_ONCE_INIT;

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, *(char *const *)elem);
}

/* Splits the embedded tf-ops text in place into one name a line; lives
 * for the whole process. */
static void sm_ops_load(void)
{
	const char *text = NULL;
	char *copy, *line, *save = NULL;
	size_t lines = 1;

	for (const struct scan_allow_blob *b = scan_allow_blobs; b->name;
	     b++)
		if (!strcmp(b->name, "tf-ops"))
			text = b->text;
	if (!text)
		return;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	copy = strdup(text);
	sm_ops = calloc(lines, sizeof(*sm_ops));
	if (!copy || !sm_ops) {
		free(copy);
		free(sm_ops);
		sm_ops = NULL;
		return;
	}
	sm_ops_text = copy;
	for (line = strtok_r(copy, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		if (line[0] != '#')
			sm_ops[sm_n_ops++] = line;
	qsort(sm_ops, sm_n_ops, sizeof(*sm_ops), cmp_str);
}

static bool sm_registered(const char *op)
{
	return bsearch(op, sm_ops, sm_n_ops, sizeof(*sm_ops), cmp_key) != NULL;
}

typedef int (*sm_msg_fn)(struct sm *s, int depth);

static int sm_fail(struct sm *s, int rc)
{
	if (rc == ERR_INVALID)
		scan_add(s->r, "savedmodel-invalid", SCAN_HIGH, s->f->path,
			 OWASP_SUPPLY_CHAIN, "malformed SavedModel protobuf: "
			 "%s", err_msg());
	return scan_fmt_fail(s->f, rc, "savedmodel: %s", err_msg());
}

static int sm_sub(struct sm *s, const struct pb_field *fld, sm_msg_fn fn,
		  int depth)
{
	uint64_t saved;
	int rc;

	if (fld->wire != PB_LEN) {
		err_set(ERR_INVALID, "'%s': field %u is not a message",
			s->f->path, fld->num);
		return sm_fail(s, ERR_INVALID);
	}
	if (depth >= SM_MAX_DEPTH)
		return scan_fmt_fail(s->f, ERR_LIMIT, "savedmodel: nested "
				     "deeper than %d in '%s'", SM_MAX_DEPTH,
				     s->f->path);
	saved = pb_enter(s->c, fld);
	rc = fn(s, depth + 1);
	pb_leave(s->c, fld, saved);
	return rc;
}

/* Takes op and node (moved into the list, or freed). */
static void remember_unknown(struct sm *s, char *op, char *node)
{
	for (size_t i = 0; i < s->n_unknown; i++)
		if (!strcmp(s->unknown[i].op, op))
			goto drop;
	if (s->n_unknown == SM_MAX_UNKNOWN) {
		s->unknown_overflow = true;
		goto drop;
	}
	s->unknown[s->n_unknown].op = op;
	s->unknown[s->n_unknown++].node = node;
	return;
drop:
	free(op);
	free(node);
}

/* Takes op and node. */
static void check_op(struct sm *s, char *op, char *node)
{
	for (size_t i = 0; i < SM_N_RULES; i++) {
		if (strcmp(op, sm_rules[i].op))
			continue;
		if (!s->seen[i])
			scan_add(s->r, sm_rules[i].rule, sm_rules[i].sev,
				 s->f->path, OWASP_SUPPLY_CHAIN, "op '%s' "
				 "(node '%s') %s when the graph runs in "
				 "'%s'", op, node, sm_rules[i].why,
				 s->f->path);
		s->seen[i] = true;
		goto out;
	}
	if (!sm_registered(op)) {
		remember_unknown(s, op, node);
		return;
	}
out:
	free(op);
	free(node);
}

/* Ops that name a function of the library are calls, not unknown ops;
 * the rest are reported once the whole file has been read. */
static void report_unknown(struct sm *s)
{
	if (s->n_funcs)
		qsort(s->funcs, s->n_funcs, sizeof(*s->funcs), cmp_str);
	for (size_t i = 0; i < s->n_unknown; i++) {
		const struct sm_unknown *u = &s->unknown[i];

		if (s->n_funcs && bsearch(u->op, s->funcs, s->n_funcs,
					  sizeof(*s->funcs), cmp_key))
			continue;
		scan_add(s->r, "savedmodel-unknown-op", SCAN_HIGH, s->f->path,
			 OWASP_SUPPLY_CHAIN, "op '%s' (node '%s') is not in "
			 "TensorFlow's op registry: it needs a custom-op "
			 "library (native code) to load '%s'", u->op, u->node,
			 s->f->path);
	}
}

static int sm_node(struct sm *s, int depth)
{
	char *op = NULL, *name = NULL;
	struct pb_field fld;
	int rc;

	while ((rc = pb_next(s->c, &fld)) > 0) {
		char **dst = fld.num == NODE_OP ? &op :
			     fld.num == NODE_NAME ? &name : NULL;

		if (!dst)
			continue;
		free(*dst);
		*dst = NULL;
		rc = pb_string(s->c, &fld, SM_MAX_OP, dst);
		if (rc)
			break;
	}
	if (rc < 0) {
		free(op);
		free(name);
		return sm_fail(s, rc);
	}
	if (!op)
		op = strdup("");
	if (!name)
		name = strdup("");
	if (!op || !name) {
		free(op);
		free(name);
		return scan_fmt_fail(s->f, ERR_NOMEM, "out of memory");
	}
	check_op(s, op, name);
	return 0;
}

static int add_func(struct sm *s, char *name)
{
	size_t len = strlen(name) + 1;

	if (s->n_funcs == SM_MAX_FUNCS ||
	    s->name_bytes + len > SM_MAX_NAME_BYTES) {
		free(name);
		return scan_fmt_fail(s->f, ERR_LIMIT, "savedmodel: more than "
				     "%d functions or %u bytes of names in "
				     "'%s'", SM_MAX_FUNCS, SM_MAX_NAME_BYTES,
				     s->f->path);
	}
	if (s->n_funcs == s->cap_funcs) {
		size_t cap = s->cap_funcs ? s->cap_funcs * 2 : 64;
		char **p = realloc(s->funcs, cap * sizeof(*p));

		if (!p) {
			free(name);
			return scan_fmt_fail(s->f, ERR_NOMEM, "out of memory");
		}
		s->funcs = p;
		s->cap_funcs = cap;
	}
	s->funcs[s->n_funcs++] = name;
	s->name_bytes += len;
	return 0;
}

static int sm_signature(struct sm *s, int depth)
{
	struct pb_field fld;
	int rc;

	(void)depth;
	while ((rc = pb_next(s->c, &fld)) > 0) {
		char *name = NULL;

		if (fld.num != OPDEF_NAME)
			continue;
		rc = pb_string(s->c, &fld, SM_MAX_OP, &name);
		if (rc)
			return sm_fail(s, rc);
		if ((rc = add_func(s, name)))
			return rc;
	}
	return rc < 0 ? sm_fail(s, rc) : 0;
}

static int sm_walk(struct sm *s, int depth, uint32_t want, sm_msg_fn fn)
{
	struct pb_field fld;
	int rc;

	while ((rc = pb_next(s->c, &fld)) > 0) {
		if (fld.num == want && (rc = sm_sub(s, &fld, fn, depth)))
			return rc;
	}
	return rc < 0 ? sm_fail(s, rc) : 0;
}

static int sm_function(struct sm *s, int depth)
{
	struct pb_field fld;
	int rc;

	while ((rc = pb_next(s->c, &fld)) > 0) {
		sm_msg_fn fn = fld.num == FUNC_SIGNATURE ? sm_signature :
			       fld.num == FUNC_NODE_DEF ? sm_node : NULL;

		if (fn && (rc = sm_sub(s, &fld, fn, depth)))
			return rc;
	}
	return rc < 0 ? sm_fail(s, rc) : 0;
}

static int sm_library(struct sm *s, int depth)
{
	return sm_walk(s, depth, LIB_FUNCTION, sm_function);
}

static int sm_graph(struct sm *s, int depth)
{
	struct pb_field fld;
	int rc;

	while ((rc = pb_next(s->c, &fld)) > 0) {
		sm_msg_fn fn = fld.num == GRAPH_NODE ? sm_node :
			       fld.num == GRAPH_LIBRARY ? sm_library : NULL;

		if (fn && (rc = sm_sub(s, &fld, fn, depth)))
			return rc;
	}
	return rc < 0 ? sm_fail(s, rc) : 0;
}

static int sm_meta_graph(struct sm *s, int depth)
{
	return sm_walk(s, depth, META_GRAPH_DEF, sm_graph);
}

static void sm_free(struct sm *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n_unknown; i++) {
		free(s->unknown[i].op);
		free(s->unknown[i].node);
	}
	for (size_t i = 0; i < s->n_funcs; i++)
		free(s->funcs[i]);
	free(s->funcs);
	free(s->c);
	free(s);
}

int scan_fmt_savedmodel(struct scan_report *r, struct scan_file *f, int fd,
			uint64_t size)
{
	struct sm *s;
	int rc;

	pthread_once(&sm_ops_once, sm_ops_load);
	if (!sm_ops)
		return scan_fmt_fail(f, ERR_NOMEM, "savedmodel: TensorFlow op "
				     "registry not loaded");
	s = calloc(1, sizeof(*s));
	if (!s)
		return scan_fmt_fail(f, ERR_NOMEM, "out of memory");
	s->c = malloc(sizeof(*s->c));
	if (!s->c) {
		free(s);
		return scan_fmt_fail(f, ERR_NOMEM, "out of memory");
	}
	s->r = r;
	s->f = f;
	fmt_cursor_init(s->c, fd, f, 0, size);
	rc = sm_walk(s, 0, SAVED_META_GRAPHS, sm_meta_graph);
	/* Reported even after a parse error: fail closed. */
	report_unknown(s);
	if (!rc && s->unknown_overflow)
		rc = scan_fmt_fail(f, ERR_LIMIT, "savedmodel: more than %d "
				   "distinct unknown ops in '%s'",
				   SM_MAX_UNKNOWN, f->path);
	sm_free(s);
	return rc;
}

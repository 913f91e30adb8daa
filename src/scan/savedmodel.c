/* TensorFlow saved_model.pb (saved_model.proto): the op of every node in
 * every meta graph and in every function of the function library, checked
 * against ops that run Python or touch files, processes or the network.
 * Tensor constants inside the graph are skipped by offset. */
#include "scan/formats.h"

#include <stdlib.h>
#include <string.h>

#include "scan/fmt_util.h"
#include "scan/pbwire.h"
#include "util/err.h"

#define SM_MAX_DEPTH 16
#define SM_MAX_OP 4096

/* Field numbers from tensorflow/core/protobuf/{saved_model,meta_graph}.proto
 * and tensorflow/core/framework/{graph,node_def,function}.proto. */
enum {
	SAVED_META_GRAPHS = 2,
	META_GRAPH_DEF = 2,
	GRAPH_NODE = 1, GRAPH_LIBRARY = 2,
	NODE_NAME = 1, NODE_OP = 2,
	LIB_FUNCTION = 1,
	FUNC_NODE_DEF = 3,
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

struct sm {
	struct scan_report *r;
	struct scan_file *f;
	struct fmt_cursor *c;
	bool seen[SM_N_RULES];
};

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

static void check_op(struct sm *s, const char *op, const char *node)
{
	for (size_t i = 0; i < SM_N_RULES; i++) {
		if (strcmp(op, sm_rules[i].op) || s->seen[i])
			continue;
		s->seen[i] = true;
		scan_add(s->r, sm_rules[i].rule, sm_rules[i].sev, s->f->path,
			 OWASP_SUPPLY_CHAIN, "op '%s' (node '%s') %s when the "
			 "graph runs in '%s'", op, node, sm_rules[i].why,
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
	if (rc < 0)
		rc = sm_fail(s, rc);
	else
		check_op(s, op ? op : "", name ? name : "");
	free(op);
	free(name);
	return rc;
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
	return sm_walk(s, depth, FUNC_NODE_DEF, sm_node);
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

int scan_fmt_savedmodel(struct scan_report *r, struct scan_file *f, int fd,
			uint64_t size)
{
	struct sm *s = calloc(1, sizeof(*s));
	int rc;

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
	free(s->c);
	free(s);
	return rc;
}

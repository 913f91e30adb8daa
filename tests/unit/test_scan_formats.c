/* Unit tests for the format analysers, run on the committed fixtures made
 * by tests/fixtures/models/gen_formats.py with the real libraries, through
 * the real walker (scan_file) and report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scan/fmt_util.h"
#include "scan/formats.h"
#include "scan/rules.h"
#include "util/err.h"
#include "util/fs.h"

#define MAX_RULES 4

struct fx_case {
	const char *file;             /* under formats/ */
	enum scan_fmt_kind kind;      /* what sniffing must say */
	int rc;                       /* analyser return */
	const char *rules[MAX_RULES]; /* must all be reported */
};

/* Benign files: no finding at medium or above, analysis complete. */
static const struct fx_case benign[] = {
	{ "benign/model.safetensors", SCAN_FMT_SAFETENSORS, 0, { NULL } },
	{ "benign/model.gguf", SCAN_FMT_GGUF, 0, { NULL } },
	{ "benign/model.onnx", SCAN_FMT_ONNX, 0, { NULL } },
	{ "benign/external.onnx", SCAN_FMT_ONNX, 0,
	  { "onnx-external-data" } },
	{ "benign/model.keras", SCAN_FMT_KERAS, 0, { NULL } },
	{ "benign/model.h5", SCAN_FMT_H5, 0, { NULL } },
	{ "benign/functional.keras", SCAN_FMT_KERAS, 0, { NULL } },
	{ "benign/functional.h5", SCAN_FMT_H5, 0, { NULL } },
	{ "benign/tokenizer.json", SCAN_FMT_TEXT, 0, { NULL } },
	{ "benign/savedmodel/saved_model.pb", SCAN_FMT_SAVEDMODEL, 0,
	  { "savedmodel-checkpoint-op" } },
	/* Written by TensorFlow itself (gen_frameworks.py); the TF1 graph
	 * calls a library function by its name as the op. */
	{ "../benign/frameworks/tf1_defun_savedmodel/saved_model.pb",
	  SCAN_FMT_SAVEDMODEL, 0, { "savedmodel-checkpoint-op" } },
	{ "../benign/frameworks/keras3_export_savedmodel/saved_model.pb",
	  SCAN_FMT_SAVEDMODEL, 0, { "savedmodel-checkpoint-op" } },
	{ "../benign/frameworks/tf_keras2.h5", SCAN_FMT_H5, 0, { NULL } },
	{ "../benign/frameworks/tf_keras2_savedmodel/keras_metadata.pb",
	  SCAN_FMT_KERAS_METADATA, 0, { NULL } },
	{ "benign/chat_template.jinja", SCAN_FMT_CHAT_TEMPLATE, 0, { NULL } },
	{ "benign/chat_template.json", SCAN_FMT_CHAT_TEMPLATE, 0, { NULL } },
	{ "benign/tokenizer_config.json", SCAN_FMT_HF_CONFIG, 0, { NULL } },
	{ "benign/config.json", SCAN_FMT_HF_CONFIG, 0, { NULL } },
	{ "benign/README.md", SCAN_FMT_TEXT, 0, { NULL } },
	{ "benign/modeling_fixture.py", SCAN_FMT_PYTHON, 0, { NULL } },
};

/* Malicious files: the listed rules fire; rc says whether the analysis
 * could finish (malformed headers fail closed). */
static const struct fx_case malicious[] = {
	{ "malicious/st_header_too_large.safetensors", SCAN_FMT_SAFETENSORS,
	  ERR_INVALID, { "safetensors-header-too-large" } },
	{ "malicious/st_duplicate_key.safetensors", SCAN_FMT_SAFETENSORS,
	  ERR_INVALID, { "safetensors-duplicate-key" } },
	{ "malicious/st_overlap.safetensors", SCAN_FMT_SAFETENSORS, 0,
	  { "safetensors-offsets-invalid" } },
	{ "malicious/st_gap.safetensors", SCAN_FMT_SAFETENSORS, 0,
	  { "safetensors-offsets-invalid" } },
	{ "malicious/st_past_end.safetensors", SCAN_FMT_SAFETENSORS, 0,
	  { "safetensors-offsets-invalid" } },
	{ "malicious/st_dtype_shape.safetensors", SCAN_FMT_SAFETENSORS, 0,
	  { "safetensors-dtype-shape-mismatch" } },
	{ "malicious/st_not_json.safetensors", SCAN_FMT_SAFETENSORS,
	  ERR_INVALID, { "safetensors-header-invalid" } },
	{ "malicious/gguf_ssti_template.gguf", SCAN_FMT_GGUF, 0,
	  { "template-dunder-access" } },
	{ "malicious/gguf_duplicate_key.gguf", SCAN_FMT_GGUF, 0,
	  { "gguf-duplicate-key" } },
	{ "malicious/gguf_tensor_out_of_bounds.gguf", SCAN_FMT_GGUF, 0,
	  { "gguf-tensor-out-of-bounds" } },
	{ "malicious/gguf_tensor_overlap.gguf", SCAN_FMT_GGUF, 0,
	  { "gguf-tensor-overlap" } },
	{ "malicious/gguf_tensor_unaligned.gguf", SCAN_FMT_GGUF, 0,
	  { "gguf-alignment-invalid" } },
	{ "malicious/gguf_bad_alignment.gguf", SCAN_FMT_GGUF, ERR_INVALID,
	  { "gguf-alignment-invalid" } },
	{ "malicious/gguf_huge_kv_count.gguf", SCAN_FMT_GGUF, ERR_INVALID,
	  { "gguf-header-invalid" } },
	{ "malicious/gguf_truncated.gguf", SCAN_FMT_GGUF, ERR_INVALID,
	  { "gguf-header-invalid" } },
	{ "malicious/gguf_string_length.gguf", SCAN_FMT_GGUF, ERR_INVALID,
	  { "gguf-header-invalid" } },
	{ "malicious/onnx_external_absolute.onnx", SCAN_FMT_ONNX, 0,
	  { "onnx-external-data-absolute" } },
	{ "malicious/onnx_external_traversal.onnx", SCAN_FMT_ONNX, 0,
	  { "onnx-external-data-traversal" } },
	{ "malicious/onnx_subgraph_traversal.onnx", SCAN_FMT_ONNX, 0,
	  { "onnx-external-data-traversal" } },
	{ "malicious/onnx_python_op.onnx", SCAN_FMT_ONNX, 0,
	  { "onnx-python-op" } },
	{ "malicious/onnx_custom_domain.onnx", SCAN_FMT_ONNX, 0,
	  { "onnx-custom-domain" } },
	{ "malicious/onnx_truncated.onnx", SCAN_FMT_ONNX, ERR_INVALID,
	  { "onnx-invalid" } },
	{ "malicious/keras_lambda.keras", SCAN_FMT_KERAS, 0,
	  { "keras-lambda-layer" } },
	{ "malicious/keras_lambda.h5", SCAN_FMT_H5, 0,
	  { "keras-lambda-layer" } },
	{ "malicious/keras_module_os.keras", SCAN_FMT_KERAS, 0,
	  { "keras-module-not-allowed" } },
	{ "malicious/keras_get_file_gadget.keras", SCAN_FMT_KERAS, 0,
	  { "keras-loader-gadget", "keras-module-not-allowed" } },
	{ "malicious/keras_tfsmlayer.keras", SCAN_FMT_KERAS, 0,
	  { "keras-loader-gadget" } },
	{ "malicious/keras_custom_object.keras", SCAN_FMT_KERAS, 0,
	  { "keras-custom-object" } },
	{ "malicious/keras_vocabulary_file.keras", SCAN_FMT_KERAS, 0,
	  { "keras-file-reference" } },
	{ "malicious/keras_nested_wrapper.keras", SCAN_FMT_KERAS, 0,
	  { "keras-module-not-allowed" } },
	{ "malicious/keras_duplicate_config.keras", SCAN_FMT_KERAS, 0,
	  { "archive-duplicate-name", "keras-lambda-layer" } },
	{ "malicious/h5py_lambda_config.h5", SCAN_FMT_H5, 0,
	  { "keras-lambda-layer" } },
	{ "malicious/h5py_module_fixed.h5", SCAN_FMT_H5, 0,
	  { "keras-module-not-allowed" } },
	{ "malicious/h5py_v3_superblock.h5", SCAN_FMT_H5, 0,
	  { "keras-module-not-allowed" } },
	{ "malicious/savedmodel_pyfunc/saved_model.pb", SCAN_FMT_SAVEDMODEL,
	  0, { "savedmodel-python-op" } },
	{ "../malicious/fw_savedmodel_custom_op/saved_model.pb",
	  SCAN_FMT_SAVEDMODEL, 0, { "savedmodel-unknown-op" } },
	{ "../malicious/fw_savedmodel_pyfunc/saved_model.pb",
	  SCAN_FMT_SAVEDMODEL, 0, { "savedmodel-python-op" } },
	{ "../malicious/fw_tf_keras_lambda_savedmodel/keras_metadata.pb",
	  SCAN_FMT_KERAS_METADATA, 0, { "keras-lambda-layer" } },
	{ "malicious/savedmodel_readfile_in_function/saved_model.pb",
	  SCAN_FMT_SAVEDMODEL, 0,
	  { "savedmodel-file-op", "savedmodel-python-op" } },
	{ "malicious/template_ssti.jinja", SCAN_FMT_CHAT_TEMPLATE, 0,
	  { "template-dunder-access" } },
	{ "malicious/template_attr_filter.jinja", SCAN_FMT_CHAT_TEMPLATE, 0,
	  { "template-attr-filter", "template-globals-access" } },
	{ "malicious/template_hidden_instruction.jinja",
	  SCAN_FMT_CHAT_TEMPLATE, 0,
	  { "template-hidden-instruction", "template-content-branch",
	    "template-literal-url", "template-instruction-override" } },
	{ "malicious/template_encoded_blob.jinja", SCAN_FMT_CHAT_TEMPLATE, 0,
	  { "template-encoded-blob" } },
	{ "malicious/template_unicode_tags.jinja", SCAN_FMT_CHAT_TEMPLATE, 0,
	  { "text-unicode-tag" } },
	{ "malicious/chat_template.json", SCAN_FMT_CHAT_TEMPLATE, 0,
	  { "template-dunder-access" } },
	{ "malicious/tokenizer_config.json", SCAN_FMT_HF_CONFIG, 0,
	  { "hf-auto-map", "template-dunder-access" } },
	{ "malicious/config.json", SCAN_FMT_HF_CONFIG, 0,
	  { "hf-auto-map", "hf-remote-code-repo", "hf-trust-remote-code" } },
	{ "malicious/README_secrets.md", SCAN_FMT_TEXT, 0,
	  { "secret-aws-access-key", "secret-github-token",
	    "secret-huggingface-token", "secret-private-key" } },
	{ "malicious/README_secrets.md", SCAN_FMT_TEXT, 0,
	  { "secret-openai-key", "secret-slack-token" } },
	{ "malicious/README_bidi.md", SCAN_FMT_TEXT, 0,
	  { "text-bidi-control" } },
	{ "malicious/system_prompt.txt", SCAN_FMT_TEXT, 0,
	  { "text-invisible-unicode" } },
	{ "malicious/modeling_evil.py", SCAN_FMT_PYTHON, 0,
	  { "python-exec", "python-process", "python-network" } },
	{ "malicious/configuration_evil.py", SCAN_FMT_PYTHON, 0,
	  { "python-dynamic-import" } },
};

static char fixture_dir[PATH_MAX];

static void fixture_path(const char *rel, char *out, size_t n)
{
	int k = snprintf(out, n, "%s/%s", fixture_dir, rel);

	assert_true(k > 0 && (size_t)k < n);
}

/*
 * Scan one file through the walker, as `stele scan` does. *kind is what
 * the content sniffs as; *f the top file's record. Returns 0 when the
 * whole scan was complete, else ERR_INVALID.
 */
static int run_file(const char *path, enum scan_fmt_kind *kind,
		    struct scan_report **r, const struct scan_file **f)
{
	uint8_t head[SCAN_FMT_SNIFF_LEN];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	n = pread(fd, head, sizeof(head), 0);
	assert_true(n >= 0);
	close(fd);
	*kind = scan_fmt_sniff(head, (size_t)n, path);
	*r = scan_report_new();
	assert_non_null(*r);
	assert_int_equal(scan_file(*r, path, path, NULL), 0);
	assert_true(scan_report_n_files(*r) >= 1);
	*f = scan_report_file(*r, 0);
	return scan_report_incomplete(*r) ? ERR_INVALID : 0;
}

static bool has_rule(const struct scan_report *r, const char *rule)
{
	for (size_t i = 0; i < scan_report_n_findings(r); i++)
		if (!strcmp(scan_report_finding(r, i)->rule, rule))
			return true;
	return false;
}

/* Container rules (zip, archive) carry no OWASP LLM id. */
static bool container_rule(const char *rule)
{
	return !strncmp(rule, "zip-", 4) || !strncmp(rule, "archive-", 8);
}

static void check_case(const struct fx_case *c, bool is_benign)
{
	struct scan_report *r;
	const struct scan_file *f;
	enum scan_fmt_kind kind;
	char path[PATH_MAX];
	int rc;

	fixture_path(c->file, path, sizeof(path));
	rc = run_file(path, &kind, &r, &f);
	if (kind != c->kind || strcmp(f->format, scan_fmt_name(c->kind)) ||
	    (rc != 0) != (c->rc != 0))
		fail_msg("%s: sniffed %s, walker %s, complete %d (%s), want "
			 "%s complete %d", c->file, scan_fmt_name(kind),
			 f->format, rc == 0, f->reason ? f->reason : "",
			 scan_fmt_name(c->kind), c->rc == 0);
	for (int i = 0; i < MAX_RULES && c->rules[i]; i++)
		if (!has_rule(r, c->rules[i]))
			fail_msg("%s: rule %s not reported", c->file,
				 c->rules[i]);
	for (size_t i = 0; i < scan_report_n_findings(r); i++) {
		const struct scan_finding *x = scan_report_finding(r, i);

		if (!scan_rule_find(x->rule))
			fail_msg("%s: %s is not in the rule catalogue",
				 c->file, x->rule);
		if (!container_rule(x->rule) && !x->owasp)
			fail_msg("%s: %s has no OWASP id", c->file, x->rule);
		if (is_benign && x->severity >= SCAN_MEDIUM)
			fail_msg("%s: benign file has %s: %s", c->file,
				 x->rule, x->message);
	}
	if (!is_benign)
		assert_int_not_equal(scan_report_verdict(r), SCAN_CLEAN);
	scan_report_free(r);
}

static void test_benign_fixtures_are_clean_and_complete(void **state)
{
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++)
		check_case(&benign[i], true);
}

static void test_malicious_fixtures_report_their_rules(void **state)
{
	for (size_t i = 0; i < sizeof(malicious) / sizeof(malicious[0]); i++)
		check_case(&malicious[i], false);
}

/* Every malicious case fails the default gate (fail on high). */
static void test_malicious_fixtures_fail_the_default_gate(void **state)
{
	for (size_t i = 0; i < sizeof(malicious) / sizeof(malicious[0]); i++) {
		const struct fx_case *c = &malicious[i];
		const struct scan_file *f;
		struct scan_report *r;
		enum scan_fmt_kind kind;
		char path[PATH_MAX];

		fixture_path(c->file, path, sizeof(path));
		run_file(path, &kind, &r, &f);
		if (scan_report_exit_status(r, SCAN_HIGH) != 1)
			fail_msg("%s: passes the default gate", c->file);
		scan_report_free(r);
	}
}

/* The external data named by the model is a symbolic link next to it. */
static void test_onnx_external_data_symlink_is_reported(void **state)
{
	char tmpl[] = "/tmp/stele-onnx-XXXXXX", src[PATH_MAX], dst[PATH_MAX];
	char link[PATH_MAX];
	struct scan_report *r;
	const struct scan_file *f;
	enum scan_fmt_kind kind;
	struct buf b = BUF_INIT(1 << 20);

	assert_non_null(mkdtemp(tmpl));
	fixture_path("malicious/onnx_external_link.onnx", src, sizeof(src));
	snprintf(dst, sizeof(dst), "%s/model.onnx", tmpl);
	snprintf(link, sizeof(link), "%s/link.bin", tmpl);
	/* Without the link the location is a plain neighbour file. */
	assert_int_equal(fs_read_file(src, 1 << 20, &b), 0);
	assert_int_equal(fs_write_atomic(dst, b.data, b.len, 0600), 0);
	assert_int_equal(run_file(dst, &kind, &r, &f), 0);
	assert_false(has_rule(r, "onnx-external-data-link"));
	assert_true(has_rule(r, "onnx-external-data"));
	scan_report_free(r);
	buf_release(&b);
	assert_int_equal(fs_read_file(src, 1 << 20, &b), 0);
	assert_int_equal(fs_write_atomic(dst, b.data, b.len, 0600), 0);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	assert_int_equal(run_file(dst, &kind, &r, &f), 0);
	assert_true(has_rule(r, "onnx-external-data-link"));
	scan_report_free(r);
	buf_release(&b);

	/* A linked directory on the way counts too: sub -> /etc. */
	fixture_path("malicious/onnx_external_dir_link.onnx", src,
		     sizeof(src));
	assert_int_equal(fs_read_file(src, 1 << 20, &b), 0);
	assert_int_equal(fs_write_atomic(dst, b.data, b.len, 0600), 0);
	snprintf(link, sizeof(link), "%s/sub", tmpl);
	assert_int_equal(symlink("/etc", link), 0);
	assert_int_equal(run_file(dst, &kind, &r, &f), 0);
	assert_true(has_rule(r, "onnx-external-data-link"));
	scan_report_free(r);
	buf_release(&b);
	fs_remove_tree(tmpl);
}

/* Files cut anywhere must fail closed, never crash or read past: the
 * analysis is incomplete, or the cut shows as a finding at high. */
static void test_truncated_prefixes_fail_closed(void **state)
{
	static const char *const files[] = {
		"benign/model.safetensors", "benign/model.gguf",
		"benign/model.h5", "benign/model.keras",
	};

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char src[PATH_MAX], tmp[] = "/tmp/stele-trunc-XXXXXX";
		struct buf b = BUF_INIT(1 << 20);
		int fd;

		fixture_path(files[i], src, sizeof(src));
		assert_int_equal(fs_read_file(src, 1 << 20, &b), 0);
		fd = mkstemp(tmp);
		assert_true(fd >= 0);
		for (size_t cut = 9; cut < b.len; cut += 97) {
			const uint8_t *head = (const uint8_t *)b.data;
			size_t hn = cut < SCAN_FMT_SNIFF_LEN ? cut :
				    SCAN_FMT_SNIFF_LEN;
			struct scan_report *r;

			/* Too short to be recognised: opaque data. */
			if (scan_fmt_sniff(head, hn, files[i]) ==
			    SCAN_FMT_UNKNOWN)
				continue;
			r = scan_report_new();
			assert_int_equal(ftruncate(fd, 0), 0);
			assert_true(pwrite(fd, b.data, cut, 0) == (ssize_t)cut);
			assert_int_equal(scan_file(r, tmp, files[i], NULL), 0);
			if (scan_report_exit_status(r, SCAN_HIGH) == 0)
				fail_msg("%s cut at %zu: complete, no finding",
					 files[i], cut);
			scan_report_free(r);
		}
		close(fd);
		unlink(tmp);
		buf_release(&b);
	}
}

/* Little-endian GGUF pieces for hand-built files. */
static void put_u32(struct buf *b, uint32_t v)
{
	uint8_t x[4] = { v & 0xff, v >> 8 & 0xff, v >> 16 & 0xff, v >> 24 };

	assert_int_equal(buf_put(b, x, 4), 0);
}

static void put_u64(struct buf *b, uint64_t v)
{
	put_u32(b, (uint32_t)v);
	put_u32(b, (uint32_t)(v >> 32));
}

static void put_str(struct buf *b, const char *s, size_t n)
{
	put_u64(b, n);
	assert_int_equal(buf_put(b, s, n), 0);
}

/* One F32 tensor info of 8 elements at offset off. */
static void put_tensor(struct buf *b, const char *name, uint64_t off)
{
	put_str(b, name, strlen(name));
	put_u32(b, 1);
	put_u64(b, 8);
	put_u32(b, 0);
	put_u64(b, off);
}

static int run_bytes(const struct buf *b, struct scan_report **r,
		     struct scan_file **f)
{
	char tmp[] = "/tmp/stele-gguf-XXXXXX";
	int fd = mkstemp(tmp), rc;

	assert_true(fd >= 0);
	unlink(tmp);
	assert_int_equal(fs_write_all(fd, b->data, b->len, tmp), 0);
	*r = scan_report_new();
	*f = scan_add_file(*r, "built.gguf", "gguf");
	rc = scan_fmt_gguf(*r, *f, fd, b->len);
	close(fd);
	return rc;
}

static void test_gguf_duplicate_tensor_names_are_reported(void **state)
{
	struct buf b = BUF_INIT(1 << 20);
	struct scan_report *r;
	struct scan_file *f;

	assert_int_equal(buf_put(&b, "GGUF", 4), 0);
	put_u32(&b, 3);
	put_u64(&b, 2);
	put_u64(&b, 0);
	put_tensor(&b, "w", 0);
	put_tensor(&b, "w", 32);
	while (b.len % 32)
		assert_int_equal(buf_putc(&b, 0), 0);
	for (int i = 0; i < 64; i++)
		assert_int_equal(buf_putc(&b, 0), 0);
	assert_int_equal(run_bytes(&b, &r, &f), 0);
	assert_true(has_rule(r, "gguf-duplicate-tensor"));
	assert_false(has_rule(r, "gguf-tensor-overlap"));
	scan_report_free(r);
	buf_release(&b);
}

/* A metadata string too long to check leaves the file incomplete but
 * the tensors are still checked. */
static void test_gguf_overlong_string_is_incomplete(void **state)
{
	struct buf b = BUF_INIT(4 << 20);
	struct scan_report *r;
	struct scan_file *f;
	char *big = calloc(1, (2 << 20) + 1);

	assert_non_null(big);
	memset(big, 'a', 2 << 20);
	assert_int_equal(buf_put(&b, "GGUF", 4), 0);
	put_u32(&b, 3);
	put_u64(&b, 1);
	put_u64(&b, 1);
	put_str(&b, "general.description", 19);
	put_u32(&b, 8);
	put_str(&b, big, 2 << 20);
	put_tensor(&b, "w", 1 << 20);
	assert_int_equal(run_bytes(&b, &r, &f), ERR_LIMIT);
	assert_false(f->complete);
	assert_true(has_rule(r, "gguf-tensor-out-of-bounds"));
	scan_report_free(r);
	buf_release(&b);
	free(big);
}

static void test_gguf_version_1_is_unsupported(void **state)
{
	struct buf b = BUF_INIT(1024);
	struct scan_report *r;
	struct scan_file *f;

	assert_int_equal(buf_put(&b, "GGUF", 4), 0);
	put_u32(&b, 1);
	put_u64(&b, 0);
	put_u64(&b, 0);
	assert_int_equal(run_bytes(&b, &r, &f), ERR_UNSUPPORTED);
	assert_false(f->complete);
	scan_report_free(r);
	buf_release(&b);
}

static void test_sniff_ignores_misleading_names(void **state)
{
	static const uint8_t gguf[] = "GGUF\3\0\0\0";
	static const uint8_t h5[] = "\x89HDF\r\n\x1a\n\0\0\0\0";

	assert_int_equal(scan_fmt_sniff(gguf, 8, "weights.safetensors"),
			 SCAN_FMT_GGUF);
	assert_int_equal(scan_fmt_sniff(h5, 12, "notes.txt"), SCAN_FMT_H5);
	assert_int_equal(scan_fmt_sniff((const uint8_t *)"\0\1\2", 3,
					"model.onnx"), SCAN_FMT_UNKNOWN);
	assert_int_equal(scan_fmt_sniff((const uint8_t *)"{\"a\": 1}", 8,
					"x.bin"), SCAN_FMT_TEXT);
}

/* A SavedModel is recognised by its structure whatever its name; field 1
 * = 1 followed by a string that is not a meta graph is not one. */
static void test_sniff_savedmodel_by_structure(void **state)
{
	static const uint8_t sm[] = { 0x08, 0x01, 0x12, 0x07, 0x0a, 0x05,
				      0x0a, 0x03, 'v', '1', '.' };
	static const uint8_t str[] = { 0x08, 0x01, 0x12, 0x07, 'p', 'y',
				       't', 'o', 'r', 'c', 'h' };
	static const uint8_t inner_too_long[] = { 0x08, 0x01, 0x12, 0x03,
						  0x0a, 0x05, 0x0a, 0x03 };

	(void)state;
	assert_int_equal(scan_fmt_sniff(sm, sizeof(sm), "weights.bin"),
			 SCAN_FMT_SAVEDMODEL);
	assert_int_not_equal(scan_fmt_sniff(str, sizeof(str), "weights.bin"),
			     SCAN_FMT_SAVEDMODEL);
	assert_int_not_equal(scan_fmt_sniff(inner_too_long,
					    sizeof(inner_too_long), "w.bin"),
			     SCAN_FMT_SAVEDMODEL);
	assert_int_equal(scan_fmt_sniff(str, sizeof(str), "saved_model.pb"),
			 SCAN_FMT_SAVEDMODEL);
}

/* Secrets that look real only at a glance stay quiet. */
static void test_secret_lookalikes_are_not_reported(void **state)
{
	static const char text[] =
		"AKIAIOSFODNN7EXAMPLE 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 "
		"sk-this-is-not-a-key ghp_short xoxb-not-a-token "
		"-----BEGIN RSA PRIVATE KEY-----\n...\n"
		"-----END RSA PRIVATE KEY-----\n";
	struct scan_report *r = scan_report_new();
	struct scan_file *f = scan_add_file(r, "doc.md", "text");

	assert_int_equal(scan_fmt_check_text(r, f, text, sizeof(text) - 1, 0,
					     SCAN_TEXT_DOC), 0);
	assert_int_equal(scan_report_n_findings(r), 0);
	scan_report_free(r);
}

/* Google and Stripe keys (folded in from the first scanner's patterns). */
static void test_google_and_stripe_keys_are_reported(void **state)
{
	static const char text[] =
		"maps: AIzaSyD3x9Qm7Lw2Kp0Vb8Nc4Rt6Yh1Ju5Gf3Ds\n"
		"billing = 'sk_live_4eC39HqLyjWDarjtT1zdp7dcXq'\n"
		"short: AIzaSyShort sk_test_4eC39HqLyjWDarjtT1zdp7dc\n";
	struct scan_report *r = scan_report_new();
	struct scan_file *f = scan_add_file(r, "notes.md", "text");

	assert_int_equal(scan_fmt_check_text(r, f, text, sizeof(text) - 1, 0,
					     SCAN_TEXT_DOC), 0);
	assert_int_equal(scan_report_n_findings(r), 2);
	assert_true(has_rule(r, "secret-google-api-key"));
	assert_true(has_rule(r, "secret-stripe-key"));
	scan_report_free(r);
}

static void test_template_keyword_and_attribute_names_are_benign(void **s)
{
	static const char t[] =
		"{% set ns = namespace(system=false, sys='') %}"
		"{{ ns.sys }}{{ message.content | trim }}"
		"{% if '</think>' in message.content %}x{% endif %}";
	struct scan_report *r = scan_report_new();
	struct scan_file *f = scan_add_file(r, "t.jinja", "chat-template");

	assert_int_equal(scan_fmt_template_text(r, f, t, sizeof(t) - 1, 0),
			 0);
	assert_int_equal(scan_report_n_findings(r), 0);
	scan_report_free(r);
}

static void test_keras_config_without_class_name_is_invalid(void **state)
{
	static const char cfg[] = "{\"config\": {}}";
	struct scan_report *r = scan_report_new();
	struct scan_file *f = scan_add_file(r, "config.json", "keras");

	assert_int_equal(scan_fmt_keras_config(r, f, cfg, sizeof(cfg) - 1),
			 ERR_INVALID);
	assert_false(f->complete);
	assert_true(has_rule(r, "keras-config-invalid"));
	scan_report_free(r);
}

int main(void)
{
	const char *data = getenv("STELE_TEST_DATA");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_benign_fixtures_are_clean_and_complete),
		cmocka_unit_test(test_malicious_fixtures_report_their_rules),
		cmocka_unit_test(test_malicious_fixtures_fail_the_default_gate),
		cmocka_unit_test(test_onnx_external_data_symlink_is_reported),
		cmocka_unit_test(test_truncated_prefixes_fail_closed),
		cmocka_unit_test(test_gguf_duplicate_tensor_names_are_reported),
		cmocka_unit_test(test_gguf_overlong_string_is_incomplete),
		cmocka_unit_test(test_gguf_version_1_is_unsupported),
		cmocka_unit_test(test_sniff_ignores_misleading_names),
		cmocka_unit_test(test_sniff_savedmodel_by_structure),
		cmocka_unit_test(test_secret_lookalikes_are_not_reported),
		cmocka_unit_test(test_google_and_stripe_keys_are_reported),
		cmocka_unit_test(
			test_template_keyword_and_attribute_names_are_benign),
		cmocka_unit_test(
			test_keras_config_without_class_name_is_invalid),
	};

	/* STELE_TEST_DATA is <tests>/data, which need not exist. */
	const char *slash = data ? strrchr(data, '/') : NULL;

	snprintf(fixture_dir, sizeof(fixture_dir),
		 "%.*s/fixtures/models/formats",
		 slash ? (int)(slash - data) : 5, slash ? data : "tests");
	return cmocka_run_group_tests(tests, NULL, NULL);
}

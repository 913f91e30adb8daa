/* Unit tests of the kitfile module: parsing, kit's validation rules, the
 * config JSON bytes, .kitignore matching and Kitfile generation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kitfile/ignore.h"
#include "kitfile/internal.h"
#include "kitfile/kitfile.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/sha256.h"

/* ---- helpers ---- */

static int parse(const char *yaml, struct kitfile **kf)
{
	return kitfile_parse(yaml, strlen(yaml), "Kitfile", kf);
}

/* Parsing fails with code and a message containing want. */
static void expect_fail(const char *yaml, int code, const char *want)
{
	struct kitfile *kf = NULL;
	int rc = parse(yaml, &kf);

	if (rc != code || !strstr(err_msg(), want))
		print_error("input:\n%s\ngot %d '%s'\nwant %d '%s'\n", yaml,
			    rc, err_msg(), code, want);
	assert_int_equal(rc, code);
	assert_non_null(strstr(err_msg(), want));
	assert_null(kf);
}

static void expect_msg(const char *yaml, int code, const char *msg)
{
	expect_fail(yaml, code, msg);
	assert_string_equal(err_msg(), msg);
}

static void expect_ok(const char *yaml)
{
	struct kitfile *kf = NULL;
	int rc = parse(yaml, &kf);

	if (rc)
		print_error("unexpected failure: %s\n", err_msg());
	assert_int_equal(rc, 0);
	kitfile_free(kf);
}

static char *json_of(const struct kitfile *kf)
{
	struct buf b = BUF_INIT(1u << 24);

	assert_int_equal(kitfile_to_config_json(kf, &b), 0);
	return buf_detach(&b, NULL);
}

static char *read_data(const char *name)
{
	const char *dir = getenv("STELE_TEST_DATA");
	char path[PATH_MAX];
	struct buf b;

	assert_non_null(dir);
	snprintf(path, sizeof(path), "%s/kitfile/%s", dir, name);
	assert_int_equal(fs_read_file(path, 1u << 22, &b), 0);
	return buf_detach(&b, NULL);
}

/* The fake digests tests/interop/kitjson -digests writes. */
static void fill_digests(struct kitfile *kf)
{
	char s[32];

	for (size_t i = 0; i < kf->n_entries; i++) {
		snprintf(s, sizeof(s), "digest:%zu", i);
		sha256_digest_buf(s, strlen(s), kf->entries[i].digest);
		snprintf(s, sizeof(s), "diffid:%zu", i);
		sha256_digest_buf(s, strlen(s), kf->entries[i].diff_id);
	}
}

/* ---- config JSON against the Go reference ---- */

static const char *const fixtures[] = {
	"full", "minimal", "numbers", "strings", "sections", "nulls",
	"model-only-name", "timestamps",
};

static void check_fixture(const char *name)
{
	char file[128], *yaml, *want, *want_d, *got;
	struct kitfile *kf = NULL, *back = NULL, *again = NULL;
	struct buf y = BUF_INIT(1u << 24);

	snprintf(file, sizeof(file), "%s.yaml", name);
	yaml = read_data(file);
	snprintf(file, sizeof(file), "%s.json", name);
	want = read_data(file);
	snprintf(file, sizeof(file), "%s.digests.json", name);
	want_d = read_data(file);

	assert_int_equal(kitfile_parse(yaml, strlen(yaml), name, &kf), 0);
	got = json_of(kf);
	assert_string_equal(got, want);
	free(got);

	/* The YAML stele writes reads back to the same config. */
	assert_int_equal(kitfile_to_yaml(kf, &y), 0);
	assert_int_equal(kitfile_parse(y.data, y.len, "again", &again), 0);
	got = json_of(again);
	assert_string_equal(got, want);
	free(got);

	fill_digests(kf);
	got = json_of(kf);
	assert_string_equal(got, want_d);
	free(got);

	/* A config blob parses back to the same bytes. */
	assert_int_equal(kitfile_from_config_json(want_d, strlen(want_d),
						  &back), 0);
	got = json_of(back);
	assert_string_equal(got, want_d);
	free(got);

	kitfile_free(kf);
	kitfile_free(back);
	kitfile_free(again);
	buf_release(&y);
	free(yaml);
	free(want);
	free(want_d);
}

static void test_config_json_matches_go_reference(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
		check_fixture(fixtures[i]);
}

static void test_config_json_minimal_keeps_empty_package(void **state)
{
	struct kitfile *kf = NULL;
	char *j;

	(void)state;
	assert_int_equal(parse("manifestVersion: 1.0.0\n", &kf), 0);
	j = json_of(kf);
	assert_string_equal(j, "{\"manifestVersion\":\"1.0.0\","
			    "\"package\":{}}");
	free(j);
	kitfile_free(kf);
}

static void test_config_json_digest_inline_after_fields(void **state)
{
	struct kitfile *kf = NULL;
	char *j;

	(void)state;
	assert_int_equal(parse("manifestVersion: 1.0.0\n"
			       "docs:\n  - path: README.md\n"
			       "    description: d\n", &kf), 0);
	strcpy(kf->entries[0].digest, "sha256:00000000000000000000000000000"
	       "00000000000000000000000000000000001");
	j = json_of(kf);
	assert_string_equal(j, "{\"manifestVersion\":\"1.0.0\",\"package\":{},"
		"\"docs\":[{\"path\":\"README.md\",\"description\":\"d\","
		"\"digest\":\"sha256:0000000000000000000000000000000000000000"
		"000000000000000000000001\"}]}");
	free(j);
	kitfile_free(kf);
}

static void test_float_format_follows_go(void **state)
{
	static const struct { double v; const char *s; } cases[] = {
		{ 1.0, "1" }, { 0.1, "0.1" }, { 1e-6, "0.000001" },
		{ 1e-7, "1e-7" }, { 1.5e-10, "1.5e-10" }, { 1e20,
		"100000000000000000000" }, { 1e21, "1e+21" },
		{ 123456789.125, "123456789.125" }, { -2.5, "-2.5" },
		{ -0.0, "-0" }, { 1.7976931348623157e308,
		"1.7976931348623157e+308" }, { 5e-324, "5e-324" },
	};
	char out[32];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kitfile_format_float(cases[i].v, out);
		assert_string_equal(out, cases[i].s);
	}
}

static void test_json_string_escapes_like_go(void **state)
{
	struct buf b = BUF_INIT(4096);

	(void)state;
	assert_int_equal(kitfile_json_put_string(&b, "<a&b>\"\\\x01\x7f"
		"\xe2\x80\xa8\xff\b\f"), 0);
	assert_string_equal(buf_cstr(&b), "\"\\u003ca\\u0026b\\u003e\\\"\\\\"
			    "\\u0001\x7f\\u2028\\ufffd\\b\\f\"");
	buf_release(&b);
}

/* ---- validation, with kit's testdata cases ---- */

static void test_unknown_keys_are_refused(void **state)
{
	(void)state;
	expect_msg("manifestVersion: 1.0.0\nfoo: 1\n", ERR_INVALID,
		   "Kitfile:2:1: unknown key 'foo' in the Kitfile");
	expect_msg("manifestVersion: 1.0.0\nmodel:\n  frameworks: x\n",
		   ERR_INVALID, "Kitfile:3:3: unknown key 'frameworks' in "
		   "model");
	expect_msg("manifestVersion: 1.0.0\npackage:\n  nmae: x\n",
		   ERR_INVALID, "Kitfile:3:3: unknown key 'nmae' in package");
	expect_msg("manifestVersion: 1.0.0\ncode:\n  - path: a\n    type: x\n",
		   ERR_INVALID, "Kitfile:4:5: unknown key 'type' in code");
	expect_fail("manifestVersion: 1.0.0\ndocs:\n  - path: a\n    name: x\n",
		    ERR_INVALID, "unknown key 'name' in docs");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  parts:\n    - desc: x\n",
		    ERR_INVALID, "unknown key 'desc' in model.parts");
}

static void test_kit_fields_stele_lacks_are_unsupported(void **state)
{
	(void)state;
	expect_msg("manifestVersion: 1.0.0\nmcpServers:\n  - name: a\n",
		   ERR_UNSUPPORTED, "Kitfile:2:1: 'mcpServers' is not "
		   "supported by stele");
	expect_fail("manifestVersion: 1.0.0\ndatasets:\n  - path: d\n"
		    "    remotePath: s3://b/k\n", ERR_UNSUPPORTED,
		    "'remotePath' in datasets is not supported");
}

static void test_wrong_types_are_refused(void **state)
{
	(void)state;
	expect_msg("manifestVersion: 1.0.0\npackage: [a]\n", ERR_INVALID,
		   "Kitfile:2:10: package must be a mapping, not a sequence");
	expect_msg("manifestVersion: 1.0.0\npackage:\n  name: [x]\n",
		   ERR_INVALID, "Kitfile:3:9: 'name' in package must be a "
		   "string, not a sequence");
	expect_fail("manifestVersion: 1.0.0\ncode: src\n", ERR_INVALID,
		    "code must be a sequence, not a scalar");
	expect_fail("manifestVersion: 1.0.0\ncode:\n  - src\n", ERR_INVALID,
		    "each item of code must be a mapping, not a scalar");
	expect_fail("manifestVersion: 1.0.0\npackage:\n  authors: bob\n",
		    ERR_INVALID, "'authors' in package must be a sequence");
	expect_fail("manifestVersion: {a: 1}\n", ERR_INVALID,
		    "'manifestVersion' in the Kitfile must be a string, not "
		    "a mapping");
	expect_fail("- a\n- b\n", ERR_INVALID, "a Kitfile must be a mapping");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  ? [a]\n  : b\n",
		    ERR_INVALID, "keys in model must be strings");
	expect_msg("manifestVersion: 1.0.0\n~: x\n", ERR_INVALID,
		   "Kitfile:2:1: empty key in the Kitfile");
}

static void test_scalars_into_strings_keep_their_text(void **state)
{
	struct kitfile *kf = NULL;

	(void)state;
	assert_int_equal(parse("manifestVersion: 1.0\npackage:\n"
			       "  version: 0x10\n  name: true\n", &kf), 0);
	assert_string_equal(kf->manifest_version, "1.0");
	assert_string_equal(kf->package.version, "0x10");
	assert_string_equal(kf->package.name, "true");
	kitfile_free(kf);
}

static void test_missing_manifest_version_is_refused(void **state)
{
	(void)state;
	expect_msg("package:\n  name: x\n", ERR_INVALID,
		   "Kitfile: missing manifestVersion");
	expect_msg("manifestVersion: ~\n", ERR_INVALID,
		   "Kitfile: missing manifestVersion");
	expect_fail("", ERR_INVALID, "missing manifestVersion");
	expect_fail("# only a comment\n", ERR_INVALID,
		    "missing manifestVersion");
}

static void test_yaml_errors_name_line_and_column(void **state)
{
	(void)state;
	expect_fail("manifestVersion: 1.0.0\ncode: [a\n", ERR_INVALID,
		    "Kitfile:3:1: YAML error:");
	expect_fail("manifestVersion: 1.0.0\n\tcode: []\n", ERR_INVALID,
		    "Kitfile:2:1: YAML error:");
	expect_msg("manifestVersion: 1\nmanifestVersion: 2\n", ERR_INVALID,
		   "Kitfile:2:1: key 'manifestVersion' already defined in "
		   "the Kitfile at line 1");
	expect_fail("manifestVersion: *nope\n", ERR_INVALID, "YAML error:");
}

static void test_absolute_paths_are_refused(void **state)
{
	(void)state;
	expect_msg("manifestVersion: 1.0.0\nprompts:\n"
		   "  - path: /tmp/skills/personal/\n", ERR_INVALID,
		   "Kitfile:3:11: absolute paths are not supported in a "
		   "Kitfile (path /tmp/skills/personal in prompt layer 0)");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  name: m\n"
		    "  path: /models/m.gguf\n", ERR_INVALID,
		    "(path /models/m.gguf in model m)");
	/* An unnamed model: no stray space before the parenthesis. */
	expect_fail("manifestVersion: 1.0.0\nmodel:\n"
		    "  path: /models/m.gguf\n", ERR_INVALID,
		    "(path /models/m.gguf in model)");
}

static void test_paths_leaving_the_context_are_refused(void **state)
{
	(void)state;
	expect_msg("manifestVersion: 1.0.0\ndatasets:\n"
		   "  - path: data/../../outside\n", ERR_INVALID,
		   "Kitfile:3:11: paths outside the context directory are "
		   "not supported in a Kitfile (path ../outside in dataset "
		   "layer 0)");
	expect_fail("manifestVersion: 1.0.0\nprompts:\n"
		    "  - path: ../outside/skills/personal/\n", ERR_INVALID,
		    "(path ../outside/skills/personal in prompt layer 0)");
	expect_fail("manifestVersion: 1.0.0\ncode:\n  - path: ..\n",
		    ERR_INVALID, "(path .. in code layer 0)");
	expect_ok("manifestVersion: 1.0.0\ncode:\n  - path: src/../lib\n"
		  "prompts:\n  - path: ./skills/personal/\n");
	expect_ok("manifestVersion: 1.0.0\ncode:\n  - path: ..data\n");
}

static void test_duplicate_paths_as_in_kit_testdata(void **state)
{
	(void)state;
	/* kit's cases; an unnamed model or part reads "model", without the
	 * stray space kit prints. */
	expect_msg("manifestVersion: 1.0.0\ndatasets:\n  - path: test-path\n"
		   "code:\n  - path: test-path\n", ERR_INVALID,
		   "Kitfile:3:11: code layer 0 and dataset layer 0 use the "
		   "same path test-path");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  path: test-path\n"
		    "code:\n  - path: test-path\n", ERR_INVALID,
		    "model and code layer 0 use the same path test-path");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  path: test-path/\n"
		    "datasets:\n  - path: test-path\n", ERR_INVALID,
		    "model and dataset layer 0 use the same path test-path");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  path: test-path/\n"
		    "  parts:\n    - path: ./test-path\n", ERR_INVALID,
		    "model and modelpart use the same path test-path");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  path: test-path/\n"
		    "  parts:\n"
		    "    - path: ./some/meandering/../../test-path\n",
		    ERR_INVALID, "use the same path test-path");
	expect_fail("manifestVersion: 1.0.0\nprompts:\n  - path: p\n"
		    "docs:\n  - path: ./p/\n", ERR_INVALID,
		    "docs layer 0 and prompt layer 0 use the same path p");
	/* A model without a path claims "." in kit's check. */
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  name: m\n"
		    "code:\n  - path: .\n", ERR_INVALID,
		    "model m and code layer 0 use the same path .");
}

static void test_url_paths_are_refused_as_kit_does(void **state)
{
	(void)state;
	expect_fail("manifestVersion: 1.0.0\ncode:\n"
		    "  - path: https://example.com\n", ERR_INVALID,
		    "invalid path for code (https://example.com): HTTP urls "
		    "are not supported in paths");
	expect_fail("manifestVersion: 1.0.0\ndocs:\n  - path: s3://b/key\n",
		    ERR_INVALID, "invalid path for doc (s3://b/key): only "
		    "local paths are permitted");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  path: s3://b/key\n",
		    ERR_INVALID, "invalid path for model: only local paths "
		    "and ModelKit references are permitted");
	expect_fail("manifestVersion: 1.0.0\ncode:\n"
		    "  - path: docker.io/kit-org/kit-repo:latest\n",
		    ERR_INVALID, "invalid path for code (docker.io/kit-org/"
		    "kit-repo:latest): only local paths are permitted");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n"
		    "  path: docker.io/kit-org/kit-repo:latest\n",
		    ERR_UNSUPPORTED, "a ModelKit reference as model path");
	expect_fail("manifestVersion: 1.0.0\ndatasets:\n  - path: ftp://h/x\n",
		    ERR_INVALID, "unrecognized URL in path");
}

static void test_model_part_types_as_kit_checks(void **state)
{
	(void)state;
	expect_msg("manifestVersion: 1.0.0\nmodel:\n  path: test-path\n"
		   "  parts:\n    - path: part-path\n"
		   "      type: contains a space\n", ERR_INVALID,
		   "Kitfile:5:13: modelpart has invalid type (must be "
		   "alphanumeric with dots, dashes, and underscores)");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  path: test-path\n"
		    "  parts:\n    - path: part-path\n      name: p\n"
		    "      type: valid-otherwise-but-waaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaay-too-long\n", ERR_INVALID,
		    "modelpart p type is too long (must be fewer than 64 "
		    "characters)");
	expect_ok("manifestVersion: 1.0.0\nmodel:\n  path: m\n  parts:\n"
		  "    - path: l\n      type: LoRA_v1.2-x\n");
}

static void test_parameters_kit_cannot_encode_are_refused(void **state)
{
	(void)state;
	expect_msg("manifestVersion: 1.0.0\nmodel:\n  parameters:\n"
		   "    1: one\n", ERR_INVALID, "Kitfile:4:5: parameter key "
		   "'1' is not a string (quote it)");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  parameters:\n"
		    "    2024-02-29: leap\n", ERR_INVALID, "parameter key "
		    "'2024-02-29' is not a string");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  parameters:\n"
		    "    x: .nan\n", ERR_INVALID, "NaN and infinity");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  parameters:\n"
		    "    x: -.inf\n", ERR_INVALID, "NaN and infinity");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  parameters:\n"
		    "    x: 18446744073709551615\n", ERR_UNSUPPORTED,
		    "integers above 2^63-1");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  parameters:\n"
		    "    x: 2024-01-02T03:04:05+24:00\n", ERR_INVALID,
		    "offset of 24 hours");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  parameters:\n"
		    "    a: &x {b: 1}\n    c:\n      <<: *x\n", ERR_UNSUPPORTED,
		    "merge keys");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  parameters:\n"
		    "    a: 1\n    a: 2\n", ERR_INVALID,
		    "mapping key 'a' already defined");
	expect_msg("manifestVersion: 1.0.0\nmodel:\n  parameters:\n"
		   "    x: !custom 1\n", ERR_UNSUPPORTED, "Kitfile:4:8: YAML "
		   "tag '!custom' is not supported");
	expect_fail("manifestVersion: 1.0.0\nmodel:\n  name: !!int 5\n",
		    ERR_UNSUPPORTED, "YAML tag 'tag:yaml.org,2002:int'");
}

static void test_limits_are_errors(void **state)
{
	struct buf b = BUF_INIT(8u << 20);
	struct kitfile *kf = NULL;

	(void)state;
	/* Nesting beyond KITFILE_MAX_DEPTH */
	assert_int_equal(buf_puts(&b, "manifestVersion: 1.0.0\nmodel:\n"
				  "  parameters: "), 0);
	for (int i = 0; i < KITFILE_MAX_DEPTH + 1; i++)
		assert_int_equal(buf_putc(&b, '['), 0);
	for (int i = 0; i < KITFILE_MAX_DEPTH + 1; i++)
		assert_int_equal(buf_putc(&b, ']'), 0);
	assert_int_equal(kitfile_parse(b.data, b.len, "K", &kf), ERR_LIMIT);
	assert_non_null(strstr(err_msg(), "nested deeper than 32"));

	/* More layers than KITFILE_MAX_ENTRIES */
	buf_clear(&b);
	assert_int_equal(buf_puts(&b, "manifestVersion: 1.0.0\ncode:\n"), 0);
	for (int i = 0; i <= KITFILE_MAX_ENTRIES; i++)
		assert_int_equal(buf_printf(&b, "  - path: c%d\n", i), 0);
	assert_int_equal(kitfile_parse(b.data, b.len, "K", &kf), ERR_LIMIT);
	assert_non_null(strstr(err_msg(), "more than 4096 layers"));

	/* An alias bomb stops at the node budget. */
	buf_clear(&b);
	assert_int_equal(buf_puts(&b, "manifestVersion: 1.0.0\nmodel:\n"
		"  parameters:\n    a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		"    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		"    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		"    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		"    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"), 0);
	assert_int_equal(kitfile_parse(b.data, b.len, "K", &kf), ERR_LIMIT);
	assert_non_null(strstr(err_msg(), "YAML nodes"));

	/* Larger than KITFILE_MAX_BYTES */
	assert_int_equal(kitfile_parse(b.data, KITFILE_MAX_BYTES + 1, "K",
				       &kf), ERR_LIMIT);
	assert_null(kf);
	buf_release(&b);
}

static void test_entries_are_in_packing_order(void **state)
{
	struct kitfile *kf = NULL;
	static const enum kitfile_kind want[] = {
		KITFILE_MODEL, KITFILE_MODELPART, KITFILE_CODE,
		KITFILE_DATASET, KITFILE_DOCS, KITFILE_PROMPT };

	(void)state;
	assert_int_equal(parse("manifestVersion: 1.0.0\n"
			       "prompts:\n  - path: p\n"
			       "docs:\n  - path: d\n"
			       "datasets:\n  - path: s\n"
			       "code:\n  - path: c\n"
			       "model:\n  path: m\n  parts:\n"
			       "    - path: x\n", &kf), 0);
	assert_int_equal(kf->n_entries, 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(kf->entries[i].kind, want[i]);
	assert_int_equal(kf->entries[0].line, 11);
	assert_int_equal(kf->entries[0].column, 9);
	kitfile_free(kf);
}

static void test_null_items_are_dropped_like_go_yaml(void **state)
{
	struct kitfile *kf = NULL;

	(void)state;
	assert_int_equal(parse("manifestVersion: 1.0.0\npackage:\n"
			       "  authors: [a, ~, b]\ncode:\n  - ~\n"
			       "  - path: c\n", &kf), 0);
	assert_int_equal(kf->package.n_authors, 2);
	assert_int_equal(kf->n_entries, 1);
	kitfile_free(kf);
}

/* ---- config blobs from registries ---- */

static void expect_config_fail(const char *json, int code, const char *want)
{
	struct kitfile *kf = NULL;
	int rc = kitfile_from_config_json(json, strlen(json), &kf);

	if (rc != code || !strstr(err_msg(), want))
		print_error("got %d '%s'\n", rc, err_msg());
	assert_int_equal(rc, code);
	assert_non_null(strstr(err_msg(), want));
	assert_null(kf);
}

static void test_config_json_untrusted_input_is_refused(void **state)
{
	(void)state;
	expect_config_fail("{\"manifestVersion\":\"1\",\"manifestVersion\":"
			   "\"2\"}", ERR_INVALID, "duplicate object key");
	expect_config_fail("{\"manifestVersion\":\"1.0.0\",\"extra\":1}",
			   ERR_INVALID,
			   "config: manifest: unknown key 'extra'");
	expect_config_fail("{\"manifestVersion\":\"1.0.0\",\"code\":[{\"path\":"
			   "\"a\",\"digest\":\"sha256:xyz\"}]}", ERR_INVALID,
			   "config: code: 'digest' is not a sha256 digest");
	expect_config_fail("{\"manifestVersion\":\"1.0.0\",\"code\":[{\"path\":"
			   "\"/etc\"}]}", ERR_INVALID,
			   "config: absolute paths are not supported in a "
			   "Kitfile (path /etc in code layer 0)");
	expect_config_fail("{\"manifestVersion\":\"1.0.0\",\"docs\":[{\"path\":"
			   "\"a/../../b\"}]}", ERR_INVALID,
			   "paths outside the context directory");
	expect_config_fail("{\"manifestVersion\":\"1.0.0\",\"mcpServers\":[]}",
			   ERR_UNSUPPORTED, "'mcpServers' is not supported");
	expect_config_fail("[1]", ERR_INVALID, "config: not a JSON object");
	expect_config_fail("{\"manifestVersion\":", ERR_INVALID,
			   "config: JSON error at byte");
	expect_config_fail("{\"package\":{}}", ERR_INVALID,
			   "config: missing manifestVersion");
	expect_config_fail("{\"manifestVersion\":\"1.0.0\",\"model\":{"
			   "\"digest\":\"sha256:00000000000000000000000000000"
			   "00000000000000000000000000000000000\"}}",
			   ERR_INVALID, "'digest' without a path");
}

static void test_config_json_size_limit(void **state)
{
	struct kitfile *kf = NULL;
	char *big = calloc(1, KITFILE_MAX_BYTES + 2);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', KITFILE_MAX_BYTES + 1);
	assert_int_equal(kitfile_from_config_json(big, KITFILE_MAX_BYTES + 1,
						  &kf), ERR_LIMIT);
	free(big);
}

/* ---- paths and media types ---- */

static void test_path_clean_matches_go(void **state)
{
	static const char *const cases[][2] = {
		{ "", "." }, { ".", "." }, { "./a/", "a" }, { "a//b", "a/b" },
		{ "a/../..", ".." }, { "../x/..", ".." }, { "/../a", "/a" },
		{ "/a/b/..", "/a" }, { "a/./b/../c", "a/c" }, { "/", "/" },
		{ "..a/b", "..a/b" }, { "x/../../y", "../y" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *c = kitfile_path_clean(cases[i][0]);

		assert_string_equal(c, cases[i][1]);
		free(c);
	}
}

static void test_media_types(void **state)
{
	(void)state;
	assert_string_equal(kitfile_media_type(KITFILE_MODEL, "gzip"),
		"application/vnd.kitops.modelkit.model.v1.tar+gzip");
	assert_string_equal(kitfile_media_type(KITFILE_MODELPART, "none"),
		"application/vnd.kitops.modelkit.modelpart.v1.tar");
	assert_string_equal(kitfile_media_type(KITFILE_DATASET, "zstd"),
		"application/vnd.kitops.modelkit.dataset.v1.tar+zstd");
	assert_string_equal(kitfile_media_type(KITFILE_DOCS, "gzip"),
		"application/vnd.kitops.modelkit.docs.v1.tar+gzip");
	assert_string_equal(kitfile_media_type(KITFILE_PROMPT, "gzip"),
		"application/vnd.kitops.modelkit.code.v1.tar+gzip");
	assert_null(kitfile_media_type(KITFILE_CODE, "bzip2"));
	assert_null(kitfile_media_type(KITFILE_CODE, NULL));
}

static void check_mt(const char *mt, enum kitfile_kind want,
		     const char *comp, bool want_raw)
{
	enum kitfile_kind kind;
	const char *c = NULL;
	bool raw = !want_raw;

	assert_int_equal(kitfile_media_type_parse(mt, &kind, &c, &raw), 0);
	assert_int_equal(kind, want);
	assert_string_equal(c, comp);
	assert_int_equal(raw, want_raw);
}

static void test_media_type_parse_kitops_and_modelpack(void **state)
{
	enum kitfile_kind kind;
	const char *c;
	bool raw;

	(void)state;
	check_mt("application/vnd.kitops.modelkit.model.v1.tar+gzip",
		 KITFILE_MODEL, "gzip", false);
	check_mt("application/vnd.kitops.modelkit.modelpart.v1.tar",
		 KITFILE_MODELPART, "none", false);
	check_mt("application/vnd.kitops.modelkit.docs.v1.tar+zstd",
		 KITFILE_DOCS, "zstd", false);
	check_mt("application/vnd.cncf.model.weight.v1.raw", KITFILE_MODEL,
		 "none", true);
	check_mt("application/vnd.cncf.model.weight.config.v1.tar+gzip",
		 KITFILE_MODELPART, "gzip", false);
	check_mt("application/vnd.cnai.model.doc.v1.tar", KITFILE_DOCS,
		 "none", false);
	check_mt("application/vnd.cncf.model.dataset.v1.tar+zstd",
		 KITFILE_DATASET, "zstd", false);
	assert_int_equal(kitfile_media_type_parse(
		"application/vnd.kitops.modelkit.mcpb.v1.raw", &kind, &c, &raw),
		ERR_UNSUPPORTED);
	assert_int_equal(kitfile_media_type_parse(
		"application/vnd.kitops.modelkit.model.v1.tar+bzip2", &kind,
		&c, &raw), ERR_UNSUPPORTED);
	assert_int_equal(kitfile_media_type_parse(
		"application/vnd.oci.image.layer.v1.tar", &kind, &c, &raw),
		ERR_UNSUPPORTED);
	/* Every type stele writes reads back as its kind. */
	for (int k = KITFILE_MODEL; k < KITFILE_PROMPT; k++)
		check_mt(kitfile_media_type((enum kitfile_kind)k, "gzip"),
			 (enum kitfile_kind)k, "gzip", false);
}

/* ---- .kitignore ---- */

struct ig_case {
	const char *patterns;
	const char *path;
	bool excluded;
};

static void test_kitignore_matches_like_patternmatcher(void **state)
{
	static const struct ig_case cases[] = {
		{ "foo", "foo", true }, { "foo", "foo/bar/x", true },
		{ "foo", "foo2", false }, { "foo", "a/foo", false },
		{ "*.txt", "a.txt", true }, { "*.txt", "d/a.txt", false },
		{ "*/*.txt", "d/a.txt", true },
		{ "**/*.txt", "a.txt", true },
		{ "**/*.txt", "d/e/a.txt", true },
		{ "**/foo", "foo", true }, { "**/foo", "x/y/foo", true },
		{ "**/foo", "x/yfoo", false },
		{ "**", "anything/at/all", true },
		{ "foo/**", "foo/x", true }, { "foo/**", "foobar", false },
		{ "a/**/b", "a/b", true }, { "a/**/b", "a/x/y/b", true },
		{ "a/**/b", "a/xb", false }, { "a/**", "a/x/y", true },
		{ "?.bin", "a.bin", true }, { "?.bin", "ab.bin", false },
		{ "[a-c].bin", "b.bin", true }, { "[a-c].bin", "d.bin", false },
		{ "[^a-c].bin", "d.bin", true }, { "\\*lit", "*lit", true },
		{ "\\*lit", "xlit", false }, { "/abs", "abs", true },
		{ "./dir/", "dir/f", true }, { "  spaced  ", "spaced", true },
		{ "# comment\n", "# comment", false },
		{ "*.md\n!README.md", "README.md", false },
		{ "*.md\n!README.md", "NOTES.md", true },
		{ "docs\n!docs/keep.md", "docs/keep.md", false },
		{ "docs\n!docs/keep.md", "docs/drop.md", true },
		{ "!Kitfile", "Kitfile", true }, { "", ".kitignore", true },
		{ "", "kitfile", true }, { "", "sub/Kitfile", false },
		{ "\xef\xbb\xbf" "bom", "bom", true }, { "a.b", "axb", false },
		{ "dat*", "data/file", true }, { "*", "x/y", true },
		{ "data\r\n", "data", true }, { "*.日本", "x.日本", true },
		{ "?", "é", true },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct kitignore *ig = NULL;
		const struct ig_case *c = &cases[i];

		assert_int_equal(kitignore_parse(c->patterns,
				 strlen(c->patterns), &ig), 0);
		if (kitignore_match(ig, c->path, false) != c->excluded)
			print_error("pattern '%s' path '%s' want %d\n",
				    c->patterns, c->path, c->excluded);
		assert_int_equal(kitignore_match(ig, c->path, false),
				 c->excluded);
		kitignore_free(ig);
	}
}

static void test_kitignore_bad_patterns_are_errors(void **state)
{
	struct kitignore *ig = NULL;

	(void)state;
	assert_int_equal(kitignore_parse("ok\n!\n", 6, &ig), ERR_INVALID);
	assert_string_equal(err_msg(), ".kitignore:2: illegal exclusion "
			    "pattern: \"!\"");
	assert_int_equal(kitignore_parse("[abc", 4, &ig), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "syntax error in pattern '[abc'"));
	assert_int_equal(kitignore_parse("[]a]", 4, &ig), ERR_INVALID);
	assert_int_equal(kitignore_parse("[z-a]", 5, &ig), ERR_INVALID);
	assert_int_equal(kitignore_parse("x\\", 2, &ig), ERR_INVALID);
	assert_int_equal(kitignore_parse("[*]", 3, &ig), ERR_UNSUPPORTED);
	assert_null(ig);
}

static void test_kitignore_nested_layer_rule(void **state)
{
	struct kitignore *ig = NULL;
	struct kitfile *kf = NULL;

	(void)state;
	assert_int_equal(parse("manifestVersion: 1.0.0\nmodel:\n"
			       "  path: model\ncode:\n  - path: .\n"
			       "datasets:\n  - path: data\n"
			       "  - path: data/extra\n", &kf), 0);
	assert_int_equal(kitignore_parse("*.log", 5, &ig), 0);
	/* The catch-all layer leaves out what other layers pack... */
	assert_true(kitignore_excludes(ig, kf, "model/w.bin", "."));
	assert_true(kitignore_excludes(ig, kf, "data/extra/x", "data"));
	assert_false(kitignore_excludes(ig, kf, "data/x", "data"));
	assert_false(kitignore_excludes(ig, kf, "main.py", "."));
	/* ...but a layer never loses its own files to a parent layer. */
	assert_false(kitignore_excludes(ig, kf, "model/w.bin", "model"));
	assert_false(kitignore_excludes(ig, kf, "data-v2/x", "."));
	assert_true(kitignore_excludes(ig, kf, "main.log", "."));
	assert_true(kitignore_excludes(ig, kf, "Kitfile", "."));
	assert_false(kitignore_has_exclusions(ig));
	kitignore_free(ig);
	kitfile_free(kf);
}

/* ---- generation ---- */

static void put_file(const char *dir, const char *rel, const char *text,
		     size_t size)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	for (size_t i = strlen(text); i < size; i++)
		fputc('x', f);
	fclose(f);
}

static void make_dir(const char *dir, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

static const struct kitfile_entry *find(const struct kitfile *kf,
					enum kitfile_kind kind,
					const char *path)
{
	for (size_t i = 0; i < kf->n_entries; i++)
		if (kf->entries[i].kind == kind &&
		    !strcmp(kf->entries[i].path, path))
			return &kf->entries[i];
	return NULL;
}

static void test_generate_classifies_like_kit_init(void **state)
{
	char dir[] = "/tmp/stele-kitfile-XXXXXX";
	struct kitfile *kf = NULL, *back = NULL;
	struct buf y = BUF_INIT(1u << 20);

	(void)state;
	assert_non_null(mkdtemp(dir));
	put_file(dir, "model.safetensors", "", 4000);
	put_file(dir, "adapter.safetensors", "", 100);
	put_file(dir, "config.json", "{}", 0);
	put_file(dir, "README.md", "# hi", 0);
	put_file(dir, "LICENSE", "Apache License\nVersion 2.0, January", 0);
	put_file(dir, "system.prompt.md", "be nice", 0);
	put_file(dir, "train.py", "print()", 0);
	put_file(dir, "Kitfile", "old", 0);
	put_file(dir, ".hidden", "x", 0);
	put_file(dir, "skip.log", "x", 0);
	put_file(dir, ".kitignore", "*.log\n", 0);
	make_dir(dir, "data");
	put_file(dir, "data/train.csv", "a,b", 0);
	put_file(dir, "data/test.parquet", "x", 0);
	make_dir(dir, "docs");
	put_file(dir, "docs/guide.md", "x", 0);
	make_dir(dir, "mixed");
	put_file(dir, "mixed/a.csv", "x", 0);
	put_file(dir, "mixed/b.md", "x", 0);

	assert_int_equal(kitfile_generate(dir, &kf), 0);
	assert_string_equal(kf->manifest_version, "1.0.0");
	assert_true(kf->has_model);
	assert_string_equal(kf->entries[0].path, "model.safetensors");
	assert_string_equal(kf->model.name, "model");
	assert_string_equal(kf->model.license, "Apache-2.0");
	assert_non_null(find(kf, KITFILE_MODELPART, "adapter.safetensors"));
	assert_non_null(find(kf, KITFILE_MODELPART, "config.json"));
	assert_non_null(find(kf, KITFILE_DOCS, "README.md"));
	assert_string_equal(find(kf, KITFILE_DOCS, "LICENSE")->description,
			    "License file");
	assert_non_null(find(kf, KITFILE_DOCS, "docs/"));
	assert_non_null(find(kf, KITFILE_DATASET, "data/"));
	assert_non_null(find(kf, KITFILE_PROMPT, "system.prompt.md"));
	assert_non_null(find(kf, KITFILE_CODE, "train.py"));
	assert_non_null(find(kf, KITFILE_CODE, "mixed/"));
	assert_null(find(kf, KITFILE_CODE, "skip.log"));
	assert_null(find(kf, KITFILE_CODE, ".hidden"));
	assert_null(find(kf, KITFILE_CODE, "Kitfile"));
	assert_int_equal(kf->n_entries, 10);

	/* What init writes parses back to the same Kitfile. */
	assert_int_equal(kitfile_to_yaml(kf, &y), 0);
	assert_int_equal(kitfile_parse(y.data, y.len, "gen", &back), 0);
	{
		char *a = json_of(kf), *b = json_of(back);

		assert_string_equal(a, b);
		free(a);
		free(b);
	}
	kitfile_free(kf);
	kitfile_free(back);
	buf_release(&y);
	assert_int_equal(fs_remove_tree(dir), 0);
}

static void test_generate_many_unknown_files_become_one_code_layer(
	void **state)
{
	char dir[] = "/tmp/stele-kitfile-XXXXXX", name[32];
	struct kitfile *kf = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "f%d.py", i);
		put_file(dir, name, "x", 0);
	}
	put_file(dir, "a.gguf", "", 10);
	put_file(dir, "b.gguf", "", 10);
	assert_int_equal(kitfile_generate(dir, &kf), 0);
	assert_non_null(find(kf, KITFILE_CODE, "."));
	/* Equal sizes: the first is the model, unnamed; the rest parts. */
	assert_string_equal(kf->entries[0].path, "a.gguf");
	assert_null(kf->model.name);
	assert_non_null(find(kf, KITFILE_MODELPART, "b.gguf"));
	assert_int_equal(kf->n_entries, 3);
	kitfile_free(kf);
	assert_int_equal(fs_remove_tree(dir), 0);
}

static void test_generate_missing_dir_is_not_found(void **state)
{
	struct kitfile *kf = NULL;

	(void)state;
	assert_int_equal(kitfile_generate("/nonexistent/stele-dir", &kf),
			 ERR_NOTFOUND);
	assert_null(kf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_json_matches_go_reference),
		cmocka_unit_test(test_config_json_minimal_keeps_empty_package),
		cmocka_unit_test(test_config_json_digest_inline_after_fields),
		cmocka_unit_test(test_float_format_follows_go),
		cmocka_unit_test(test_json_string_escapes_like_go),
		cmocka_unit_test(test_unknown_keys_are_refused),
		cmocka_unit_test(test_kit_fields_stele_lacks_are_unsupported),
		cmocka_unit_test(test_wrong_types_are_refused),
		cmocka_unit_test(test_scalars_into_strings_keep_their_text),
		cmocka_unit_test(test_missing_manifest_version_is_refused),
		cmocka_unit_test(test_yaml_errors_name_line_and_column),
		cmocka_unit_test(test_absolute_paths_are_refused),
		cmocka_unit_test(test_paths_leaving_the_context_are_refused),
		cmocka_unit_test(test_duplicate_paths_as_in_kit_testdata),
		cmocka_unit_test(test_url_paths_are_refused_as_kit_does),
		cmocka_unit_test(test_model_part_types_as_kit_checks),
		cmocka_unit_test(test_parameters_kit_cannot_encode_are_refused),
		cmocka_unit_test(test_limits_are_errors),
		cmocka_unit_test(test_entries_are_in_packing_order),
		cmocka_unit_test(test_null_items_are_dropped_like_go_yaml),
		cmocka_unit_test(test_config_json_untrusted_input_is_refused),
		cmocka_unit_test(test_config_json_size_limit),
		cmocka_unit_test(test_path_clean_matches_go),
		cmocka_unit_test(test_media_types),
		cmocka_unit_test(test_media_type_parse_kitops_and_modelpack),
		cmocka_unit_test(test_kitignore_matches_like_patternmatcher),
		cmocka_unit_test(test_kitignore_bad_patterns_are_errors),
		cmocka_unit_test(test_kitignore_nested_layer_rule),
		cmocka_unit_test(test_generate_classifies_like_kit_init),
		cmocka_unit_test(
			test_generate_many_unknown_files_become_one_code_layer),
		cmocka_unit_test(test_generate_missing_dir_is_not_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

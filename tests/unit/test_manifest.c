/* Unit tests for ModelKit manifests: Go-compatible output and strict
 * parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "oci/manifest.h"
#include "util/err.h"

#define HEX64 "0123456789abcdef0123456789abcdef" \
	      "0123456789abcdef0123456789abcdef"
#define DIG "sha256:" HEX64

/* Produced by Go's encoding/json on the image-spec structs. */
static const char go_bytes[] =
	"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image."
	"manifest.v1+json\",\"artifactType\":\"application/vnd.kitops."
	"modelkit.manifest.v1+json\",\"config\":{\"mediaType\":\"application/"
	"vnd.kitops.modelkit.config.v1+json\",\"digest\":\"" DIG "\","
	"\"size\":42},\"layers\":[{\"mediaType\":\"application/vnd.kitops."
	"modelkit.code.v1.tar\",\"digest\":\"" DIG "\",\"size\":1024,"
	"\"annotations\":{\"ml.kitops.modelkit.layer-subtype\":\"prompt\","
	"\"org.cncf.model.filepath\":\"a\\u003cb\\u003e\\u0026c\\\"d\\\\e\\n"
	"\\t\\b\\f\\u0001\xc3\xa9\\u2028\"}}],\"annotations\":{\"ml.kitops."
	"modelkit.cli-version\":\"x\",\"org.opencontainers.image.created\":"
	"\"1970-01-01T00:00:00Z\"}}";

static void test_json_matches_go_encoding(void **state)
{
	struct oci_manifest *m = oci_manifest_new();
	struct oci_descriptor *l;
	struct buf out = BUF_INIT(OCI_MANIFEST_MAX);

	m->media_type = strdup(OCI_MT_MANIFEST);
	m->artifact_type = strdup(KIT_ARTIFACT_TYPE);
	assert_int_equal(oci_descriptor_set(&m->config, KIT_MT_CONFIG, DIG,
					    42), 0);
	assert_int_equal(oci_manifest_add_layer(m, oci_kit_media_type(
		OCI_ROLE_PROMPT, "none"), DIG, 1024, &l), 0);
	assert_int_equal(oci_annotations_set(&l->annotations,
		MODEL_ANN_FILEPATH,
		"a<b>&c\"d\\e\n\t\b\f\x01\xc3\xa9\xe2\x80\xa8"), 0);
	assert_int_equal(oci_annotations_set(&l->annotations, KIT_ANN_SUBTYPE,
					     "prompt"), 0);
	/* Inserted out of order: output must be sorted like a Go map. */
	assert_int_equal(oci_annotations_set(&m->annotations, OCI_ANN_CREATED,
					     "1970-01-01T00:00:00Z"), 0);
	assert_int_equal(oci_annotations_set(&m->annotations,
					     KIT_ANN_CLI_VERSION, "x"), 0);
	assert_int_equal(oci_manifest_to_json(m, &out), 0);
	assert_string_equal(out.data, go_bytes);
	buf_release(&out);
	oci_manifest_free(m);
}

static void test_invalid_utf8_becomes_replacement(void **state)
{
	struct buf out = BUF_INIT(1024);

	assert_int_equal(oci_json_put_string(&out, "bad\xffutf"), 0);
	assert_string_equal(out.data, "\"bad\\ufffdutf\"");
	buf_release(&out);
}

static void test_parse_round_trip(void **state)
{
	struct oci_manifest *m;
	struct oci_layer_info info;
	struct buf out = BUF_INIT(OCI_MANIFEST_MAX);

	assert_int_equal(oci_manifest_parse(go_bytes, strlen(go_bytes), &m),
			 0);
	assert_int_equal(oci_manifest_format(m), OCI_FORMAT_KITOPS);
	assert_int_equal(m->n_layers, 1);
	assert_int_equal(oci_layer_classify(&m->layers[0], &info), 0);
	assert_int_equal(info.role, OCI_ROLE_PROMPT);
	assert_int_equal(oci_manifest_to_json(m, &out), 0);
	assert_string_equal(out.data, go_bytes);
	buf_release(&out);
	oci_manifest_free(m);
}

static int parse(const char *s)
{
	struct oci_manifest *m = NULL;
	int rc = oci_manifest_parse(s, strlen(s), &m);

	oci_manifest_free(m);
	return rc;
}

static void test_parse_refuses_duplicate_keys(void **state)
{
	assert_int_equal(parse("{\"schemaVersion\":2,\"schemaVersion\":2,"
			       "\"config\":{\"mediaType\":\"a\",\"digest\":\""
			       DIG "\",\"size\":1},\"layers\":[]}"),
			 ERR_INVALID);
}

static void test_parse_refuses_bad_fields(void **state)
{
	assert_int_equal(parse("{\"schemaVersion\":1}"), ERR_INVALID);
	assert_int_equal(parse("[]"), ERR_INVALID);
	assert_int_equal(parse("{\"schemaVersion\":2,\"config\":{"
			       "\"mediaType\":\"a\",\"digest\":"
			       "\"sha256:../x\",\"size\":1}}"), ERR_INVALID);
	assert_int_equal(parse("{\"schemaVersion\":2,\"config\":{\"mediaType\""
			       ":\"a\",\"digest\":\"" DIG "\",\"size\":-1}}"),
			 ERR_INVALID);
	assert_int_equal(parse("{\"schemaVersion\":2,\"config\":{\"mediaType\""
			       ":\"a\",\"digest\":\"" DIG "\",\"size\":1},"
			       "\"annotations\":{\"k\":1}}"), ERR_INVALID);
	assert_int_equal(parse("{\"schemaVersion\":2,\"mediaType\":\""
			       OCI_MT_INDEX "\",\"manifests\":[]}"),
			 ERR_UNSUPPORTED);
}

static void test_parse_refuses_oversized(void **state)
{
	struct oci_manifest *m;

	assert_int_equal(oci_manifest_parse("{}", OCI_MANIFEST_MAX + 1, &m),
			 ERR_LIMIT);
}

static void test_classify_modelpack_and_cnai(void **state)
{
	struct oci_descriptor d = { 0 };
	struct oci_layer_info info;
	char mt[128];

	d.media_type = strcpy(mt, "application/"
			      "vnd.cncf.model.weight.v1.tar+zstd");
	assert_int_equal(oci_layer_classify(&d, &info), 0);
	assert_int_equal(info.role, OCI_ROLE_MODEL);
	assert_int_equal(info.comp, OCI_COMP_ZSTD);
	d.media_type = strcpy(mt, "application/"
			      "vnd.cnai.model.weight.config.v1.raw");
	assert_int_equal(oci_layer_classify(&d, &info), 0);
	assert_int_equal(info.role, OCI_ROLE_MODELPART);
	assert_true(info.raw);
	d.media_type = strcpy(mt, "application/"
			      "vnd.cncf.model.doc.v1.tar");
	assert_int_equal(oci_layer_classify(&d, &info), 0);
	assert_int_equal(info.role, OCI_ROLE_DOCS);
	d.media_type = strcpy(mt, "application/"
			      "vnd.kitops.modelkit.model.v1.raw");
	assert_int_equal(oci_layer_classify(&d, &info), ERR_UNSUPPORTED);
	d.media_type = strcpy(mt, "application/"
			      "octet-stream");
	assert_int_equal(oci_layer_classify(&d, &info), ERR_UNSUPPORTED);
}

static void test_kit_media_types(void **state)
{
	assert_string_equal(oci_kit_media_type(OCI_ROLE_DATASET, "gzip"),
		"application/vnd.kitops.modelkit.dataset.v1.tar+gzip");
	assert_string_equal(oci_kit_media_type(OCI_ROLE_PROMPT, "zstd"),
		"application/vnd.kitops.modelkit.code.v1.tar+zstd");
	assert_null(oci_kit_media_type(OCI_ROLE_DOCS, "lz4"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_matches_go_encoding),
		cmocka_unit_test(test_invalid_utf8_becomes_replacement),
		cmocka_unit_test(test_parse_round_trip),
		cmocka_unit_test(test_parse_refuses_duplicate_keys),
		cmocka_unit_test(test_parse_refuses_bad_fields),
		cmocka_unit_test(test_parse_refuses_oversized),
		cmocka_unit_test(test_classify_modelpack_and_cnai),
		cmocka_unit_test(test_kit_media_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

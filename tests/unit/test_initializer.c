/* Unit tests for storage URIs, settings, crash-safe staging, and the
 * layer-source contract the initializer streams through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "initializer/stage.h"
#include "initializer/uri.h"
#include "pack/pack.h"
#include "store/store.h"
#include "util/err.h"
#include "util/fs.h"

#define HEX64 "0123456789abcdef0123456789abcdef" \
	      "0123456789abcdef0123456789abcdef"

static void test_uri_with_host(void **state)
{
	struct oci_ref r;

	assert_int_equal(init_uri_parse("stele://reg.local:5000/team/m:v1.2.0",
					NULL, &r), 0);
	assert_string_equal(r.host, "reg.local:5000");
	assert_string_equal(r.repo, "team/m");
	assert_string_equal(r.tag, "v1.2.0");
}

static void test_uri_host_from_registry(void **state)
{
	struct oci_ref r;

	assert_int_equal(init_uri_parse("stele://team/m@sha256:" HEX64,
					"localhost:5000", &r), 0);
	assert_string_equal(r.host, "localhost:5000");
	assert_string_equal(r.digest, "sha256:" HEX64);
	assert_int_equal(init_uri_parse("stele://team/m:v1", NULL, &r),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "STELE_REGISTRY"));
}

static void test_uri_refusals(void **state)
{
	struct oci_ref r;

	assert_int_equal(init_uri_parse("s3://bucket/m", "h:1", &r),
			 ERR_INVALID);
	assert_int_equal(init_uri_parse("stele://h.local/team/m", NULL, &r),
			 ERR_INVALID);
	assert_non_null(strstr(err_msg(), "needs a tag or a digest"));
	assert_int_equal(init_uri_parse("kit://team/m:v1", "h:1", &r),
			 ERR_INVALID);
	assert_int_equal(init_uri_parse("stele://h.local/../m:v1", NULL, &r),
			 ERR_INVALID);
}

static void test_settings_defaults_and_errors(void **state)
{
	struct init_settings s;

	unsetenv("STELE_FILTER");
	unsetenv("STELE_PARALLEL");
	assert_int_equal(init_settings_load(&s), 0);
	assert_string_equal(s.filter, INIT_DEFAULT_FILTER);
	assert_int_equal(s.parallel, 4);
	setenv("STELE_PARALLEL", "999", 1);
	assert_int_equal(init_settings_load(&s), ERR_INVALID);
	unsetenv("STELE_PARALLEL");
	setenv("STELE_REQUIRE_SCAN", "yes", 1);
	assert_int_equal(init_settings_load(&s), ERR_INVALID);
	unsetenv("STELE_REQUIRE_SCAN");
}

static void test_settings_max_bytes_suffixes_and_limits(void **state)
{
	struct init_settings s;

	(void)state;
	unsetenv("STELE_MAX_BYTES");
	assert_int_equal(init_settings_load(&s), 0);
	assert_true(s.max_bytes == INIT_DEFAULT_MAX_BYTES);
	setenv("STELE_MAX_BYTES", "32K", 1);
	assert_int_equal(init_settings_load(&s), 0);
	assert_true(s.max_bytes == 32768);
	setenv("STELE_MAX_BYTES", "3G", 1);
	assert_int_equal(init_settings_load(&s), 0);
	assert_true(s.max_bytes == 3ull << 30);
	setenv("STELE_MAX_BYTES", "1000", 1);
	assert_int_equal(init_settings_load(&s), 0);
	assert_true(s.max_bytes == 1000);
	setenv("STELE_MAX_BYTES", "0", 1);
	assert_int_equal(init_settings_load(&s), ERR_INVALID);
	setenv("STELE_MAX_BYTES", "-1", 1);
	assert_int_equal(init_settings_load(&s), ERR_INVALID);
	setenv("STELE_MAX_BYTES", "12KB", 1);
	assert_int_equal(init_settings_load(&s), ERR_INVALID);
	setenv("STELE_MAX_BYTES", "2048T", 1);
	assert_int_equal(init_settings_load(&s), ERR_INVALID);
	setenv("STELE_MAX_BYTES", "99999999999999999999999", 1);
	assert_int_equal(init_settings_load(&s), ERR_INVALID);
	unsetenv("STELE_MAX_BYTES");
}

/*
 * A layer source that hands out the store's own bytes and then reports
 * verdict at the end, as the initializer's download stream does.
 */
struct test_src {
	struct stream_in base;
	struct store_blob_reader *r;
	int verdict;
	int opened, closed;
	bool offer;
};

static ssize_t test_src_read(struct stream_in *in, void *p, size_t n)
{
	struct test_src *t = stream_container_of(in, struct test_src, base);
	ssize_t got = store_blob_read(t->r, p, n);

	if (got == 0 && t->verdict)
		return err_set(t->verdict, "test: digest mismatch at the end");
	return got;
}

static struct store *test_store;

static int test_src_open(void *arg, const struct oci_descriptor *d,
			 struct stream_in **in)
{
	struct test_src *t = arg;

	*in = NULL;
	if (!t->offer)
		return 0;
	t->opened++;
	assert_int_equal(store_blob_open_read(test_store, d->digest, &t->r,
					      NULL), 0);
	*in = &t->base;
	return 0;
}

static void test_src_close(void *arg, struct stream_in *in)
{
	struct test_src *t = arg;

	assert_ptr_equal(in, &t->base);
	store_blob_close(t->r);
	t->r = NULL;
	t->closed++;
}

static void pack_one(const char *root, char *ref_out, size_t len)
{
	struct pack_opts po = { 0 };
	struct pack_result res;
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s/src", root);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/src/model.bin", root);
	assert_int_equal(fs_write_atomic(p, "weights", 7, 0644), 0);
	snprintf(p, sizeof(p), "%s/src/Kitfile", root);
	assert_int_equal(fs_write_atomic(p, "manifestVersion: 1.0.0\n"
					 "model:\n  path: model.bin\n", 48,
					 0644), 0);
	snprintf(p, sizeof(p), "%s/store", root);
	assert_int_equal(store_open(p, &test_store), 0);
	snprintf(p, sizeof(p), "%s/src", root);
	snprintf(ref_out, len, "local/m:v1");
	po.dir = p;
	po.ref = ref_out;
	po.comp = PACK_COMP_NONE;
	assert_int_equal(pack_modelkit(test_store, &po, &res), 0);
}

static void test_layer_source_verdict_gates_unpack(void **state)
{
	char root[] = "/tmp/stele-src-XXXXXX", ref[64], out[PATH_MAX + 8];
	struct test_src t = { .base.read = test_src_read, .offer = true,
			      .verdict = ERR_DIGEST };
	struct unpack_layer_source from = { test_src_open, test_src_close,
					    &t };
	struct unpack_opts uo = { .filter = UNPACK_ALL };
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(root));
	pack_one(root, ref, sizeof(ref));
	snprintf(out, sizeof(out), "%s/out", root);
	uo.ref = ref;
	uo.dir = out;

	/* A source that fails at the end: nothing reaches the directory. */
	assert_int_equal(unpack_modelkit_from(test_store, &uo, &from),
			 ERR_DIGEST);
	assert_int_equal(t.opened, 1);
	assert_int_equal(t.closed, 1);
	assert_int_not_equal(stat(out, &st), 0);

	/* The same bytes with a good verdict land. */
	t.verdict = 0;
	assert_int_equal(unpack_modelkit_from(test_store, &uo, &from), 0);
	assert_int_equal(t.closed, 2);
	snprintf(out, sizeof(out), "%s/out/model.bin", root);
	assert_int_equal(stat(out, &st), 0);
	assert_int_equal(st.st_size, 7);

	/* A source that offers nothing falls back to the store. */
	t.offer = false;
	snprintf(out, sizeof(out), "%s/out2", root);
	assert_int_equal(unpack_modelkit_from(test_store, &uo, &from), 0);
	assert_int_equal(t.opened, 2);
	snprintf(out, sizeof(out), "%s/out2/model.bin", root);
	assert_int_equal(stat(out, &st), 0);
	store_free(test_store);
	test_store = NULL;
	fs_remove_tree(root);
}

static void put(const char *dir, const char *name, const char *text)
{
	char p[PATH_MAX];
	int n = snprintf(p, sizeof(p), "%s/%s", dir, name);

	assert_true(n > 0 && (size_t)n < sizeof(p));
	assert_int_equal(fs_write_atomic(p, text, strlen(text), 0644), 0);
}

static void test_stage_commit_and_marker(void **state)
{
	char dest[] = "/tmp/stele-stage-XXXXXX", p[PATH_MAX], d[80];
	struct stage s;

	assert_non_null(mkdtemp(dest));
	assert_int_equal(stage_begin(&s, dest), 0);
	put(s.dir, "model.bin", "weights");
	put(s.dir, "Kitfile", "manifestVersion: 1.0.0\n");
	assert_int_equal(stage_commit(&s, "sha256:" HEX64), 0);
	snprintf(p, sizeof(p), "%s/model.bin", dest);
	assert_true(fs_exists(p));
	assert_int_equal(stage_completed_digest(dest, d, sizeof(d)), 0);
	assert_string_equal(d, "sha256:" HEX64);
	fs_remove_tree(dest);
}

static void test_stage_refuses_overwrite(void **state)
{
	char dest[] = "/tmp/stele-stage-XXXXXX", p[PATH_MAX];
	struct stage s;

	assert_non_null(mkdtemp(dest));
	put(dest, "model.bin", "old");
	assert_int_equal(stage_begin(&s, dest), 0);
	put(s.dir, "model.bin", "new");
	assert_int_equal(stage_commit(&s, "sha256:" HEX64), ERR_EXISTS);
	snprintf(p, sizeof(p), "%s/model.bin", dest);
	struct buf b;
	assert_int_equal(fs_read_file(p, 10, &b), 0);
	assert_string_equal(b.data, "old");
	buf_release(&b);
	fs_remove_tree(dest);
}

static void test_stage_recovers_interrupted_commit(void **state)
{
	char dest[] = "/tmp/stele-stage-XXXXXX", p[PATH_MAX], d[80];
	struct stage s;

	assert_non_null(mkdtemp(dest));
	/* A crash after the journal and one rename, before the marker. */
	put(dest, ".stele-journal", "a.bin\nb.bin\n");
	put(dest, "a.bin", "half");
	snprintf(p, sizeof(p), "%s/.stele-staging-0000", dest);
	assert_int_equal(fs_mkdirs(p, 0755), 0);
	put(p, "b.bin", "rest");

	assert_int_equal(stage_begin(&s, dest), 0);
	snprintf(p, sizeof(p), "%s/a.bin", dest);
	assert_false(fs_exists(p));
	snprintf(p, sizeof(p), "%s/.stele-staging-0000", dest);
	assert_false(fs_exists(p));
	assert_int_equal(stage_completed_digest(dest, d, sizeof(d)),
			 ERR_NOTFOUND);
	stage_abort(&s);
	fs_remove_tree(dest);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uri_with_host),
		cmocka_unit_test(test_uri_host_from_registry),
		cmocka_unit_test(test_uri_refusals),
		cmocka_unit_test(test_settings_defaults_and_errors),
		cmocka_unit_test(test_settings_max_bytes_suffixes_and_limits),
		cmocka_unit_test(test_layer_source_verdict_gates_unpack),
		cmocka_unit_test(test_stage_commit_and_marker),
		cmocka_unit_test(test_stage_refuses_overwrite),
		cmocka_unit_test(test_stage_recovers_interrupted_commit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

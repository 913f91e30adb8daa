/* Unit tests for the OCI-layout store: atomic blobs, verification,
 * references and prune. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oci/manifest.h"
#include "store/store.h"
#include "util/err.h"
#include "util/fs.h"

static char root[256];

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/stele-test-store-XXXXXX");
	assert_non_null(mkdtemp(root));
	return 0;
}

static int teardown(void **state)
{
	fs_remove_tree(root);
	return 0;
}

static int count_dir(const char *sub)
{
	char path[512];
	struct dirent *e;
	DIR *d;
	int n = 0;

	snprintf(path, sizeof(path), "%s/%s", root, sub);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static void test_blob_abort_leaves_nothing(void **state)
{
	struct store *s;
	struct store_blob_writer *w;

	assert_int_equal(store_open(root, &s), 0);
	assert_int_equal(store_blob_open_write(s, &w), 0);
	assert_int_equal(store_blob_write(w, "partial", 7), 0);
	store_blob_abort(w);
	assert_int_equal(count_dir("blobs/sha256"), 0);
	assert_int_equal(count_dir("tmp"), 0);
	store_free(s);
}

static void test_blob_commit_checks_expected_digest(void **state)
{
	struct store *s;
	struct store_blob_writer *w;
	char digest[DIGEST_STR_LEN], want[DIGEST_STR_LEN];

	sha256_digest_buf("other", 5, want);
	assert_int_equal(store_open(root, &s), 0);
	assert_int_equal(store_blob_open_write(s, &w), 0);
	assert_int_equal(store_blob_write(w, "hello", 5), 0);
	assert_int_equal(store_blob_commit(w, want, digest, NULL), ERR_DIGEST);
	assert_int_equal(count_dir("blobs/sha256"), 0);
	assert_int_equal(count_dir("tmp"), 0);
	store_free(s);
}

static void test_corrupt_blob_fails_at_end_of_read(void **state)
{
	struct store *s;
	struct buf b;
	char digest[DIGEST_STR_LEN], path[512];
	int fd;

	assert_int_equal(store_open(root, &s), 0);
	assert_int_equal(store_blob_put(s, "hello world", 11, digest), 0);
	assert_int_equal(store_blob_get(s, digest, 100, &b), 0);
	assert_string_equal(b.data, "hello world");
	buf_release(&b);

	snprintf(path, sizeof(path), "%s/blobs/sha256/%s", root, digest + 7);
	fd = open(path, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, "J", 1, 0), 1);
	close(fd);
	assert_int_equal(store_blob_get(s, digest, 100, &b), ERR_DIGEST);
	assert_non_null(strstr(err_msg(), "is corrupt"));

	/* The verdict sticks: reading on after the failure is no success. */
	{
		struct store_blob_reader *r;
		char tmp[64];

		assert_int_equal(store_blob_open_read(s, digest, &r, NULL), 0);
		while (store_blob_read(r, tmp, sizeof(tmp)) > 0)
			;
		assert_int_equal(store_blob_read(r, tmp, sizeof(tmp)),
				 ERR_DIGEST);
		store_blob_close(r);
	}

	/* Writing the same content again repairs a truncated blob. */
	assert_int_equal(truncate(path, 3), 0);
	assert_int_equal(store_blob_put(s, "hello world", 11, digest), 0);
	assert_int_equal(store_blob_get(s, digest, 100, &b), 0);
	buf_release(&b);
	assert_int_equal(store_blob_get(s, digest, 5, &b), ERR_LIMIT);
	store_free(s);
}

static void put_manifest(struct store *s, const char *layer_text,
			 char mdigest[DIGEST_STR_LEN], size_t *mlen)
{
	struct oci_manifest *m = oci_manifest_new();
	struct buf j = BUF_INIT(OCI_MANIFEST_MAX);
	char cfg[DIGEST_STR_LEN], layer[DIGEST_STR_LEN];

	assert_int_equal(store_blob_put(s, "{}", 2, cfg), 0);
	assert_int_equal(store_blob_put(s, layer_text, strlen(layer_text),
					layer), 0);
	assert_int_equal(oci_descriptor_set(&m->config, KIT_MT_CONFIG, cfg, 2),
			 0);
	assert_int_equal(oci_manifest_add_layer(m, oci_kit_media_type(
		OCI_ROLE_MODEL, "none"), layer, strlen(layer_text), NULL), 0);
	assert_int_equal(oci_manifest_to_json(m, &j), 0);
	assert_int_equal(store_blob_put(s, j.data, j.len, mdigest), 0);
	*mlen = j.len;
	buf_release(&j);
	oci_manifest_free(m);
}

static void test_tag_resolve_untag(void **state)
{
	struct store *s;
	struct store_entry *v;
	char d[DIGEST_STR_LEN], got[DIGEST_STR_LEN], ref[300];
	size_t len, n;

	assert_int_equal(store_open(root, &s), 0);
	put_manifest(s, "weights", d, &len);
	assert_int_equal(store_tag(s, "team/model", d, OCI_MT_MANIFEST,
				   KIT_ARTIFACT_TYPE, len), 0);
	assert_int_equal(store_resolve(s, "team/model:latest", got), 0);
	assert_string_equal(got, d);
	snprintf(ref, sizeof(ref), "team/model@%s", d);
	assert_int_equal(store_resolve(s, ref, got), 0);
	assert_int_equal(store_list(s, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(v[0].ref, "team/model:latest");
	free(v);
	assert_int_equal(store_untag(s, "team/model"), 0);
	assert_int_equal(store_resolve(s, "team/model", got), ERR_NOTFOUND);
	assert_int_equal(store_untag(s, "team/model"), ERR_NOTFOUND);
	assert_int_equal(store_tag(s, "Bad Ref", d, OCI_MT_MANIFEST, NULL,
				   len), ERR_INVALID);
	store_free(s);
}

static void test_tag_refuses_missing_manifest(void **state)
{
	struct store *s;
	char d[DIGEST_STR_LEN];

	sha256_digest_buf("nothing", 7, d);
	assert_int_equal(store_open(root, &s), 0);
	assert_int_equal(store_tag(s, "a/b:c", d, OCI_MT_MANIFEST, NULL, 1),
			 ERR_NOTFOUND);
	store_free(s);
}

static void test_prune_keeps_reachable_blobs(void **state)
{
	struct store *s;
	char keep[DIGEST_STR_LEN], drop[DIGEST_STR_LEN], junk[DIGEST_STR_LEN];
	uint64_t blobs, bytes;
	size_t len;

	assert_int_equal(store_open(root, &s), 0);
	put_manifest(s, "kept layer", keep, &len);
	assert_int_equal(store_tag(s, "a/keep:1", keep, OCI_MT_MANIFEST, NULL,
				   len), 0);
	put_manifest(s, "dropped layer", drop, &len);
	assert_int_equal(store_tag(s, "a/drop:1", drop, OCI_MT_MANIFEST, NULL,
				   len), 0);
	assert_int_equal(store_blob_put(s, "junk", 4, junk), 0);
	assert_int_equal(store_untag(s, "a/drop:1"), 0);
	assert_int_equal(store_prune(s, &blobs, &bytes), 0);
	/* the dropped manifest, its layer and the junk; "{}" is shared */
	assert_int_equal(blobs, 3);
	assert_int_equal(store_blob_exists(s, keep, NULL), 1);
	assert_int_equal(store_blob_exists(s, drop, NULL), 0);
	assert_int_equal(count_dir("blobs/sha256"), 3);
	store_free(s);
}

static void test_prune_refuses_while_store_in_use(void **state)
{
	struct store *a, *b;
	uint64_t blobs, bytes;

	assert_int_equal(store_open(root, &a), 0);
	assert_int_equal(store_open(root, &b), 0);
	assert_int_equal(store_prune(a, &blobs, &bytes), ERR_CONFLICT);
	store_free(b);
	assert_int_equal(store_prune(a, &blobs, &bytes), 0);
	store_free(a);
}

static void test_index_is_valid_layout(void **state)
{
	struct store *s;
	struct buf b;
	char path[512];

	assert_int_equal(store_open(root, &s), 0);
	snprintf(path, sizeof(path), "%s/oci-layout", root);
	assert_int_equal(fs_read_file(path, 1024, &b), 0);
	assert_string_equal(b.data, "{\"imageLayoutVersion\":\"1.0.0\"}");
	buf_release(&b);
	snprintf(path, sizeof(path), "%s/index.json", root);
	assert_int_equal(fs_write_atomic(path, "{\"manifests\":", 13, 0644),
			 0);
	assert_int_equal(store_untag(s, "a/b:c"), ERR_INVALID);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
		T(test_blob_abort_leaves_nothing),
		T(test_blob_commit_checks_expected_digest),
		T(test_corrupt_blob_fails_at_end_of_read),
		T(test_tag_resolve_untag),
		T(test_tag_refuses_missing_manifest),
		T(test_prune_keeps_reachable_blobs),
		T(test_prune_refuses_while_store_in_use),
		T(test_index_is_valid_layout),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

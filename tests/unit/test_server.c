/* Unit tests for the registry: manifest validation, tag rules, tokens,
 * the configuration file, the SQLite metadata and the blob store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "meta/meta.h"
#include "server/blobstore.h"
#include "server/config.h"
#include "server/http.h"
#include "server/token.h"
#include "server/validate.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#define D1 "sha256:0123456789abcdef0123456789abcdef" \
	   "0123456789abcdef0123456789abcdef"
#define D2 "sha256:11111111111111111111111111111111" \
	   "11111111111111111111111111111111"
#define DESC(d) "{\"mediaType\":\"application/x\",\"digest\":\"" d \
		"\",\"size\":3}"
#define MANIFEST_BODY "\"schemaVersion\":2,\"config\":" DESC(D1) \
		      ",\"layers\":[" DESC(D2) "]"

static int check(const char *doc, const char *ct, struct mcheck *m)
{
	return mcheck_parse(doc, strlen(doc), ct, m);
}

static void test_manifest_kitops_without_media_type(void **state)
{
	struct mcheck m;

	assert_int_equal(check("{" MANIFEST_BODY "}", MT_OCI_MANIFEST, &m), 0);
	assert_string_equal(m.media_type, MT_OCI_MANIFEST);
	assert_int_equal(m.nrefs, 2);
	assert_string_equal(m.artifact_type, "application/x");
	mcheck_release(&m);
}

static void test_manifest_media_type_contradicts_header(void **state)
{
	struct mcheck m;

	assert_int_equal(check("{\"mediaType\":\"" MT_OCI_MANIFEST "\","
			       MANIFEST_BODY "}", MT_OCI_INDEX, &m),
			 ERR_INVALID);
	mcheck_release(&m);
}

static void test_manifest_both_index_and_manifest(void **state)
{
	struct mcheck m;

	assert_int_equal(check("{" MANIFEST_BODY ",\"manifests\":[]}",
			       MT_OCI_MANIFEST, &m), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "both"));
	mcheck_release(&m);
}

static void test_manifest_index_type_on_manifest_shape(void **state)
{
	struct mcheck m;

	assert_int_equal(check("{\"mediaType\":\"" MT_OCI_INDEX "\","
			       MANIFEST_BODY "}", NULL, &m), ERR_INVALID);
	mcheck_release(&m);
}

static void test_manifest_duplicate_keys(void **state)
{
	struct mcheck m;

	assert_int_equal(check("{\"schemaVersion\":2," MANIFEST_BODY "}",
			       MT_OCI_MANIFEST, &m), ERR_INVALID);
	mcheck_release(&m);
}

static void test_manifest_bad_descriptor_digest(void **state)
{
	struct mcheck m;

	assert_int_equal(check("{\"schemaVersion\":2,\"config\":"
			       DESC("sha256:../../x") "}", NULL, &m),
			 ERR_INVALID);
	mcheck_release(&m);
}

static void test_manifest_too_big(void **state)
{
	struct mcheck m;
	char *big = calloc(1, MCHECK_MAX_BYTES + 2);

	memset(big, ' ', MCHECK_MAX_BYTES + 1);
	assert_int_equal(mcheck_parse(big, MCHECK_MAX_BYTES + 1, NULL, &m),
			 ERR_LIMIT);
	mcheck_release(&m);
	free(big);
}

static void test_manifest_docker_list_and_subject(void **state)
{
	struct mcheck m;

	assert_int_equal(check("{\"schemaVersion\":2,\"mediaType\":\""
			       MT_DOCKER_LIST "\",\"manifests\":[" DESC(D1)
			       "]}", MT_DOCKER_LIST, &m), 0);
	assert_true(m.is_index);
	mcheck_release(&m);
	assert_int_equal(check("{" MANIFEST_BODY ",\"subject\":" DESC(D1)
			       ",\"artifactType\":\"application/y\"}", NULL,
			       &m), 0);
	assert_string_equal(m.subject, D1);
	assert_string_equal(m.artifact_type, "application/y");
	mcheck_release(&m);
}

static void test_manifest_schema_version(void **state)
{
	struct mcheck m;

	assert_int_equal(check("{\"schemaVersion\":1,\"config\":" DESC(D1)
			       "}", NULL, &m), ERR_INVALID);
	mcheck_release(&m);
	assert_int_equal(check("[]", NULL, &m), ERR_INVALID);
	mcheck_release(&m);
}

static void test_policy_versions(void **state)
{
	assert_true(policy_is_version("1.2.3"));
	assert_true(policy_is_version("v0.0.1"));
	assert_true(policy_is_version("1.0.0-rc.1"));
	assert_true(policy_is_version("1.0.0-alpha-2"));
	assert_false(policy_is_version("latest"));
	assert_false(policy_is_version("1.2"));
	assert_false(policy_is_version("01.2.3"));
	assert_false(policy_is_version("1.2.3-"));
	assert_false(policy_is_version("1.2.3-a..b"));
	assert_false(policy_is_version("V1.2.3"));
}

static void test_policy_environments(void **state)
{
	struct server_config c;

	config_defaults(&c);
	assert_true(policy_is_environment(&c, "prod"));
	assert_false(policy_is_environment(&c, "production"));
}

static EVP_PKEY *test_key(void)
{
	char path[] = "/tmp/stele-test-key-XXXXXX";
	int fd = mkstemp(path);
	EVP_PKEY *k = NULL;

	close(fd);
	unlink(path);
	assert_int_equal(token_key_load(path, &k), 0);
	unlink(path);
	return k;
}

static void test_token_roundtrip_and_refusals(void **state)
{
	EVP_PKEY *k = test_key(), *other = test_key();
	struct buf t = BUF_INIT(TOKEN_MAX_BYTES);
	json_t *access = json_array(), *claims = NULL;
	time_t now = time(NULL);

	assert_int_equal(token_issue(k, "stele", "alice", access, 60, now,
				     &t), 0);
	assert_int_equal(token_verify(k, "stele", t.data, now, &claims), 0);
	assert_string_equal(json_string_value(json_object_get(claims, "sub")),
			    "alice");
	json_decref(claims);
	assert_int_equal(token_verify(k, "other", t.data, now, &claims),
			 ERR_UNAUTH);
	assert_int_equal(token_verify(k, "stele", t.data, now + 61, &claims),
			 ERR_UNAUTH);
	assert_int_equal(token_verify(other, "stele", t.data, now, &claims),
			 ERR_UNAUTH);
	/* alg none: header {"alg":"none"} and an empty signature */
	assert_int_equal(token_verify(k, "stele", "eyJhbGciOiJub25lIn0."
				      "e30.", now, &claims), ERR_UNAUTH);
	assert_int_equal(token_verify(k, "stele", "a.b", now, &claims),
			 ERR_UNAUTH);
	buf_release(&t);
	json_decref(access);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

static void test_config_parse(void **state)
{
	struct server_config c;
	const char *y = "listen: 127.0.0.1:9\nenvironments: [qa, live]\n"
			"tags: immutable\nanonymous_pull: true\n";

	config_defaults(&c);
	assert_int_equal(config_parse(&c, y, strlen(y), "t.yaml"), 0);
	assert_string_equal(c.listen, "127.0.0.1:9");
	assert_int_equal(c.nenvironments, 2);
	assert_string_equal(c.environments[1], "live");
	assert_int_equal(c.other_tags, CONFIG_TAGS_IMMUTABLE);
	assert_true(c.anonymous_pull);
	assert_int_equal(config_parse(&c, "bogus: 1\n", 9, "t.yaml"),
			 ERR_INVALID);
	assert_string_equal(err_msg(), "t.yaml: unknown key 'bogus' at line 1");
	assert_int_equal(config_parse(&c, "listen: a:1\n\nlisen: b\n", 22,
				      "t.yaml"), ERR_INVALID);
	assert_string_equal(err_msg(), "t.yaml: unknown key 'lisen' at line 3");
	assert_int_equal(config_parse(&c, "tags: maybe\n", 12, "t.yaml"),
			 ERR_INVALID);
	assert_int_equal(config_parse(&c, "token_ttl: -5\n", 14, "t.yaml"),
			 ERR_INVALID);
	assert_int_equal(config_parse(&c, "listen: [\n", 10, "t.yaml"),
			 ERR_INVALID);
}

static char tmpdir[64];

static int setup_dir(void **state)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/stele-unit-XXXXXX");
	assert_non_null(mkdtemp(tmpdir));
	return 0;
}

static int teardown_dir(void **state)
{
	fs_remove_tree(tmpdir);
	return 0;
}

static int count_name(void *arg, const char *name)
{
	(*(int *)arg)++;
	return 0;
}

static int count_manifest(void *arg, const struct meta_manifest *m)
{
	(*(int *)arg)++;
	return 0;
}

static void test_meta_fixed_tags_and_referrers(void **state)
{
	struct meta *m = NULL;
	struct meta_manifest a = { .digest = D1, .media_type = "x", .size = 1 };
	struct meta_manifest b = { .digest = D2, .media_type = "x", .size = 1,
				   .subject = D1, .artifact_type = "sig" };
	const char *tags[] = { "1.0.0" };
	enum meta_tag_mode fixed[] = { META_TAG_FIXED };
	char got[META_DIGEST_MAX];
	int n = 0;

	assert_int_equal(meta_sqlite_open(tmpdir, &m), 0);
	assert_int_equal(m->ops->manifest_put(m, "r", &a, NULL, tags, fixed,
					      1), 0);
	assert_int_equal(m->ops->manifest_put(m, "r", &a, NULL, tags, fixed,
					      1), 0);
	assert_int_equal(m->ops->manifest_put(m, "r", &b, NULL, tags, fixed,
					      1), ERR_EXISTS);
	assert_int_equal(m->ops->tag_get(m, "r", "1.0.0", got), 0);
	assert_string_equal(got, D1);
	/* the refused push wrote nothing */
	assert_int_equal(m->ops->manifest_get(m, "r", D2, &b),
			 ERR_NOTFOUND);
	snprintf(b.subject, sizeof(b.subject), "%s", D1);
	snprintf(b.artifact_type, sizeof(b.artifact_type), "sig");
	snprintf(b.digest, sizeof(b.digest), "%s", D2);
	assert_int_equal(m->ops->manifest_put(m, "r", &b, NULL, NULL, NULL,
					      0), 0);
	assert_int_equal(m->ops->referrers(m, "r", D1, "sig", count_manifest,
					   &n), 0);
	assert_int_equal(n, 1);
	n = 0;
	assert_int_equal(m->ops->referrers(m, "r", D1, "other",
					   count_manifest, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(m->ops->tag_list(m, "r", NULL, 10, count_name, &n),
			 0);
	assert_int_equal(n, 1);
	assert_int_equal(m->ops->blob_linked(m, "other", D1, NULL),
			 ERR_NOTFOUND);
	meta_close(m);
}

static void test_meta_grants(void **state)
{
	struct meta *m = NULL;
	enum meta_role r;

	assert_int_equal(meta_sqlite_open(tmpdir, &m), 0);
	assert_int_equal(m->ops->grant_put(m, "u", "team/*",
					   META_ROLE_PUBLISHER), 0);
	assert_int_equal(m->ops->grant_role(m, "u", "team/a", &r), 0);
	assert_int_equal(r, META_ROLE_PUBLISHER);
	assert_int_equal(m->ops->grant_role(m, "u", "teamx/a", &r), 0);
	assert_int_equal(r, META_ROLE_NONE);
	assert_int_equal(meta_role_parse("root", &r), ERR_INVALID);
	meta_close(m);
}

static void test_blobstore_upload_resume_and_digest(void **state)
{
	struct blobstore *bs = NULL;
	struct blobstore_upload *u = NULL;
	char want[BLOB_DIGEST_MAX];
	int64_t size;
	int fd;

	sha256_digest_buf("hello world", 11, want);
	assert_int_equal(blobstore_fs_open(tmpdir, &bs), 0);
	assert_int_equal(bs->ops->upload_acquire(bs, "0123456789abcdef0123"
						 "456789abcdef", 1, 0, &u), 0);
	assert_int_equal(bs->ops->upload_write(u, "hello ", 6), 0);
	assert_int_equal(bs->ops->upload_write(u, "XXXX", 4), 0);
	bs->ops->upload_release(u);
	/* Only 6 bytes were acknowledged: the rest is cut and rehashed. */
	assert_int_equal(bs->ops->upload_acquire(bs, "0123456789abcdef0123"
						 "456789abcdef", 0, 6, &u), 0);
	assert_int_equal(bs->ops->upload_size(u), 6);
	assert_int_equal(bs->ops->upload_write(u, "world", 5), 0);
	assert_int_equal(bs->ops->upload_commit(u, D1), ERR_DIGEST);
	assert_int_equal(bs->ops->upload_commit(u, want), 0);
	assert_int_equal(bs->ops->open(bs, want, &fd, &size), 0);
	assert_int_equal(size, 11);
	close(fd);
	assert_int_equal(bs->ops->open(bs, D1, &fd, &size), ERR_NOTFOUND);
	blobstore_close(bs);
}

static void test_blobstore_sha512_commit(void **state)
{
	struct blobstore *bs = NULL;
	struct blobstore_upload *u = NULL;
	char want[BLOB_DIGEST_MAX];
	int64_t size;
	int fd;

	blobstore_digest_buf("sha512:", "abc", 3, want);
	assert_true(blobstore_digest_valid(want));
	assert_int_equal(strlen(want), 7 + 128);
	assert_false(blobstore_digest_valid("sha512:abcd"));
	assert_false(blobstore_digest_valid("sha384:0123456789abcdef"
					    "0123456789abcdef0123456789abcdef"
					    "0123456789abcdef"));
	assert_int_equal(blobstore_fs_open(tmpdir, &bs), 0);
	assert_int_equal(bs->ops->upload_acquire(bs, "aaaaaaaaaaaaaaaaaaaa"
						 "aaaaaaaaaaaa", 1, 0, &u), 0);
	assert_int_equal(bs->ops->upload_write(u, "abc", 3), 0);
	assert_int_equal(bs->ops->upload_commit(u, want), 0);
	assert_int_equal(bs->ops->open(bs, want, &fd, &size), 0);
	assert_int_equal(size, 3);
	close(fd);
	blobstore_close(bs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_manifest_kitops_without_media_type),
		cmocka_unit_test(test_manifest_media_type_contradicts_header),
		cmocka_unit_test(test_manifest_both_index_and_manifest),
		cmocka_unit_test(test_manifest_index_type_on_manifest_shape),
		cmocka_unit_test(test_manifest_duplicate_keys),
		cmocka_unit_test(test_manifest_bad_descriptor_digest),
		cmocka_unit_test(test_manifest_too_big),
		cmocka_unit_test(test_manifest_docker_list_and_subject),
		cmocka_unit_test(test_manifest_schema_version),
		cmocka_unit_test(test_policy_versions),
		cmocka_unit_test(test_policy_environments),
		cmocka_unit_test(test_token_roundtrip_and_refusals),
		cmocka_unit_test(test_config_parse),
		cmocka_unit_test_setup_teardown(
			test_meta_fixed_tags_and_referrers, setup_dir,
			teardown_dir),
		cmocka_unit_test_setup_teardown(test_meta_grants, setup_dir,
						teardown_dir),
		cmocka_unit_test_setup_teardown(
			test_blobstore_upload_resume_and_digest, setup_dir,
			teardown_dir),
		cmocka_unit_test_setup_teardown(test_blobstore_sha512_commit,
						setup_dir, teardown_dir),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

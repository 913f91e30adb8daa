/* Unit tests for the registry client: WWW-Authenticate, config.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/creds.h"
#include "client/regclient.h"
#include "client/wwwauth.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

static int wa(const char *s, struct wwwauth *out)
{
	return wwwauth_parse(s, strlen(s), out);
}

static void test_wwwauth_bearer_with_params(void **state)
{
	struct wwwauth w;

	assert_int_equal(wa("Bearer realm=\"https://auth.example/token\","
			    "service=\"registry.example\","
			    "scope=\"repository:team/m:pull,push\"", &w), 0);
	assert_int_equal(w.scheme, WWWAUTH_BEARER);
	assert_string_equal(w.realm, "https://auth.example/token");
	assert_string_equal(w.service, "registry.example");
	assert_string_equal(w.scope, "repository:team/m:pull,push");
}

static void test_wwwauth_basic_and_case(void **state)
{
	struct wwwauth w;

	assert_int_equal(wa("basic REALM=\"Registry Realm\"", &w), 0);
	assert_int_equal(w.scheme, WWWAUTH_BASIC);
	assert_string_equal(w.realm, "Registry Realm");
	assert_int_equal(wa("Basic", &w), 0);
	assert_int_equal(w.scheme, WWWAUTH_BASIC);
}

static void test_wwwauth_bearer_preferred_over_basic(void **state)
{
	struct wwwauth w;

	assert_int_equal(wa("Basic realm=\"r\", Bearer realm=\"https://t/\","
			    " service=s", &w), 0);
	assert_int_equal(w.scheme, WWWAUTH_BEARER);
	assert_string_equal(w.realm, "https://t/");
	assert_string_equal(w.service, "s");
}

static void test_wwwauth_skips_unknown_schemes(void **state)
{
	struct wwwauth w;

	assert_int_equal(wa("Negotiate abc==, Basic realm=\"x\"", &w), 0);
	assert_int_equal(w.scheme, WWWAUTH_BASIC);
	assert_int_equal(wa("Negotiate", &w), ERR_UNSUPPORTED);
	assert_int_equal(wa("", &w), ERR_UNSUPPORTED);
}

static void test_wwwauth_quoted_escapes(void **state)
{
	struct wwwauth w;

	assert_int_equal(wa("Bearer realm=\"https://a/\\\"q\\\\\"", &w), 0);
	assert_string_equal(w.realm, "https://a/\"q\\");
}

static void test_wwwauth_refuses_duplicates(void **state)
{
	struct wwwauth w;

	assert_int_equal(wa("Bearer realm=\"https://a/\",Realm=\"https://b/\"",
			    &w), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "given twice"));
}

static void test_wwwauth_refuses_malformed(void **state)
{
	struct wwwauth w;

	assert_int_equal(wa("Bearer realm=\"https://a/", &w), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "unterminated"));
	assert_int_equal(wa("Bearer realm=", &w), ERR_INVALID);
	assert_int_equal(wa("Bearer service=\"s\"", &w), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "without a realm"));
	assert_int_equal(wa("Bearer realm=\"a\nb\"", &w), ERR_INVALID);
	assert_int_equal(wa("Bearer realm=\"a\" x", &w), ERR_INVALID);
	assert_int_equal(wa("Bearer realm=\"\x80\"", &w), ERR_INVALID);
	assert_int_equal(wa("Bearer\trealm=x", &w), ERR_INVALID);
}

static void test_wwwauth_nul_byte_is_invalid(void **state)
{
	static const char s[] = "Bearer realm=\"a\0b\"";
	struct wwwauth w;

	assert_int_equal(wwwauth_parse(s, sizeof(s) - 1, &w), ERR_INVALID);
}

static void test_wwwauth_limits(void **state)
{
	struct wwwauth w;
	struct buf b = BUF_INIT(1 << 16);

	/* A value just over the limit. */
	buf_puts(&b, "Bearer realm=\"");
	for (int i = 0; i <= WWWAUTH_VALUE_MAX; i++)
		buf_putc(&b, 'a');
	buf_putc(&b, '"');
	assert_int_equal(wa(buf_cstr(&b), &w), ERR_LIMIT);

	/* Too many parameters in one challenge. */
	buf_clear(&b);
	buf_puts(&b, "Bearer realm=r");
	for (int i = 0; i < WWWAUTH_PARAMS_MAX; i++)
		buf_printf(&b, ",p%d=v", i);
	assert_int_equal(wa(buf_cstr(&b), &w), ERR_LIMIT);

	/* Too many challenges. */
	buf_clear(&b);
	for (int i = 0; i <= WWWAUTH_CHALLENGES_MAX; i++)
		buf_printf(&b, "%sX%d", i ? ", " : "", i);
	assert_int_equal(wa(buf_cstr(&b), &w), ERR_LIMIT);

	/* The whole header. */
	buf_clear(&b);
	while (b.len <= WWWAUTH_HEADER_MAX)
		buf_puts(&b, "Basic, ");
	assert_int_equal(wa(buf_cstr(&b), &w), ERR_LIMIT);
	buf_release(&b);
}

static void test_loopback_hosts(void **state)
{
	assert_true(regclient_host_is_loopback("localhost:5000"));
	assert_true(regclient_host_is_loopback("127.0.0.1:5000"));
	assert_true(regclient_host_is_loopback("127.8.9.1"));
	assert_true(regclient_host_is_loopback("[::1]:5000"));
	assert_false(regclient_host_is_loopback("128.0.0.1"));
	assert_false(regclient_host_is_loopback("localhost.example.com"));
	assert_false(regclient_host_is_loopback("127.0.0.1.nip.io"));
	assert_false(regclient_host_is_loopback("[::2]"));
}

static void test_regclient_refuses_bad_input(void **state)
{
	struct regclient *c = NULL;
	struct buf body = BUF_INIT(16);
	char digest[DIGEST_STR_LEN];

	assert_int_equal(regclient_new("a/b", NULL, &c), ERR_INVALID);
	assert_int_equal(regclient_new("", NULL, &c), ERR_INVALID);
	assert_int_equal(regclient_new("127.0.0.1:1", NULL, &c), 0);
	assert_int_equal(regclient_manifest_get(c, "../x", "v1", &body,
						digest, NULL), ERR_INVALID);
	assert_int_equal(regclient_manifest_get(c, "x", "sha256:..", &body,
						digest, NULL), ERR_INVALID);
	assert_int_equal(regclient_blob_exists(c, "x", "sha256:00", NULL),
			 ERR_INVALID);
	regclient_free(c);
	regclient_free(NULL);
}

/* ---- config.json ---- */

#define B64_ALICE "YWxpY2U6czNjcjN0Om1vcmU=" /* alice:s3cr3t:more */

static void test_creds_parse_auth(void **state)
{
	static const char j[] = "{\"auths\":{\"https://reg.example:5000/v1/\":"
				"{\"auth\":\"" B64_ALICE "\"}}}";
	struct creds c;

	assert_int_equal(creds_parse(j, strlen(j), "cfg", "reg.example:5000",
				     &c), 0);
	assert_string_equal(c.username, "alice");
	assert_string_equal(c.password, "s3cr3t:more");
	assert_null(c.identity_token);
	creds_release(&c);
	creds_release(NULL);
}

static void test_creds_parse_identity_token(void **state)
{
	static const char j[] = "{\"auths\":{\"reg\":{\"auth\":\"\","
				"\"identitytoken\":\"tok123\"}}}";
	struct creds c;

	assert_int_equal(creds_parse(j, strlen(j), "cfg", "reg", &c), 0);
	assert_null(c.password);
	assert_string_equal(c.identity_token, "tok123");
	creds_release(&c);
}

static void test_creds_parse_not_found(void **state)
{
	static const char j[] = "{\"auths\":{\"other\":{\"auth\":\""
				B64_ALICE "\"}},\"credsStore\":\"\"}";
	struct creds c;

	assert_int_equal(creds_parse(j, strlen(j), "cfg", "reg", &c),
			 ERR_NOTFOUND);
	assert_int_equal(creds_parse("{}", 2, "cfg", "reg", &c),
			 ERR_NOTFOUND);
}

static void test_creds_parse_refuses_bad_documents(void **state)
{
	static const char dup[] = "{\"auths\":{},\"auths\":{}}";
	static const char b64[] = "{\"auths\":{\"reg\":{\"auth\":\"!!\"}}}";
	static const char nocolon[] = "{\"auths\":{\"reg\":{\"auth\":"
				      "\"YWxpY2U=\"}}}";
	static const char type[] = "{\"auths\":{\"reg\":{\"auth\":5}}}";
	struct creds c;

	assert_int_equal(creds_parse(dup, strlen(dup), "cfg", "reg", &c),
			 ERR_INVALID);
	assert_int_equal(creds_parse(b64, strlen(b64), "cfg", "reg", &c),
			 ERR_INVALID);
	assert_int_equal(creds_parse(nocolon, strlen(nocolon), "cfg", "reg",
				     &c), ERR_INVALID);
	assert_int_equal(creds_parse(type, strlen(type), "cfg", "reg", &c),
			 ERR_INVALID);
	assert_int_equal(creds_parse("[", 1, "cfg", "reg", &c), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "cfg: line 1"));
}

static void test_creds_parse_helpers(void **state)
{
	static const char host_helper[] =
		"{\"credHelpers\":{\"reg\":\"fake\"},\"credsStore\":\"x\","
		"\"auths\":{\"reg\":{\"auth\":\"" B64_ALICE "\"}}}";
	static const char store[] = "{\"credsStore\":\"desktop\","
				    "\"auths\":{\"reg\":{}}}";
	static const char inline_wins[] = "{\"credsStore\":\"desktop\","
		"\"auths\":{\"reg\":{\"auth\":\"" B64_ALICE "\"}}}";
	static const char evil[] = "{\"credHelpers\":{\"reg\":\"../x\"}}";
	struct creds c;

	assert_int_equal(creds_parse(host_helper, strlen(host_helper), "cfg",
				     "reg", &c), 0);
	assert_string_equal(c.helper, "fake");
	assert_null(c.username);
	creds_release(&c);
	assert_int_equal(creds_parse(store, strlen(store), "cfg", "reg", &c),
			 0);
	assert_string_equal(c.helper, "desktop");
	creds_release(&c);
	assert_int_equal(creds_parse(inline_wins, strlen(inline_wins), "cfg",
				     "reg", &c), 0);
	assert_null(c.helper);
	assert_string_equal(c.username, "alice");
	creds_release(&c);
	assert_int_equal(creds_parse(evil, strlen(evil), "cfg", "reg", &c),
			 ERR_INVALID);
	assert_int_equal(creds_helper_get("../x", "reg", &c), ERR_INVALID);
}

static int creds_setup(void **state)
{
	char tmpl[] = "/tmp/stele-creds-XXXXXX";
	char *dir = mkdtemp(tmpl);

	assert_non_null(dir);
	*state = strdup(dir);
	setenv("DOCKER_CONFIG", dir, 1);
	return 0;
}

static int creds_teardown(void **state)
{
	fs_remove_tree(*state);
	free(*state);
	unsetenv("DOCKER_CONFIG");
	return 0;
}

static void test_creds_save_load_erase(void **state)
{
	char path[4096];
	struct creds c;
	struct stat st;
	struct buf b = BUF_INIT(1 << 20);

	snprintf(path, sizeof(path), "%s/config.json", (char *)*state);
	assert_int_equal(fs_write_atomic(path, "{\"detachKeys\":\"keep\"}",
					 21, 0644), 0);
	assert_int_equal(creds_save("127.0.0.1:5000", "bob", "pw:x"), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fs_read_file(path, 1 << 20, &b), 0);
	assert_non_null(strstr(b.data, "\"detachKeys\": \"keep\""));
	buf_release(&b);

	assert_int_equal(creds_load("127.0.0.1:5000", &c), 0);
	assert_string_equal(c.username, "bob");
	assert_string_equal(c.password, "pw:x");
	creds_release(&c);

	assert_int_equal(creds_erase("127.0.0.1:5000"), 0);
	assert_int_equal(creds_load("127.0.0.1:5000", &c), ERR_NOTFOUND);
	assert_int_equal(creds_erase("127.0.0.1:5000"), ERR_NOTFOUND);
	assert_int_equal(creds_save("h", "a:b", "p"), ERR_INVALID);

	/* A configured helper that cannot run fails the save cleanly. */
	assert_int_equal(fs_write_atomic(path, "{\"credsStore\":\"nonexis"
					 "tent-helper\"}", 35, 0600), 0);
	assert_int_equal(creds_save("h", "u", "p"), ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "docker-credential-nonexistent"));
}

static void test_creds_save_keeps_corrupt_file(void **state)
{
	char path[4096];
	struct buf b = BUF_INIT(1 << 20);

	snprintf(path, sizeof(path), "%s/config.json", (char *)*state);
	assert_int_equal(fs_write_atomic(path, "{broken", 7, 0600), 0);
	assert_int_equal(creds_save("h", "u", "p"), ERR_INVALID);
	assert_int_equal(fs_read_file(path, 1 << 20, &b), 0);
	assert_string_equal(b.data, "{broken");
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wwwauth_bearer_with_params),
		cmocka_unit_test(test_wwwauth_basic_and_case),
		cmocka_unit_test(test_wwwauth_bearer_preferred_over_basic),
		cmocka_unit_test(test_wwwauth_skips_unknown_schemes),
		cmocka_unit_test(test_wwwauth_quoted_escapes),
		cmocka_unit_test(test_wwwauth_refuses_duplicates),
		cmocka_unit_test(test_wwwauth_refuses_malformed),
		cmocka_unit_test(test_wwwauth_nul_byte_is_invalid),
		cmocka_unit_test(test_wwwauth_limits),
		cmocka_unit_test(test_loopback_hosts),
		cmocka_unit_test(test_regclient_refuses_bad_input),
		cmocka_unit_test(test_creds_parse_auth),
		cmocka_unit_test(test_creds_parse_identity_token),
		cmocka_unit_test(test_creds_parse_not_found),
		cmocka_unit_test(test_creds_parse_refuses_bad_documents),
		cmocka_unit_test(test_creds_parse_helpers),
		cmocka_unit_test_setup_teardown(test_creds_save_load_erase,
						creds_setup, creds_teardown),
		cmocka_unit_test_setup_teardown(
			test_creds_save_keeps_corrupt_file, creds_setup,
			creds_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

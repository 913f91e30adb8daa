/* Unit tests for the shared utilities: errors, buffers, files, sha256. */
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

#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/sha256.h"

static void test_err_message_is_one_line(void **state)
{
	int rc = err_set(ERR_INVALID, "bad\nthing at %d", 3);

	assert_int_equal(rc, ERR_INVALID);
	assert_string_equal(err_msg(), "bad thing at 3");
}

static void test_err_wraps_its_own_message(void **state)
{
	err_set(ERR_IO, "no such file or directory");
	err_set(ERR_IO, "%s: trusted_keys '%s': %s", "c.yaml", "demo/*",
		err_msg());
	assert_string_equal(err_msg(), "c.yaml: trusted_keys 'demo/*': "
			    "no such file or directory");
	err_setsys(ERR_IO, 2, "open %s", err_msg());
	assert_string_equal(err_msg(), "open c.yaml: trusted_keys 'demo/*': "
			    "no such file or directory: No such file or "
			    "directory");
}

static void test_buf_refuses_past_max(void **state)
{
	struct buf b = BUF_INIT(8);

	assert_int_equal(buf_puts(&b, "12345678"), 0);
	assert_int_equal(buf_putc(&b, 'x'), ERR_LIMIT);
	assert_string_equal(buf_cstr(&b), "12345678");
	assert_int_equal(b.len, 8);
	buf_release(&b);
	assert_null(b.data);
	assert_string_equal(buf_cstr(&b), "");
}

static void test_buf_printf_grows(void **state)
{
	struct buf b = BUF_INIT(1 << 20);

	for (int i = 0; i < 1000; i++)
		assert_int_equal(buf_printf(&b, "%04d", i), 0);
	assert_int_equal(b.len, 4000);
	assert_memory_equal(b.data + 3996, "0999", 4);
	buf_wipe(&b);
}

static void test_buf_size_overflow_refused(void **state)
{
	struct buf b = BUF_INIT(SIZE_MAX);

	assert_int_equal(buf_puts(&b, "ab"), 0);
	assert_int_equal(buf_grow(&b, SIZE_MAX - 1), ERR_LIMIT);
	buf_release(&b);
}

static void test_sha256_known_vector(void **state)
{
	char d[DIGEST_STR_LEN];

	sha256_digest_buf("abc", 3, d);
	assert_string_equal(d, "sha256:ba7816bf8f01cfea414140de5dae2223"
			       "b00361a396177a9cb410ff61f20015ad");
}

static void test_fs_atomic_write_and_read(void **state)
{
	char dir[] = "/tmp/stele-test-XXXXXX", path[300], sub[256];
	struct buf b;

	assert_non_null(mkdtemp(dir));
	snprintf(sub, sizeof(sub), "%s/a/b", dir);
	snprintf(path, sizeof(path), "%s/file", sub);
	assert_int_equal(fs_mkdirs(sub, 0755), 0);
	assert_int_equal(fs_write_atomic(path, "hello", 5, 0644), 0);
	assert_int_equal(fs_read_file(path, 5, &b), 0);
	assert_string_equal(b.data, "hello");
	buf_release(&b);
	assert_int_equal(fs_read_file(path, 4, &b), ERR_LIMIT);
	assert_int_equal(fs_remove_tree(dir), 0);
	assert_false(fs_exists(dir));
}

static void test_fs_read_missing_is_notfound(void **state)
{
	struct buf b;

	assert_int_equal(fs_read_file("/nonexistent/stele", 10, &b),
			 ERR_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_err_message_is_one_line),
		cmocka_unit_test(test_err_wraps_its_own_message),
		cmocka_unit_test(test_buf_refuses_past_max),
		cmocka_unit_test(test_buf_printf_grows),
		cmocka_unit_test(test_buf_size_overflow_refused),
		cmocka_unit_test(test_sha256_known_vector),
		cmocka_unit_test(test_fs_atomic_write_and_read),
		cmocka_unit_test(test_fs_read_missing_is_notfound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

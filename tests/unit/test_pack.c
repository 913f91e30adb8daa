/* Unit tests for tar layers and compression streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pack/compress.h"
#include "pack/layer.h"
#include "pack/tar.h"
#include "util/err.h"
#include "util/fs.h"

static void load_fixture(const char *name, struct buf *out)
{
	char path[4096];
	const char *dir = getenv("STELE_TEST_DATA");

	snprintf(path, sizeof(path), "%s/tar/%s", dir ? dir : "tests/data",
		 name);
	assert_int_equal(fs_read_file(path, 1 << 20, out), 0);
}

static void check_header(const char *fixture, const char *name,
			 enum tar_type type, unsigned mode, uint64_t size)
{
	struct buf want, got = BUF_INIT(1 << 20);

	load_fixture(fixture, &want);
	assert_int_equal(tar_header_encode(name, type, mode, size, &got), 0);
	assert_int_equal(got.len, want.len);
	assert_memory_equal(got.data, want.data, want.len);
	buf_release(&want);
	buf_release(&got);
}

static char *repeat(const char *unit, int n, char *out)
{
	out[0] = 0;
	for (int i = 0; i < n; i++)
		strcat(out, unit);
	return out;
}

static void test_header_matches_go_for_directory(void **state)
{
	check_header("dir.hdr", "models", TAR_DIR, 0755, 0);
}

static void test_header_matches_go_for_file(void **state)
{
	check_header("file.hdr", "models/a.txt", TAR_FILE, 0644, 6);
}

static void test_header_matches_go_pax_for_long_name(void **state)
{
	char name[512], d[200];

	snprintf(name, sizeof(name), "models/%s", repeat("d", 120, d));
	check_header("pax-long-dir.hdr", name, TAR_DIR, 0755, 0);
}

static void test_header_matches_go_ustar_prefix_split(void **state)
{
	char name[512], d[200];

	snprintf(name, sizeof(name), "models/%s/f", repeat("d", 120, d));
	check_header("ustar-prefix.hdr", name, TAR_FILE, 0644, 2);
}

static void test_header_matches_go_pax_for_utf8(void **state)
{
	check_header("pax-utf8.hdr", "models/h\xc3\xa9llo", TAR_FILE, 0644,
		     2);
}

static void test_header_matches_go_pax_size_over_8g(void **state)
{
	check_header("pax-size.hdr", "weights/big.bin", TAR_FILE, 0644,
		     9000000000ULL);
}

static void test_header_matches_go_cut_name_and_setuid(void **state)
{
	char name[1024], e[200], x[200];

	snprintf(name, sizeof(name), "a/%s/%s/yy", repeat("\xc3\xa9", 60, e),
		 repeat("x", 96, x));
	check_header("pax-cut.hdr", name, TAR_FILE, 04755, 1);
}

/* ---- reader ---- */

struct sink {
	struct stream_out base;
	struct buf b;
};

static int sink_write(struct stream_out *o, const void *p, size_t n)
{
	struct sink *s = stream_container_of(o, struct sink, base);

	return buf_put(&s->b, p, n);
}

static void sink_init(struct sink *s)
{
	s->base.write = sink_write;
	buf_init(&s->b, 64 << 20);
}

/* A one-file tar whose header the caller may patch before the
 * checksum is recomputed. */
static void make_tar(struct buf *out, const char *name, char type,
		     const char *data)
{
	struct sink s;
	struct tar_writer w;
	size_t n = strlen(data);

	sink_init(&s);
	tar_writer_init(&w, &s.base);
	assert_int_equal(tar_write_header(&w, name, TAR_FILE, 0644, n), 0);
	assert_int_equal(tar_write_data(&w, data, n), 0);
	assert_int_equal(tar_write_close(&w), 0);
	tar_writer_release(&w);
	if (type != '0') {
		unsigned sum = 0;

		s.b.data[156] = type;
		memset(s.b.data + 148, ' ', 8);
		for (int i = 0; i < 512; i++)
			sum += (unsigned char)s.b.data[i];
		snprintf(s.b.data + 148, 8, "%06o", sum);
		s.b.data[155] = ' ';
	}
	*out = s.b;
}

static int read_all(const void *p, size_t len, int *entries)
{
	struct stream_mem_in m;
	struct tar_reader *r;
	struct tar_entry e;
	char tmp[4096];
	int rc;

	*entries = 0;
	stream_mem_in_init(&m, p, len);
	assert_int_equal(tar_reader_new(&m.base, "test", &r), 0);
	while ((rc = tar_reader_next(r, &e)) == 1) {
		ssize_t got;

		(*entries)++;
		while ((got = tar_reader_read(r, tmp, sizeof(tmp))) > 0)
			;
		if (got < 0) {
			rc = (int)got;
			break;
		}
	}
	tar_reader_free(r);
	return rc;
}

static void test_reader_reads_what_writer_wrote(void **state)
{
	struct buf t;
	int n;

	make_tar(&t, "dir/file.txt", '0', "hello");
	assert_int_equal(read_all(t.data, t.len, &n), 0);
	assert_int_equal(n, 1);
	buf_release(&t);
}

static void expect_refused(const char *name, char type, const char *word)
{
	struct buf t;
	int n;

	make_tar(&t, name, type, "x");
	assert_int_equal(read_all(t.data, t.len, &n), ERR_INVALID);
	assert_non_null(strstr(err_msg(), word));
	buf_release(&t);
}

static void test_reader_refuses_symlink(void **state)
{
	expect_refused("link", '2', "'link' is a symbolic link");
}

static void test_reader_refuses_hardlink(void **state)
{
	expect_refused("hard", '1', "'hard' is a hard link");
}

static void test_reader_refuses_devices_and_fifos(void **state)
{
	expect_refused("dev/tty", '3', "'dev/tty' is a character device");
	expect_refused("dev/sda", '4', "block device");
	expect_refused("pipe", '6', "FIFO");
}

static void test_reader_refuses_traversal(void **state)
{
	expect_refused("../etc/passwd", '0', "escapes the destination");
	expect_refused("a/../../b", '0', "escapes the destination");
}

static void test_reader_refuses_absolute_path(void **state)
{
	expect_refused("/etc/passwd", '0', "absolute path");
}

static void test_reader_refuses_pax_traversal(void **state)
{
	char name[300], d[200];

	/* Long non-splittable name: the path travels in a PAX record. */
	snprintf(name, sizeof(name), "../%s", repeat("d", 150, d));
	expect_refused(name, '0', "escapes the destination");
}

static void test_reader_refuses_bad_checksum(void **state)
{
	struct buf t;
	int n;

	make_tar(&t, "f", '0', "x");
	t.data[0] = 'g';
	assert_int_equal(read_all(t.data, t.len, &n), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "checksum"));
	buf_release(&t);
}

static void test_reader_refuses_truncation(void **state)
{
	struct buf t;
	int n;

	make_tar(&t, "f", '0', "hello");
	assert_int_equal(read_all(t.data, 600, &n), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "truncated"));
	assert_int_equal(read_all(t.data, 1024, &n), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "end-of-archive"));
	buf_release(&t);
}

static void test_reader_refuses_data_after_end(void **state)
{
	struct buf t;
	int n;

	make_tar(&t, "f", '0', "x");
	assert_int_equal(buf_put(&t, "junk", 4), 0);
	assert_int_equal(buf_put(&t, (char[508]){ 0 }, 508), 0);
	assert_int_equal(read_all(t.data, t.len, &n), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "after the end"));
	buf_release(&t);
}

static void test_name_check_normalises(void **state)
{
	char a[64] = "./a//b/", b[64] = "./x/./y/";

	assert_int_equal(tar_name_check(a, "t"), ERR_INVALID);
	assert_int_equal(tar_name_check(b, "t"), 0);
	assert_string_equal(b, "x/y");
}

static void test_writer_refuses_short_entry(void **state)
{
	struct sink s;
	struct tar_writer w;

	sink_init(&s);
	tar_writer_init(&w, &s.base);
	assert_int_equal(tar_write_header(&w, "f", TAR_FILE, 0644, 10), 0);
	assert_int_equal(tar_write_data(&w, "abc", 3), 0);
	assert_int_equal(tar_write_close(&w), ERR_INVALID);
	assert_int_equal(tar_write_data(&w, "12345678", 8), ERR_INVALID);
	tar_writer_release(&w);
	buf_release(&s.b);
}

/* ---- compression ---- */

static void roundtrip(enum pack_compression c)
{
	struct sink s;
	struct pack_zout *z;
	struct pack_zin *zi;
	struct stream_mem_in m;
	char *data = malloc(1 << 20), out[4096];
	size_t total = 0;
	ssize_t got;

	for (int i = 0; i < (1 << 20); i++)
		data[i] = (char)(i * 7 % 251);
	sink_init(&s);
	assert_int_equal(pack_zout_new(c, &s.base, &z), 0);
	assert_int_equal(stream_write(pack_zout_stream(z), data, 1 << 20), 0);
	assert_int_equal(pack_zout_finish(z), 0);
	pack_zout_free(z);

	stream_mem_in_init(&m, s.b.data, s.b.len);
	assert_int_equal(pack_zin_new(c, &m.base, "t", &zi), 0);
	while ((got = stream_read(pack_zin_stream(zi), out, sizeof(out))) > 0) {
		assert_memory_equal(out, data + total, (size_t)got);
		total += (size_t)got;
	}
	assert_int_equal(got, 0);
	assert_int_equal(total, 1 << 20);
	assert_int_equal(pack_zin_end(zi), 0);
	pack_zin_free(zi);

	/* Cut the compressed stream: the reader must notice. */
	if (c != PACK_COMP_NONE) {
		stream_mem_in_init(&m, s.b.data, s.b.len - 3);
		assert_int_equal(pack_zin_new(c, &m.base, "t", &zi), 0);
		while ((got = stream_read(pack_zin_stream(zi), out,
					  sizeof(out))) > 0)
			;
		assert_true(got < 0 || pack_zin_end(zi) == ERR_INVALID);
		pack_zin_free(zi);
	}
	buf_release(&s.b);
	free(data);
}

static void test_gzip_roundtrip_and_truncation(void **state)
{
	roundtrip(PACK_COMP_GZIP);
}

static void test_zstd_roundtrip_and_truncation(void **state)
{
	roundtrip(PACK_COMP_ZSTD);
}

static void test_none_roundtrip(void **state)
{
	roundtrip(PACK_COMP_NONE);
}

static void test_gzip_header_is_fixed(void **state)
{
	struct sink s;
	struct pack_zout *z;
	static const unsigned char want[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0,
						0, 0xff };

	sink_init(&s);
	assert_int_equal(pack_zout_new(PACK_COMP_GZIP, &s.base, &z), 0);
	assert_int_equal(pack_zout_finish(z), 0);
	pack_zout_free(z);
	assert_memory_equal(s.b.data, want, sizeof(want));
	buf_release(&s.b);
}

static void test_compression_names(void **state)
{
	enum pack_compression c;

	assert_int_equal(pack_compression_parse("zstd", &c), 0);
	assert_int_equal(c, PACK_COMP_ZSTD);
	assert_int_equal(pack_compression_parse("lz4", &c), ERR_INVALID);
}

/* ---- the layer walk ---- */

static void touch(const char *root, const char *rel)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(rel, f);
	fclose(f);
}

static void mkdir_in(const char *root, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
}

/* Walk one layer and return its entry names joined by spaces. */
static int walk_names(const char *root, const char *path,
		      const char *const *others, size_t n_others,
		      char *out, size_t len)
{
	struct pack_layer_src src = { .path = path, .others = others,
				      .n_others = n_others };
	struct stream_mem_in m;
	struct tar_reader *r;
	struct tar_entry e;
	struct tar_writer w;
	struct sink s;
	int rc;

	src.ctx_fd = open(root, O_RDONLY | O_DIRECTORY);
	assert_true(src.ctx_fd >= 0);
	sink_init(&s);
	tar_writer_init(&w, &s.base);
	rc = pack_layer_write(&src, &w);
	if (!rc)
		rc = tar_write_close(&w);
	tar_writer_release(&w);
	close(src.ctx_fd);
	out[0] = 0;
	if (rc) {
		buf_release(&s.b);
		return rc;
	}
	stream_mem_in_init(&m, s.b.data, s.b.len);
	assert_int_equal(tar_reader_new(&m.base, "t", &r), 0);
	while (tar_reader_next(r, &e) == 1) {
		if (out[0])
			strncat(out, " ", len - strlen(out) - 1);
		strncat(out, e.name, len - strlen(out) - 1);
	}
	tar_reader_free(r);
	buf_release(&s.b);
	return 0;
}

static char tree[64];

static int tree_setup(void **state)
{
	snprintf(tree, sizeof(tree), "/tmp/stele-test-walk-XXXXXX");
	assert_non_null(mkdtemp(tree));
	mkdir_in(tree, "m");
	mkdir_in(tree, "m/sub");
	mkdir_in(tree, "m/code");
	touch(tree, "m/a.bin");
	touch(tree, "m/sub/b.bin");
	touch(tree, "m/code/x.py");
	touch(tree, "m.txt");
	touch(tree, "other.md");
	return 0;
}

static int tree_teardown(void **state)
{
	fs_remove_tree(tree);
	return 0;
}

static void test_walk_is_depth_first_bytewise(void **state)
{
	char names[1024];

	assert_int_equal(walk_names(tree, ".", NULL, 0, names,
				    sizeof(names)), 0);
	/* "m" before "m.txt": each directory is sorted, then descended. */
	assert_string_equal(names, "m m/a.bin m/code m/code/x.py m/sub "
			    "m/sub/b.bin m.txt other.md");
}

static void test_walk_includes_ancestors_of_a_file_layer(void **state)
{
	char names[1024];

	assert_int_equal(walk_names(tree, "m/sub/b.bin", NULL, 0, names,
				    sizeof(names)), 0);
	assert_string_equal(names, "m m/sub m/sub/b.bin");
}

static void test_walk_leaves_nested_layers_out(void **state)
{
	static const char *const others[] = { "m", "m/code" };
	char names[1024];

	assert_int_equal(walk_names(tree, "m", others, 2, names,
				    sizeof(names)), 0);
	assert_string_equal(names, "m m/a.bin m/sub m/sub/b.bin");
	assert_int_equal(walk_names(tree, "m/code", others, 2, names,
				    sizeof(names)), 0);
	assert_string_equal(names, "m m/code m/code/x.py");
}

static void test_walk_refuses_symlink_and_missing_path(void **state)
{
	char names[1024], link[512];

	snprintf(link, sizeof(link), "%s/m/sub/evil", tree);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	assert_int_equal(walk_names(tree, "m", NULL, 0, names,
				    sizeof(names)), ERR_UNSUPPORTED);
	assert_non_null(strstr(err_msg(), "'m/sub/evil' is a symbolic link"));
	assert_int_equal(walk_names(tree, "nope", NULL, 0, names,
				    sizeof(names)), ERR_NOTFOUND);
}

static void test_walk_refuses_dotdot_names_kit_would_drop(void **state)
{
	char names[1024];

	touch(tree, "m/v1..v2");
	assert_int_equal(walk_names(tree, "m", NULL, 0, names,
				    sizeof(names)), ERR_UNSUPPORTED);
	assert_non_null(strstr(err_msg(), "'m/v1..v2'"));
}

static void test_path_clean_like_go(void **state)
{
	char out[TAR_PATH_MAX + 1];

	assert_int_equal(pack_path_clean("./a//b/./c/", out), 0);
	assert_string_equal(out, "a/b/c");
	assert_int_equal(pack_path_clean("", out), 0);
	assert_string_equal(out, ".");
	assert_int_equal(pack_path_clean("a/../b", out), 0);
	assert_string_equal(out, "b");
	assert_int_equal(pack_path_clean("a/../../b", out), ERR_INVALID);
	assert_int_equal(pack_path_clean("/etc", out), ERR_INVALID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_matches_go_for_directory),
		cmocka_unit_test(test_header_matches_go_for_file),
		cmocka_unit_test(test_header_matches_go_pax_for_long_name),
		cmocka_unit_test(test_header_matches_go_ustar_prefix_split),
		cmocka_unit_test(test_header_matches_go_pax_for_utf8),
		cmocka_unit_test(test_header_matches_go_pax_size_over_8g),
		cmocka_unit_test(test_header_matches_go_cut_name_and_setuid),
		cmocka_unit_test(test_reader_reads_what_writer_wrote),
		cmocka_unit_test(test_reader_refuses_symlink),
		cmocka_unit_test(test_reader_refuses_hardlink),
		cmocka_unit_test(test_reader_refuses_devices_and_fifos),
		cmocka_unit_test(test_reader_refuses_traversal),
		cmocka_unit_test(test_reader_refuses_absolute_path),
		cmocka_unit_test(test_reader_refuses_pax_traversal),
		cmocka_unit_test(test_reader_refuses_bad_checksum),
		cmocka_unit_test(test_reader_refuses_truncation),
		cmocka_unit_test(test_reader_refuses_data_after_end),
		cmocka_unit_test(test_name_check_normalises),
		cmocka_unit_test(test_writer_refuses_short_entry),
		cmocka_unit_test(test_gzip_roundtrip_and_truncation),
		cmocka_unit_test(test_zstd_roundtrip_and_truncation),
		cmocka_unit_test(test_none_roundtrip),
		cmocka_unit_test(test_gzip_header_is_fixed),
		cmocka_unit_test(test_compression_names),
#define W(f) cmocka_unit_test_setup_teardown(f, tree_setup, tree_teardown)
		W(test_walk_is_depth_first_bytewise),
		W(test_walk_includes_ancestors_of_a_file_layer),
		W(test_walk_leaves_nested_layers_out),
		W(test_walk_refuses_symlink_and_missing_path),
		W(test_walk_refuses_dotdot_names_kit_would_drop),
#undef W
		cmocka_unit_test(test_path_clean_like_go),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

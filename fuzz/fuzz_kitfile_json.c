/*
 * Fuzz target: ModelKit config JSON (from any registry) and .kitignore
 * patterns. An accepted config must re-encode to JSON that parses to the
 * same bytes again.
 */
#include "fuzz.h"

#include <string.h>

#include "kitfile/ignore.h"
#include "kitfile/kitfile.h"

static void check_ignore(const uint8_t *data, size_t size)
{
	static const char *const paths[] = { "a", "a/b/c.txt", "model/x.bin",
					     ".", "Kitfile", "dir/sub" };
	struct kitignore *ig = NULL;

	if (kitignore_parse((const char *)data, size, &ig))
		return;
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		kitignore_match(ig, paths[i], false);
	if (!kitignore_match(ig, "Kitfile", false))
		__builtin_trap();
	kitignore_free(ig);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf a = BUF_INIT(1u << 24), b = BUF_INIT(1u << 24);
	struct kitfile *kf = NULL, *back = NULL;

	check_ignore(data, size);
	if (kitfile_from_config_json((const char *)data, size, &kf))
		return 0;
	if (kitfile_to_config_json(kf, &a) ||
	    kitfile_from_config_json(a.data, a.len, &back) ||
	    kitfile_to_config_json(back, &b))
		__builtin_trap();
	if (a.len != b.len || memcmp(a.data, b.data, a.len))
		__builtin_trap();
	kitfile_free(kf);
	kitfile_free(back);
	buf_release(&a);
	buf_release(&b);
	return 0;
}

/*
 * Fuzz target: Kitfile YAML. A Kitfile that parses must survive the
 * round trips stele relies on: to config JSON and back, and to YAML and
 * back, giving the same config JSON bytes each time.
 */
#include "fuzz.h"

#include <string.h>

#include "kitfile/kitfile.h"

static void same_json(const struct kitfile *a, const struct kitfile *b)
{
	struct buf ja = BUF_INIT(1u << 24), jb = BUF_INIT(1u << 24);

	if (kitfile_to_config_json(a, &ja) || kitfile_to_config_json(b, &jb))
		__builtin_trap();
	if (ja.len != jb.len || memcmp(ja.data, jb.data, ja.len))
		__builtin_trap();
	buf_release(&ja);
	buf_release(&jb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf json = BUF_INIT(1u << 24), yaml = BUF_INIT(1u << 24);
	struct kitfile *kf = NULL, *back = NULL, *again = NULL;

	if (kitfile_parse((const char *)data, size, "fuzz", &kf))
		return 0;
	if (kitfile_to_config_json(kf, &json) ||
	    kitfile_from_config_json(json.data, json.len, &back))
		__builtin_trap();
	same_json(kf, back);
	if (kitfile_to_yaml(kf, &yaml) ||
	    kitfile_parse(yaml.data, yaml.len, "again", &again))
		__builtin_trap();
	same_json(kf, again);
	kitfile_free(kf);
	kitfile_free(back);
	kitfile_free(again);
	buf_release(&json);
	buf_release(&yaml);
	return 0;
}

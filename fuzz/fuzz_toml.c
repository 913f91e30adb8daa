/* Fuzz target: TOML, as pyproject.toml and as a lock file. */
#include "fuzz.h"

#include "vuln/deps.h"
#include "vuln/toml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vuln_deps d = { 0 };
	struct toml_node *root = NULL;

	if (toml_parse((const char *)data, size, "fuzz", &root) == 0)
		toml_path(root, "tool.poetry.dependencies");
	toml_free(root);
	vuln_deps_pyproject(&d, (const char *)data, size, "pyproject.toml");
	vuln_deps_toml_lock(&d, (const char *)data, size, "poetry.lock");
	vuln_deps_release(&d);
	return 0;
}

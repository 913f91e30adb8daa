/* Fuzz target: the server's YAML configuration file. */
#include "fuzz.h"

#include <string.h>

#include "server/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct server_config c;

	config_defaults(&c);
	if (config_parse(&c, (const char *)data, size, "fuzz") == 0 &&
	    (c.nenvironments > CONFIG_MAX_ENVS ||
	     strlen(c.listen) >= sizeof(c.listen)))
		__builtin_trap();
	return 0;
}

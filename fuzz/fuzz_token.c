/* Fuzz target: bearer token verification with a fixed server key. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key;
	char tok[TOKEN_MAX_BYTES + 2];
	json_t *claims = NULL;

	if (!key) {
		char path[] = "/tmp/stele-fuzz-key-XXXXXX";
		int fd = mkstemp(path);

		close(fd);
		unlink(path);
		if (token_key_load(path, &key))
			abort();
		unlink(path);
	}
	if (size > TOKEN_MAX_BYTES + 1)
		return 0;
	memcpy(tok, data, size);
	tok[size] = '\0';
	/* Nothing but a token we signed may pass. */
	if (token_verify(key, "stele", tok, 0, &claims) == 0)
		__builtin_trap();
	json_decref(claims);
	return 0;
}

/* Fuzz target: Sigstore bundles and what verification does with them. */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "sign/bundle.h"
#include "sign/key.h"

static struct sign_key *fuzz_key(void)
{
	static struct sign_key *k;

	if (!k && sign_key_generate(&k))
		__builtin_trap();
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sign_bundle *b = malloc(sizeof(*b));
	uint8_t h[SHA256_LEN];

	if (!b)
		return 0;
	sign_bundle_init(b);
	if (sign_bundle_parse(data, size, b) == 0) {
		memcpy(h, b->message_digest, sizeof(h));
		/* Nothing random may verify with a key made here. */
		if (b->kind == SIGN_BUNDLE_MESSAGE &&
		    sign_bundle_verify_message(b, fuzz_key(), h) == 0)
			__builtin_trap();
		if (b->kind == SIGN_BUNDLE_DSSE &&
		    sign_bundle_verify_dsse(b, fuzz_key(), NULL) == 0)
			__builtin_trap();
	}
	sign_bundle_release(b);
	free(b);
	return 0;
}

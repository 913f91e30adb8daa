/* Fuzz target: signature manifests as a registry receives them. */
#include "fuzz.h"

#include "sign/check.h"
#include "sign/keyring.h"
#include "util/err.h"

static const struct sign_keyring *fuzz_ring(void)
{
	static struct sign_keyring ring;
	struct sign_key *k;

	if (ring.n == 0) {
		if (sign_key_generate(&k) || sign_keyring_add(&ring, k, "f"))
			__builtin_trap();
	}
	return &ring;
}

/* Every blob is missing: the checks before any fetch are what is fuzzed. */
static int fuzz_fetch(void *arg, const char *digest, uint64_t size,
		      size_t max, struct buf *out)
{
	return err_set(ERR_NOTFOUND, "no blob");
}

static void fuzz_record(const struct sign_record *r, void *arg)
{
	if (r->rc == 0)
		__builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char tag[] = "sha256-5891b5b522d5df086d0ff0b110fbd9d2"
				  "1bb4fc7163af34d08286a2e846f6be03.sig";

	sign_check_manifest(data, size, size % 2 ? tag : NULL, fuzz_ring(),
			    NULL, fuzz_fetch, NULL, fuzz_record, NULL);
	return 0;
}

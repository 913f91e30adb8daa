/* Fuzz target: encrypted private key files and public key PEM. */
#include "fuzz.h"

#include "sign/key.h"
#include "sign/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sign_key *k = NULL;

	if (sign_keyfile_decrypt((const char *)data, size, "fuzz", "pw", 2,
				 &k) == 0)
		sign_key_free(k);
	if (sign_key_from_public_pem((const char *)data, size, "fuzz",
				     &k) == 0)
		sign_key_free(k);
	return 0;
}

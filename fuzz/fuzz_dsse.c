/* Fuzz target: DSSE envelopes and the payloads they carry. */
#include "fuzz.h"

#include <stdlib.h>

#include "sign/dsse.h"
#include "sign/key.h"
#include "sign/payload.h"
#include "sign/scanpred.h"
#include "sign/statement.h"

static struct sign_key *fuzz_key(void)
{
	static struct sign_key *k;

	if (!k && sign_key_generate(&k))
		__builtin_trap();
	return k;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sign_statement *st = malloc(sizeof(*st));
	struct sign_scan_summary scan;
	struct sign_payload pl;
	struct sign_dsse env;

	if (!st)
		return 0;
	sign_dsse_init(&env);
	if (sign_dsse_parse(data, size, &env) == 0) {
		/* A random envelope must never verify with a fresh key. */
		if (sign_dsse_verify(&env, fuzz_key(), NULL) == 0)
			__builtin_trap();
	}
	sign_dsse_release(&env);
	sign_statement_init(st);
	sign_statement_parse(data, size, st);
	sign_statement_release(st);
	free(st);
	sign_payload_parse(data, size, &pl);
	sign_scan_predicate_parse(data, size, &scan);
	return 0;
}

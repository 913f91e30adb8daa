/* The KServe storage initializer: fetch one ModelKit by storage URI,
 * verify everything offline, and only then place it at DEST. */
#ifndef STELE_INITIALIZER_INITIALIZER_H
#define STELE_INITIALIZER_INITIALIZER_H

#include "initializer/uri.h"
#include "util/sha256.h"

/*
 * Progress events, one per step: what happened and the evidence. The
 * caller prints them as structured log lines; fields may be NULL.
 */
typedef void (*init_note_fn)(const char *event, const char *uri,
			     const char *detail, void *arg);

struct init_result {
	char digest[DIGEST_STR_LEN];
	unsigned long long bytes;     /* layer bytes downloaded */
	int layers;                   /* layers extracted */
	bool already_present;         /* DEST already held this digest */
};

/*
 * Deploy uri into dest following the contract in PRODUCT.md: resolve to
 * a digest; require, against the keys in s->trusted_keys (files named
 * "registry*.pub|pem" are the registry's, the others publishers'), the
 * registry's promotion attestation for this digest and s->environment
 * (and that the environment's tag still names it), the newest scan
 * attestation passing s->fail_on, and a publisher signature when the
 * promotion says the policy required one (always when no environment is
 * set, unless s->require_signature is off); then download the layers the
 * filter selects in parallel, checking every digest and diffId while
 * extracting into a staging directory on the same volume, and move the
 * result into place. On failure dest is as it was and the message says
 * what failed.
 */
int init_deploy(const struct init_settings *s, const char *uri,
		const char *dest, init_note_fn note, void *arg,
		struct init_result *res);

#endif

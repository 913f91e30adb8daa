/* DSSE envelopes as jansson values, for the bundle code (module-private). */
#ifndef STELE_SIGN_DSSE_JSON_H
#define STELE_SIGN_DSSE_JSON_H

#include <jansson.h>
#include <stdbool.h>

#include "sign/dsse.h"

/* Parse an envelope object already loaded; see sign_dsse_parse(). */
int sign_dsse_from_json(json_t *obj, struct sign_dsse *env);

/*
 * Sign and build the envelope object (*out owned by the caller). Bundles
 * omit the empty keyid, as cosign does; bare envelopes carry it.
 */
int sign_dsse_to_json(const struct sign_key *key, const char *type,
		      const void *payload, size_t n, bool with_keyid,
		      json_t **out);

#endif

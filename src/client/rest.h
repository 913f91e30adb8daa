/* A small JSON client for the registry's REST API (/api/v1/), with the
 * credentials `stele login` stored for the host. */
#ifndef STELE_CLIENT_REST_H
#define STELE_CLIENT_REST_H

#include <jansson.h>

#include "client/regclient.h"

#define REST_BODY_MAX (8u << 20)   /* largest answer accepted */

/*
 * Open a client for host ("host[:port]"; NULL or "" means
 * STELE_REGISTRY) with the config.json credentials for it. Free with
 * regclient_free().
 */
int rest_open(const char *host, struct regclient **out);

/*
 * Call method path (starting with "/api/v1/", query included) with body
 * (NULL for none). *status receives the HTTP status; *out the parsed JSON
 * answer (NULL when empty), owned by the caller, for any status. A non-2xx
 * answer is also turned into an error code with its "message" or
 * "error" text as the message (ERR_DENIED for 403, ERR_NOTFOUND for 404,
 * ERR_UNAUTH for 401, ERR_INVALID for other 4xx).
 */
int rest_call(struct regclient *c, const char *method, const char *path,
	      json_t *body, long *status, json_t **out);

/* Append s to out percent-encoded for a query string. */
int rest_query_escape(const char *s, struct buf *out);

#endif

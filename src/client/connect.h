/* Opening a registry client with the user's credentials and settings. */
#ifndef STELE_CLIENT_CONNECT_H
#define STELE_CLIENT_CONNECT_H

#include <stdbool.h>
#include <stddef.h>

#include "client/regclient.h"

/*
 * Normalise a registry argument ("host[:port]", optionally with an
 * "http(s)://" prefix and a path, as docker accepts) to "host[:port]"
 * in out (len bytes). ERR_INVALID for anything else.
 */
int regclient_host_arg(const char *arg, char *out, size_t len);

/*
 * A client for host with credentials from, in order: STELE_USERNAME and
 * STELE_PASSWORD, STELE_TOKEN (a bearer token), config.json; anonymous
 * when none. STELE_CA_FILE names a CA bundle. The caller frees *out.
 */
int regclient_open(const char *host, bool insecure, struct regclient **out);

#endif

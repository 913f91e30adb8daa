/* The registry server: OCI Distribution v1.1 over libmicrohttpd. */
#ifndef STELE_SERVER_SERVER_H
#define STELE_SERVER_SERVER_H

#include "server/config.h"

/*
 * Open the data directory, start listening and serve until SIGINT or
 * SIGTERM. Prints "listening on URL" on stdout once ready.
 */
int server_run(const struct server_config *cfg);

#endif

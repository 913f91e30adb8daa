/* KServe storage URIs: stele://[host[:port]/]repo(:tag|@digest) and
 * kit://host/repo:tag, and the settings the initializer takes from its
 * environment. */
#ifndef STELE_INITIALIZER_URI_H
#define STELE_INITIALIZER_URI_H

#include <stdbool.h>

#include "oci/ref.h"

/*
 * Parse uri into ref. Without a host part the registry is
 * default_registry (STELE_REGISTRY); when that is NULL or empty the URI is
 * refused. A tag or a digest is required: a model is never deployed by an
 * implicit "latest". Returns ERR_INVALID with the reason.
 */
int init_uri_parse(const char *uri, const char *default_registry,
		   struct oci_ref *ref);

#define INIT_DEFAULT_TERMINATION_LOG "/dev/termination-log"

struct init_settings {
	const char *registry;        /* STELE_REGISTRY */
	const char *environment;     /* STELE_ENVIRONMENT, NULL: none */
	const char *trusted_keys;    /* STELE_TRUSTED_KEYS directory */
	const char *username;        /* STELE_USERNAME */
	const char *password;        /* STELE_PASSWORD */
	const char *token;           /* STELE_TOKEN */
	const char *filter;          /* STELE_FILTER, default below */
	const char *ca_bundle;       /* STELE_CA_BUNDLE, SSL_CERT_FILE, ... */
	const char *termination_log; /* STELE_TERMINATION_LOG */
	bool require_scan;           /* STELE_REQUIRE_SCAN, default true */
	bool require_signature;      /* STELE_REQUIRE_SIGNATURE, default true;
					with an environment the promotion
					decides instead */
	const char *fail_on;         /* STELE_FAIL_ON, default "high" */
	bool insecure;               /* STELE_INSECURE=true: plain HTTP */
	int deadline_seconds;        /* STELE_DEADLINE_SECONDS, default 1800 */
	int parallel;                /* STELE_PARALLEL, default 4 */
	unsigned long long max_bytes; /* STELE_MAX_BYTES: most blob bytes
					 one ModelKit may download */
};

#define INIT_DEFAULT_MAX_BYTES (256ull << 30)
#define INIT_MAX_BYTES_LIMIT (1ull << 50)

#define INIT_DEFAULT_FILTER "model,kitfile"

/* Read the settings from the process environment; ERR_INVALID for a
 * malformed number or boolean. */
int init_settings_load(struct init_settings *s);

/* Write msg (one line) to the termination log, ignoring failures: the
 * exit status already says what happened. */
void init_termination_log(const struct init_settings *s, const char *msg);

#endif

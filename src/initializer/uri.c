/* URI parsing and environment settings of the storage initializer. */
#include "initializer/uri.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define INIT_URI_MAX 1024

static int init_uri_scheme(const char *uri, const char **rest, bool *kit)
{
	if (!strncmp(uri, "stele://", 8)) {
		*rest = uri + 8;
		*kit = false;
		return 0;
	}
	if (!strncmp(uri, "kit://", 6)) {
		*rest = uri + 6;
		*kit = true;
		return 0;
	}
	return err_set(ERR_INVALID, "unsupported storage URI '%.200s' "
		       "(expected stele:// or kit://)", uri);
}

int init_uri_parse(const char *uri, const char *default_registry,
		   struct oci_ref *ref)
{
	char full[INIT_URI_MAX + OCI_HOST_MAX + 2];
	const char *rest = NULL;
	bool kit = false;
	int rc;

	if (strlen(uri) > INIT_URI_MAX)
		return err_set(ERR_INVALID, "storage URI is too long");
	rc = init_uri_scheme(uri, &rest, &kit);
	if (rc)
		return rc;
	rc = oci_ref_parse(rest, ref);
	if (rc)
		return err_set(rc, "invalid storage URI '%.200s': %s", uri,
			       err_msg());
	if (!ref->host[0]) {
		if (kit || !default_registry || !*default_registry)
			return err_set(ERR_INVALID, "storage URI '%.200s' "
				       "names no registry and STELE_REGISTRY "
				       "is not set", uri);
		snprintf(full, sizeof(full), "%s/%s", default_registry, rest);
		rc = oci_ref_parse(full, ref);
		if (rc || !ref->host[0])
			return err_set(ERR_INVALID, "invalid STELE_REGISTRY "
				       "'%.200s'", default_registry);
	}
	if (!ref->tag[0] && !ref->digest[0])
		return err_set(ERR_INVALID, "storage URI '%.200s' needs a tag "
			       "or a digest", uri);
	return 0;
}

static const char *init_env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int init_env_int(const char *name, int def, int min, int max,
			int *out)
{
	const char *v = init_env(name);
	char *end;
	long n;

	*out = def;
	if (!v)
		return 0;
	n = strtol(v, &end, 10);
	if (*end || n < min || n > max)
		return err_set(ERR_INVALID, "%s must be a number from %d to "
			       "%d", name, min, max);
	*out = (int)n;
	return 0;
}

/* A byte count with an optional K, M, G or T suffix (powers of 1024). */
static int init_env_bytes(const char *name, unsigned long long def,
			  unsigned long long *out)
{
	const char *v = init_env(name);
	unsigned long long n, mul = 1;
	char *end;

	*out = def;
	if (!v)
		return 0;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (end != v && *end && !end[1]) {
		const char *units = "KMGT";
		const char *u = strchr(units, *end);

		if (u) {
			mul = 1ull << (10 * (u - units + 1));
			end++;
		}
	}
	if (errno || end == v || *end || v[0] == '-' || n == 0 ||
	    n > INIT_MAX_BYTES_LIMIT / mul)
		return err_set(ERR_INVALID, "%s must be a positive byte count "
			       "(suffix K, M, G or T allowed) up to 1P", name);
	*out = n * mul;
	return 0;
}

static int init_env_bool(const char *name, bool *out)
{
	const char *v = init_env(name);

	*out = false;
	if (!v || !strcmp(v, "false") || !strcmp(v, "0"))
		return 0;
	if (!strcmp(v, "true") || !strcmp(v, "1")) {
		*out = true;
		return 0;
	}
	return err_set(ERR_INVALID, "%s must be true or false", name);
}

int init_settings_load(struct init_settings *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	s->registry = init_env("STELE_REGISTRY");
	s->environment = init_env("STELE_ENVIRONMENT");
	s->trusted_keys = init_env("STELE_TRUSTED_KEYS");
	s->username = init_env("STELE_USERNAME");
	s->password = init_env("STELE_PASSWORD");
	s->token = init_env("STELE_TOKEN");
	s->filter = init_env("STELE_FILTER");
	if (!s->filter)
		s->filter = INIT_DEFAULT_FILTER;
	/* The variables KServe and common images use for a CA bundle. */
	s->ca_bundle = init_env("STELE_CA_BUNDLE");
	if (!s->ca_bundle)
		s->ca_bundle = init_env("SSL_CERT_FILE");
	if (!s->ca_bundle)
		s->ca_bundle = init_env("CA_BUNDLE");
	s->termination_log = init_env("STELE_TERMINATION_LOG");
	if (!s->termination_log)
		s->termination_log = INIT_DEFAULT_TERMINATION_LOG;
	s->fail_on = init_env("STELE_FAIL_ON");
	if (!s->fail_on)
		s->fail_on = "high";
	rc = init_env_bool("STELE_INSECURE", &s->insecure);
	s->require_scan = true;
	if (!rc && init_env("STELE_REQUIRE_SCAN"))
		rc = init_env_bool("STELE_REQUIRE_SCAN", &s->require_scan);
	s->require_signature = true;
	if (!rc && init_env("STELE_REQUIRE_SIGNATURE"))
		rc = init_env_bool("STELE_REQUIRE_SIGNATURE",
				   &s->require_signature);
	if (!rc)
		rc = init_env_int("STELE_DEADLINE_SECONDS", 1800, 1, 86400,
				  &s->deadline_seconds);
	if (!rc)
		rc = init_env_int("STELE_PARALLEL", 4, 1, 32, &s->parallel);
	if (!rc)
		rc = init_env_bytes("STELE_MAX_BYTES", INIT_DEFAULT_MAX_BYTES,
				    &s->max_bytes);
	return rc;
}

void init_termination_log(const struct init_settings *s, const char *msg)
{
	/* Kubernetes creates the default file; outside a pod it is absent
	 * and is not created under /dev. */
	int flags = O_WRONLY | O_TRUNC | O_CLOEXEC;
	size_t n = strlen(msg);
	int fd;

	if (strcmp(s->termination_log, INIT_DEFAULT_TERMINATION_LOG))
		flags |= O_CREAT;
	fd = open(s->termination_log, flags, 0644);
	if (fd < 0)
		return;
	/* Kubernetes shows at most 4096 bytes of the termination message. */
	if (n > 4000)
		n = 4000;
	if (write(fd, msg, n) < 0 || write(fd, "\n", 1) < 0)
		(void)0;
	close(fd);
}

/* Credentials and settings for a registry client, from env and config. */
#include "client/connect.h"
#include "client/creds.h"
#include "oci/ref.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int regclient_host_arg(const char *arg, char *out, size_t len)
{
	const char *p = arg;
	size_t n;

	if (!strncasecmp(p, "https://", 8))
		p += 8;
	else if (!strncasecmp(p, "http://", 7))
		p += 7;
	n = strcspn(p, "/");
	if (!n || n >= len || n > OCI_HOST_MAX)
		return err_set(ERR_INVALID, "invalid registry '%s'", arg);
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= 'A' && p[i] <= 'Z') ||
		      (p[i] >= '0' && p[i] <= '9') || strchr(".-:[]", p[i])))
			return err_set(ERR_INVALID, "invalid registry '%s'",
				       arg);
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int regclient_open(const char *host, bool insecure, struct regclient **out)
{
	struct regclient_opts o = { .insecure = insecure };
	struct creds cr = { 0 };
	const char *user = getenv("STELE_USERNAME");
	const char *pass = getenv("STELE_PASSWORD");
	const char *token = getenv("STELE_TOKEN");
	int rc = 0;

	*out = NULL;
	o.ca_file = getenv("STELE_CA_FILE");
	if (o.ca_file && !*o.ca_file)
		o.ca_file = NULL;
	if (user && *user && pass) {
		o.username = user;
		o.password = pass;
	} else if (token && *token) {
		o.bearer_token = token;
	} else {
		rc = creds_load(host, &cr);
		if (rc == ERR_NOTFOUND)
			rc = 0;
		o.username = cr.username;
		o.password = cr.password;
		o.identity_token = cr.identity_token;
	}
	if (!rc)
		rc = regclient_new(host, &o, out);
	creds_release(&cr);
	return rc;
}

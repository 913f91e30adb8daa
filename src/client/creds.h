/* Registry credentials in Docker's config.json format. */
#ifndef STELE_CLIENT_CREDS_H
#define STELE_CLIENT_CREDS_H

#include <stddef.h>

#define CREDS_CONFIG_MAX (1u << 20) /* config.json larger than this: error */
#define CREDS_FIELD_MAX 4096        /* decoded user:pass or token */

/*
 * Credentials for one registry. Strings are NULL when absent; the struct
 * owns them and creds_release() wipes and frees them (NULL-safe).
 */
struct creds {
	char *username;
	char *password;
	char *identity_token; /* OAuth2 refresh token ("identitytoken") */
	char *helper;         /* credential helper to ask (creds_parse) */
};

void creds_release(struct creds *c);

/*
 * The config path: $DOCKER_CONFIG/config.json, else
 * $HOME/.docker/config.json. ERR_NOTFOUND when neither variable is set,
 * ERR_LIMIT when the path does not fit in len bytes.
 */
int creds_config_path(char *out, size_t len);

#define CREDS_HELPER_OUTPUT_MAX 65536 /* bytes read from a helper */

/*
 * Find the entry for host ("host[:port]") in a config.json document.
 * Keys are matched after dropping an "http(s)://" prefix and any path, so
 * "https://host:5000/v1/" matches "host:5000". "auth" holds base64 of
 * "user:password"; "identitytoken" is kept as given. ERR_NOTFOUND when no
 * entry has usable credentials, ERR_INVALID (naming name) for malformed
 * JSON, duplicate keys or bad base64. When a credential helper is to be
 * asked instead (credHelpers.<host>, or credsStore when auths has nothing
 * for host), only out->helper is set: creds_load() runs it.
 */
int creds_parse(const char *json, size_t len, const char *name,
		const char *host, struct creds *out);

/*
 * creds_parse() on the config file; a missing file is ERR_NOTFOUND. A
 * named helper is run as "docker-credential-<name> get" (found on PATH,
 * the host on its stdin) and its {"Username","Secret"} reply used; a
 * Username of "<token>" makes Secret an identity token.
 */
int creds_load(const char *host, struct creds *out);

/* Run helper's "get" for host (see creds_load). */
int creds_helper_get(const char *helper, const char *host,
		     struct creds *out);

/*
 * Store user:password for host, keeping every other key of an existing
 * file. The file is replaced atomically with mode 0600 (directory 0700).
 * When a helper keeps host's credentials (credHelpers, credsStore), its
 * "store" gets them and auths.<host> is left an empty object, as docker
 * does.
 */
int creds_save(const char *host, const char *user, const char *password);

/*
 * Remove host's entry (and ask its helper, if any, to "erase");
 * ERR_NOTFOUND when neither had credentials.
 */
int creds_erase(const char *host);

#endif

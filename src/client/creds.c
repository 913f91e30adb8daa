/* Reading and writing Docker config.json credentials. */
#include "client/creds.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <spawn.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdbool.h>

#define CREDS_DOCKER_HUB_KEY "https://index.docker.io/v1/"

extern char **environ;

static void creds_free_str(char **s)
{
	if (*s) {
		OPENSSL_cleanse(*s, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

void creds_release(struct creds *c)
{
	if (!c)
		return;
	creds_free_str(&c->username);
	creds_free_str(&c->password);
	creds_free_str(&c->identity_token);
	free(c->helper);
	c->helper = NULL;
}

int creds_config_path(char *out, size_t len)
{
	const char *dir = getenv("DOCKER_CONFIG"), *home = getenv("HOME");
	int n;

	if (dir && *dir)
		n = snprintf(out, len, "%s/config.json", dir);
	else if (home && *home)
		n = snprintf(out, len, "%s/.docker/config.json", home);
	else
		return err_set(ERR_NOTFOUND, "neither DOCKER_CONFIG nor HOME "
			       "is set: cannot locate config.json");
	if (n < 0 || (size_t)n >= len)
		return err_set(ERR_LIMIT, "config.json path is too long");
	return 0;
}

/* The registry host a config.json key names, as a length into key. */
static size_t creds_key_host(const char *key, const char **start)
{
	if (!strncasecmp(key, "https://", 8))
		key += 8;
	else if (!strncasecmp(key, "http://", 7))
		key += 7;
	*start = key;
	return strcspn(key, "/");
}

static int creds_key_matches(const char *key, const char *host)
{
	const char *h;
	size_t n = creds_key_host(key, &h);

	if (n == strlen(host) && !strncasecmp(h, host, n))
		return 1;
	/* Docker Hub's credentials live under its v1 index address. */
	return !strcmp(key, CREDS_DOCKER_HUB_KEY) &&
	       (!strcmp(host, "docker.io") ||
		!strcmp(host, "registry-1.docker.io"));
}

static int creds_dup(char **dst, const char *s, size_t n)
{
	*dst = malloc(n + 1);
	if (!*dst)
		return err_set(ERR_NOMEM, "out of memory");
	memcpy(*dst, s, n);
	(*dst)[n] = '\0';
	return 0;
}

/* "auth": base64("user:password"), strictly decoded. */
static int creds_decode_auth(const char *b64, const char *name,
			     struct creds *out)
{
	unsigned char bin[CREDS_FIELD_MAX];
	size_t n = 0;
	char *colon;
	int rc;

	if (strlen(b64) > sodium_base64_ENCODED_LEN(sizeof(bin) - 1,
				     sodium_base64_VARIANT_ORIGINAL))
		return err_set(ERR_LIMIT, "%s: \"auth\" value too long", name);
	if (sodium_base642bin(bin, sizeof(bin) - 1, b64, strlen(b64), NULL,
			      &n, NULL, sodium_base64_VARIANT_ORIGINAL))
		return err_set(ERR_INVALID, "%s: \"auth\" is not valid "
			       "base64", name);
	bin[n] = '\0';
	colon = memchr(bin, ':', n);
	if (!colon || colon == (char *)bin || memchr(bin, '\0', n)) {
		rc = err_set(ERR_INVALID, "%s: \"auth\" does not decode to "
			     "user:password", name);
		goto out;
	}
	rc = creds_dup(&out->username, (char *)bin, (size_t)(colon -
							     (char *)bin));
	if (!rc)
		rc = creds_dup(&out->password, colon + 1,
			       n - (size_t)(colon + 1 - (char *)bin));
out:
	OPENSSL_cleanse(bin, sizeof(bin));
	return rc;
}

static int creds_from_entry(json_t *entry, const char *name,
			    struct creds *out)
{
	json_t *auth = json_object_get(entry, "auth");
	json_t *tok = json_object_get(entry, "identitytoken");
	int rc = 0;

	if (auth && !json_is_string(auth))
		return err_set(ERR_INVALID, "%s: \"auth\" is not a string",
			       name);
	if (tok && !json_is_string(tok))
		return err_set(ERR_INVALID, "%s: \"identitytoken\" is not a "
			       "string", name);
	if (auth && json_string_length(auth) > 0)
		rc = creds_decode_auth(json_string_value(auth), name, out);
	if (!rc && tok && json_string_length(tok) > 0) {
		if (json_string_length(tok) > CREDS_FIELD_MAX)
			rc = err_set(ERR_LIMIT, "%s: \"identitytoken\" too "
				     "long", name);
		else
			rc = creds_dup(&out->identity_token,
				       json_string_value(tok),
				       json_string_length(tok));
	}
	if (!rc && !out->password && !out->identity_token)
		rc = err_set(ERR_NOTFOUND, "%s: no credentials stored", name);
	return rc;
}

static int creds_load_json(const char *json, size_t len, const char *name,
			   json_t **root)
{
	json_error_t je;

	*root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	if (!*root)
		return err_set(ERR_INVALID, "%s: line %d column %d: %s", name,
			       je.line, je.column, je.text);
	if (!json_is_object(*root)) {
		json_decref(*root);
		*root = NULL;
		return err_set(ERR_INVALID, "%s: not a JSON object", name);
	}
	return 0;
}

static bool creds_helper_name_ok(const char *h)
{
	size_t n = strlen(h);

	if (!n || n > 64 || h[0] == '.' || h[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)h[i]) && !strchr("._-", h[i]))
			return false;
	return true;
}

/* The helper credHelpers names for host, or NULL. */
static const char *creds_host_helper(json_t *root, const char *host)
{
	json_t *helpers = json_object_get(root, "credHelpers"), *v;
	const char *key;

	json_object_foreach(helpers, key, v)
		if (creds_key_matches(key, host) && json_is_string(v))
			return json_string_value(v);
	return NULL;
}

/* The default helper (credsStore), or NULL. */
static const char *creds_store_helper(json_t *root)
{
	const char *s = json_string_value(json_object_get(root,
							  "credsStore"));

	return s && *s ? s : NULL;
}

static int creds_set_helper(const char *helper, const char *name,
			    struct creds *out)
{
	if (!creds_helper_name_ok(helper))
		return err_set(ERR_INVALID, "%s: invalid credential helper "
			       "name '%.64s'", name, helper);
	out->helper = strdup(helper);
	return out->helper ? 0 : err_set(ERR_NOMEM, "out of memory");
}

int creds_parse(const char *json, size_t len, const char *name,
		const char *host, struct creds *out)
{
	json_t *root = NULL, *auths, *entry;
	const char *key, *helper;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > CREDS_CONFIG_MAX)
		return err_set(ERR_LIMIT, "%s: larger than %u bytes", name,
			       CREDS_CONFIG_MAX);
	rc = creds_load_json(json, len, name, &root);
	if (rc)
		return rc;
	auths = json_object_get(root, "auths");
	if (auths && !json_is_object(auths)) {
		rc = err_set(ERR_INVALID, "%s: \"auths\" is not an object",
			     name);
		goto out;
	}
	/* A helper named for this registry wins over everything. */
	helper = creds_host_helper(root, host);
	if (helper) {
		rc = creds_set_helper(helper, name, out);
		goto out;
	}
	rc = err_set(ERR_NOTFOUND, "%s: no credentials for '%s'", name, host);
	json_object_foreach(auths, key, entry) {
		if (!creds_key_matches(key, host))
			continue;
		if (!json_is_object(entry)) {
			rc = err_set(ERR_INVALID, "%s: entry '%s' is not an "
				     "object", name, key);
			goto out;
		}
		rc = creds_from_entry(entry, name, out);
		if (rc != ERR_NOTFOUND)
			break;
	}
	helper = creds_store_helper(root);
	if (rc == ERR_NOTFOUND && helper)
		rc = creds_set_helper(helper, name, out);
out:
	if (rc)
		creds_release(out);
	json_decref(root);
	return rc;
}

int creds_load(const char *host, struct creds *out)
{
	char path[PATH_MAX];
	struct buf b = BUF_INIT(CREDS_CONFIG_MAX);
	int rc;

	memset(out, 0, sizeof(*out));
	rc = creds_config_path(path, sizeof(path));
	if (rc)
		return rc;
	if (!fs_exists(path))
		return err_set(ERR_NOTFOUND, "no credentials for '%s'", host);
	rc = fs_read_file(path, CREDS_CONFIG_MAX, &b);
	if (!rc)
		rc = creds_parse(b.data, b.len, path, host, out);
	buf_wipe(&b);
	if (!rc && out->helper)
		rc = creds_helper_get(out->helper, host, out);
	if (rc)
		creds_release(out);
	return rc;
}

/* The existing config as a JSON object, or a new empty one. */
static int creds_open_config(const char *path, json_t **root)
{
	struct buf b = BUF_INIT(CREDS_CONFIG_MAX);
	int rc;

	if (!fs_exists(path)) {
		*root = json_object();
		return *root ? 0 : err_set(ERR_NOMEM, "out of memory");
	}
	rc = fs_read_file(path, CREDS_CONFIG_MAX, &b);
	if (!rc)
		rc = creds_load_json(b.len ? b.data : "{}", b.len ? b.len : 2,
				     path, root);
	buf_wipe(&b);
	return rc;
}

static int creds_write_config(const char *path, json_t *root)
{
	char dir[PATH_MAX], *text, *slash;
	int rc;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		rc = fs_mkdirs(dir, 0700);
		if (rc)
			return rc;
	}
	text = json_dumps(root, JSON_INDENT(8) | JSON_PRESERVE_ORDER);
	if (!text)
		return err_set(ERR_NOMEM, "out of memory encoding config");
	rc = fs_write_atomic(path, text, strlen(text), 0600);
	OPENSSL_cleanse(text, strlen(text));
	free(text);
	return rc;
}

/* Remove every auths key naming host; returns how many were removed. */
static int creds_remove_host(json_t *auths, const char *host)
{
	const char *key;
	json_t *entry;
	void *tmp;
	int n = 0;

	json_object_foreach_safe(auths, tmp, key, entry) {
		if (creds_key_matches(key, host)) {
			json_object_del(auths, key);
			n++;
		}
	}
	return n;
}

static int creds_auth_value(const char *user, const char *password,
			    char **out)
{
	struct buf pair = BUF_INIT(CREDS_FIELD_MAX);
	size_t n;
	int rc;

	*out = NULL;
	rc = buf_printf(&pair, "%s:%s", user, password);
	if (rc)
		goto out;
	n = sodium_base64_ENCODED_LEN(pair.len,
				      sodium_base64_VARIANT_ORIGINAL);
	*out = malloc(n);
	if (!*out) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	sodium_bin2base64(*out, n, (unsigned char *)pair.data, pair.len,
			  sodium_base64_VARIANT_ORIGINAL);
out:
	buf_wipe(&pair);
	return rc;
}

static json_t *creds_auths(json_t *root, const char *path, int *rc)
{
	json_t *auths = json_object_get(root, "auths");

	*rc = 0;
	if (!auths) {
		auths = json_object();
		if (!auths || json_object_set_new(root, "auths", auths)) {
			*rc = err_set(ERR_NOMEM, "out of memory");
			return NULL;
		}
	}
	if (!json_is_object(auths)) {
		*rc = err_set(ERR_INVALID, "%s: \"auths\" is not an object",
			      path);
		return NULL;
	}
	return auths;
}

/* Spawn "docker-credential-<helper> <verb>" with input on its stdin. */
static int creds_helper_spawn(const char *helper, const char *verb,
			      const char *input, pid_t *pid, int *out_fd)
{
	char prog[128], verb_arg[16];
	char *argv[3] = { prog, verb_arg, NULL };
	posix_spawn_file_actions_t fa;
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, rc;

	snprintf(prog, sizeof(prog), "docker-credential-%s", helper);
	snprintf(verb_arg, sizeof(verb_arg), "%s", verb);
	/* A socket for stdin: send() with MSG_NOSIGNAL cannot SIGPIPE us. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) ||
	    pipe2(out, O_CLOEXEC)) {
		rc = err_setsys(ERR_IO, errno, "cannot run %s", prog);
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[1], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	rc = posix_spawnp(pid, prog, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc) {
		rc = err_setsys(ERR_NOTFOUND, rc, "credential helper '%s' "
				"cannot be run", prog);
		goto out;
	}
	send(in[0], input, strlen(input), MSG_NOSIGNAL);
	*out_fd = out[0];
	out[0] = -1;
out:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return rc;
}

static int creds_helper_read(int fd, struct buf *b)
{
	char chunk[4096];
	ssize_t n;
	int rc = 0;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_setsys(ERR_IO, errno, "reading helper output");
			break;
		}
		if (!rc)
			rc = buf_put(b, chunk, (size_t)n);
	}
	close(fd);
	return rc;
}

static int creds_helper_reply(const char *helper, const struct buf *b,
			      struct creds *out)
{
	json_error_t je;
	json_t *root = json_loadb(b->data ? b->data : "", b->len,
				  JSON_REJECT_DUPLICATES, &je);
	const char *user = json_string_value(json_object_get(root,
							     "Username"));
	const char *secret = json_string_value(json_object_get(root,
							       "Secret"));
	int rc;

	if (!user || !secret || !*secret || strlen(secret) > CREDS_FIELD_MAX ||
	    strlen(user) > CREDS_FIELD_MAX)
		rc = err_set(ERR_INVALID, "credential helper '%s' sent an "
			     "unusable reply", helper);
	else if (!strcmp(user, "<token>"))
		rc = creds_dup(&out->identity_token, secret, strlen(secret));
	else {
		rc = creds_dup(&out->username, user, strlen(user));
		if (!rc)
			rc = creds_dup(&out->password, secret,
				       strlen(secret));
	}
	json_decref(root);
	return rc;
}

/* The server address a helper knows host by. */
static const char *creds_helper_key(const char *host)
{
	if (!strcmp(host, "docker.io") || !strcmp(host, "registry-1.docker.io"))
		return CREDS_DOCKER_HUB_KEY;
	return host;
}

/*
 * Run a helper verb; its stdout goes into out. A failure exit is
 * ERR_NOTFOUND when the helper says "not found" (as helpers do), else
 * ERR_UNAUTH.
 */
static int creds_helper_run(const char *helper, const char *verb,
			    const char *input, const char *host,
			    struct buf *out)
{
	int fd = -1, status = 0, rc;
	pid_t pid;

	if (!creds_helper_name_ok(helper))
		return err_set(ERR_INVALID, "invalid credential helper name");
	rc = creds_helper_spawn(helper, verb, input, &pid, &fd);
	if (rc)
		return rc;
	rc = creds_helper_read(fd, out);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status)))
		rc = strstr(buf_cstr(out), "not found")
		     ? err_set(ERR_NOTFOUND, "no credentials for '%s' in "
			       "helper '%s'", host, helper)
		     : err_set(ERR_UNAUTH, "credential helper '%s' failed "
			       "to %s credentials for '%s'", helper, verb,
			       host);
	return rc;
}

int creds_helper_get(const char *helper, const char *host,
		     struct creds *out)
{
	struct buf b = BUF_INIT(CREDS_HELPER_OUTPUT_MAX);
	int rc;

	rc = creds_helper_run(helper, "get", creds_helper_key(host), host,
			      &b);
	if (!rc)
		rc = creds_helper_reply(helper, &b, out);
	buf_wipe(&b);
	return rc;
}

/* "store": {"ServerURL","Username","Secret"} on the helper's stdin. */
static int creds_helper_store(const char *helper, const char *host,
			      const char *user, const char *password)
{
	struct buf b = BUF_INIT(CREDS_HELPER_OUTPUT_MAX);
	json_t *doc = json_pack("{ssssss}", "ServerURL",
				creds_helper_key(host), "Username", user,
				"Secret", password);
	char *text = doc ? json_dumps(doc, JSON_COMPACT) : NULL;
	int rc;

	rc = text ? creds_helper_run(helper, "store", text, host, &b)
		  : err_set(ERR_NOMEM, "out of memory");
	if (text) {
		OPENSSL_cleanse(text, strlen(text));
		free(text);
	}
	json_decref(doc);
	buf_wipe(&b);
	return rc;
}

static int creds_helper_erase(const char *helper, const char *host)
{
	struct buf b = BUF_INIT(CREDS_HELPER_OUTPUT_MAX);
	int rc = creds_helper_run(helper, "erase", creds_helper_key(host),
				  host, &b);

	buf_release(&b);
	return rc;
}

/* The helper that keeps host's credentials, or NULL: see creds_parse. */
static const char *creds_config_helper(json_t *root, const char *host)
{
	const char *h = creds_host_helper(root, host);

	return h ? h : creds_store_helper(root);
}


int creds_save(const char *host, const char *user, const char *password)
{
	char path[PATH_MAX], *auth = NULL;
	json_t *root = NULL, *auths, *entry;
	const char *helper;
	int rc;

	if (strchr(user, ':'))
		return err_set(ERR_INVALID, "user name must not contain ':'");
	rc = creds_config_path(path, sizeof(path));
	if (!rc)
		rc = creds_open_config(path, &root);
	if (rc)
		return rc;
	auths = creds_auths(root, path, &rc);
	if (!auths)
		goto out;
	creds_remove_host(auths, host);
	helper = creds_config_helper(root, host);
	if (helper) {
		/* The helper keeps the secret; auths gets an empty entry. */
		rc = creds_helper_store(helper, host, user, password);
		entry = rc ? NULL : json_object();
	} else {
		rc = creds_auth_value(user, password, &auth);
		entry = rc ? NULL : json_pack("{ss}", "auth", auth);
	}
	if (rc)
		goto out;
	if (!entry || json_object_set_new(auths, host, entry)) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = creds_write_config(path, root);
out:
	if (auth) {
		OPENSSL_cleanse(auth, strlen(auth));
		free(auth);
	}
	json_decref(root);
	return rc;
}

int creds_erase(const char *host)
{
	char path[PATH_MAX];
	json_t *root = NULL, *auths;
	const char *helper;
	bool erased = false;
	int rc;

	rc = creds_config_path(path, sizeof(path));
	if (rc)
		return rc;
	if (!fs_exists(path))
		return err_set(ERR_NOTFOUND, "not logged in to '%s'", host);
	rc = creds_open_config(path, &root);
	if (rc)
		return rc;
	helper = creds_config_helper(root, host);
	if (helper) {
		rc = creds_helper_erase(helper, host);
		erased = rc == 0;
		if (rc && rc != ERR_NOTFOUND)
			goto out;
	}
	auths = json_object_get(root, "auths");
	if (json_is_object(auths) && creds_remove_host(auths, host))
		erased = true;
	if (!erased) {
		rc = err_set(ERR_NOTFOUND, "not logged in to '%s'", host);
		goto out;
	}
	rc = creds_write_config(path, root);
out:
	json_decref(root);
	return rc;
}


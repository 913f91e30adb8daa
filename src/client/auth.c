/* Registry authentication: Basic, and the bearer token flow with a cache. */
#include "client/http.h"
#include "util/err.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RC_TOKEN_TTL_DEFAULT 60   /* seconds, when expires_in is absent */
#define RC_TOKEN_TTL_MAX 86400
#define RC_TOKEN_MARGIN 10        /* refresh this long before expiry */
#define RC_AUTH_HEADER_MAX (RC_TOKEN_MAX + 64)

static int rc_basic_header(const struct regclient *c, struct buf *hdr)
{
	struct buf pair = BUF_INIT(RC_TOKEN_MAX);
	char *b64 = NULL;
	size_t n;
	int rc;

	rc = buf_printf(&pair, "%s:%s", c->username,
			c->password ? c->password : "");
	if (rc)
		goto out;
	n = sodium_base64_ENCODED_LEN(pair.len,
				      sodium_base64_VARIANT_ORIGINAL);
	b64 = malloc(n);
	if (!b64) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	sodium_bin2base64(b64, n, (unsigned char *)pair.data, pair.len,
			  sodium_base64_VARIANT_ORIGINAL);
	buf_clear(hdr);
	rc = buf_printf(hdr, "Authorization: Basic %s", b64);
	OPENSSL_cleanse(b64, n);
out:
	free(b64);
	buf_wipe(&pair);
	return rc;
}

bool rc_token_chars_bad(const char *t)
{
	size_t n = strlen(t);

	if (!n || n > RC_TOKEN_MAX)
		return true;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)t[i] < 0x21 || (unsigned char)t[i] > 0x7e)
			return true;
	return false;
}

/* Token characters go into a header: printable ASCII, no spaces. */
static int rc_token_check(const char *t, size_t n, const char *host)
{
	if (strlen(t) != n || rc_token_chars_bad(t))
		return err_set(ERR_NET, "token service of '%s' sent an empty, "
			       "oversized or malformed token", host);
	return 0;
}

static int rc_token_parse(const struct regclient *c, const struct buf *b,
			  struct buf *hdr, long *ttl)
{
	json_error_t je;
	json_t *root, *tok, *exp;
	int rc;

	root = json_loadb(b->data ? b->data : "", b->len,
			  JSON_REJECT_DUPLICATES, &je);
	if (!root || !json_is_object(root)) {
		json_decref(root);
		return err_set(ERR_NET, "token service of '%s' sent invalid "
			       "JSON", c->host);
	}
	tok = json_object_get(root, "token");
	if (!json_is_string(tok) || !json_string_length(tok))
		tok = json_object_get(root, "access_token");
	exp = json_object_get(root, "expires_in");
	*ttl = json_is_integer(exp) ? (long)json_integer_value(exp)
				    : RC_TOKEN_TTL_DEFAULT;
	if (*ttl <= 0 || *ttl > RC_TOKEN_TTL_MAX)
		*ttl = RC_TOKEN_TTL_DEFAULT;
	if (!json_is_string(tok)) {
		rc = err_set(ERR_NET, "token service of '%s' sent no token",
			     c->host);
		goto out;
	}
	rc = rc_token_check(json_string_value(tok), json_string_length(tok),
			    c->host);
	if (!rc) {
		buf_clear(hdr);
		rc = buf_printf(hdr, "Authorization: Bearer %s",
				json_string_value(tok));
	}
out:
	json_decref(root);
	return rc;
}

static bool rc_url_host_loopback(const char *url)
{
	char host[OCI_HOST_MAX + 1];
	const char *p = strstr(url, "://");
	size_t n;

	if (!p)
		return false;
	p += 3;
	n = strcspn(p, "/?#");
	if (n > OCI_HOST_MAX)
		return false;
	memcpy(host, p, n);
	host[n] = '\0';
	return regclient_host_is_loopback(host);
}

/* The realm must be HTTPS unless plain HTTP is already in use here. */
static int rc_realm_check(const struct regclient *c, const char *realm)
{
	if (!strncasecmp(realm, "https://", 8))
		return 0;
	if (!strncasecmp(realm, "http://", 7) &&
	    (c->scheme == RC_SCHEME_HTTP || rc_url_host_loopback(realm)))
		return 0;
	return err_set(ERR_NET, "registry '%s' names a token realm that is "
		       "not HTTPS; refusing to send credentials", c->host);
}

static int rc_append_param(CURL *h, struct buf *u, const char *name,
			   const char *value)
{
	char *esc;
	int rc;

	if (!value || !*value)
		return 0;
	esc = curl_easy_escape(h, value, 0);
	if (!esc)
		return err_set(ERR_NOMEM, "out of memory");
	rc = buf_printf(u, "%s%s=%s", u->len ? "&" : "", name, esc);
	curl_free(esc);
	return rc;
}

static int rc_token_form(CURL *h, const struct regclient *c,
			 const struct wwwauth *ch, const char *scope,
			 struct buf *form)
{
	int rc;

	rc = rc_append_param(h, form, "service", ch->service);
	if (!rc)
		rc = rc_append_param(h, form, "scope", scope);
	if (!rc && c->identity_token) {
		rc = rc_append_param(h, form, "grant_type", "refresh_token");
		if (!rc)
			rc = rc_append_param(h, form, "client_id", "stele");
		if (!rc)
			rc = rc_append_param(h, form, "refresh_token",
					     c->identity_token);
	}
	return rc;
}

static int rc_token_setup(CURL *h, const struct regclient *c,
			  const struct wwwauth *ch, struct buf *form,
			  struct buf *url, struct curl_slist **hl,
			  struct buf *basic)
{
	int rc = 0;

	if (c->identity_token) {
		/* OAuth2 refresh-token grant: POST the form to the realm. */
		rc = buf_puts(url, ch->realm);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, buf_cstr(form));
	} else {
		rc = buf_printf(url, "%s%s%s", ch->realm,
				strchr(ch->realm, '?') ? "&" : "?",
				buf_cstr(form));
		if (!rc && c->username)
			rc = rc_basic_header(c, basic);
		if (!rc && basic->len)
			*hl = curl_slist_append(*hl, basic->data);
	}
	if (rc)
		return rc;
	curl_easy_setopt(h, CURLOPT_URL, buf_cstr(url));
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hl);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 60L);
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->user_agent)
		curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
	return 0;
}

static size_t rc_token_body(char *p, size_t size, size_t nmemb, void *arg)
{
	size_t n = size * nmemb;

	return buf_put(arg, p, n) ? CURL_WRITEFUNC_ERROR : n;
}

static int rc_token_result(const struct regclient *c, CURL *h, CURLcode cc,
			   const struct buf *body, struct buf *hdr, long *ttl)
{
	long status = 0;

	if (cc != CURLE_OK)
		return err_set(ERR_NET, "cannot reach the token service of "
			       "'%s': %s", c->host, curl_easy_strerror(cc));
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	if (status == 401 || status == 403)
		return rc_auth_refused(c, false);
	if (status != 200)
		return err_set(ERR_NET, "token service of '%s' answered "
			       "HTTP %ld", c->host, status);
	return rc_token_parse(c, body, hdr, ttl);
}

/* Fetch a bearer token for scope from the challenge's realm. */
static int rc_fetch_token(const struct regclient *c,
			  const struct wwwauth *ch, const char *scope,
			  struct buf *hdr, long *ttl)
{
	struct buf form = BUF_INIT(RC_URL_MAX), url = BUF_INIT(RC_URL_MAX);
	struct buf basic = BUF_INIT(RC_AUTH_HEADER_MAX);
	struct buf body = BUF_INIT(REGCLIENT_JSON_MAX);
	struct curl_slist *hl = NULL;
	CURL *h = NULL;
	CURLcode cc;
	int rc;

	rc = rc_realm_check(c, ch->realm);
	if (rc)
		return rc;
	h = curl_easy_init();
	if (!h)
		return err_set(ERR_NOMEM, "cannot create an HTTP handle");
	rc = rc_token_form(h, c, ch, scope, &form);
	if (!rc)
		rc = rc_token_setup(h, c, ch, &form, &url, &hl, &basic);
	if (rc)
		goto out;
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, rc_token_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	cc = curl_easy_perform(h);
	rc = rc_token_result(c, h, cc, &body, hdr, ttl);
out:
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	buf_wipe(&form);
	buf_wipe(&url);
	buf_wipe(&basic);
	buf_wipe(&body);
	return rc;
}

static void rc_token_free(struct rc_token *t)
{
	if (t->header) {
		OPENSSL_cleanse(t->header, strlen(t->header));
		free(t->header);
	}
	memset(t, 0, sizeof(*t));
}

void rc_auth_release(struct regclient *c)
{
	for (int i = 0; i < RC_TOKENS_MAX; i++)
		rc_token_free(&c->tokens[i]);
}

/* Under c->lock: the cache slot for scope, fresh or not. */
static struct rc_token *rc_token_slot(struct regclient *c, const char *scope,
				      bool for_insert)
{
	struct rc_token *victim = &c->tokens[0];

	for (int i = 0; i < RC_TOKENS_MAX; i++) {
		struct rc_token *t = &c->tokens[i];

		if (t->header && !strcmp(t->scope, scope))
			return t;
		if (!t->header || (victim->header && t->used < victim->used))
			victim = t;
	}
	return for_insert ? victim : NULL;
}

static int rc_token_store(struct regclient *c, const char *scope,
			  const struct buf *hdr, long ttl)
{
	struct rc_token *t;
	char *copy = strdup(hdr->data);

	if (!copy)
		return err_set(ERR_NOMEM, "out of memory");
	pthread_mutex_lock(&c->lock);
	t = rc_token_slot(c, scope, true);
	rc_token_free(t);
	snprintf(t->scope, sizeof(t->scope), "%s", scope);
	t->header = copy;
	t->expires = time(NULL) + ttl - (ttl > 2 * RC_TOKEN_MARGIN
					 ? RC_TOKEN_MARGIN : 0);
	t->used = ++c->clock;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* A fresh cached token for scope into hdr: 1 found, 0 not. */
static int rc_token_lookup(struct regclient *c, const char *scope,
			   struct buf *hdr, int *rc)
{
	struct rc_token *t;
	int found = 0;

	*rc = 0;
	pthread_mutex_lock(&c->lock);
	t = rc_token_slot(c, scope, false);
	if (t && t->expires > time(NULL)) {
		t->used = ++c->clock;
		buf_clear(hdr);
		*rc = buf_puts(hdr, t->header);
		found = 1;
	}
	pthread_mutex_unlock(&c->lock);
	return found;
}

/*
 * Tokens are cached under the scope the caller needs (key); the request
 * asks for that scope, or for the challenge's own when the key is "".
 */
static int rc_token_get(struct regclient *c, const char *key,
			struct buf *hdr, bool force)
{
	struct wwwauth ch;
	long ttl = 0;
	int rc;

	if (!force && rc_token_lookup(c, key, hdr, &rc))
		return rc;
	pthread_mutex_lock(&c->lock);
	ch = c->challenge;
	pthread_mutex_unlock(&c->lock);
	rc = rc_fetch_token(c, &ch, *key ? key : ch.scope, hdr, &ttl);
	if (!rc)
		rc = rc_token_store(c, key, hdr, ttl);
	return rc;
}

int rc_auth_header(struct regclient *c, const char *scope, struct buf *hdr)
{
	enum rc_auth_mode mode;

	buf_clear(hdr);
	if (c->bearer_token)
		return buf_printf(hdr, "Authorization: Bearer %s",
				  c->bearer_token);
	pthread_mutex_lock(&c->lock);
	mode = c->mode;
	pthread_mutex_unlock(&c->lock);
	if (mode == RC_AUTH_BASIC && c->username)
		return rc_basic_header(c, hdr);
	if (mode == RC_AUTH_BEARER)
		return rc_token_get(c, scope ? scope : "", hdr, false);
	return 0;
}

int rc_auth_refused(const struct regclient *c, bool scoped)
{
	if (c->username || c->identity_token || c->bearer_token)
		return err_set(ERR_UNAUTH, "authentication failed for "
			       "registry '%s': wrong user name or password%s",
			       c->host, scoped ? ", or no access to this "
			       "repository" : "");
	if (c->credentials_hint)
		return err_set(ERR_UNAUTH, "registry '%s' requires "
			       "authentication (%s)", c->host,
			       c->credentials_hint);
	return err_set(ERR_UNAUTH, "registry '%s' requires authentication "
		       "(run 'stele login %s')", c->host, c->host);
}

static int rc_unauth(const struct regclient *c)
{
	return rc_auth_refused(c, false);
}

int rc_auth_challenge(struct regclient *c, const struct rc_resp *resp,
		      const char *scope)
{
	struct buf hdr = BUF_INIT(RC_AUTH_HEADER_MAX);
	struct wwwauth ch;
	int rc;

	if (c->bearer_token)
		return rc_unauth(c);
	if (!resp->www_auth[0] || resp->overflow)
		return err_set(ERR_UNAUTH, "registry '%s' answered 401 "
			       "without a usable WWW-Authenticate challenge",
			       c->host);
	rc = wwwauth_parse(resp->www_auth, strlen(resp->www_auth), &ch);
	if (rc)
		return err_set(rc, "registry '%s': %s", c->host, err_msg());
	if (ch.scheme == WWWAUTH_BASIC && !c->username)
		return rc_unauth(c);
	pthread_mutex_lock(&c->lock);
	c->challenge = ch;
	c->mode = ch.scheme == WWWAUTH_BASIC ? RC_AUTH_BASIC
					     : RC_AUTH_BEARER;
	pthread_mutex_unlock(&c->lock);
	if (ch.scheme == WWWAUTH_BEARER)
		rc = rc_token_get(c, scope ? scope : "", &hdr, true);
	buf_wipe(&hdr);
	return rc;
}

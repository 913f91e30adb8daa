/* Registry client operations: lifecycle, manifests, tags, referrers. */
#include "client/http.h"
#include "oci/digest.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RC_DEFAULT_TIMEOUT 3600
#define RC_DEFAULT_RETRIES 4
#define RC_INSECURE_LIST_MAX 4096

static const char rc_empty_index[] =
	"{\"schemaVersion\":2,\"mediaType\":"
	"\"application/vnd.oci.image.index.v1+json\",\"manifests\":[]}";

static void rc_share_lock(CURL *h, curl_lock_data d, curl_lock_access a,
			  void *arg)
{
	struct regclient *c = arg;

	pthread_mutex_lock(&c->share_locks[d]);
}

static void rc_share_unlock(CURL *h, curl_lock_data d, void *arg)
{
	struct regclient *c = arg;

	pthread_mutex_unlock(&c->share_locks[d]);
}

bool regclient_host_is_loopback(const char *host)
{
	char name[OCI_HOST_MAX + 1];
	struct in_addr a4;
	size_t n;

	if (host[0] == '[') {
		n = strcspn(host, "]");
		return n == 4 && !strncmp(host, "[::1]", 5);
	}
	n = strcspn(host, ":");
	if (n > OCI_HOST_MAX)
		return false;
	memcpy(name, host, n);
	name[n] = '\0';
	if (!strcasecmp(name, "localhost"))
		return true;
	return inet_pton(AF_INET, name, &a4) == 1 &&
	       (ntohl(a4.s_addr) >> 24) == 127;
}

/* Is host listed in STELE_INSECURE_REGISTRIES (comma separated)? */
static bool rc_listed_insecure(const char *host)
{
	const char *list = getenv("STELE_INSECURE_REGISTRIES");
	size_t hn = strlen(host);

	if (!list || strlen(list) > RC_INSECURE_LIST_MAX)
		return false;
	for (const char *p = list; *p;) {
		size_t n = strcspn(p, ", ");

		if (n == hn && !strncasecmp(p, host, n))
			return true;
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
	return false;
}

static int rc_strdup_opt(char **dst, const char *s)
{
	*dst = NULL;
	if (!s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : err_set(ERR_NOMEM, "out of memory");
}

static int rc_copy_opts(struct regclient *c, const struct regclient_opts *o)
{
	int rc;

	rc = rc_strdup_opt(&c->username, o->username);
	if (!rc)
		rc = rc_strdup_opt(&c->password, o->password);
	if (!rc)
		rc = rc_strdup_opt(&c->identity_token, o->identity_token);
	if (!rc)
		rc = rc_strdup_opt(&c->bearer_token, o->bearer_token);
	if (!rc)
		rc = rc_strdup_opt(&c->ca_file, o->ca_file);
	if (!rc)
		rc = rc_strdup_opt(&c->user_agent, o->user_agent ?
				   o->user_agent : "stele/" STELE_VERSION);
	if (!rc)
		rc = rc_strdup_opt(&c->credentials_hint, o->credentials_hint);
	c->timeout_sec = o->timeout_sec > 0 ? o->timeout_sec
					    : RC_DEFAULT_TIMEOUT;
	c->retries = o->retries > 0 ? o->retries : RC_DEFAULT_RETRIES;
	c->monolithic_max = o->monolithic_max ? o->monolithic_max
					      : REGCLIENT_MONOLITHIC_MAX;
	c->chunk_size = o->chunk_size ? o->chunk_size : REGCLIENT_CHUNK_SIZE;
	if (c->bearer_token && rc_token_chars_bad(c->bearer_token))
		rc = err_set(ERR_INVALID, "bearer token has invalid "
			     "characters");
	return rc;
}

static int rc_share_new(struct regclient *c)
{
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&c->share_locks[i], NULL);
	c->share = curl_share_init();
	if (!c->share)
		return err_set(ERR_NOMEM, "cannot create a curl share");
	curl_share_setopt(c->share, CURLSHOPT_LOCKFUNC, rc_share_lock);
	curl_share_setopt(c->share, CURLSHOPT_UNLOCKFUNC, rc_share_unlock);
	curl_share_setopt(c->share, CURLSHOPT_USERDATA, c);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(c->share, CURLSHOPT_SHARE,
			  CURL_LOCK_DATA_SSL_SESSION);
	curl_share_setopt(c->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT);
	return 0;
}

static bool rc_host_valid(const char *host)
{
	size_t n = strlen(host);

	if (!n || n > OCI_HOST_MAX)
		return false;
	for (const char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || strchr(".-:[]", *p)))
			return false;
	return true;
}

int regclient_new(const char *host, const struct regclient_opts *opts,
		  struct regclient **out)
{
	static const struct regclient_opts none;
	struct regclient *c;
	int rc;

	*out = NULL;
	if (!rc_host_valid(host))
		return err_set(ERR_INVALID, "invalid registry host '%s'", host);
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return err_set(ERR_NET, "cannot initialise libcurl");
	c = calloc(1, sizeof(*c));
	if (!c)
		return err_set(ERR_NOMEM, "out of memory");
	pthread_mutex_init(&c->lock, NULL);
	snprintf(c->host, sizeof(c->host), "%s", host);
	opts = opts ? opts : &none;
	c->allow_http = opts->insecure || regclient_host_is_loopback(host) ||
			rc_listed_insecure(host);
	c->scheme = c->allow_http ? RC_SCHEME_UNKNOWN : RC_SCHEME_HTTPS;
	rc = rc_copy_opts(c, opts);
	if (!rc && opts->basic_first && c->username)
		c->mode = RC_AUTH_BASIC;
	if (!rc)
		rc = rc_share_new(c);
	if (rc) {
		regclient_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static void rc_free_secret(char *s)
{
	if (s) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void regclient_free(struct regclient *c)
{
	if (!c)
		return;
	rc_auth_release(c);
	if (c->share)
		curl_share_cleanup(c->share);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&c->share_locks[i]);
	pthread_mutex_destroy(&c->lock);
	rc_free_secret(c->username);
	rc_free_secret(c->password);
	rc_free_secret(c->identity_token);
	rc_free_secret(c->bearer_token);
	free(c->ca_file);
	free(c->user_agent);
	free(c->credentials_hint);
	free(c);
}

int regclient_ping(struct regclient *c)
{
	struct rc_req req = { .method = "GET", .url = "/v2/",
			      .body = RC_BODY_NONE, .retry = true };
	struct rc_resp resp;
	int rc;

	req.deadline = rc_deadline(c);
	rc_resp_init(&resp);
	rc = rc_do(c, &req, &resp);
	if (!rc && resp.status != 200)
		rc = rc_status_error(c, &resp, "GET /v2/");
	rc_resp_release(&resp);
	return rc;
}

static int rc_check_repo(const char *repo)
{
	if (!oci_repo_valid(repo))
		return err_set(ERR_INVALID, "invalid repository name '%s'",
			       repo);
	return 0;
}

static int rc_check_reference(const char *repo, const char *reference)
{
	int rc = rc_check_repo(repo);

	if (!rc && !oci_tag_valid(reference) && !oci_digest_valid(reference))
		rc = err_set(ERR_INVALID, "invalid tag or digest '%s'",
			     reference);
	return rc;
}

static int rc_path(char *out, size_t len, const char *repo,
		   const char *kind, const char *reference)
{
	int n = snprintf(out, len, "/v2/%s/%s/%s", repo, kind, reference);

	if (n < 0 || (size_t)n >= len)
		return err_set(ERR_LIMIT, "request path too long");
	return 0;
}

/* The media type of a Content-Type value, without parameters. */
static void rc_media_type(const char *ct, char *out)
{
	size_t n = strcspn(ct, "; \t");

	if (n > REGCLIENT_MEDIA_TYPE_MAX)
		n = 0;
	memcpy(out, ct, n);
	out[n] = '\0';
}

/* Content fetched by tag must match the digest the registry claims. */
static int rc_manifest_verify(const struct regclient *c, const char *repo,
			      const char *reference, const char *got,
			      const struct rc_resp *resp)
{
	if (oci_digest_valid(reference) && strcmp(reference, got))
		return err_set(ERR_DIGEST, "manifest '%s@%s' from registry "
			       "'%s' has digest %s", repo, reference,
			       c->host, got);
	if (resp->digest[0] && strcmp(resp->digest, got))
		return err_set(ERR_DIGEST, "manifest '%s:%s' from registry "
			       "'%s' has digest %s, not the %.80s the "
			       "registry claims", repo, reference, c->host,
			       got, resp->digest);
	return 0;
}

int regclient_manifest_get(struct regclient *c, const char *repo,
			   const char *reference, struct buf *body,
			   char digest[DIGEST_STR_LEN], char *media_type)
{
	char path[RC_URL_MAX], scope[RC_SCOPE_MAX], what[600];
	struct rc_req req = { .method = "GET", .url = path, .scope = scope,
			      .accept = REGCLIENT_ACCEPT_MANIFESTS,
			      .body = RC_BODY_NONE, .out = body,
			      .retry = true };
	struct rc_resp resp;
	int rc;

	buf_release(body);
	buf_init(body, REGCLIENT_MANIFEST_MAX);
	rc = rc_check_reference(repo, reference);
	if (!rc)
		rc = rc_path(path, sizeof(path), repo, "manifests", reference);
	if (!rc)
		rc = rc_scope(scope, repo, "pull");
	if (rc)
		return rc;
	snprintf(what, sizeof(what), "GET manifest '%s%s%s'", repo,
		 strchr(reference, ':') ? "@" : ":", reference);
	req.deadline = rc_deadline(c);
	rc_resp_init(&resp);
	rc = rc_do(c, &req, &resp);
	if (rc == ERR_LIMIT)
		rc = err_set(ERR_LIMIT, "manifest '%s:%s' from registry '%s' "
			     "is larger than %u bytes", repo, reference,
			     c->host, REGCLIENT_MANIFEST_MAX);
	else if (!rc && resp.status != 200)
		rc = rc_status_error(c, &resp, what);
	if (rc)
		goto out;
	sha256_digest_buf(body->data ? body->data : "", body->len, digest);
	rc = rc_manifest_verify(c, repo, reference, digest, &resp);
	if (!rc && media_type)
		rc_media_type(resp.content_type, media_type);
out:
	if (rc)
		buf_release(body);
	rc_resp_release(&resp);
	return rc;
}

int regclient_resolve(struct regclient *c, const char *repo,
		      const char *reference, char digest[DIGEST_STR_LEN])
{
	struct buf body = BUF_INIT(REGCLIENT_MANIFEST_MAX);
	int rc;

	rc = regclient_manifest_get(c, repo, reference, &body, digest, NULL);
	buf_release(&body);
	return rc;
}

int regclient_manifest_put(struct regclient *c, const char *repo,
			   const char *reference, const char *media_type,
			   const void *body, size_t len,
			   char digest[DIGEST_STR_LEN])
{
	char path[RC_URL_MAX], scope[RC_SCOPE_MAX], what[600];
	struct rc_req req = { .method = "PUT", .url = path, .scope = scope,
			      .content_type = media_type,
			      .body = RC_BODY_NONE, .retry = true };
	struct rc_resp resp;
	int rc;

	if (len > REGCLIENT_MANIFEST_MAX)
		return err_set(ERR_LIMIT, "manifest larger than %u bytes",
			       REGCLIENT_MANIFEST_MAX);
	rc = rc_check_reference(repo, reference);
	if (!rc)
		rc = rc_path(path, sizeof(path), repo, "manifests", reference);
	if (!rc)
		rc = rc_scope(scope, repo, "push,pull");
	if (rc)
		return rc;
	sha256_digest_buf(body, len, digest);
	if (oci_digest_valid(reference) && strcmp(reference, digest))
		return err_set(ERR_DIGEST, "manifest digest %s does not match "
			       "reference '%s'", digest, reference);
	req.body.mem = body;
	req.body.mem_len = len;
	req.deadline = rc_deadline(c);
	snprintf(what, sizeof(what), "PUT manifest '%s:%s'", repo, reference);
	rc_resp_init(&resp);
	rc = rc_do(c, &req, &resp);
	if (!rc && resp.status != 201)
		rc = rc_status_error(c, &resp, what);
	if (!rc && resp.digest[0] && strcmp(resp.digest, digest))
		rc = err_set(ERR_DIGEST, "registry '%s' stored manifest "
			     "'%s:%s' as %.80s, not %s", c->host, repo,
			     reference, resp.digest, digest);
	rc_resp_release(&resp);
	return rc;
}

static int rc_simple(struct regclient *c, const char *method,
		     const char *repo, const char *kind, const char *ref,
		     const char *actions, struct rc_resp *resp)
{
	char path[RC_URL_MAX], scope[RC_SCOPE_MAX];
	struct rc_req req = { .method = method, .url = path, .scope = scope,
			      .body = RC_BODY_NONE, .retry = true };
	int rc;

	rc = rc_path(path, sizeof(path), repo, kind, ref);
	if (!rc)
		rc = rc_scope(scope, repo, actions);
	if (rc)
		return rc;
	req.deadline = rc_deadline(c);
	return rc_do(c, &req, resp);
}

int regclient_blob_exists(struct regclient *c, const char *repo,
			  const char *digest, uint64_t *size)
{
	return rc_blob_head(c, repo, digest, "pull", size);
}

int rc_blob_head(struct regclient *c, const char *repo, const char *digest,
		 const char *actions, uint64_t *size)
{
	struct rc_resp resp;
	char what[600];
	int rc;

	rc = rc_check_repo(repo);
	if (!rc && !oci_digest_valid(digest))
		rc = err_set(ERR_INVALID, "invalid digest '%s'", digest);
	if (rc)
		return rc;
	snprintf(what, sizeof(what), "HEAD blob '%s@%s'", repo, digest);
	rc_resp_init(&resp);
	rc = rc_simple(c, "HEAD", repo, "blobs", digest, actions, &resp);
	if (!rc && resp.status != 200)
		rc = rc_status_error(c, &resp, what);
	if (!rc && size)
		*size = resp.content_length >= 0
			? (uint64_t)resp.content_length : UINT64_MAX;
	rc_resp_release(&resp);
	return rc;
}

static int rc_delete(struct regclient *c, const char *repo,
		     const char *kind, const char *reference)
{
	struct rc_resp resp;
	char what[600];
	int rc;

	snprintf(what, sizeof(what), "DELETE %s '%s:%s'", kind, repo,
		 reference);
	rc_resp_init(&resp);
	rc = rc_simple(c, "DELETE", repo, kind, reference, "delete", &resp);
	if (!rc && resp.status != 202 && resp.status != 200 &&
	    resp.status != 204)
		rc = rc_status_error(c, &resp, what);
	rc_resp_release(&resp);
	return rc;
}

int regclient_delete(struct regclient *c, const char *repo,
		     const char *reference)
{
	int rc = rc_check_reference(repo, reference);

	return rc ? rc : rc_delete(c, repo, "manifests", reference);
}

int regclient_blob_delete(struct regclient *c, const char *repo,
			  const char *digest)
{
	int rc = rc_check_repo(repo);

	if (!rc && !oci_digest_valid(digest))
		rc = err_set(ERR_INVALID, "invalid digest '%s'", digest);
	return rc ? rc : rc_delete(c, repo, "blobs", digest);
}

/* The target of a Link header with rel="next", or "" when none. */
static int rc_link_next(const char *link, char *out, size_t len)
{
	const char *lt = strchr(link, '<'), *gt;
	size_t n;

	out[0] = '\0';
	if (!lt || !strstr(link, "rel=\"next\""))
		return 0;
	gt = strchr(lt, '>');
	if (!gt)
		return err_set(ERR_NET, "malformed Link header");
	n = (size_t)(gt - lt - 1);
	if (n >= len)
		return err_set(ERR_LIMIT, "Link header target too long");
	memcpy(out, lt + 1, n);
	out[n] = '\0';
	return 0;
}

static int rc_tags_page(const struct regclient *c, const struct buf *body,
			const char *repo, regclient_tag_fn fn, void *arg)
{
	json_error_t je;
	json_t *root, *tags, *t;
	size_t i;
	int rc = 0;

	root = json_loadb(body->data ? body->data : "", body->len,
			  JSON_REJECT_DUPLICATES, &je);
	tags = json_object_get(root, "tags");
	if (!json_is_object(root) || (tags && !json_is_array(tags) &&
				      !json_is_null(tags))) {
		rc = err_set(ERR_NET, "registry '%s' sent a malformed tag "
			     "list for '%s'", c->host, repo);
		goto out;
	}
	json_array_foreach(tags, i, t) {
		const char *tag = json_string_value(t);

		if (!tag || !oci_tag_valid(tag)) {
			rc = err_set(ERR_NET, "registry '%s' sent an invalid "
				     "tag for '%s'", c->host, repo);
			break;
		}
		rc = fn(tag, arg);
		if (rc)
			break;
	}
out:
	json_decref(root);
	return rc;
}

int regclient_tags_list(struct regclient *c, const char *repo,
			regclient_tag_fn fn, void *arg)
{
	char url[RC_URL_MAX], next[RC_URL_MAX], scope[RC_SCOPE_MAX];
	struct buf body = BUF_INIT(REGCLIENT_JSON_MAX);
	struct rc_req req = { .method = "GET", .url = url, .scope = scope,
			      .accept = "application/json",
			      .body = RC_BODY_NONE, .out = &body,
			      .retry = true };
	struct rc_resp resp;
	int rc, pages = 0;

	rc = rc_check_repo(repo);
	if (!rc)
		rc = rc_scope(scope, repo, "pull");
	if (rc)
		return rc;
	snprintf(url, sizeof(url), "/v2/%s/tags/list", repo);
	req.deadline = rc_deadline(c);
	rc_resp_init(&resp);
	while (!rc && url[0]) {
		if (++pages > REGCLIENT_TAG_PAGES_MAX) {
			rc = err_set(ERR_LIMIT, "tag list of '%s' has more "
				     "than %d pages", repo,
				     REGCLIENT_TAG_PAGES_MAX);
			break;
		}
		rc = rc_do(c, &req, &resp);
		if (!rc && resp.status != 200)
			rc = rc_status_error(c, &resp, "GET tag list");
		if (!rc)
			rc = rc_tags_page(c, &body, repo, fn, arg);
		if (!rc)
			rc = rc_link_next(resp.link, next, sizeof(next));
		if (!rc && next[0])
			rc = rc_resolve_url(c, next, url, sizeof(url));
		else if (!rc)
			url[0] = '\0';
	}
	rc_resp_release(&resp);
	buf_release(&body);
	return rc;
}

/* Keep only the descriptors of artifact_type; out gets the new index. */
static int rc_filter_index(const struct regclient *c, struct buf *idx,
			   const char *artifact_type)
{
	json_error_t je;
	json_t *root, *list, *keep = NULL, *d;
	char *text = NULL;
	size_t i;
	int rc = 0;

	root = json_loadb(idx->data ? idx->data : "", idx->len,
			  JSON_REJECT_DUPLICATES, &je);
	list = json_object_get(root, "manifests");
	if (!json_is_object(root) || !json_is_array(list)) {
		rc = err_set(ERR_NET, "registry '%s' sent a malformed "
			     "referrers index", c->host);
		goto out;
	}
	keep = json_array();
	json_array_foreach(list, i, d) {
		const char *at = json_string_value(json_object_get(
						d, "artifactType"));

		if (!artifact_type || (at && !strcmp(at, artifact_type)))
			json_array_append(keep, d);
	}
	json_object_set(root, "manifests", keep);
	text = json_dumps(root, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!text) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	buf_clear(idx);
	rc = buf_puts(idx, text);
out:
	free(text);
	json_decref(keep);
	json_decref(root);
	return rc;
}

/* The "sha256-<hex>" tag schema of distribution-spec v1.1. */
static int rc_referrers_tag(struct regclient *c, const char *repo,
			    const char *digest, struct buf *out)
{
	char tag[DIGEST_STR_LEN], got[DIGEST_STR_LEN];
	int rc;

	snprintf(tag, sizeof(tag), "sha256-%s", oci_digest_hex(digest));
	rc = regclient_manifest_get(c, repo, tag, out, got, NULL);
	if (rc == ERR_NOTFOUND) {
		buf_init(out, REGCLIENT_JSON_MAX);
		rc = buf_puts(out, rc_empty_index);
	}
	return rc;
}

static int rc_referrers_url(struct regclient *c, const char *repo,
			    const char *digest, const char *artifact_type,
			    char *url, size_t len)
{
	char *esc = NULL;
	int n;

	if (artifact_type) {
		esc = curl_easy_escape(NULL, artifact_type, 0);
		if (!esc)
			return err_set(ERR_NOMEM, "out of memory");
	}
	n = snprintf(url, len, "/v2/%s/referrers/%s%s%s", repo, digest,
		     esc ? "?artifactType=" : "", esc ? esc : "");
	curl_free(esc);
	if (n < 0 || (size_t)n >= len)
		return err_set(ERR_LIMIT, "referrers URL too long");
	return 0;
}

int regclient_referrers(struct regclient *c, const char *repo,
			const char *digest, const char *artifact_type,
			struct buf *out)
{
	char url[RC_URL_MAX], scope[RC_SCOPE_MAX];
	struct rc_req req = { .method = "GET", .url = url, .scope = scope,
			      .accept = "application/vnd.oci.image.index.v1"
					"+json",
			      .body = RC_BODY_NONE, .out = out,
			      .retry = true };
	struct rc_resp resp;
	int rc;

	buf_release(out);
	buf_init(out, REGCLIENT_JSON_MAX);
	rc = rc_check_repo(repo);
	if (!rc && !oci_digest_valid(digest))
		rc = err_set(ERR_INVALID, "invalid digest '%s'", digest);
	if (!rc)
		rc = rc_scope(scope, repo, "pull");
	if (!rc)
		rc = rc_referrers_url(c, repo, digest, artifact_type, url,
				      sizeof(url));
	if (rc)
		return rc;
	req.deadline = rc_deadline(c);
	rc_resp_init(&resp);
	rc = rc_do(c, &req, &resp);
	if (!rc && resp.status == 404) {
		/* No referrers API: fall back to the tag schema. */
		rc = rc_referrers_tag(c, repo, digest, out);
		resp.oci_filters[0] = '\0';
	} else if (!rc && resp.status != 200) {
		rc = rc_status_error(c, &resp, "GET referrers");
	}
	if (!rc && (!artifact_type || !strstr(resp.oci_filters,
					      "artifactType")))
		rc = rc_filter_index(c, out, artifact_type);
	if (rc)
		buf_release(out);
	rc_resp_release(&resp);
	return rc;
}

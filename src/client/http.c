/* HTTP transport of the registry client: curl, headers, auth, retries. */
#include "client/http.h"
#include "util/err.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define RC_CONNECT_TIMEOUT 30L
#define RC_LOW_SPEED_TIME 60L   /* abort when under 1 byte/s this long */
#define RC_BACKOFF_MS_MAX 8000
/* Larger socket buffers: fewer callbacks and syscalls per gigabyte. */
#define RC_RECV_BUFFER (512L * 1024)
#define RC_SEND_BUFFER (512L * 1024)

struct rc_xfer {
	const struct rc_req *req;
	struct rc_resp *resp;
	CURL *curl;
	uint64_t body_pos;
	bool rewound;
};

void rc_resp_init(struct rc_resp *r)
{
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	buf_init(&r->err, RC_ERRBODY_MAX);
}

void rc_resp_release(struct rc_resp *r)
{
	if (r)
		buf_release(&r->err);
}

/* Reset what one response captured, before another attempt. */
static void rc_resp_reset(struct rc_resp *r)
{
	struct buf err = r->err;

	buf_clear(&err);
	memset(r, 0, sizeof(*r));
	r->content_length = -1;
	r->err = err;
}

static void rc_copy_value(char *dst, size_t cap, const char *v, size_t n,
			  bool *overflow)
{
	if (n >= cap) {
		*overflow = true;
		n = 0;
	}
	memcpy(dst, v, n);
	dst[n] = '\0';
}

static void rc_header_value(struct rc_resp *r, const char *name,
			    size_t nlen, const char *v, size_t n)
{
	static const struct {
		const char *name;
		size_t off, cap;
	} keep[] = {
		{ "location", offsetof(struct rc_resp, location), RC_URL_MAX },
		{ "docker-content-digest", offsetof(struct rc_resp, digest),
		  RC_HEADER_VALUE_MAX },
		{ "content-type", offsetof(struct rc_resp, content_type),
		  RC_HEADER_VALUE_MAX },
		{ "range", offsetof(struct rc_resp, range),
		  RC_HEADER_VALUE_MAX },
		{ "content-range", offsetof(struct rc_resp, content_range),
		  RC_HEADER_VALUE_MAX },
		{ "link", offsetof(struct rc_resp, link), RC_URL_MAX },
		{ "www-authenticate", offsetof(struct rc_resp, www_auth),
		  WWWAUTH_HEADER_MAX + 1 },
		{ "oci-filters-applied", offsetof(struct rc_resp, oci_filters),
		  RC_HEADER_VALUE_MAX },
	};

	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		if (strlen(keep[i].name) != nlen ||
		    strncasecmp(keep[i].name, name, nlen))
			continue;
		/* A repeated header would be ambiguous: keep the first. */
		if (!((char *)r + keep[i].off)[0])
			rc_copy_value((char *)r + keep[i].off, keep[i].cap, v,
				      n, &r->overflow);
		return;
	}
}

static void rc_content_length(struct rc_resp *r, const char *v, size_t n)
{
	char tmp[32];
	char *end;
	unsigned long long x;

	if (!n || n >= sizeof(tmp))
		return;
	memcpy(tmp, v, n);
	tmp[n] = '\0';
	if (!isdigit((unsigned char)tmp[0]))
		return;
	errno = 0;
	x = strtoull(tmp, &end, 10);
	if (!errno && !*end && x <= INT64_MAX)
		r->content_length = (int64_t)x;
}

static size_t rc_on_header(char *p, size_t size, size_t nitems, void *arg)
{
	struct rc_xfer *x = arg;
	size_t n = size * nitems, nlen, vlen;
	const char *colon, *v;

	/* A new status line starts a new response (redirect, 100). */
	if (n >= 5 && !strncmp(p, "HTTP/", 5)) {
		rc_resp_reset(x->resp);
		return n;
	}
	colon = memchr(p, ':', n);
	if (!colon)
		return n;
	nlen = (size_t)(colon - p);
	v = colon + 1;
	vlen = n - nlen - 1;
	while (vlen && (*v == ' ' || *v == '\t')) {
		v++;
		vlen--;
	}
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' ||
			v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
		vlen--;
	if (nlen == 14 && !strncasecmp(p, "content-length", 14))
		rc_content_length(x->resp, v, vlen);
	else
		rc_header_value(x->resp, p, nlen, v, vlen);
	return n;
}

static size_t rc_on_body(char *p, size_t size, size_t nmemb, void *arg)
{
	struct rc_xfer *x = arg;
	size_t n = size * nmemb;
	long status = 0;
	int rc;

	curl_easy_getinfo(x->curl, CURLINFO_RESPONSE_CODE, &status);
	x->resp->status = status;
	if (status < 200 || status > 299) {
		/* Error bodies only feed the message: keep what fits. */
		if (x->resp->err.len < x->resp->err.max)
			buf_put(&x->resp->err, p, n < x->resp->err.max -
				x->resp->err.len ? n : x->resp->err.max -
				x->resp->err.len);
		return n;
	}
	if (x->req->sink)
		rc = x->req->sink(p, n, x->req->sink_arg);
	else if (x->req->out)
		rc = buf_put(x->req->out, p, n);
	else
		rc = 0;
	if (rc) {
		x->resp->sink_rc = rc;
		return CURL_WRITEFUNC_ERROR;
	}
	x->resp->received += n;
	return n;
}

static size_t rc_on_read(char *p, size_t size, size_t nitems, void *arg)
{
	struct rc_xfer *x = arg;
	const struct rc_body *b = &x->req->body;
	size_t want = size * nitems;
	uint64_t left;
	ssize_t got;

	left = (b->fd >= 0 ? b->len : b->mem_len) - x->body_pos;
	if (want > left)
		want = (size_t)left;
	if (!want)
		return 0;
	if (b->fd < 0) {
		memcpy(p, (const char *)b->mem + x->body_pos, want);
		got = (ssize_t)want;
	} else {
		do
			got = pread(b->fd, p, want,
				    (off_t)(b->off + x->body_pos));
		while (got < 0 && errno == EINTR);
		if (got <= 0)
			return CURL_READFUNC_ABORT;
	}
	if (b->hash)
		EVP_DigestUpdate(b->hash, p, (size_t)got);
	x->body_pos += (uint64_t)got;
	return (size_t)got;
}

static int rc_on_seek(void *arg, curl_off_t offset, int origin)
{
	struct rc_xfer *x = arg;

	if (origin != SEEK_SET || offset < 0)
		return CURL_SEEKFUNC_CANTSEEK;
	if ((uint64_t)offset != x->body_pos)
		x->rewound = true;
	x->body_pos = (uint64_t)offset;
	return CURL_SEEKFUNC_OK;
}

static const char *rc_scheme_name(const struct regclient *c)
{
	return c->scheme == RC_SCHEME_HTTP ? "http" : "https";
}

/* Decide between HTTPS and HTTP for hosts that may use plain HTTP. */
static void rc_probe_scheme(struct regclient *c)
{
	char url[RC_URL_MAX];
	CURL *h;
	CURLcode cc;

	pthread_mutex_lock(&c->lock);
	if (c->scheme != RC_SCHEME_UNKNOWN)
		goto out;
	if (!c->allow_http) {
		c->scheme = RC_SCHEME_HTTPS;
		goto out;
	}
	h = curl_easy_init();
	if (!h)
		goto out; /* decided on the next call */
	snprintf(url, sizeof(url), "https://%s/v2/", c->host);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "https");
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	cc = curl_easy_perform(h);
	curl_easy_cleanup(h);
	/*
	 * Only a TLS handshake that cannot start means "plain HTTP": a
	 * certificate failure stays HTTPS so it is reported, not bypassed.
	 */
	c->scheme = (cc == CURLE_OK || cc == CURLE_PEER_FAILED_VERIFICATION)
		    ? RC_SCHEME_HTTPS : RC_SCHEME_HTTP;
out:
	pthread_mutex_unlock(&c->lock);
}

static int rc_origin(struct regclient *c, char *out, size_t len)
{
	int n;

	if (c->scheme == RC_SCHEME_UNKNOWN)
		rc_probe_scheme(c);
	n = snprintf(out, len, "%s://%s", rc_scheme_name(c), c->host);
	if (n < 0 || (size_t)n >= len)
		return err_set(ERR_LIMIT, "registry URL too long");
	return 0;
}

int rc_resolve_url(struct regclient *c, const char *target, char *out,
		   size_t len)
{
	char origin[RC_URL_MAX];
	size_t olen;
	int rc, n;

	rc = rc_origin(c, origin, sizeof(origin));
	if (rc)
		return rc;
	olen = strlen(origin);
	for (const char *p = target; *p; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
			return err_set(ERR_NET, "registry '%s' sent a URL with "
				       "invalid characters", c->host);
	if (target[0] == '/' && target[1] != '/') {
		n = snprintf(out, len, "%s%s", origin, target);
	} else {
		/* Same scheme, host and port only: no hop elsewhere. */
		if (strncasecmp(target, origin, olen) ||
		    (target[olen] != '/' && target[olen] != '\0'))
			return err_set(ERR_NET, "registry '%s' sent a URL on "
				       "another origin; refusing to follow",
				       c->host);
		n = snprintf(out, len, "%s", target);
	}
	if (n < 0 || (size_t)n >= len)
		return err_set(ERR_LIMIT, "registry '%s' sent a URL longer "
			       "than %zu bytes", c->host, len - 1);
	return 0;
}

int rc_scope(char *out, const char *repo, const char *actions)
{
	int n = snprintf(out, RC_SCOPE_MAX, "repository:%s:%s", repo,
			 actions);

	if (n < 0 || n >= RC_SCOPE_MAX)
		return err_set(ERR_LIMIT, "repository name too long");
	return 0;
}

time_t rc_deadline(const struct regclient *c)
{
	return time(NULL) + c->timeout_sec;
}

void rc_backoff(int attempt)
{
	long ms = 250L << (attempt < 6 ? attempt : 6);
	struct timespec ts;

	if (ms > RC_BACKOFF_MS_MAX)
		ms = RC_BACKOFF_MS_MAX;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

bool rc_transient(int rc, long status)
{
	if (rc == ERR_NET)
		return true;
	if (rc)
		return false;
	return status == 408 || status == 429 || status == 500 ||
	       status == 502 || status == 503 || status == 504;
}

static int rc_set_method(CURL *h, const struct rc_req *req)
{
	const struct rc_body *b = &req->body;
	uint64_t len = b->fd >= 0 ? b->len : b->mem_len;

	if (!strcmp(req->method, "HEAD")) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (!strcmp(req->method, "PUT") ||
		   !strcmp(req->method, "POST") ||
		   !strcmp(req->method, "PATCH")) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
				 (curl_off_t)len);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, rc_on_read);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, rc_on_seek);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
	} else if (!strcmp(req->method, "DELETE")) {
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "DELETE");
	} else if (strcmp(req->method, "GET")) {
		return err_set(ERR_INVALID, "unknown HTTP method '%s'",
			       req->method);
	}
	return 0;
}

static int rc_add_header(struct curl_slist **hl, const char *name,
			 const char *value)
{
	char line[RC_URL_MAX];
	struct curl_slist *n;

	if (!value || !*value)
		return 0;
	if ((size_t)snprintf(line, sizeof(line), "%s: %s", name, value) >=
	    sizeof(line))
		return err_set(ERR_LIMIT, "HTTP header %s too long", name);
	n = curl_slist_append(*hl, line);
	if (!n)
		return err_set(ERR_NOMEM, "out of memory");
	*hl = n;
	return 0;
}

static int rc_headers(const struct rc_req *req, const struct buf *auth,
		      struct curl_slist **hl)
{
	int rc = 0;

	if (auth->len) {
		struct curl_slist *n = curl_slist_append(*hl, auth->data);

		if (!n)
			return err_set(ERR_NOMEM, "out of memory");
		*hl = n;
	}
	rc = rc_add_header(hl, "Accept", req->accept);
	if (!rc)
		rc = rc_add_header(hl, "Content-Type", req->content_type);
	if (!rc)
		rc = rc_add_header(hl, "Content-Range", req->content_range);
	if (!rc)
		rc = rc_add_header(hl, "Range", req->range);
	return rc;
}

static void rc_set_transport(CURL *h, struct regclient *c,
			     const struct rc_req *req)
{
	time_t left = req->deadline - time(NULL);

	curl_easy_setopt(h, CURLOPT_SHARE, c->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, RC_RECV_BUFFER);
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, RC_SEND_BUFFER);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, RC_CONNECT_TIMEOUT);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, RC_LOW_SPEED_TIME);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)(left > 1 ? left : 1));
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, rc_scheme_name(c));
	if (req->follow) {
		/* Blob GETs may redirect to storage; never downgrade. */
		curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
		curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR,
				 c->scheme == RC_SCHEME_HTTP ? "http,https"
							     : "https");
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	}
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	curl_easy_setopt(h, CURLOPT_USERAGENT, c->user_agent);
}

/* Failures of configuration or trust: the same on every attempt. */
static bool rc_fatal(const struct regclient *c, CURLcode cc)
{
	switch (cc) {
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
		return true;
	case CURLE_SSL_CONNECT_ERROR:
		return !c->allow_http;
	default:
		return false;
	}
}

/* One HTTP exchange with a given Authorization header. */
static int rc_perform(struct regclient *c, const struct rc_req *req,
		      struct rc_resp *resp, const struct buf *auth)
{
	struct rc_xfer x = { req, resp, NULL, 0, false };
	struct curl_slist *hl = NULL;
	char url[RC_URL_MAX];
	CURLcode cc;
	int rc;

	rc_resp_reset(resp);
	rc = rc_resolve_url(c, req->url, url, sizeof(url));
	if (rc)
		return rc;
	x.curl = curl_easy_init();
	if (!x.curl)
		return err_set(ERR_NOMEM, "cannot create an HTTP handle");
	rc = rc_headers(req, auth, &hl);
	if (!rc)
		rc = rc_set_method(x.curl, req);
	if (rc)
		goto out;
	curl_easy_setopt(x.curl, CURLOPT_URL, url);
	curl_easy_setopt(x.curl, CURLOPT_HTTPHEADER, hl);
	rc_set_transport(x.curl, c, req);
	curl_easy_setopt(x.curl, CURLOPT_HEADERFUNCTION, rc_on_header);
	curl_easy_setopt(x.curl, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_WRITEFUNCTION, rc_on_body);
	curl_easy_setopt(x.curl, CURLOPT_WRITEDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_READDATA, &x);
	curl_easy_setopt(x.curl, CURLOPT_SEEKDATA, &x);
	cc = curl_easy_perform(x.curl);
	curl_easy_getinfo(x.curl, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->rewound = x.rewound;
	resp->fatal = rc_fatal(c, cc);
	if (resp->sink_rc)
		rc = resp->sink_rc;
	else if (cc != CURLE_OK)
		rc = err_set(ERR_NET, "%s %s on registry '%s': %s%s",
			     req->method, req->url[0] == '/' ? req->url : "",
			     c->host, curl_easy_strerror(cc),
			     cc == CURLE_SSL_CONNECT_ERROR && !c->allow_http
			     ? " (plain HTTP needs a loopback host, "
			       "STELE_INSECURE_REGISTRIES or --insecure)" : "");
out:
	curl_slist_free_all(hl);
	curl_easy_cleanup(x.curl);
	return rc;
}

int rc_do_once(struct regclient *c, const struct rc_req *req,
	       struct rc_resp *resp)
{
	struct buf auth = BUF_INIT(RC_TOKEN_MAX + 64);
	int rc;

	rc = rc_auth_header(c, req->scope, &auth);
	if (!rc)
		rc = rc_perform(c, req, resp, &auth);
	if (rc || resp->status != 401)
		goto out;
	rc = rc_auth_challenge(c, resp, req->scope);
	if (!rc)
		rc = rc_auth_header(c, req->scope, &auth);
	if (rc)
		goto out;
	rc = rc_perform(c, req, resp, &auth);
	/* The first attempt may have consumed part of the body. */
	resp->rewound = true;
	if (!rc && resp->status == 401)
		rc = rc_auth_refused(c, req->scope != NULL);
out:
	buf_wipe(&auth);
	return rc;
}

int rc_do(struct regclient *c, const struct rc_req *req,
	  struct rc_resp *resp)
{
	int rc;

	for (int attempt = 0;; attempt++) {
		if (req->out)
			buf_clear(req->out);
		rc = rc_do_once(c, req, resp);
		if (!req->retry || resp->fatal ||
		    !rc_transient(rc, resp->status) ||
		    attempt >= c->retries || time(NULL) >= req->deadline)
			return rc;
		rc_backoff(attempt);
	}
}

/* The first OCI error of the body as "CODE: message", printable only. */
static void rc_oci_error(const struct rc_resp *resp, char *out, size_t len)
{
	json_error_t je;
	json_t *root, *e;
	const char *code, *msg;

	out[0] = '\0';
	if (!resp->err.len)
		return;
	root = json_loadb(resp->err.data, resp->err.len,
			  JSON_REJECT_DUPLICATES, &je);
	e = json_array_get(json_object_get(root, "errors"), 0);
	code = json_string_value(json_object_get(e, "code"));
	msg = json_string_value(json_object_get(e, "message"));
	if (code)
		snprintf(out, len, ": %s%s%s", code, msg ? ": " : "",
			 msg ? msg : "");
	json_decref(root);
	for (char *p = out; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			*p = '?';
}

int rc_status_error(const struct regclient *c, const struct rc_resp *resp,
		    const char *what)
{
	char detail[256];
	int code;

	rc_oci_error(resp, detail, sizeof(detail));
	switch (resp->status) {
	case 401: code = ERR_UNAUTH; break;
	case 403: code = ERR_DENIED; break;
	case 404: code = ERR_NOTFOUND; break;
	case 405: code = ERR_UNSUPPORTED; break;
	case 409: case 412: code = ERR_CONFLICT; break;
	case 413: case 416: code = ERR_LIMIT; break;
	default: code = strstr(detail, "DIGEST_INVALID") ? ERR_DIGEST
							 : ERR_NET;
	}
	return err_set(code, "%s on registry '%s': HTTP %ld%s", what, c->host,
		       resp->status, detail);
}

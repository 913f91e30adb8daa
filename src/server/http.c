/* Response helpers: OCI error bodies, JSON, files, the auth challenge. */
#include "server/http.h"
#include "util/err.h"
#include "util/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool decided(struct req *r)
{
	return r->resp != NULL || r->status != 0;
}

static void set_resp(struct req *r, unsigned int status,
		     struct MHD_Response *resp)
{
	if (!resp) {
		/* Out of memory: let the dispatcher answer 500. */
		return;
	}
	MHD_add_response_header(resp, "Docker-Distribution-API-Version",
				"registry/2.0");
	r->resp = resp;
	r->status = status;
}

static void respond_text(struct req *r, unsigned int status, char *body,
			 const char *content_type)
{
	struct MHD_Response *resp;

	resp = MHD_create_response_from_buffer(strlen(body), body,
					       MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(body);
		return;
	}
	MHD_add_response_header(resp, "Content-Type", content_type);
	set_resp(r, status, resp);
}

void http_error(struct req *r, unsigned int status, const char *code,
		const char *fmt, ...)
{
	char msg[512];
	json_t *j;
	va_list ap;

	if (decided(r))
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	j = json_pack("{s:[{s:s, s:s}]}", "errors", "code", code,
		      "message", msg);
	http_json(r, status, j, "application/json");
	json_decref(j);
}

void http_fail(struct req *r, int rc, const char *code)
{
	const char *msg = err_msg();

	switch (rc) {
	case ERR_NOTFOUND:
		http_error(r, 404, code, "%s", msg);
		break;
	case ERR_DIGEST:
		http_error(r, 400, "DIGEST_INVALID", "%s", msg);
		break;
	case ERR_INVALID:
	case ERR_UNSUPPORTED:
		http_error(r, 400, code, "%s", msg);
		break;
	case ERR_LIMIT:
		http_error(r, 413, "SIZE_INVALID", "%s", msg);
		break;
	case ERR_DENIED:
	case ERR_EXISTS:
		http_error(r, 403, "DENIED", "%s", msg);
		break;
	case ERR_CONFLICT:
		http_error(r, 409, "UNSUPPORTED", "%s", msg);
		break;
	default:
		/* Internal detail goes to the log, not to the client. */
		if (!decided(r))
			log_msg(LOG_ERROR, r->id, "%s", msg);
		http_error(r, 500, "UNKNOWN", "internal error (request %s)",
			   r->id);
		break;
	}
}

void http_empty(struct req *r, unsigned int status)
{
	struct MHD_Response *resp;

	if (decided(r))
		return;
	resp = MHD_create_response_from_buffer(0, NULL,
					       MHD_RESPMEM_PERSISTENT);
	set_resp(r, status, resp);
}

void http_json(struct req *r, unsigned int status, json_t *j,
	       const char *content_type)
{
	char *body;

	if (decided(r) || !j)
		return;
	body = json_dumps(j, JSON_COMPACT);
	if (body)
		respond_text(r, status, body, content_type);
}

void http_fd(struct req *r, unsigned int status, int fd, int64_t off,
	     int64_t len)
{
	struct MHD_Response *resp;

	if (decided(r)) {
		close(fd);
		return;
	}
	resp = MHD_create_response_from_fd_at_offset64((uint64_t)len, fd,
						       (uint64_t)off);
	if (!resp) {
		close(fd);
		return;
	}
	set_resp(r, status, resp);
}

void http_header(struct req *r, const char *name, const char *value)
{
	if (r->resp)
		MHD_add_response_header(r->resp, name, value);
}

const char *http_query(struct req *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND,
					   key);
}

const char *http_header_in(struct req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

static bool host_ok(const char *h)
{
	size_t n = strlen(h);

	if (!n || n > 255)
		return false;
	for (const char *p = h; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]", *p))
			return false;
	return true;
}

void http_base_url(struct req *r, char *out, size_t n)
{
	const struct server_config *c = &r->srv->cfg;
	const char *scheme = *c->tls_cert ? "https" : "http";
	const char *host = http_header_in(r, "Host");

	if (*c->url)
		snprintf(out, n, "%s", c->url);
	else if (host && host_ok(host))
		snprintf(out, n, "%s://%s", scheme, host);
	else
		snprintf(out, n, "%s://%s", scheme, c->listen);
}

void http_challenge(struct req *r, const char *scope, const char *error)
{
	char base[600], value[1200];
	int len;

	if (decided(r))
		return;
	http_base_url(r, base, sizeof(base));
	len = snprintf(value, sizeof(value),
		       "Bearer realm=\"%s/token\",service=\"%s\"", base,
		       SERVICE_NAME);
	if (scope && len > 0 && (size_t)len < sizeof(value))
		len += snprintf(value + len, sizeof(value) - (size_t)len,
				",scope=\"%s\"", scope);
	if (error && len > 0 && (size_t)len < sizeof(value))
		snprintf(value + len, sizeof(value) - (size_t)len,
			 ",error=\"%s\"", error);
	http_error(r, 401, "UNAUTHORIZED", "authentication required");
	http_header(r, "WWW-Authenticate", value);
}

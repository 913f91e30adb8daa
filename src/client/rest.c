/* JSON calls to the registry's REST API over the registry client's HTTP
 * layer (authentication, retries, limits). */
#include "client/rest.h"
#include "client/creds.h"
#include "client/http.h"
#include "oci/ref.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

int rest_open(const char *host, struct regclient **out)
{
	struct regclient_opts opts = { 0 };
	struct creds cr = { 0 };
	const char *h = host && *host ? host : getenv("STELE_REGISTRY");
	int rc;

	*out = NULL;
	if (!h || !*h)
		return err_set(ERR_USAGE, "no registry given and "
			       "STELE_REGISTRY is not set");
	if (strlen(h) > OCI_HOST_MAX ||
	    strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789.-:[]") != strlen(h))
		return err_set(ERR_INVALID, "'%s' is not a host[:port]", h);
	rc = creds_load(h, &cr);
	if (rc && rc != ERR_NOTFOUND)
		return rc;
	opts.username = cr.username;
	opts.password = cr.password;
	opts.identity_token = cr.identity_token;
	/* The REST API challenges with Basic: a first anonymous request
	 * would only earn a 401 (and an access log line) per call. */
	opts.basic_first = true;
	opts.retries = 1;
	opts.timeout_sec = 300;
	rc = regclient_new(h, &opts, out);
	creds_release(&cr);
	return rc;
}

int rest_query_escape(const char *s, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (; *s && !rc; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c))
			rc = buf_putc(out, (char)c);
		else
			rc = buf_printf(out, "%%%c%c", hex[c >> 4],
					hex[c & 15]);
	}
	return rc;
}

static int rest_status_error(long status, json_t *j)
{
	const char *msg = json_string_value(json_object_get(j, "error"));
	json_t *errs = json_object_get(j, "errors");

	if (!msg)
		msg = json_string_value(json_object_get(
			json_array_get(errs, 0), "message"));
	if (!msg)
		msg = "no explanation";
	if (status == 401)
		return err_set(ERR_UNAUTH, "%s", msg);
	if (status == 403)
		return err_set(ERR_DENIED, "%s", msg);
	if (status == 404)
		return err_set(ERR_NOTFOUND, "%s", msg);
	if (status == 409)
		return err_set(ERR_CONFLICT, "%s", msg);
	if (status >= 400 && status < 500)
		return err_set(ERR_INVALID, "%s", msg);
	return err_set(ERR_NET, "registry answered %ld: %s", status, msg);
}

int rest_call(struct regclient *c, const char *method, const char *path,
	      json_t *body, long *status, json_t **out)
{
	struct buf ok = BUF_INIT(REST_BODY_MAX);
	struct rc_req req = { 0 };
	struct rc_resp resp;
	char *text = NULL;
	const struct buf *got;
	int rc;

	*out = NULL;
	*status = 0;
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text)
			return err_set(ERR_NOMEM, "out of memory");
	}
	rc_resp_init(&resp);
	req.method = method;
	req.url = path;
	req.accept = "application/json";
	req.content_type = body ? "application/json" : NULL;
	req.body = (struct rc_body)RC_BODY_NONE;
	req.body.mem = text;
	req.body.mem_len = text ? strlen(text) : 0;
	req.out = &ok;
	req.retry = !strcmp(method, "GET");
	req.deadline = rc_deadline(c);
	rc = rc_do(c, &req, &resp);
	if (!rc) {
		*status = resp.status;
		got = resp.status >= 200 && resp.status < 300 ? &ok :
		      &resp.err;
		if (got->len)
			*out = json_loadb(got->data, got->len,
					  JSON_REJECT_DUPLICATES, NULL);
		if (got->len && !*out && got == &ok)
			rc = err_set(ERR_INVALID, "registry answer to %s %s "
				     "is not JSON", method, path);
		else if (resp.status < 200 || resp.status >= 300)
			rc = rest_status_error(resp.status, *out);
	}
	free(text);
	rc_resp_release(&resp);
	buf_release(&ok);
	return rc;
}

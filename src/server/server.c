/* The HTTP front: libmicrohttpd setup, the route table, request
 * dispatch with authentication, streamed bodies and the access log. */
#include "server/server.h"
#include "server/gov.h"
#include "server/http.h"
#include "server/token.h"
#include "sign/key.h"
#include "oci/digest.h"
#include "oci/ref.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Bodies of answered requests are read and dropped up to this size so
 * the client sees the answer; larger ones get the connection closed. */
#define DRAIN_MAX (16 << 20)
#define CONN_MEMORY (256 * 1024)
#define CONN_TIMEOUT 300
/* One thread per connection: cap them. */
#define CONN_LIMIT 1000

static const struct route routes[] = {
	{ "GET", R_BASE, 0, route_base },
	{ "HEAD", R_BASE, 0, route_base },
	{ "GET", R_CATALOG, 0, route_catalog },
	{ "GET", R_TOKEN, 0, route_token },
	{ "GET", R_BLOB, ACT_PULL, route_blob_get },
	{ "HEAD", R_BLOB, ACT_PULL, route_blob_get },
	{ "DELETE", R_BLOB, ACT_DELETE, route_blob_delete },
	{ "POST", R_UPLOADS, ACT_PUSH | ACT_PULL, route_upload_start },
	{ "GET", R_UPLOAD, ACT_PUSH | ACT_PULL, route_upload_status },
	{ "PATCH", R_UPLOAD, ACT_PUSH | ACT_PULL, route_upload_patch },
	{ "PUT", R_UPLOAD, ACT_PUSH | ACT_PULL, route_upload_put },
	{ "DELETE", R_UPLOAD, ACT_PUSH | ACT_PULL, route_upload_cancel },
	{ "GET", R_MANIFEST, ACT_PULL, route_manifest_get },
	{ "HEAD", R_MANIFEST, ACT_PULL, route_manifest_get },
	{ "PUT", R_MANIFEST, ACT_PUSH | ACT_PULL, route_manifest_put },
	{ "DELETE", R_MANIFEST, ACT_DELETE, route_manifest_delete },
	{ "GET", R_TAGS, ACT_PULL, route_tags_list },
	{ "GET", R_REFERRERS, ACT_PULL, route_referrers },
	{ "GET", R_USER, 0, route_user_get },
	{ "PATCH", R_USER, 0, route_user_patch },
	{ "GET", R_GOV, 0, route_gov },
	{ "POST", R_GOV, 0, route_gov },
	{ "DELETE", R_GOV, 0, route_gov },
	{ "GET", R_SCAN, ACT_PULL, route_scan_get },
	{ "GET", R_VULNS, 0, route_vulns },
	{ NULL, R_NONE, 0, NULL },
};

/* Last occurrence of needle in hay, or NULL. */
static const char *find_last(const char *hay, const char *needle)
{
	const char *found = NULL, *p = hay;

	while ((p = strstr(p, needle))) {
		found = p;
		p++;
	}
	return found;
}

static int set_name(struct req *r, const char *start, const char *end)
{
	size_t n = (size_t)(end - start);

	if (n == 0 || n > META_REPO_MAX)
		return -1;
	memcpy(r->repo, start, n);
	r->repo[n] = '\0';
	return oci_repo_valid(r->repo) ? 0 : -1;
}

static int set_ref(struct req *r, const char *s)
{
	if (strlen(s) >= sizeof(r->ref) || strchr(s, '/') || !*s)
		return -1;
	snprintf(r->ref, sizeof(r->ref), "%s", s);
	return 0;
}

/* Split /v2/NAME/... into the route kind, the repository and the
 * reference. Returns -1 for a bad name, 0 otherwise (R_NONE unknown). */
static int parse_path(struct req *r, const char *url)
{
	static const struct { const char *mark; enum route_kind k; } tails[] = {
		{ "/blobs/uploads/", R_UPLOAD },
		{ "/manifests/", R_MANIFEST },
		{ "/referrers/", R_REFERRERS },
		{ "/blobs/", R_BLOB },
	};
	const char *rest, *p;
	size_t n;

	if (!strcmp(url, "/token"))
		return r->kind = R_TOKEN, 0;
	if (!strncmp(url, "/api/v1/users/", 14)) {
		r->kind = R_USER;
		return set_ref(r, url + 14);
	}
	if (!strcmp(url, "/api/v1/vulnerabilities"))
		return r->kind = R_VULNS, 0;
	if (!strncmp(url, "/api/v1/repositories/", 21) &&
	    (p = find_last(url + 21, "/scans/"))) {
		r->kind = R_SCAN;
		if (set_ref(r, p + 7))
			return -1;
		return set_name(r, url + 21, p);
	}
	if (!strncmp(url, "/api/v1/", 8)) {
		r->kind = R_GOV;
		return set_ref(r, url + 8);
	}
	if (!strcmp(url, "/v2/") || !strcmp(url, "/v2"))
		return r->kind = R_BASE, 0;
	if (strncmp(url, "/v2/", 4))
		return 0;
	if (!strcmp(url, "/v2/_catalog"))
		return r->kind = R_CATALOG, 0;
	rest = url + 4;
	n = strlen(rest);
	if (n > 10 && !strcmp(rest + n - 10, "/tags/list")) {
		r->kind = R_TAGS;
		return set_name(r, rest, rest + n - 10);
	}
	if (n > 14 && !strcmp(rest + n - 14, "/blobs/uploads")) {
		r->kind = R_UPLOADS;
		return set_name(r, rest, rest + n - 14);
	}
	if (n > 15 && !strcmp(rest + n - 15, "/blobs/uploads/")) {
		r->kind = R_UPLOADS;
		return set_name(r, rest, rest + n - 15);
	}
	for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
		p = find_last(rest, tails[i].mark);
		if (!p)
			continue;
		r->kind = tails[i].k;
		if (set_ref(r, p + strlen(tails[i].mark)))
			return -1;
		return set_name(r, rest, p);
	}
	return 0;
}

static const char *action_words(int act)
{
	if (act & ACT_DELETE)
		return "delete";
	if (act & ACT_PUSH)
		return "pull,push";
	return "pull";
}

static const char *action_phrase(int act)
{
	if (act & ACT_DELETE)
		return "delete from";
	if (act & ACT_PUSH)
		return "push to";
	return "pull from";
}

/* Decide whether who may go on; answers 401/403 when not. */
static bool authorize(struct req *r, const struct route *rt)
{
	struct srv *s = r->srv;
	char scope[META_REPO_MAX + 40];
	int have;

	if (rt->kind == R_TOKEN || rt->kind == R_GOV)
		return true;   /* R_GOV: per endpoint, in routes_gov.c */
	if (rt->kind == R_USER || rt->kind == R_VULNS) {
		if (r->who.authenticated)
			return true;
		http_error(r, 401, "UNAUTHORIZED", "credentials required");
		http_header(r, "WWW-Authenticate", "Basic realm=\""
			    SERVICE_NAME "\"");
		return false;
	}
	if (!rt->action) {
		if (r->who.authenticated || s->cfg.anonymous_pull)
			return true;
		http_challenge(r, rt->kind == R_CATALOG ?
			       "registry:catalog:*" : NULL, NULL);
		return false;
	}
	have = authz_actions(s, &r->who, r->repo);
	if ((have & rt->action) == rt->action)
		return true;
	snprintf(scope, sizeof(scope), "repository:%s:%s", r->repo,
		 action_words(rt->action));
	/* A token short of a scope its user could get asks for a new one;
	 * a user whose role and grants never allow it is told so (403),
	 * not sent back to the password prompt. */
	if (!r->who.authenticated ||
	    (r->who.bearer && (authz_user_actions(s, r->who.user,
			r->who.role, r->repo) & rt->action) == rt->action)) {
		http_challenge(r, scope, r->who.authenticated ?
			       "insufficient_scope" : NULL);
		return false;
	}
	http_error(r, 403, "DENIED", "'%s' (%s) may not %s '%s'",
		   r->who.user, meta_role_name(r->who.role),
		   action_phrase(rt->action), r->repo);
	return false;
}

static void dispatch(struct req *r, const char *url)
{
	const struct route *rt = NULL;
	int rc;

	if (parse_path(r, url)) {
		http_error(r, 400, "NAME_INVALID", "invalid repository name "
			   "or reference");
		return;
	}
	if (r->kind == R_NONE) {
		http_error(r, 404, "NOT_FOUND", "no such endpoint");
		return;
	}
	for (const struct route *p = routes; p->method; p++)
		if (p->kind == r->kind && !strcmp(p->method, r->method))
			rt = p;
	if (!rt) {
		http_error(r, 405, "UNSUPPORTED", "method not allowed");
		return;
	}
	rc = authn_request(r->srv, r, &r->who);
	if (rc) {
		gov_audit(r->srv, r, "login", NULL, NULL, NULL, "denied",
			  err_msg());
		http_challenge(r, NULL, "invalid_token");
		return;
	}
	if (authorize(r, rt))
		rt->begin(r);
}

static bool may_answer_early(struct req *r)
{
	const char *cl = http_header_in(r, "Content-Length");
	const char *te = http_header_in(r, "Transfer-Encoding");

	/* Without a body, answering on the last call keeps the connection
	 * alive; a small body is drained so the client reads the answer. */
	if (te)
		return true;
	if (!cl)
		return false;
	return strtoll(cl, NULL, 10) > DRAIN_MAX;
}

void http_client_addr(struct req *r, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(
		r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, n, "-");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
			  out, (socklen_t)n);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)n);
}

/* One line per request: who, from where, what, and the outcome. The
 * path is the client's: blanks and control characters are escaped so a
 * request cannot forge a line or a field. */
static void access_log(struct req *r, const char *url)
{
	struct srv *s = r->srv;
	char path[512], from[64], when[32];
	struct timespec ts;
	struct tm tm;
	size_t i;

	for (i = 0; *url && i + 4 < sizeof(path); url++) {
		unsigned char c = (unsigned char)*url;

		if (c <= 0x20 || c == 0x7f)
			i += (size_t)snprintf(path + i, 4, "%%%02X", c);
		else
			path[i++] = (char)c;
	}
	path[i] = '\0';
	http_client_addr(r, from, sizeof(from));
	if (!s->access) {
		log_msg(LOG_INFO, r->id, "%s %s %s %u %s %lld", from,
			r->method, path, r->status, r->who.authenticated ?
			r->who.user : "-", (long long)r->body_seen);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	pthread_mutex_lock(&s->access_lock);
	fprintf(s->access, "%s %s %s %s %s %u %s %lld\n", when, r->id, from,
		r->method, path, r->status, r->who.authenticated ?
		r->who.user : "-", (long long)r->body_seen);
	fflush(s->access);
	pthread_mutex_unlock(&s->access_lock);
}

static enum MHD_Result queue(struct req *r, const char *url)
{
	enum MHD_Result ok;

	if (!r->resp) {
		r->status = 0;
		http_error(r, 500, "UNKNOWN", "internal error");
	}
	if (!r->resp)
		return MHD_NO;
	access_log(r, url);
	ok = MHD_queue_response(r->conn, r->status, r->resp);
	MHD_destroy_response(r->resp);
	r->resp = NULL;
	r->drain = true;
	return ok;
}

static struct req *req_new(struct srv *s, struct MHD_Connection *c,
			   const char *method)
{
	struct req *r = calloc(1, sizeof(*r));
	unsigned char rnd[8];

	if (!r)
		return NULL;
	r->srv = s;
	r->conn = c;
	r->method = method;
	r->range_end = -1;
	buf_init(&r->buf, 0);
	if (fs_random(rnd, sizeof(rnd)))
		memset(rnd, 0, sizeof(rnd));
	hex_encode(rnd, sizeof(rnd), r->id);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *data,
				  size_t *size, void **con_cls)
{
	struct req *r = *con_cls;

	if (!r) {
		r = req_new(cls, c, method);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		err_clear();
		dispatch(r, url);
		if (r->resp && may_answer_early(r))
			return queue(r, url);
		return MHD_YES;
	}
	if (*size) {
		if (!r->resp && !r->drain && r->body)
			r->body(r, data, *size);
		r->body_seen += (int64_t)*size;
		*size = 0;
		return MHD_YES;
	}
	if (r->drain)
		return MHD_YES;
	if (!r->resp && r->body)
		r->body(r, NULL, 0);
	/* Give the session back before the client can see the answer and
	 * send its next chunk. */
	if (r->up) {
		r->up->bs->ops->upload_release(r->up);
		r->up = NULL;
	}
	route_upload_done(r);
	return queue(r, url);
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls,
		    enum MHD_RequestTerminationCode toe)
{
	struct req *r = *con_cls;

	if (!r)
		return;
	route_upload_done(r);
	if (r->up)
		r->up->bs->ops->upload_release(r->up);
	if (r->resp)
		MHD_destroy_response(r->resp);
	buf_release(&r->buf);
	authn_release(&r->who);
	free(r);
	*con_cls = NULL;
}

/* "127.0.0.1:5000", "[::1]:5000", ":5000" into a socket address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss,
			bool *v6)
{
	const char *colon = strrchr(s, ':');
	char host[128];
	size_t hl;
	long port;
	char *end;

	if (!colon)
		return err_set(ERR_INVALID, "listen address '%s' has no "
			       "port", s);
	port = strtol(colon + 1, &end, 10);
	hl = (size_t)(colon - s);
	if (*end || port < 0 || port > 65535 || hl >= sizeof(host))
		return err_set(ERR_INVALID, "bad listen address '%s'", s);
	memcpy(host, s, hl);
	host[hl] = '\0';
	memset(ss, 0, sizeof(*ss));
	*v6 = host[0] == '[';
	if (*v6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		if (hl < 2 || host[hl - 1] != ']')
			return err_set(ERR_INVALID, "bad address '%s'", s);
		host[hl - 1] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return err_set(ERR_INVALID, "bad address '%s'", s);
		return 0;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;

	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	if (!*host)
		a->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return err_set(ERR_INVALID, "bad address '%s' (use an IP "
			       "address)", s);
	return 0;
}

/* One server per data directory: its upload cache and GC lock are in
 * memory, so a second process would race them. The lock dies with the
 * process, kill -9 included. */
static int data_lock(const char *data, int *out)
{
	char path[PATH_MAX + 32];
	int fd;

	snprintf(path, sizeof(path), "%s/serve.lock", data);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", path);
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return err_set(ERR_CONFLICT, "data directory '%s' is "
				       "in use by another stele serve", data);
		return err_setsys(ERR_IO, e, "cannot lock '%s'", path);
	}
	*out = fd;
	return 0;
}

static int srv_open(struct srv *s, const struct server_config *cfg)
{
	char path[PATH_MAX + 32];
	int rc;

	memset(s, 0, sizeof(*s));
	s->data_lock = -1;
	s->cfg = *cfg;
	pthread_mutex_init(&s->cache_lock, NULL);
	pthread_rwlock_init(&s->gc_lock, NULL);
	pthread_mutex_init(&s->access_lock, NULL);
	rc = fs_mkdirs(cfg->data, 0700);
	if (!rc)
		rc = data_lock(cfg->data, &s->data_lock);
	if (!rc && *cfg->access_log) {
		s->access = fopen(cfg->access_log, "ae");
		if (!s->access)
			rc = err_setsys(ERR_IO, errno, "cannot open '%s'",
					cfg->access_log);
	}
	if (!rc)
		rc = meta_sqlite_open(cfg->data, &s->meta);
	if (!rc)
		rc = blobstore_fs_open(cfg->data, &s->bs);
	snprintf(path, sizeof(path), "%s/token-key.pem", cfg->data);
	if (!rc)
		rc = token_key_load(path, &s->token_key);
	if (!rc)
		rc = fs_random(s->cache_key, sizeof(s->cache_key));
	/* One copy of the signing key, shared by governance and the
	 * pipeline workers; srv_close frees it after both stopped. */
	if (!rc)
		rc = pipeline_server_key(cfg->data, &s->sign_key);
	if (!rc)
		rc = gov_srv_open(s);
	if (!rc)
		rc = pipeline_open(cfg->data, &s->pipeline);
	return rc;
}

/* Jobs interrupted by a crash run again; an advisory import whose
 * re-evaluation never ran (the importer died) is re-evaluated. */
static int pipeline_resume(struct srv *s)
{
	struct pipeline_ctx ctx = {
		.db = s->pipeline, .meta = s->meta, .bs = s->bs,
		.gc_lock = &s->gc_lock, .data = s->cfg.data,
		.key = s->sign_key,
	};
	char fp[DIGEST_STR_LEN];
	int n = 0, rc = pipeline_recover(s->pipeline, &n);

	if (!rc && !sign_key_fingerprint(s->sign_key, fp))
		log_msg(LOG_INFO, "-", "scan results signed by %s/keys/"
			"signing.pub (%s)", s->cfg.data, fp);

	if (!rc && n)
		log_msg(LOG_INFO, "-", "%d interrupted jobs queued again", n);
	if (!rc)
		rc = pipeline_reeval_if_stale(s->pipeline, s->cfg.data);
	if (!rc)
		rc = pipeline_workers_start(&ctx, s->cfg.scan_workers,
					    &s->workers);
	return rc;
}

static void srv_close(struct srv *s)
{
	pipeline_workers_stop(s->workers);
	gov_srv_close(s);
	pipeline_close(s->pipeline);
	sign_key_free(s->sign_key);
	meta_close(s->meta);
	blobstore_close(s->bs);
	EVP_PKEY_free(s->token_key);
	free(s->cache);
	pthread_mutex_destroy(&s->cache_lock);
	pthread_rwlock_destroy(&s->gc_lock);
	if (s->access)
		fclose(s->access);
	pthread_mutex_destroy(&s->access_lock);
	if (s->data_lock >= 0)
		close(s->data_lock);
}

struct tls_files {
	struct buf cert;
	struct buf key;
};

static int tls_load(const struct server_config *c, struct tls_files *t)
{
	int rc;

	if (!*c->tls_cert)
		return 0;
	if (!*c->tls_key)
		return err_set(ERR_INVALID, "tls_cert needs tls_key");
	rc = fs_read_file(c->tls_cert, 1 << 20, &t->cert);
	if (!rc)
		rc = fs_read_file(c->tls_key, 1 << 20, &t->key);
	return rc;
}

/* libmicrohttpd's own messages become server log lines. A request it
 * cannot parse (clients probing for TLS on a plain-HTTP port, which
 * stele's own client does) is only worth a debug line. */
__attribute__((format(printf, 2, 0)))
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[512];

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_msg(strstr(line, "Request malformed") ? LOG_DEBUG : LOG_WARN,
		NULL, "libmicrohttpd: %s", line);
}

/* A %00 would cut the C strings the routes check, so "v1%00x" would
 * act as tag "v1". Such a URL stays undecoded and fails those checks. */
static size_t unescape_no_nul(void *cls, struct MHD_Connection *c, char *s)
{
	(void)cls;
	(void)c;
	if (strstr(s, "%00"))
		return strlen(s);
	return MHD_http_unescape(s);
}

static int listen_error(const char *addr, int e)
{
	if (e == EADDRINUSE)
		return err_set(ERR_IO, "cannot listen on %s: address already "
			       "in use (another server? use --listen)", addr);
	if (e == EACCES)
		return err_set(ERR_IO, "cannot listen on %s: permission "
			       "denied (ports below 1024 need privileges; "
			       "use --listen)", addr);
	if (e == EADDRNOTAVAIL)
		return err_set(ERR_IO, "cannot listen on %s: no such local "
			       "address (use --listen)", addr);
	return err_setsys(ERR_IO, e, "cannot listen on %s", addr);
}

/* Bind and listen before anything is created on disk: a busy port fails
 * the start with one line and leaves no data directory behind. */
static int listen_open(const char *addr, int *out)
{
	struct sockaddr_storage ss;
	socklen_t len;
	bool v6 = false;
	int fd, on = 1, e;

	*out = -1;
	if (parse_listen(addr, &ss, &v6))
		return ERR_INVALID;
	fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot listen on %s", addr);
	len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (v6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) || listen(fd, SOMAXCONN)) {
		e = errno;
		close(fd);
		return listen_error(addr, e);
	}
	*out = fd;
	return 0;
}

/* The daemon takes over fd, the socket listen_open() bound. */
static struct MHD_Daemon *daemon_start(struct srv *s, struct tls_files *t,
				       int fd)
{
	unsigned int flags = MHD_USE_THREAD_PER_CONNECTION |
			     MHD_USE_INTERNAL_POLLING_THREAD |
			     MHD_USE_ERROR_LOG;
	struct MHD_Daemon *d;

	if (s->cfg.listen[0] == '[')
		flags |= MHD_USE_IPv6;
	if (t->cert.len)
		flags |= MHD_USE_TLS;
	d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
		MHD_OPTION_NOTIFY_COMPLETED, on_done, s,
		MHD_OPTION_UNESCAPE_CALLBACK, unescape_no_nul, NULL,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)CONN_TIMEOUT,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)CONN_LIMIT,
		t->cert.len ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
		buf_cstr(&t->cert),
		MHD_OPTION_HTTPS_MEM_KEY, buf_cstr(&t->key),
		MHD_OPTION_END);
	if (!d)
		err_set(ERR_IO, "cannot start the HTTP server on %s%s",
			s->cfg.listen, t->cert.len ? " (TLS setup failed?)" :
			"");
	return d;
}

struct gc_thread {
	struct srv *srv;
	pthread_t tid;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
};

static void *gc_main(void *arg)
{
	struct gc_thread *g = arg;
	struct timespec until;

	pthread_mutex_lock(&g->lock);
	while (!g->stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += g->srv->cfg.gc_interval;
		pthread_cond_timedwait(&g->cond, &g->lock, &until);
		if (g->stop)
			break;
		pthread_mutex_unlock(&g->lock);
		if (gc_run_once(g->srv, (int64_t)time(NULL)))
			log_msg(LOG_WARN, "gc", "%s", err_msg());
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

static void wait_for_signal(void)
{
	sigset_t set;
	int sig;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigwait(&set, &sig);
}

static void block_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
}

static void announce(int fd, const struct srv *s)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	unsigned int port = 0;
	char host[128];
	const char *colon = strrchr(s->cfg.listen, ':');
	size_t hl = (size_t)(colon - s->cfg.listen);

	if (hl >= sizeof(host))
		hl = sizeof(host) - 1;
	memcpy(host, s->cfg.listen, hl);
	host[hl] = '\0';
	if (!getsockname(fd, (struct sockaddr *)&ss, &len))
		port = ntohs(ss.ss_family == AF_INET6 ?
			     ((struct sockaddr_in6 *)&ss)->sin6_port :
			     ((struct sockaddr_in *)&ss)->sin_port);
	printf("listening on %s://%s:%u\n", *s->cfg.tls_cert ? "https" :
	       "http", *host ? host : "0.0.0.0", port);
	gov_srv_announce(s);
	fflush(stdout);
}

int server_run(const struct server_config *cfg)
{
	struct srv s;
	struct tls_files t = { BUF_INIT(1 << 20), BUF_INIT(1 << 20) };
	struct MHD_Daemon *d = NULL;
	struct gc_thread g = { .srv = &s };
	char why[1024];
	int lvl, rc, fd;

	lvl = log_level_parse(cfg->log_level);
	log_init(stderr, lvl < 0 ? LOG_INFO : (enum log_level)lvl);
	block_signals();
	rc = listen_open(cfg->listen, &fd);
	if (rc)
		return rc;
	rc = srv_open(&s, cfg);
	if (!rc)
		rc = pipeline_resume(&s);
	if (!rc)
		rc = tls_load(cfg, &t);
	if (!rc) {
		/* From here the socket is libmicrohttpd's, even on failure. */
		d = daemon_start(&s, &t, fd);
		if (!d)
			rc = ERR_IO;
	} else {
		close(fd);
	}
	if (!rc) {
		announce(fd, &s);
		pthread_mutex_init(&g.lock, NULL);
		pthread_cond_init(&g.cond, NULL);
		if (cfg->gc_interval > 0)
			pthread_create(&g.tid, NULL, gc_main, &g);
		wait_for_signal();
		pthread_mutex_lock(&g.lock);
		g.stop = true;
		pthread_cond_signal(&g.cond);
		pthread_mutex_unlock(&g.lock);
		if (cfg->gc_interval > 0)
			pthread_join(g.tid, NULL);
		MHD_stop_daemon(d);
		pipeline_workers_stop(s.workers);
		s.workers = NULL;
		log_msg(LOG_INFO, "-", "stopped");
	}
	buf_wipe(&t.key);
	buf_release(&t.cert);
	/* The failure that stopped the start is the one to report. */
	snprintf(why, sizeof(why), "%s", err_msg());
	srv_close(&s);
	if (rc)
		err_set(rc, "%s", why);
	return rc;
}

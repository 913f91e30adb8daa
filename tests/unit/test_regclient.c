/*
 * Registry client against an in-process mock registry (libmicrohttpd on
 * loopback): pagination, referrers fallback, limits, refusal of foreign
 * origins, Range resume, retries, the bearer token cache.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/regclient.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/sha256.h"

#define BLOB_SIZE (3u << 20)

/* What the mock serves; set by each test before it calls the client. */
struct mock {
	pthread_mutex_t lock;
	struct MHD_Daemon *d;
	uint16_t port;
	char host[64];
	unsigned char *blob;
	char blob_digest[DIGEST_STR_LEN];
	/* scenario */
	int fail_first;          /* answer 503 this many times */
	bool break_blob;         /* first blob GET stops half-way */
	bool ignore_range;       /* answer Range requests with 200 */
	bool corrupt_blob;       /* serve one flipped byte */
	bool foreign_link;       /* tag list Link to another origin */
	bool no_referrers_api;   /* 404 on /referrers/ */
	bool bearer;             /* require a token */
	bool huge_manifest;      /* > 4 MiB manifest */
	bool local_location;     /* upload sessions on the mock itself */
	bool fail_second_patch;  /* lose the second PATCH, answer 500 */
	bool allow_mount;        /* answer mount requests with 201 */
	char mount_from[64];
	/* upload session state */
	int patches;
	uint64_t up_received;
	struct sha256 up_hash;
	char up_digest[DIGEST_STR_LEN];
	bool up_cancelled;
	/* observations */
	int token_requests;
	char token_method[8];
	char token_form[512];
	int blob_gets;
	char last_range[64];
	char last_auth[256];
};

static struct mock m;

/* Per-request state of the mock (the body of PATCH and PUT). */
struct mock_conn {
	bool discard;    /* drop this PATCH's bytes and answer 500 */
	bool bad_range;  /* Content-Range does not start at the offset */
	uint64_t got;
	char body[512];  /* the start of other bodies (token POSTs) */
};

static enum MHD_Result mock_send(struct MHD_Connection *c, unsigned status,
				 const char *body, size_t len,
				 const char *h1, const char *v1,
				 const char *h2, const char *v2)
{
	char *copy = malloc(len ? len : 1);
	struct MHD_Response *r;
	enum MHD_Result ret;

	memcpy(copy, body, len);
	r = MHD_create_response_from_buffer(len, copy, MHD_RESPMEM_MUST_FREE);
	if (h1)
		MHD_add_response_header(r, h1, v1);
	if (h2)
		MHD_add_response_header(r, h2, v2);
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result mock_text(struct MHD_Connection *c, unsigned status,
				 const char *body)
{
	return mock_send(c, status, body, strlen(body), "Content-Type",
			 "application/json", NULL, NULL);
}

struct half {
	size_t sent, stop;
};

static ssize_t mock_half_reader(void *cls, uint64_t pos, char *buf,
				size_t max)
{
	struct half *h = cls;

	if (pos >= h->stop)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (max > h->stop - pos)
		max = h->stop - pos;
	memcpy(buf, m.blob + pos, max);
	return (ssize_t)max;
}

static enum MHD_Result mock_blob(struct MHD_Connection *c)
{
	const char *range = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							"Range");
	unsigned long long from = 0;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char cr[96];
	int n;

	pthread_mutex_lock(&m.lock);
	n = m.blob_gets++;
	snprintf(m.last_range, sizeof(m.last_range), "%s",
		 range ? range : "");
	pthread_mutex_unlock(&m.lock);
	if (m.break_blob && n == 0) {
		static struct half h;

		h.stop = BLOB_SIZE / 2;
		r = MHD_create_response_from_callback(BLOB_SIZE, 65536,
						      mock_half_reader, &h,
						      NULL);
		ret = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return ret;
	}
	if (range && !m.ignore_range &&
	    sscanf(range, "bytes=%llu-", &from) == 1 && from < BLOB_SIZE) {
		snprintf(cr, sizeof(cr), "bytes %llu-%u/%u", from,
			 BLOB_SIZE - 1, BLOB_SIZE);
		return mock_send(c, 206, (char *)m.blob + from,
				 BLOB_SIZE - from, "Content-Range", cr, NULL,
				 NULL);
	}
	if (m.corrupt_blob) {
		enum MHD_Result res;

		m.blob[10] ^= 1;
		res = mock_send(c, 200, (char *)m.blob, BLOB_SIZE, NULL, NULL,
				NULL, NULL);
		m.blob[10] ^= 1;
		return res;
	}
	return mock_send(c, 200, (char *)m.blob, BLOB_SIZE, NULL, NULL, NULL,
			 NULL);
}

static const char index_two[] =
	"{\"schemaVersion\":2,\"mediaType\":"
	"\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"digest\":\"sha256:1111111111111111111111111111111111111111111111"
	"111111111111111111\",\"size\":10,\"artifactType\":\"a/sig\"},"
	"{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
	"\"digest\":\"sha256:2222222222222222222222222222222222222222222222"
	"222222222222222222\",\"size\":10,\"artifactType\":\"a/scan\"}]}";

static enum MHD_Result mock_manifest(struct MHD_Connection *c,
				     const char *ref)
{
	static const char body[] = "{\"schemaVersion\":2}";
	char digest[DIGEST_STR_LEN];

	if (m.huge_manifest) {
		size_t n = REGCLIENT_MANIFEST_MAX + 10;
		char *big = malloc(n);
		enum MHD_Result ret;

		memset(big, ' ', n);
		ret = mock_send(c, 200, big, n, NULL, NULL, NULL, NULL);
		free(big);
		return ret;
	}
	if (!strncmp(ref, "sha256-", 7)) {
		sha256_digest_buf(index_two, strlen(index_two), digest);
		return mock_send(c, 200, index_two, strlen(index_two),
				 "Content-Type", "application/vnd.oci.image."
				 "index.v1+json", "Docker-Content-Digest",
				 digest);
	}
	if (strcmp(ref, "v1"))
		return mock_text(c, 404, "{\"errors\":[{\"code\":\"MANIFEST_"
				 "UNKNOWN\",\"message\":\"nope\"}]}");
	sha256_digest_buf(body, strlen(body), digest);
	return mock_send(c, 200, body, strlen(body), "Content-Type",
			 "application/vnd.oci.image.manifest.v1+json",
			 "Docker-Content-Digest", digest);
}

static enum MHD_Result mock_tags(struct MHD_Connection *c)
{
	static const char page[] = "{\"name\":\"r\",\"tags\":[\"a\",\"b\"]}";
	const char *last = MHD_lookup_connection_value(c,
						       MHD_GET_ARGUMENT_KIND,
						       "last");
	char link[128];

	if (last)
		return mock_text(c, 200, "{\"name\":\"r\",\"tags\":[\"c\"]}");
	snprintf(link, sizeof(link), "<%s/v2/r/tags/list?n=2&last=b>; "
		 "rel=\"next\"", m.foreign_link ? "http://127.0.0.2:1" : "");
	return mock_send(c, 200, page, strlen(page), "Link", link, NULL,
			 NULL);
}

static enum MHD_Result mock_token(struct MHD_Connection *c,
				  const char *method, struct mock_conn *mc)
{
	pthread_mutex_lock(&m.lock);
	m.token_requests++;
	snprintf(m.token_method, sizeof(m.token_method), "%s", method);
	snprintf(m.token_form, sizeof(m.token_form), "%s", mc->body);
	pthread_mutex_unlock(&m.lock);
	return mock_text(c, 200, "{\"token\":\"tok-abc\",\"expires_in\":300}");
}

/* The bearer gate: 1 when the request may proceed. */
static int mock_authorized(struct MHD_Connection *c, enum MHD_Result *ret)
{
	const char *a = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    "Authorization");
	char chal[256];

	pthread_mutex_lock(&m.lock);
	snprintf(m.last_auth, sizeof(m.last_auth), "%s", a ? a : "");
	pthread_mutex_unlock(&m.lock);
	if (!m.bearer || (a && !strcmp(a, "Bearer tok-abc")))
		return 1;
	snprintf(chal, sizeof(chal), "Bearer realm=\"http://%s/token\","
		 "service=\"mock\"", m.host);
	*ret = mock_send(c, 401, "{}", 2, "WWW-Authenticate", chal, NULL,
			 NULL);
	return 0;
}

static enum MHD_Result mock_range(struct MHD_Connection *c, unsigned status)
{
	char range[64];

	snprintf(range, sizeof(range), "0-%llu", m.up_received ?
		 (unsigned long long)m.up_received - 1 : 0ULL);
	return mock_send(c, status, "", 0, "Range", range, "Location",
			 "/v2/r/blobs/uploads/u1");
}

static enum MHD_Result mock_finish(struct MHD_Connection *c)
{
	const char *want = MHD_lookup_connection_value(
		c, MHD_GET_ARGUMENT_KIND, "digest");

	sha256_final_digest(&m.up_hash, m.up_digest);
	if (!want || strcmp(want, m.up_digest))
		return mock_text(c, 400, "{\"errors\":[{\"code\":"
				 "\"DIGEST_INVALID\"}]}");
	return mock_send(c, 201, "", 0, "Docker-Content-Digest", m.up_digest,
			 NULL, NULL);
}

static enum MHD_Result mock_session(struct MHD_Connection *c,
				    const char *method, struct mock_conn *mc)
{
	if (!strcmp(method, "PATCH") && mc->bad_range)
		return mock_text(c, 416, "{}");
	if (!strcmp(method, "PATCH") && mc->discard)
		return mock_text(c, 500, "{}");
	if (!strcmp(method, "PATCH")) {
		m.up_received += mc->got;
		return mock_range(c, 202);
	}
	if (!strcmp(method, "GET"))
		return mock_range(c, 204);
	if (!strcmp(method, "DELETE")) {
		m.up_cancelled = true;
		return mock_send(c, 204, "", 0, NULL, NULL, NULL, NULL);
	}
	return mock_finish(c);
}

static enum MHD_Result mock_start_upload(struct MHD_Connection *c)
{
	const char *mount = MHD_lookup_connection_value(
		c, MHD_GET_ARGUMENT_KIND, "mount");
	const char *from = MHD_lookup_connection_value(
		c, MHD_GET_ARGUMENT_KIND, "from");

	snprintf(m.mount_from, sizeof(m.mount_from), "%s", from ? from : "");
	if (mount && m.allow_mount)
		return mock_send(c, 201, "", 0, "Docker-Content-Digest", mount,
				 "Location", "/v2/r/blobs/x");
	if (!m.local_location)
		return mock_send(c, 202, "", 0, "Location",
				 "http://127.0.0.2:9/v2/r/blobs/uploads/x",
				 NULL, NULL);
	m.up_received = 0;
	m.patches = 0;
	m.up_cancelled = false;
	sha256_release(&m.up_hash);
	sha256_init(&m.up_hash);
	return mock_send(c, 202, "", 0, "Location", "/v2/r/blobs/uploads/u1",
			 NULL, NULL);
}

static enum MHD_Result mock_route(struct MHD_Connection *c, const char *url,
				  const char *method, struct mock_conn *mc)
{
	enum MHD_Result ret;

	if (!strcmp(url, "/token"))
		return mock_token(c, method, mc);
	if (!mock_authorized(c, &ret))
		return ret;
	if (m.fail_first > 0) {
		m.fail_first--;
		return mock_text(c, 503, "{}");
	}
	if (!strcmp(url, "/v2/"))
		return mock_text(c, 200, "{}");
	if (!strcmp(url, "/v2/r/tags/list"))
		return mock_tags(c);
	if (!strncmp(url, "/v2/r/referrers/", 16)) {
		if (m.no_referrers_api)
			return mock_text(c, 404, "404 page not found");
		return mock_send(c, 200, index_two, strlen(index_two),
				 "Content-Type", "application/vnd.oci.image."
				 "index.v1+json", NULL, NULL);
	}
	if (!strncmp(url, "/v2/r/manifests/", 16) && !strcmp(method, "DELETE"))
		return mock_text(c, strcmp(url + 16, "v1") ? 405 : 202, "{}");
	if (!strncmp(url, "/v2/r/manifests/", 16))
		return mock_manifest(c, url + 16);
	if (!strcmp(url, "/v2/r/blobs/uploads/u1"))
		return mock_session(c, method, mc);
	if (!strncmp(url, "/v2/r/blobs/uploads/", 20))
		return mock_start_upload(c);
	if (!strncmp(url, "/v2/r/blobs/", 12) && !strcmp(method, "HEAD"))
		return mock_text(c, 404, "{}");
	if (!strncmp(url, "/v2/r/blobs/", 12))
		return mock_blob(c);
	return mock_text(c, 404, "{}");
}

static void mock_patch_begin(struct MHD_Connection *c,
			     struct mock_conn *mc)
{
	const char *cr = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     "Content-Range");
	unsigned long long start = 0;

	m.patches++;
	mc->discard = m.fail_second_patch && m.patches == 2;
	mc->bad_range = !cr || sscanf(cr, "%llu-", &start) != 1 ||
			start != m.up_received;
}

static enum MHD_Result mock_handler(void *cls, struct MHD_Connection *c,
				    const char *url, const char *method,
				    const char *version, const char *data,
				    size_t *data_size, void **con_cls)
{
	struct mock_conn *mc = *con_cls;

	if (!mc) {
		mc = calloc(1, sizeof(*mc));
		*con_cls = mc;
		if (mc && !strcmp(method, "PATCH"))
			mock_patch_begin(c, mc);
		return mc ? MHD_YES : MHD_NO;
	}
	if (*data_size) {
		/* Only PATCH bodies are looked at: they are the blob. */
		if (!strcmp(method, "PATCH") && !mc->discard &&
		    !mc->bad_range)
			sha256_update(&m.up_hash, data, *data_size);
		else if (mc->got + *data_size < sizeof(mc->body))
			memcpy(mc->body + mc->got, data, *data_size);
		mc->got += *data_size;
		*data_size = 0;
		return MHD_YES;
	}
	return mock_route(c, url, method, mc);
}

static void mock_completed(void *cls, struct MHD_Connection *c,
			   void **con_cls, enum MHD_RequestTerminationCode t)
{
	free(*con_cls);
	*con_cls = NULL;
}

static int mock_start(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const union MHD_DaemonInfo *info;

	memset(&m, 0, sizeof(m));
	pthread_mutex_init(&m.lock, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	m.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
			       MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL,
			       mock_handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
			       MHD_OPTION_NOTIFY_COMPLETED, mock_completed,
			       NULL, MHD_OPTION_END);
	assert_non_null(m.d);
	info = MHD_get_daemon_info(m.d, MHD_DAEMON_INFO_BIND_PORT);
	m.port = info->port;
	snprintf(m.host, sizeof(m.host), "127.0.0.1:%u", m.port);
	m.blob = malloc(BLOB_SIZE);
	for (size_t i = 0; i < BLOB_SIZE; i++)
		m.blob[i] = (unsigned char)(i * 2654435761u >> 13);
	sha256_digest_buf(m.blob, BLOB_SIZE, m.blob_digest);
	return 0;
}

static int mock_stop(void **state)
{
	MHD_stop_daemon(m.d);
	sha256_release(&m.up_hash);
	free(m.blob);
	pthread_mutex_destroy(&m.lock);
	return 0;
}

static struct regclient *client(void)
{
	/* Small chunks keep the upload tests' files small. */
	struct regclient_opts o = { .retries = 3, .timeout_sec = 30,
				    .monolithic_max = 1u << 20,
				    .chunk_size = 1u << 20 };
	struct regclient *c = NULL;

	assert_int_equal(regclient_new(m.host, &o, &c), 0);
	return c;
}

static void reset(void)
{
	m.fail_first = 0;
	m.break_blob = m.ignore_range = m.corrupt_blob = false;
	m.foreign_link = m.no_referrers_api = m.bearer = false;
	m.huge_manifest = m.local_location = m.fail_second_patch = false;
	m.allow_mount = false;
	m.patches = 0;
	m.token_requests = m.blob_gets = 0;
}

static int collect_tag(const char *tag, void *arg)
{
	return buf_printf(arg, "%s,", tag);
}

static void test_tags_list_follows_link_pages(void **state)
{
	struct regclient *c = client();
	struct buf b = BUF_INIT(1024);

	reset();
	assert_int_equal(regclient_tags_list(c, "r", collect_tag, &b), 0);
	assert_string_equal(buf_cstr(&b), "a,b,c,");
	buf_release(&b);
	regclient_free(c);
}

static void test_tags_list_refuses_foreign_link(void **state)
{
	struct regclient *c = client();
	struct buf b = BUF_INIT(1024);

	reset();
	m.foreign_link = true;
	assert_int_equal(regclient_tags_list(c, "r", collect_tag, &b),
			 ERR_NET);
	assert_non_null(strstr(err_msg(), "another origin"));
	buf_release(&b);
	regclient_free(c);
}

static void test_referrers_api_filtered_client_side(void **state)
{
	struct regclient *c = client();
	struct buf out = BUF_INIT(16);

	reset();
	assert_int_equal(regclient_referrers(c, "r", m.blob_digest, "a/scan",
					     &out), 0);
	assert_null(strstr(out.data, "a/sig"));
	assert_non_null(strstr(out.data, "a/scan"));
	buf_release(&out);
	regclient_free(c);
}

static void test_referrers_fall_back_to_tag_schema(void **state)
{
	struct regclient *c = client();
	struct buf out = BUF_INIT(16);

	reset();
	m.no_referrers_api = true;
	assert_int_equal(regclient_referrers(c, "r", m.blob_digest, NULL,
					     &out), 0);
	assert_non_null(strstr(out.data, "a/sig"));
	assert_non_null(strstr(out.data, "a/scan"));
	buf_release(&out);
	regclient_free(c);
}

static void test_manifest_over_limit_is_refused(void **state)
{
	struct regclient *c = client();
	struct buf body = BUF_INIT(16);
	char digest[DIGEST_STR_LEN];

	reset();
	m.huge_manifest = true;
	assert_int_equal(regclient_manifest_get(c, "r", "v1", &body, digest,
						NULL), ERR_LIMIT);
	assert_non_null(strstr(err_msg(), "larger than 4194304 bytes"));
	assert_null(body.data);
	regclient_free(c);
}

static void test_manifest_get_retries_503(void **state)
{
	struct regclient *c = client();
	struct buf body = BUF_INIT(16);
	char digest[DIGEST_STR_LEN], mt[REGCLIENT_MEDIA_TYPE_MAX + 1];

	reset();
	m.fail_first = 2;
	assert_int_equal(regclient_manifest_get(c, "r", "v1", &body, digest,
						mt), 0);
	assert_string_equal(mt, "application/vnd.oci.image.manifest.v1+json");
	assert_string_equal(body.data, "{\"schemaVersion\":2}");
	buf_release(&body);

	m.fail_first = 4; /* more than the 3 retries allow */
	assert_int_equal(regclient_manifest_get(c, "r", "v1", &body, digest,
						NULL), ERR_NET);
	assert_non_null(strstr(err_msg(), "HTTP 503"));
	m.fail_first = 0;

	assert_int_equal(regclient_manifest_get(c, "r", "v2", &body, digest,
						NULL), ERR_NOTFOUND);
	assert_non_null(strstr(err_msg(), "MANIFEST_UNKNOWN: nope"));
	regclient_free(c);
}

struct sink {
	struct buf b;
};

static int to_buf(const void *p, size_t n, void *arg)
{
	return buf_put(arg, p, n);
}

static void test_blob_get_resumes_with_range(void **state)
{
	struct regclient *c = client();
	struct buf b = BUF_INIT(BLOB_SIZE);

	reset();
	m.break_blob = true;
	assert_int_equal(regclient_blob_get(c, "r", m.blob_digest, BLOB_SIZE,
					     to_buf, &b), 0);
	assert_int_equal(b.len, BLOB_SIZE);
	assert_memory_equal(b.data, m.blob, BLOB_SIZE);
	assert_int_equal(m.blob_gets, 2);
	assert_string_not_equal(m.last_range, "");
	assert_int_equal(strncmp(m.last_range, "bytes=", 6), 0);
	buf_release(&b);
	regclient_free(c);
}

static void test_blob_get_when_range_is_ignored(void **state)
{
	struct regclient *c = client();
	struct buf b = BUF_INIT(BLOB_SIZE);

	reset();
	m.break_blob = true;
	m.ignore_range = true;
	assert_int_equal(regclient_blob_get(c, "r", m.blob_digest, BLOB_SIZE,
					     to_buf, &b), 0);
	assert_int_equal(b.len, BLOB_SIZE);
	assert_memory_equal(b.data, m.blob, BLOB_SIZE);
	buf_release(&b);
	regclient_free(c);
}

static void test_blob_get_detects_corruption(void **state)
{
	struct regclient *c = client();
	struct buf b = BUF_INIT(BLOB_SIZE);

	reset();
	m.corrupt_blob = true;
	assert_int_equal(regclient_blob_get(c, "r", m.blob_digest, BLOB_SIZE,
					     to_buf, &b), ERR_DIGEST);
	buf_release(&b);
	/* A size smaller than what is sent is a limit, not a silent cut. */
	m.corrupt_blob = false;
	buf_init(&b, BLOB_SIZE);
	assert_int_equal(regclient_blob_get(c, "r", m.blob_digest, 100,
					     to_buf, &b), ERR_LIMIT);
	buf_release(&b);
	regclient_free(c);
}

static void test_bearer_token_fetched_once_and_cached(void **state)
{
	struct regclient *c = client();
	struct buf body = BUF_INIT(16);
	char digest[DIGEST_STR_LEN];

	reset();
	m.bearer = true;
	for (int i = 0; i < 3; i++) {
		assert_int_equal(regclient_manifest_get(c, "r", "v1", &body,
							digest, NULL), 0);
		buf_release(&body);
	}
	assert_int_equal(m.token_requests, 1);
	assert_string_equal(m.last_auth, "Bearer tok-abc");
	regclient_free(c);
}

static void test_identity_token_uses_refresh_grant(void **state)
{
	struct regclient_opts o = { .identity_token = "refresh-xyz",
				    .retries = 1 };
	struct regclient *c = NULL;
	struct buf body = BUF_INIT(16);
	char digest[DIGEST_STR_LEN];

	reset();
	m.bearer = true;
	assert_int_equal(regclient_new(m.host, &o, &c), 0);
	assert_int_equal(regclient_manifest_get(c, "r", "v1", &body, digest,
						NULL), 0);
	assert_string_equal(m.token_method, "POST");
	assert_non_null(strstr(m.token_form, "grant_type=refresh_token"));
	assert_non_null(strstr(m.token_form, "refresh_token=refresh-xyz"));
	assert_non_null(strstr(m.token_form,
			       "scope=repository%3Ar%3Apull"));
	assert_non_null(strstr(m.token_form, "service=mock"));
	buf_release(&body);
	regclient_free(c);
}

static void test_upload_location_on_other_origin_refused(void **state)
{
	struct regclient *c = client();
	char digest[DIGEST_STR_LEN];

	reset();
	assert_int_equal(regclient_blob_put_buf(c, "r", "abc", 3, digest),
			 ERR_NET);
	assert_non_null(strstr(err_msg(), "another origin"));
	regclient_free(c);
}

static void test_delete_statuses(void **state)
{
	struct regclient *c = client();

	reset();
	assert_int_equal(regclient_delete(c, "r", "v1"), 0);
	assert_int_equal(regclient_delete(c, "r", "v2"), ERR_UNSUPPORTED);
	assert_int_equal(regclient_ping(c), 0);
	regclient_free(c);
}

/* A temporary file of n deterministic bytes, and its digest. */
static int big_file(size_t n, char digest[DIGEST_STR_LEN])
{
	char path[] = "/tmp/stele-upload-XXXXXX";
	unsigned char *p = malloc(n);
	int fd = mkstemp(path);

	assert_non_null(p);
	assert_true(fd >= 0);
	unlink(path);
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)(i * 40503u >> 7);
	sha256_digest_buf(p, n, digest);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	free(p);
	return fd;
}

#define BIG_UPLOAD ((1u << 20) + 4096) /* two chunks of the test client */

static void test_chunked_upload_resumes_after_lost_patch(void **state)
{
	struct regclient *c = client();
	char digest[DIGEST_STR_LEN];
	int fd = big_file(BIG_UPLOAD, digest);

	reset();
	m.local_location = true;
	m.fail_second_patch = true;
	assert_int_equal(regclient_blob_put_fd(c, "r", digest, fd,
					       BIG_UPLOAD, NULL, NULL), 0);
	/* chunk 1, chunk 2 lost, chunk 2 again after the status check */
	assert_int_equal(m.patches, 3);
	assert_int_equal(m.up_received, BIG_UPLOAD);
	assert_string_equal(m.up_digest, digest);
	close(fd);
	regclient_free(c);
}

static void test_chunked_upload_of_wrong_bytes_is_cancelled(void **state)
{
	struct regclient *c = client();
	char digest[DIGEST_STR_LEN], other[DIGEST_STR_LEN];
	int fd = big_file(BIG_UPLOAD, digest);

	reset();
	m.local_location = true;
	sha256_digest_buf("other", 5, other);
	assert_int_equal(regclient_blob_put_fd(c, "r", other, fd,
					       BIG_UPLOAD, NULL, NULL),
			 ERR_DIGEST);
	assert_true(m.up_cancelled);
	close(fd);
	regclient_free(c);
}

static void test_cross_repository_mount(void **state)
{
	struct regclient *c = client();
	char digest[DIGEST_STR_LEN];
	const char *how = NULL;
	int fd = big_file(BIG_UPLOAD, digest);

	reset();
	m.local_location = true;
	m.allow_mount = true;
	assert_int_equal(regclient_blob_put_fd(c, "r", digest, fd,
					       BIG_UPLOAD, "team/source", &how),
			 0);
	assert_string_equal(how, "mounted");
	assert_string_equal(m.mount_from, "team/source");
	assert_int_equal(m.patches, 0); /* nothing was uploaded */

	/* A registry that declines the mount gets a normal upload. */
	m.allow_mount = false;
	assert_int_equal(regclient_blob_put_fd(c, "r", digest, fd,
					       BIG_UPLOAD, "team/source", &how),
			 0);
	assert_string_equal(how, "pushed");
	assert_int_equal(m.patches, 2);
	assert_string_equal(m.up_digest, digest);
	close(fd);
	regclient_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tags_list_follows_link_pages),
		cmocka_unit_test(test_tags_list_refuses_foreign_link),
		cmocka_unit_test(test_referrers_api_filtered_client_side),
		cmocka_unit_test(test_referrers_fall_back_to_tag_schema),
		cmocka_unit_test(test_manifest_over_limit_is_refused),
		cmocka_unit_test(test_manifest_get_retries_503),
		cmocka_unit_test(test_blob_get_resumes_with_range),
		cmocka_unit_test(test_blob_get_when_range_is_ignored),
		cmocka_unit_test(test_blob_get_detects_corruption),
		cmocka_unit_test(test_bearer_token_fetched_once_and_cached),
		cmocka_unit_test(test_identity_token_uses_refresh_grant),
		cmocka_unit_test(test_upload_location_on_other_origin_refused),
		cmocka_unit_test(test_delete_statuses),
		cmocka_unit_test(test_chunked_upload_resumes_after_lost_patch),
		cmocka_unit_test(
			test_chunked_upload_of_wrong_bytes_is_cancelled),
		cmocka_unit_test(test_cross_repository_mount),
	};

	return cmocka_run_group_tests(tests, mock_start, mock_stop);
}

/* The client's HTTP layer: one request with auth, retries and limits. */
#ifndef STELE_CLIENT_HTTP_H
#define STELE_CLIENT_HTTP_H

#include <curl/curl.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "client/regclient.h"
#include "client/wwwauth.h"
#include "oci/ref.h"
#include "util/buf.h"

#define RC_URL_MAX 8192
#define RC_SCOPE_MAX 600
#define RC_TOKENS_MAX 32
#define RC_TOKEN_MAX 16384      /* a bearer token longer than this: error */
#define RC_ERRBODY_MAX 65536    /* error bodies kept for the message */
#define RC_HEADER_VALUE_MAX 1024

enum rc_scheme_state { RC_SCHEME_UNKNOWN, RC_SCHEME_HTTPS, RC_SCHEME_HTTP };
enum rc_auth_mode { RC_AUTH_UNKNOWN, RC_AUTH_NONE, RC_AUTH_BASIC,
		    RC_AUTH_BEARER };

struct rc_token {
	char scope[RC_SCOPE_MAX];
	char *header;  /* "Authorization: Bearer ..." */
	time_t expires;
	uint64_t used;  /* for eviction */
};

/* See regclient.h. Fields after lock are guarded by it. */
struct regclient {
	char host[OCI_HOST_MAX + 1];
	bool allow_http;
	char *username, *password, *identity_token, *bearer_token;
	char *ca_file, *user_agent, *credentials_hint;
	int timeout_sec, retries;
	uint64_t monolithic_max, chunk_size;
	CURLSH *share;
	pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
	pthread_mutex_t lock;
	_Atomic enum rc_scheme_state scheme; /* read without the lock */
	enum rc_auth_mode mode;
	struct wwwauth challenge;
	struct rc_token tokens[RC_TOKENS_MAX];
	uint64_t clock;
};

/* Where a request body comes from: nothing, memory, or a range of fd. */
struct rc_body {
	const void *mem;
	size_t mem_len;
	int fd;                /* -1 when not used */
	uint64_t off, len;
	EVP_MD_CTX *hash;      /* when set, bytes sent are hashed */
};

struct rc_req {
	const char *method;
	const char *url;       /* "/v2/..." or a same-origin absolute URL */
	const char *scope;     /* token scope, NULL for none */
	const char *accept;
	const char *content_type;
	const char *content_range;
	const char *range;
	struct rc_body body;
	struct buf *out;       /* 2xx body; its max bounds it */
	regclient_sink_fn sink; /* 2xx body, streaming; wins over out */
	void *sink_arg;
	bool follow;           /* follow redirects (https only) */
	bool retry;            /* idempotent: retry transient failures */
	time_t deadline;       /* from rc_deadline() */
};

struct rc_resp {
	long status;
	char location[RC_URL_MAX];
	char digest[RC_HEADER_VALUE_MAX];
	char content_type[RC_HEADER_VALUE_MAX];
	char range[RC_HEADER_VALUE_MAX];
	char content_range[RC_HEADER_VALUE_MAX];
	char link[RC_URL_MAX];
	char www_auth[WWWAUTH_HEADER_MAX + 1];
	char oci_filters[RC_HEADER_VALUE_MAX];
	bool overflow;         /* a captured header was too long */
	int64_t content_length; /* -1 when absent */
	uint64_t received;     /* 2xx body bytes delivered */
	int sink_rc;           /* error returned by the sink or the buffer */
	bool rewound;          /* body bytes were sent more than once */
	bool fatal;            /* a failure retrying cannot fix (TLS trust) */
	struct buf err;        /* non-2xx body, for the message */
};

void rc_resp_init(struct rc_resp *r);
void rc_resp_release(struct rc_resp *r);

/* Body initialiser: no body. */
#define RC_BODY_NONE { NULL, 0, -1, 0, 0, NULL }

/*
 * Run req (retrying when req->retry and the failure is transient, within
 * the client's deadline) and fill resp. Returns 0 when an HTTP response
 * arrived, whatever its status, or an error for transport failures.
 */
int rc_do(struct regclient *c, const struct rc_req *req,
	  struct rc_resp *resp);

/* One attempt of rc_do() including the 401 token flow. */
int rc_do_once(struct regclient *c, const struct rc_req *req,
	       struct rc_resp *resp);

/*
 * Turn a non-2xx response into an error code with a one-line message
 * naming what was attempted; what is "GET manifest 'repo:tag'" etc.
 */
int rc_status_error(const struct regclient *c, const struct rc_resp *resp,
		    const char *what);

/*
 * Make an absolute URL from a Location or Link target: relative paths
 * are joined to the registry's origin; absolute URLs must have the same
 * scheme, host and port (ERR_NET otherwise).
 */
int rc_resolve_url(struct regclient *c, const char *target, char *out,
		   size_t len);

/* "repository:<repo>:<actions>" into out (RC_SCOPE_MAX). */
int rc_scope(char *out, const char *repo, const char *actions);

/* The deadline of an operation starting now. */
time_t rc_deadline(const struct regclient *c);

/*
 * The Authorization header line for scope into hdr ("" when none),
 * fetching a bearer token when the registry asked for one before.
 */
int rc_auth_header(struct regclient *c, const char *scope, struct buf *hdr);

/*
 * ERR_UNAUTH for a refusal: wrong credentials (with scoped: or no access
 * to the repository), or none given, with the credentials hint.
 */
int rc_auth_refused(const struct regclient *c, bool scoped);

/* React to a 401: learn the challenge and fetch a fresh token. */
int rc_auth_challenge(struct regclient *c, const struct rc_resp *resp,
		      const char *scope);

/* True when t cannot be sent as a bearer token (empty, long, spaces). */
bool rc_token_chars_bad(const char *t);

/* regclient_blob_exists() asking for a token with the given actions. */
int rc_blob_head(struct regclient *c, const char *repo, const char *digest,
		 const char *actions, uint64_t *size);

/* Forget cached tokens (regclient_free). */
void rc_auth_release(struct regclient *c);

/* Sleep before retry number attempt (exponential, capped). */
void rc_backoff(int attempt);

/* Transient: worth retrying (network failure, 429, 5xx). */
bool rc_transient(int rc, long status);

#endif

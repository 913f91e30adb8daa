/* Shared state of the registry server and the request context that the
 * route handlers (routes_*.c) work on. */
#ifndef STELE_SERVER_HTTP_H
#define STELE_SERVER_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdint.h>

#include "meta/meta.h"
#include "pipeline/pipeline.h"
#include "server/blobstore.h"
#include "server/config.h"
#include "util/buf.h"

#define SERVICE_NAME "stele"

enum {
	ACT_PULL = 1,
	ACT_PUSH = 2,
	ACT_DELETE = 4,
	ACT_CATALOG = 8,    /* registry:catalog:* */
};

struct srv {
	struct server_config cfg;
	struct meta *meta;
	struct blobstore *bs;
	EVP_PKEY *token_key;
	/* Held shared while content is placed and recorded, exclusively
	 * while GC removes an orphan, so GC never deletes a blob that an
	 * upload or manifest is claiming at the same moment. */
	pthread_rwlock_t gc_lock;
	pthread_mutex_t cache_lock;
	int data_lock;                /* flock on DATA/serve.lock, or -1 */
	FILE *access;                 /* access log file, or NULL */
	pthread_mutex_t access_lock;
	uint8_t cache_key[32];
	struct authn_cache_entry *cache;
	struct gov *gov;              /* governance (server/gov.h) */
	struct pipeline *pipeline;    /* scan queue and results */
	struct pipeline_workers *workers;
	struct sign_key *sign_key;    /* the registry's signing key, the
				       * one copy gov and the workers use */
};

/* Who is asking. */
struct authn {
	bool authenticated;
	bool bearer;
	char user[META_USER_MAX + 1];
	enum meta_role role;
	json_t *access;     /* bearer token's access claim, owned */
};

enum route_kind {
	R_NONE,
	R_BASE,             /* /v2/ */
	R_CATALOG,          /* /v2/_catalog */
	R_TOKEN,            /* /token */
	R_BLOB,             /* /v2/NAME/blobs/DIGEST */
	R_UPLOADS,          /* /v2/NAME/blobs/uploads/ */
	R_UPLOAD,           /* /v2/NAME/blobs/uploads/ID */
	R_MANIFEST,         /* /v2/NAME/manifests/REF */
	R_TAGS,             /* /v2/NAME/tags/list */
	R_REFERRERS,        /* /v2/NAME/referrers/DIGEST */
	R_USER,             /* /api/v1/users/NAME */
	R_GOV,              /* /api/v1/<governance endpoint> */
	R_SCAN,             /* /api/v1/repositories/NAME/scans/DIGEST */
	R_VULNS,            /* /api/v1/vulnerabilities */
};

struct req;

/* A body sink: called with each chunk, then with n == 0 at the end. */
typedef int (*req_body_fn)(struct req *r, const char *p, size_t n);

struct req {
	struct srv *srv;
	struct MHD_Connection *conn;
	const char *method;
	char id[17];
	enum route_kind kind;
	char repo[META_REPO_MAX + 1];
	char ref[META_TAG_MAX + 80];  /* digest, tag or upload id */
	struct authn who;

	struct MHD_Response *resp;    /* decided answer */
	unsigned int status;
	bool drain;                   /* answer decided; discard the body */

	req_body_fn body;
	int64_t body_seen;
	struct buf buf;               /* manifest bytes */
	struct blobstore_upload *up;
	struct meta_upload mu;
	int64_t range_end;            /* last byte a chunk promised, or -1 */
	char digest[BLOB_DIGEST_MAX];  /* PUT ?digest= */
	bool finish;                  /* commit the upload at the end */
	bool oneshot;                 /* monolithic POST: no session left */
};

struct route {
	const char *method;
	enum route_kind kind;
	int action;                   /* ACT_* needed on repo, 0 for none */
	void (*begin)(struct req *r);
};

/* Responses. Each sets r->resp and r->status once; later calls are
 * ignored so the first decision wins. */
void http_error(struct req *r, unsigned int status, const char *code,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Map an err_code from a lower layer to a status and error body. */
void http_fail(struct req *r, int rc, const char *code);
void http_empty(struct req *r, unsigned int status);
void http_json(struct req *r, unsigned int status, json_t *j,
	       const char *content_type);
/* Serve len bytes of an open file from offset; takes the fd. */
void http_fd(struct req *r, unsigned int status, int fd, int64_t off,
	     int64_t len);
void http_header(struct req *r, const char *name, const char *value);
/* 401 with the Bearer challenge for scope (NULL for none). */
void http_challenge(struct req *r, const char *scope, const char *error);

const char *http_query(struct req *r, const char *key);
const char *http_header_in(struct req *r, const char *name);

/* The public base URL, e.g. "http://127.0.0.1:5000". */
void http_base_url(struct req *r, char *out, size_t n);

/* Authentication and authorization (auth.c). */
int authn_request(struct srv *s, struct req *r, struct authn *who);
void authn_release(struct authn *who);
/* ACT_* bits who may use on repo. */
int authz_actions(struct srv *s, const struct authn *who, const char *repo);
/* "pull,push,delete" or "*" as ACT_* bits; unknown words are ignored. */
int authz_parse_actions(const char *s);
/* ACT_* bits the account behind who (or anonymity) has on repo,
 * whatever the scopes of a bearer token. */
int authz_account_actions(struct srv *s, const struct authn *who,
			  const char *repo);
/* ACT_* bits a user's roles and grants allow on repo (no token). */
int authz_user_actions(struct srv *s, const char *user, enum meta_role role,
		       const char *repo);
/* Check a user name and password; fills who on success. */
int authn_password(struct srv *s, const char *user, const char *pass,
		   struct authn *who);

/* Tag rules (policy.c). */
bool policy_is_version(const char *tag);
bool policy_is_environment(const struct server_config *c, const char *tag);

/* The n parameter of listings, capped at max; -1 when invalid. */
int route_page_size(struct req *r, int max);

/* Route handlers. */
void route_base(struct req *r);
void route_catalog(struct req *r);
void route_token(struct req *r);
void route_blob_get(struct req *r);
void route_blob_delete(struct req *r);
void route_upload_start(struct req *r);
void route_upload_status(struct req *r);
void route_upload_patch(struct req *r);
void route_upload_put(struct req *r);
void route_upload_cancel(struct req *r);
/* At the end of a request: a monolithic upload that did not commit
 * (wrong digest, broken body) removes its session, whose id the client
 * never learned. */
void route_upload_done(struct req *r);
void route_manifest_get(struct req *r);
void route_manifest_put(struct req *r);
void route_manifest_delete(struct req *r);
void route_tags_list(struct req *r);
void route_referrers(struct req *r);
void route_user_get(struct req *r);
void route_user_patch(struct req *r);
void route_gov(struct req *r);

/* The client's address as text ("-" when unknown). */
void http_client_addr(struct req *r, char *out, size_t n);
void route_scan_get(struct req *r);
void route_vulns(struct req *r);

/* Online garbage collection (gc.c). */
int gc_run_once(struct srv *s, int64_t now);

#endif

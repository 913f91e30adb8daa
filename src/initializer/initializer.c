/* The storage initializer's steps: resolve, verify offline, download,
 * extract into staging, move into place. See initializer.h. */
#include "initializer/initializer.h"
#include "client/regclient.h"
#include "gov/attest.h"
#include "initializer/stage.h"
#include "oci/manifest.h"
#include "pack/pack.h"
#include "scan/scan.h"
#include "sign/attach.h"
#include "sign/check.h"
#include "sign/key.h"
#include "sign/keyring.h"
#include "store/store.h"
#include "util/err.h"
#include "util/fs.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define INIT_CONFIG_MAX (4u << 20)
#define INIT_LOCAL_REF "stele-initializer/model:deploy"

struct init_fetch;

struct init_ctx {
	const struct init_settings *s;
	const char *uri;
	init_note_fn note;
	void *note_arg;
	struct oci_ref ref;
	struct sign_keyring registry_keys;
	struct sign_keyring publisher_keys;
	struct regclient *rc;
	struct sign_target target;
	struct buf manifest;
	struct oci_manifest *m;
	struct attest_promotion promotion;
	bool have_promotion;
	struct attest_scan scan;
	bool have_scan;
	/* Distinct keys with a valid signature over the target: one
	 * 'stele sign' writes two formats, which count once. */
	char (*signers)[DIGEST_STR_LEN];
	int n_signers;
	int publisher_sigs;             /* n_signers, or 1 if none fit */
	char store_dir[PATH_MAX];
	struct store *store;
	struct stage stage;
	struct init_result *res;
	unsigned long long need_bytes;  /* selected blobs, from the manifest */
	const struct oci_descriptor *streamed; /* extracted as it arrives */
	struct init_fetch *fetch;
};

static void init_note(struct init_ctx *c, const char *event,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void init_note(struct init_ctx *c, const char *event,
		      const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	if (!c->note)
		return;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	c->note(event, c->uri, detail, c->note_arg);
}

/* --- trusted keys ------------------------------------------------------- */

static bool init_key_file(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 4 &&
	       (!strcmp(name + n - 4, ".pub") || !strcmp(name + n - 4, ".pem"));
}

/*
 * The registry's keys are the files named registry*; every other key is
 * a publisher's. Keeping them apart means a publisher key can never stand
 * in for the registry's promotion, and the reverse.
 */
static int init_load_keys(struct init_ctx *c)
{
	const char *dir = c->s->trusted_keys;
	struct dirent **names;
	int n, rc = 0;

	if (!dir)
		return err_set(ERR_DENIED, "STELE_TRUSTED_KEYS is not set: "
			       "nothing can be verified");
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return err_setsys(ERR_IO, errno, "cannot read trusted keys "
				  "'%s'", dir);
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct sign_key *k = NULL;
		const char *name = names[i]->d_name;
		bool reg = !strncmp(name, "registry", 8);

		if (!rc && init_key_file(name)) {
			snprintf(path, sizeof(path), "%s/%s", dir, name);
			rc = sign_key_load_public(path, &k);
			if (!rc)
				rc = sign_keyring_add(reg ? &c->registry_keys :
						      &c->publisher_keys, k,
						      path);
		}
		free(names[i]);
	}
	free(names);
	if (!rc && c->registry_keys.n == 0)
		rc = err_set(ERR_DENIED, "no registry key (registry*.pub) in "
			     "STELE_TRUSTED_KEYS '%s'", dir);
	return rc;
}

/* --- resolving ---------------------------------------------------------- */

static int init_connect(struct init_ctx *c)
{
	struct regclient_opts o = { 0 };

	o.username = c->s->username;
	o.password = c->s->password;
	o.bearer_token = c->s->token;
	o.ca_file = c->s->ca_bundle;
	o.insecure = c->s->insecure;
	o.timeout_sec = c->s->deadline_seconds;
	o.user_agent = "stele-storage-initializer/" STELE_VERSION;
	/* stele login does not reach the init container. */
	o.credentials_hint = "set STELE_USERNAME and STELE_PASSWORD, or "
			     "STELE_TOKEN";
	return regclient_new(c->ref.host, &o, &c->rc);
}

static int init_resolve(struct init_ctx *c)
{
	const char *reference = c->ref.digest[0] ? c->ref.digest : c->ref.tag;
	char digest[DIGEST_STR_LEN];
	int rc;

	buf_init(&c->manifest, REGCLIENT_MANIFEST_MAX);
	rc = regclient_manifest_get(c->rc, c->ref.repo, reference,
				    &c->manifest, digest,
				    c->target.media_type);
	if (rc)
		return rc;
	if (c->ref.digest[0] && c->ref.tag[0]) {
		char tagged[DIGEST_STR_LEN];

		rc = regclient_resolve(c->rc, c->ref.repo, c->ref.tag, tagged);
		if (!rc && strcmp(tagged, digest))
			return err_set(ERR_DIGEST, "tag '%s' names %s, not "
				       "the digest in the URI", c->ref.tag,
				       tagged);
		if (rc)
			return rc;
	}
	snprintf(c->target.repo, sizeof(c->target.repo), "%s", c->ref.repo);
	memcpy(c->target.digest, digest, DIGEST_STR_LEN);
	c->target.size = c->manifest.len;
	snprintf(c->target.name, sizeof(c->target.name), "%s/%s",
		 c->ref.host, c->ref.repo);
	memcpy(c->res->digest, digest, DIGEST_STR_LEN);
	rc = oci_manifest_parse(c->manifest.data, c->manifest.len, &c->m);
	if (!rc)
		init_note(c, "resolved", "%s", digest);
	return rc;
}

/* --- attestations ------------------------------------------------------- */

static void init_on_promotion(const struct sign_record *r, void *arg)
{
	struct init_ctx *c = arg;
	struct attest_promotion p;

	if (r->rc || !r->statement)
		return;
	if (attest_promotion_parse(r->statement->predicate.data,
				   r->statement->predicate.len, &p))
		return;
	if (strcmp(p.environment, c->s->environment) ||
	    strcmp(p.repository, c->ref.repo))
		return;
	if (!c->have_promotion || strcmp(p.time, c->promotion.time) > 0) {
		c->promotion = p;
		c->have_promotion = true;
	}
}

static int init_check_promotion(struct init_ctx *c)
{
	char now[DIGEST_STR_LEN];
	int n = 0, rc;

	rc = sign_verify_referrers(c->rc, &c->target, &c->registry_keys,
				   ATTEST_PROMOTION_TYPE, init_on_promotion, c,
				   &n);
	if (rc)
		return rc;
	if (!c->have_promotion)
		return err_set(ERR_DENIED, "%s was never promoted to '%s' "
			       "(no promotion attestation signed by a trusted "
			       "registry key)", c->target.digest,
			       c->s->environment);
	/* A promotion that has since been superseded or rolled back does not
	 * count: the environment must still run this digest. */
	rc = regclient_resolve(c->rc, c->ref.repo, c->s->environment, now);
	if (rc == ERR_NOTFOUND)
		return err_set(ERR_DENIED, "environment '%s' of '%s' runs "
			       "nothing", c->s->environment, c->ref.repo);
	if (rc)
		return rc;
	if (strcmp(now, c->target.digest))
		return err_set(ERR_DENIED, "environment '%s' now runs %s, not "
			       "%s", c->s->environment, now,
			       c->target.digest);
	init_note(c, "promotion-verified", "%s by %s at %s",
		  c->s->environment, c->promotion.actor, c->promotion.time);
	return 0;
}

static void init_on_scan(const struct sign_record *r, void *arg)
{
	struct init_ctx *c = arg;
	struct attest_scan s;

	if (r->rc || !r->statement)
		return;
	if (attest_scan_parse(r->statement->predicate.data,
			      r->statement->predicate.len, &s))
		return;
	if (!c->have_scan || strcmp(s.time, c->scan.time) > 0) {
		c->scan = s;
		c->have_scan = true;
	}
}

static int init_check_scan(struct init_ctx *c)
{
	enum scan_severity fail_on;
	int n = 0, rc;

	rc = scan_severity_parse(c->s->fail_on, &fail_on);
	if (rc)
		return err_set(rc, "STELE_FAIL_ON: %s", err_msg());
	rc = sign_verify_referrers(c->rc, &c->target, &c->registry_keys,
				   ATTEST_SCAN_TYPE, init_on_scan, c, &n);
	if (rc)
		return rc;
	if (!c->have_scan)
		return err_set(ERR_DENIED, "%s has no scan attestation signed "
			       "by a trusted registry key",
			       c->target.digest);
	if (!strcmp(c->scan.verdict, "incomplete") ||
	    !strcmp(c->scan.verdict, "malicious"))
		return err_set(ERR_DENIED, "the newest scan (%s) of %s says "
			       "'%s'", c->scan.time, c->target.digest,
			       c->scan.verdict);
	for (int s = (int)fail_on; s <= SCAN_CRITICAL; s++) {
		enum scan_severity sev = (enum scan_severity)s;

		if (c->scan.counts[s] > 0)
			return err_set(ERR_DENIED, "the newest scan (%s) found "
				       "%d %s finding(s), at or above "
				       "STELE_FAIL_ON=%s", c->scan.time,
				       c->scan.counts[s],
				       scan_severity_name(sev),
				       c->s->fail_on);
	}
	init_note(c, "scan-verified", "%s at %s", c->scan.verdict,
		  c->scan.time);
	return 0;
}

static void init_on_signature(const struct sign_record *r, void *arg)
{
	struct init_ctx *c = arg;
	void *grown;

	if (r->rc || strcmp(r->subject, c->target.digest))
		return;
	for (int i = 0; i < c->n_signers; i++)
		if (!strcmp(c->signers[i], r->fingerprint))
			return;
	/* Every signer is a key of the ring, so this stays bounded by it.
	 * Out of memory only loses the count: the key did verify. */
	grown = realloc(c->signers, (size_t)(c->n_signers + 1) *
			sizeof(*c->signers));
	if (grown) {
		c->signers = grown;
		snprintf(c->signers[c->n_signers++], DIGEST_STR_LEN, "%s",
			 r->fingerprint);
	}
	c->publisher_sigs = c->n_signers ? c->n_signers : 1;
}

static bool init_needs_signature(const struct init_ctx *c)
{
	if (c->s->environment)
		return c->promotion.require_signature;
	return c->s->require_signature;
}

static int init_check_signature(struct init_ctx *c)
{
	int n = 0, rc;

	if (!init_needs_signature(c))
		return 0;
	if (c->publisher_keys.n == 0)
		return err_set(ERR_DENIED, "a publisher signature is required "
			       "but STELE_TRUSTED_KEYS holds no publisher "
			       "key");
	rc = sign_verify_legacy(c->rc, &c->target, &c->publisher_keys,
				init_on_signature, c, &n);
	if (!rc)
		rc = sign_verify_referrers(c->rc, &c->target,
					   &c->publisher_keys,
					   SIGN_IMAGE_PREDICATE_TYPE,
					   init_on_signature, c, &n);
	if (rc)
		return rc;
	if (c->publisher_sigs == 0)
		return err_set(ERR_DENIED, "%s is not signed by a trusted "
			       "publisher key", c->target.digest);
	init_note(c, "signature-verified", "signed by %d trusted publisher "
		  "key%s", c->publisher_sigs, c->publisher_sigs == 1 ? "" :
		  "s");
	return 0;
}

static int init_verify(struct init_ctx *c)
{
	int rc = 0;

	if (c->s->environment)
		rc = init_check_promotion(c);
	else
		init_note(c, "no-environment", "STELE_ENVIRONMENT not set: "
			  "no promotion required");
	if (!rc && (c->s->environment || c->s->require_scan))
		rc = init_check_scan(c);
	if (!rc)
		rc = init_check_signature(c);
	return rc;
}

/* --- download ----------------------------------------------------------- */

struct init_fetch {
	struct init_ctx *c;
	const struct oci_descriptor **blobs;
	size_t n;
	size_t next;
	int rc;
	char why[512];
	pthread_mutex_t lock;
	_Atomic unsigned long long streamed;   /* bytes received, all blobs */
};

struct init_sink_arg {
	struct init_fetch *f;
	struct store_blob_writer *w;
};

/*
 * The manifest's sizes were checked against STELE_MAX_BYTES before the
 * download started and regclient refuses a blob longer than its
 * descriptor; counting again here keeps the limit even if one of those
 * checks is ever loosened, and a resumed transfer cannot slip past it.
 */
static int init_sink(const void *p, size_t n, void *arg)
{
	struct init_sink_arg *a = arg;
	unsigned long long max = a->f->c->s->max_bytes;
	unsigned long long now = atomic_fetch_add(&a->f->streamed, n) + n;

	if (now > max)
		return err_set(ERR_LIMIT, "download exceeds STELE_MAX_BYTES="
			       "%llu", max);
	return store_blob_write(a->w, p, n);
}

static int init_fetch_one(struct init_fetch *f,
			  const struct oci_descriptor *d)
{
	struct init_sink_arg a = { .f = f };
	struct init_ctx *c = f->c;
	int rc;

	rc = store_blob_open_write(c->store, &a.w);
	if (rc)
		return rc;
	rc = regclient_blob_get(c->rc, c->ref.repo, d->digest, d->size,
				init_sink, &a);
	if (rc) {
		store_blob_abort(a.w);
		return rc;
	}
	return store_blob_commit(a.w, d->digest, NULL, NULL);
}

static void *init_fetch_worker(void *arg)
{
	struct init_fetch *f = arg;

	for (;;) {
		const struct oci_descriptor *d;
		int rc;

		pthread_mutex_lock(&f->lock);
		if (f->rc || f->next == f->n) {
			pthread_mutex_unlock(&f->lock);
			return NULL;
		}
		d = f->blobs[f->next++];
		pthread_mutex_unlock(&f->lock);

		rc = init_fetch_one(f, d);
		pthread_mutex_lock(&f->lock);
		if (rc && !f->rc) {
			f->rc = rc;
			snprintf(f->why, sizeof(f->why), "%s", err_msg());
		} else if (!rc) {
			f->c->res->bytes += d->size;
		}
		pthread_mutex_unlock(&f->lock);
	}
}

/* Which blobs the filter needs: the config, and the selected layers. */
static int init_select(struct init_ctx *c, unsigned filter,
		       const struct oci_descriptor ***out, size_t *n)
{
	const struct oci_descriptor **v;
	size_t k = 0;

	v = calloc(c->m->n_layers + 1, sizeof(*v));
	if (!v)
		return err_set(ERR_NOMEM, "out of memory");
	v[k++] = &c->m->config;
	c->streamed = NULL;
	for (size_t i = 0; i < c->m->n_layers; i++) {
		struct oci_layer_info info;
		int rc = oci_layer_classify(&c->m->layers[i], &info);

		if (rc) {
			free(v);
			return rc;
		}
		if (filter & unpack_role_bit(info.role)) {
			v[k++] = &c->m->layers[i];
			c->res->layers++;
		}
	}
	*out = v;
	*n = k;
	return 0;
}

/*
 * The largest selected layer is extracted while it downloads (see
 * init_stream_open); the others are fetched in parallel first.
 */
static void init_pick_streamed(struct init_ctx *c, struct init_fetch *f)
{
	size_t best = 0;

	for (size_t i = 1; i < f->n; i++)
		if (!best || f->blobs[i]->size > f->blobs[best]->size)
			best = i;
	if (!best)
		return;
	c->streamed = f->blobs[best];
	f->blobs[best] = f->blobs[--f->n];
}

/*
 * Refuse before anything is written: the selected blobs, by the sizes in
 * the verified manifest, must fit STELE_MAX_BYTES.
 */
static int init_check_size(struct init_ctx *c, struct init_fetch *f)
{
	unsigned long long total = 0, max = c->s->max_bytes;

	for (size_t i = 0; i < f->n; i++) {
		if (f->blobs[i]->size > max - total)
			return err_set(ERR_LIMIT, "%s needs more than "
				       "STELE_MAX_BYTES=%llu bytes (layer %s "
				       "alone is %llu)", c->target.digest,
				       max, f->blobs[i]->digest,
				       (unsigned long long)f->blobs[i]->size);
		total += f->blobs[i]->size;
	}
	c->need_bytes = total;
	return 0;
}

/*
 * The download and the extracted files both land on DEST's volume: when
 * it cannot even hold the download, say so now instead of failing half
 * way with a full disk. Writes still fail cleanly with ENOSPC if the
 * space goes while we run.
 */
static int init_check_space(struct init_ctx *c, const char *dest)
{
	struct statvfs v;
	unsigned long long avail;

	if (statvfs(c->stage.dir, &v))
		return err_setsys(ERR_IO, errno, "cannot stat the volume of "
				  "'%s'", dest);
	avail = (unsigned long long)v.f_bavail * v.f_frsize;
	if (avail < c->need_bytes)
		return err_setsys(ERR_IO, ENOSPC, "the volume of '%s' has %llu "
				  "bytes free, the ModelKit needs at least "
				  "%llu", dest, avail, c->need_bytes);
	return 0;
}

static int init_download(struct init_ctx *c, struct init_fetch *f)
{
	pthread_t tids[32];
	int threads = c->s->parallel, started = 0;

	pthread_mutex_init(&f->lock, NULL);
	if (threads > (int)f->n)
		threads = (int)f->n;
	for (int i = 0; i < threads && i < 32; i++)
		if (!pthread_create(&tids[i], NULL, init_fetch_worker, f))
			started++;
	if (started == 0)
		init_fetch_worker(f);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	pthread_mutex_destroy(&f->lock);
	if (f->rc)
		return err_set(f->rc, "%s", f->why);
	init_note(c, "downloaded", "%zu blob(s) before extraction, %llu "
		  "bytes", f->n, c->res->bytes);
	return 0;
}

/* --- extracting while downloading ---------------------------------------- */

/*
 * One layer flows from regclient_blob_get, in a producer thread, through
 * a socket pair into unpack's tar reader, so the model is written once
 * and extraction overlaps the transfer. The reader sees the end of the
 * stream only after the producer checked size and digest; a failed
 * transfer is an error on read, and whatever was extracted stays in the
 * staging directory, which is then thrown away.
 */
struct init_stream {
	struct stream_in base;
	struct init_fetch *f;
	const struct oci_descriptor *d;
	int fd[2];             /* [0] read by unpack, [1] the producer's */
	pthread_t tid;
	bool running;
	int rc;                /* the producer's result */
	char why[512];
};

static int init_stream_sink(const void *p, size_t n, void *arg)
{
	struct init_stream *st = arg;
	unsigned long long max = st->f->c->s->max_bytes;
	const char *q = p;

	if (atomic_fetch_add(&st->f->streamed, n) + n > max)
		return err_set(ERR_LIMIT, "download exceeds STELE_MAX_BYTES="
			       "%llu", max);
	while (n) {
		ssize_t w = send(st->fd[1], q, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_setsys(ERR_IO, errno, "extraction of %s "
					  "stopped", st->d->digest);
		q += w;
		n -= (size_t)w;
	}
	return 0;
}

static void *init_stream_producer(void *arg)
{
	struct init_stream *st = arg;
	struct init_ctx *c = st->f->c;

	st->rc = regclient_blob_get(c->rc, c->ref.repo, st->d->digest,
				    st->d->size, init_stream_sink, st);
	if (st->rc)
		snprintf(st->why, sizeof(st->why), "%s", err_msg());
	shutdown(st->fd[1], SHUT_WR);
	return NULL;
}

static int init_stream_join(struct init_stream *st)
{
	if (st->running) {
		pthread_join(st->tid, NULL);
		st->running = false;
		if (!st->rc)
			st->f->c->res->bytes += st->d->size;
	}
	if (st->rc)
		return err_set(st->rc, "%s", st->why);
	return 0;
}

static ssize_t init_stream_read(struct stream_in *in, void *p, size_t n)
{
	struct init_stream *st = stream_container_of(in, struct init_stream,
						     base);

	for (;;) {
		ssize_t got = recv(st->fd[0], p, n, 0);

		if (got > 0)
			return got;
		if (got == 0)
			return init_stream_join(st);
		if (errno != EINTR)
			return err_setsys(ERR_IO, errno, "cannot read the "
					  "download of %s", st->d->digest);
	}
}

static void init_stream_close(void *arg, struct stream_in *in)
{
	struct init_stream *st = stream_container_of(in, struct init_stream,
						     base);

	(void)arg;
	/* A reader that stopped early makes the producer's send fail. */
	close(st->fd[0]);
	if (st->running)
		pthread_join(st->tid, NULL);
	close(st->fd[1]);
	free(st);
}

static int init_stream_open(void *arg, const struct oci_descriptor *d,
			    struct stream_in **in)
{
	struct init_ctx *c = arg;
	struct init_stream *st;

	*in = NULL;
	if (!c->streamed || strcmp(d->digest, c->streamed->digest))
		return 0;
	st = calloc(1, sizeof(*st));
	if (!st)
		return err_set(ERR_NOMEM, "out of memory");
	st->base.read = init_stream_read;
	st->f = c->fetch;
	st->d = c->streamed;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, st->fd)) {
		free(st);
		return err_setsys(ERR_IO, errno, "cannot create a socket "
				  "pair");
	}
	st->running = !pthread_create(&st->tid, NULL, init_stream_producer,
				      st);
	if (!st->running) {
		close(st->fd[0]);
		close(st->fd[1]);
		free(st);
		return err_set(ERR_NOMEM, "cannot start a download thread");
	}
	*in = &st->base;
	return 0;
}

static int init_store_manifest(struct init_ctx *c)
{
	char digest[DIGEST_STR_LEN];
	int rc;

	rc = store_blob_put(c->store, c->manifest.data, c->manifest.len,
			    digest);
	if (!rc && strcmp(digest, c->target.digest))
		rc = err_set(ERR_DIGEST, "manifest changed while stored");
	if (!rc)
		rc = store_tag(c->store, INIT_LOCAL_REF, digest,
			       c->target.media_type[0] ? c->target.media_type :
			       "application/vnd.oci.image.manifest.v1+json",
			       c->m->artifact_type, c->manifest.len);
	return rc;
}

static int init_open_store(struct init_ctx *c)
{
	size_t n = strlen(c->stage.dir);

	if (n + 7 > sizeof(c->store_dir))
		return err_set(ERR_LIMIT, "destination path too long");
	memcpy(c->store_dir, c->stage.dir, n);
	memcpy(c->store_dir + n, "-store", 7);
	return store_open(c->store_dir, &c->store);
}

static int init_unpack(struct init_ctx *c, unsigned filter)
{
	struct unpack_layer_source from = { .open = init_stream_open,
					    .close = init_stream_close,
					    .arg = c };
	struct unpack_opts uo = { 0 };
	int rc;

	uo.ref = INIT_LOCAL_REF;
	uo.dir = c->stage.dir;
	uo.filter = filter;
	uo.overwrite = true;
	rc = unpack_modelkit_from(c->store, &uo, &from);
	if (!rc)
		init_note(c, "extracted", "%d layer(s), %llu bytes, %s while "
			  "downloading", c->res->layers, c->res->bytes,
			  c->streamed ? c->streamed->digest : "none");
	return rc;
}

static int init_extract(struct init_ctx *c, const char *dest)
{
	struct init_fetch f = { .c = c };
	unsigned filter;
	int rc;

	rc = unpack_filter_parse(c->s->filter, &filter);
	if (rc)
		return err_set(rc, "STELE_FILTER: %s", err_msg());
	c->fetch = &f;
	rc = init_select(c, filter, &f.blobs, &f.n);
	if (!rc)
		rc = init_check_size(c, &f);
	if (!rc) {
		init_pick_streamed(c, &f);
		rc = stage_begin(&c->stage, dest);
	}
	if (!rc)
		rc = init_check_space(c, dest);
	if (!rc)
		rc = init_open_store(c);
	if (!rc)
		rc = init_download(c, &f);
	if (!rc)
		rc = init_store_manifest(c);
	if (!rc)
		rc = init_unpack(c, filter);
	free(f.blobs);
	c->fetch = NULL;
	if (!rc)
		rc = stage_commit(&c->stage, c->target.digest);
	if (!rc)
		init_note(c, "ready", "%s in %s", c->target.digest, dest);
	return rc;
}

/* --- the whole run ------------------------------------------------------ */

static void init_release(struct init_ctx *c)
{
	char why[1024];

	snprintf(why, sizeof(why), "%s", err_msg());
	stage_abort(&c->stage);
	store_free(c->store);
	if (c->store_dir[0])
		fs_remove_tree(c->store_dir);
	oci_manifest_free(c->m);
	buf_release(&c->manifest);
	regclient_free(c->rc);
	sign_keyring_release(&c->registry_keys);
	sign_keyring_release(&c->publisher_keys);
	free(c->signers);
	err_set(ERR_GENERIC, "%s", why);
}

int init_deploy(const struct init_settings *s, const char *uri,
		const char *dest, init_note_fn note, void *arg,
		struct init_result *res)
{
	struct init_ctx c = { .s = s, .uri = uri, .note = note,
			      .note_arg = arg, .res = res };
	char present[DIGEST_STR_LEN];
	int rc;

	memset(res, 0, sizeof(*res));
	sign_keyring_init(&c.registry_keys);
	sign_keyring_init(&c.publisher_keys);
	buf_init(&c.manifest, REGCLIENT_MANIFEST_MAX);
	rc = init_uri_parse(uri, s->registry, &c.ref);
	if (!rc)
		rc = init_load_keys(&c);
	if (!rc)
		rc = init_connect(&c);
	if (!rc)
		rc = init_resolve(&c);
	if (!rc)
		rc = init_verify(&c);
	if (!rc && !stage_recover(dest) &&
	    !stage_completed_digest(dest, present, sizeof(present)) &&
	    !strcmp(present, c.target.digest)) {
		res->already_present = true;
		init_note(&c, "ready", "%s already in %s", present, dest);
	} else if (!rc) {
		rc = init_extract(&c, dest);
	}
	init_release(&c);
	if (!rc)
		err_clear();
	return rc;
}

/* Online garbage collection: abandoned uploads, links no manifest needs,
 * then blobs nothing links or references, each older than the grace
 * window so content being pushed right now is never touched. */
#include "server/http.h"
#include "util/err.h"
#include "util/log.h"

#include <stdlib.h>
#include <string.h>

#define GC_BATCH 1000

static int drop_upload(void *arg, const struct meta_upload *u)
{
	struct srv *s = arg;

	/* A session in use right now stays; the next run gets it. */
	if (s->bs->ops->upload_remove(s->bs, u->id))
		return 0;
	s->meta->ops->upload_delete(s->meta, u->id);
	log_msg(LOG_INFO, "gc", "removed abandoned upload %s", u->id);
	return 0;
}

struct orphans {
	char (*d)[BLOB_DIGEST_MAX];
	int n;
};

static int collect(void *arg, const char *digest)
{
	struct orphans *o = arg;

	if (o->n >= GC_BATCH)
		return 1;
	snprintf(o->d[o->n++], BLOB_DIGEST_MAX, "%s", digest);
	return 0;
}

/* A file the index never recorded: a crash between placing it and
 * recording it. Checked again under the lock, as an upload may be
 * recording it right now. */
static int drop_unrecorded(void *arg, const char *digest)
{
	struct srv *s = arg;

	if (s->meta->ops->blob_known(s->meta, digest) != ERR_NOTFOUND)
		return 0;
	pthread_rwlock_wrlock(&s->gc_lock);
	if (s->meta->ops->blob_known(s->meta, digest) == ERR_NOTFOUND) {
		s->bs->ops->remove(s->bs, digest);
		log_msg(LOG_INFO, "gc", "removed unrecorded blob %s", digest);
	}
	pthread_rwlock_unlock(&s->gc_lock);
	return 0;
}

int gc_run_once(struct srv *s, int64_t now)
{
	struct orphans o = { NULL, 0 };
	int rc;

	rc = s->meta->ops->upload_stale(s->meta, now - s->cfg.upload_grace,
					drop_upload, s);
	if (!rc)
		rc = s->meta->ops->gc_unlink_stale(s->meta,
						   now - s->cfg.gc_grace);
	if (rc)
		return rc;
	o.d = calloc(GC_BATCH, sizeof(*o.d));
	if (!o.d)
		return err_set(ERR_NOMEM, "out of memory for gc");
	rc = s->meta->ops->gc_orphans(s->meta, now - s->cfg.gc_grace,
				      collect, &o);
	if (rc > 0)
		rc = 0;
	for (int i = 0; !rc && i < o.n; i++) {
		pthread_rwlock_wrlock(&s->gc_lock);
		if (!s->meta->ops->blob_forget(s->meta, o.d[i]))
			s->bs->ops->remove(s->bs, o.d[i]);
		pthread_rwlock_unlock(&s->gc_lock);
	}
	if (o.n)
		log_msg(LOG_INFO, "gc", "checked %d unreferenced blobs", o.n);
	if (!rc)
		rc = s->bs->ops->walk(s->bs, now - s->cfg.gc_grace,
				      drop_unrecorded, s);
	if (!rc)
		rc = s->bs->ops->sweep(s->bs, now - s->cfg.upload_grace);
	err_clear();
	free(o.d);
	return rc;
}

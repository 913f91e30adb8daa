/*
 * The worker pool of `stele serve`. Workers sleep on a condition variable
 * and also wake every PIPELINE_POLL_MS, so jobs queued by another process
 * (`stele vulndb import --data`) are found without a signal.
 */
#include "pipeline/internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/err.h"
#include "util/log.h"

#define PIPELINE_POLL_MS 1000

struct pipeline_workers {
	struct pipeline_ctx ctx;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	int kicks;
	int n;
	pthread_t tid[PIPELINE_MAX_WORKERS];
};

static void nap(struct pipeline_workers *w)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)PIPELINE_POLL_MS * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&w->lock);
	while (!w->stop && !w->kicks)
		if (pthread_cond_timedwait(&w->cond, &w->lock, &ts) ==
		    ETIMEDOUT)
			break;
	if (w->kicks)
		w->kicks--;
	pthread_mutex_unlock(&w->lock);
}

static bool stopping(struct pipeline_workers *w)
{
	bool s;

	pthread_mutex_lock(&w->lock);
	s = w->stop;
	pthread_mutex_unlock(&w->lock);
	return s;
}

static void *worker_main(void *arg)
{
	struct pipeline_workers *w = arg;
	struct pipeline_job j;

	while (!stopping(w)) {
		int rc = pipeline_claim(w->ctx.db, &j);

		if (rc < 0)
			log_msg(LOG_WARN, "-", "pipeline: %s", err_msg());
		if (rc != 1) {
			nap(w);
			continue;
		}
		log_msg(LOG_INFO, "-", "job %lld started (%s@%s)",
			(long long)j.id, j.repo, j.digest);
		if (!pipeline_run_job(&w->ctx, &j))
			log_msg(LOG_INFO, "-", "job %lld done",
				(long long)j.id);
	}
	return NULL;
}

int pipeline_workers_start(const struct pipeline_ctx *ctx, int n,
			   struct pipeline_workers **out)
{
	struct pipeline_workers *w;

	*out = NULL;
	if (n < 1 || n > PIPELINE_MAX_WORKERS)
		return err_set(ERR_INVALID, "scan workers must be 1 to %d",
			       PIPELINE_MAX_WORKERS);
	w = calloc(1, sizeof(*w));
	if (!w)
		return err_set(ERR_NOMEM, "out of memory");
	w->ctx = *ctx;
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	for (w->n = 0; w->n < n; w->n++)
		if (pthread_create(&w->tid[w->n], NULL, worker_main, w)) {
			pipeline_workers_stop(w);
			return err_set(ERR_IO, "cannot start scan workers");
		}
	*out = w;
	return 0;
}

void pipeline_workers_kick(struct pipeline_workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->kicks++;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void pipeline_workers_stop(struct pipeline_workers *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	for (int i = 0; i < w->n; i++)
		pthread_join(w->tid[i], NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

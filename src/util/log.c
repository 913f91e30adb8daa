/* Server logging: one line per event, serialised by a mutex. */
#include "util/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>

static FILE *log_out;
static enum log_level log_min = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const log_names[] = { "debug", "info", "warn", "error" };

void log_init(FILE *out, enum log_level min)
{
	log_out = out;
	log_min = min;
}

int log_level_parse(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, log_names[i]))
			return i;
	return -1;
}

void log_msg(enum log_level lvl, const char *reqid, const char *fmt, ...)
{
	char line[2048], ts[32];
	struct timespec now;
	struct tm tm;
	va_list ap;
	FILE *out = log_out ? log_out : stderr;

	if (lvl < log_min)
		return;
	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';

	pthread_mutex_lock(&log_lock);
	fprintf(out, "%s.%03ldZ %-5s %s %s\n", ts, now.tv_nsec / 1000000,
		log_names[lvl], reqid ? reqid : "-", line);
	fflush(out);
	pthread_mutex_unlock(&log_lock);
}

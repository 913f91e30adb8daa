/* Leveled one-line logging for the server; library code never logs. */
#ifndef STELE_UTIL_LOG_H
#define STELE_UTIL_LOG_H

#include <stdio.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Where log lines go (default stderr) and the lowest level written. */
void log_init(FILE *out, enum log_level min);

/* Parse "debug", "info", "warn", "error"; returns -1 when unknown. */
int log_level_parse(const char *s);

/*
 * Write one line: time, level, request id (or "-"), message. Newlines in
 * the message are replaced so one event stays one line. Thread-safe.
 */
void log_msg(enum log_level lvl, const char *reqid, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif

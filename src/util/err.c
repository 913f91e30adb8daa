/* Thread-local storage of the last error message. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define ERR_MSG_MAX 1024

static _Thread_local char err_buf[ERR_MSG_MAX];

/*
 * Callers often wrap the message they were handed, err_set(rc, "x: %s",
 * err_msg()): format into a scratch buffer first, since vsnprintf() into
 * the buffer it is reading from is undefined.
 */
__attribute__((format(printf, 1, 0)))
static void err_vset(const char *fmt, va_list ap)
{
	char tmp[ERR_MSG_MAX];

	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	memcpy(err_buf, tmp, sizeof(err_buf));
	/* Keep the message on one line whatever the input contained. */
	for (char *p = err_buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

int err_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(fmt, ap);
	va_end(ap);
	return code;
}

int err_setsys(int code, int errno_value, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	err_vset(fmt, ap);
	va_end(ap);
	n = strlen(err_buf);
	snprintf(err_buf + n, sizeof(err_buf) - n, ": %s",
		 strerror(errno_value));
	return code;
}

const char *err_msg(void)
{
	return err_buf;
}

void err_clear(void)
{
	err_buf[0] = '\0';
}

const char *err_name(int code)
{
	switch (code) {
	case ERR_OK: return "ok";
	case ERR_NOMEM: return "out of memory";
	case ERR_IO: return "i/o error";
	case ERR_INVALID: return "invalid input";
	case ERR_NOTFOUND: return "not found";
	case ERR_EXISTS: return "already exists";
	case ERR_LIMIT: return "limit reached";
	case ERR_DIGEST: return "digest mismatch";
	case ERR_DENIED: return "denied";
	case ERR_UNAUTH: return "unauthorized";
	case ERR_UNSUPPORTED: return "unsupported";
	case ERR_NET: return "network error";
	case ERR_CONFLICT: return "conflict";
	case ERR_USAGE: return "usage";
	default: return "error";
	}
}

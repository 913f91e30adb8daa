/* Error codes and the one-line message that travels with them. */
#ifndef STELE_UTIL_ERR_H
#define STELE_UTIL_ERR_H

/*
 * Library functions return 0 on success or one of these negative codes.
 * The function that detects a failure calls err_set() exactly once; callers
 * pass the code up unchanged (or replace the message with err_set() when
 * they can say something more useful). The message is thread-local.
 */
enum err_code {
	ERR_OK = 0,
	ERR_GENERIC = -1,     /* failure with no better class */
	ERR_NOMEM = -2,       /* allocation failed */
	ERR_IO = -3,          /* read, write, fsync or rename failed */
	ERR_INVALID = -4,     /* malformed input: parse or validation error */
	ERR_NOTFOUND = -5,    /* named object does not exist */
	ERR_EXISTS = -6,      /* object exists and must not be replaced */
	ERR_LIMIT = -7,       /* a named size, count or depth limit reached */
	ERR_DIGEST = -8,      /* content does not match its digest */
	ERR_DENIED = -9,      /* authenticated but not allowed */
	ERR_UNAUTH = -10,     /* authentication missing or wrong */
	ERR_UNSUPPORTED = -11,/* valid but not handled by this build */
	ERR_NET = -12,        /* network or remote protocol failure */
	ERR_CONFLICT = -13,   /* concurrent change or state conflict */
	ERR_USAGE = -14,      /* bad command-line usage */
};

/* Record the message for the current failure; returns code. */
int err_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Like err_set() with ": strerror(errno_value)" appended. */
int err_setsys(int code, int errno_value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The last message set on this thread, or "" when none. Never NULL. */
const char *err_msg(void);

/* Forget the last message. */
void err_clear(void);

/* A short name for a code ("invalid input", "not found", ...). */
const char *err_name(int code);

#endif

/* Bounded reads, fail-closed errors and strict JSON for the analysers. */
#include "scan/fmt_util.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "util/err.h"

int scan_fmt_pread(const struct scan_file *f, int fd, uint64_t off,
		   void *p, size_t n)
{
	size_t done = 0;

	if (off > (uint64_t)INT64_MAX - n)
		return err_set(ERR_INVALID, "'%s': offset %llu out of range",
			       f->path, (unsigned long long)off);
	while (done < n) {
		ssize_t got = pread(fd, (char *)p + done, n - done,
				    (off_t)(off + done));

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return err_setsys(ERR_IO, errno,
					  "'%s': read at offset %llu",
					  f->path, (unsigned long long)off);
		if (got == 0)
			return err_set(ERR_INVALID,
				       "'%s': truncated at offset %llu",
				       f->path,
				       (unsigned long long)(off + done));
		done += (size_t)got;
	}
	return 0;
}

int scan_fmt_read_alloc(const struct scan_file *f, int fd, uint64_t off,
			size_t n, char **out)
{
	char *p = malloc(n + 1);
	int rc;

	*out = NULL;
	if (!p)
		return err_set(ERR_NOMEM, "'%s': out of memory", f->path);
	rc = scan_fmt_pread(f, fd, off, p, n);
	if (rc) {
		free(p);
		return rc;
	}
	p[n] = '\0';
	*out = p;
	return 0;
}

int scan_fmt_fail(struct scan_file *f, int code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_set(code, "%s", msg);
	scan_file_incomplete(f, "%s", msg);
	return code;
}

json_t *scan_fmt_json(const char *path, const char *text, size_t len)
{
	json_error_t e;
	json_t *j;

	/* Duplicate keys are how two parsers are made to disagree. */
	j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	if (!j)
		err_set(ERR_INVALID, "'%s': JSON line %d column %d: %s",
			path, e.line, e.column, e.text);
	return j;
}

/* Blob reads (whole or one byte range, sent with sendfile) and deletes.
 * A blob is only visible through a repository that links it. */
#include "server/http.h"
#include "oci/digest.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool digest_ok(struct req *r)
{
	if (blobstore_digest_valid(r->ref))
		return true;
	http_error(r, 400, "DIGEST_INVALID", "invalid digest");
	return false;
}

static bool parse_num(const char *s, size_t n, int64_t *out)
{
	int64_t v = 0;

	if (n == 0 || n > 18)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * One range of RFC 9110: "bytes=A-B", "bytes=A-" or "bytes=-N". Returns
 * 1 for a satisfiable range, 0 when there is none to honour (a form we
 * ignore and serve the whole blob), -1 when unsatisfiable or inverted.
 */
static int parse_range(const char *h, int64_t size, int64_t *off,
		       int64_t *len)
{
	const char *dash;
	int64_t a, b;

	if (strncmp(h, "bytes=", 6) || strchr(h, ','))
		return 0;
	h += 6;
	dash = strchr(h, '-');
	if (!dash)
		return 0;
	if (dash == h) {
		if (!parse_num(h + 1, strlen(h + 1), &b) || b == 0)
			return -1;
		*off = b >= size ? 0 : size - b;
		*len = size - *off;
		return size ? 1 : -1;
	}
	if (!parse_num(h, (size_t)(dash - h), &a))
		return 0;
	if (!dash[1])
		b = size - 1;
	else if (!parse_num(dash + 1, strlen(dash + 1), &b))
		return 0;
	/* An inverted range is refused like one past the end. */
	if (b < a)
		return -1;
	if (a >= size)
		return -1;
	if (b >= size)
		b = size - 1;
	*off = a;
	*len = b - a + 1;
	return 1;
}

void route_blob_get(struct req *r)
{
	struct srv *s = r->srv;
	const char *range = http_header_in(r, "Range");
	int64_t size, off = 0, len;
	char cr[256];
	int fd, rc, pr = 0;

	if (!digest_ok(r))
		return;
	rc = s->meta->ops->blob_linked(s->meta, r->repo, r->ref, &size);
	if (!rc)
		rc = s->bs->ops->open(s->bs, r->ref, &fd, &size);
	if (rc) {
		http_fail(r, rc, "BLOB_UNKNOWN");
		return;
	}
	len = size;
	if (range)
		pr = parse_range(range, size, &off, &len);
	if (pr < 0) {
		close(fd);
		snprintf(cr, sizeof(cr), "bytes */%" PRId64, size);
		http_error(r, 416, "SIZE_INVALID", "range not satisfiable");
		http_header(r, "Content-Range", cr);
		return;
	}
	http_fd(r, pr ? 206 : 200, fd, off, len);
	http_header(r, "Content-Type", "application/octet-stream");
	http_header(r, "Docker-Content-Digest", r->ref);
	http_header(r, "Accept-Ranges", "bytes");
	snprintf(cr, sizeof(cr), "\"%s\"", r->ref);
	http_header(r, "ETag", cr);
	if (pr) {
		snprintf(cr, sizeof(cr), "bytes %" PRId64 "-%" PRId64 "/%"
			 PRId64, off, off + len - 1, size);
		http_header(r, "Content-Range", cr);
	}
}

void route_blob_delete(struct req *r)
{
	struct srv *s = r->srv;
	int rc;

	if (!digest_ok(r))
		return;
	rc = s->meta->ops->blob_unlink(s->meta, r->repo, r->ref);
	if (rc) {
		http_fail(r, rc, "BLOB_UNKNOWN");
		return;
	}
	http_empty(r, 202);
	http_header(r, "Docker-Content-Digest", r->ref);
}

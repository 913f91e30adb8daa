/*
 * NumPy .npy files: a bounded header read; an object array is a pickle
 * that np.load(allow_pickle=True) would load, so it is analysed as one.
 */
#include "scan/engine.h"
#include "scan/rules.h"
#include "util/err.h"

#include <stdlib.h>
#include <string.h>

#define NPY_MAX_HEADER (1u << 20)

/* Does this quoted literal name an object dtype ('O', '|O', '<O8')? */
static bool object_typestr(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && strchr("<>|=", s[i]))
		i++;
	if (i >= n || s[i] != 'O')
		return false;
	for (i++; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Any quoted string in the header that is an object type string. */
static bool header_has_object(const char *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char q = h[i];
		size_t j;

		if (q != '\'' && q != '"')
			continue;
		for (j = i + 1; j < n && h[j] != q; j++)
			;
		if (j < n && object_typestr(h + i + 1, j - i - 1))
			return true;
		i = j;
	}
	return false;
}

int scan_npy(struct scan_ctx *c, struct scan_rd *rd, struct scan_file *f,
	     unsigned profiles)
{
	uint8_t pre[8], lenb[4];
	uint32_t hlen;
	char *h;
	bool is_pickle;
	int rc;

	rc = scan_rd_read(rd, pre, 8);
	if (!rc && pre[6] == 1)
		rc = scan_rd_read(rd, lenb, 2);
	else if (!rc && (pre[6] == 2 || pre[6] == 3))
		rc = scan_rd_read(rd, lenb, 4);
	else if (!rc)
		rc = err_set(ERR_UNSUPPORTED, "npy: version %u.%u is not "
			     "supported", pre[6], pre[7]);
	if (rc) {
		scan_file_incomplete(f, "%s", err_msg());
		return 0;
	}
	hlen = pre[6] == 1 ? (uint32_t)(lenb[0] | lenb[1] << 8) :
	       (uint32_t)lenb[0] | (uint32_t)lenb[1] << 8 |
	       (uint32_t)lenb[2] << 16 | (uint32_t)lenb[3] << 24;
	if (hlen > NPY_MAX_HEADER) {
		scan_file_incomplete(f, "npy: header of %u bytes exceeds the "
				     "limit", hlen);
		return 0;
	}
	h = malloc(hlen + 1);
	if (!h)
		return err_set(ERR_NOMEM, "out of memory");
	rc = scan_rd_read(rd, h, hlen);
	if (rc) {
		free(h);
		scan_file_incomplete(f, "%s", err_msg());
		return 0;
	}
	h[hlen] = '\0';
	if (!strstr(h, "descr") || !strstr(h, "shape")) {
		free(h);
		scan_file_incomplete(f, "npy: header has no descr or shape");
		return 0;
	}
	if (!header_has_object(h, hlen)) {
		free(h);
		return 0;
	}
	free(h);
	rc = scan_add(c->r, "npy-object-array", SCAN_INFO, f->path, NULL,
		      "object array: np.load(allow_pickle=True) unpickles it");
	if (!rc)
		rc = scan_pickle(c, rd, f, profiles | SCAN_PROFILE_BASE |
				 SCAN_PROFILE_NUMPY, SCAN_PICKLE_ONE,
				 &is_pickle);
	return rc;
}

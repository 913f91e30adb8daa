/* Keras HDF5 files: the model_config (and training_config) attributes of
 * the root group, found by a bounded reader of the parts of the HDF5
 * format they live in: superblock versions 0-3, object headers versions
 * 1 and 2 with continuation blocks, attribute messages versions 1-3,
 * fixed-length and variable-length strings, and global heap collections.
 *
 * libhdf5 is deliberately not used: it opens files by name rather than
 * descriptor, reads whatever the file points it at, and has a long record
 * of memory-safety bugs on malformed files; a scanner must not run it on
 * untrusted input in-process. Anything this reader does not handle
 * (dense attribute storage, other string encodings) fails closed. */
#include "scan/formats.h"

#include <stdlib.h>
#include <string.h>

#include "scan/fmt_util.h"
#include "util/err.h"

#define H5_MAX_HEADER (1u << 20)     /* one object header chunk */
#define H5_MAX_CHUNKS 64             /* continuation blocks */
#define H5_MAX_VALUE (64u << 20)     /* attribute string */
#define H5_UNDEF UINT64_MAX

enum {
	MSG_DATATYPE = 0x03, MSG_CONTINUATION = 0x10, MSG_ATTRIBUTE = 0x0c,
	MSG_ATTRIBUTE_INFO = 0x15,
	CLASS_STRING = 3, CLASS_VLEN = 9,
};

struct h5 {
	struct scan_report *r;
	struct scan_file *f;
	int fd;
	uint64_t size, base;
	unsigned so, sl;             /* sizes of offsets and lengths */
	uint64_t chunk_off[H5_MAX_CHUNKS], chunk_len[H5_MAX_CHUNKS];
	unsigned n_chunks, ohdr_version;
	bool dense, found;
};

static int bad(struct h5 *h, const char *what, uint64_t off)
{
	scan_add(h->r, "h5-invalid", SCAN_HIGH, h->f->path,
		 OWASP_SUPPLY_CHAIN, "HDF5: %s at offset %llu in '%s'", what,
		 (unsigned long long)off, h->f->path);
	return scan_fmt_fail(h->f, ERR_INVALID, "h5: %s at offset %llu in "
			     "'%s'", what, (unsigned long long)off,
			     h->f->path);
}

static uint64_t le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i-- > 0; )
		v = v << 8 | p[i];
	if (n < 8 && v == (UINT64_C(1) << (8 * n)) - 1)
		return H5_UNDEF;
	return v;
}

/* Read n bytes at file address addr (relative to the base address). */
static int h5_read(struct h5 *h, uint64_t addr, void *p, size_t n)
{
	int rc;

	if (addr == H5_UNDEF || addr > h->size || n > h->size - addr ||
	    h->base > h->size - addr - n)
		return bad(h, "address outside the file", addr);
	rc = scan_fmt_pread(h->f, h->fd, h->base + addr, p, n);
	return rc ? scan_fmt_fail(h->f, rc, "h5: %s", err_msg()) : 0;
}

static int superblock(struct h5 *h, uint64_t sb, uint64_t *root)
{
	uint8_t b[96];
	size_t n = h->size - sb < sizeof(b) ? (size_t)(h->size - sb) :
		   sizeof(b);
	uint64_t eof;
	int rc;

	rc = scan_fmt_pread(h->f, h->fd, sb, b, n);
	if (rc || n < 48)
		return bad(h, "truncated superblock", sb);
	h->base = sb;
	if (b[8] <= 1) {
		size_t at = b[8] == 1 ? 28 : 24;

		h->so = b[13];
		h->sl = b[14];
		/* base, free space, eof, driver, then the root entry's link
		 * name offset before its object header address. */
		at += 5 * h->so;
		if ((h->so != 4 && h->so != 8) || at + h->so > n)
			return bad(h, "unsupported offset size", sb);
		*root = le(b + at, h->so);
		eof = le(b + at - 3 * h->so, h->so);
	} else if (b[8] <= 3) {
		h->so = b[9];
		h->sl = b[10];
		if ((h->so != 4 && h->so != 8) || 12 + 4 * h->so > n)
			return bad(h, "unsupported offset size", sb);
		*root = le(b + 12 + 3 * h->so, h->so);
		eof = le(b + 12 + 2 * h->so, h->so);
	} else {
		return scan_fmt_fail(h->f, ERR_UNSUPPORTED, "h5: superblock "
				     "version %u in '%s'", b[8], h->f->path);
	}
	if (h->sl != 4 && h->sl != 8)
		return bad(h, "unsupported length size", sb);
	/* A file shorter than its end-of-file address was cut. */
	if (eof == H5_UNDEF || eof > h->size - sb)
		return bad(h, "end-of-file address past the end (truncated)",
			   sb);
	/* Addresses are relative to the base address, which h5py leaves at
	 * the superblock. */
	h->base = sb;
	return 0;
}

static int add_chunk(struct h5 *h, uint64_t off, uint64_t len)
{
	if (h->n_chunks == H5_MAX_CHUNKS)
		return scan_fmt_fail(h->f, ERR_LIMIT, "h5: more than %d "
				     "object header chunks in '%s'",
				     H5_MAX_CHUNKS, h->f->path);
	if (len > H5_MAX_HEADER)
		return scan_fmt_fail(h->f, ERR_LIMIT, "h5: object header "
				     "chunk of %llu bytes in '%s'",
				     (unsigned long long)len, h->f->path);
	for (unsigned i = 0; i < h->n_chunks; i++)
		if (h->chunk_off[i] == off)
			return bad(h, "object header chunk loop", off);
	h->chunk_off[h->n_chunks] = off;
	h->chunk_len[h->n_chunks++] = len;
	return 0;
}

/* Variable-length string: length, then a global heap id (collection
 * address, object index). */
static int vlen_string(struct h5 *h, const uint8_t *d, size_t n,
		       char **out, size_t *len)
{
	uint8_t hdr[16];
	uint64_t coll, csize, at, idx;
	int rc;

	if (n < 4 + h->so + 4)
		return bad(h, "short variable-length reference", 0);
	coll = le(d + 4, h->so);
	idx = le(d + 4 + h->so, 4);
	rc = h5_read(h, coll, hdr, 8 + h->sl);
	if (rc)
		return rc;
	if (memcmp(hdr, "GCOL", 4))
		return bad(h, "global heap signature", coll);
	csize = le(hdr + 8, h->sl);
	if (csize > h->size)
		return bad(h, "global heap size", coll);
	for (at = 8 + h->sl; at + 8 + h->sl <= csize; ) {
		uint64_t osize, oidx;

		rc = h5_read(h, coll + at, hdr, 8 + h->sl);
		if (rc)
			return rc;
		oidx = le(hdr, 2);
		osize = le(hdr + 8, h->sl);
		if (oidx == 0)
			break;
		if (osize > csize)
			return bad(h, "global heap object size", coll + at);
		if (oidx == idx) {
			if (osize > H5_MAX_VALUE)
				return scan_fmt_fail(h->f, ERR_LIMIT, "h5: "
						     "attribute too large in "
						     "'%s'", h->f->path);
			*out = malloc((size_t)osize + 1);
			if (!*out)
				return scan_fmt_fail(h->f, ERR_NOMEM,
						     "out of memory");
			(*out)[osize] = '\0';
			*len = (size_t)osize;
			return h5_read(h, coll + at + 8 + h->sl, *out,
				       (size_t)osize);
		}
		at += 8 + h->sl + ((osize + 7) & ~UINT64_C(7));
	}
	return bad(h, "global heap object not found", coll);
}

/* The string value of an attribute: datatype dt, value bytes d. */
static int attr_string(struct h5 *h, const uint8_t *dt, size_t dt_n,
		       const uint8_t *d, size_t n, char **out, size_t *len)
{
	unsigned cls;
	uint64_t sz;

	if (dt_n < 8)
		return bad(h, "short datatype", 0);
	cls = dt[0] & 0x0f;
	sz = le(dt + 4, 4);
	if (cls == CLASS_STRING) {
		if (sz > n)
			return bad(h, "string longer than its attribute", 0);
		*out = malloc((size_t)sz + 1);
		if (!*out)
			return scan_fmt_fail(h->f, ERR_NOMEM, "out of memory");
		memcpy(*out, d, (size_t)sz);
		(*out)[sz] = '\0';
		*len = strnlen(*out, (size_t)sz);
		return 0;
	}
	if (cls == CLASS_VLEN && (dt[1] & 0x0f) == 1)
		return vlen_string(h, d, n, out, len);
	return scan_fmt_fail(h->f, ERR_UNSUPPORTED, "h5: model_config is "
			     "not a string in '%s'", h->f->path);
}

static size_t pad8(size_t n, unsigned version)
{
	return version == 1 ? (n + 7) & ~(size_t)7 : n;
}

static int attribute(struct h5 *h, const uint8_t *m, size_t n)
{
	size_t name_n, dt_n, ds_n, at, name;
	char *val = NULL;
	size_t len = 0;
	unsigned v;
	int rc;

	/* A message may be empty: its size comes from the file. */
	if (n < 8)
		return bad(h, "attribute message", 0);
	v = m[0];
	if (v < 1 || v > 3)
		return bad(h, "attribute message", 0);
	/* Plain 16-bit sizes: le() would read 0xffff as "undefined". */
	name_n = (size_t)m[2] | (size_t)m[3] << 8;
	dt_n = (size_t)m[4] | (size_t)m[5] << 8;
	ds_n = (size_t)m[6] | (size_t)m[7] << 8;
	at = v == 3 ? 9 : 8;
	if (name_n > n || at + pad8(name_n, v) + pad8(dt_n, v) +
	    pad8(ds_n, v) > n)
		return bad(h, "attribute sizes", 0);
	if (v > 1 && (m[1] & 3))
		return scan_fmt_fail(h->f, ERR_UNSUPPORTED, "h5: shared "
				     "attribute datatype in '%s'", h->f->path);
	name = strnlen((const char *)m + at, name_n);
	if (!((name == 12 && !memcmp(m + at, "model_config", 12)) ||
	      (name == 15 && !memcmp(m + at, "training_config", 15))))
		return 0;
	rc = attr_string(h, m + at + pad8(name_n, v), dt_n,
			 m + at + pad8(name_n, v) + pad8(dt_n, v) +
			 pad8(ds_n, v),
			 n - at - pad8(name_n, v) - pad8(dt_n, v) -
			 pad8(ds_n, v), &val, &len);
	if (rc) {
		free(val);
		return rc;
	}
	if (m[at] == 'm') {
		h->found = true;
		rc = scan_fmt_keras_config(h->r, h->f, val, len);
	} else {
		rc = scan_fmt_keras_training_config(h->r, h->f, val, len);
	}
	free(val);
	return rc;
}

static int message(struct h5 *h, unsigned type, const uint8_t *m, size_t n)
{
	if (type == MSG_CONTINUATION) {
		if (n < h->so + h->sl)
			return bad(h, "continuation message", 0);
		return add_chunk(h, le(m, h->so), le(m + h->so, h->sl));
	}
	if (type == MSG_ATTRIBUTE_INFO)
		h->dense = true;
	if (type == MSG_ATTRIBUTE)
		return attribute(h, m, n);
	return 0;
}

/* Messages of one chunk: v1 has 8-byte headers aligned to 8, v2 has
 * 4-byte headers (+2 with creation order) and a 4-byte checksum. */
static int chunk_messages(struct h5 *h, const uint8_t *b, size_t n,
			  unsigned flags)
{
	size_t at = 0, hdr = h->ohdr_version == 1 ? 8 :
		    4 + ((flags & 0x04) ? 2 : 0);
	int rc;

	if (h->ohdr_version == 2)
		n = n >= 4 ? n - 4 : 0;
	while (at + hdr <= n) {
		unsigned type = h->ohdr_version == 1 ? (unsigned)le(b + at, 2) :
				b[at];
		size_t sz = (size_t)le(b + at + (h->ohdr_version == 1 ? 2 : 1),
				       2);

		if (sz > n - at - hdr)
			return bad(h, "message runs past its chunk", 0);
		rc = message(h, type, b + at + hdr, sz);
		if (rc)
			return rc;
		at += hdr + sz;
		if (h->ohdr_version == 1)
			at = (at + 7) & ~(size_t)7;
	}
	return 0;
}

static int first_chunk(struct h5 *h, uint64_t addr, unsigned *flags)
{
	uint8_t b[32];
	int rc;

	rc = h5_read(h, addr, b, 16);
	if (rc)
		return rc;
	if (b[0] == 1) {
		h->ohdr_version = 1;
		return add_chunk(h, addr + 16, le(b + 8, 4));
	}
	if (memcmp(b, "OHDR", 4) || b[4] != 2)
		return bad(h, "object header version", addr);
	h->ohdr_version = 2;
	*flags = b[5];
	{
		size_t at = 6 + ((*flags & 0x20) ? 16 : 0) +
			    ((*flags & 0x10) ? 4 : 0);
		unsigned w = 1u << (*flags & 3);

		rc = h5_read(h, addr + at, b, w);
		if (rc)
			return rc;
		return add_chunk(h, addr + at + w, le(b, w) + 4);
	}
}

static int object_header(struct h5 *h, uint64_t addr)
{
	unsigned flags = 0;
	uint8_t *b = NULL;
	int rc;

	rc = first_chunk(h, addr, &flags);
	for (unsigned i = 0; !rc && i < h->n_chunks; i++) {
		uint64_t off = h->chunk_off[i], len = h->chunk_len[i];

		/* Continuation blocks of v2 headers start with "OCHK". */
		if (i && h->ohdr_version == 2) {
			off += 4;
			len = len >= 4 ? len : 4;
			len -= 4;
		}
		b = malloc(len ? (size_t)len : 1);
		if (!b)
			return scan_fmt_fail(h->f, ERR_NOMEM, "out of memory");
		rc = h5_read(h, off, b, (size_t)len);
		if (!rc)
			rc = chunk_messages(h, b, (size_t)len, flags);
		free(b);
	}
	return rc;
}

int scan_fmt_h5(struct scan_report *r, struct scan_file *f, int fd,
		uint64_t size)
{
	static const uint8_t sig[8] = { 0x89, 'H', 'D', 'F', '\r', '\n',
					0x1a, '\n' };
	struct h5 *h = calloc(1, sizeof(*h));
	uint64_t sb, root = H5_UNDEF;
	uint8_t b[8];
	int rc = ERR_INVALID;

	if (!h)
		return scan_fmt_fail(f, ERR_NOMEM, "out of memory");
	*h = (struct h5){ .r = r, .f = f, .fd = fd, .size = size };
	for (sb = 0; sb + 8 <= size && sb <= (UINT64_C(1) << 40);
	     sb = sb ? sb * 2 : 512) {
		if (scan_fmt_pread(f, fd, sb, b, 8) == 0 &&
		    !memcmp(b, sig, 8))
			break;
	}
	if (sb + 8 > size || sb > (UINT64_C(1) << 40)) {
		rc = scan_fmt_fail(f, ERR_INVALID, "h5: no HDF5 signature in "
				   "'%s'", f->path);
		goto out;
	}
	rc = superblock(h, sb, &root);
	if (!rc)
		rc = object_header(h, root);
	if (!rc && h->dense && !h->found)
		rc = scan_fmt_fail(f, ERR_UNSUPPORTED, "h5: root attributes in "
				   "dense storage are not read in '%s'",
				   f->path);
out:
	free(h);
	return rc;
}

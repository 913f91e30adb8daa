/*
 * Tar layers. The writer reproduces the exact bytes Go's archive/tar
 * emits for the headers KitOps builds (tar.FileInfoHeader, then times
 * zeroed, uid 1000, gid 0, names cleared): USTAR when the entry fits,
 * otherwise a PAX extended header named "<dir>/PaxHeaders.0/<base>"
 * with sorted records, followed by a header whose fields are cut to fit.
 * The reader is deliberately narrower than tar: only what a layer needs.
 */
#include "pack/tar.h"
#include "util/err.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* USTAR header layout (POSIX.1-1988), offsets and widths. */
#define H_NAME 0
#define H_NAME_LEN 100
#define H_MODE 100
#define H_UID 108
#define H_GID 116
#define H_SIZE 124
#define H_MTIME 136
#define H_CHKSUM 148
#define H_TYPE 156
#define H_MAGIC 257
#define H_VERSION 263
#define H_UNAME 265
#define H_GNAME 297
#define H_DEVMAJOR 329
#define H_DEVMINOR 337
#define H_PREFIX 345
#define H_PREFIX_LEN 155

static const uint8_t zero_block[TAR_BLOCK];

/* Go's formatString: copy, NUL-terminate when shorter; when cut, a slash
 * at the cut is dropped so the field never ends in '/'. */
static void put_string(uint8_t *field, size_t width, const char *s,
		       size_t len)
{
	size_t n = len < width ? len : width;

	memcpy(field, s, n);
	if (len < width)
		field[len] = 0;
	if (len > width && field[width - 1] == '/') {
		while (n > 0 && field[n - 1] == '/')
			n--;
		field[n] = 0;
	}
}

/* Go's formatOctal: zero-padded to width - 1 digits, NUL-terminated. */
static void put_octal(uint8_t *field, size_t width, uint64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%0*" PRIo64, (int)(width - 1), v);
	put_string(field, width, tmp, strlen(tmp));
}

static bool fits_octal(size_t width, uint64_t v)
{
	return v < (UINT64_C(1) << (3 * (width - 1)));
}

static unsigned block_checksum(const uint8_t *b)
{
	unsigned sum = 0;

	for (size_t i = 0; i < TAR_BLOCK; i++)
		sum += (i >= H_CHKSUM && i < H_CHKSUM + 8) ? ' ' : b[i];
	return sum;
}

/* Magic, version, then the checksum as six octal digits, NUL, space. */
static void finish_block(uint8_t *b)
{
	memcpy(b + H_MAGIC, "ustar", 6);
	memcpy(b + H_VERSION, "00", 2);
	put_octal(b + H_CHKSUM, 7, block_checksum(b));
	b[H_CHKSUM + 7] = ' ';
}

static bool is_ascii(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] >= 0x80 || s[i] == 0)
			return false;
	return true;
}

/* Go's toASCII: drop every byte that is not 7-bit ASCII. */
static size_t to_ascii(const char *s, size_t len, char *out)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x80 && s[i] != 0)
			out[n++] = s[i];
	return n;
}

/* Go's splitUSTARPath: the last slash that leaves a prefix of at most
 * 155 bytes and a non-empty name of at most 100. */
static bool split_ustar(const char *name, size_t len, size_t *cut)
{
	size_t limit = len;
	const char *slash;

	if (len <= H_NAME_LEN || !is_ascii(name, len))
		return false;
	if (limit > H_PREFIX_LEN + 1)
		limit = H_PREFIX_LEN + 1;
	else if (name[limit - 1] == '/')
		limit--;
	slash = memrchr(name, '/', limit);
	if (!slash || slash == name)
		return false;
	*cut = (size_t)(slash - name);
	if (len - *cut - 1 > H_NAME_LEN || len - *cut - 1 == 0 ||
	    *cut > H_PREFIX_LEN)
		return false;
	return true;
}

/* Go's formatPAXRecord: "<len> <key>=<value>\n", len counting itself. */
static int pax_record(struct buf *out, const char *key, const char *val,
		      size_t vlen)
{
	size_t size = strlen(key) + vlen + 3;
	int digits = snprintf(NULL, 0, "%zu", size);
	size_t total = size + (size_t)digits;

	if ((size_t)snprintf(NULL, 0, "%zu", total) != (size_t)digits)
		total++;
	if (buf_printf(out, "%zu %s=", total, key))
		return ERR_LIMIT;
	if (buf_put(out, val, vlen) || buf_putc(out, '\n'))
		return ERR_LIMIT;
	return 0;
}

static void fill_main(uint8_t *b, enum tar_type type, unsigned mode,
		      uint64_t size)
{
	put_octal(b + H_MODE, 8, mode);
	put_octal(b + H_UID, 8, TAR_UID);
	put_octal(b + H_GID, 8, 0);
	put_octal(b + H_SIZE, 12, fits_octal(12, size) ? size : 0);
	put_octal(b + H_MTIME, 12, 0);
	b[H_TYPE] = type == TAR_DIR ? '5' : '0';
	put_string(b + H_UNAME, 32, "", 0);
	put_string(b + H_GNAME, 32, "", 0);
	put_octal(b + H_DEVMAJOR, 8, 0);
	put_octal(b + H_DEVMINOR, 8, 0);
}

/* The 'x' header Go writes before the entry: "<dir>/PaxHeaders.0/<base>"
 * cut to 100 bytes, zero mode, owner and time, no names. */
static int put_pax_header(struct buf *out, const char *name, size_t len,
			  const struct buf *records)
{
	uint8_t b[TAR_BLOCK] = { 0 };
	const char *slash = memrchr(name, '/', len);
	size_t dlen = slash ? (size_t)(slash - name) + 1 : 0;
	char raw[TAR_PATH_MAX + 32], ascii[TAR_PATH_MAX + 32];
	size_t n;
	int rc;

	n = (size_t)snprintf(raw, sizeof(raw), "%.*sPaxHeaders.0/%.*s",
			     (int)dlen, name, (int)(len - dlen), name + dlen);
	n = to_ascii(raw, n, ascii);
	if (n > H_NAME_LEN)
		n = H_NAME_LEN;
	while (n > 0 && ascii[n - 1] == '/')
		n--;
	put_string(b + H_NAME, H_NAME_LEN, ascii, n);
	put_octal(b + H_MODE, 8, 0);
	put_octal(b + H_UID, 8, 0);
	put_octal(b + H_GID, 8, 0);
	put_octal(b + H_SIZE, 12, records->len);
	put_octal(b + H_MTIME, 12, 0);
	b[H_TYPE] = 'x';
	finish_block(b);
	rc = buf_put(out, b, sizeof(b));
	if (!rc)
		rc = buf_put(out, records->data, records->len);
	if (!rc && records->len % TAR_BLOCK)
		rc = buf_put(out, zero_block,
			     TAR_BLOCK - records->len % TAR_BLOCK);
	return rc;
}

static int encode_pax(const char *name, size_t len, enum tar_type type,
		      unsigned mode, uint64_t size, bool pax_path,
		      struct buf *out)
{
	struct buf rec = BUF_INIT(2 * TAR_PATH_MAX);
	uint8_t b[TAR_BLOCK] = { 0 };
	char ascii[TAR_PATH_MAX + 1], num[24];
	size_t n;
	int rc = 0;

	/* Records sorted by key, as Go does: "path" < "size". */
	if (pax_path)
		rc = pax_record(&rec, "path", name, len);
	if (!rc && !fits_octal(12, size)) {
		snprintf(num, sizeof(num), "%" PRIu64, size);
		rc = pax_record(&rec, "size", num, strlen(num));
	}
	if (!rc)
		rc = put_pax_header(out, name, len, &rec);
	buf_release(&rec);
	if (rc)
		return rc;
	n = to_ascii(name, len, ascii);
	put_string(b + H_NAME, H_NAME_LEN, ascii, n);
	fill_main(b, type, mode, size);
	finish_block(b);
	return buf_put(out, b, sizeof(b));
}

int tar_header_encode(const char *name, enum tar_type type, unsigned mode,
		      uint64_t size, struct buf *out)
{
	uint8_t b[TAR_BLOCK] = { 0 };
	size_t len = strlen(name), cut = 0;
	bool split = false, pax_path = false;

	if (len == 0 || len > TAR_PATH_MAX)
		return err_set(ERR_LIMIT, "tar: name of %zu bytes is not "
			       "allowed", len);
	if (!is_ascii(name, len) || len > H_NAME_LEN) {
		split = split_ustar(name, len, &cut);
		pax_path = !split;
	}
	if (type == TAR_DIR)
		size = 0;
	if (pax_path || !fits_octal(12, size))
		return encode_pax(name, len, type, mode & 07777, size,
				  pax_path, out);
	if (split) {
		put_string(b + H_NAME, H_NAME_LEN, name + cut + 1,
			   len - cut - 1);
		put_string(b + H_PREFIX, H_PREFIX_LEN, name, cut);
	} else {
		put_string(b + H_NAME, H_NAME_LEN, name, len);
	}
	fill_main(b, type, mode & 07777, size);
	finish_block(b);
	return buf_put(out, b, sizeof(b));
}

void tar_writer_init(struct tar_writer *w, struct stream_out *out)
{
	w->out = out;
	w->left = 0;
	w->size = 0;
	buf_init(&w->hdr, 4 * TAR_BLOCK + 2 * TAR_PATH_MAX);
}

static int write_padding(struct tar_writer *w)
{
	size_t rem = (size_t)(w->size % TAR_BLOCK);

	w->size = 0;
	return rem ? stream_write(w->out, zero_block, TAR_BLOCK - rem) : 0;
}

int tar_write_header(struct tar_writer *w, const char *name,
		     enum tar_type type, unsigned mode, uint64_t size)
{
	int rc;

	if (w->left)
		return err_set(ERR_INVALID, "tar: previous entry is short by "
			       "%" PRIu64 " bytes", w->left);
	buf_clear(&w->hdr);
	rc = tar_header_encode(name, type, mode, size, &w->hdr);
	if (!rc)
		rc = stream_write(w->out, w->hdr.data, w->hdr.len);
	if (rc)
		return rc;
	w->size = type == TAR_DIR ? 0 : size;
	w->left = w->size;
	return 0;
}

int tar_write_data(struct tar_writer *w, const void *p, size_t n)
{
	int rc;

	if (n > w->left)
		return err_set(ERR_INVALID, "tar: %zu bytes beyond the entry "
			       "size", (size_t)(n - w->left));
	rc = stream_write(w->out, p, n);
	if (rc)
		return rc;
	w->left -= n;
	return w->left ? 0 : write_padding(w);
}

int tar_write_close(struct tar_writer *w)
{
	int rc;

	if (w->left)
		return err_set(ERR_INVALID, "tar: last entry is short by "
			       "%" PRIu64 " bytes", w->left);
	rc = stream_write(w->out, zero_block, TAR_BLOCK);
	if (!rc)
		rc = stream_write(w->out, zero_block, TAR_BLOCK);
	return rc;
}

void tar_writer_release(struct tar_writer *w)
{
	if (w)
		buf_release(&w->hdr);
}

/* ---- reader ---- */

struct tar_reader {
	struct stream_in *in;
	const char *what;
	uint64_t offset;        /* bytes consumed, for messages */
	uint64_t data_left;     /* of the current entry */
	uint64_t pad_left;
	bool ended;
	uint8_t block[TAR_BLOCK];
	char pax_path[TAR_PATH_MAX + 1];
	bool has_pax_path;
	bool has_pax_size;
	uint64_t pax_size;
};

int tar_reader_new(struct stream_in *in, const char *what,
		   struct tar_reader **out)
{
	struct tar_reader *r = calloc(1, sizeof(*r));

	*out = NULL;
	if (!r)
		return err_set(ERR_NOMEM, "out of memory");
	r->in = in;
	r->what = what;
	*out = r;
	return 0;
}

void tar_reader_free(struct tar_reader *r)
{
	free(r);
}

/* Read one block; 1 when read, 0 at a clean end of stream, < 0. */
static int read_block(struct tar_reader *r)
{
	size_t have = 0;

	while (have < TAR_BLOCK) {
		ssize_t got = stream_read(r->in, r->block + have,
					  TAR_BLOCK - have);

		if (got < 0)
			return (int)got;
		if (got == 0) {
			if (have == 0)
				return 0;
			return err_set(ERR_INVALID, "%s: tar is truncated at "
				       "offset %" PRIu64, r->what,
				       r->offset + have);
		}
		have += (size_t)got;
	}
	r->offset += TAR_BLOCK;
	return 1;
}

static int skip_bytes(struct tar_reader *r, uint64_t n)
{
	uint8_t tmp[8192];

	while (n) {
		size_t want = n < sizeof(tmp) ? (size_t)n : sizeof(tmp);
		ssize_t got = stream_read(r->in, tmp, want);

		if (got < 0)
			return (int)got;
		if (got == 0)
			return err_set(ERR_INVALID, "%s: tar is truncated at "
				       "offset %" PRIu64, r->what, r->offset);
		r->offset += (uint64_t)got;
		n -= (uint64_t)got;
	}
	return 0;
}

/* Octal with optional NUL/space padding on both sides, or GNU base-256. */
static int parse_number(const uint8_t *f, size_t width, uint64_t *out)
{
	size_t i = 0, end = width;
	uint64_t v = 0;

	if (f[0] & 0x80) {
		if (f[0] != 0x80)
			return ERR_INVALID; /* negative or too large */
		for (i = 1; i < width; i++) {
			if (v >> 55)
				return ERR_INVALID;
			v = (v << 8) | f[i];
		}
		*out = v;
		return 0;
	}
	while (i < end && (f[i] == ' ' || f[i] == 0))
		i++;
	while (end > i && (f[end - 1] == ' ' || f[end - 1] == 0))
		end--;
	for (; i < end; i++) {
		if (f[i] < '0' || f[i] > '7' || (v >> 60))
			return ERR_INVALID;
		v = (v << 3) | (uint64_t)(f[i] - '0');
	}
	*out = v;
	return 0;
}

static bool all_zero(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* NUL-terminated field contents: length up to the first NUL. */
static size_t field_len(const uint8_t *f, size_t width)
{
	const uint8_t *z = memchr(f, 0, width);

	return z ? (size_t)(z - f) : width;
}

const char *tar_printable(const char *name)
{
	static _Thread_local char out[TAR_PATH_MAX + 1];
	size_t i;

	for (i = 0; name[i] && i < TAR_PATH_MAX; i++)
		out[i] = ((unsigned char)name[i] < 0x20 || name[i] == 0x7f) ?
			'?' : name[i];
	out[i] = 0;
	return out;
}

int tar_name_check(char *name, const char *what)
{
	char out[TAR_PATH_MAX + 1];
	size_t len = strlen(name), o = 0;
	char *p = name;

	if (name[0] == '/')
		return err_set(ERR_INVALID, "%s: entry '%s' has an absolute "
			       "path", what, tar_printable(name));
	while (len > 0 && name[len - 1] == '/')
		name[--len] = 0;
	while (*p) {
		char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 0)
			return err_set(ERR_INVALID, "%s: entry '%s' has an "
				       "empty path component", what,
				       tar_printable(name));
		if (n == 2 && !memcmp(p, "..", 2))
			return err_set(ERR_INVALID, "%s: entry '%s' escapes "
				       "the destination with '..'", what,
				       tar_printable(name));
		if (!(n == 1 && p[0] == '.')) {
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n + (slash ? 1 : 0);
	}
	out[o] = 0;
	memcpy(name, out, o + 1);
	return 0;
}

static int pax_apply(struct tar_reader *r, const char *key, const char *val,
		     size_t vlen)
{
	if (!strcmp(key, "path")) {
		if (vlen > TAR_PATH_MAX || memchr(val, 0, vlen))
			return err_set(ERR_INVALID, "%s: bad PAX path at "
				       "offset %" PRIu64, r->what, r->offset);
		memcpy(r->pax_path, val, vlen);
		r->pax_path[vlen] = 0;
		r->has_pax_path = true;
	} else if (!strcmp(key, "size")) {
		uint64_t v = 0;

		if (vlen == 0 || vlen > 19)
			return err_set(ERR_INVALID, "%s: bad PAX size at "
				       "offset %" PRIu64, r->what, r->offset);
		for (size_t i = 0; i < vlen; i++) {
			if (val[i] < '0' || val[i] > '9')
				return err_set(ERR_INVALID, "%s: bad PAX size "
					       "at offset %" PRIu64, r->what,
					       r->offset);
			v = v * 10 + (uint64_t)(val[i] - '0');
		}
		r->pax_size = v;
		r->has_pax_size = true;
	} else if (!strncmp(key, "GNU.sparse.", 11)) {
		return err_set(ERR_INVALID, "%s: sparse entries are not "
			       "supported (offset %" PRIu64 ")", r->what,
			       r->offset);
	}
	return 0;
}

/* Records "<len> <key>=<value>\n", each length checked against what is
 * left so a lying length cannot run past the buffer. */
static int pax_parse(struct tar_reader *r, const char *d, size_t n)
{
	while (n) {
		size_t len = 0, i = 0;
		const char *eq, *key;
		char kbuf[128];
		int rc;

		while (i < n && i < 8 && d[i] >= '0' && d[i] <= '9')
			len = len * 10 + (size_t)(d[i++] - '0');
		if (i == 0 || i >= n || d[i] != ' ' || len <= i + 1 ||
		    len > n || d[len - 1] != '\n')
			return err_set(ERR_INVALID, "%s: malformed PAX record "
				       "at offset %" PRIu64, r->what,
				       r->offset);
		key = d + i + 1;
		eq = memchr(key, '=', (size_t)(d + len - 1 - key));
		if (!eq || eq == key || (size_t)(eq - key) >= sizeof(kbuf))
			return err_set(ERR_INVALID, "%s: malformed PAX record "
				       "at offset %" PRIu64, r->what,
				       r->offset);
		memcpy(kbuf, key, (size_t)(eq - key));
		kbuf[eq - key] = 0;
		rc = pax_apply(r, kbuf, eq + 1, (size_t)(d + len - 1 - eq - 1));
		if (rc)
			return rc;
		d += len;
		n -= len;
	}
	return 0;
}

static int read_pax(struct tar_reader *r, uint64_t size)
{
	char *data;
	int rc;

	if (r->has_pax_path || r->has_pax_size)
		return err_set(ERR_INVALID, "%s: two PAX headers in a row at "
			       "offset %" PRIu64, r->what, r->offset);
	if (size > TAR_PAX_MAX)
		return err_set(ERR_LIMIT, "%s: PAX header of %" PRIu64
			       " bytes exceeds the limit", r->what, size);
	data = malloc(size ? (size_t)size : 1);
	if (!data)
		return err_set(ERR_NOMEM, "out of memory");
	rc = stream_read_full(r->in, data, (size_t)size, r->what);
	if (!rc) {
		r->offset += size;
		rc = skip_bytes(r, (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK);
	}
	if (!rc)
		rc = pax_parse(r, data, (size_t)size);
	free(data);
	return rc;
}

/* After the end marker only zero bytes may follow (record padding). */
static int read_trailer(struct tar_reader *r)
{
	int rc = read_block(r);

	if (rc < 0)
		return rc;
	if (rc == 1 && !all_zero(r->block, TAR_BLOCK))
		return err_set(ERR_INVALID, "%s: single zero block followed "
			       "by data at offset %" PRIu64, r->what,
			       r->offset - TAR_BLOCK);
	while (rc == 1) {
		rc = read_block(r);
		if (rc < 0)
			return rc;
		if (rc == 1 && !all_zero(r->block, TAR_BLOCK))
			return err_set(ERR_INVALID, "%s: data after the end "
				       "of the archive at offset %" PRIu64,
				       r->what, r->offset - TAR_BLOCK);
	}
	r->ended = true;
	return 0;
}

static int check_header(struct tar_reader *r, bool *gnu)
{
	uint64_t sum;
	unsigned want = block_checksum(r->block);
	int ssum = 0;

	for (size_t i = 0; i < TAR_BLOCK; i++)
		ssum += (i >= H_CHKSUM && i < H_CHKSUM + 8) ? ' ' :
			(signed char)r->block[i];
	if (parse_number(r->block + H_CHKSUM, 8, &sum) ||
	    (sum != want && (int64_t)sum != ssum))
		return err_set(ERR_INVALID, "%s: bad tar header checksum at "
			       "offset %" PRIu64, r->what,
			       r->offset - TAR_BLOCK);
	*gnu = !memcmp(r->block + H_MAGIC, "ustar  ", 8);
	if (!*gnu && memcmp(r->block + H_MAGIC, "ustar\0" "00", 8))
		return err_set(ERR_INVALID, "%s: not a ustar header at "
			       "offset %" PRIu64, r->what,
			       r->offset - TAR_BLOCK);
	return 0;
}

static int entry_name(struct tar_reader *r, bool gnu, struct tar_entry *e)
{
	const uint8_t *b = r->block;
	size_t nlen = field_len(b + H_NAME, H_NAME_LEN);
	size_t plen = gnu ? 0 : field_len(b + H_PREFIX, H_PREFIX_LEN);

	if (r->has_pax_path) {
		memcpy(e->name, r->pax_path, strlen(r->pax_path) + 1);
	} else if (plen) {
		memcpy(e->name, b + H_PREFIX, plen);
		e->name[plen] = '/';
		memcpy(e->name + plen + 1, b + H_NAME, nlen);
		e->name[plen + 1 + nlen] = 0;
	} else {
		memcpy(e->name, b + H_NAME, nlen);
		e->name[nlen] = 0;
	}
	return tar_name_check(e->name, r->what);
}

static const char *type_word(uint8_t t)
{
	switch (t) {
	case '1':
		return "a hard link";
	case '2':
		return "a symbolic link";
	case '3':
		return "a character device";
	case '4':
		return "a block device";
	case '6':
		return "a FIFO";
	case 'g':
		return "a global PAX header";
	case 'L':
	case 'K':
		return "a GNU long-name record";
	case 'S':
		return "a sparse file";
	default:
		return "an unsupported entry type";
	}
}

static int entry_type(struct tar_reader *r, struct tar_entry *e)
{
	uint8_t t = r->block[H_TYPE];

	if (t == '0' || t == 0 || t == '7') {
		e->type = TAR_FILE;
		return 0;
	}
	if (t == '5') {
		e->type = TAR_DIR;
		return 0;
	}
	return err_set(ERR_INVALID, "%s: entry '%s' is %s; layers may hold "
		       "only regular files and directories", r->what,
		       tar_printable(e->name), type_word(t));
}

static int parse_entry(struct tar_reader *r, struct tar_entry *e)
{
	uint64_t mode, size;
	bool gnu;
	int rc;

	rc = check_header(r, &gnu);
	if (rc)
		return rc;
	if (parse_number(r->block + H_MODE, 8, &mode) ||
	    parse_number(r->block + H_SIZE, 12, &size))
		return err_set(ERR_INVALID, "%s: bad numeric field in tar "
			       "header at offset %" PRIu64, r->what,
			       r->offset - TAR_BLOCK);
	rc = entry_name(r, gnu, e);
	if (!rc)
		rc = entry_type(r, e);
	if (rc)
		return rc;
	e->mode = (unsigned)(mode & 0777);
	e->size = r->has_pax_size ? r->pax_size : size;
	r->has_pax_path = r->has_pax_size = false;
	r->data_left = e->size;
	r->pad_left = (TAR_BLOCK - e->size % TAR_BLOCK) % TAR_BLOCK;
	if (e->type == TAR_DIR) {
		/* A directory carries no data; skip any it claims. */
		rc = skip_bytes(r, r->data_left + r->pad_left);
		r->data_left = r->pad_left = 0;
		e->size = 0;
	}
	return rc;
}

int tar_reader_next(struct tar_reader *r, struct tar_entry *e)
{
	int rc;

	if (r->ended)
		return 0;
	rc = skip_bytes(r, r->data_left + r->pad_left);
	if (rc)
		return rc;
	r->data_left = r->pad_left = 0;
	for (;;) {
		uint64_t size;

		rc = read_block(r);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return err_set(ERR_INVALID, "%s: tar ends without an "
				       "end-of-archive marker", r->what);
		if (all_zero(r->block, TAR_BLOCK)) {
			if (r->has_pax_path || r->has_pax_size)
				return err_set(ERR_INVALID, "%s: PAX header "
					       "without an entry", r->what);
			rc = read_trailer(r);
			return rc ? rc : 0;
		}
		if (r->block[H_TYPE] != 'x') {
			rc = parse_entry(r, e);
			if (rc)
				return rc;
			if (e->name[0] || e->type != TAR_DIR)
				break;
			continue; /* "./": the destination itself */
		}
		{
			bool gnu;

			rc = check_header(r, &gnu);
			if (!rc && parse_number(r->block + H_SIZE, 12, &size))
				rc = err_set(ERR_INVALID, "%s: bad PAX size "
					     "field", r->what);
			if (!rc)
				rc = read_pax(r, size);
			if (rc)
				return rc;
		}
	}
	if (!e->name[0])
		return err_set(ERR_INVALID, "%s: file entry with an empty "
			       "name", r->what);
	return 1;
}

ssize_t tar_reader_read(struct tar_reader *r, void *p, size_t n)
{
	ssize_t got;

	if (r->data_left == 0)
		return 0;
	if (n > r->data_left)
		n = (size_t)r->data_left;
	got = stream_read(r->in, p, n);
	if (got < 0)
		return got;
	if (got == 0)
		return err_set(ERR_INVALID, "%s: tar is truncated at offset "
			       "%" PRIu64, r->what, r->offset);
	r->offset += (uint64_t)got;
	r->data_left -= (uint64_t)got;
	return got;
}

/* Tar layers: a writer whose headers are byte-identical to Go's
 * archive/tar as KitOps uses it, and a strict streaming reader. */
#ifndef STELE_PACK_TAR_H
#define STELE_PACK_TAR_H

#include <stdbool.h>
#include <stdint.h>

#include "pack/stream.h"
#include "util/buf.h"

#define TAR_BLOCK 512
#define TAR_PATH_MAX 4096          /* longest entry name read or written */
#define TAR_PAX_MAX (64u * 1024)   /* largest PAX extended header read */
#define TAR_UID 1000               /* owner KitOps writes on every entry */

enum tar_type {
	TAR_FILE,
	TAR_DIR,
};

/*
 * Encode the header block(s) for one entry into out (appended): a USTAR
 * header, or a PAX 'x' header with its records followed by the main
 * header when the name is not ASCII, does not fit USTAR's name/prefix
 * split, or the size needs more than 11 octal digits. Fields follow
 * kit's sanitised headers: mode as given (permission, setuid, setgid and
 * sticky bits), uid 1000, gid 0, no user or group names, zero times.
 */
int tar_header_encode(const char *name, enum tar_type type, unsigned mode,
		      uint64_t size, struct buf *out);

/*
 * A writer over a sink. tar_write_header() starts an entry; for a file,
 * exactly size bytes must follow through tar_write_data() before the next
 * header or tar_write_close(), which writes the two zero blocks that end
 * the archive (no padding to a record size, as Go).
 */
struct tar_writer {
	struct stream_out *out;
	uint64_t left;       /* data bytes still owed by the current entry */
	uint64_t size;       /* size of the current entry */
	struct buf hdr;
};

void tar_writer_init(struct tar_writer *w, struct stream_out *out);
int tar_write_header(struct tar_writer *w, const char *name,
		     enum tar_type type, unsigned mode, uint64_t size);
int tar_write_data(struct tar_writer *w, const void *p, size_t n);
int tar_write_close(struct tar_writer *w);
void tar_writer_release(struct tar_writer *w);

/*
 * One entry read from a layer. name is relative, '/'-separated, with no
 * empty, "." or ".." components and no trailing slash.
 */
struct tar_entry {
	char name[TAR_PATH_MAX + 1];
	enum tar_type type;
	unsigned mode;       /* permission bits only */
	uint64_t size;
};

/*
 * A strict reader. Accepted: regular files and directories in USTAR, PAX
 * (path and size records) or GNU framing. Refused with ERR_INVALID and
 * one line naming the entry: absolute names, ".." components, symlinks,
 * hard links, devices, FIFOs, sparse and GNU long-name entries, global
 * PAX headers, bad checksums, over-long fields, truncation, and anything
 * but zero bytes after the end-of-archive blocks.
 */
struct tar_reader;

int tar_reader_new(struct stream_in *in, const char *what,
		   struct tar_reader **out);
/* 1 and *e for the next entry, 0 at the end of the archive, or < 0. */
int tar_reader_next(struct tar_reader *r, struct tar_entry *e);
/* Data of the current file entry: bytes read, 0 when it is done, or < 0. */
ssize_t tar_reader_read(struct tar_reader *r, void *p, size_t n);
void tar_reader_free(struct tar_reader *r);

/*
 * name with control bytes shown as '?', for one-line messages: a crafted
 * entry name must not break a line or drive a terminal. The result lives
 * in a thread-local buffer valid until the next call.
 */
const char *tar_printable(const char *name);

/* Check and normalise an entry name in place (the rules above). */
int tar_name_check(char *name, const char *what);

#endif

/* Internal interfaces shared by the scan engine's analysers. */
#ifndef STELE_SCAN_ENGINE_H
#define STELE_SCAN_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scan/scan.h"
#include "util/sha256.h"

/* ---- Byte sources and the buffered reader analysers pull from. ---- */

/* Read up to n bytes into p; *got is 0 only at the end of the stream. */
typedef int (*scan_read_fn)(void *ctx, uint8_t *p, size_t n, size_t *got);

/*
 * Pass over up to n bytes of a seekable source without reading them;
 * *done < n only at the end of the stream (n may be UINT64_MAX: to the
 * end).
 */
typedef int (*scan_skip_fn)(void *ctx, uint64_t n, uint64_t *done);

#define SCAN_RD_BUF (256u << 10)

/*
 * A skip that goes this far past the buffered bytes seeks in a skippable
 * source instead of reading; shorter ones cost less read than seeked.
 */
#define SCAN_RD_SEEK_MIN (4u << 10)

/*
 * A forward-only reader over a source. By default every byte that comes
 * through it is hashed, so a file is hashed in the same pass that
 * analyses it; the caller drains the rest before taking the digest.
 * Without a digest (scan_rd_no_digest()) nothing is hashed and, when the
 * source can skip, skipped regions and the drain are passed over by
 * offset, unread. A source error is sticky. Owned by the caller;
 * scan_rd_release() accepts a released one.
 */
struct scan_rd {
	scan_read_fn read;
	void *ctx;
	uint8_t *buf;
	size_t pos, len;
	uint64_t off;         /* stream offset of buf[pos] */
	bool eof;
	int err;
	struct sha256 hash;
	bool digest;          /* hash every byte (the default) */
	scan_skip_fn skip;    /* NULL: the source can only be read */
	const char *name;     /* for messages */
	/* Optional observer of every byte read, in order (text checks). */
	void (*tap)(void *ctx, const uint8_t *p, size_t n);
	void *tap_ctx;
};

int scan_rd_init(struct scan_rd *rd, scan_read_fn fn, void *ctx,
		 const char *name);
void scan_rd_release(struct scan_rd *rd);

/*
 * Stop hashing: the digest will be empty. skip (may be NULL) lets the
 * reader seek over what it is asked to skip. Call before the first read.
 */
void scan_rd_no_digest(struct scan_rd *rd, scan_skip_fn skip);

/*
 * Make up to n bytes (n <= SCAN_RD_BUF) available at *p without
 * consuming them; *avail < n only at the end of the stream.
 */
int scan_rd_peek(struct scan_rd *rd, size_t n, const uint8_t **p,
		 size_t *avail);

/*
 * Consume exactly n bytes; ERR_INVALID naming the offset when short (a
 * skip past the end of the stream, seeked or read, is a truncation).
 */
int scan_rd_read(struct scan_rd *rd, void *p, size_t n);
int scan_rd_skip(struct scan_rd *rd, uint64_t n);

/* Read through the end of the stream (hashing it), or without a digest
 * pass over it when the source can skip. */
int scan_rd_drain(struct scan_rd *rd);

static inline uint64_t scan_rd_offset(const struct scan_rd *rd)
{
	return rd->off;
}

/* True when no byte remains (may read to find out). */
bool scan_rd_at_end(struct scan_rd *rd);

/* Finish the hash into hex (SHA256_HEX_LEN + 1 bytes); "" without a
 * digest. */
void scan_rd_digest(struct scan_rd *rd, char *hex);


/* ---- The scanning context passed down through nested containers. ---- */

#define SCAN_MAX_DEPTH 8                  /* containers inside containers */
#define SCAN_MAX_TOTAL_BYTES (64ull << 30) /* expanded, over all nesting */
#define SCAN_MAX_SPOOL (8ull << 30)       /* a member copied to seek in */

struct scan_ctx {
	struct scan_report *r;
	const struct scan_opts *o;
	unsigned depth;
	uint64_t expanded;    /* bytes produced by decompression so far */
};

/* Does this scan report a sha256 for every file (no --no-digest)? */
static inline bool scan_ctx_digest(const struct scan_ctx *c)
{
	return !c->o || !c->o->no_digest;
}

/*
 * Analyse one stream: sniff its content, pick the analyser, add a file
 * record under path, hash every byte. fd is a seekable descriptor for the
 * whole stream when one exists (-1 otherwise: a container that needs to
 * seek is spooled to a temporary file). Returns 0 unless the report
 * itself failed (ERR_NOMEM); analysis problems mark the file incomplete.
 */
int scan_stream(struct scan_ctx *c, struct scan_rd *rd, int fd,
		const char *path, unsigned profiles);

/* ---- Analysers. Each marks f incomplete with a reason on failure. ---- */

/* Pickle stream mode: what the caller knows about the stream. */
enum scan_pickle_mode {
	SCAN_PICKLE_FILE,      /* a file: every stream until the end */
	SCAN_PICKLE_ONE,       /* exactly one stream, then stop */
	SCAN_PICKLE_TRIAL,     /* maybe not a pickle at all: see below */
};

/*
 * Analyse pickle streams from rd. profiles selects the allowlists. In
 * TRIAL mode a stream that fails before importing or calling anything is
 * not a pickle (*is_pickle = false) and nothing is reported. Findings
 * made before an error are kept.
 */
int scan_pickle(struct scan_ctx *c, struct scan_rd *rd, struct scan_file *f,
		unsigned profiles, enum scan_pickle_mode mode,
		bool *is_pickle);

/*
 * Does a zip64 end locator (and so a 56-byte zip64 end record before it)
 * precede the end record at eocd? PyTorch's writer always adds them.
 */
bool scan_zip64_locator(int fd, uint64_t eocd);

/* Zip archives (PyTorch checkpoints, TorchScript, .npz, .keras). */
int scan_zip(struct scan_ctx *c, int fd, uint64_t size, struct scan_file *f,
	     unsigned profiles);

/*
 * Tar, 7z and compressed wrappers through libarchive. fd as for
 * scan_stream(); 7z, which must seek, is spooled when fd is -1.
 */
int scan_archive(struct scan_ctx *c, struct scan_rd *rd, int fd,
		 struct scan_file *f, unsigned profiles);

/* A bare zlib stream (RFC 1950) wrapping another stream. */
int scan_zlib(struct scan_ctx *c, struct scan_rd *rd, struct scan_file *f,
	      unsigned profiles);

/* Copy the rest of rd into an unlinked temporary file. */
int scan_spool(struct scan_rd *rd, int *fd, uint64_t *size);

/* NumPy .npy: the header, and the pickle of an object array. */
int scan_npy(struct scan_ctx *c, struct scan_rd *rd, struct scan_file *f,
	     unsigned profiles);

/* ---- Allowlists (allow.c). ---- */

/* Internal profile bit: TorchScript archives may name __torch__ types. */
#define SCAN_PROFILE_TORCHSCRIPT (1u << 8)
/* Internal: inside a Keras archive (HDF5 members hold only weights). */
#define SCAN_PROFILE_KERAS (1u << 9)
/* Internal hint for one member: this stream is a Keras config.json. */
#define SCAN_HINT_KERAS_CONFIG (1u << 10)

/* A .keras archive's config.json, read whole (bounded) and walked by
 * scan_fmt_keras_config() (keras_config.c). */
int scan_keras_config(struct scan_ctx *c, struct scan_rd *rd,
		      struct scan_file *f);

enum scan_global_class {
	SCAN_GLOBAL_ALLOWED,
	SCAN_GLOBAL_DENIED,       /* outside every allowlist in force */
	SCAN_GLOBAL_DANGEROUS,    /* on the deny-list of known gadgets */
	SCAN_GLOBAL_DUNDER,       /* a dunder component */
};

/*
 * Classify module.name as the loader would resolve it: protocol < 3
 * applies the Python 2 name mapping, C-module aliases are folded, and
 * every dotted component is checked. canon receives the resolved
 * "module name" for messages.
 */
enum scan_global_class scan_allow_check(const char *module, const char *name,
					int proto, unsigned profiles,
					char *canon, size_t canon_len);

/* Load the embedded allowlists once; 0 or ERR_NOMEM. */
int scan_allow_init(void);

#endif

/* Streaming layer compression and decompression: none, gzip, zstd. */
#ifndef STELE_PACK_COMPRESS_H
#define STELE_PACK_COMPRESS_H

#include "pack/stream.h"

enum pack_compression {
	PACK_COMP_NONE,
	PACK_COMP_GZIP,
	PACK_COMP_ZSTD,
};

/* "none", "gzip" or "zstd"; ERR_INVALID for anything else. */
int pack_compression_parse(const char *s, enum pack_compression *out);
const char *pack_compression_name(enum pack_compression c);

/*
 * A compressing sink in front of next. Bytes written to
 * pack_zout_stream() are compressed into next; pack_zout_finish() flushes
 * the end of the stream. gzip output carries a fixed header (no name, zero
 * time, OS "unknown") so that it depends on the input only. Free with
 * pack_zout_free() (NULL-safe).
 */
struct pack_zout;

int pack_zout_new(enum pack_compression c, struct stream_out *next,
		  struct pack_zout **out);
struct stream_out *pack_zout_stream(struct pack_zout *z);
int pack_zout_finish(struct pack_zout *z);
void pack_zout_free(struct pack_zout *z);

/*
 * A decompressing source over src. Reading past the end of the compressed
 * stream returns 0; pack_zin_end() then checks that the compressed stream
 * was complete and that nothing but the end of src follows it (ERR_INVALID
 * otherwise, naming 'what'). Free with pack_zin_free() (NULL-safe).
 */
struct pack_zin;

int pack_zin_new(enum pack_compression c, struct stream_in *src,
		 const char *what, struct pack_zin **out);
struct stream_in *pack_zin_stream(struct pack_zin *z);
int pack_zin_end(struct pack_zin *z);
void pack_zin_free(struct pack_zin *z);

#endif

/* Building a ModelKit from a directory into the local store, and
 * extracting one from it. */
#ifndef STELE_PACK_PACK_H
#define STELE_PACK_PACK_H

#include <stdbool.h>
#include <stdint.h>

#include "oci/manifest.h"
#include "pack/compress.h"
#include "pack/stream.h"
#include "store/store.h"
#include "util/sha256.h"

struct pack_opts {
	const char *dir;          /* context directory */
	const char *kitfile;      /* NULL: <dir>/Kitfile */
	const char *ref;          /* tag to give the ModelKit */
	enum pack_compression comp;
};

struct pack_result {
	char digest[DIGEST_STR_LEN];   /* of the manifest */
	uint64_t size;
	size_t n_layers;
};

/*
 * Pack: one tar layer per Kitfile entry (model, parts, code, datasets,
 * docs, prompts, in that order), the Kitfile as the config blob with each
 * entry's digest and diffId, a manifest, and the tag. Layers are streamed
 * into the store; nothing is tagged unless every blob was written. The
 * manifest's creation time is SOURCE_DATE_EPOCH when set, else the newest
 * modification time among the Kitfile and the packed paths, so packing
 * the same tree twice gives the same manifest digest.
 */
int pack_modelkit(struct store *s, const struct pack_opts *o,
		  struct pack_result *res);

/* What unpack extracts. */
enum {
	UNPACK_MODEL = 1 << 0,     /* model and model parts */
	UNPACK_CODE = 1 << 1,
	UNPACK_DATASETS = 1 << 2,
	UNPACK_DOCS = 1 << 3,
	UNPACK_PROMPTS = 1 << 4,
	UNPACK_KITFILE = 1 << 5,
	UNPACK_ALL = (1 << 6) - 1,
};

/* The UNPACK_* bit that selects layers of role r. */
unsigned unpack_role_bit(enum oci_layer_role r);

/* Parse "model,code,datasets,docs,prompts,kitfile" into a mask. */
int unpack_filter_parse(const char *s, unsigned *mask);

struct unpack_opts {
	const char *ref;
	const char *dir;
	unsigned filter;
	bool overwrite;
};

/*
 * Unpack into dir. Everything is first extracted into a temporary
 * directory beside or inside dir while each blob's digest and each
 * layer's diffId are checked as it streams; only when all of it verified
 * are the results moved into place. Existing files are never replaced
 * unless overwrite is set (ERR_EXISTS naming the first one), and a
 * failure leaves dir as it was.
 */
int unpack_modelkit(struct store *s, const struct unpack_opts *o);

/*
 * Where unpack_modelkit_from() may read layers instead of the store, so a
 * caller can extract while it downloads. open() sets *in to a stream of
 * exactly the layer's bytes, or leaves it NULL to read the layer from the
 * store. The stream's read() must return 0 only at the end of a blob
 * whose digest and size were verified, and a negative err code (message
 * set) otherwise: the extracted files are kept only then. close()
 * releases a stream open() returned, consumed or not.
 */
struct unpack_layer_source {
	int (*open)(void *arg, const struct oci_descriptor *d,
		    struct stream_in **in);
	void (*close)(void *arg, struct stream_in *in);
	void *arg;
};

/* unpack_modelkit() reading layers through from (NULL: the store). The
 * manifest and config still come from the store. */
int unpack_modelkit_from(struct store *s, const struct unpack_opts *o,
			 const struct unpack_layer_source *from);

#endif

/* Walking a Kitfile entry's path into a tar layer the way kit does. */
#ifndef STELE_PACK_LAYER_H
#define STELE_PACK_LAYER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "kitfile/ignore.h"
#include "pack/tar.h"

#define PACK_WALK_DEPTH_MAX 128

/*
 * One layer to write. ctx_fd is the open context directory; path is the
 * entry's path, cleaned (pack_path_clean) and relative to it ("." for the
 * whole context). others are the cleaned paths of every layer of the
 * Kitfile: a path nested below this layer that belongs to another entry
 * is left to that entry (kit's nested-path rule). ignore may be NULL.
 * newest receives the latest modification time of anything written.
 */
struct pack_layer_src {
	int ctx_fd;
	const char *path;
	const char *const *others;
	size_t n_others;
	const struct kitignore *ignore;
	time_t newest;
};

/*
 * Write the entries of one layer, without the end-of-archive blocks.
 * The walk starts at the context directory and visits names in byte
 * order per directory, depth first, like Go's filepath.Walk; entries are
 * the ancestors of path, path itself and everything below it, minus
 * ignored and nested-layer paths. Symlinks, devices, sockets and FIFOs
 * on the way are refused with ERR_UNSUPPORTED naming the path; a missing
 * path is ERR_NOTFOUND.
 */
int pack_layer_write(struct pack_layer_src *src, struct tar_writer *tw);

/*
 * Clean a relative path as Go's filepath.Clean does ("a/./b//c/" ->
 * "a/b/c", "" -> "."); ERR_INVALID when it is absolute or climbs out
 * with "..". out has room for TAR_PATH_MAX + 1 bytes.
 */
int pack_path_clean(const char *in, char *out);

#endif

/* An OCI image-layout directory as the local side of push and pull. */
#ifndef STELE_CLIENT_LAYOUT_H
#define STELE_CLIENT_LAYOUT_H

#include <stdbool.h>

#include "client/transfer.h"

#define LAYOUT_INDEX_MAX (4u << 20)
#define LAYOUT_REF_ANNOTATION "org.opencontainers.image.ref.name"

struct layout;

/*
 * Open the layout at dir; with create, make "oci-layout", "index.json"
 * and "blobs/sha256" when absent. Tags are the ref.name annotations of
 * index.json, as skopeo and oras use them. Partial downloads live in
 * "<dir>/.partial" until verified. The caller frees with layout_free()
 * (NULL-safe).
 */
int layout_open(const char *dir, bool create, struct layout **out);
void layout_free(struct layout *l);

/* Fill out with the xfer_local functions bound to l. */
void layout_local(struct layout *l, struct xfer_local *out);

#endif

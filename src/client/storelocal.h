/* The local store (src/store) as the local side of push and pull. */
#ifndef STELE_CLIENT_STORELOCAL_H
#define STELE_CLIENT_STORELOCAL_H

#include "client/transfer.h"
#include "store/store.h"

/*
 * Bind out to store s. name is the ModelKit's reference without tag or
 * digest, as the user wrote it ("host/repo" or "repo"): a tag T is looked
 * up and recorded as "name:T", a digest D as "name@D". The state lives in
 * *self_mem, which must outlive out. Pulls into the store are not resumed
 * across processes (the store discards partial writes); within one run a
 * broken download still resumes with Range requests.
 */
struct storelocal {
	struct store *store;
	char name[STORE_REF_MAX];
};

int storelocal_bind(struct storelocal *self_mem, struct store *s,
		    const char *name, struct xfer_local *out);

#endif

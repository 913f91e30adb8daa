/* Shared option handling of stele push and stele pull. */
#ifndef STELE_CLI_XFER_COMMON_H
#define STELE_CLI_XFER_COMMON_H

#include <stdbool.h>

#include "client/layout.h"
#include "client/regclient.h"
#include "client/storelocal.h"
#include "client/transfer.h"
#include "oci/ref.h"

struct xfer_cli {
	const char *name;       /* "push" or "pull" */
	const char *layout_dir;
	bool insecure;
	bool json;
	bool quiet;
	int jobs;
	struct oci_ref ref;     /* host filled, tag defaulted */
	struct regclient *client;
	struct layout *layout;
	struct store *store;
	struct storelocal store_local;
	char local_name[STORE_REF_MAX]; /* REF less tag and digest, as typed */
	struct xfer_local local;
	struct xfer_opts opts;
};

/* Parse argv, open the registry client and the local side. */
int xfer_cli_open(struct xfer_cli *x, int argc, char **argv, bool create);

void xfer_cli_close(struct xfer_cli *x);

/* Print the result: "<verb> <ref>@<digest>" or JSON. */
void xfer_cli_report(const struct xfer_cli *x, const char *verb,
		     const char *digest);

#endif

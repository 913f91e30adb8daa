/* stele push: upload a ModelKit's blobs and manifest to a registry. */
#include "cli/cli.h"
#include "cli/xfer_common.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

static const char push_usage[] =
	"usage: stele push REF [--layout DIR] [--insecure] [-j N] "
	"[--format json]\n"
	"\n"
	"Upload the ModelKit REF names in the local store (or REF's tag in\n"
	"the OCI layout DIR) to the registry REF names:\n"
	"[host[:port]/]repo[:tag]; the host defaults to STELE_REGISTRY, the\n"
	"tag to 'latest'. Blobs go first, the manifest last, so a tag never\n"
	"names missing content.\n"
	"\n"
	"      --layout DIR     read from this OCI image layout instead\n"
	"      --insecure       allow plain HTTP to a non-loopback host\n"
	"  -j, --jobs N         parallel blob uploads (default 4)\n"
	"  -q, --quiet          no progress lines on stderr\n"
	"      --format json    print {\"reference\",\"digest\"}\n";

int cmd_push(int argc, char **argv)
{
	struct xfer_cli x = { .name = "push" };
	char digest[DIGEST_STR_LEN];
	const char *local;
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(push_usage, stdout);
		return CLI_OK;
	}
	rc = xfer_cli_open(&x, argc, argv, false);
	if (rc)
		goto out;
	local = x.ref.tag[0] ? x.ref.tag : x.ref.digest;
	rc = xfer_push(x.client, &x.local, local, x.ref.repo, x.ref.tag,
		       &x.opts, digest);
	if (!rc && x.ref.digest[0] && strcmp(digest, x.ref.digest))
		rc = err_set(ERR_DIGEST, "pushed manifest %s, not the %s "
			     "the reference names", digest, x.ref.digest);
	if (rc)
		rc = cli_fail("push", rc);
	else
		xfer_cli_report(&x, "pushed", digest);
out:
	xfer_cli_close(&x);
	return rc;
}

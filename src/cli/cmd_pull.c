/* stele pull: download and verify a ModelKit from a registry. */
#include "cli/cli.h"
#include "cli/xfer_common.h"
#include "util/err.h"

#include <stdio.h>

static const char pull_usage[] =
	"usage: stele pull REF [--layout DIR] [--insecure] [-j N] "
	"[--format json]\n"
	"\n"
	"Download the ModelKit REF names ([host[:port]/]repo[:tag|@digest])\n"
	"into the local store as REF (or into the OCI layout DIR, created\n"
	"when absent, tagged with REF's tag). Every blob is verified against\n"
	"its digest before it becomes visible. A broken download resumes\n"
	"with Range requests; with --layout, also after the process died.\n"
	"\n"
	"      --layout DIR     write to this OCI image layout instead\n"
	"      --insecure       allow plain HTTP to a non-loopback host\n"
	"  -j, --jobs N         parallel blob downloads (default 4)\n"
	"  -q, --quiet          no progress lines on stderr\n"
	"      --format json    print {\"reference\",\"digest\"}\n";

int cmd_pull(int argc, char **argv)
{
	struct xfer_cli x = { .name = "pull" };
	char digest[DIGEST_STR_LEN];
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(pull_usage, stdout);
		return CLI_OK;
	}
	rc = xfer_cli_open(&x, argc, argv, true);
	if (rc)
		goto out;
	rc = xfer_pull(x.client, &x.local, x.ref.repo,
		       x.ref.digest[0] ? x.ref.digest : x.ref.tag, x.ref.tag,
		       &x.opts, digest);
	if (rc)
		rc = cli_fail("pull", rc);
	else
		xfer_cli_report(&x, "pulled", digest);
out:
	xfer_cli_close(&x);
	return rc;
}

/* stele rm: remove references from the local store, and prune. */
#include "cli/cli.h"
#include "store/store.h"
#include "util/err.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>

static const char rm_usage[] =
	"usage: stele rm [REF...] [--prune]\n"
	"\n"
	"Remove each REF from the local store index. With --prune, then\n"
	"delete every blob no remaining reference uses (needs the store to\n"
	"itself: fails while another stele process has it open).";

int cmd_rm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "prune", no_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *s = NULL;
	bool prune = false;
	uint64_t blobs, bytes;
	int c, rc;

	if (cli_wants_help(argc, argv)) {
		puts(rm_usage);
		return CLI_OK;
	}
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c != 'p')
			return cli_usage_error("rm", "unknown option");
		prune = true;
	}
	if (optind == argc && !prune)
		return cli_usage_error("rm", "expected a reference or --prune");
	rc = store_open(NULL, &s);
	for (int i = optind; !rc && i < argc; i++)
		rc = store_untag(s, argv[i]);
	if (!rc && prune) {
		rc = store_prune(s, &blobs, &bytes);
		if (!rc)
			printf("pruned %" PRIu64 " blobs, %" PRIu64 " bytes\n",
			       blobs, bytes);
	}
	store_free(s);
	return rc ? cli_fail("rm", rc) : CLI_OK;
}

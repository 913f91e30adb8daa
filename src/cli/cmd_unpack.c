/* stele unpack: extract a ModelKit from the local store. */
#include "cli/cli.h"
#include "pack/pack.h"
#include "store/store.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>

static const char unpack_usage[] =
	"usage: stele unpack REF -d DIR [--filter LIST] [-o]\n"
	"\n"
	"Extract the ModelKit REF from the local store into DIR. Every blob\n"
	"digest and layer diffId is verified while extracting; nothing is\n"
	"placed in DIR unless all of it verified.\n"
	"\n"
	"  -d, --dir DIR        destination directory (created if missing)\n"
	"      --filter LIST    comma-separated parts to extract: model,\n"
	"                       code, datasets, docs, prompts, kitfile\n"
	"                       (default: all)\n"
	"  -o, --overwrite      replace files that already exist in DIR";

int cmd_unpack(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "filter", required_argument, NULL, 'F' },
		{ "overwrite", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct unpack_opts o = { .filter = UNPACK_ALL };
	struct store *s = NULL;
	int c, rc;

	if (cli_wants_help(argc, argv)) {
		puts(unpack_usage);
		return CLI_OK;
	}
	while ((c = getopt_long(argc, argv, "d:oh", opts, NULL)) != -1) {
		if (c == 'd')
			o.dir = optarg;
		else if (c == 'o')
			o.overwrite = true;
		else if (c == 'F' && unpack_filter_parse(optarg, &o.filter))
			return cli_usage_error("unpack", "%s", err_msg());
		else if (c != 'F')
			return cli_usage_error("unpack", "unknown option");
	}
	if (optind != argc - 1)
		return cli_usage_error("unpack", "expected one reference");
	if (!o.dir)
		return cli_usage_error("unpack", "a destination is required "
				       "(-d DIR)");
	o.ref = argv[optind];
	rc = store_open(NULL, &s);
	if (!rc)
		rc = unpack_modelkit(s, &o);
	store_free(s);
	return rc ? cli_fail("unpack", rc) : CLI_OK;
}

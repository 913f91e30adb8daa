/* stele pack: build a ModelKit from a directory into the local store. */
#include "cli/cli.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "pack/pack.h"
#include "store/store.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char pack_usage[] =
	"usage: stele pack [DIR] -t REF [--compression none|gzip|zstd]\n"
	"                  [-f KITFILE]\n"
	"\n"
	"Build a ModelKit from DIR (default: the current directory) as\n"
	"described by its Kitfile and store it in the local store as REF.\n"
	"Layers are reproducible tars, byte-compatible with KitOps.\n"
	"\n"
	"  -t, --tag REF          reference to store the ModelKit under;\n"
	"                         more tags after commas (repo:v1,latest)\n"
	"  -f, --file KITFILE     Kitfile to use (default: DIR/Kitfile)\n"
	"      --compression C    none (default), gzip or zstd\n"
	"\n"
	"Prints the manifest digest. SOURCE_DATE_EPOCH sets the creation\n"
	"time recorded in the manifest.";

/* kit's "-t repo:tag1,tag2": the extra tags name the same repository. */
static int tag_extras(struct store *s, const char *base, char *extras,
		      const struct pack_result *res)
{
	struct oci_ref r;
	char ref[600];
	char *save = NULL;
	int rc = oci_ref_parse(base, &r);

	for (char *t = strtok_r(extras, ",", &save); !rc && t;
	     t = strtok_r(NULL, ",", &save)) {
		snprintf(ref, sizeof(ref), "%s%s%s:%s", r.host,
			 r.host[0] ? "/" : "", r.repo, t);
		rc = store_tag(s, ref, res->digest, OCI_MT_MANIFEST,
			       KIT_ARTIFACT_TYPE, res->size);
	}
	return rc;
}

/* Check every extra tag before anything is packed. */
static bool extras_valid(const char *extras)
{
	char copy[1024], *save = NULL;

	if (snprintf(copy, sizeof(copy), "%s", extras) >= (int)sizeof(copy))
		return false;
	for (char *t = strtok_r(copy, ",", &save); t;
	     t = strtok_r(NULL, ",", &save))
		if (!oci_tag_valid(t))
			return false;
	return true;
}

int cmd_pack(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tag", required_argument, NULL, 't' },
		{ "file", required_argument, NULL, 'f' },
		{ "compression", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pack_opts o = { .dir = ".", .comp = PACK_COMP_NONE };
	struct pack_result res;
	struct store *s = NULL;
	char *extras = NULL;
	int c, rc;

	if (cli_wants_help(argc, argv)) {
		puts(pack_usage);
		return CLI_OK;
	}
	while ((c = getopt_long(argc, argv, "t:f:h", opts, NULL)) != -1) {
		if (c == 't')
			o.ref = optarg;
		else if (c == 'f')
			o.kitfile = optarg;
		else if (c == 'c' && pack_compression_parse(optarg, &o.comp))
			return cli_usage_error("pack", "%s", err_msg());
		else if (c != 'c')
			return cli_usage_error("pack", "unknown option");
	}
	if (optind < argc)
		o.dir = argv[optind++];
	if (optind < argc)
		return cli_usage_error("pack", "too many arguments");
	if (!o.ref)
		return cli_usage_error("pack", "a tag is required (-t REF)");
	extras = strchr(o.ref, ',');
	if (extras)
		*extras++ = 0;
	if (extras && !extras_valid(extras))
		return cli_usage_error("pack", "invalid tag in '%s'", extras);
	rc = store_open(NULL, &s);
	if (!rc)
		rc = pack_modelkit(s, &o, &res);
	if (!rc && extras)
		rc = tag_extras(s, o.ref, extras, &res);
	store_free(s);
	if (rc)
		return cli_fail("pack", rc);
	printf("%s\n", res.digest);
	return CLI_OK;
}

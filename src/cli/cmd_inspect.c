/* stele inspect: show a ModelKit's manifest and config. */
#include "cli/cli.h"
#include "oci/manifest.h"
#include "store/store.h"
#include "util/err.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INSPECT_CONFIG_MAX (16u << 20)

static const char inspect_usage[] =
	"usage: stele inspect REF [--format json]\n"
	"\n"
	"Print the manifest digest, the manifest and the config of a\n"
	"ModelKit in the local store, as one JSON object.";

static int load_json(struct store *s, const char *digest, size_t max,
		     json_t **out)
{
	json_error_t jerr;
	struct buf b;
	int rc = store_blob_get(s, digest, max, &b);

	if (rc)
		return rc;
	*out = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &jerr);
	buf_release(&b);
	if (!*out)
		return err_set(ERR_INVALID, "blob %s: %s", digest, jerr.text);
	return 0;
}

static int inspect(struct store *s, const char *ref)
{
	char digest[DIGEST_STR_LEN];
	struct oci_manifest *m = NULL;
	json_t *mj = NULL, *cj = NULL, *out;
	struct buf b;
	char *text = NULL;
	int rc = store_resolve(s, ref, digest);

	if (!rc)
		rc = store_blob_get(s, digest, OCI_MANIFEST_MAX, &b);
	if (rc)
		return rc;
	rc = oci_manifest_parse(b.data, b.len, &m);
	buf_release(&b);
	if (!rc)
		rc = load_json(s, digest, OCI_MANIFEST_MAX, &mj);
	if (!rc)
		rc = load_json(s, m->config.digest, INSPECT_CONFIG_MAX, &cj);
	if (!rc) {
		out = json_pack("{s:s, s:O, s:O}", "digest", digest,
				"manifest", mj, "config", cj);
		text = out ? json_dumps(out, JSON_INDENT(2)) : NULL;
		json_decref(out);
		if (text)
			puts(text);
		else
			rc = err_set(ERR_NOMEM, "out of memory");
	}
	free(text);
	json_decref(mj);
	json_decref(cj);
	oci_manifest_free(m);
	return rc;
}

int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *s = NULL;
	int c, rc;

	if (cli_wants_help(argc, argv)) {
		puts(inspect_usage);
		return CLI_OK;
	}
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		if (c != 'F' || strcmp(optarg, "json"))
			return cli_usage_error("inspect", "unknown option or "
					       "format (only json)");
	if (optind != argc - 1)
		return cli_usage_error("inspect", "expected one reference");
	rc = store_open(NULL, &s);
	if (!rc)
		rc = inspect(s, argv[optind]);
	store_free(s);
	return rc ? cli_fail("inspect", rc) : CLI_OK;
}

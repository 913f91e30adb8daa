/* stele list: the ModelKits in the local store. */
#include "cli/cli.h"
#include "oci/manifest.h"
#include "store/store.h"
#include "util/err.h"

#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char list_usage[] =
	"usage: stele list [--format json]\n"
	"\n"
	"List the ModelKits in the local store: reference, manifest digest\n"
	"and total size (manifest, config and layers).";

/* Total bytes a ModelKit occupies; 0 when its manifest is unreadable. */
static uint64_t modelkit_size(struct store *s, const struct store_entry *e)
{
	struct oci_manifest *m = NULL;
	uint64_t total = e->size;
	struct buf b;

	if (store_blob_get(s, e->digest, OCI_MANIFEST_MAX, &b))
		return 0;
	if (!oci_manifest_parse(b.data, b.len, &m)) {
		total += m->config.size;
		for (size_t i = 0; i < m->n_layers; i++)
			total += m->layers[i].size;
	}
	oci_manifest_free(m);
	buf_release(&b);
	return total;
}

static int print_json(struct store *s, const struct store_entry *v,
		      size_t n)
{
	json_t *arr = json_array();
	char *text;

	for (size_t i = 0; arr && i < n; i++)
		json_array_append_new(arr, json_pack(
			"{s:s, s:s, s:s, s:s, s:I}", "reference", v[i].ref,
			"digest", v[i].digest, "mediaType", v[i].media_type,
			"artifactType", v[i].artifact_type, "size",
			(json_int_t)modelkit_size(s, &v[i])));
	text = arr ? json_dumps(arr, JSON_INDENT(2)) : NULL;
	json_decref(arr);
	if (!text)
		return cli_fail("list", err_set(ERR_NOMEM, "out of memory"));
	puts(text);
	free(text);
	return CLI_OK;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct store_entry *v = NULL;
	struct store *s = NULL;
	bool json = false;
	size_t n = 0;
	int c, rc;

	if (cli_wants_help(argc, argv)) {
		puts(list_usage);
		return CLI_OK;
	}
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (c != 'F' || strcmp(optarg, "json"))
			return cli_usage_error("list", "unknown option or "
					       "format (only json)");
		json = true;
	}
	if (optind != argc)
		return cli_usage_error("list", "no arguments expected");
	rc = store_open(NULL, &s);
	if (!rc)
		rc = store_list(s, &v, &n);
	if (rc) {
		store_free(s);
		return cli_fail("list", rc);
	}
	if (json) {
		rc = print_json(s, v, n);
	} else {
		printf("%-40s %-71s %s\n", "REFERENCE", "DIGEST", "SIZE");
		for (size_t i = 0; i < n; i++)
			printf("%-40s %-71s %" PRIu64 "\n", v[i].ref,
			       v[i].digest, modelkit_size(s, &v[i]));
	}
	free(v);
	store_free(s);
	return rc;
}

/* stele tag: give a stored ModelKit another reference. */
#include "cli/cli.h"
#include "oci/manifest.h"
#include "store/store.h"
#include "util/err.h"

#include <stdio.h>

static const char tag_usage[] =
	"usage: stele tag SRC DST\n"
	"\n"
	"Make the local reference DST point at the ModelKit SRC names.";

static int tag(struct store *s, const char *src, const char *dst)
{
	char digest[DIGEST_STR_LEN];
	struct oci_manifest *m = NULL;
	struct buf b;
	int rc = store_resolve(s, src, digest);

	if (!rc)
		rc = store_blob_get(s, digest, OCI_MANIFEST_MAX, &b);
	if (rc)
		return rc;
	rc = oci_manifest_parse(b.data, b.len, &m);
	if (!rc)
		rc = store_tag(s, dst, digest, m->media_type ? m->media_type :
			       OCI_MT_MANIFEST, m->artifact_type, b.len);
	oci_manifest_free(m);
	buf_release(&b);
	return rc;
}

int cmd_tag(int argc, char **argv)
{
	struct store *s = NULL;
	int rc;

	if (cli_wants_help(argc, argv)) {
		puts(tag_usage);
		return CLI_OK;
	}
	if (argc != 3)
		return cli_usage_error("tag", "expected SRC and DST");
	rc = store_open(NULL, &s);
	if (!rc)
		rc = tag(s, argv[1], argv[2]);
	store_free(s);
	return rc ? cli_fail("tag", rc) : CLI_OK;
}

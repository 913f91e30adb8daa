/* Fuzz target: a layer stored in the registry extracted for scanning
 * (blob store, digest check, strict tar reader, scratch creation). */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "oci/manifest.h"
#include "pipeline/pipeline.h"
#include "server/blobstore.h"
#include "util/fs.h"

static char root[64];
static struct blobstore *bs;

static int setup(void)
{
	if (bs)
		return 0;
	snprintf(root, sizeof(root), "/tmp/stele-fuzz-extract-XXXXXX");
	if (!mkdtemp(root) || blobstore_fs_open(root, &bs))
		return -1;
	return 0;
}

/* Nothing extracted may be a link or anything but a file or directory. */
static void check_tree(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[8192];
	struct stat st;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (lstat(path, &st) ||
		    !(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)))
			__builtin_trap();
		if (S_ISDIR(st.st_mode) && depth < 64)
			check_tree(path, depth + 1);
	}
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char digest[DIGEST_STR_LEN], m[1024], scratch[128];

	if (setup() || bs->ops->put(bs, data, size, digest))
		return 0;
	snprintf(m, sizeof(m), "{\"schemaVersion\":2,\"config\":{\"mediaType\""
		 ":\"%s\",\"digest\":\"%s\",\"size\":%zu},\"layers\":[{"
		 "\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}]}",
		 KIT_MT_CONFIG, digest, size,
		 oci_kit_media_type(OCI_ROLE_CODE, "none"), digest, size);
	snprintf(scratch, sizeof(scratch), "%s/scratch", root);
	fs_remove_tree(scratch);
	if (mkdir(scratch, 0700))
		return 0;
	pipeline_extract(bs, m, strlen(m), scratch);
	check_tree(scratch, 0);
	fs_remove_tree(scratch);
	bs->ops->remove(bs, digest);
	return 0;
}

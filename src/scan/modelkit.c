/*
 * Scanning a ModelKit from the local store: it is unpacked (digests
 * checked) into a private temporary directory, each Kitfile entry is
 * scanned under "<role>:<path>", and the Kitfile's model framework adds
 * its allowlist profiles.
 */
#include "scan/modelkit.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kitfile/kitfile.h"
#include "pack/pack.h"
#include "store/store.h"
#include "util/err.h"
#include "util/fs.h"

static const char *role_name(enum kitfile_kind k)
{
	switch (k) {
	case KITFILE_MODEL: return "model";
	case KITFILE_MODELPART: return "part";
	case KITFILE_CODE: return "code";
	case KITFILE_DATASET: return "dataset";
	case KITFILE_DOCS: return "docs";
	case KITFILE_PROMPT: return "prompt";
	}
	return "layer";
}

static int scan_entry(struct scan_report *r, const char *root,
		      const struct kitfile_entry *e,
		      const struct scan_opts *o)
{
	char full[PATH_MAX], disp[PATH_MAX];
	struct stat st;
	int n, m;

	n = snprintf(full, sizeof(full), "%s/%s", root, e->path);
	m = snprintf(disp, sizeof(disp), "%s:%s", role_name(e->kind),
		     e->path);
	if (n < 0 || (size_t)n >= sizeof(full) || m < 0 ||
	    (size_t)m >= sizeof(disp))
		return err_set(ERR_LIMIT, "ModelKit path '%s' too long",
			       e->path);
	/* lstat: a layer that unpacked to a symlink is reported, not
	 * followed (scan_dir never follows them either). */
	if (lstat(full, &st))
		return err_set(ERR_INVALID, "'%s' is missing from the "
			       "unpacked ModelKit", e->path);
	if (S_ISDIR(st.st_mode))
		return scan_dir(r, full, disp, o);
	if (!S_ISREG(st.st_mode))
		return scan_add(r, "fs-symlink", SCAN_INFO, disp, NULL,
				"ModelKit entry is not a regular file; not "
				"followed");
	return scan_file(r, full, disp, o);
}

static int scan_unpacked(struct scan_report *r, const char *root,
			 const struct scan_opts *o)
{
	struct scan_opts eo = o ? *o : (struct scan_opts){ 0 };
	struct kitfile *kf = NULL;
	char path[PATH_MAX];
	int rc;

	if (snprintf(path, sizeof(path), "%s/Kitfile", root) >=
	    (int)sizeof(path))
		return err_set(ERR_LIMIT, "temporary directory name too long");
	rc = kitfile_load(path, &kf);
	if (rc)
		return rc;
	if (kf->has_model)
		eo.extra_profiles |= scan_profiles_for_framework(
			kf->model.framework);
	rc = scan_file(r, path, "Kitfile", &eo);
	for (size_t i = 0; !rc && i < kf->n_entries; i++) {
		rc = scan_entry(r, root, &kf->entries[i], &eo);
		if (rc && rc != ERR_NOMEM) {
			/* The report says what could not be scanned. */
			struct scan_file *f = scan_add_file(r,
				kf->entries[i].path, "unknown");

			if (!f)
				rc = ERR_NOMEM;
			else {
				scan_file_incomplete(f, "%s", err_msg());
				rc = 0;
			}
		}
	}
	kitfile_free(kf);
	return rc;
}

int scan_modelkit(struct scan_report *r, const char *store_root,
		  const char *ref, const struct scan_opts *o)
{
	char dir[PATH_MAX], kit[PATH_MAX], digest[DIGEST_STR_LEN];
	const char *tmp = getenv("TMPDIR");
	struct store *s = NULL;
	struct unpack_opts uo = { .ref = ref, .filter = UNPACK_ALL };
	int rc;

	rc = store_open(store_root, &s);
	if (rc)
		return rc;
	rc = store_resolve(s, ref, digest);
	if (rc)
		goto out;
	if (snprintf(dir, sizeof(dir), "%s/stele-scan-XXXXXX",
		     tmp && *tmp ? tmp : "/tmp") >= (int)sizeof(dir) - 8) {
		rc = err_set(ERR_LIMIT, "TMPDIR is too long");
		goto out;
	}
	if (!mkdtemp(dir)) {
		rc = err_setsys(ERR_IO, errno, "cannot create a temporary "
				"directory in '%s'", tmp ? tmp : "/tmp");
		goto out;
	}
	if (snprintf(kit, sizeof(kit), "%s/kit", dir) >= (int)sizeof(kit))
		abort();   /* dir was checked to leave room */
	uo.dir = kit;
	rc = unpack_modelkit(s, &uo);
	if (!rc)
		rc = scan_unpacked(r, kit, o);
	if (!rc && o && o->unpacked)
		rc = o->unpacked(o->unpacked_arg, kit, r);
	fs_remove_tree(dir);
out:
	store_free(s);
	return rc;
}

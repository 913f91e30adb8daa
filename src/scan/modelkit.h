/* `stele scan REF` for a ModelKit in the local store. */
#ifndef STELE_SCAN_MODELKIT_H
#define STELE_SCAN_MODELKIT_H

#include "scan/scan.h"

/*
 * Unpack ref from the store at store_root (NULL: the default store) into
 * a private temporary directory, checking every digest, and scan the
 * Kitfile and each of its entries, reported as "<role>:<path>" (role is
 * model, part, code, dataset, docs or prompt). The Kitfile's model
 * framework adds its allowlist profiles (scan_profiles_for_framework) to
 * o->extra_profiles. The directory is removed afterwards. Returns
 * ERR_NOTFOUND when ref is not in the store, another negative code when
 * the ModelKit cannot be unpacked, else 0 with the outcome in r.
 */
int scan_modelkit(struct scan_report *r, const char *store_root,
		  const char *ref, const struct scan_opts *o);

#endif

/* ModelKit references: [host[:port]/]repo[:tag][@digest]. */
#ifndef STELE_OCI_REF_H
#define STELE_OCI_REF_H

#include <stdbool.h>

#include "util/sha256.h"

#define OCI_HOST_MAX 255
#define OCI_REPO_MAX 255
#define OCI_TAG_MAX 128

struct oci_ref {
	char host[OCI_HOST_MAX + 1];   /* "" when the reference has none */
	char repo[OCI_REPO_MAX + 1];
	char tag[OCI_TAG_MAX + 1];     /* "" when absent */
	char digest[DIGEST_STR_LEN];   /* "" when absent */
};

/*
 * Parse s following the distribution reference grammar. The first path
 * component is a host when it contains '.' or ':' or is "localhost".
 * Repository components are lower-case [a-z0-9] joined by '.', '_', '__'
 * or '-'. Neither tag nor digest is defaulted here: callers decide whether
 * a missing tag means "latest". Returns ERR_INVALID with the reason.
 */
int oci_ref_parse(const char *s, struct oci_ref *ref);

/* True when name is a valid repository name (no host part). */
bool oci_repo_valid(const char *name);

/* True when tag matches [A-Za-z0-9_][A-Za-z0-9._-]{0,127}. */
bool oci_tag_valid(const char *tag);

/* Format back to text into out (size bytes); returns ERR_LIMIT if short. */
int oci_ref_format(const struct oci_ref *ref, char *out, int size);

#endif

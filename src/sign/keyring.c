/* Trusted key sets; see keyring.h. */
#include "sign/keyring.h"
#include "sign/sign.h"
#include "util/err.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void sign_keyring_init(struct sign_keyring *r)
{
	memset(r, 0, sizeof(*r));
}

void sign_keyring_release(struct sign_keyring *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		sign_key_free(r->keys[i]);
	sign_keyring_init(r);
}

int sign_keyring_add(struct sign_keyring *r, struct sign_key *k,
		     const char *name)
{
	int rc;

	if (r->n >= SIGN_KEYRING_MAX) {
		sign_key_free(k);
		return err_set(ERR_LIMIT, "more than %d trusted keys",
			       SIGN_KEYRING_MAX);
	}
	rc = sign_key_fingerprint(k, r->fingerprints[r->n]);
	if (rc) {
		sign_key_free(k);
		return rc;
	}
	snprintf(r->names[r->n], sizeof(r->names[r->n]), "%s", name);
	r->keys[r->n++] = k;
	return 0;
}

static bool keyring_wanted(const char *name)
{
	size_t n = strlen(name);

	if (name[0] == '.' || n < 5)
		return false;
	return !strcmp(name + n - 4, ".pub") || !strcmp(name + n - 4, ".pem");
}

static int keyring_add_file(struct sign_keyring *r, const char *dir,
			    const char *name)
{
	char path[PATH_MAX];
	struct sign_key *k;
	struct stat st;
	int rc;

	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >=
	    (int)sizeof(path))
		return err_set(ERR_INVALID, "key path too long in '%s'", dir);
	if (lstat(path, &st) || !S_ISREG(st.st_mode))
		return 0;
	rc = sign_key_load_public(path, &k);
	if (!rc)
		rc = sign_keyring_add(r, k, name);
	return rc;
}

int sign_keyring_load_dir(struct sign_keyring *r, const char *dir)
{
	struct dirent **names;
	int n, rc = 0;

	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return err_set(ERR_NOTFOUND, "cannot list trusted keys in "
			       "'%s'", dir);
	for (int i = 0; i < n; i++) {
		if (!rc && keyring_wanted(names[i]->d_name))
			rc = keyring_add_file(r, dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	if (!rc && r->n == 0)
		rc = err_set(ERR_NOTFOUND, "no .pub or .pem keys in '%s'", dir);
	return rc;
}

int sign_keyring_load(struct sign_keyring *r, const char *path)
{
	struct sign_key *k;
	struct stat st;
	int rc;

	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return sign_keyring_load_dir(r, path);
	rc = sign_key_load_public(path, &k);
	if (!rc)
		rc = sign_keyring_add(r, k, path);
	return rc;
}

int sign_keyring_verify_payload(const struct sign_keyring *r,
				const void *payload, size_t len,
				const char *sig_b64, size_t sig_len,
				const char *digest, size_t *which)
{
	struct sign_payload pl;
	int rc;

	for (size_t i = 0; i < r->n; i++) {
		rc = sign_verify_image_payload(r->keys[i], payload, len,
					       sig_b64, sig_len, digest, &pl);
		if (rc == 0)
			*which = i;
		if (rc != ERR_DENIED)
			return rc;
	}
	return err_set(ERR_DENIED, "signature verifies with none of the %zu "
		       "trusted keys", r->n);
}

int sign_keyring_verify_attestation(const struct sign_keyring *r,
				    const void *doc, size_t len,
				    const char *digest,
				    const char *predicate_type,
				    struct sign_statement *st, size_t *which)
{
	int rc;

	for (size_t i = 0; i < r->n; i++) {
		rc = sign_verify_attestation(r->keys[i], doc, len, digest,
					     predicate_type, st);
		if (rc == 0)
			*which = i;
		if (rc != ERR_DENIED)
			return rc;
	}
	return err_set(ERR_DENIED, "attestation verifies with none of the "
		       "%zu trusted keys", r->n);
}

/* Registry metadata behind a function table: repositories, manifests,
 * tags, blob links, referrers, uploads, users and grants. */
#ifndef STELE_META_META_H
#define STELE_META_META_H

#include <stdbool.h>
#include <stdint.h>

#include "util/sha256.h"

#define META_REPO_MAX 255
#define META_TAG_MAX 128
#define META_MEDIATYPE_MAX 255
#define META_USER_MAX 64
#define META_UPLOAD_ID_LEN 32

/* A manifest as the index knows it; the bytes live in the blob store. */
struct meta_manifest {
	char digest[DIGEST_STR_LEN];
	char media_type[META_MEDIATYPE_MAX + 1];
	int64_t size;
	char subject[DIGEST_STR_LEN];      /* "" when none */
	char artifact_type[META_MEDIATYPE_MAX + 1]; /* "" when none */
	const char *annotations;           /* JSON object text or NULL */
};

/* Digests a manifest references (config, layers, children). */
struct meta_refs {
	const char **digests;
	int n;
};

struct meta_upload {
	char id[META_UPLOAD_ID_LEN + 1];
	char repo[META_REPO_MAX + 1];
	char owner[META_USER_MAX + 1];
	int64_t size;
	int64_t updated;
};

enum meta_role {
	META_ROLE_NONE = 0,
	META_ROLE_VIEWER,
	META_ROLE_DEPLOYER,
	META_ROLE_APPROVER,
	META_ROLE_PUBLISHER,
	META_ROLE_ADMIN,
};

struct meta_user {
	char name[META_USER_MAX + 1];
	enum meta_role role;
	bool robot;
	bool disabled;
	char hash[256];        /* crypto_pwhash_str() output */
};

/* What to do when a tag already points at another manifest. */
enum meta_tag_mode {
	META_TAG_MOVE,         /* re-point it */
	META_TAG_FIXED,        /* refuse with ERR_EXISTS */
};

/* Callbacks for listings; a non-zero return stops the walk and is passed
 * up as the listing's result. */
typedef int (*meta_name_cb)(void *arg, const char *name);
typedef int (*meta_manifest_cb)(void *arg, const struct meta_manifest *m);
typedef int (*meta_upload_cb)(void *arg, const struct meta_upload *u);

struct meta;

/*
 * The backend table. Every function returns 0 or a negative err_code with
 * err_set() called. Lookups return ERR_NOTFOUND for a missing object.
 * Implementations are safe to call from many threads at once.
 */
struct meta_ops {
	void (*close)(struct meta *m);

	/* Blobs and per-repository links. */
	int (*blob_add)(struct meta *m, const char *repo, const char *digest,
			int64_t size);
	int (*blob_linked)(struct meta *m, const char *repo,
			   const char *digest, int64_t *size);
	int (*blob_unlink)(struct meta *m, const char *repo,
			   const char *digest);

	/* Manifests and their tags (ntags may be 0), in one transaction.
	 * modes[i] says what to do when tags[i] points elsewhere; on
	 * ERR_EXISTS nothing is written. */
	int (*manifest_put)(struct meta *m, const char *repo,
			    const struct meta_manifest *mf,
			    const struct meta_refs *refs,
			    const char *const *tags,
			    const enum meta_tag_mode *modes, int ntags);
	int (*manifest_get)(struct meta *m, const char *repo,
			    const char *digest, struct meta_manifest *out);
	int (*manifest_delete)(struct meta *m, const char *repo,
			       const char *digest);
	int (*manifest_tags)(struct meta *m, const char *repo,
			     const char *digest, meta_name_cb cb, void *arg);
	int (*tag_get)(struct meta *m, const char *repo, const char *tag,
		       char digest[DIGEST_STR_LEN]);
	int (*tag_delete)(struct meta *m, const char *repo, const char *tag);
	/* Tags after last (or from the start when last is NULL), sorted,
	 * at most n. */
	int (*tag_list)(struct meta *m, const char *repo, const char *last,
			int n, meta_name_cb cb, void *arg);
	int (*repo_list)(struct meta *m, const char *last, int n,
			 meta_name_cb cb, void *arg);
	/* Manifests whose subject is digest; artifact_type NULL for all.
	 * The annotations pointer is only valid during the callback. */
	int (*referrers)(struct meta *m, const char *repo, const char *digest,
			 const char *artifact_type, meta_manifest_cb cb,
			 void *arg);

	/* Upload sessions. */
	int (*upload_new)(struct meta *m, const struct meta_upload *u);
	int (*upload_get)(struct meta *m, const char *id,
			  struct meta_upload *out);
	int (*upload_set_size)(struct meta *m, const char *id, int64_t size);
	int (*upload_delete)(struct meta *m, const char *id);
	/* Uploads not touched since before. */
	int (*upload_stale)(struct meta *m, int64_t before, meta_upload_cb cb,
			    void *arg);

	/* Garbage: drop links not referenced by a manifest and older than
	 * before, then report blobs nobody links or references. */
	int (*gc_unlink_stale)(struct meta *m, int64_t before);
	int (*gc_orphans)(struct meta *m, int64_t before, meta_name_cb cb,
			  void *arg);
	int (*blob_forget)(struct meta *m, const char *digest);

	/* Accounts. user_put replaces the whole row. */
	int (*user_put)(struct meta *m, const struct meta_user *u);
	int (*user_get)(struct meta *m, const char *name,
			struct meta_user *out);
	int (*user_delete)(struct meta *m, const char *name);
	int (*user_list)(struct meta *m, meta_name_cb cb, void *arg);
	/* Grants: role on repositories matching pattern ("team/" prefix with
	 * a trailing '*', or an exact name). */
	int (*grant_put)(struct meta *m, const char *user, const char *pattern,
			 enum meta_role role);
	/* The highest role granted to user on repo (META_ROLE_NONE when no
	 * grant matches). */
	int (*grant_role)(struct meta *m, const char *user, const char *repo,
			  enum meta_role *out);
};

struct meta {
	const struct meta_ops *ops;
};

/* Open (creating when needed) the SQLite backend in dir/meta.db.
 * Release with m->ops->close(m); NULL is accepted by meta_close(). */
int meta_sqlite_open(const char *dir, struct meta **out);

void meta_close(struct meta *m);

/*
 * Run fn inside one BEGIN IMMEDIATE transaction on a connection of the
 * SQLite backend: committed when fn returns 0, rolled back otherwise (fn's
 * code is returned). This is how governance moves an environment tag, its
 * history and its audit record together. ERR_UNSUPPORTED for other
 * backends.
 */
struct sqlite3;
typedef int (*meta_tx_fn)(struct sqlite3 *db, void *arg);
int meta_sqlite_tx(struct meta *m, meta_tx_fn fn, void *arg);

/* Point tag of repo at digest inside a meta_sqlite_tx() transaction. */
int meta_sqlite_tag_move(struct sqlite3 *db, const char *repo,
			 const char *tag, const char *digest);

/* "admin", "publisher", ...; ERR_INVALID for unknown names. */
int meta_role_parse(const char *s, enum meta_role *out);
const char *meta_role_name(enum meta_role r);

/* True when a grant pattern matches a repository name. */
bool meta_pattern_match(const char *pattern, const char *repo);

#endif

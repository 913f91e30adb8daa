/* Governance state of the registry: its signing key, policies, trusted
 * publisher keys, the audit log in the metadata database, and the
 * evidence about a digest that only the server can see (signatures and
 * data classifications in its store). */
#include "server/gov.h"
#include "server/http.h"
#include "gov/audit.h"
#include "gov/checkpoint.h"
#include "gov/evidence.h"
#include "gov/store.h"
#include "oci/digest.h"
#include "sign/attach.h"
#include "sign/bundle.h"
#include "sign/check.h"
#include "sign/sign.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/sql.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#define GOV_BLOB_MAX (4u << 20)      /* signature or config blob read */
#define GOV_REFERRERS_MAX 256
#define GOV_CLASSES_MAX 64
#define OCI_MANIFEST_TYPE "application/vnd.oci.image.manifest.v1+json"
#define OCI_EMPTY_TYPE "application/vnd.oci.empty.v1+json"

/* --- configuration ----------------------------------------------------- */

static int gov_policy_load(struct srv *s, struct gov *g)
{
	const struct server_config *c = &s->cfg;
	struct buf b = BUF_INIT(CONFIG_MAX_BYTES);
	struct policy *p;
	int rc = 0;

	if (*c->config_path)
		rc = fs_read_file(c->config_path, CONFIG_MAX_BYTES, &b);
	if (rc)
		goto out;
	if (!*c->config_path || c->env_policies) {
		rc = policy_parse(b.data ? b.data : "", b.len,
				  *c->config_path ? c->config_path :
				  "defaults", &g->policy);
		goto out;
	}
	/* A plain list of names: environments without rules. */
	p = calloc(1, sizeof(*p));
	if (p)
		p->envs = calloc((size_t)c->nenvironments + 1,
				 sizeof(*p->envs));
	if (!p || !p->envs) {
		free(p);
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	g->policy = p;
	for (int i = 0; i < c->nenvironments; i++) {
		for (int k = 0; k < POLICY_NKINDS; k++)
			p->envs[i].max_severity[k] = -1;
		p->envs[i].name = strdup(c->environments[i]);
		if (!p->envs[i].name) {
			rc = err_set(ERR_NOMEM, "out of memory");
			break;
		}
		p->n_envs++;
	}
out:
	/* The hash covers the whole file: any change to it is recorded. */
	if (!rc) {
		uint8_t h[SHA256_LEN];

		sha256_buf(b.data ? b.data : "", b.len, h);
		hex_encode(h, sizeof(h), g->policy_hash);
	}
	buf_release(&b);
	return rc;
}

/* One "pattern: path" entry of trusted_keys. The path is relative to the
 * configuration file; a missing one is an error, a folder without keys
 * only a warning (keys may be added while the server runs). */
static int gov_trust_add(struct srv *s, struct gov *g, const char *pattern,
			 const char *path, const char *file)
{
	struct sign_keyring ring;
	struct gov_trust *t;
	struct stat st;
	int rc;

	if (g->ntrust >= GOV_TRUST_MAX || strlen(pattern) > GOV_PATTERN_MAX)
		return err_set(ERR_LIMIT, "%s: at most %d trusted_keys "
			       "entries with patterns of %d bytes", file,
			       GOV_TRUST_MAX, GOV_PATTERN_MAX);
	t = &g->trust[g->ntrust];
	snprintf(t->pattern, sizeof(t->pattern), "%s", pattern);
	rc = config_resolve(&s->cfg, path, t->path, sizeof(t->path));
	if (rc)
		return err_set(rc, "%s: trusted_keys '%s': path too long",
			       file, pattern);
	if (stat(t->path, &st))
		return err_setsys(ERR_NOTFOUND, errno, "%s: trusted_keys "
				  "'%s': cannot use '%s'", file, pattern,
				  t->path);
	sign_keyring_init(&ring);
	rc = sign_keyring_load(&ring, t->path);
	sign_keyring_release(&ring);
	if (rc == ERR_NOTFOUND && S_ISDIR(st.st_mode) &&
	    !access(t->path, R_OK | X_OK)) {
		log_msg(LOG_WARN, "-", "trusted_keys '%s': no .pub or .pem "
			"keys in '%s' yet: signatures for it are untrusted "
			"until keys are added there", pattern, t->path);
		rc = 0;
	}
	if (rc)
		return err_set(rc, "%s: trusted_keys '%s': %s", file, pattern,
			       err_msg());
	g->ntrust++;
	return 0;
}

static int gov_trust_node(struct srv *s, struct gov *g, yaml_document_t *doc,
			  yaml_node_t *map, const char *file)
{
	yaml_node_pair_t *p;
	int rc = 0;

	if (map->type != YAML_MAPPING_NODE)
		return err_set(ERR_INVALID, "%s:%zu: trusted_keys must map "
			       "repository patterns to key files or "
			       "directories", file, map->start_mark.line + 1);
	g->trust = calloc(GOV_TRUST_MAX, sizeof(*g->trust));
	if (!g->trust)
		return err_set(ERR_NOMEM, "out of memory");
	for (p = map->data.mapping.pairs.start;
	     !rc && p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		yaml_node_t *v = yaml_document_get_node(doc, p->value);

		if (k->type != YAML_SCALAR_NODE || v->type != YAML_SCALAR_NODE)
			return err_set(ERR_INVALID, "%s:%zu: trusted_keys "
				       "entries are 'pattern: path'", file,
				       k->start_mark.line + 1);
		rc = gov_trust_add(s, g, (const char *)k->data.scalar.value,
				   (const char *)v->data.scalar.value, file);
	}
	return rc;
}

static int gov_trust_load(struct srv *s, struct gov *g)
{
	const char *file = s->cfg.config_path;
	struct buf b = BUF_INIT(CONFIG_MAX_BYTES);
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	yaml_node_pair_t *p;
	int rc;

	if (!*file)
		return 0;
	rc = fs_read_file(file, CONFIG_MAX_BYTES, &b);
	if (rc)
		return rc;
	if (!yaml_parser_initialize(&parser)) {
		buf_release(&b);
		return err_set(ERR_NOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)
				     (b.data ? b.data : ""), b.len);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_parser_delete(&parser);
		buf_release(&b);
		return err_set(ERR_INVALID, "%s: not YAML", file);
	}
	root = yaml_document_get_root_node(&doc);
	for (p = root && root->type == YAML_MAPPING_NODE ?
	     root->data.mapping.pairs.start : NULL;
	     !rc && p && p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);

		if (k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value,
			    "trusted_keys"))
			rc = gov_trust_node(s, g, &doc,
				yaml_document_get_node(&doc, p->value), file);
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	buf_release(&b);
	return rc;
}

/* --- open, close, policy change ---------------------------------------- */

static int gov_tables(struct sqlite3 *db, void *arg)
{
	const struct gov *g = arg;
	sqlite3_stmt *st = NULL;
	char old[SHA256_HEX_LEN + 1] = "";
	char why[256];
	int rc;

	rc = gov_db_init(db);
	if (!rc)
		rc = audit_db_init(db);
	if (!rc)
		rc = gov_scan_db_init(db);
	if (!rc)
		rc = audit_checkpoint_db_init(db);
	if (!rc && sqlite3_exec(db, "CREATE TABLE IF NOT EXISTS gov_settings"
				" (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
				NULL, NULL, NULL))
		rc = err_set(ERR_IO, "cannot create settings table");
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(db, "SELECT value FROM gov_settings WHERE"
			       " key='policy_hash'", -1, &st, NULL))
		return err_set(ERR_IO, "cannot read settings");
	if (sqlite3_step(st) == SQLITE_ROW)
		snprintf(old, sizeof(old), "%s",
			 (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	if (!strcmp(old, g->policy_hash))
		return audit_checkpoint_sign(db, g->key);
	snprintf(why, sizeof(why), "policy sha256:%s (was %s%s)",
		 g->policy_hash, *old ? "sha256:" : "", *old ? old : "none");
	rc = gov_audit_db(db, NULL, "policy-change", NULL, NULL, NULL, "ok",
			  why);
	if (rc)
		return rc;
	rc = sql_exec(db, "writing settings", "INSERT OR REPLACE INTO"
		      " gov_settings VALUES ('policy_hash', ?)", "s",
		      g->policy_hash);
	if (!rc)
		rc = audit_checkpoint_sign(db, g->key);
	return rc;
}

static int gov_checkpoint_tx(struct sqlite3 *db, void *arg)
{
	return audit_checkpoint_sign(db, arg);
}

/* Every reserved environment tag has a policy and the reverse: the
 * configuration parser and the policy read the same names. */
static int gov_envs_agree(const struct srv *s, const struct gov *g)
{
	const struct server_config *c = &s->cfg;

	if ((size_t)c->nenvironments != g->policy->n_envs)
		return err_set(ERR_INVALID, "environments and policies "
			       "disagree (%d names, %zu policies)",
			       c->nenvironments, g->policy->n_envs);
	for (int i = 0; i < c->nenvironments; i++)
		if (!policy_env_find(g->policy, c->environments[i]))
			return err_set(ERR_INVALID, "environment '%s' has no "
				       "policy", c->environments[i]);
	return 0;
}

int gov_srv_open(struct srv *s)
{
	struct gov *g = calloc(1, sizeof(*g));
	char dir[PATH_MAX + 8];

	_Static_assert(sizeof(((struct gov *)0)->key_path) >= PATH_MAX + 20,
		       "key path fits");
	int rc;

	if (!g)
		return err_set(ERR_NOMEM, "out of memory");
	s->gov = g;
	g->key = s->sign_key;
	snprintf(dir, sizeof(dir), "%s/keys", s->cfg.data);
	snprintf(g->key_path, sizeof(g->key_path), "%s/signing.pub", dir);
	rc = sign_key_fingerprint(g->key, g->fingerprint);
	if (!rc)
		rc = gov_policy_load(s, g);
	if (!rc)
		rc = gov_envs_agree(s, g);
	if (!rc)
		rc = gov_trust_load(s, g);
	if (!rc)
		rc = meta_sqlite_tx(s->meta, gov_tables, g);
	g->ready = !rc;
	return rc;
}

void gov_srv_close(struct srv *s)
{
	struct gov *g = s->gov;

	if (!g)
		return;
	/* Checkpoint the head on a clean shutdown; a start that failed
	 * before the tables existed has nothing to checkpoint. */
	if (g->ready && meta_sqlite_tx(s->meta, gov_checkpoint_tx, g->key))
		log_msg(LOG_WARN, "-", "audit checkpoint: %s", err_msg());
	policy_free(g->policy);
	free(g->trust);
	free(g);
	s->gov = NULL;
}

void gov_srv_announce(const struct srv *s)
{
	printf("signing key %s %s\n", s->gov->key_path, s->gov->fingerprint);
}

/* --- audit ------------------------------------------------------------- */

int gov_audit_db(struct sqlite3 *db, struct req *r, const char *action,
		 const char *repo, const char *tag, const char *digest,
		 const char *result, const char *reason)
{
	struct audit_record rec = { 0 };
	char addr[64] = "";
	int rc;

	rec.actor = "stele";
	if (r) {
		http_client_addr(r, addr, sizeof(addr));
		rec.actor = r->who.authenticated ? r->who.user :
			    "anonymous";
		rec.addr = addr;
		rec.agent = http_header_in(r, "User-Agent");
		rec.request_id = r->id;
	}
	rec.action = action;
	rec.repo = repo && *repo ? repo : NULL;
	rec.tag = tag && *tag ? tag : NULL;
	rec.digest = digest && *digest ? digest : NULL;
	rec.result = result;
	rec.reason = reason && *reason ? reason : NULL;
	rc = audit_db_append(db, &rec);
	if (!rc && r && rec.seq % AUDIT_CHECKPOINT_EVERY == 0)
		rc = audit_checkpoint_sign(db, r->srv->gov->key);
	return rc;
}

struct audit_args {
	struct req *r;
	const char *action, *repo, *tag, *digest, *result, *reason;
};

static int gov_audit_tx(struct sqlite3 *db, void *arg)
{
	struct audit_args *a = arg;

	return gov_audit_db(db, a->r, a->action, a->repo, a->tag, a->digest,
			    a->result, a->reason);
}

void gov_audit(struct srv *s, struct req *r, const char *action,
	       const char *repo, const char *tag, const char *digest,
	       const char *result, const char *reason)
{
	struct audit_args a = { r, action, repo, tag, digest, result,
				reason };
	char keep[512];

	/* The caller's error message must survive the audit write. */
	snprintf(keep, sizeof(keep), "%s", err_msg());
	if (meta_sqlite_tx(s->meta, gov_audit_tx, &a))
		log_msg(LOG_ERROR, r ? r->id : "-", "audit append failed: %s",
			err_msg());
	err_set(ERR_GENERIC, "%s", keep);
}

/* --- signatures -------------------------------------------------------- */

bool gov_trust_for(const struct srv *s, const char *repo,
		   struct sign_keyring *ring)
{
	const struct gov_trust *best = NULL;

	sign_keyring_init(ring);
	for (size_t i = 0; i < s->gov->ntrust; i++) {
		const struct gov_trust *t = &s->gov->trust[i];

		if (!strcmp(t->pattern, "*") ||
		    meta_pattern_match(t->pattern, repo))
			if (!best || strlen(t->pattern) > strlen(best->pattern))
				best = t;
	}
	if (!best)
		return false;
	if (sign_keyring_load(ring, best->path)) {
		log_msg(LOG_WARN, "-", "trusted_keys '%s': %s", best->pattern,
			err_msg());
		sign_keyring_release(ring);
		sign_keyring_init(ring);
	}
	return true;
}

/* Read a whole blob of the store (at most max bytes) and check it. */
static int gov_blob_read(struct srv *s, const char *digest, size_t max,
			 struct buf *out)
{
	char got[DIGEST_STR_LEN];
	int64_t size;
	ssize_t n;
	int fd, rc;

	buf_clear(out);
	rc = s->bs->ops->open(s->bs, digest, &fd, &size);
	if (rc)
		return rc;
	if (size < 0 || (uint64_t)size > max) {
		close(fd);
		return err_set(ERR_LIMIT, "blob '%s' over %zu bytes", digest,
			       max);
	}
	rc = buf_grow(out, (size_t)size + 1);
	while (!rc && out->len < (size_t)size) {
		n = read(fd, out->data + out->len, (size_t)size - out->len);
		if (n <= 0)
			rc = err_set(ERR_IO, "cannot read blob '%s'", digest);
		else
			out->len += (size_t)n;
	}
	close(fd);
	if (rc)
		return rc;
	sha256_digest_buf(out->data, out->len, got);
	if (strcmp(got, digest))
		return err_set(ERR_DIGEST, "blob '%s' is corrupt", digest);
	out->data[out->len] = '\0';
	return 0;
}

static int gov_fetch(void *arg, const char *digest, uint64_t size,
		     size_t max, struct buf *out)
{
	int rc = gov_blob_read(arg, digest, max, out);

	if (!rc && out->len != size)
		return err_set(ERR_DIGEST, "blob '%s' size differs from its "
			       "descriptor", digest);
	return rc;
}

struct sig_state {
	const char *digest;
	bool ok;
	char *signer;
	size_t n;
};

static void gov_sig_record(const struct sign_record *r, void *arg)
{
	struct sig_state *st = arg;

	if (r->rc || strcmp(r->subject, st->digest))
		return;
	st->ok = true;
	snprintf(st->signer, st->n, "%s", r->key_name && *r->key_name ?
		 r->key_name : r->fingerprint);
}

static int gov_check_one(struct srv *s, const char *mdigest,
			 const char *tag, const struct sign_keyring *ring,
			 struct sig_state *st)
{
	struct buf m = BUF_INIT(GOV_BLOB_MAX);
	int rc = gov_blob_read(s, mdigest, GOV_BLOB_MAX, &m);

	/* A broken signature artifact is no signature: never an error. */
	if (!rc)
		sign_check_manifest(m.data, m.len, tag, ring,
				    tag ? NULL : SIGN_IMAGE_PREDICATE_TYPE,
				    gov_fetch, s, gov_sig_record, st);
	buf_release(&m);
	return 0;
}

struct ref_list {
	char (*d)[DIGEST_STR_LEN];
	int n;
};

static int gov_ref_collect(void *arg, const struct meta_manifest *m)
{
	struct ref_list *l = arg;

	if (l->n >= GOV_REFERRERS_MAX)
		return 0;
	memcpy(l->d[l->n++], m->digest, DIGEST_STR_LEN);
	return 0;
}

int gov_signature_evidence(struct srv *s, const char *repo,
			   const char *digest, bool *ok, char *signer,
			   size_t n)
{
	struct sig_state st = { digest, false, signer, n };
	struct ref_list l = { NULL, 0 };
	char tag[DIGEST_STR_LEN + 8], md[DIGEST_STR_LEN];
	struct sign_keyring ring;
	int rc = 0;

	*ok = false;
	signer[0] = '\0';
	if (!gov_trust_for(s, repo, &ring) || !ring.n ||
	    oci_digest_valid(digest) == false)
		goto out;
	snprintf(tag, sizeof(tag), "sha256-%s.sig", oci_digest_hex(digest));
	if (!s->meta->ops->tag_get(s->meta, repo, tag, md))
		gov_check_one(s, md, tag, &ring, &st);
	l.d = calloc(GOV_REFERRERS_MAX, sizeof(*l.d));
	if (!l.d) {
		rc = err_set(ERR_NOMEM, "out of memory");
		goto out;
	}
	rc = s->meta->ops->referrers(s->meta, repo, digest,
				     SIGN_BUNDLE_MEDIA_TYPE, gov_ref_collect,
				     &l);
	for (int i = 0; !rc && !st.ok && i < l.n; i++)
		gov_check_one(s, l.d[i], NULL, &ring, &st);
	free(l.d);
	*ok = st.ok;
out:
	sign_keyring_release(&ring);
	return rc;
}

/* --- data classifications ---------------------------------------------- */

void gov_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static int gov_class_add(char **v, size_t *n, json_t *c)
{
	if (!json_is_string(c))
		return 0;
	if (*n >= GOV_CLASSES_MAX)
		return err_set(ERR_LIMIT, "more than %d data classes",
			       GOV_CLASSES_MAX);
	v[*n] = strdup(json_string_value(c));
	if (!v[*n])
		return err_set(ERR_NOMEM, "out of memory");
	(*n)++;
	return 0;
}

static int gov_classes_from_config(json_t *cfg, char **v, size_t *n)
{
	json_t *ds, *c, *x;
	size_t i, j;
	int rc = 0;

	json_array_foreach(json_object_get(cfg, "datasets"), i, ds) {
		c = json_object_get(json_object_get(ds, "parameters"),
				    "classification");
		if (json_is_array(c)) {
			json_array_foreach(c, j, x)
				if (!rc)
					rc = gov_class_add(v, n, x);
		} else if (!rc) {
			rc = gov_class_add(v, n, c);
		}
	}
	return rc;
}

int gov_data_classes(struct srv *s, const char *repo, const char *digest,
		     char ***out, size_t *n)
{
	struct buf b = BUF_INIT(GOV_BLOB_MAX);
	json_t *m = NULL, *cfg = NULL;
	const char *cd;
	char **v;
	int rc;

	(void)repo;
	*n = 0;
	*out = v = calloc(GOV_CLASSES_MAX + 1, sizeof(*v));
	if (!v)
		return err_set(ERR_NOMEM, "out of memory");
	rc = gov_blob_read(s, digest, GOV_BLOB_MAX, &b);
	if (!rc)
		m = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
	cd = json_string_value(json_object_get(json_object_get(m, "config"),
					       "digest"));
	if (!rc && (!cd || oci_digest_valid(cd) == false))
		rc = err_set(ERR_INVALID, "manifest '%s' has no config",
			     digest);
	if (!rc)
		rc = gov_blob_read(s, cd, GOV_BLOB_MAX, &b);
	if (!rc)
		cfg = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
	if (!rc && !json_is_object(cfg))
		rc = err_set(ERR_INVALID, "config of '%s' is not a JSON "
			     "object", digest);
	if (!rc)
		rc = gov_classes_from_config(cfg, v, n);
	json_decref(m);
	json_decref(cfg);
	buf_release(&b);
	return rc;
}

/* --- attestations ------------------------------------------------------ */

static int gov_put_blob(struct srv *s, const char *repo, const void *p,
			size_t n, char digest[DIGEST_STR_LEN])
{
	int rc;

	/* The store files a blob under the digest its caller computed. */
	sha256_digest_buf(p, n, digest);
	rc = s->bs->ops->put(s->bs, p, n, digest);

	if (!rc)
		rc = s->meta->ops->blob_add(s->meta, repo, digest, (int64_t)n);
	return rc;
}

static json_t *gov_desc(const char *type, size_t size, const char *digest)
{
	return json_pack("{s:s,s:I,s:s}", "mediaType", type,
			 "size", (json_int_t)size, "digest", digest);
}

static int gov_put_referrer(struct srv *s, const char *repo,
			    const char *subject, const char *bundle_digest,
			    size_t bundle_len, const char *predicate_type,
			    char out[DIGEST_STR_LEN])
{
	struct meta_manifest subj, mf = { 0 };
	char cfg[DIGEST_STR_LEN], *text = NULL, *anns = NULL;
	const char *refs_v[2];
	struct meta_refs refs = { refs_v, 2 };
	json_t *m = NULL, *ann;
	int rc;

	rc = s->meta->ops->manifest_get(s->meta, repo, subject, &subj);
	if (!rc)
		rc = gov_put_blob(s, repo, "{}", 2, cfg);
	ann = json_pack("{s:s,s:s}", SIGN_BUNDLE_CONTENT_ANNOTATION,
			"dsse-envelope", SIGN_BUNDLE_PREDICATE_ANNOTATION,
			predicate_type);
	if (!rc)
		m = json_pack("{s:i,s:s,s:s,s:o,s:[o],s:o,s:o}",
			      "schemaVersion", 2, "mediaType",
			      OCI_MANIFEST_TYPE, "artifactType",
			      SIGN_BUNDLE_MEDIA_TYPE, "config",
			      gov_desc(OCI_EMPTY_TYPE, 2, cfg), "layers",
			      gov_desc(SIGN_BUNDLE_MEDIA_TYPE, bundle_len,
				       bundle_digest),
			      "subject", gov_desc(subj.media_type,
						  (size_t)subj.size, subject),
			      "annotations", ann);
	else
		json_decref(ann);
	text = m ? json_dumps(m, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	anns = m ? json_dumps(json_object_get(m, "annotations"),
			      JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	mf.annotations = anns;
	if (!rc && !text)
		rc = err_set(ERR_NOMEM, "out of memory");
	if (!rc) {
		sha256_digest_buf(text, strlen(text), out);
		rc = s->bs->ops->put(s->bs, text, strlen(text), out);
	}
	snprintf(mf.digest, sizeof(mf.digest), "%s", out);
	snprintf(mf.media_type, sizeof(mf.media_type), OCI_MANIFEST_TYPE);
	mf.size = text ? (int64_t)strlen(text) : 0;
	snprintf(mf.subject, sizeof(mf.subject), "%s", subject);
	snprintf(mf.artifact_type, sizeof(mf.artifact_type), "%s",
		 SIGN_BUNDLE_MEDIA_TYPE);
	refs_v[0] = cfg;
	refs_v[1] = bundle_digest;
	if (!rc)
		rc = s->meta->ops->manifest_put(s->meta, repo, &mf, &refs,
						NULL, NULL, 0);
	free(text);
	free(anns);
	json_decref(m);
	return rc;
}

int gov_attach(struct srv *s, const char *repo, const char *digest,
	       const char *predicate_type, const char *predicate,
	       size_t len, char out[DIGEST_STR_LEN])
{
	struct buf bundle = BUF_INIT(1 << 22);
	char bd[DIGEST_STR_LEN];
	int rc;

	rc = sign_attest_digest(s->gov->key, repo, digest, predicate_type,
				predicate, len, &bundle);
	pthread_rwlock_rdlock(&s->gc_lock);
	if (!rc)
		rc = gov_put_blob(s, repo, bundle.data, bundle.len, bd);
	if (!rc)
		rc = gov_put_referrer(s, repo, digest, bd, bundle.len,
				      predicate_type, out);
	pthread_rwlock_unlock(&s->gc_lock);
	buf_release(&bundle);
	return rc;
}

/* --- signatures recorded at upload ------------------------------------- */

struct sig_audit {
	struct srv *s;
	struct req *r;
};

static void gov_sig_audit(const struct sign_record *rec, void *arg)
{
	struct sig_audit *a = arg;
	char why[512];

	if (rec->rc)
		snprintf(why, sizeof(why), "not trusted: %s", rec->reason);
	else
		snprintf(why, sizeof(why), "verified by %s",
			 rec->key_name && *rec->key_name ? rec->key_name :
			 rec->fingerprint);
	gov_audit(a->s, a->r, "signature", a->r->repo, NULL, rec->subject,
		  rec->rc ? "untrusted" : "ok", why);
}

void gov_record_signatures(struct srv *s, struct req *r, const char *digest,
			   const char *tag, const void *manifest, size_t len)
{
	struct sign_keyring ring;
	struct sig_audit a = { s, r };
	char subject[DIGEST_STR_LEN];
	bool legacy = tag && sign_legacy_tag(tag, subject) ==
			     SIGN_KIND_LEGACY;

	(void)digest;
	if (!legacy && !memmem(manifest, len, SIGN_BUNDLE_MEDIA_TYPE,
			       strlen(SIGN_BUNDLE_MEDIA_TYPE)))
		return;
	gov_trust_for(s, r->repo, &ring);
	sign_check_manifest(manifest, len, legacy ? tag : NULL, &ring, NULL,
			    gov_fetch, s, gov_sig_audit, &a);
	sign_keyring_release(&ring);
}

/* stele pack: Kitfile entries to tar layers, config and manifest. */
#include "pack/pack.h"
#include "kitfile/ignore.h"
#include "kitfile/kitfile.h"
#include "oci/manifest.h"
#include "pack/layer.h"
#include "pack/tar.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PACK_JSON_MAX (16u << 20)
#define PACK_EPOCH_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

struct blob_sink {
	struct stream_out base;
	struct store_blob_writer *w;
};

static int blob_sink_write(struct stream_out *o, const void *p, size_t n)
{
	struct blob_sink *b = stream_container_of(o, struct blob_sink, base);

	return store_blob_write(b->w, p, n);
}

struct layer_out {
	char digest[DIGEST_STR_LEN];
	char diff_id[DIGEST_STR_LEN];
	uint64_t size;
};

/* tar -> [diffId hash -> compressor] -> blob; with no compression the
 * blob digest is the diffId, so the bytes are hashed once. */
static int write_layer(struct store *s, struct pack_layer_src *src,
		       enum pack_compression comp, struct layer_out *lo)
{
	struct blob_sink sink = { .base.write = blob_sink_write };
	struct stream_hash_out diff = { 0 };
	struct pack_zout *z = NULL;
	struct tar_writer tw;
	bool hashing = comp != PACK_COMP_NONE;
	int rc;

	tar_writer_init(&tw, NULL);
	rc = store_blob_open_write(s, &sink.w);
	if (!rc)
		rc = pack_zout_new(comp, &sink.base, &z);
	if (!rc && hashing)
		rc = stream_hash_out_init(&diff, pack_zout_stream(z));
	if (rc)
		goto out;
	tw.out = hashing ? &diff.base : pack_zout_stream(z);
	rc = pack_layer_write(src, &tw);
	if (!rc)
		rc = tar_write_close(&tw);
	if (!rc)
		rc = pack_zout_finish(z);
	if (rc)
		goto out;
	if (hashing)
		stream_hash_out_final(&diff, lo->diff_id);
	rc = store_blob_commit(sink.w, NULL, lo->digest, &lo->size);
	sink.w = NULL;
	if (!rc && !hashing)
		memcpy(lo->diff_id, lo->digest, DIGEST_STR_LEN);
out:
	if (hashing)
		stream_hash_out_release(&diff);
	pack_zout_free(z);
	tar_writer_release(&tw);
	store_blob_abort(sink.w);
	return rc;
}

static enum oci_layer_role role_of(enum kitfile_kind k)
{
	switch (k) {
	case KITFILE_MODEL:
		return OCI_ROLE_MODEL;
	case KITFILE_MODELPART:
		return OCI_ROLE_MODELPART;
	case KITFILE_DATASET:
		return OCI_ROLE_DATASET;
	case KITFILE_DOCS:
		return OCI_ROLE_DOCS;
	case KITFILE_PROMPT:
		return OCI_ROLE_PROMPT;
	default:
		return OCI_ROLE_CODE;
	}
}

/* kit: createdTime from SOURCE_DATE_EPOCH, formatted as RFC 3339 UTC. */
static int created_time(time_t fallback, char out[32])
{
	const char *env = getenv("SOURCE_DATE_EPOCH");
	long long v = (long long)fallback;
	struct tm tm;
	time_t t;

	if (env && *env) {
		char *end;

		errno = 0;
		v = strtoll(env, &end, 10);
		if (errno || *end || v < 0 || v > PACK_EPOCH_MAX)
			return err_set(ERR_INVALID, "invalid SOURCE_DATE_EPOCH "
				       "'%s'", env);
	}
	t = (time_t)v;
	if (!gmtime_r(&t, &tm))
		return err_set(ERR_INVALID, "time %lld out of range", v);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

struct pack_ctx {
	struct store *s;
	const struct pack_opts *o;
	struct kitfile *kf;
	struct kitignore *ig;
	struct oci_manifest *m;
	int ctx_fd;
	char (*paths)[TAR_PATH_MAX + 1];
	const char **others;
	size_t n_others;
	time_t newest;
};

static int add_layer(struct pack_ctx *c, size_t i)
{
	struct kitfile_entry *e = &c->kf->entries[i];
	struct pack_layer_src src = {
		.ctx_fd = c->ctx_fd, .path = c->paths[i],
		.others = c->others, .n_others = c->n_others,
		.ignore = c->ig,
	};
	enum oci_layer_role role = role_of(e->kind);
	struct oci_descriptor *d;
	struct layer_out lo;
	int rc = write_layer(c->s, &src, c->o->comp, &lo);

	if (rc)
		return rc;
	if (src.newest > c->newest)
		c->newest = src.newest;
	memcpy(e->digest, lo.digest, DIGEST_STR_LEN);
	memcpy(e->diff_id, lo.diff_id, DIGEST_STR_LEN);
	rc = oci_manifest_add_layer(c->m, oci_kit_media_type(role,
				    pack_compression_name(c->o->comp)),
				    lo.digest, lo.size, &d);
	if (!rc)
		rc = oci_annotations_set(&d->annotations, MODEL_ANN_FILEPATH,
					 c->paths[i]);
	if (!rc && role == OCI_ROLE_PROMPT)
		rc = oci_annotations_set(&d->annotations, KIT_ANN_SUBTYPE,
					 KIT_SUBTYPE_PROMPT);
	return rc;
}

static int add_config(struct pack_ctx *c)
{
	struct buf cfg = BUF_INIT(PACK_JSON_MAX);
	char digest[DIGEST_STR_LEN];
	int rc = kitfile_to_config_json(c->kf, &cfg);

	if (!rc)
		rc = store_blob_put(c->s, cfg.data, cfg.len, digest);
	if (!rc)
		rc = oci_descriptor_set(&c->m->config, KIT_MT_CONFIG, digest,
					cfg.len);
	buf_release(&cfg);
	return rc;
}

static int add_manifest(struct pack_ctx *c, struct pack_result *res)
{
	struct buf mj = BUF_INIT(OCI_MANIFEST_MAX);
	char created[32];
	int rc = created_time(c->newest, created);

	if (!rc)
		rc = oci_annotations_set(&c->m->annotations,
					 KIT_ANN_CLI_VERSION,
					 "stele-" STELE_VERSION);
	if (!rc)
		rc = oci_annotations_set(&c->m->annotations, OCI_ANN_CREATED,
					 created);
	if (!rc)
		rc = oci_manifest_to_json(c->m, &mj);
	if (!rc)
		rc = store_blob_put(c->s, mj.data, mj.len, res->digest);
	res->size = mj.len;
	res->n_layers = c->m->n_layers;
	if (!rc)
		rc = store_tag(c->s, c->o->ref, res->digest, OCI_MT_MANIFEST,
			       KIT_ARTIFACT_TYPE, mj.len);
	buf_release(&mj);
	return rc;
}

/* -f, else the first of kit's default names present in the context. */
static int find_kitfile(const struct pack_opts *o, char *out)
{
	static const char *const names[] = { "Kitfile", "kitfile",
					     ".kitfile" };
	int n;

	if (o->kitfile) {
		n = snprintf(out, PATH_MAX, "%s", o->kitfile);
		return n < PATH_MAX ? 0 : err_set(ERR_LIMIT, "path too long");
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		n = snprintf(out, PATH_MAX, "%s/%s", o->dir, names[i]);
		if (n >= PATH_MAX)
			return err_set(ERR_LIMIT, "path too long: '%s'",
				       o->dir);
		if (fs_exists(out))
			return 0;
	}
	return err_set(ERR_NOTFOUND, "no Kitfile in '%s' (run 'stele init "
		       "%s' to write one, or use -f KITFILE)", o->dir,
		       o->dir);
}

static int pack_prepare(struct pack_ctx *c)
{
	const struct pack_opts *o = c->o;
	char kpath[PATH_MAX], name[STORE_REF_MAX], digest[DIGEST_STR_LEN];
	struct stat st;
	size_t n;
	int rc;

	/* A bad reference should fail before gigabytes are packed. */
	rc = store_ref_normalize(o->ref, name, digest);
	if (!rc && digest[0])
		rc = err_set(ERR_INVALID, "'%s': pack needs a tag, not a "
			     "digest", o->ref);
	if (rc)
		return rc;
	rc = find_kitfile(o, kpath);
	if (!rc)
		rc = kitfile_load(kpath, &c->kf);
	if (!rc)
		rc = kitignore_load(o->dir, &c->ig);
	if (rc)
		return rc;
	if (!stat(kpath, &st))
		c->newest = st.st_mtime;
	c->ctx_fd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->ctx_fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", o->dir);
	n = c->kf->n_entries;
	c->paths = calloc(n ? n : 1, sizeof(*c->paths));
	c->others = calloc(n ? n : 1, sizeof(*c->others));
	c->m = oci_manifest_new();
	if (!c->paths || !c->others || !c->m)
		return err_set(ERR_NOMEM, "out of memory");
	c->m->media_type = strdup(OCI_MT_MANIFEST);
	c->m->artifact_type = strdup(KIT_ARTIFACT_TYPE);
	if (!c->m->media_type || !c->m->artifact_type)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const char *p = KITFILE_ENTRY_PATH(&c->kf->entries[i]);

		/* kit packs no layer for an entry without a path (a model
		 * section that only names parts, for instance). */
		if (!*p)
			continue;
		rc = pack_path_clean(p, c->paths[i]);
		if (rc)
			return rc;
		c->others[c->n_others++] = c->paths[i];
	}
	return 0;
}

int pack_modelkit(struct store *s, const struct pack_opts *o,
		  struct pack_result *res)
{
	struct pack_ctx c = { .s = s, .o = o, .ctx_fd = -1 };
	int rc = pack_prepare(&c);

	for (size_t i = 0; !rc && i < c.kf->n_entries; i++)
		if (c.paths[i][0])
			rc = add_layer(&c, i);
	if (!rc)
		rc = add_config(&c);
	if (!rc)
		rc = add_manifest(&c, res);
	if (c.ctx_fd >= 0)
		close(c.ctx_fd);
	oci_manifest_free(c.m);
	free(c.paths);
	free(c.others);
	kitignore_free(c.ig);
	kitfile_free(c.kf);
	return rc;
}

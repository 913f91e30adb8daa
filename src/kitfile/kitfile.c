/* The Kitfile's lifecycle and the validation rules kit applies to it. */
#include "kitfile/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci/ref.h"
#include "util/err.h"
#include "util/fs.h"

struct kitfile *kitfile_new(void)
{
	struct kitfile *kf = calloc(1, sizeof(*kf));

	if (!kf)
		err_set(ERR_NOMEM, "out of memory");
	return kf;
}

char *kitfile_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

int kitfile_err_at(int code, const char *name, int line, int column,
		   const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		return err_set(code, "%s:%d:%d: %s", name, line, column, msg);
	return err_set(code, "%s: %s", name, msg);
}

struct kitfile_entry *kitfile_entry_add(struct kitfile *kf,
					enum kitfile_kind kind, int line,
					int column, int *rc)
{
	struct kitfile_entry *e;
	size_t n;

	if (kf->n_entries >= KITFILE_MAX_ENTRIES) {
		*rc = err_set(ERR_LIMIT, "more than %d layers in one Kitfile",
			      KITFILE_MAX_ENTRIES);
		return NULL;
	}
	/* The capacity is implied: 8, then doubled at each power of two. */
	n = kf->n_entries;
	if (n == 0 || (n >= 8 && (n & (n - 1)) == 0)) {
		e = realloc(kf->entries, (n ? 2 * n : 8) * sizeof(*e));
		if (!e) {
			*rc = err_set(ERR_NOMEM, "out of memory");
			return NULL;
		}
		kf->entries = e;
	}
	e = &kf->entries[kf->n_entries++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->line = line;
	e->column = column;
	return e;
}

int kitfile_entries_sort(struct kitfile *kf)
{
	struct kitfile_entry *sorted;
	size_t n = 0, cap = 8;

	if (kf->n_entries < 2)
		return 0;
	/* Keep the capacity kitfile_entry_add() assumes. */
	while (cap < kf->n_entries)
		cap *= 2;
	sorted = malloc(cap * sizeof(*sorted));
	if (!sorted)
		return err_set(ERR_NOMEM, "out of memory");
	/* enum kitfile_kind is declared in packing order. */
	for (int k = KITFILE_MODEL; k <= KITFILE_PROMPT; k++)
		for (size_t i = 0; i < kf->n_entries; i++)
			if ((int)kf->entries[i].kind == k)
				sorted[n++] = kf->entries[i];
	free(kf->entries);
	kf->entries = sorted;
	return 0;
}

static void entry_release(struct kitfile_entry *e)
{
	free(e->path);
	free(e->name);
	free(e->description);
	free(e->license);
	free(e->type);
	json_decref(e->parameters);
}

void kitfile_free(struct kitfile *kf)
{
	if (!kf)
		return;
	free(kf->manifest_version);
	free(kf->package.name);
	free(kf->package.version);
	free(kf->package.description);
	free(kf->package.license);
	for (size_t i = 0; i < kf->package.n_authors; i++)
		free(kf->package.authors[i]);
	free(kf->package.authors);
	free(kf->model.name);
	free(kf->model.framework);
	free(kf->model.format);
	free(kf->model.version);
	free(kf->model.description);
	free(kf->model.license);
	json_decref(kf->model.parameters);
	for (size_t i = 0; i < kf->n_entries; i++)
		entry_release(&kf->entries[i]);
	free(kf->entries);
	free(kf);
}

int kitfile_load(const char *path, struct kitfile **out)
{
	struct buf b = BUF_INIT(KITFILE_MAX_BYTES);
	int rc;

	*out = NULL;
	rc = fs_read_file(path, KITFILE_MAX_BYTES, &b);
	if (rc == ERR_LIMIT)
		rc = err_set(ERR_LIMIT, "%s: Kitfile larger than %u bytes",
			     path, KITFILE_MAX_BYTES);
	if (rc == 0)
		rc = kitfile_parse(buf_cstr(&b), b.len, path, out);
	buf_release(&b);
	return rc;
}

#define KIT_PREFIX "application/vnd.kitops.modelkit."
#define CNCF_PREFIX "application/vnd.cncf.model."
#define CNAI_PREFIX "application/vnd.cnai.model."

const char *kitfile_media_type(enum kitfile_kind kind,
			       const char *compression)
{
	/* Prompts travel as code layers with a subtype annotation (kit's
	 * saveKitfileLayers), so they share the code media types. */
	static const char *const types[][3] = {
		[KITFILE_MODEL] = {
			KIT_PREFIX "model.v1.tar",
			KIT_PREFIX "model.v1.tar+gzip",
			KIT_PREFIX "model.v1.tar+zstd" },
		[KITFILE_MODELPART] = {
			KIT_PREFIX "modelpart.v1.tar",
			KIT_PREFIX "modelpart.v1.tar+gzip",
			KIT_PREFIX "modelpart.v1.tar+zstd" },
		[KITFILE_CODE] = {
			KIT_PREFIX "code.v1.tar",
			KIT_PREFIX "code.v1.tar+gzip",
			KIT_PREFIX "code.v1.tar+zstd" },
		[KITFILE_DATASET] = {
			KIT_PREFIX "dataset.v1.tar",
			KIT_PREFIX "dataset.v1.tar+gzip",
			KIT_PREFIX "dataset.v1.tar+zstd" },
		[KITFILE_DOCS] = {
			KIT_PREFIX "docs.v1.tar",
			KIT_PREFIX "docs.v1.tar+gzip",
			KIT_PREFIX "docs.v1.tar+zstd" },
		[KITFILE_PROMPT] = {
			KIT_PREFIX "code.v1.tar",
			KIT_PREFIX "code.v1.tar+gzip",
			KIT_PREFIX "code.v1.tar+zstd" },
	};
	int c;

	if ((int)kind < KITFILE_MODEL || kind > KITFILE_PROMPT || !compression)
		return NULL;
	if (!strcmp(compression, "none"))
		c = 0;
	else if (!strcmp(compression, "gzip"))
		c = 1;
	else if (!strcmp(compression, "zstd"))
		c = 2;
	else
		return NULL;
	return types[kind][c];
}

static const char *after_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) ? NULL : s + n;
}

/* "<base>.v1.<format>" with base one of names[]; kinds[] maps them. */
static int parse_base(const char *rest, const char *const *names,
		      const enum kitfile_kind *kinds, enum kitfile_kind *kind,
		      const char **format)
{
	for (size_t i = 0; names[i]; i++) {
		const char *f = after_prefix(rest, names[i]);

		if (f && (f = after_prefix(f, ".v1."))) {
			*kind = kinds[i];
			*format = f;
			return 0;
		}
	}
	return ERR_UNSUPPORTED;
}

int kitfile_media_type_parse(const char *media_type, enum kitfile_kind *kind,
			     const char **compression, bool *raw)
{
	static const char *const kit_names[] = { "modelpart", "model", "code",
						 "dataset", "docs", NULL };
	static const enum kitfile_kind kit_kinds[] = { KITFILE_MODELPART,
		KITFILE_MODEL, KITFILE_CODE, KITFILE_DATASET, KITFILE_DOCS };
	/* "weight.config" before "weight": the longer name first. */
	static const char *const mp_names[] = { "weight.config", "weight",
		"code", "dataset", "doc", NULL };
	static const enum kitfile_kind mp_kinds[] = { KITFILE_MODELPART,
		KITFILE_MODEL, KITFILE_CODE, KITFILE_DATASET, KITFILE_DOCS };
	const char *rest, *format = NULL;
	int rc = ERR_UNSUPPORTED;

	if (!media_type)
		return err_set(ERR_UNSUPPORTED, "no media type");
	if ((rest = after_prefix(media_type, KIT_PREFIX)))
		rc = parse_base(rest, kit_names, kit_kinds, kind, &format);
	else if ((rest = after_prefix(media_type, CNCF_PREFIX)) ||
		 (rest = after_prefix(media_type, CNAI_PREFIX)))
		rc = parse_base(rest, mp_names, mp_kinds, kind, &format);
	*raw = rc == 0 && !strcmp(format, "raw");
	if (rc == 0 && (*raw || !strcmp(format, "tar")))
		*compression = "none";
	else if (rc == 0 && !strcmp(format, "tar+gzip"))
		*compression = "gzip";
	else if (rc == 0 && !strcmp(format, "tar+zstd"))
		*compression = "zstd";
	else
		return err_set(ERR_UNSUPPORTED, "unsupported layer media type "
			       "'%s'", media_type);
	return 0;
}

char *kitfile_path_clean(const char *path)
{
	size_t n = strlen(path), w = 0, r = 0, dotdot = 0;
	bool rooted = n > 0 && path[0] == '/';
	char *out = malloc(n + 2);

	if (!out)
		return NULL;
	if (rooted) {
		out[w++] = '/';
		r = dotdot = 1;
	}
	/* Lexical processing as Go's filepath.Clean: drop empty and "."
	 * elements, let ".." remove the previous element where one is. */
	while (r < n) {
		size_t end = r;

		while (end < n && path[end] != '/')
			end++;
		if (end == r || (end - r == 1 && path[r] == '.')) {
			r = end + 1;
			continue;
		}
		if (end - r == 2 && path[r] == '.' && path[r + 1] == '.') {
			if (w > dotdot) {
				while (w > dotdot && out[w - 1] != '/')
					w--;
				if (w > dotdot)
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
			r = end + 1;
			continue;
		}
		if ((rooted && w != 1) || (!rooted && w != 0))
			out[w++] = '/';
		memcpy(out + w, path + r, end - r);
		w += end - r;
		r = end + 1;
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = '\0';
	return out;
}

/* How kit's GetPathType classifies a path string. */
enum path_type { PATH_LOCAL, PATH_REFERENCE, PATH_S3, PATH_HTTP, PATH_URL };

static bool looks_like_reference(const char *p)
{
	struct oci_ref ref;

	if (!strchr(p, ':') && !strchr(p, '@'))
		return false;
	return oci_ref_parse(p, &ref) == 0;
}

static size_t url_scheme_len(const char *p)
{
	size_t i = 0;

	if (!((p[0] >= 'a' && p[0] <= 'z') || (p[0] >= 'A' && p[0] <= 'Z')))
		return 0;
	for (i = 1; p[i] && p[i] != ':'; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+-.", p[i]))
			return 0;
	return p[i] == ':' ? i : 0;
}

static enum path_type path_type(const char *p)
{
	size_t n;

	if (looks_like_reference(p))
		return PATH_REFERENCE;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			return PATH_LOCAL; /* Go's url.Parse fails: local */
	n = url_scheme_len(p);
	if (n == 0)
		return p[0] == '/' && p[1] == '/' && p[2] && p[2] != '/' ?
			PATH_URL : PATH_LOCAL;
	if (n == 2 && !strncasecmp(p, "s3", 2))
		return PATH_S3;
	if ((n == 4 && !strncasecmp(p, "http", 4)) ||
	    (n == 5 && !strncasecmp(p, "https", 5)))
		return PATH_HTTP;
	return PATH_URL;
}

static const char *const kind_word[] = {
	[KITFILE_MODEL] = "model", [KITFILE_MODELPART] = "model part",
	[KITFILE_CODE] = "code", [KITFILE_DATASET] = "dataset",
	[KITFILE_DOCS] = "doc", [KITFILE_PROMPT] = "prompt",
};

static int check_path_type(const struct kitfile_entry *e, const char *path,
			   const char *name)
{
	enum path_type t = path_type(path);
	const char *w = kind_word[e->kind];

	if (t == PATH_LOCAL)
		return 0;
	if (t == PATH_HTTP)
		return kitfile_err_at(ERR_INVALID, name, e->line, e->column,
			"invalid path for %s (%s): HTTP urls are not supported "
			"in paths", w, path);
	if (t == PATH_URL)
		return kitfile_err_at(ERR_INVALID, name, e->line, e->column,
			"invalid path for %s (%s): unrecognized URL in path",
			w, path);
	if (t == PATH_REFERENCE && e->kind == KITFILE_MODEL)
		return kitfile_err_at(ERR_UNSUPPORTED, name, e->line,
			e->column, "a ModelKit reference as model path "
			"('%s') is not supported", path);
	if (e->kind == KITFILE_MODEL)
		return kitfile_err_at(ERR_INVALID, name, e->line, e->column,
			"invalid path for model: only local paths and ModelKit "
			"references are permitted");
	return kitfile_err_at(ERR_INVALID, name, e->line, e->column,
		"invalid path for %s (%s): only local paths are permitted",
		w, path);
}

static bool part_type_valid(const char *t)
{
	/* kit: ^[\w][\w.-]*$ with \w = [0-9A-Za-z_] */
	for (size_t i = 0; t[i]; i++) {
		unsigned char c = (unsigned char)t[i];
		bool word = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
			    (c >= 'A' && c <= 'Z') || c == '_';

		if (!word && (i == 0 || (c != '.' && c != '-')))
			return false;
	}
	return t[0] != '\0';
}

static int check_part_type(const struct kitfile_entry *e, const char *name)
{
	const char *pn = e->name ? e->name : "";
	const char *sp = *pn ? " " : "";

	if (!e->type)
		return 0;
	if (!part_type_valid(e->type))
		return kitfile_err_at(ERR_INVALID, name, e->line, e->column,
			"modelpart%s%s has invalid type (must be alphanumeric "
			"with dots, dashes, and underscores)", sp, pn);
	if (strlen(e->type) > KITFILE_PART_TYPE_MAX)
		return kitfile_err_at(ERR_INVALID, name, e->line, e->column,
			"modelpart%s%s type is too long (must be fewer than %d "
			"characters)", sp, pn, KITFILE_PART_TYPE_MAX);
	return 0;
}

/* kit names layers this way in its messages ("code layer 0", ...). */
static void entry_id(const struct kitfile *kf, size_t i, char *out,
		     size_t size)
{
	static const char *const layer[] = {
		[KITFILE_CODE] = "code", [KITFILE_DATASET] = "dataset",
		[KITFILE_DOCS] = "docs", [KITFILE_PROMPT] = "prompt",
	};
	const struct kitfile_entry *e = &kf->entries[i];
	size_t idx = 0;

	for (size_t j = 0; j < i; j++)
		idx += kf->entries[j].kind == e->kind;
	/* An unnamed model or part is just "model", never "model ". */
	if (e->kind == KITFILE_MODEL)
		snprintf(out, size, "model%s%s", kf->model.name &&
			 *kf->model.name ? " " : "",
			 kf->model.name ? kf->model.name : "");
	else if (e->kind == KITFILE_MODELPART)
		snprintf(out, size, "modelpart%s%s", e->name && *e->name ?
			 " " : "", e->name ? e->name : "");
	else
		snprintf(out, size, "%s layer %zu", layer[e->kind], idx);
}

static int check_location(const struct kitfile_entry *e, const char *clean,
			  const char *id, const char *name)
{
	if (clean[0] == '/')
		return kitfile_err_at(ERR_INVALID, name, e->line, e->column,
			"absolute paths are not supported in a Kitfile "
			"(path %s in %s)", clean, id);
	if (!strcmp(clean, "..") || !strncmp(clean, "../", 3))
		return kitfile_err_at(ERR_INVALID, name, e->line, e->column,
			"paths outside the context directory are not supported "
			"in a Kitfile (path %s in %s)", clean, id);
	return 0;
}

static int check_duplicate(const struct kitfile *kf, char **clean, size_t i,
			   const char *name)
{
	const struct kitfile_entry *e = &kf->entries[i];
	char a[320], b[320];

	/* A model without a path still claims "." in kit's check. */
	if (kf->has_model && !strcmp(clean[i], ".") &&
	    (kf->n_entries == 0 || kf->entries[0].kind != KITFILE_MODEL) &&
	    e->kind != KITFILE_MODEL) {
		entry_id(kf, i, b, sizeof(b));
		return kitfile_err_at(ERR_INVALID, name, e->line, e->column,
			"model %s and %s use the same path .",
			kf->model.name ? kf->model.name : "", b);
	}
	for (size_t j = 0; j < i; j++) {
		if (strcmp(clean[j], clean[i]))
			continue;
		entry_id(kf, j, a, sizeof(a));
		entry_id(kf, i, b, sizeof(b));
		return kitfile_err_at(ERR_INVALID, name, e->line, e->column,
			"%s and %s use the same path %s", a, b, clean[i]);
	}
	return 0;
}

static int check_entry(const struct kitfile *kf, char **clean, size_t i,
		       const char *name)
{
	const struct kitfile_entry *e = &kf->entries[i];
	const char *path = e->path ? e->path : "";
	char id[320];
	int rc;

	rc = check_path_type(e, path, name);
	if (rc == 0 && e->kind == KITFILE_MODELPART)
		rc = check_part_type(e, name);
	if (rc)
		return rc;
	entry_id(kf, i, id, sizeof(id));
	rc = check_location(e, clean[i], id, name);
	if (rc == 0)
		rc = check_duplicate(kf, clean, i, name);
	return rc;
}

int kitfile_validate(const struct kitfile *kf, const char *name)
{
	char **clean;
	int rc = 0;

	if (!kf->manifest_version || !kf->manifest_version[0])
		return err_set(ERR_INVALID, "%s: missing manifestVersion",
			       name);
	clean = calloc(kf->n_entries + 1, sizeof(*clean));
	if (!clean)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < kf->n_entries && rc == 0; i++) {
		const char *p = kf->entries[i].path;

		clean[i] = kitfile_path_clean(p ? p : "");
		if (!clean[i])
			rc = err_set(ERR_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < kf->n_entries && rc == 0; i++)
		rc = check_entry(kf, clean, i, name);
	for (size_t i = 0; i < kf->n_entries; i++)
		free(clean[i]);
	free(clean);
	return rc;
}

/*
 * `stele init`: a Kitfile for a directory, classifying files the way
 * `kit init` does (pkg/lib/kitfile/generate): weights become the model
 * and its parts, READMEs, licences and documents the docs, tables and
 * archives the datasets, prompt files the prompts, and the rest code.
 */
#include "kitfile/internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kitfile/ignore.h"
#include "util/err.h"

/* Entries one directory listing may hold. */
#define GEN_MAX_DIR_ENTRIES 100000
/* Bytes of a licence file read to recognise it. */
#define GEN_LICENSE_READ 65536

enum ftype { FT_MODEL, FT_DATASET, FT_CODE, FT_DOCS, FT_METADATA,
	     FT_PROMPT, FT_UNKNOWN, FT_COUNT };

struct gfile {
	char *name;
	char *path;     /* relative to the context, '/'-separated */
	long long size;
	bool is_dir;
};

struct glist {
	struct gfile *f;
	size_t n;
};

struct gen {
	const char *dir;
	struct kitignore *ig;
	struct kitfile *kf;
	struct glist models, metadata, unknown;
	char *license;
};

/* kit's lists, plus ".bin" weights and a few more table formats. */
static const char *const model_sfx[] = {
	".safetensors", ".pkl", ".joblib", ".pth", ".pt", ".mar", ".pt2",
	".ptl", ".pb", ".ckpt", ".tflite", ".tfrecords", ".npy", ".npz",
	".keras", ".h5", ".caffemodel", ".pmml", ".coreml", ".gguf",
	".ggml", ".ggmf", ".llamafile", ".onnx", ".bin", NULL };
static const char *const docs_sfx[] = { ".md", ".adoc", ".html", ".pdf",
					NULL };
static const char *const meta_sfx[] = { ".json", ".yaml", ".xml", ".txt",
					NULL };
static const char *const data_sfx[] = { ".tar", ".zip", ".parquet", ".csv",
					".jsonl", ".tsv", ".arrow",
					".feather", ".avro", NULL };
static const char *const prompt_names[] = { "agents.md", "skill.md",
					    "claude.md", NULL };
static const char *const os_files[] = {
	".DS_Store", ".AppleDouble", ".LSOverride", ".Spotlight-V100",
	".Trashes", "Thumbs.db", "desktop.ini", "$RECYCLE.BIN",
	"ehthumbs.db", NULL };

static bool has_suffix(const char *s, const char *const *list)
{
	size_t n = strlen(s);

	for (; *list; list++) {
		size_t m = strlen(*list);

		if (n >= m && !strcmp(s + n - m, *list))
			return true;
	}
	return false;
}

static bool in_list_nocase(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcasecmp(s, *list))
			return true;
	return false;
}

static enum ftype file_type(const char *name)
{
	char lower[NAME_MAX + 1];
	size_t i;

	for (i = 0; name[i] && i < NAME_MAX; i++)
		lower[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ?
				  name[i] + 32 : name[i]);
	lower[i] = '\0';
	/* Prompts first: "system.prompt.md" must not become a doc. */
	if (in_list_nocase(lower, prompt_names) || strstr(lower, ".prompt"))
		return FT_PROMPT;
	if (has_suffix(name, model_sfx))
		return FT_MODEL;
	if (has_suffix(name, meta_sfx))
		return FT_METADATA;
	if (has_suffix(name, docs_sfx))
		return FT_DOCS;
	if (has_suffix(name, data_sfx))
		return FT_DATASET;
	return FT_UNKNOWN;
}

static void glist_release(struct glist *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->f[i].name);
		free(l->f[i].path);
	}
	free(l->f);
	l->f = NULL;
	l->n = 0;
}

static int glist_add(struct glist *l, const struct gfile *g)
{
	struct gfile *grown, c = *g;

	if (l->n >= GEN_MAX_DIR_ENTRIES)
		return err_set(ERR_LIMIT, "more than %d entries in one "
			       "directory", GEN_MAX_DIR_ENTRIES);
	c.name = strdup(g->name);
	c.path = strdup(g->path);
	grown = realloc(l->f, (l->n + 1) * sizeof(*grown));
	if (!c.name || !c.path || !grown) {
		free(c.name);
		free(c.path);
		if (grown)
			l->f = grown;
		return err_set(ERR_NOMEM, "out of memory");
	}
	l->f = grown;
	l->f[l->n++] = c;
	return 0;
}

static bool skip_name(const struct gen *g, const char *name,
		      const char *rel)
{
	/* Hidden entries (.git, .venv, caches) stay out, as do the files
	 * operating systems scatter and what .kitignore excludes. */
	if (name[0] == '.' || in_list_nocase(name, os_files))
		return true;
	return kitignore_match(g->ig, rel, false);
}

static int cmp_gfile(const void *a, const void *b)
{
	return strcmp(((const struct gfile *)a)->name,
		      ((const struct gfile *)b)->name);
}

static int list_entry(struct gen *g, int dfd, const char *rel,
		      const char *name, struct glist *out)
{
	char path[PATH_MAX], base[NAME_MAX + 1];
	struct gfile f = { base, path, 0, false };
	struct stat st;

	snprintf(base, sizeof(base), "%s", name);
	if (snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "",
		     name) >= (int)sizeof(path))
		return err_set(ERR_LIMIT, "path too long: '%s/%s'", rel,
			       name);
	if (skip_name(g, name, path))
		return 0;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return err_setsys(ERR_IO, errno, "cannot stat '%s'", path);
	/* Like kit: only regular files and directories count. */
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return 0;
	f.is_dir = S_ISDIR(st.st_mode);
	f.size = st.st_size;
	return glist_add(out, &f);
}

/* The entries of dir/rel, sorted by name as Go's os.ReadDir returns. */
static int list_dir(struct gen *g, const char *rel, struct glist *out)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snprintf(path, sizeof(path), "%s/%s", g->dir, rel);
	d = opendir(path);
	if (!d)
		return err_setsys(errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
				  errno, "cannot open directory '%s'", path);
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		rc = list_entry(g, dirfd(d), rel, de->d_name, out);
	}
	if (rc == 0 && errno)
		rc = err_setsys(ERR_IO, errno, "cannot read '%s'", path);
	closedir(d);
	if (rc == 0 && out->n)
		qsort(out->f, out->n, sizeof(*out->f), cmp_gfile);
	return rc;
}

static int add_entry(struct gen *g, enum kitfile_kind kind,
		     const char *path, bool dir, const char *desc)
{
	struct kitfile_entry *e;
	int rc = 0;

	e = kitfile_entry_add(g->kf, kind, 0, 0, &rc);
	if (!e)
		return rc;
	e->path = malloc(strlen(path) + 2);
	if (!e->path)
		return err_set(ERR_NOMEM, "out of memory");
	/* Directories are written "dir/" as kit's unixWithTrailingSlash. */
	sprintf(e->path, "%s%s", path, dir && strcmp(path, ".") ? "/" : "");
	if (desc && !(e->description = strdup(desc)))
		return err_set(ERR_NOMEM, "out of memory");
	return 0;
}

static const char *license_id(const char *t)
{
	if (strstr(t, "Apache License") && strstr(t, "Version 2.0"))
		return "Apache-2.0";
	if (strstr(t, "MIT License") ||
	    strstr(t, "Permission is hereby granted, free of charge"))
		return "MIT";
	if (strstr(t, "GNU LESSER GENERAL PUBLIC LICENSE"))
		return strstr(t, "Version 3") ? "LGPL-3.0" : "LGPL-2.1";
	if (strstr(t, "GNU GENERAL PUBLIC LICENSE"))
		return strstr(t, "Version 3") ? "GPL-3.0" : "GPL-2.0";
	if (strstr(t, "Mozilla Public License") && strstr(t, "2.0"))
		return "MPL-2.0";
	if (strstr(t, "Redistribution and use in source and binary forms"))
		return strstr(t, "Neither the name") ? "BSD-3-Clause" :
			"BSD-2-Clause";
	if (strstr(t, "Attribution 4.0 International"))
		return "CC-BY-4.0";
	return NULL;
}

/* A recognisable licence text gives its SPDX identifier. */
static int detect_license(struct gen *g, const char *rel)
{
	char path[PATH_MAX], *text;
	const char *id;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", g->dir, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return 0; /* an unreadable licence is only not recognised */
	text = malloc(GEN_LICENSE_READ + 1);
	n = text ? read(fd, text, GEN_LICENSE_READ) : -1;
	close(fd);
	if (n < 0) {
		free(text);
		return text ? 0 : err_set(ERR_NOMEM, "out of memory");
	}
	text[n] = '\0';
	id = license_id(text);
	free(text);
	free(g->license);
	g->license = id ? strdup(id) : NULL;
	return id && !g->license ? err_set(ERR_NOMEM, "out of memory") : 0;
}

static bool starts_nocase(const char *s, const char *prefix)
{
	return !strncasecmp(s, prefix, strlen(prefix));
}

static int root_file(struct gen *g, const struct gfile *f)
{
	static const char *const kitfiles[] = { "Kitfile", "kitfile",
						".kitfile", NULL };
	int rc;

	for (const char *const *k = kitfiles; *k; k++)
		if (!strcmp(f->name, *k))
			return 0;
	if (starts_nocase(f->name, "readme"))
		return add_entry(g, KITFILE_DOCS, f->path, false,
				 "Readme file");
	if (starts_nocase(f->name, "license")) {
		rc = add_entry(g, KITFILE_DOCS, f->path, false,
			       "License file");
		return rc ? rc : detect_license(g, f->path);
	}
	switch (file_type(f->path)) {
	case FT_MODEL:
		return glist_add(&g->models, f);
	case FT_METADATA:
		return glist_add(&g->metadata, f);
	case FT_DOCS:
		return add_entry(g, KITFILE_DOCS, f->path, false, NULL);
	case FT_DATASET:
		return add_entry(g, KITFILE_DATASET, f->path, false, NULL);
	case FT_PROMPT:
		return add_entry(g, KITFILE_PROMPT, f->path, false, NULL);
	default:
		return glist_add(&g->unknown, f);
	}
}

static bool has_skill(const struct glist *l)
{
	for (size_t i = 0; i < l->n; i++)
		if (!l->f[i].is_dir && !strcasecmp(l->f[i].name, "SKILL.md"))
			return true;
	return false;
}

/* What one directory mostly holds; FT_COUNT when it is mixed. */
static enum ftype dir_type(const struct glist *l)
{
	size_t count[FT_COUNT] = { 0 };
	enum ftype overall = FT_UNKNOWN;
	int kinds = 0;

	for (size_t i = 0; i < l->n; i++)
		count[l->f[i].is_dir ? FT_UNKNOWN : file_type(l->f[i].name)]++;
	for (int t = 0; t < FT_COUNT; t++)
		if (count[t] && t != FT_METADATA) {
			kinds++;
			overall = (enum ftype)t;
		}
	return kinds > 1 ? FT_COUNT : overall;
}

static int dir_models(struct gen *g, const struct glist *l, bool all_meta)
{
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < l->n; i++)
		if (!l->f[i].is_dir && file_type(l->f[i].name) == FT_MODEL)
			rc = glist_add(&g->models, &l->f[i]);
	for (size_t i = 0; rc == 0 && all_meta && i < l->n; i++)
		if (!l->f[i].is_dir &&
		    file_type(l->f[i].name) == FT_METADATA)
			rc = glist_add(&g->models, &l->f[i]);
	return rc;
}

static int classify_dir(struct gen *g, const struct gfile *d,
			const struct glist *l)
{
	static const enum kitfile_kind as_kind[FT_COUNT + 1] = {
		[FT_DATASET] = KITFILE_DATASET, [FT_DOCS] = KITFILE_DOCS,
		[FT_PROMPT] = KITFILE_PROMPT, [FT_CODE] = KITFILE_CODE,
		[FT_UNKNOWN] = KITFILE_CODE, [FT_COUNT] = KITFILE_CODE,
	};
	enum ftype t;

	if (has_skill(l))
		return add_entry(g, KITFILE_PROMPT, d->path, true, NULL);
	if (!strcmp(d->name, "docs"))
		return add_entry(g, KITFILE_DOCS, d->path, true, NULL);
	if (!strcmp(d->name, "src") || !strcmp(d->name, "pkg") ||
	    !strcmp(d->name, "lib") || !strcmp(d->name, "build"))
		return add_entry(g, KITFILE_CODE, d->path, true, NULL);
	t = dir_type(l);
	if (t == FT_MODEL)
		return dir_models(g, l, true);
	if (t == FT_COUNT) {
		/* Mixed: a code layer, but its weights still make the model
		 * (kit returns them from addDirToKitfile). */
		int rc = add_entry(g, KITFILE_CODE, d->path, true, NULL);

		return rc ? rc : dir_models(g, l, false);
	}
	return add_entry(g, as_kind[t], d->path, true, NULL);
}

static int sub_dir(struct gen *g, const struct gfile *d)
{
	struct glist l = { 0 };
	int rc = list_dir(g, d->path, &l);

	if (rc == 0)
		rc = classify_dir(g, d, &l);
	glist_release(&l);
	return rc;
}

static int set_model_path(struct gen *g, const struct gfile *f, bool named)
{
	struct kitfile_entry *e;
	const char *dot = strrchr(f->name, '.');
	size_t n = strlen(f->path);
	int rc = 0;

	e = kitfile_entry_add(g->kf, KITFILE_MODEL, 0, 0, &rc);
	if (!e)
		return rc;
	e->path = strdup(f->path);
	if (!e->path)
		return err_set(ERR_NOMEM, "out of memory");
	if (!named)
		return 0;
	/* kit names the model after its file without the extension. */
	if (dot)
		n -= strlen(dot);
	g->kf->model.name = kitfile_strndup(f->path, n);
	return g->kf->model.name ? 0 : err_set(ERR_NOMEM, "out of memory");
}

/* One weights file is the model; among several, one at least 1.5 times
 * the average size is, the others are parts; else the first is. */
static int add_model(struct gen *g)
{
	const struct glist *m = &g->models;
	size_t big = 0;
	long long sum = 0;
	int rc;

	g->kf->has_model = true;
	if (m->n == 1)
		return set_model_path(g, &m->f[0], true);
	for (size_t i = 0; i < m->n; i++) {
		sum += m->f[i].size;
		if (m->f[i].size > m->f[big].size)
			big = i;
	}
	sum /= (long long)m->n;
	if (m->f[big].size > sum + sum / 2) {
		rc = set_model_path(g, &m->f[big], true);
	} else {
		big = 0;
		rc = set_model_path(g, &m->f[0], false);
	}
	for (size_t i = 0; rc == 0 && i < m->n; i++)
		if (i != big)
			rc = add_entry(g, KITFILE_MODELPART, m->f[i].path,
				       false, NULL);
	return rc;
}

static struct kitfile_entry *only_entry(struct kitfile *kf,
					enum kitfile_kind kind)
{
	struct kitfile_entry *found = NULL;

	for (size_t i = 0; i < kf->n_entries; i++) {
		if (kf->entries[i].kind != kind)
			continue;
		if (found)
			return NULL;
		found = &kf->entries[i];
	}
	return found;
}

/* kit puts a detected licence on the model, the single dataset, the
 * single code layer, or else the package. */
static int place_license(struct gen *g)
{
	struct kitfile *kf = g->kf;
	struct kitfile_entry *e;
	char **slot;

	if (!g->license)
		return 0;
	if (kf->has_model)
		slot = &kf->model.license;
	else if ((e = only_entry(kf, KITFILE_DATASET)) ||
		 (e = only_entry(kf, KITFILE_CODE)))
		slot = &e->license;
	else
		slot = &kf->package.license;
	*slot = g->license;
	g->license = NULL;
	return 0;
}

static int finish(struct gen *g)
{
	int rc = 0;

	if (g->unknown.n > 5)
		rc = add_entry(g, KITFILE_CODE, ".", true, NULL);
	for (size_t i = 0; rc == 0 && g->unknown.n <= 5 &&
	     i < g->unknown.n; i++)
		rc = add_entry(g, KITFILE_CODE, g->unknown.f[i].path,
			       g->unknown.f[i].is_dir, NULL);
	if (rc == 0 && g->models.n)
		rc = add_model(g);
	for (size_t i = 0; rc == 0 && i < g->metadata.n; i++)
		rc = add_entry(g, g->models.n ? KITFILE_MODELPART :
			       KITFILE_DATASET, g->metadata.f[i].path,
			       false, NULL);
	if (rc == 0)
		rc = place_license(g);
	return rc;
}

static int scan_root(struct gen *g)
{
	struct glist root = { 0 };
	int rc = list_dir(g, "", &root);

	if (rc == 0 && has_skill(&root)) {
		rc = add_entry(g, KITFILE_PROMPT, ".", true, NULL);
		goto out;
	}
	for (size_t i = 0; rc == 0 && i < root.n; i++)
		if (!root.f[i].is_dir)
			rc = root_file(g, &root.f[i]);
	for (size_t i = 0; rc == 0 && i < root.n; i++)
		if (root.f[i].is_dir)
			rc = sub_dir(g, &root.f[i]);
	if (rc == 0)
		rc = finish(g);
out:
	glist_release(&root);
	return rc;
}

static int package_name(struct kitfile *kf, const char *dir)
{
	char real[PATH_MAX];
	const char *base;

	if (!realpath(dir, real))
		return err_setsys(errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
				  errno, "cannot resolve '%s'", dir);
	base = strrchr(real, '/');
	base = base && base[1] ? base + 1 : "modelkit";
	kf->package.name = strdup(base);
	return kf->package.name ? 0 : err_set(ERR_NOMEM, "out of memory");
}

int kitfile_generate(const char *dir, struct kitfile **out)
{
	struct gen g = { dir, NULL, NULL, { 0 }, { 0 }, { 0 }, NULL };
	int rc;

	*out = NULL;
	g.kf = kitfile_new();
	if (!g.kf)
		return ERR_NOMEM;
	g.kf->manifest_version = strdup("1.0.0");
	rc = g.kf->manifest_version ? 0 : err_set(ERR_NOMEM, "out of memory");
	if (rc == 0)
		rc = kitignore_load(dir, &g.ig);
	if (rc == 0)
		rc = package_name(g.kf, dir);
	if (rc == 0)
		rc = scan_root(&g);
	if (rc == 0)
		rc = kitfile_entries_sort(g.kf);
	if (rc == 0)
		rc = kitfile_validate(g.kf, "generated Kitfile");
	glist_release(&g.models);
	glist_release(&g.metadata);
	glist_release(&g.unknown);
	kitignore_free(g.ig);
	free(g.license);
	if (rc)
		kitfile_free(g.kf);
	else
		*out = g.kf;
	return rc;
}

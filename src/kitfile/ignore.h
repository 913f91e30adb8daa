/* .kitignore: gitignore-style patterns excluding files from a pack. */
#ifndef STELE_KITFILE_IGNORE_H
#define STELE_KITFILE_IGNORE_H

#include <stdbool.h>
#include <stddef.h>

struct kitignore;

/* Load <dir>/.kitignore (a missing file gives an empty set). */
int kitignore_load(const char *dir, struct kitignore **out);

/* Parse patterns from memory. */
int kitignore_parse(const char *text, size_t len, struct kitignore **out);

/* True when relpath (relative to the context dir, '/'-separated) is
 * excluded. The Kitfile itself and .kitignore are always excluded. */
bool kitignore_match(const struct kitignore *ig, const char *relpath,
		     bool is_dir);

void kitignore_free(struct kitignore *ig);

/*
 * Additions for pack (the declarations above are fixed).
 */
struct kitfile;

/* Patterns one .kitignore may hold, and its size. */
#define KITIGNORE_MAX_PATTERNS 10000
#define KITIGNORE_MAX_BYTES (1u << 20)

/*
 * kit's ignore.Paths.Matches: true when relpath is left out of the layer
 * at layer_path, either by .kitignore (and the Kitfile defaults) or
 * because it lies inside another layer of kf nested in this one (the
 * nested-path exclusion rule). Both paths are relative to the context.
 */
bool kitignore_excludes(const struct kitignore *ig, const struct kitfile *kf,
			const char *relpath, const char *layer_path);

/* True when a '!' pattern exists: a directory that matches may still
 * hold included files, so a walk must not skip it whole. */
bool kitignore_has_exclusions(const struct kitignore *ig);

#endif

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

#endif

/* A bounded TOML reader for dependency files, keeping line numbers. */
#ifndef STELE_VULN_TOML_H
#define STELE_VULN_TOML_H

#include <stddef.h>

#define TOML_MAX_DEPTH 32
#define TOML_MAX_NODES 500000

enum toml_type { TOML_TABLE, TOML_ARRAY, TOML_STRING, TOML_OTHER };

/*
 * A node of the document. Tables hold their members in kids with key set;
 * arrays hold elements. TOML_OTHER keeps numbers, booleans and dates as
 * their text in str. Owned by the root; free the root with toml_free().
 */
struct toml_node {
	enum toml_type type;
	char *key;
	char *str;
	int line;
	struct toml_node **kids;
	size_t n, cap;
	unsigned flags;       /* internal: how the table was defined */
};

/*
 * Parse TOML 1.0 (strings of all four kinds with escapes, arrays, inline
 * tables, dotted keys, [table] and [[array]] headers). Duplicate keys and
 * redefined tables are refused. Errors name the file and line.
 */
int toml_parse(const char *data, size_t len, const char *name,
	       struct toml_node **root);
void toml_free(struct toml_node *n);

/* The member key of a table, or NULL (also when t is not a table). */
const struct toml_node *toml_get(const struct toml_node *t, const char *key);

/* toml_get() through a dotted path of bare keys ("tool.poetry"). */
const struct toml_node *toml_path(const struct toml_node *t,
				  const char *path);

#endif

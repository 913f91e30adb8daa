/* Registry server settings: defaults, command-line flags and the YAML
 * configuration file. */
#ifndef STELE_SERVER_CONFIG_H
#define STELE_SERVER_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define CONFIG_MAX_BYTES (256 * 1024)
#define CONFIG_MAX_ENVS 16
#define CONFIG_NAME_MAX 128

enum config_tag_rule {
	CONFIG_TAGS_MUTABLE,   /* ordinary tags may move */
	CONFIG_TAGS_IMMUTABLE, /* every tag is fixed once pushed */
};

struct server_config {
	char listen[256];            /* "ADDR:PORT", "[ADDR]:PORT" */
	char data[PATH_MAX];
	char tls_cert[PATH_MAX];     /* "" for plain HTTP */
	char tls_key[PATH_MAX];
	char url[512];               /* public base URL; "" to derive */
	char environments[CONFIG_MAX_ENVS][CONFIG_NAME_MAX + 1];
	int nenvironments;
	bool env_policies;           /* given as a mapping with rules */
	enum config_tag_rule other_tags;
	bool anonymous_pull;
	int token_ttl;               /* seconds */
	int gc_interval;             /* seconds; 0 disables online GC */
	int gc_grace;                /* seconds */
	int upload_grace;            /* seconds before idle uploads go */
	char log_level[16];
	char access_log[PATH_MAX];   /* "" sends access lines to the log */
	char config_path[PATH_MAX];  /* file config_load() read, or "" */
	char config_dir[PATH_MAX];   /* its absolute directory, or "" */
	int scan_workers;            /* pipeline threads (docs/pipeline.md) */
};

/* Defaults: 127.0.0.1:5000, ./stele-data, dev/staging/prod reserved,
 * ordinary tags mutable, anonymous access off. */
void config_defaults(struct server_config *c);

/*
 * Apply a YAML document of n bytes (a mapping; see docs/registry.md).
 * Unknown keys and wrong types are ERR_INVALID naming the key and the
 * line; name is used in messages.
 */
int config_parse(struct server_config *c, const char *p, size_t n,
		 const char *name);

/* Set one key from text as the YAML file would (command-line flags). */
int config_set(struct server_config *c, const char *key, const char *value);

/*
 * Read and apply a file (at most CONFIG_MAX_BYTES). Relative paths in it
 * (data, tls_cert, tls_key, access_log; trusted_keys through
 * config_resolve) are taken from the file's directory.
 */
int config_load(struct server_config *c, const char *path);

/* path as the configuration file means it: absolute paths as they are,
 * relative ones under c->config_dir (the working directory without a
 * file). ERR_LIMIT when the result does not fit n bytes. */
int config_resolve(const struct server_config *c, const char *path,
		   char *out, size_t n);

#endif

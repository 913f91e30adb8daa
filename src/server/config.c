/* The YAML configuration file: a flat mapping with a few nested
 * sections, read with libyaml's event parser and bounded in size. */
#include "server/config.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define CONFIG_MAX_EVENTS 4096

void config_defaults(struct server_config *c)
{
	static const char *const envs[] = { "dev", "staging", "prod" };

	memset(c, 0, sizeof(*c));
	snprintf(c->listen, sizeof(c->listen), "127.0.0.1:5000");
	snprintf(c->data, sizeof(c->data), "stele-data");
	for (int i = 0; i < 3; i++)
		snprintf(c->environments[i], CONFIG_NAME_MAX + 1, "%s",
			 envs[i]);
	c->nenvironments = 3;
	c->other_tags = CONFIG_TAGS_MUTABLE;
	c->token_ttl = 300;
	c->gc_interval = 3600;
	c->scan_workers = 2;
	c->gc_grace = 86400;
	c->upload_grace = 86400;
	snprintf(c->log_level, sizeof(c->log_level), "info");
}

struct cparse {
	yaml_parser_t p;
	const char *name;
	int events;
	size_t key_line;        /* line of the top-level key being applied */
};

static int next_event(struct cparse *cp, yaml_event_t *ev)
{
	if (++cp->events > CONFIG_MAX_EVENTS)
		return err_set(ERR_LIMIT, "%s: more than %d YAML events",
			       cp->name, CONFIG_MAX_EVENTS);
	if (!yaml_parser_parse(&cp->p, ev))
		return err_set(ERR_INVALID, "%s: %s at line %zu column %zu",
			       cp->name, cp->p.problem ? cp->p.problem :
			       "YAML error", cp->p.problem_mark.line + 1,
			       cp->p.problem_mark.column + 1);
	return 0;
}

/* Read one scalar value into out; anything else is an error. */
static int want_scalar(struct cparse *cp, const char *key, char *out,
		       size_t n)
{
	yaml_event_t ev;
	int rc = next_event(cp, &ev);

	if (rc)
		return rc;
	if (ev.type != YAML_SCALAR_EVENT) {
		rc = err_set(ERR_INVALID, "%s: '%s' must be a scalar at line "
			     "%zu", cp->name, key, ev.start_mark.line + 1);
	} else if (ev.data.scalar.length >= n) {
		rc = err_set(ERR_LIMIT, "%s: '%s' is too long at line %zu",
			     cp->name, key, ev.start_mark.line + 1);
	} else {
		memcpy(out, ev.data.scalar.value, ev.data.scalar.length);
		out[ev.data.scalar.length] = '\0';
	}
	yaml_event_delete(&ev);
	return rc;
}

static int want_int(struct cparse *cp, const char *key, int *out, int max)
{
	char v[32], *end;
	long n;
	int rc = want_scalar(cp, key, v, sizeof(v));

	if (rc)
		return rc;
	n = strtol(v, &end, 10);
	if (!*v || *end || n < 0 || n > max)
		return err_set(ERR_INVALID, "%s: '%s' must be a number from 0 "
			       "to %d", cp->name, key, max);
	*out = (int)n;
	return 0;
}

static int want_bool(struct cparse *cp, const char *key, bool *out)
{
	char v[16];
	int rc = want_scalar(cp, key, v, sizeof(v));

	if (rc)
		return rc;
	if (!strcmp(v, "true") || !strcmp(v, "yes"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no"))
		*out = false;
	else
		return err_set(ERR_INVALID, "%s: '%s' must be true or false",
			       cp->name, key);
	return 0;
}

/* Skip the value whose first event was just read (depth 1 when it opened
 * a mapping or a sequence, 0 for a scalar). */
static int skip_value(struct cparse *cp, int depth)
{
	yaml_event_t ev;
	int rc;

	while (depth > 0) {
		rc = next_event(cp, &ev);
		if (rc)
			return rc;
		if (ev.type == YAML_MAPPING_START_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (ev.type == YAML_MAPPING_END_EVENT ||
			 ev.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		yaml_event_delete(&ev);
	}
	return 0;
}

static int skip_next(struct cparse *cp)
{
	yaml_event_t ev;
	int rc = next_event(cp, &ev), depth = 0;

	if (rc)
		return rc;
	if (ev.type == YAML_MAPPING_START_EVENT ||
	    ev.type == YAML_SEQUENCE_START_EVENT)
		depth = 1;
	yaml_event_delete(&ev);
	return skip_value(cp, depth);
}

/*
 * "environments" as a mapping of name to policy rules (docs/governance.md):
 * the names are the reserved environment tags; the rules are read by
 * policy_parse() from the same file, so there is one list of names.
 */
static int want_env_map(struct cparse *cp, struct server_config *c)
{
	yaml_event_t ev;
	int rc;

	c->nenvironments = 0;
	c->env_policies = true;
	for (;;) {
		rc = next_event(cp, &ev);
		if (rc)
			return rc;
		if (ev.type == YAML_MAPPING_END_EVENT)
			break;
		if (ev.type != YAML_SCALAR_EVENT ||
		    ev.data.scalar.length > CONFIG_NAME_MAX ||
		    !ev.data.scalar.length ||
		    c->nenvironments >= CONFIG_MAX_ENVS)
			rc = err_set(ERR_INVALID, "%s: bad environment at "
				     "line %zu (at most %d names of %d "
				     "bytes)", cp->name,
				     ev.start_mark.line + 1, CONFIG_MAX_ENVS,
				     CONFIG_NAME_MAX);
		else
			snprintf(c->environments[c->nenvironments++],
				 CONFIG_NAME_MAX + 1, "%.*s",
				 (int)ev.data.scalar.length,
				 (const char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		if (!rc)
			rc = skip_next(cp);
		if (rc)
			return rc;
	}
	yaml_event_delete(&ev);
	return 0;
}

static int want_envs(struct cparse *cp, struct server_config *c)
{
	yaml_event_t ev;
	int rc = next_event(cp, &ev);

	if (rc)
		return rc;
	if (ev.type == YAML_MAPPING_START_EVENT) {
		yaml_event_delete(&ev);
		return want_env_map(cp, c);
	}
	if (ev.type != YAML_SEQUENCE_START_EVENT) {
		yaml_event_delete(&ev);
		return err_set(ERR_INVALID, "%s: 'environments' must be a "
			       "list or a mapping of policies", cp->name);
	}
	yaml_event_delete(&ev);
	c->nenvironments = 0;
	for (;;) {
		rc = next_event(cp, &ev);
		if (rc)
			return rc;
		if (ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (ev.type != YAML_SCALAR_EVENT ||
		    ev.data.scalar.length > CONFIG_NAME_MAX ||
		    !ev.data.scalar.length ||
		    c->nenvironments >= CONFIG_MAX_ENVS)
			rc = err_set(ERR_INVALID, "%s: bad environment at "
				     "line %zu (at most %d names of %d "
				     "bytes)", cp->name,
				     ev.start_mark.line + 1, CONFIG_MAX_ENVS,
				     CONFIG_NAME_MAX);
		else
			snprintf(c->environments[c->nenvironments++],
				 CONFIG_NAME_MAX + 1, "%.*s",
				 (int)ev.data.scalar.length,
				 (const char *)ev.data.scalar.value);
		yaml_event_delete(&ev);
		if (rc)
			return rc;
	}
	yaml_event_delete(&ev);
	return 0;
}

static int want_tag_rule(struct cparse *cp, struct server_config *c)
{
	char v[32];
	int rc = want_scalar(cp, "tags", v, sizeof(v));

	if (rc)
		return rc;
	if (!strcmp(v, "mutable"))
		c->other_tags = CONFIG_TAGS_MUTABLE;
	else if (!strcmp(v, "immutable"))
		c->other_tags = CONFIG_TAGS_IMMUTABLE;
	else
		return err_set(ERR_INVALID, "%s: 'tags' must be mutable or "
			       "immutable", cp->name);
	return 0;
}

int config_resolve(const struct server_config *c, const char *path,
		   char *out, size_t n)
{
	int w;

	if (path[0] == '/' || !path[0] || !c->config_dir[0])
		w = snprintf(out, n, "%s", path);
	else
		w = snprintf(out, n, "%s/%s", c->config_dir, path);
	if (w < 0 || (size_t)w >= n)
		return err_set(ERR_LIMIT, "path '%s' is too long", path);
	return 0;
}

/* A file or directory name: relative to the configuration file. */
static int want_path(struct cparse *cp, struct server_config *c,
		     const char *key, char *out, size_t n)
{
	char raw[PATH_MAX];
	int rc = want_scalar(cp, key, raw, sizeof(raw));

	if (!rc)
		rc = config_resolve(c, raw, out, n);
	if (rc == ERR_LIMIT)
		rc = err_set(rc, "%s: '%s' is too long", cp->name, key);
	return rc;
}

static int apply_key(struct cparse *cp, struct server_config *c,
		     const char *k)
{
	if (!strcmp(k, "listen"))
		return want_scalar(cp, k, c->listen, sizeof(c->listen));
	if (!strcmp(k, "data"))
		return want_path(cp, c, k, c->data, sizeof(c->data));
	if (!strcmp(k, "url"))
		return want_scalar(cp, k, c->url, sizeof(c->url));
	if (!strcmp(k, "tls_cert"))
		return want_path(cp, c, k, c->tls_cert, sizeof(c->tls_cert));
	if (!strcmp(k, "tls_key"))
		return want_path(cp, c, k, c->tls_key, sizeof(c->tls_key));
	if (!strcmp(k, "access_log"))
		return want_path(cp, c, k, c->access_log,
				 sizeof(c->access_log));
	if (!strcmp(k, "log_level"))
		return want_scalar(cp, k, c->log_level,
				   sizeof(c->log_level));
	if (!strcmp(k, "environments"))
		return want_envs(cp, c);
	if (!strcmp(k, "tags"))
		return want_tag_rule(cp, c);
	if (!strcmp(k, "trusted_keys"))
		return skip_next(cp);   /* read by the governance layer */
	if (!strcmp(k, "anonymous_pull"))
		return want_bool(cp, k, &c->anonymous_pull);
	if (!strcmp(k, "token_ttl"))
		return want_int(cp, k, &c->token_ttl, 86400);
	if (!strcmp(k, "gc_interval"))
		return want_int(cp, k, &c->gc_interval, 86400 * 30);
	if (!strcmp(k, "gc_grace"))
		return want_int(cp, k, &c->gc_grace, 86400 * 365);
	if (!strcmp(k, "upload_grace"))
		return want_int(cp, k, &c->upload_grace, 86400 * 365);
	if (!strcmp(k, "scan_workers"))
		return want_int(cp, k, &c->scan_workers, 64);
	return err_set(ERR_INVALID, "%s: unknown key '%s' at line %zu",
		       cp->name, k, cp->key_line);
}

/* The body: MAPPING-START (KEY VALUE)* MAPPING-END. */
static int parse_mapping(struct cparse *cp, struct server_config *c)
{
	char key[64];
	yaml_event_t ev;
	int rc;

	for (;;) {
		rc = next_event(cp, &ev);
		if (rc)
			return rc;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type != YAML_SCALAR_EVENT ||
		    ev.data.scalar.length >= sizeof(key)) {
			rc = err_set(ERR_INVALID, "%s: expected a key at line "
				     "%zu", cp->name, ev.start_mark.line + 1);
			yaml_event_delete(&ev);
			return rc;
		}
		memcpy(key, ev.data.scalar.value, ev.data.scalar.length);
		key[ev.data.scalar.length] = '\0';
		cp->key_line = ev.start_mark.line + 1;
		yaml_event_delete(&ev);
		rc = apply_key(cp, c, key);
		if (rc)
			return rc;
	}
}

int config_parse(struct server_config *c, const char *p, size_t n,
		 const char *name)
{
	struct cparse cp = { .name = name };
	yaml_event_t ev;
	int rc = 0, seen_map = 0;

	if (n > CONFIG_MAX_BYTES)
		return err_set(ERR_LIMIT, "%s: over %d bytes", name,
			       CONFIG_MAX_BYTES);
	if (!yaml_parser_initialize(&cp.p))
		return err_set(ERR_NOMEM, "out of memory for YAML");
	yaml_parser_set_input_string(&cp.p, (const unsigned char *)p, n);
	while (!rc) {
		rc = next_event(&cp, &ev);
		if (rc)
			break;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_MAPPING_START_EVENT && !seen_map) {
			seen_map = 1;
			rc = parse_mapping(&cp, c);
		} else if (ev.type != YAML_STREAM_START_EVENT &&
			   ev.type != YAML_DOCUMENT_START_EVENT &&
			   ev.type != YAML_DOCUMENT_END_EVENT) {
			rc = err_set(ERR_INVALID, "%s: the document must be "
				     "one mapping (line %zu)", name,
				     ev.start_mark.line + 1);
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&cp.p);
	return rc;
}

/* The absolute directory of the file at path, into c->config_dir. */
static int config_dir_of(struct server_config *c, const char *path)
{
	char *full = realpath(path, NULL), *slash;
	int rc = 0;

	if (!full)
		return err_setsys(ERR_IO, errno, "cannot resolve '%s'", path);
	slash = strrchr(full, '/');
	*slash = '\0';
	if (snprintf(c->config_dir, sizeof(c->config_dir), "%s",
		     slash == full ? "/" : full) >= (int)sizeof(c->config_dir))
		rc = err_set(ERR_LIMIT, "'%s': path too long", path);
	free(full);
	return rc;
}

int config_load(struct server_config *c, const char *path)
{
	struct buf b = BUF_INIT(CONFIG_MAX_BYTES);
	int rc = fs_read_file(path, CONFIG_MAX_BYTES, &b);

	if (!rc)
		rc = config_dir_of(c, path);
	if (!rc)
		rc = config_parse(c, b.data ? b.data : "", b.len, path);
	if (!rc)
		snprintf(c->config_path, sizeof(c->config_path), "%s", path);
	buf_release(&b);
	return rc;
}

int config_set(struct server_config *c, const char *key, const char *value)
{
	char doc[256];

	/* Plain words only: the text becomes a one-line YAML document. */
	for (const char *p = value; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_-.", *p))
			return err_set(ERR_INVALID, "'%s': invalid value for "
				       "'%s'", value, key);
	if (snprintf(doc, sizeof(doc), "%s: %s\n", key, value) >=
	    (int)sizeof(doc))
		return err_set(ERR_LIMIT, "value too long for '%s'", key);
	return config_parse(c, doc, strlen(doc), "command line");
}

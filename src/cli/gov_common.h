/* Shared by the governance subcommands (approve, promote, rollback,
 * history, policy, waive): references, REST calls and output. */
#ifndef STELE_CLI_GOV_COMMON_H
#define STELE_CLI_GOV_COMMON_H

#include <jansson.h>
#include <stdbool.h>

#include "oci/ref.h"
#include "util/buf.h"

/*
 * Parse text as [host/]repo[:tag][@digest]; with need_ref a tag or digest
 * is required. The host defaults to STELE_REGISTRY.
 */
int gov_cli_ref(const char *text, bool need_ref, struct oci_ref *ref);

/* The tag or digest of ref (the digest when both are given). */
const char *gov_cli_reference(const struct oci_ref *ref);

/* Call the registry of ref; *out is the JSON answer (also on refusal). */
int gov_cli_call(const struct oci_ref *ref, const char *method,
		 const char *path, json_t *body, json_t **out);

/* Append "&key=value" (first one with '?') to a path. */
int gov_cli_query(struct buf *path, const char *key, const char *value);

/* Print j as indented JSON on stdout. */
void gov_cli_print_json(json_t *j);

/* Print a policy decision: one line per rule with its fix. */
void gov_cli_print_decision(json_t *j);

/* The string member key of o, or dflt. */
const char *gov_cli_str(json_t *o, const char *key, const char *dflt);

/* True for "--format json", false for "text"; -1 when unknown. */
int gov_cli_format(const char *s);

#endif

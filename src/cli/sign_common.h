/* Shared by stele sign, verify, attest and verify-attestation: their
 * options, the key and manifest a signing command works on, and the
 * report of what verified. */
#ifndef STELE_CLI_SIGN_COMMON_H
#define STELE_CLI_SIGN_COMMON_H

#include <stdbool.h>
#include <stddef.h>

#include "sign/attach.h"

/* The parsed command line; strings borrow argv. */
struct sign_cli {
	const char *ref, *key;
	const char *fmt;       /* legacy, bundle or both */
	const char *predicate; /* --predicate FILE (attest commands) */
	const char *type;      /* --type, expanded by sign_predicate_type() */
	bool json;             /* --format json */
};

/* What a command accepts. */
struct sign_cli_spec {
	const char *fmt_option;  /* "signature-format", "attestation-format" */
	const char *fmt_default;
	bool attest;             /* takes --predicate and --type */
	bool need_predicate;     /* and requires both */
	int (*run)(const struct sign_cli *o);
};

/*
 * The whole subcommand: --help prints usage; otherwise parse argv (REF
 * and --key required, a usage error otherwise) and call spec->run, whose
 * failure is reported with cli_fail(argv[0]).
 */
int sign_cli_main(int argc, char **argv, const char *usage,
		  const struct sign_cli_spec *spec);

/* What a signing command works on. */
struct sign_cli_session {
	struct sign_key *key;
	struct regclient *c;
	struct oci_ref ref;
	struct sign_target t;
};

/*
 * Open the private key o->key (its password from the environment or the
 * terminal), a client for the registry of o->ref and the manifest it
 * names. s is released with sign_cli_session_release(), also on failure.
 */
int sign_cli_session_open(const struct sign_cli *o,
			  struct sign_cli_session *s);
void sign_cli_session_release(struct sign_cli_session *s);

/* Verify the records of one kind, reporting each to fn; see attach.h. */
typedef int (*sign_cli_verify_fn)(struct regclient *c,
				  const struct sign_target *t,
				  const struct sign_keyring *ring,
				  const char *predicate_type,
				  sign_record_fn fn, void *arg, int *nvalid);

/* What a verify command checks and how it names what it found. */
struct sign_cli_check {
	const char *noun;       /* "signature", in the refusal */
	const char *member;     /* the JSON member listing the records */
	bool print_predicate;   /* text output shows verified predicates */
	size_t json_max;        /* limit of the JSON record list */
	sign_cli_verify_fn verify;
};

/*
 * Load the public keys o->key, resolve o->ref and run k->verify: each
 * record is printed as a line or, with --format json, collected into one
 * JSON object. ERR_DENIED when none verified.
 */
int sign_cli_verify(const struct sign_cli *o, const struct sign_cli_check *k);

#endif

/* The single table of subcommands, in the order `stele help` lists them. */
#include "cli/cli.h"

#include <stddef.h>

const struct cli_cmd cli_commands[] = {
	{ "help", cmd_help, "show the commands or one command's help" },
	{ "version", cmd_version, "print the version" },
	{ "key", cmd_key, "generate a signing key pair (cosign format)" },
	{ "sign-blob", cmd_sign_blob, "sign a file (cosign sign-blob)" },
	{ "verify-blob", cmd_verify_blob,
	  "verify a file's signature or bundle" },
	{ "attest-blob", cmd_attest_blob,
	  "sign an in-toto attestation about a file" },
	{ "verify-blob-attestation", cmd_verify_blob_attestation,
	  "verify an attestation about a file" },
	{ "sign", cmd_sign, "sign a manifest in a registry (cosign format)" },
	{ "verify", cmd_verify, "verify a manifest's signatures" },
	{ "attest", cmd_attest, "attach a signed in-toto attestation" },
	{ "verify-attestation", cmd_verify_attestation,
	  "verify a manifest's attestations" },
	{ NULL, NULL, NULL },
};

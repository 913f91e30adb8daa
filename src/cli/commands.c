/* The single table of subcommands, in the order `stele help` lists them. */
#include "cli/cli.h"

#include <stddef.h>

const struct cli_cmd cli_commands[] = {
	{ "audit", cmd_audit, "list, export and verify the audit log" },
	{ "help", cmd_help, "show the commands or one command's help" },
	{ "version", cmd_version, "print the version" },
	{ "init", cmd_init, "write a Kitfile for a model directory" },
	{ "pack", cmd_pack, "build a ModelKit from a directory" },
	{ "unpack", cmd_unpack, "extract a ModelKit into a directory" },
	{ "list", cmd_list, "list the ModelKits in the local store" },
	{ "inspect", cmd_inspect, "show a ModelKit's manifest and config" },
	{ "tag", cmd_tag, "give a stored ModelKit another reference" },
	{ "rm", cmd_rm, "remove references from the local store" },
	{ "serve", cmd_serve, "run the registry" },
	{ "user", cmd_user, "manage registry accounts" },
	{ "vulndb", cmd_vulndb,
	  "import OSV advisories, show what is loaded" },
	{ "vulns", cmd_vulns,
	  "list advisories, check a directory's dependencies" },
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
	{ "scan", cmd_scan, "scan model files for code-injection risks" },
	{ NULL, NULL, NULL },
};

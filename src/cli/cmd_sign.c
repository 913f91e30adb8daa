/* stele sign / stele verify: cosign-compatible signatures in a registry. */
#include "cli/cli.h"
#include "cli/sign_common.h"

#include <stdio.h>
#include <string.h>

static const char sign_usage[] =
	"usage: stele sign REF --key KEY [--signature-format FMT]\n"
	"\n"
	"Sign the manifest REF names, as 'cosign sign --key' does. FMT is\n"
	"'legacy' (simple-signing layer in the sha256-<hex>.sig tag),\n"
	"'bundle' (Sigstore bundle v0.3 attached as a referrer) or 'both'\n"
	"(the default). The key password comes from COSIGN_PASSWORD or\n"
	"STELE_KEY_PASSWORD, else the terminal.\n";

static const char verify_usage[] =
	"usage: stele verify REF --key PUB|DIR [--format text|json]\n"
	"\n"
	"Verify the signatures on the manifest REF names, in both cosign\n"
	"formats, with the public key PUB or any key in directory DIR.\n"
	"Prints one line per signature found (OK with the signing key, or\n"
	"the reason it is refused); exits 0 when at least one verifies.\n";

static int sign_run(const struct sign_cli *o)
{
	struct sign_cli_session s;
	int rc = sign_cli_session_open(o, &s);

	if (!rc && strcmp(o->fmt, "bundle"))
		rc = sign_attach_legacy(s.c, &s.t, s.key);
	if (!rc && strcmp(o->fmt, "legacy"))
		rc = sign_attach_image_bundle(s.c, &s.t, s.key);
	if (!rc)
		printf("signed %s@%s\n", s.t.name, s.t.digest);
	sign_cli_session_release(&s);
	return rc;
}

/* Both formats: the .sig tag's layers, then the sign/v1 bundles. */
static int verify_signatures(struct regclient *c, const struct sign_target *t,
			     const struct sign_keyring *ring,
			     const char *predicate_type, sign_record_fn fn,
			     void *arg, int *nvalid)
{
	int legacy = 0, bundles = 0;
	int rc = sign_verify_legacy(c, t, ring, fn, arg, &legacy);

	(void)predicate_type;
	if (!rc)
		rc = sign_verify_referrers(c, t, ring,
					   SIGN_IMAGE_PREDICATE_TYPE, fn, arg,
					   &bundles);
	*nvalid = legacy + bundles;
	return rc;
}

static int verify_run(const struct sign_cli *o)
{
	static const struct sign_cli_check check = {
		.noun = "signature", .member = "signatures",
		.json_max = REGCLIENT_JSON_MAX, .verify = verify_signatures,
	};

	return sign_cli_verify(o, &check);
}

int cmd_sign(int argc, char **argv)
{
	static const struct sign_cli_spec spec = {
		.fmt_option = "signature-format", .fmt_default = "both",
		.run = sign_run,
	};

	return sign_cli_main(argc, argv, sign_usage, &spec);
}

int cmd_verify(int argc, char **argv)
{
	static const struct sign_cli_spec spec = {
		.fmt_option = "signature-format", .fmt_default = "both",
		.run = verify_run,
	};

	return sign_cli_main(argc, argv, verify_usage, &spec);
}

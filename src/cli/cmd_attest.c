/* stele attest / verify-attestation: in-toto attestations as referrers. */
#include "cli/cli.h"
#include "cli/sign_common.h"
#include "sign/sign.h"
#include "sign/sjson.h"
#include "util/fs.h"

#include <stdio.h>
#include <string.h>

static const char attest_usage[] =
	"usage: stele attest REF --predicate FILE --type T --key KEY\n"
	"                    [--attestation-format bundle|legacy|both]\n"
	"\n"
	"Attach a signed in-toto Statement v1 about the manifest REF names:\n"
	"predicate FILE (JSON), type T (a URI or a cosign short name such as\n"
	"slsaprovenance1, vuln, custom), in a DSSE envelope inside a Sigstore\n"
	"bundle v0.3 attached through the referrers API (bundle, the\n"
	"default), or as a layer of the sha256-<hex>.att tag like 'cosign\n"
	"attest' without --new-bundle-format (legacy), or both.\n";

static const char verify_att_usage[] =
	"usage: stele verify-attestation REF --key PUB|DIR [--type T]\n"
	"                                [--format text|json]\n"
	"\n"
	"Verify the attestations attached to REF: signature over the DSSE\n"
	"PAE, then the statement's subject digest and predicate type. Prints\n"
	"one line per attestation and the predicate of those that verify;\n"
	"exits 0 when at least one verifies.\n";

static int attest_build(const struct sign_target *t,
			const struct sign_cli *o, struct buf *st)
{
	struct sign_subject subj;
	struct buf pred;
	int rc;

	memset(&subj, 0, sizeof(subj));
	snprintf(subj.name, sizeof(subj.name), "%s", t->name);
	memcpy(subj.digest, t->digest, DIGEST_STR_LEN);
	rc = fs_read_file(o->predicate, SIGN_JSON_MAX / 2, &pred);
	if (rc)
		return rc;
	rc = sign_statement_build(&subj, 1, o->type, pred.data, pred.len, st);
	buf_release(&pred);
	return rc;
}

static int attest_run(const struct sign_cli *o)
{
	struct buf st = BUF_INIT(SIGN_JSON_MAX), bundle = BUF_INIT(0);
	char digest[DIGEST_STR_LEN];
	struct sign_cli_session s;
	int rc;

	buf_init(&bundle, 2 * SIGN_JSON_MAX);
	rc = sign_cli_session_open(o, &s);
	if (!rc)
		rc = attest_build(&s.t, o, &st);
	if (!rc && strcmp(o->fmt, "bundle"))
		rc = sign_attach_legacy_attestation(s.c, &s.t, s.key, st.data,
						    st.len, o->type);
	if (!rc && strcmp(o->fmt, "legacy"))
		rc = sign_attestation(s.key, st.data, st.len, &bundle);
	if (!rc && strcmp(o->fmt, "legacy"))
		rc = sign_attach_bundle(s.c, &s.t, bundle.data, bundle.len,
					o->type, digest);
	if (!rc)
		printf("attested %s@%s\n", s.t.name, s.t.digest);
	buf_release(&st);
	buf_release(&bundle);
	sign_cli_session_release(&s);
	return rc;
}

/* Both formats: the .att tag's layers, then the bundle referrers. */
static int verify_attestations(struct regclient *c,
			       const struct sign_target *t,
			       const struct sign_keyring *ring,
			       const char *predicate_type, sign_record_fn fn,
			       void *arg, int *nvalid)
{
	int legacy = 0, bundles = 0;
	int rc = sign_verify_legacy_attestations(c, t, ring, predicate_type,
						 fn, arg, &legacy);

	if (!rc)
		rc = sign_verify_referrers(c, t, ring, predicate_type, fn,
					   arg, &bundles);
	*nvalid = legacy + bundles;
	return rc;
}

static int verify_att_run(const struct sign_cli *o)
{
	static const struct sign_cli_check check = {
		.noun = "attestation", .member = "attestations",
		.print_predicate = true, .json_max = 2 * SIGN_JSON_MAX,
		.verify = verify_attestations,
	};

	return sign_cli_verify(o, &check);
}

int cmd_attest(int argc, char **argv)
{
	static const struct sign_cli_spec spec = {
		.fmt_option = "attestation-format", .fmt_default = "bundle",
		.attest = true, .need_predicate = true, .run = attest_run,
	};

	return sign_cli_main(argc, argv, attest_usage, &spec);
}

int cmd_verify_attestation(int argc, char **argv)
{
	static const struct sign_cli_spec spec = {
		.fmt_option = "attestation-format", .fmt_default = "bundle",
		.attest = true, .run = verify_att_run,
	};

	return sign_cli_main(argc, argv, verify_att_usage, &spec);
}

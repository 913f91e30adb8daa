/* stele attest / verify-attestation: in-toto attestations as referrers. */
#include "cli/cli.h"
#include "sign/attach.h"
#include "sign/password.h"
#include "sign/sign.h"
#include "sign/sjson.h"
#include "oci/digest.h"
#include "util/err.h"
#include "util/fs.h"

#include <getopt.h>
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

struct attest_cli {
	const char *ref, *key, *predicate, *type;
	const char *fmt;
	bool json;
};

/* Where records go: printed as lines, or collected as a JSON array. */
struct verify_att_out {
	bool json;
	struct buf list;
};

static int attest_cli_parse(int argc, char **argv, struct attest_cli *o)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "predicate", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ "format", required_argument, NULL, 'F' },
		{ "attestation-format", required_argument, NULL, 'a' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	o->fmt = "bundle";
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			o->key = optarg;
		else if (c == 'a' && (!strcmp(optarg, "bundle") ||
				      !strcmp(optarg, "legacy") ||
				      !strcmp(optarg, "both")))
			o->fmt = optarg;
		else if (c == 'p')
			o->predicate = optarg;
		else if (c == 't')
			o->type = sign_predicate_type(optarg);
		else if (c == 'F' && (!strcmp(optarg, "json") ||
				      !strcmp(optarg, "text")))
			o->json = !strcmp(optarg, "json");
		else
			return cli_usage_error(argv[0], "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage_error(argv[0], "expected one REF");
	if (!o->key)
		return cli_usage_error(argv[0], "--key is required");
	o->ref = argv[optind];
	return 0;
}

static int attest_build(const struct sign_target *t,
			const struct attest_cli *o, struct buf *st)
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

static int attest_cli_run(const struct attest_cli *o)
{
	struct buf st = BUF_INIT(SIGN_JSON_MAX), bundle = BUF_INIT(0);
	char digest[DIGEST_STR_LEN];
	struct regclient *c = NULL;
	struct sign_key *k = NULL;
	struct sign_target t;
	struct oci_ref ref;
	int rc;

	buf_init(&bundle, 2 * SIGN_JSON_MAX);
	rc = sign_password_open_key(o->key, &k);
	if (!rc)
		rc = sign_registry_open(o->ref, &ref, &c);
	if (!rc)
		rc = sign_target_resolve(c, &ref, &t);
	if (!rc)
		rc = attest_build(&t, o, &st);
	if (!rc && strcmp(o->fmt, "bundle"))
		rc = sign_attach_legacy_attestation(c, &t, k, st.data, st.len,
						    o->type);
	if (!rc && strcmp(o->fmt, "legacy"))
		rc = sign_attestation(k, st.data, st.len, &bundle);
	if (!rc && strcmp(o->fmt, "legacy"))
		rc = sign_attach_bundle(c, &t, bundle.data, bundle.len,
					o->type, digest);
	if (!rc)
		printf("attested %s@%s\n", t.name, t.digest);
	buf_release(&st);
	buf_release(&bundle);
	regclient_free(c);
	sign_key_free(k);
	return rc;
}

int cmd_attest(int argc, char **argv)
{
	struct attest_cli o = { 0 };
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(attest_usage, stdout);
		return CLI_OK;
	}
	rc = attest_cli_parse(argc, argv, &o);
	if (rc)
		return rc;
	if (!o.predicate || !o.type)
		return cli_usage_error("attest", "--predicate and --type are "
				       "required");
	rc = attest_cli_run(&o);
	return rc ? cli_fail("attest", rc) : CLI_OK;
}

static void verify_att_print(const struct sign_record *r, void *arg)
{
	struct verify_att_out *out = arg;
	char where[DIGEST_STR_LEN + 32];

	if (out->json) {
		if (out->list.len > 1)
			buf_putc(&out->list, ',');
		sign_record_to_json(r, &out->list);
		return;
	}
	if (r->kind == SIGN_KIND_LEGACY_ATT)
		snprintf(where, sizeof(where), "sha256-%s.att layer %zu",
			 oci_digest_hex(r->subject), r->index);
	else
		snprintf(where, sizeof(where), "referrer %s", r->manifest);
	if (r->rc)
		printf("INVALID %s: %s\n", where, r->reason);
	else
		printf("OK      %s signed by %s (%s)\n  %s %s\n", where,
		       r->key_name, r->fingerprint, r->predicate_type,
		       buf_cstr(&r->statement->predicate));
}

static int verify_att_run(const struct attest_cli *o)
{
	struct verify_att_out out = { o->json, BUF_INIT(0) };
	struct regclient *c = NULL;
	struct sign_keyring ring;
	struct sign_target t;
	struct oci_ref ref;
	int rc, n = 0, legacy = 0;

	sign_keyring_init(&ring);
	buf_init(&out.list, 2 * SIGN_JSON_MAX);
	buf_putc(&out.list, '[');
	rc = sign_keyring_load(&ring, o->key);
	if (!rc)
		rc = sign_registry_open(o->ref, &ref, &c);
	if (!rc)
		rc = sign_target_resolve(c, &ref, &t);
	if (!rc)
		rc = sign_verify_legacy_attestations(c, &t, &ring, o->type,
						     verify_att_print, &out,
						     &legacy);
	if (!rc)
		rc = sign_verify_referrers(c, &t, &ring, o->type,
					   verify_att_print, &out, &n);
	n += legacy;
	if (!rc && o->json)
		printf("{\"reference\":\"%s@%s\",\"verified\":%s,"
		       "\"attestations\":%s]}\n", t.name, t.digest,
		       n ? "true" : "false", out.list.data);
	if (!rc && n == 0)
		rc = err_set(ERR_DENIED, "no valid attestation by '%s' on "
			     "%s@%s", o->key, t.name, t.digest);
	buf_release(&out.list);
	regclient_free(c);
	sign_keyring_release(&ring);
	return rc;
}

int cmd_verify_attestation(int argc, char **argv)
{
	struct attest_cli o = { 0 };
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(verify_att_usage, stdout);
		return CLI_OK;
	}
	rc = attest_cli_parse(argc, argv, &o);
	if (rc)
		return rc;
	rc = verify_att_run(&o);
	return rc ? cli_fail("verify-attestation", rc) : CLI_OK;
}

/* stele attest-blob / verify-blob-attestation: in-toto over a file. */
#include "cli/cli.h"
#include "sign/bundle.h"
#include "sign/password.h"
#include "sign/sign.h"
#include "sign/sjson.h"
#include "util/err.h"
#include "util/fs.h"

#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char attest_blob_usage[] =
	"usage: stele attest-blob FILE --predicate P --type T --key KEY\n"
	"                         --bundle OUT\n"
	"\n"
	"Write an in-toto Statement v1 about FILE (subject: its name and\n"
	"SHA-256) with the JSON predicate P, signed in a DSSE envelope inside\n"
	"a Sigstore bundle v0.3, as 'cosign attest-blob --new-bundle-format'.\n"
	"T is a predicate type URI or a cosign short name (custom,\n"
	"slsaprovenance, slsaprovenance1, vuln, spdxjson, cyclonedx, link,\n"
	"openvex).\n";

static const char verify_att_usage[] =
	"usage: stele verify-blob-attestation FILE --key PUB --bundle B\n"
	"                                     [--type T]\n"
	"\n"
	"Verify a DSSE attestation bundle (or bare envelope) about FILE: the\n"
	"signature over the PAE, then the signed statement's subject digest\n"
	"and, with --type, its predicate type. Prints the statement.\n";

struct attest_opts {
	const char *file, *key, *bundle, *predicate, *type;
};

static int attest_parse(int argc, char **argv, struct attest_opts *o)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "bundle", required_argument, NULL, 'b' },
		{ "predicate", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			o->key = optarg;
		else if (c == 'b')
			o->bundle = optarg;
		else if (c == 'p')
			o->predicate = optarg;
		else if (c == 't')
			o->type = optarg;
		else
			return cli_usage_error(argv[0], "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage_error(argv[0], "expected one FILE");
	o->file = argv[optind];
	return 0;
}

static int attest_statement(const struct attest_opts *o, struct buf *out)
{
	struct sign_subject subj;
	uint8_t hash[SHA256_LEN];
	struct buf pred;
	char copy[SIGN_SUBJECT_NAME_MAX + 1];
	int rc;

	memset(&subj, 0, sizeof(subj));
	snprintf(copy, sizeof(copy), "%s", o->file);
	snprintf(subj.name, sizeof(subj.name), "%s", basename(copy));
	rc = sign_hash_file(o->file, hash);
	if (rc)
		return rc;
	memcpy(subj.digest, "sha256:", 7);
	hex_encode(hash, sizeof(hash), subj.digest + 7);
	rc = fs_read_file(o->predicate, SIGN_JSON_MAX / 2, &pred);
	if (rc)
		return rc;
	rc = sign_statement_build(&subj, 1, sign_predicate_type(o->type),
				  pred.data, pred.len, out);
	buf_release(&pred);
	return rc;
}

static int attest_run(const struct attest_opts *o)
{
	struct buf st = BUF_INIT(SIGN_JSON_MAX), bundle = BUF_INIT(0);
	struct sign_key *k = NULL;
	int rc;

	buf_init(&bundle, 2 * SIGN_JSON_MAX);
	rc = attest_statement(o, &st);
	if (!rc)
		rc = sign_password_open_key(o->key, &k);
	if (!rc)
		rc = sign_attestation(k, st.data, st.len, &bundle);
	if (!rc)
		rc = fs_write_atomic(o->bundle, bundle.data, bundle.len, 0644);
	buf_release(&st);
	buf_release(&bundle);
	sign_key_free(k);
	return rc;
}

int cmd_attest_blob(int argc, char **argv)
{
	struct attest_opts o = { 0 };
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(attest_blob_usage, stdout);
		return CLI_OK;
	}
	rc = attest_parse(argc, argv, &o);
	if (rc)
		return rc;
	if (!o.key || !o.bundle || !o.predicate || !o.type)
		return cli_usage_error(argv[0], "--key, --bundle, --predicate "
				       "and --type are required");
	rc = attest_run(&o);
	return rc ? cli_fail(argv[0], rc) : CLI_OK;
}

static int verify_att_run(const struct attest_opts *o)
{
	struct sign_statement *st = malloc(sizeof(*st));
	char digest[DIGEST_STR_LEN];
	struct sign_key *k = NULL;
	struct buf doc = BUF_INIT(0);
	int rc;

	if (!st)
		return err_set(ERR_NOMEM, "out of memory");
	sign_statement_init(st);
	rc = sign_key_load_public(o->key, &k);
	if (!rc)
		rc = sha256_digest_file(o->file, digest, NULL);
	if (!rc)
		rc = fs_read_file(o->bundle, 2 * SIGN_JSON_MAX, &doc);
	if (!rc)
		rc = sign_verify_attestation(k, doc.data, doc.len, digest,
					     o->type ?
					     sign_predicate_type(o->type) :
					     NULL, st);
	if (!rc)
		printf("Verified OK\npredicateType: %s\npredicate: %s\n",
		       st->predicate_type, buf_cstr(&st->predicate));
	buf_release(&doc);
	sign_statement_release(st);
	free(st);
	sign_key_free(k);
	return rc;
}

int cmd_verify_blob_attestation(int argc, char **argv)
{
	struct attest_opts o = { 0 };
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(verify_att_usage, stdout);
		return CLI_OK;
	}
	rc = attest_parse(argc, argv, &o);
	if (rc)
		return rc;
	if (!o.key || !o.bundle)
		return cli_usage_error(argv[0], "--key and --bundle are "
				       "required");
	rc = verify_att_run(&o);
	return rc ? cli_fail(argv[0], rc) : CLI_OK;
}

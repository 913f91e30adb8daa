/* stele sign-blob: sign a file the way 'cosign sign-blob --key' does. */
#include "cli/cli.h"
#include "sign/b64.h"
#include "sign/bundle.h"
#include "sign/password.h"
#include "sign/sign.h"
#include "util/err.h"
#include "util/fs.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char sign_blob_usage[] =
	"usage: stele sign-blob FILE --key KEY [--bundle OUT]\n"
	"                       [--output-signature OUT]\n"
	"\n"
	"Sign FILE with ECDSA P-256 over its SHA-256, as 'cosign sign-blob'.\n"
	"Prints the base64 DER signature. The key password comes from\n"
	"COSIGN_PASSWORD or STELE_KEY_PASSWORD, else the terminal.\n"
	"\n"
	"  --key KEY               encrypted private key (cosign format)\n"
	"  --bundle OUT            also write a Sigstore bundle v0.3\n"
	"  --output-signature OUT  write the base64 signature to OUT\n";

struct sign_blob_opts {
	const char *file, *key, *bundle, *sig_out;
};

static int sign_blob_run(const struct sign_blob_opts *o)
{
	struct buf sig = BUF_INIT(SIGN_SIG_MAX), b64 = BUF_INIT(1024);
	struct buf bundle = BUF_INIT(1 << 16);
	uint8_t hash[SHA256_LEN];
	struct sign_key *k = NULL;
	int rc;

	rc = sign_hash_file(o->file, hash);
	if (!rc)
		rc = sign_password_open_key(o->key, &k);
	if (!rc)
		rc = sign_ecdsa_sign(k, hash, &sig);
	if (!rc)
		rc = sign_b64_encode(sig.data, sig.len, &b64);
	if (!rc && o->bundle)
		rc = sign_bundle_message(k, hash, &bundle);
	if (!rc && o->bundle)
		rc = fs_write_atomic(o->bundle, bundle.data, bundle.len, 0644);
	if (!rc && o->sig_out)
		rc = fs_write_atomic(o->sig_out, b64.data, b64.len, 0644);
	if (!rc)
		puts(b64.data);
	buf_release(&sig);
	buf_release(&b64);
	buf_release(&bundle);
	sign_key_free(k);
	return rc;
}

int cmd_sign_blob(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "bundle", required_argument, NULL, 'b' },
		{ "output-signature", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	struct sign_blob_opts o = { 0 };
	int c, rc;

	if (cli_wants_help(argc, argv)) {
		fputs(sign_blob_usage, stdout);
		return CLI_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			o.key = optarg;
		else if (c == 'b')
			o.bundle = optarg;
		else if (c == 's')
			o.sig_out = optarg;
		else
			return cli_usage_error("sign-blob", "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage_error("sign-blob", "expected one FILE");
	if (!o.key)
		return cli_usage_error("sign-blob", "--key is required");
	o.file = argv[optind];
	rc = sign_blob_run(&o);
	return rc ? cli_fail("sign-blob", rc) : CLI_OK;
}

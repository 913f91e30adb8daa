/* stele verify-blob: check a file's signature or bundle with a key. */
#include "cli/cli.h"
#include "sign/b64.h"
#include "sign/bundle.h"
#include "sign/sign.h"
#include "util/err.h"
#include "util/fs.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char verify_blob_usage[] =
	"usage: stele verify-blob FILE --key PUB (--signature SIG | "
	"--bundle B)\n"
	"\n"
	"Verify FILE against a signature made by 'cosign sign-blob' or\n"
	"'stele sign-blob': SIG is a file holding the base64 signature (or\n"
	"the base64 text itself), B a Sigstore bundle v0.3. Transparency-log\n"
	"entries are not checked (like cosign --insecure-ignore-tlog).\n"
	"\n"
	"  --key PUB        PEM public key (ECDSA P-256)\n"
	"  --signature SIG  base64 signature file or text\n"
	"  --bundle B       Sigstore bundle file\n";

struct verify_blob_opts {
	const char *file, *key, *sig, *bundle;
};

/* cosign takes the signature as a file or as the base64 text itself. */
static int verify_read_sig(const char *arg, struct buf *sig)
{
	struct buf text = BUF_INIT(4 * SIGN_SIG_MAX);
	size_t n;
	int rc = fs_read_file(arg, 4 * SIGN_SIG_MAX, &text);

	if (rc == ERR_NOTFOUND) {
		buf_init(&text, 4 * SIGN_SIG_MAX);
		rc = buf_puts(&text, arg);
	}
	if (rc)
		return rc;
	n = text.len;
	while (n && (text.data[n - 1] == '\n' || text.data[n - 1] == '\r'))
		n--;
	rc = sign_b64_decode(text.data, n, sig, "signature");
	buf_release(&text);
	return rc;
}

static int verify_bundle(const struct verify_blob_opts *o,
			 const struct sign_key *k,
			 const uint8_t hash[SHA256_LEN])
{
	struct sign_bundle *b = malloc(sizeof(*b));
	struct buf text = BUF_INIT(0);
	int rc;

	if (!b)
		return err_set(ERR_NOMEM, "out of memory");
	sign_bundle_init(b);
	rc = fs_read_file(o->bundle, SIGN_KEY_FILE_MAX * 16, &text);
	if (!rc)
		rc = sign_bundle_parse(text.data, text.len, b);
	if (!rc)
		rc = sign_bundle_verify_message(b, k, hash);
	if (!rc && b->has_tlog)
		fputs("note: transparency-log entries were not verified\n",
		      stderr);
	buf_release(&text);
	sign_bundle_release(b);
	free(b);
	return rc;
}

static int verify_blob_run(const struct verify_blob_opts *o)
{
	struct buf sig = BUF_INIT(SIGN_SIG_MAX);
	uint8_t hash[SHA256_LEN];
	struct sign_key *k = NULL;
	int rc;

	rc = sign_key_load_public(o->key, &k);
	if (!rc)
		rc = sign_hash_file(o->file, hash);
	if (!rc && o->bundle)
		rc = verify_bundle(o, k, hash);
	if (!rc && o->sig)
		rc = verify_read_sig(o->sig, &sig);
	if (!rc && o->sig)
		rc = sign_ecdsa_verify(k, hash, sig.data, sig.len);
	if (!rc)
		puts("Verified OK");
	buf_release(&sig);
	sign_key_free(k);
	return rc;
}

int cmd_verify_blob(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "signature", required_argument, NULL, 's' },
		{ "bundle", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 },
	};
	struct verify_blob_opts o = { 0 };
	int c, rc;

	if (cli_wants_help(argc, argv)) {
		fputs(verify_blob_usage, stdout);
		return CLI_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			o.key = optarg;
		else if (c == 's')
			o.sig = optarg;
		else if (c == 'b')
			o.bundle = optarg;
		else
			return cli_usage_error("verify-blob", "unknown option");
	}
	if (optind + 1 != argc)
		return cli_usage_error("verify-blob", "expected one FILE");
	if (!o.key || (!o.sig == !o.bundle))
		return cli_usage_error("verify-blob", "--key and one of "
				       "--signature or --bundle are required");
	o.file = argv[optind];
	rc = verify_blob_run(&o);
	return rc ? cli_fail("verify-blob", rc) : CLI_OK;
}

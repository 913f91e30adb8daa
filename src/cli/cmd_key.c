/* stele key generate: write a cosign-compatible ECDSA P-256 key pair. */
#include "cli/cli.h"
#include "sign/key.h"
#include "sign/keyfile.h"
#include "sign/password.h"
#include "util/err.h"
#include "util/fs.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

static const char key_usage[] =
	"usage: stele key generate [--output-key-prefix PREFIX] [--force]\n"
	"\n"
	"Generate an ECDSA P-256 key pair: PREFIX.pub (PEM public key) and\n"
	"PREFIX.key (private key encrypted with scrypt and secretbox, the\n"
	"format of 'cosign generate-key-pair'). PREFIX defaults to 'cosign'.\n"
	"The password comes from COSIGN_PASSWORD, else STELE_KEY_PASSWORD,\n"
	"else it is asked twice on the terminal.\n"
	"\n"
	"  --output-key-prefix PREFIX  file name prefix of the key pair\n"
	"  -f, --force                 replace existing key files\n";

static int key_write(const char *prefix, bool force)
{
	struct buf pw = BUF_INIT(SIGN_PASSWORD_MAX);
	struct buf priv = BUF_INIT(SIGN_KEY_FILE_MAX);
	struct buf pub = BUF_INIT(SIGN_KEY_FILE_MAX);
	char key_path[PATH_MAX], pub_path[PATH_MAX];
	struct sign_key *k = NULL;
	int rc;

	if (snprintf(key_path, sizeof(key_path), "%s.key", prefix) >=
	    (int)sizeof(key_path) ||
	    snprintf(pub_path, sizeof(pub_path), "%s.pub", prefix) >=
	    (int)sizeof(pub_path))
		return err_set(ERR_INVALID, "key prefix too long");
	if (!force && (fs_exists(key_path) || fs_exists(pub_path)))
		return err_set(ERR_EXISTS, "'%s' or '%s' exists; use --force "
			       "to replace it", key_path, pub_path);
	rc = sign_password_get("Enter password for private key: ", true, &pw);
	if (!rc)
		rc = sign_key_generate(&k);
	if (!rc)
		rc = sign_keyfile_encrypt(k, buf_cstr(&pw), pw.len, &priv);
	if (!rc)
		rc = sign_key_public_pem(k, &pub);
	if (!rc)
		rc = fs_write_atomic(key_path, priv.data, priv.len, 0600);
	if (!rc)
		rc = fs_write_atomic(pub_path, pub.data, pub.len, 0644);
	if (!rc)
		fprintf(stderr, "Private key written to %s\nPublic key written "
			"to %s\n", key_path, pub_path);
	buf_wipe(&pw);
	buf_release(&priv);
	buf_release(&pub);
	sign_key_free(k);
	return rc;
}

static int key_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output-key-prefix", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *prefix = "cosign";
	bool force = false;
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c == 'o')
			prefix = optarg;
		else if (c == 'f')
			force = true;
		else
			return cli_usage_error("key", "unknown option");
	}
	if (optind != argc)
		return cli_usage_error("key", "unexpected argument '%s'",
				       argv[optind]);
	if (!*prefix)
		return cli_usage_error("key", "empty key prefix");
	rc = key_write(prefix, force);
	return rc ? cli_fail("key generate", rc) : CLI_OK;
}

int cmd_key(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		fputs(key_usage, stdout);
		return CLI_OK;
	}
	if (argc < 2)
		return cli_usage_error("key", "missing subcommand 'generate'");
	if (!strcmp(argv[1], "generate"))
		return key_generate(argc - 1, argv + 1);
	return cli_usage_error("key", "unknown subcommand '%s'", argv[1]);
}

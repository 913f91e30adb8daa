/* stele sign / stele verify: cosign-compatible signatures in a registry. */
#include "cli/cli.h"
#include "cli/gov_common.h"
#include "sign/attach.h"
#include "sign/password.h"
#include "oci/digest.h"
#include "util/err.h"

#include <getopt.h>
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

struct sign_cli {
	const char *ref, *key, *fmt;
	bool json;
};

/* Where records go: printed as lines, or collected as a JSON array. */
struct verify_out {
	bool json;
	struct buf list;
};

static int sign_cli_parse(int argc, char **argv, struct sign_cli *o)
{
	static const struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "signature-format", required_argument, NULL, 'f' },
		{ "format", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	optind = 1;
	o->fmt = "both";
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			o->key = optarg;
		else if (c == 'f')
			o->fmt = optarg;
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
	if (strcmp(o->fmt, "legacy") && strcmp(o->fmt, "bundle") &&
	    strcmp(o->fmt, "both"))
		return cli_usage_error(argv[0], "--signature-format is legacy, "
				       "bundle or both");
	o->ref = argv[optind];
	return 0;
}

/* The first environment of the registry's policy that requires a
 * trusted signature, or NULL (also when the registry is not stele). */
static const char *signature_env(const struct oci_ref *ref, json_t **pol)
{
	json_t *e;
	size_t i;

	if (gov_cli_call(ref, "GET", "/api/v1/policy", NULL, pol))
		return NULL;
	json_array_foreach(json_object_get(*pol, "environments"), i, e)
		if (json_is_true(json_object_get(e, "signature")))
			return gov_cli_str(e, "name", NULL);
	return NULL;
}

/* Whether the registry counts any signature on digest as trusted, asked
 * through the policy check of env: 1 yes, 0 no, -1 unknown. */
static int signature_counted(const struct oci_ref *ref, const char *digest,
			     const char *env)
{
	struct buf path = BUF_INIT(8192);
	json_t *out = NULL, *r;
	size_t i;
	int rc, ans = -1;

	rc = buf_puts(&path, "/api/v1/policy-check");
	if (!rc)
		rc = gov_cli_query(&path, "repo", ref->repo);
	if (!rc)
		rc = gov_cli_query(&path, "reference", digest);
	if (!rc)
		rc = gov_cli_query(&path, "environment", env);
	if (!rc)
		rc = gov_cli_call(ref, "GET", buf_cstr(&path), NULL, &out);
	json_array_foreach(rc ? NULL : json_object_get(out, "results"), i, r)
		if (!strcmp(gov_cli_str(r, "rule", ""), "signature"))
			ans = json_is_true(json_object_get(r, "passed"));
	json_decref(out);
	buf_release(&path);
	return ans;
}

/*
 * After signing: a stele registry verifies signatures against the keys it
 * trusts for the repository. When no trusted signature is on the digest,
 * the key just used is not one of them: say so, since the signature was
 * stored all the same. Any failure to ask (another registry, no right to
 * read the policy) is silent: signing itself succeeded.
 */
static void sign_trust_note(const char *text, const char *digest)
{
	struct oci_ref ref;
	json_t *pol = NULL;
	const char *env;

	if (!gov_cli_ref(text, true, &ref)) {
		env = signature_env(&ref, &pol);
		if (env && signature_counted(&ref, digest, env) == 0)
			printf("note: %s does not trust this key; policies "
			       "requiring a trusted signature will not count "
			       "it\n", ref.repo);
	}
	json_decref(pol);
	err_clear();
}

static int sign_cli_run(const struct sign_cli *o)
{
	struct regclient *c = NULL;
	struct sign_key *k = NULL;
	struct sign_target t;
	struct oci_ref ref;
	int rc;

	rc = sign_password_open_key(o->key, &k);
	if (!rc)
		rc = sign_registry_open(o->ref, &ref, &c);
	if (!rc)
		rc = sign_target_resolve(c, &ref, &t);
	if (!rc && strcmp(o->fmt, "bundle"))
		rc = sign_attach_legacy(c, &t, k);
	if (!rc && strcmp(o->fmt, "legacy"))
		rc = sign_attach_image_bundle(c, &t, k);
	if (!rc)
		printf("signed %s@%s\n", t.name, t.digest);
	if (!rc)
		sign_trust_note(o->ref, t.digest);
	regclient_free(c);
	sign_key_free(k);
	return rc;
}

int cmd_sign(int argc, char **argv)
{
	struct sign_cli o = { 0 };
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(sign_usage, stdout);
		return CLI_OK;
	}
	rc = sign_cli_parse(argc, argv, &o);
	if (rc)
		return rc;
	rc = sign_cli_run(&o);
	return rc ? cli_fail("sign", rc) : CLI_OK;
}

static void verify_print(const struct sign_record *r, void *arg)
{
	struct verify_out *out = arg;
	char where[DIGEST_STR_LEN + 32];

	if (out->json) {
		if (out->list.len > 1)
			buf_putc(&out->list, ',');
		sign_record_to_json(r, &out->list);
		return;
	}
	if (r->kind == SIGN_KIND_LEGACY)
		snprintf(where, sizeof(where), "sha256-%s.sig layer %zu",
			 oci_digest_hex(r->subject), r->index);
	else
		snprintf(where, sizeof(where), "referrer %s", r->manifest);
	if (r->rc)
		printf("INVALID %s: %s\n", where, r->reason);
	else
		printf("OK      %s signed by %s (%s)\n", where, r->key_name,
		       r->fingerprint);
}

static int verify_cli_run(const struct sign_cli *o)
{
	struct verify_out out = { o->json, BUF_INIT(REGCLIENT_JSON_MAX) };
	struct regclient *c = NULL;
	struct sign_keyring ring;
	struct sign_target t;
	struct oci_ref ref;
	int rc, legacy = 0, bundles = 0;

	sign_keyring_init(&ring);
	buf_putc(&out.list, '[');
	rc = sign_keyring_load(&ring, o->key);
	if (!rc)
		rc = sign_registry_open(o->ref, &ref, &c);
	if (!rc)
		rc = sign_target_resolve(c, &ref, &t);
	if (!rc)
		rc = sign_verify_legacy(c, &t, &ring, verify_print, &out,
					&legacy);
	if (!rc)
		rc = sign_verify_referrers(c, &t, &ring,
					   SIGN_IMAGE_PREDICATE_TYPE,
					   verify_print, &out, &bundles);
	if (!rc && o->json)
		printf("{\"reference\":\"%s@%s\",\"verified\":%s,"
		       "\"signatures\":%s]}\n", t.name, t.digest,
		       legacy + bundles ? "true" : "false", out.list.data);
	if (!rc && legacy + bundles == 0)
		rc = err_set(ERR_DENIED, "no valid signature by '%s' on %s@%s",
			     o->key, t.name, t.digest);
	buf_release(&out.list);
	regclient_free(c);
	sign_keyring_release(&ring);
	return rc;
}

int cmd_verify(int argc, char **argv)
{
	struct sign_cli o = { 0 };
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(verify_usage, stdout);
		return CLI_OK;
	}
	rc = sign_cli_parse(argc, argv, &o);
	if (rc)
		return rc;
	rc = verify_cli_run(&o);
	return rc ? cli_fail("verify", rc) : CLI_OK;
}

/* Options, session and verification report of the registry signing
 * commands (cmd_sign.c, cmd_attest.c). */
#include "cli/sign_common.h"
#include "cli/cli.h"
#include "sign/password.h"
#include "sign/sign.h"
#include "oci/digest.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* Where records go: printed as lines, or collected as a JSON array. */
struct verify_out {
	bool json;
	bool predicate;
	struct buf list;
};

static bool fmt_known(const char *s)
{
	return !strcmp(s, "legacy") || !strcmp(s, "bundle") ||
	       !strcmp(s, "both");
}

static int parse_opts(int argc, char **argv, const struct sign_cli_spec *sp,
		      struct sign_cli *o)
{
	struct option opts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "format", required_argument, NULL, 'F' },
		{ sp->fmt_option, required_argument, NULL, 'f' },
		{ "predicate", required_argument, NULL, 'p' },
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	if (!sp->attest)
		opts[3] = opts[5];
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'k')
			o->key = optarg;
		else if (c == 'f' && fmt_known(optarg))
			o->fmt = optarg;
		else if (c == 'f')
			return cli_usage_error(argv[0], "--%s is legacy, "
					       "bundle or both",
					       sp->fmt_option);
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
	return 0;
}

static int parse(int argc, char **argv, const struct sign_cli_spec *sp,
		 struct sign_cli *o)
{
	int rc;

	o->fmt = sp->fmt_default;
	rc = parse_opts(argc, argv, sp, o);
	if (rc)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error(argv[0], "expected one REF");
	if (!o->key)
		return cli_usage_error(argv[0], "--key is required");
	if (sp->need_predicate && (!o->predicate || !o->type))
		return cli_usage_error(argv[0], "--predicate and --type are "
				       "required");
	o->ref = argv[optind];
	return 0;
}

int sign_cli_main(int argc, char **argv, const char *usage,
		  const struct sign_cli_spec *spec)
{
	struct sign_cli o = { 0 };
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	rc = parse(argc, argv, spec, &o);
	if (rc)
		return rc;
	rc = spec->run(&o);
	return rc ? cli_fail(argv[0], rc) : CLI_OK;
}

int sign_cli_session_open(const struct sign_cli *o,
			  struct sign_cli_session *s)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = sign_password_open_key(o->key, &s->key);
	if (!rc)
		rc = sign_registry_open(o->ref, &s->ref, &s->c);
	if (!rc)
		rc = sign_target_resolve(s->c, &s->ref, &s->t);
	return rc;
}

void sign_cli_session_release(struct sign_cli_session *s)
{
	if (!s)
		return;
	regclient_free(s->c);
	sign_key_free(s->key);
	s->c = NULL;
	s->key = NULL;
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
	if (r->kind == SIGN_KIND_BUNDLE)
		snprintf(where, sizeof(where), "referrer %s", r->manifest);
	else
		snprintf(where, sizeof(where), "sha256-%s.%s layer %zu",
			 oci_digest_hex(r->subject),
			 r->kind == SIGN_KIND_LEGACY ? "sig" : "att",
			 r->index);
	if (r->rc)
		printf("INVALID %s: %s\n", where, r->reason);
	else if (out->predicate)
		printf("OK      %s signed by %s (%s)\n  %s %s\n", where,
		       r->key_name, r->fingerprint, r->predicate_type,
		       buf_cstr(&r->statement->predicate));
	else
		printf("OK      %s signed by %s (%s)\n", where, r->key_name,
		       r->fingerprint);
}

int sign_cli_verify(const struct sign_cli *o, const struct sign_cli_check *k)
{
	struct verify_out out = { o->json, k->print_predicate, BUF_INIT(0) };
	struct regclient *c = NULL;
	struct sign_keyring ring;
	struct sign_target t;
	struct oci_ref ref;
	int rc, n = 0;

	sign_keyring_init(&ring);
	buf_init(&out.list, k->json_max);
	buf_putc(&out.list, '[');
	rc = sign_keyring_load(&ring, o->key);
	if (!rc)
		rc = sign_registry_open(o->ref, &ref, &c);
	if (!rc)
		rc = sign_target_resolve(c, &ref, &t);
	if (!rc)
		rc = k->verify(c, &t, &ring, o->type, verify_print, &out, &n);
	if (!rc && o->json)
		printf("{\"reference\":\"%s@%s\",\"verified\":%s,"
		       "\"%s\":%s]}\n", t.name, t.digest,
		       n ? "true" : "false", k->member, out.list.data);
	if (!rc && n == 0)
		rc = err_set(ERR_DENIED, "no valid %s by '%s' on %s@%s",
			     k->noun, o->key, t.name, t.digest);
	buf_release(&out.list);
	regclient_free(c);
	sign_keyring_release(&ring);
	return rc;
}

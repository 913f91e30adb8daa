/* Option parsing and setup shared by stele push and stele pull. */
#include "cli/xfer_common.h"
#include "cli/cli.h"
#include "client/connect.h"
#include "util/err.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void xfer_cli_note(const char *digest, const char *what, uint64_t n,
			  void *arg)
{
	const struct xfer_cli *x = arg;

	if (!x->quiet)
		fprintf(stderr, "%.19s: %s %llu%s\n", digest, what,
			(unsigned long long)n,
			strcmp(what, "resuming at byte") ? " bytes" : "");
}

static int xfer_cli_args(struct xfer_cli *x, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "layout", required_argument, NULL, 'l' },
		{ "insecure", no_argument, NULL, 'k' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qj:", opts, NULL)) != -1) {
		if (c == 'l')
			x->layout_dir = optarg;
		else if (c == 'k')
			x->insecure = true;
		else if (c == 'q')
			x->quiet = true;
		else if (c == 'j' && (x->jobs = atoi(optarg)) < 1)
			return cli_usage_error(x->name, "--jobs wants 1..%d",
					       XFER_JOBS_MAX);
		else if (c == 'f' && strcmp(optarg, "json") &&
			 strcmp(optarg, "text"))
			return cli_usage_error(x->name, "--format is text or "
					       "json");
		else if (c == 'f')
			x->json = !strcmp(optarg, "json");
		else if (c == '?')
			return cli_usage_error(x->name, "unknown option '%s'",
					       argv[optind - 1]);
	}
	if (optind != argc - 1)
		return cli_usage_error(x->name, "expected one REF");
	return 0;
}

/* Fill the host from STELE_REGISTRY and the tag with "latest". */
static int xfer_cli_ref(struct xfer_cli *x, const char *arg)
{
	const char *reg = getenv("STELE_REGISTRY");
	int rc = oci_ref_parse(arg, &x->ref);

	if (rc)
		return cli_fail(x->name, rc);
	snprintf(x->local_name, sizeof(x->local_name), "%s%s%s", x->ref.host,
		 x->ref.host[0] ? "/" : "", x->ref.repo);
	if (!x->ref.host[0]) {
		if (!reg || !*reg)
			return cli_usage_error(x->name, "'%s' names no "
					       "registry and STELE_REGISTRY "
					       "is not set", arg);
		rc = regclient_host_arg(reg, x->ref.host,
					sizeof(x->ref.host));
		if (rc)
			return cli_fail(x->name, rc);
	}
	if (!x->ref.tag[0] && !x->ref.digest[0])
		snprintf(x->ref.tag, sizeof(x->ref.tag), "latest");
	return 0;
}

int xfer_cli_open(struct xfer_cli *x, int argc, char **argv, bool create)
{
	int rc;

	rc = xfer_cli_args(x, argc, argv);
	if (!rc)
		rc = xfer_cli_ref(x, argv[argc - 1]);
	if (rc)
		return rc;
	if (x->layout_dir) {
		rc = layout_open(x->layout_dir, create, &x->layout);
		if (!rc)
			layout_local(x->layout, &x->local);
	} else {
		rc = store_open(NULL, &x->store);
		if (!rc)
			rc = storelocal_bind(&x->store_local, x->store,
					     x->local_name, &x->local);
	}
	if (!rc)
		rc = regclient_open(x->ref.host, x->insecure, &x->client);
	if (rc)
		return cli_fail(x->name, rc);
	x->opts.jobs = x->jobs;
	x->opts.note = xfer_cli_note;
	x->opts.note_arg = x;
	return 0;
}

void xfer_cli_close(struct xfer_cli *x)
{
	regclient_free(x->client);
	layout_free(x->layout);
	store_free(x->store);
}

void xfer_cli_report(const struct xfer_cli *x, const char *verb,
		     const char *digest)
{
	char ref[OCI_HOST_MAX + OCI_REPO_MAX + OCI_TAG_MAX + 4];
	json_t *o;
	char *text;

	snprintf(ref, sizeof(ref), "%s/%s%s%s", x->ref.host, x->ref.repo,
		 x->ref.tag[0] ? ":" : "", x->ref.tag);
	if (!x->json) {
		printf("%s %s@%s\n", verb, ref, digest);
		return;
	}
	o = json_pack("{ssss}", "reference", ref, "digest", digest);
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	if (text)
		puts(text);
	free(text);
	json_decref(o);
}

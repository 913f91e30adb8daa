/* stele audit list|export|verify: read and check the audit log. */
#include "cli/cli.h"
#include "gov/audit.h"
#include "gov/checkpoint.h"
#include "server/config.h"
#include "sign/key.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char audit_usage[] =
	"usage: stele audit list [--data DIR | --config FILE] [--actor A]\n"
	"                        [--action A]\n"
	"                        [--repo R] [--result R] [--since TIME]\n"
	"                        [--limit N] [--format text|json]\n"
	"       stele audit export [--data DIR] [--format jsonl|csv]\n"
	"                          [-o FILE]\n"
	"       stele audit verify [--data DIR [--key REGISTRY.pub] |\n"
	"                          --file EXPORT.jsonl]\n"
	"\n"
	"Read the registry's append-only, hash-chained audit log.\n"
	"\n"
	"  --data DIR     the server's data directory (default: $STELE_DATA\n"
	"                 or ./stele-data)\n"
	"  --config FILE  the server's configuration: use its data directory\n"
	"  --limit N      list: only the newest N matching records (still\n"
	"                 printed oldest first)\n"
	"  --file FILE    verify a JSON Lines export instead of the store\n"
	"  --key PUB      also check the newest checkpoint the registry\n"
	"                 signed (its public key, DATA/keys/signing.pub):\n"
	"                 detects records removed from the end\n"
	"  --format F     list: text or json; export: jsonl or csv\n"
	"  -o FILE        write the export to FILE instead of stdout\n"
	"\n"
	"'verify' exits 0 when every record follows from the one before it,\n"
	"and 1 naming the first record that was edited, deleted, inserted or\n"
	"reordered.\n";

struct audit_opts {
	const char *data;
	const char *config;
	const char *file;
	const char *format;
	const char *output;
	const char *key;
	struct audit_filter filter;
};

enum { OPT_ACTOR = 256, OPT_ACTION, OPT_REPO, OPT_RESULT, OPT_SINCE,
       OPT_LIMIT, OPT_FILE, OPT_KEY, OPT_CONFIG };

/* --config: the data directory the server's configuration names. */
static int audit_config_data(struct audit_opts *o)
{
	static struct server_config cfg;
	int rc;

	config_defaults(&cfg);
	rc = config_load(&cfg, o->config);
	if (rc)
		return cli_fail("audit", rc);
	o->data = cfg.data;
	return 0;
}

static int audit_parse_opts(int argc, char **argv, struct audit_opts *o)
{
	static const struct option longopts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "format", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "actor", required_argument, NULL, OPT_ACTOR },
		{ "action", required_argument, NULL, OPT_ACTION },
		{ "repo", required_argument, NULL, OPT_REPO },
		{ "result", required_argument, NULL, OPT_RESULT },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ "file", required_argument, NULL, OPT_FILE },
		{ "key", required_argument, NULL, OPT_KEY },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->data = getenv("STELE_DATA") ? getenv("STELE_DATA") : "stele-data";
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "d:f:o:", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': o->data = optarg; break;
		case 'f': o->format = optarg; break;
		case 'o': o->output = optarg; break;
		case OPT_ACTOR: o->filter.actor = optarg; break;
		case OPT_ACTION: o->filter.action = optarg; break;
		case OPT_REPO: o->filter.repo = optarg; break;
		case OPT_RESULT: o->filter.result = optarg; break;
		case OPT_SINCE: o->filter.since = optarg; break;
		case OPT_LIMIT:
			o->filter.limit = strtoll(optarg, NULL, 10);
			if (o->filter.limit <= 0)
				return cli_usage_error("audit", "--limit must "
						       "be a positive number");
			break;
		case OPT_FILE: o->file = optarg; break;
		case OPT_KEY: o->key = optarg; break;
		case OPT_CONFIG: o->config = optarg; break;
		default:
			return cli_usage_error("audit", "unknown option or "
					       "missing value: '%s'",
					       argv[optind - 1]);
		}
	}
	return o->config ? audit_config_data(o) : 0;
}

static int audit_open(const struct audit_opts *o, struct audit_log **log)
{
	char path[4096];
	int rc;

	/* The registry keeps the chain in its metadata database so that a
	 * change and its record commit in one transaction. */
	snprintf(path, sizeof(path), "%s/meta.db", o->data);
	rc = audit_log_open(path, false, log);
	if (rc == ERR_NOTFOUND && !o->config)
		rc = err_set(rc, "%s (give the server's --data DIR or "
			     "--config FILE)", err_msg());
	return rc;
}

static int audit_print_text(const struct audit_record *r, void *arg)
{
	printf("%6lld %s %-10s %-10s %s%s%s %s%s%s\n", (long long)r->seq,
	       r->time, r->actor ? r->actor : "-", r->action ? r->action : "-",
	       r->repo ? r->repo : "-", r->tag ? ":" : "", r->tag ? r->tag : "",
	       r->result ? r->result : "-", r->reason ? ": " : "",
	       r->reason ? r->reason : "");
	return 0;
}

static int audit_print_jsonl(const struct audit_record *r, void *arg)
{
	struct buf b = BUF_INIT(1 << 20);
	int rc = audit_record_to_jsonl(r, &b);

	if (!rc && fprintf(arg, "%s\n", b.data) < 0)
		rc = err_set(ERR_IO, "cannot write export");
	buf_release(&b);
	return rc;
}

static int audit_print_csv(const struct audit_record *r, void *arg)
{
	struct buf b = BUF_INIT(1 << 20);
	int rc = audit_record_to_csv(r, &b);

	if (!rc && fprintf(arg, "%s\r\n", b.data) < 0)
		rc = err_set(ERR_IO, "cannot write export");
	buf_release(&b);
	return rc;
}

/* --limit N shows the newest N matching records, still oldest first:
 * one pass counts the matches, the next skips all but the last N. */
struct audit_tail {
	int64_t skip;
	int (*print)(const struct audit_record *rec, void *arg);
};

static int audit_count(const struct audit_record *rec, void *arg)
{
	(void)rec;
	++*(int64_t *)arg;
	return 0;
}

static int audit_print_tail(const struct audit_record *rec, void *arg)
{
	struct audit_tail *t = arg;

	if (t->skip > 0) {
		t->skip--;
		return 0;
	}
	return t->print(rec, stdout);
}

static int audit_list_each(struct audit_log *log, struct audit_opts *o)
{
	struct audit_filter all = o->filter;
	struct audit_tail t = { 0, audit_print_text };
	int64_t n = 0;
	int rc;

	if (o->format && !strcmp(o->format, "json"))
		t.print = audit_print_jsonl;
	all.limit = 0;
	rc = o->filter.limit > 0 ? audit_log_each(log, &all, audit_count, &n)
				 : 0;
	if (!rc && n > o->filter.limit)
		t.skip = n - o->filter.limit;
	return rc ? rc : audit_log_each(log, &all, audit_print_tail, &t);
}

static int audit_list(struct audit_opts *o)
{
	struct audit_log *log;
	int rc;

	if (o->format && strcmp(o->format, "text") && strcmp(o->format, "json"))
		return cli_usage_error("audit", "list formats: text, json");
	rc = audit_open(o, &log);
	if (!rc)
		rc = audit_list_each(log, o);
	audit_log_close(log);
	return rc ? cli_fail("audit", rc) : CLI_OK;
}

static int audit_export(struct audit_opts *o)
{
	bool csv = o->format && !strcmp(o->format, "csv");
	struct audit_log *log = NULL;
	FILE *out = stdout;
	int rc;

	if (o->format && !csv && strcmp(o->format, "jsonl"))
		return cli_usage_error("audit", "export formats: jsonl, csv");
	if (o->output && !(out = fopen(o->output, "w")))
		return cli_fail("audit", err_set(ERR_IO, "cannot create '%s'",
						 o->output));
	rc = audit_open(o, &log);
	if (!rc && csv && fprintf(out, "%s\r\n", audit_csv_header) < 0)
		rc = err_set(ERR_IO, "cannot write export");
	if (!rc)
		rc = audit_log_each(log, &o->filter, csv ? audit_print_csv :
				    audit_print_jsonl, out);
	audit_log_close(log);
	if (out != stdout && fclose(out) && !rc)
		rc = err_set(ERR_IO, "cannot write '%s'", o->output);
	return rc ? cli_fail("audit", rc) : CLI_OK;
}

static int audit_verify_checkpoint(const struct audit_opts *o,
				   int64_t count)
{
	struct sign_key *key = NULL;
	char path[4096];
	int64_t seq = 0;
	int rc;

	snprintf(path, sizeof(path), "%s/meta.db", o->data);
	rc = sign_key_load_public(o->key, &key);
	if (!rc)
		rc = audit_checkpoint_verify(path, key, &seq);
	sign_key_free(key);
	if (rc)
		return cli_fail("audit verify", rc);
	printf("newest signed checkpoint verified: record %lld", (long long)seq);
	if (count > seq)
		printf(" (%lld newer records are chained but not yet "
		       "checkpointed)", (long long)(count - seq));
	putchar('\n');
	return CLI_OK;
}

static int audit_verify(struct audit_opts *o)
{
	struct audit_log *log = NULL;
	int64_t count = 0;
	int rc;

	if (o->file) {
		FILE *f = fopen(o->file, "r");

		if (!f)
			return cli_fail("audit", err_set(ERR_IO, "cannot open "
							 "'%s'", o->file));
		rc = audit_verify_jsonl(f, o->file, &count);
		fclose(f);
	} else {
		rc = audit_open(o, &log);
		if (!rc)
			rc = audit_log_verify(log, &count);
		audit_log_close(log);
	}
	if (rc)
		return cli_fail("audit verify", rc);
	printf("audit log verified: %lld records, chain intact\n",
	       (long long)count);
	if (o->key && !o->file)
		return audit_verify_checkpoint(o, count);
	return CLI_OK;
}

int cmd_audit(int argc, char **argv)
{
	struct audit_opts o;
	const char *sub;
	int rc;

	if (argc < 2 || cli_wants_help(argc, argv)) {
		fputs(audit_usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	sub = argv[1];
	rc = audit_parse_opts(argc - 1, argv + 1, &o);
	if (rc)
		return rc;
	if (optind < argc - 1)
		return cli_usage_error("audit", "unexpected argument '%s'",
				       argv[optind + 1]);
	if (!strcmp(sub, "list"))
		return audit_list(&o);
	if (!strcmp(sub, "export"))
		return audit_export(&o);
	if (!strcmp(sub, "verify"))
		return audit_verify(&o);
	return cli_usage_error("audit", "unknown subcommand '%s'", sub);
}

/* stele serve: run the registry. */
#include "cli/cli.h"
#include "server/config.h"
#include "server/server.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char serve_usage[] =
	"usage: stele serve [--listen ADDR:PORT] [--data DIR] [--config FILE]\n"
	"                   [--anonymous-pull] [--log-level LEVEL]\n"
	"                   [--scan-workers N]\n"
	"\n"
	"Run the OCI registry. Metadata goes to DIR/meta.db (SQLite), blobs\n"
	"to DIR/blobs. Flags override the configuration file.\n"
	"\n"
	"  --listen ADDR:PORT  address to listen on (default 127.0.0.1:5000)\n"
	"  --data DIR          data directory (default ./stele-data)\n"
	"  --config FILE       YAML settings (see docs/registry.md)\n"
	"  --anonymous-pull    let anyone pull without credentials\n"
	"  --log-level LEVEL   debug, info, warn or error\n"
	"  --scan-workers N    threads scanning pushed ModelKits (default 2;\n"
	"                      see docs/pipeline.md)\n";

static int set_str(char *dst, size_t n, const char *v)
{
	if (strlen(v) >= n)
		return err_set(ERR_LIMIT, "value too long: '%s'", v);
	snprintf(dst, n, "%s", v);
	return 0;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "data", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "anonymous-pull", no_argument, NULL, 'a' },
		{ "log-level", required_argument, NULL, 'v' },
		{ "scan-workers", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	const char *listen = NULL, *data = NULL, *config = NULL;
	const char *level = NULL, *workers = NULL;
	struct server_config cfg;
	bool anon = false;
	int c, rc = 0;

	if (cli_wants_help(argc, argv)) {
		fputs(serve_usage, stdout);
		return CLI_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'l': listen = optarg; break;
		case 'd': data = optarg; break;
		case 'c': config = optarg; break;
		case 'a': anon = true; break;
		case 'v': level = optarg; break;
		case 'w': workers = optarg; break;
		default: return cli_usage_error("serve", "bad option");
		}
	}
	if (optind < argc)
		return cli_usage_error("serve", "unexpected '%s'",
				       argv[optind]);
	config_defaults(&cfg);
	if (config)
		rc = config_load(&cfg, config);
	if (!rc && listen)
		rc = set_str(cfg.listen, sizeof(cfg.listen), listen);
	if (!rc && data)
		rc = set_str(cfg.data, sizeof(cfg.data), data);
	if (!rc && level)
		rc = set_str(cfg.log_level, sizeof(cfg.log_level), level);
	if (anon)
		cfg.anonymous_pull = true;
	if (!rc && workers)
		rc = config_set(&cfg, "scan_workers", workers);
	if (!rc)
		rc = server_run(&cfg);
	return rc ? cli_fail("serve", rc) : CLI_OK;
}

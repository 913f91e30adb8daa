/* stele storage-initializer URI DEST [URI DEST ...]: the entrypoint of
 * KServe's storage-initializer init container. */
#include "cli/cli.h"
#include "initializer/initializer.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char init_usage[] =
	"usage: stele storage-initializer URI DEST [URI DEST ...]\n"
	"\n"
	"Fetch each ModelKit, verify it offline, and place it at DEST. KServe\n"
	"runs this as the 'storage-initializer' init container.\n"
	"\n"
	"URIs: stele://[host[:port]/]repo(:tag|@sha256:...) and\n"
	"      kit://host/repo:tag\n"
	"\n"
	"Environment:\n"
	"  STELE_REGISTRY         registry for URIs without a host\n"
	"  STELE_ENVIRONMENT      require the registry's promotion to it\n"
	"  STELE_TRUSTED_KEYS     directory of PEM public keys: registry*.pub\n"
	"                         are the registry's, others publishers'\n"
	"  STELE_USERNAME, STELE_PASSWORD or STELE_TOKEN   credentials\n"
	"  STELE_FILTER           layers to extract (default model,kitfile)\n"
	"  STELE_FAIL_ON          refuse a scan with findings at or above\n"
	"                         this severity (default high)\n"
	"  STELE_REQUIRE_SIGNATURE, STELE_REQUIRE_SCAN   without an\n"
	"                         environment: true (default) or false\n"
	"  STELE_CA_BUNDLE, SSL_CERT_FILE   CA certificates for HTTPS\n"
	"  STELE_TERMINATION_LOG  where the failure reason goes\n"
	"                         (default /dev/termination-log)\n"
	"  STELE_DEADLINE_SECONDS, STELE_PARALLEL   limits\n"
	"\n"
	"Exit status 0 when every model is in place; otherwise 1 with one line\n"
	"saying what failed, and DEST left as it was.\n";

/* One structured progress line per step on stderr. */
static void init_log(const char *event, const char *uri, const char *detail,
		     void *arg)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "time=%s level=info event=%s uri=\"%s\" detail=\"%s\"\n",
		ts, event, uri, detail ? detail : "");
}

int cmd_storage_initializer(int argc, char **argv)
{
	struct init_settings s;
	char line[1200];
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(init_usage, stdout);
		return CLI_OK;
	}
	rc = init_settings_load(&s);
	if (!rc && (argc < 3 || (argc - 1) % 2))
		rc = err_set(ERR_USAGE, "expected URI DEST pairs, got %d "
			     "argument(s)", argc - 1);
	for (int i = 1; !rc && i + 1 < argc; i += 2) {
		struct init_result res;

		rc = init_deploy(&s, argv[i], argv[i + 1], init_log, NULL,
				 &res);
		if (rc) {
			char why[1024];

			snprintf(why, sizeof(why), "%s", err_msg());
			err_set(rc, "%s: %s", argv[i], why);
		}
	}
	if (!rc)
		return CLI_OK;
	snprintf(line, sizeof(line), "%s", err_msg());
	init_termination_log(&s, line);
	fprintf(stderr, "stele storage-initializer: %s\n", line);
	return rc == ERR_USAGE ? CLI_USAGE : CLI_FAIL;
}

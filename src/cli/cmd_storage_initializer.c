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
	"  STELE_MAX_BYTES        most bytes one ModelKit may download\n"
	"                         (K, M, G, T suffixes; default 256G)\n"
	"\n"
	"Exit status 0 when every model is in place; otherwise 1 with one line\n"
	"saying what failed, and DEST left as it was.\n";

/* A value between double quotes: quotes, backslashes and control bytes
 * escaped so that one event stays one parseable line. */
static void init_log_quoted(const char *s)
{
	fputc('"', stderr);
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(stderr, "\\%c", ch);
		else if (ch < 0x20 || ch == 0x7f)
			fprintf(stderr, "\\x%02x", ch);
		else
			fputc(ch, stderr);
	}
	fputc('"', stderr);
}

static void init_log_line(const char *level, const char *event,
			  const char *uri, const char *detail)
{
	char ts[32];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(stderr, "time=%s level=%s event=%s uri=", ts, level, event);
	init_log_quoted(uri);
	fputs(" detail=", stderr);
	init_log_quoted(detail);
	fputc('\n', stderr);
}

/* One structured progress line per step on stderr. */
static void init_log(const char *event, const char *uri, const char *detail,
		     void *arg)
{
	(void)arg;
	init_log_line("info", event, uri, detail);
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
			init_log_line("error", "failed", argv[i], why);
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

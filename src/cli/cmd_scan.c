/* stele scan: look for code-injection risks in model files and known
 * vulnerabilities in declared dependencies, or show a registry's scan. */
#include "cli/cli.h"
#include "cli/pipeline_cli.h"
#include "scan/modelkit.h"
#include "scan/scan.h"
#include "util/err.h"
#include "vuln/vuln_scan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Exit statuses of `stele scan` (PRODUCT.md). */
enum {
	SCAN_EXIT_CLEAN = 0,
	SCAN_EXIT_FINDINGS = 1,
	SCAN_EXIT_INCOMPLETE = 2,
};

static const char usage[] =
	"usage: stele scan [--format text|json|sarif] [--fail-on SEVERITY]\n"
	"                  [--profile NAME]... [--vulndb PATH] [--no-digest]\n"
	"                  PATH|REF...\n"
	"       stele scan [--format text|json] [--fail-on SEVERITY]\n"
	"                  [--wait] [--timeout SEC] HOST/REPO[:TAG|@DIGEST]\n"
	"\n"
	"Scan files and directories for code-injection risks in model files\n"
	"(pickle in every protocol, PyTorch zip/legacy/TorchScript, joblib,\n"
	"NumPy, and the zip, tar, 7z and compressed archives they hide in).\n"
	"Content is sniffed; names and extensions are never trusted.\n"
	"A REF (repo:tag, repo@digest) that is no path scans that ModelKit\n"
	"from the local store; its Kitfile's framework adds profiles.\n"
	"\n"
	"  --format FMT      text (default), json or sarif (SARIF 2.1.0)\n"
	"  --fail-on SEV     lowest severity that fails: critical, high\n"
	"                    (default), medium, low or info\n"
	"  --profile NAME    add an allowlist profile to every file: base,\n"
	"                    numpy, torch, sklearn, xgboost or joblib\n"
	"  --vulndb PATH     advisory database for the dependency files of\n"
	"                    directories and local ModelKits (default\n"
	"                    $STELE_HOME/vulndb.sqlite);\n"
	"                    with no advisories loaded those files are\n"
	"                    incomplete (docs/vulnerabilities.md)\n"
	"  --no-digest       do not hash: each file's sha256 is null, and\n"
	"                    tensor payloads of files on disk are skipped by\n"
	"                    offset, unread (verdicts do not change)\n"
	"  --wait            for a registry reference: wait until the\n"
	"                    registry's scan is done (docs/pipeline.md)\n"
	"  --timeout SEC     how long --wait waits (default 600)\n"
	"\n"
	"Exit status: 1 when a finding is at or above --fail-on (even if\n"
	"something else failed), else 2 when anything could not be fully\n"
	"analysed, else 0. Rules are described in docs/scan-rules.md.\n";

struct scan_args {
	enum scan_format format;
	enum scan_severity fail_on;
	struct scan_opts opts;
	char **paths;
	int n_paths;
	const char *vulndb;
	bool wait;
	int timeout;
};

/* "--opt VALUE" or "--opt=VALUE"; advances *i past a separate value. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt)
{
	size_t n = strlen(opt);

	if (!strncmp(argv[*i], opt, n) && argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (!strcmp(argv[*i], opt) && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static bool is_opt(const char *arg, const char *opt)
{
	size_t n = strlen(opt);

	return !strncmp(arg, opt, n) && (arg[n] == '\0' || arg[n] == '=');
}

static int parse_one(int argc, char **argv, int *i, struct scan_args *a)
{
	const char *v;
	unsigned bit;

	if (is_opt(argv[*i], "--format")) {
		v = opt_value(argc, argv, i, "--format");
		if (!v || scan_format_parse(v, &a->format))
			return cli_usage_error("scan", "--format needs text, "
					       "json or sarif");
	} else if (is_opt(argv[*i], "--fail-on")) {
		v = opt_value(argc, argv, i, "--fail-on");
		if (!v || scan_severity_parse(v, &a->fail_on))
			return cli_usage_error("scan", "--fail-on needs "
					       "critical, high, medium, low "
					       "or info");
	} else if (is_opt(argv[*i], "--vulndb")) {
		a->vulndb = opt_value(argc, argv, i, "--vulndb");
		if (!a->vulndb)
			return cli_usage_error("scan", "--vulndb needs a path");
	} else if (!strcmp(argv[*i], "--no-digest")) {
		a->opts.no_digest = true;
	} else if (!strcmp(argv[*i], "--wait")) {
		a->wait = true;
	} else if (is_opt(argv[*i], "--timeout")) {
		v = opt_value(argc, argv, i, "--timeout");
		a->timeout = v ? atoi(v) : 0;
		if (a->timeout <= 0)
			return cli_usage_error("scan", "--timeout needs a "
					       "number of seconds");
	} else if (is_opt(argv[*i], "--profile")) {
		v = opt_value(argc, argv, i, "--profile");
		if (!v || scan_profile_parse(v, &bit))
			return cli_usage_error("scan", "%s", err_msg());
		a->opts.extra_profiles |= bit;
	} else {
		return cli_usage_error("scan", "unknown option '%s'", argv[*i]);
	}
	return 0;
}

static int parse_args(int argc, char **argv, struct scan_args *a)
{
	bool opts_done = false;
	int rc;

	a->format = SCAN_FORMAT_TEXT;
	a->fail_on = SCAN_HIGH;
	a->timeout = CLI_SCAN_WAIT_DEFAULT;
	a->paths = calloc((size_t)argc, sizeof(char *));
	if (!a->paths)
		return cli_usage_error("scan", "out of memory");
	for (int i = 1; i < argc; i++) {
		if (!opts_done && !strcmp(argv[i], "--")) {
			opts_done = true;
		} else if (!opts_done && argv[i][0] == '-' && argv[i][1]) {
			rc = parse_one(argc, argv, &i, a);
			if (rc)
				return rc;
		} else {
			a->paths[a->n_paths++] = argv[i];
		}
	}
	if (!a->n_paths)
		return cli_usage_error("scan", "no PATH given");
	return 0;
}

/*
 * One directory is reported with paths relative to it; with several
 * arguments each directory's files keep the argument as a prefix so the
 * report stays unambiguous.
 */
static int scan_one(struct scan_report *r, char *path, bool prefixed,
		    const struct scan_opts *o)
{
	struct stat st;
	size_t n = strlen(path);

	if (stat(path, &st) && errno == ENOENT && strpbrk(path, ":@"))
		return scan_modelkit(r, NULL, path, o);
	if (!prefixed || stat(path, &st) || !S_ISDIR(st.st_mode))
		return scan_path(r, path, o);
	while (n > 1 && path[n - 1] == '/')
		path[--n] = '\0';
	return scan_dir(r, path, path, o);
}

/* The advisory database to use: --vulndb, else the default one. *db NULL
 * with the reason in why when it is absent or holds no advisory. */
static int open_vulndb(const struct scan_args *a, struct vuln_db **db,
		       char *why, size_t n)
{
	int rc;

	/* A database named but absent is an error, never an empty one:
	 * matching against nothing would pass every dependency. */
	if (a->vulndb && access(a->vulndb, R_OK))
		return err_setsys(ERR_NOTFOUND, errno, "advisory database "
				  "'%s'", a->vulndb);
	rc = cli_vulndb_open_loaded(a->vulndb, db);
	if (rc == ERR_NOTFOUND) {
		snprintf(why, n, "%s", err_msg());
		err_clear();
		rc = 0;
	}
	return rc;
}

/* The advisories dependency files are matched against; db NULL with the
 * reason in why when there are none. */
struct scan_deps {
	struct vuln_db *db;
	char why[PATH_MAX + 128];
};

/* Dependency files under dir: matched, or incomplete without advisories.
 * Also called with each local ModelKit's unpacked directory. */
static int scan_deps_dir(void *arg, const char *dir, struct scan_report *r)
{
	struct scan_deps *d = arg;

	return d->db ? vuln_scan_dir(d->db, dir, r)
		     : vuln_scan_dir_unchecked(dir, d->why, r);
}

/* Dependency files of every directory given. */
static int scan_dependencies(struct scan_report *r,
			     const struct scan_args *a, struct scan_deps *d)
{
	struct stat st;
	int rc = 0;

	for (int i = 0; !rc && i < a->n_paths; i++)
		if (!stat(a->paths[i], &st) && S_ISDIR(st.st_mode))
			rc = scan_deps_dir(d, a->paths[i], r);
	return rc;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_args a = { 0 };
	struct scan_report *r = NULL;
	struct scan_deps deps = { NULL, "" };
	char *out = NULL;
	int rc, status = SCAN_EXIT_INCOMPLETE;

	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	rc = parse_args(argc, argv, &a);
	if (rc)
		goto out;
	if (a.n_paths == 1 && cli_scan_is_ref(a.paths[0]) &&
	    a.opts.no_digest) {
		rc = cli_usage_error("scan", "--no-digest applies to local "
				     "scans, not to a registry's");
		goto out;
	}
	if (a.n_paths == 1 && cli_scan_is_ref(a.paths[0])) {
		status = cli_scan_remote(a.paths[0], a.wait, a.timeout,
					 a.format, a.fail_on);
		goto out;
	}
	r = scan_report_new();
	if (!r) {
		fprintf(stderr, "stele scan: out of memory\n");
		goto out;
	}
	rc = open_vulndb(&a, &deps.db, deps.why, sizeof(deps.why));
	if (rc) {
		cli_fail("scan", rc);
		goto out;
	}
	a.opts.unpacked = scan_deps_dir;
	a.opts.unpacked_arg = &deps;
	for (int i = 0; i < a.n_paths; i++) {
		rc = scan_one(r, a.paths[i], a.n_paths > 1, &a.opts);
		if (rc == ERR_NOMEM) {
			cli_fail("scan", rc);
			goto out;
		}
		if (rc) {
			/* Unreadable: say so, and let the report carry it so
			 * findings elsewhere still decide the exit status. */
			struct scan_file *f = scan_add_file(r, a.paths[i],
							    "unknown");

			cli_fail("scan", rc);
			scan_file_incomplete(f, "%s", err_msg());
		}
	}
	rc = scan_dependencies(r, &a, &deps);
	if (rc) {
		cli_fail("scan", rc);
		goto out;
	}
	rc = scan_report_render(r, a.format, &out);
	if (rc) {
		cli_fail("scan", rc);
		goto out;
	}
	fputs(out, stdout);
	if (a.format != SCAN_FORMAT_TEXT)
		fputc('\n', stdout);
	status = scan_report_exit_status(r, a.fail_on);
out:
	if (rc == CLI_USAGE)
		status = CLI_USAGE;
	free(out);
	free(a.paths);
	vulndb_close(deps.db);
	scan_report_free(r);
	return status;
}

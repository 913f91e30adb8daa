/* stele vulndb: import OSV advisories and show what is loaded. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/pipeline_cli.h"
#include "pipeline/pipeline.h"
#include "util/err.h"
#include "vuln/vulndb.h"

static const char usage[] =
	"usage: stele vulndb import [--db PATH | --data DIR] PATH|URL...\n"
	"       stele vulndb status [--db PATH | --data DIR]\n"
	"\n"
	"Load OSV advisories into the local database ($STELE_HOME/\n"
	"vulndb.sqlite unless --db is given): a directory of JSON or YAML\n"
	"records (the PyPA advisory database), an osv.dev zip export, one\n"
	"record file, or an http(s) URL of a zip or record. Each import is\n"
	"atomic; a record replaces a stored one only when its 'modified' is\n"
	"later; withdrawn records are removed. Records that cannot be read\n"
	"are skipped with one line each on stderr.\n"
	"\n"
	"--data DIR works on a registry's data directory (DIR/vulndb.sqlite,\n"
	"what `stele serve --data DIR` scans with) and then re-evaluates\n"
	"every stored version's dependencies; the server signs the changed\n"
	"results (docs/pipeline.md).";

/* Strip "--db PATH" and "--data DIR" from argv; the rest stay in
 * order. */
static int take_db(int *argc, char **argv, const char **db,
		   const char **data)
{
	int o = 1;

	*db = NULL;
	*data = NULL;
	for (int i = 1; i < *argc; i++) {
		if (!strcmp(argv[i], "--db") || !strcmp(argv[i], "--data")) {
			if (i + 1 >= *argc)
				return -1;
			*(argv[i][4] ? data : db) = argv[i + 1];
			i++;
		} else if (!strncmp(argv[i], "--db=", 5)) {
			*db = argv[i] + 5;
		} else if (!strncmp(argv[i], "--data=", 7)) {
			*data = argv[i] + 7;
		} else {
			argv[o++] = argv[i];
		}
	}
	*argc = o;
	return 0;
}

int cli_vulndb_open(const char *path, struct vuln_db **db)
{
	char def[4096];
	int rc;

	if (!path) {
		rc = vulndb_default_path(def, sizeof(def));
		if (rc)
			return rc;
		path = def;
	}
	return vulndb_open(path, db);
}

/* How many advisories db holds. */
static int count_advisories(struct vuln_db *db, long long *n)
{
	struct vulndb_status st;
	int rc = vulndb_status(db, &st);

	*n = rc ? 0 : st.advisories;
	vulndb_status_release(&st);
	return rc;
}

int cli_vulndb_open_loaded(const char *path, struct vuln_db **db)
{
	char def[4096];
	long long n;
	int rc;

	*db = NULL;
	if (!path) {
		rc = vulndb_default_path(def, sizeof(def));
		if (rc)
			return rc;
		path = def;
	}
	/* Never create a database to match against: it would be empty. */
	if (access(path, F_OK))
		return err_set(ERR_NOTFOUND, "no advisories loaded (%s does "
			       "not exist): run 'stele vulndb import PATH'",
			       path);
	rc = vulndb_open(path, db);
	if (!rc)
		rc = count_advisories(*db, &n);
	if (!rc && n == 0)
		rc = err_set(ERR_NOTFOUND, "no advisories loaded (%s is "
			     "empty): run 'stele vulndb import PATH'", path);
	if (rc) {
		vulndb_close(*db);
		*db = NULL;
	}
	return rc;
}

static int do_import(struct vuln_db *db, int argc, char **argv)
{
	struct vulndb_import st;
	int rc;

	for (int i = 2; i < argc; i++) {
		rc = vulndb_import(db, argv[i], &st);
		if (rc)
			return cli_fail("vulndb import", rc);
		for (size_t w = 0; w < st.n_warnings; w++)
			fprintf(stderr, "stele vulndb import: skipped %s\n",
				st.warnings[w]);
		if (st.skipped > st.n_warnings)
			fprintf(stderr, "stele vulndb import: %zu more "
				"records skipped\n",
				st.skipped - st.n_warnings);
		printf("%s: %zu added, %zu updated, %zu unchanged, "
		       "%zu withdrawn, %zu skipped, %zu without PyPI "
		       "packages in %.2fs (newest %s)\n", argv[i], st.added,
		       st.updated, st.unchanged, st.withdrawn, st.skipped,
		       st.other, st.seconds,
		       st.newest[0] ? st.newest : "-");
		vulndb_import_release(&st);
	}
	return CLI_OK;
}

static int do_status(struct vuln_db *db)
{
	struct vulndb_status st;
	int rc = vulndb_status(db, &st);

	if (rc)
		return cli_fail("vulndb status", rc);
	printf("advisories: %lld (%lld distinct issues)\n", st.advisories,
	       st.groups);
	printf("packages:   %lld\n", st.packages);
	printf("aliases:    %lld\n", st.aliases);
	printf("newest:     %s\n", st.newest ? st.newest : "-");
	for (size_t i = 0; i < st.n_sources; i++)
		printf("import %s at %s: %lld added, %lld updated, "
		       "%lld withdrawn, %lld skipped\n",
		       st.sources[i].source, st.sources[i].finished,
		       st.sources[i].added, st.sources[i].updated,
		       st.sources[i].withdrawn, st.sources[i].skipped);
	if (!st.n_sources)
		printf("no imports yet: run 'stele vulndb import PATH'\n");
	vulndb_status_release(&st);
	return CLI_OK;
}

int cmd_vulndb(int argc, char **argv)
{
	struct vuln_db *db = NULL;
	const char *path, *data;
	char in_data[4096];
	int rc;

	if (cli_wants_help(argc, argv)) {
		puts(usage);
		return CLI_OK;
	}
	if (take_db(&argc, argv, &path, &data))
		return cli_usage_error("vulndb", "--db and --data need a "
				       "path");
	if (path && data)
		return cli_usage_error("vulndb", "give --db or --data");
	if (data) {
		pipeline_vulndb_path(data, in_data, sizeof(in_data));
		path = in_data;
	}
	if (argc < 2 || (strcmp(argv[1], "import") &&
			 strcmp(argv[1], "status")))
		return cli_usage_error("vulndb", "say 'import' or 'status'");
	if (!strcmp(argv[1], "import") && argc < 3)
		return cli_usage_error("vulndb", "import needs a PATH or URL");
	if (!strcmp(argv[1], "status") && argc != 2)
		return cli_usage_error("vulndb", "status takes no arguments");
	rc = cli_vulndb_open(path, &db);
	if (rc)
		return cli_fail("vulndb", rc);
	rc = !strcmp(argv[1], "import") ? do_import(db, argc, argv)
					: do_status(db);
	if (!rc && data && !strcmp(argv[1], "import"))
		rc = cli_vulndb_reevaluate(data, db);
	vulndb_close(db);
	return rc;
}

/* stele init: write a Kitfile for a directory by classifying its files. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kitfile/kitfile.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"

static const char usage[] =
	"usage: stele init [DIR] [--name NAME] [--force]\n"
	"\n"
	"Write DIR/Kitfile (DIR defaults to the current directory) by\n"
	"classifying the files in DIR the way `kit init` does: weights\n"
	"become the model and its parts, README, LICENSE and documents the\n"
	"docs, tables and archives the datasets, prompt files the prompts,\n"
	"anything else code. Hidden files and what .kitignore excludes are\n"
	"left out.\n"
	"\n"
	"  --name NAME  package name (default: the directory's name)\n"
	"  --force      replace an existing Kitfile\n";

struct init_opts {
	const char *dir;
	const char *name;
	bool force;
};

static int parse_args(int argc, char **argv, struct init_opts *o)
{
	bool dashdash = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!dashdash && !strcmp(a, "--")) {
			dashdash = true;
		} else if (!dashdash && !strcmp(a, "--force")) {
			o->force = true;
		} else if (!dashdash && !strcmp(a, "--name")) {
			if (++i >= argc)
				return cli_usage_error("init", "--name needs "
						       "a value");
			o->name = argv[i];
		} else if (!dashdash && !strncmp(a, "--name=", 7)) {
			o->name = a + 7;
		} else if (!dashdash && a[0] == '-' && a[1]) {
			return cli_usage_error("init", "unknown option '%s'",
					       a);
		} else if (o->dir) {
			return cli_usage_error("init", "more than one "
					       "directory given");
		} else {
			o->dir = a;
		}
	}
	if (o->name && !*o->name)
		return cli_usage_error("init", "--name must not be empty");
	return CLI_OK;
}

static int write_kitfile(const struct init_opts *o, const char *path)
{
	struct buf yaml = BUF_INIT(KITFILE_MAX_BYTES);
	struct kitfile *kf = NULL;
	char *name = NULL;
	int rc;

	rc = kitfile_generate(o->dir, &kf);
	/* A Kitfile of no layers packs nothing: say what to put there. */
	if (rc == 0 && kf->n_entries == 0)
		rc = err_set(ERR_NOTFOUND, "nothing to package in '%s': put "
			     "the model file(s) there (and code, datasets, "
			     "docs), then run 'stele init %s' again", o->dir,
			     o->dir);
	if (rc == 0 && o->name) {
		name = strdup(o->name);
		rc = name ? 0 : err_set(ERR_NOMEM, "out of memory");
	}
	if (rc == 0 && name) {
		free(kf->package.name);
		kf->package.name = name;
	}
	if (rc == 0)
		rc = kitfile_to_yaml(kf, &yaml);
	if (rc == 0)
		rc = fs_write_atomic(path, yaml.data, yaml.len, 0644);
	if (rc == 0)
		printf("Wrote %s with %zu layer%s\n", path, kf->n_entries,
		       kf->n_entries == 1 ? "" : "s");
	kitfile_free(kf);
	buf_release(&yaml);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	struct init_opts o = { NULL, NULL, false };
	char path[4096];
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return CLI_OK;
	}
	rc = parse_args(argc, argv, &o);
	if (rc != CLI_OK)
		return rc;
	if (!o.dir)
		o.dir = ".";
	if (snprintf(path, sizeof(path), "%s/Kitfile", o.dir) >=
	    (int)sizeof(path))
		return cli_usage_error("init", "directory name too long");
	if (!o.force && fs_exists(path)) {
		err_set(ERR_EXISTS, "'%s' already exists (use --force to "
			"replace it)", path);
		return cli_fail("init", ERR_EXISTS);
	}
	rc = write_kitfile(&o, path);
	return rc ? cli_fail("init", rc) : CLI_OK;
}

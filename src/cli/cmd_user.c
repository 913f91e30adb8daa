/* stele user: manage registry accounts in the server's data directory. */
#include "cli/cli.h"
#include "gov/audit.h"
#include "meta/meta.h"
#include "server/auth.h"
#include "server/config.h"
#include "util/err.h"

#include <getopt.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char user_usage[] =
	"usage: stele user add NAME --role ROLE [--robot] [--password-stdin]\n"
	"       stele user passwd NAME [--password-stdin]\n"
	"       stele user grant NAME REPO-PATTERN ROLE|none\n"
	"       stele user rm NAME\n"
	"       stele user list\n"
	"   common: [--data DIR | --config FILE]\n"
	"\n"
	"Roles: admin, publisher, approver, deployer, viewer, or none (grants\n"
	"only). A grant gives a role on matching repositories ('team/*' or an\n"
	"exact name) on top of the account's own role. Without\n"
	"--password-stdin a random password\n"
	"is generated and printed once; robots always get a generated one.\n";

struct user_opts {
	const char *data;
	const char *config;
	const char *role;
	bool robot;
	bool stdin_pw;
};

static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > META_USER_MAX)
		return false;
	if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* The data directory (--data, else the config's, else ./stele-data when
 * it exists) into dir, and its metadata. Without --data or --config a
 * missing ./stele-data is refused: creating it would give accounts to a
 * registry nobody runs. */
static int open_meta(const struct user_opts *o, struct meta **m,
		     char *dir, size_t n)
{
	struct server_config cfg;
	int rc = 0;

	config_defaults(&cfg);
	if (o->config)
		rc = config_load(&cfg, o->config);
	if (rc)
		return rc;
	snprintf(dir, n, "%s", o->data ? o->data : cfg.data);
	if (!o->data && !o->config && access(dir, F_OK))
		return err_set(ERR_NOTFOUND, "no data directory: ./%s does "
			       "not exist; give the server's --config FILE "
			       "or --data DIR", dir);
	return meta_sqlite_open(dir, m);
}

/* Read one line from stdin (no trailing newline) or generate. */
static int get_password(bool from_stdin, char *pw, size_t n, bool *made)
{
	size_t len;

	*made = false;
	if (!from_stdin) {
		*made = true;
		return auth_random_secret(pw);
	}
	if (!fgets(pw, (int)n, stdin))
		return err_set(ERR_USAGE, "no password on standard input");
	len = strcspn(pw, "\r\n");
	if (pw[len] == '\0' && len == n - 1)
		return err_set(ERR_LIMIT, "password too long");
	pw[len] = '\0';
	return 0;
}

static int set_password(struct meta_user *u, const struct user_opts *o,
			bool force_generate)
{
	char pw[AUTH_PASSWORD_MAX + 2];
	bool made;
	int rc;

	rc = get_password(o->stdin_pw && !force_generate, pw, sizeof(pw),
			  &made);
	if (!rc)
		rc = auth_hash_password(pw, u->hash);
	if (!rc && made)
		printf("password for %s: %s\n", u->name, pw);
	sodium_memzero(pw, sizeof(pw));
	return rc;
}

static int user_add(struct meta *m, const char *name,
		    const struct user_opts *o)
{
	struct meta_user u;
	int rc;

	memset(&u, 0, sizeof(u));
	if (!o->role)
		return err_set(ERR_USAGE, "--role is required");
	/* "none": an account that only has per-repository grants. */
	rc = strcmp(o->role, "none") ? meta_role_parse(o->role, &u.role) : 0;
	if (rc)
		return rc;
	rc = m->ops->user_get(m, name, &u);
	if (!rc)
		return err_set(ERR_EXISTS, "user '%s' already exists", name);
	if (rc != ERR_NOTFOUND)
		return rc;
	err_clear();
	snprintf(u.name, sizeof(u.name), "%s", name);
	u.role = META_ROLE_NONE;
	if (strcmp(o->role, "none"))
		meta_role_parse(o->role, &u.role);
	u.robot = o->robot;
	rc = set_password(&u, o, o->robot);
	if (!rc)
		rc = m->ops->user_put(m, &u);
	sodium_memzero(&u, sizeof(u));
	return rc;
}

static int user_passwd(struct meta *m, const char *name,
		       const struct user_opts *o)
{
	struct meta_user u;
	int rc = m->ops->user_get(m, name, &u);

	if (!rc)
		rc = set_password(&u, o, u.robot);
	if (!rc)
		rc = m->ops->user_put(m, &u);
	sodium_memzero(&u, sizeof(u));
	return rc;
}

static int print_name(void *arg, const char *name)
{
	struct meta *m = arg;
	struct meta_user u;

	if (m->ops->user_get(m, name, &u))
		return 0;
	printf("%s\t%s%s%s\n", u.name, meta_role_name(u.role),
	       u.robot ? "\trobot" : "", u.disabled ? "\tdisabled" : "");
	sodium_memzero(&u, sizeof(u));
	return 0;
}

static int user_grant(struct meta *m, char **args, int n)
{
	struct meta_user u;
	enum meta_role role = META_ROLE_NONE;
	int rc;

	if (n != 3)
		return err_set(ERR_USAGE, "grant needs NAME REPO-PATTERN ROLE");
	rc = m->ops->user_get(m, args[0], &u);
	sodium_memzero(&u, sizeof(u));
	if (!rc && strcmp(args[2], "none"))
		rc = meta_role_parse(args[2], &role);
	if (!rc && (!*args[1] || strlen(args[1]) > META_REPO_MAX))
		rc = err_set(ERR_INVALID, "bad repository pattern");
	if (!rc)
		rc = m->ops->grant_put(m, args[0], args[1], role);
	return rc;
}

struct user_audit {
	const char *verb;
	char **args;
	int n;
	const struct user_opts *o;
};

static int user_audit_tx(struct sqlite3 *db, void *arg)
{
	const struct user_audit *a = arg;
	struct audit_record rec = { 0 };
	char actor[96], why[256];
	int rc = audit_db_init(db);

	/* The account change is made on the data directory, not through the
	 * server: the actor is the local operating-system user. */
	snprintf(actor, sizeof(actor), "local:%s", getenv("USER") ?
		 getenv("USER") : "unknown");
	snprintf(why, sizeof(why), "stele user %s %s%s%s%s%s%s%s", a->verb,
		 a->args[0], a->o->role ? " --role " : "",
		 a->o->role ? a->o->role : "", a->n > 2 ? " " : "",
		 a->n > 2 ? a->args[1] : "", a->n > 2 ? " " : "",
		 a->n > 2 ? a->args[2] : "");
	rec.actor = actor;
	rec.action = "account";
	rec.tag = a->args[0];
	rec.result = "ok";
	rec.reason = why;
	rec.agent = "stele-cli";
	if (!rc)
		rc = audit_db_append(db, &rec);
	return rc;
}

static int run(const char *verb, char **args, int n,
	       const struct user_opts *o)
{
	struct user_audit ua = { verb, args, n, o };
	struct meta *m = NULL;
	char dir[PATH_MAX];
	int rc;

	if (strcmp(verb, "list") && (n < 1 || !name_valid(args[0])))
		return err_set(ERR_USAGE, "a valid user NAME is needed "
			       "([a-z0-9][a-z0-9._-]*, at most %d)",
			       META_USER_MAX);
	rc = open_meta(o, &m, dir, sizeof(dir));
	if (rc)
		return rc;
	if (!strcmp(verb, "add"))
		rc = user_add(m, args[0], o);
	else if (!strcmp(verb, "passwd"))
		rc = user_passwd(m, args[0], o);
	else if (!strcmp(verb, "rm"))
		rc = m->ops->user_delete(m, args[0]);
	else if (!strcmp(verb, "grant"))
		rc = user_grant(m, args, n);
	else if (!strcmp(verb, "list"))
		rc = m->ops->user_list(m, print_name, m);
	else
		rc = err_set(ERR_USAGE, "unknown action '%s'", verb);
	if (!rc && strcmp(verb, "list"))
		rc = meta_sqlite_tx(m, user_audit_tx, &ua);
	/* stdout keeps only the generated password, for scripts. */
	if (!rc && !strcmp(verb, "add") && fflush(stdout) == 0)
		fprintf(stderr, "added '%s' (%s) to %s/meta.db\n", args[0],
			o->role, dir);
	meta_close(m);
	return rc;
}

int cmd_user(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "role", required_argument, NULL, 'r' },
		{ "robot", no_argument, NULL, 'b' },
		{ "password-stdin", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	struct user_opts o = { NULL, NULL, NULL, false, false };
	int c, rc;

	if (cli_wants_help(argc, argv)) {
		fputs(user_usage, stdout);
		return CLI_OK;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': o.data = optarg; break;
		case 'c': o.config = optarg; break;
		case 'r': o.role = optarg; break;
		case 'b': o.robot = true; break;
		case 'p': o.stdin_pw = true; break;
		default: return cli_usage_error("user", "bad option");
		}
	}
	if (optind >= argc)
		return cli_usage_error("user", "an action is needed");
	rc = run(argv[optind], argv + optind + 1, argc - optind - 1, &o);
	if (rc == ERR_USAGE)
		return cli_usage_error("user", "%s", err_msg());
	return rc ? cli_fail("user", rc) : CLI_OK;
}

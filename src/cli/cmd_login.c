/* stele login: check registry credentials, then store them. */
#include "cli/cli.h"
#include "client/connect.h"
#include "client/creds.h"
#include "client/regclient.h"
#include "util/buf.h"
#include "util/err.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static const char login_usage[] =
	"usage: stele login REGISTRY [-u USER] [--password-stdin] "
	"[--insecure]\n"
	"\n"
	"Verify credentials against REGISTRY's /v2/ endpoint and store them\n"
	"in Docker's config.json ($DOCKER_CONFIG or ~/.docker), mode 0600.\n"
	"\n"
	"  -u, --username USER   user name (prompted on a terminal)\n"
	"  -p, --password PASS   password (visible to other users: prefer\n"
	"                        --password-stdin)\n"
	"      --password-stdin  read the password from standard input\n"
	"      --insecure        allow plain HTTP to a non-loopback host\n";

/* Read one line from f into b (no newline); echo off on a terminal. */
static int login_read_line(FILE *f, bool secret, struct buf *b)
{
	struct termios old, quiet;
	bool tty = secret && isatty(fileno(f)) &&
		   !tcgetattr(fileno(f), &old);
	int c, rc = 0;

	if (tty) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(f), TCSAFLUSH, &quiet);
	}
	while ((c = fgetc(f)) != EOF && c != '\n' && !rc)
		rc = buf_putc(b, (char)c);
	if (tty) {
		tcsetattr(fileno(f), TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!rc && b->len && b->data[b->len - 1] == '\r')
		b->data[--b->len] = '\0';
	return rc;
}

static int login_prompt(const char *label, bool secret, struct buf *b)
{
	if (!isatty(STDIN_FILENO))
		return err_set(ERR_USAGE, "no %s given and standard input is "
			       "not a terminal (use %s)", secret ? "password"
			       : "user name",
			       secret ? "--password-stdin" : "-u");
	fprintf(stderr, "%s: ", label);
	fflush(stderr);
	return login_read_line(stdin, secret, b);
}

struct login_args {
	const char *registry;
	struct buf user;
	struct buf pass;
	bool from_stdin;
	bool insecure;
};

static int login_parse(int argc, char **argv, struct login_args *a)
{
	static const struct option opts[] = {
		{ "username", required_argument, NULL, 'u' },
		{ "password", required_argument, NULL, 'p' },
		{ "password-stdin", no_argument, NULL, 's' },
		{ "insecure", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "u:p:", opts, NULL)) != -1) {
		if (c == 'u' && buf_puts(&a->user, optarg))
			return cli_usage_error("login", "user name too long");
		else if (c == 'p' && buf_puts(&a->pass, optarg))
			return cli_usage_error("login", "password too long");
		else if (c == 's')
			a->from_stdin = true;
		else if (c == 'k')
			a->insecure = true;
		else if (c == '?')
			return cli_usage_error("login", "unknown option '%s'",
					       argv[optind - 1]);
	}
	if (optind != argc - 1)
		return cli_usage_error("login", "expected one REGISTRY");
	if (a->from_stdin && a->pass.len)
		return cli_usage_error("login", "--password and "
				       "--password-stdin exclude each other");
	a->registry = argv[optind];
	return 0;
}

static int login_collect(struct login_args *a)
{
	int rc = 0;

	if (!a->user.len)
		rc = login_prompt("Username", false, &a->user);
	if (!rc && a->from_stdin)
		rc = login_read_line(stdin, false, &a->pass);
	else if (!rc && !a->pass.len)
		rc = login_prompt("Password", true, &a->pass);
	if (!rc && (!a->user.len || !a->pass.len))
		rc = err_set(ERR_USAGE, "user name and password must not be "
			     "empty");
	return rc;
}

static int login_verify(const char *host, struct login_args *a)
{
	struct regclient_opts o = { .username = a->user.data,
				    .password = a->pass.data,
				    .insecure = a->insecure };
	struct regclient *c = NULL;
	int rc;

	o.ca_file = getenv("STELE_CA_FILE");
	if (o.ca_file && !*o.ca_file)
		o.ca_file = NULL;
	rc = regclient_new(host, &o, &c);
	if (!rc)
		rc = regclient_ping(c);
	regclient_free(c);
	return rc;
}

int cmd_login(int argc, char **argv)
{
	struct login_args a = { NULL, BUF_INIT(CREDS_FIELD_MAX),
				BUF_INIT(CREDS_FIELD_MAX), false, false };
	char host[300];
	int rc;

	if (cli_wants_help(argc, argv)) {
		fputs(login_usage, stdout);
		return CLI_OK;
	}
	rc = login_parse(argc, argv, &a);
	if (rc)
		goto out;
	rc = regclient_host_arg(a.registry, host, sizeof(host));
	if (!rc)
		rc = login_collect(&a);
	if (!rc)
		rc = login_verify(host, &a);
	if (!rc)
		rc = creds_save(host, a.user.data, a.pass.data);
	if (rc) {
		rc = cli_fail("login", rc);
		goto out;
	}
	puts("Login Succeeded");
out:
	buf_wipe(&a.user);
	buf_wipe(&a.pass);
	return rc;
}

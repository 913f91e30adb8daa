/* The command table and helpers shared by the subcommands. */
#ifndef STELE_CLI_CLI_H
#define STELE_CLI_CLI_H

#include <stdbool.h>

/*
 * A subcommand receives argv with argv[0] set to its own name and returns
 * the process exit status. Failures are reported with cli_fail(), which
 * prints "stele <name>: <message>" once on stderr.
 */
struct cli_cmd {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

extern const struct cli_cmd cli_commands[];

/* Exit statuses shared by every subcommand (scan has its own, see docs). */
enum {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
};

/* Print the current err_msg() for a failed library call; returns CLI_FAIL. */
int cli_fail(const char *cmd, int code);

/* Print a usage error and a hint to run --help; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* True when argv holds -h or --help before a "--". */
bool cli_wants_help(int argc, char **argv);

#define CLI_DECLARE(fn) int fn(int argc, char **argv)

CLI_DECLARE(cmd_version);
CLI_DECLARE(cmd_help);
/* The command list on stderr, for 'stele' alone; returns CLI_USAGE. */
int cli_usage_list(void);
CLI_DECLARE(cmd_audit);
CLI_DECLARE(cmd_storage_initializer);
CLI_DECLARE(cmd_init);
CLI_DECLARE(cmd_pack);
CLI_DECLARE(cmd_unpack);
CLI_DECLARE(cmd_list);
CLI_DECLARE(cmd_inspect);
CLI_DECLARE(cmd_tag);
CLI_DECLARE(cmd_rm);
CLI_DECLARE(cmd_serve);
CLI_DECLARE(cmd_user);
CLI_DECLARE(cmd_approve);
CLI_DECLARE(cmd_promote);
CLI_DECLARE(cmd_rollback);
CLI_DECLARE(cmd_history);
CLI_DECLARE(cmd_policy);
CLI_DECLARE(cmd_waive);
CLI_DECLARE(cmd_vulndb);
CLI_DECLARE(cmd_vulns);

/* Open --db PATH or the default advisory database (cmd_vulndb.c). */
struct vuln_db;
int cli_vulndb_open(const char *path, struct vuln_db **db);
/*
 * The same, for matching: fails with ERR_NOTFOUND and a hint to import
 * when the database does not exist (it is not created) or holds no
 * advisory, since matching against nothing would pass everything.
 */
int cli_vulndb_open_loaded(const char *path, struct vuln_db **db);
CLI_DECLARE(cmd_key);
CLI_DECLARE(cmd_sign_blob);
CLI_DECLARE(cmd_verify_blob);
CLI_DECLARE(cmd_attest_blob);
CLI_DECLARE(cmd_verify_blob_attestation);
CLI_DECLARE(cmd_sign);
CLI_DECLARE(cmd_verify);
CLI_DECLARE(cmd_attest);
CLI_DECLARE(cmd_verify_attestation);
CLI_DECLARE(cmd_scan);
CLI_DECLARE(cmd_login);
CLI_DECLARE(cmd_logout);
CLI_DECLARE(cmd_push);
CLI_DECLARE(cmd_pull);

#endif

/* Governance state in the registry's SQLite database: approvals, waivers,
 * which digest each environment runs, and the promotion history. */
#ifndef STELE_GOV_STORE_H
#define STELE_GOV_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "util/sha256.h"

struct sqlite3;

/*
 * Every function takes the caller's connection. Functions that change
 * state expect the caller to hold a write transaction (BEGIN IMMEDIATE),
 * so that a policy decision, the change it allows and its audit record
 * commit together or not at all, and two promotions of one environment
 * serialise. Strings passed in are borrowed; strings handed to callbacks
 * live until the callback returns.
 */
int gov_db_init(struct sqlite3 *db);

struct gov_approval {
	int64_t id;
	const char *repo;
	const char *digest;
	const char *env;
	const char *approver;
	const char *role;
	const char *comment;
	const char *time;
	bool revoked;
};

/* Record an approval; *id receives its number. An approver approving the
 * same digest for the same environment again gets ERR_EXISTS. */
int gov_approval_add(struct sqlite3 *db, const struct gov_approval *a,
		     int64_t *id);

/* Revoke approval id of repo; ERR_NOTFOUND when absent or revoked. */
int gov_approval_revoke(struct sqlite3 *db, const char *repo, int64_t id,
			const char *by);

/* Every approval of digest in repo (any environment, revoked too). */
int gov_approvals_each(struct sqlite3 *db, const char *repo,
		       const char *digest,
		       int (*fn)(const struct gov_approval *a, void *arg),
		       void *arg);

struct gov_waiver {
	int64_t id;
	const char *repo;
	const char *digest;      /* NULL: every version of repo */
	const char *rule;        /* advisory or rule id */
	time_t until;
	const char *reason;
	const char *actor;
};

int gov_waiver_add(struct sqlite3 *db, const struct gov_waiver *w,
		   int64_t *id);

/* Waivers of repo that apply to digest and have not expired at now. */
int gov_waivers_each(struct sqlite3 *db, const char *repo,
		     const char *digest, time_t now,
		     int (*fn)(const struct gov_waiver *w, void *arg),
		     void *arg);

/* One entry of an environment's history. */
struct gov_event {
	int64_t id;
	const char *repo;
	const char *env;
	const char *digest;
	const char *version;     /* the version tag, when known */
	const char *action;      /* "promote" or "rollback" */
	const char *actor;
	const char *reason;
	const char *time;
	const char *previous;    /* digest the environment ran before */
	bool break_glass;
};

/* What env of repo runs now; ERR_NOTFOUND when nothing was promoted. */
int gov_env_current(struct sqlite3 *db, const char *repo, const char *env,
		    char digest[DIGEST_STR_LEN]);

/* True when digest of repo was ever promoted to env. */
int gov_env_was(struct sqlite3 *db, const char *repo, const char *env,
		const char *digest, bool *was);

/* Point env at ev->digest and append ev to the history. What env ran
 * before goes into previous ("" when nothing) and ev->previous points at
 * it (NULL when nothing). */
int gov_env_move(struct sqlite3 *db, struct gov_event *ev,
		 char previous[DIGEST_STR_LEN]);

/*
 * The version a rollback returns to: walking the history back from the
 * newest entry, the first digest that differs from the current one and
 * that the environment was never rolled back away from.
 * ERR_NOTFOUND when there is none.
 */
int gov_env_previous(struct sqlite3 *db, const char *repo, const char *env,
		     char digest[DIGEST_STR_LEN]);

/* History of repo (one env, or all when env is NULL), newest first. */
int gov_history_each(struct sqlite3 *db, const char *repo, const char *env,
		     int (*fn)(const struct gov_event *ev, void *arg),
		     void *arg);

#endif

/* Per-environment deployment policy: parsing from the server's YAML
 * configuration and evaluation against the evidence about one digest. */
#ifndef STELE_GOV_POLICY_H
#define STELE_GOV_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "scan/scan.h"
#include "util/buf.h"

#define POLICY_MAX_ENVS 64
#define POLICY_MAX_LIST 64      /* roles, data classes per environment */
#define POLICY_NAME_MAX 64

/* The three kinds of findings a severity ceiling can apply to. */
enum policy_kind { POLICY_MODEL, POLICY_DEPENDENCY, POLICY_LLM,
		   POLICY_NKINDS };

/*
 * One environment's rules. Absent rules do not apply. max_severity[k] is
 * the highest severity allowed for findings of kind k, or -1 for no
 * ceiling. Strings are owned by the policy.
 */
struct policy_env {
	char *name;
	bool require_signature;
	bool require_scan;        /* a finished, complete scan */
	int max_severity[POLICY_NKINDS];
	int approvals;            /* how many distinct approvers */
	char **approver_roles;    /* allowed roles; none = any approver */
	size_t n_approver_roles;
	bool approver_not_publisher;
	char *from;               /* environment the digest must have been in */
	char **allow_data;        /* data classes allowed; none = any */
	size_t n_allow_data;
	bool restrict_data;       /* allow_data was given (even empty) */
};

struct policy {
	struct policy_env *envs;
	size_t n_envs;
};

/*
 * Parse the "environments" mapping of a configuration. node_text is the
 * YAML of the whole configuration file; name is used in messages
 * ("stele.yaml:12:5: unknown policy rule 'aprovals' in 'prod'").
 * A configuration without environments gets dev, staging and prod with no
 * rules. Free with policy_free().
 */
int policy_parse(const char *yaml, size_t len, const char *name,
		 struct policy **out);
void policy_free(struct policy *p);
const struct policy_env *policy_env_find(const struct policy *p,
					 const char *name);

/* The evidence about one digest, gathered by the caller. */
struct policy_finding {
	const char *id;           /* rule id or advisory id (and aliases) */
	const char *const *aliases;
	size_t n_aliases;
	enum policy_kind kind;
	enum scan_severity severity;
};

struct policy_approval {
	const char *approver;
	const char *role;
	const char *digest;
	const char *env;
	bool revoked;
};

struct policy_waiver {
	const char *id;           /* advisory or rule id */
	const char *digest;       /* NULL: every digest of the repository */
	time_t until;
};

struct policy_evidence {
	const char *digest;
	const char *publisher;
	bool signed_trusted;      /* a trusted publisher key signed digest */
	const char *signer;       /* key identity, for the explanation */
	bool scan_done;           /* newest scan finished and complete */
	const char *scan_state;   /* "pending", "running", "failed", ... */
	bool deps_unchecked;      /* scanned with no advisories loaded */
	const struct policy_finding *findings;
	size_t n_findings;
	const struct policy_approval *approvals;
	size_t n_approvals;
	const struct policy_waiver *waivers;
	size_t n_waivers;
	const char *const *envs_seen;  /* environments digest was promoted to */
	size_t n_envs_seen;
	const char *const *data_classes;
	size_t n_data_classes;
	time_t now;
};

/* One rule's outcome: what was checked, and for a failure how to fix it. */
struct policy_result {
	char rule[32];
	bool passed;
	char detail[512];
	char fix[256];
};

#define POLICY_MAX_RESULTS 16

struct policy_decision {
	bool allowed;
	struct policy_result results[POLICY_MAX_RESULTS];
	size_t n_results;
};

/* Evaluate env's rules against ev. Never fails: a missing piece of
 * evidence is a failed rule, so the decision fails closed. */
void policy_evaluate(const struct policy_env *env,
		     const struct policy_evidence *ev,
		     struct policy_decision *out);

/* The failed rules as one line: "prod: signature: not signed by a trusted
 * key (fix: ...); approvals: ..." for error messages. */
int policy_decision_summary(const struct policy_env *env,
			    const struct policy_decision *d, struct buf *out);

#endif

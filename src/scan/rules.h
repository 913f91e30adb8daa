/* The catalogue of scan rule ids: one place that names and explains them. */
#ifndef STELE_SCAN_RULES_H
#define STELE_SCAN_RULES_H

#include "scan/scan.h"

struct scan_rule {
	const char *id;
	enum scan_severity severity;   /* the usual severity */
	const char *summary;           /* one sentence for SARIF and help */
};

/* The rule with this id, or NULL (dependency rules live elsewhere). */
const struct scan_rule *scan_rule_find(const char *id);

/*
 * The kind of finding a rule id reports, as policies cap them
 * (docs/governance.md): "dependency" for advisories (dep-*), "llm" for
 * the LLM checks (chat templates, Hugging Face remote-code hooks and the
 * Python they name, hidden Unicode, secrets), "model" for everything
 * else. Never NULL.
 */
const char *scan_rule_kind(const char *id);

/* All rules, terminated by an entry whose id is NULL. */
extern const struct scan_rule scan_rules[];

/* The OWASP LLM Top 10 2025 id for supply-chain code injection. */
#define SCAN_OWASP_SUPPLY_CHAIN "LLM03:2025"

#endif

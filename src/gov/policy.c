/* Policy parsing (libyaml document API) and evaluation. */
#include "gov/policy.h"
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define POLICY_YAML_MAX (1u << 20)

struct policy_parser {
	yaml_document_t *doc;
	const char *name;
};

static int policy_err(struct policy_parser *pp, yaml_node_t *n,
		      const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int policy_err(struct policy_parser *pp, yaml_node_t *n,
		      const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(ERR_INVALID, "%s:%zu:%zu: %s", pp->name,
		       n ? n->start_mark.line + 1 : 0,
		       n ? n->start_mark.column + 1 : 0, msg);
}

static const char *policy_scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ?
		(const char *)n->data.scalar.value : NULL;
}

/* YAML lets a key repeat; a policy must not, or one line silently
 * overrides another. */
static int policy_unique_keys(struct policy_parser *pp, yaml_node_t *map)
{
	yaml_node_pair_t *a, *b;

	for (a = map->data.mapping.pairs.start;
	     a < map->data.mapping.pairs.top; a++) {
		yaml_node_t *ka = yaml_document_get_node(pp->doc, a->key);
		const char *sa = policy_scalar(ka);

		if (!sa)
			return policy_err(pp, ka, "keys must be scalars");
		for (b = map->data.mapping.pairs.start; b < a; b++) {
			const char *sb = policy_scalar(
				yaml_document_get_node(pp->doc, b->key));

			if (sb && !strcmp(sa, sb))
				return policy_err(pp, ka, "'%s' is given "
						  "twice", sa);
		}
	}
	return 0;
}

static char *policy_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int policy_bool(struct policy_parser *pp, yaml_node_t *n,
		       const char *key, bool *out)
{
	const char *s = policy_scalar(n);

	if (s && (!strcmp(s, "true") || !strcmp(s, "required"))) {
		*out = true;
		return 0;
	}
	if (s && (!strcmp(s, "false") || !strcmp(s, "optional"))) {
		*out = false;
		return 0;
	}
	return policy_err(pp, n, "'%s' must be true/required or "
			  "false/optional", key);
}

static int policy_list(struct policy_parser *pp, yaml_node_t *n,
		       const char *key, char ***out, size_t *count)
{
	yaml_node_item_t *it;
	size_t i = 0, len;

	if (n->type == YAML_SCALAR_NODE) {
		*out = calloc(1, sizeof(char *));
		if (!*out || !(**out = strdup(policy_scalar(n))))
			return err_set(ERR_NOMEM, "out of memory");
		*count = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return policy_err(pp, n, "'%s' must be a list", key);
	len = (size_t)(n->data.sequence.items.top -
		       n->data.sequence.items.start);
	if (len > POLICY_MAX_LIST)
		return policy_err(pp, n, "'%s' has more than %d items", key,
				  POLICY_MAX_LIST);
	*out = calloc(len ? len : 1, sizeof(char *));
	if (!*out)
		return err_set(ERR_NOMEM, "out of memory");
	for (it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(pp->doc, *it);
		const char *s = policy_scalar(item);

		if (!s || !*s || strlen(s) > POLICY_NAME_MAX)
			return policy_err(pp, item, "'%s' items must be "
					  "names", key);
		(*out)[i] = strdup(s);
		if (!(*out)[i])
			return err_set(ERR_NOMEM, "out of memory");
		*count = ++i;
	}
	return 0;
}

static int policy_severity(struct policy_parser *pp, yaml_node_t *n,
			   int *out)
{
	enum scan_severity sev;
	const char *s = policy_scalar(n);

	if (!s || scan_severity_parse(s, &sev))
		return policy_err(pp, n, "severity must be one of critical, "
				  "high, medium, low, info");
	*out = (int)sev;
	return 0;
}

static int policy_max_severity(struct policy_parser *pp, yaml_node_t *n,
			       struct policy_env *env)
{
	static const char *const kinds[POLICY_NKINDS] = {
		"model", "dependency", "llm"
	};
	yaml_node_pair_t *p;
	int sev, rc;

	if (n->type == YAML_SCALAR_NODE) {
		rc = policy_severity(pp, n, &sev);
		for (int k = 0; !rc && k < POLICY_NKINDS; k++)
			env->max_severity[k] = sev;
		return rc;
	}
	if (n->type != YAML_MAPPING_NODE)
		return policy_err(pp, n, "'max_severity' must be a severity "
				  "or a mapping of model, dependency, llm");
	rc = policy_unique_keys(pp, n);
	if (rc)
		return rc;
	for (p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(pp->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(pp->doc, p->value);
		const char *ks = policy_scalar(k);
		int kind = -1;

		for (int i = 0; ks && i < POLICY_NKINDS; i++)
			if (!strcmp(ks, kinds[i]))
				kind = i;
		if (kind < 0)
			return policy_err(pp, k, "unknown finding kind '%s' "
					  "(model, dependency, llm)",
					  ks ? ks : "?");
		rc = policy_severity(pp, v, &env->max_severity[kind]);
		if (rc)
			return rc;
	}
	return 0;
}

static int policy_approvals(struct policy_parser *pp, yaml_node_t *n,
			    struct policy_env *env)
{
	yaml_node_pair_t *p;
	int rc = 0;

	if (n->type == YAML_SCALAR_NODE) {
		const char *s = policy_scalar(n);
		char *end;
		long v = strtol(s, &end, 10);

		if (*end || v < 0 || v > 100)
			return policy_err(pp, n, "approvals must be 0-100");
		env->approvals = (int)v;
		return 0;
	}
	if (n->type != YAML_MAPPING_NODE)
		return policy_err(pp, n, "'approvals' must be a count or a "
				  "mapping");
	rc = policy_unique_keys(pp, n);
	if (rc)
		return rc;
	env->approvals = 1;
	for (p = n->data.mapping.pairs.start;
	     !rc && p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(pp->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(pp->doc, p->value);
		const char *ks = policy_scalar(k);

		if (ks && !strcmp(ks, "count"))
			rc = policy_approvals(pp, v, env);
		else if (ks && !strcmp(ks, "roles"))
			rc = policy_list(pp, v, "roles", &env->approver_roles,
					 &env->n_approver_roles);
		else if (ks && !strcmp(ks, "not_publisher"))
			rc = policy_bool(pp, v, "not_publisher",
					 &env->approver_not_publisher);
		else
			rc = policy_err(pp, k, "unknown key '%s' in approvals",
					ks ? ks : "?");
	}
	return rc;
}

static int policy_env_rule(struct policy_parser *pp, yaml_node_t *k,
			   yaml_node_t *v, struct policy_env *env)
{
	const char *ks = policy_scalar(k);

	if (!ks)
		return policy_err(pp, k, "rule names must be scalars");
	if (!strcmp(ks, "signature"))
		return policy_bool(pp, v, ks, &env->require_signature);
	if (!strcmp(ks, "scan"))
		return policy_bool(pp, v, ks, &env->require_scan);
	if (!strcmp(ks, "max_severity"))
		return policy_max_severity(pp, v, env);
	if (!strcmp(ks, "approvals"))
		return policy_approvals(pp, v, env);
	if (!strcmp(ks, "from")) {
		if (!policy_scalar(v))
			return policy_err(pp, v, "'from' must name an "
					  "environment");
		env->from = policy_strdup(policy_scalar(v));
		return env->from ? 0 : err_set(ERR_NOMEM, "out of memory");
	}
	if (!strcmp(ks, "allow_data")) {
		env->restrict_data = true;
		return policy_list(pp, v, ks, &env->allow_data,
				   &env->n_allow_data);
	}
	return policy_err(pp, k, "unknown policy rule '%s' in '%s'", ks,
			  env->name);
}

static bool policy_name_valid(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > POLICY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= '0' && s[i] <= '9') ||
		      (i && (s[i] == '-' || s[i] == '_'))))
			return false;
	return true;
}

static int policy_env_parse(struct policy_parser *pp, yaml_node_t *k,
			    yaml_node_t *v, struct policy_env *env)
{
	const char *name = policy_scalar(k);
	yaml_node_pair_t *p;
	int rc = 0;

	for (int i = 0; i < POLICY_NKINDS; i++)
		env->max_severity[i] = -1;
	if (!name || !policy_name_valid(name))
		return policy_err(pp, k, "environment names are lower-case "
				  "letters, digits, '-' and '_'");
	env->name = strdup(name);
	if (!env->name)
		return err_set(ERR_NOMEM, "out of memory");
	if (v->type == YAML_SCALAR_NODE && !*policy_scalar(v))
		return 0;   /* "staging:" with no rules */
	if (v->type != YAML_MAPPING_NODE)
		return policy_err(pp, v, "environment '%s' must be a mapping "
				  "of rules", name);
	rc = policy_unique_keys(pp, v);
	for (p = v->data.mapping.pairs.start;
	     !rc && p < v->data.mapping.pairs.top; p++)
		rc = policy_env_rule(pp,
				     yaml_document_get_node(pp->doc, p->key),
				     yaml_document_get_node(pp->doc, p->value),
				     env);
	return rc;
}

static int policy_defaults(struct policy *p)
{
	static const char *const names[] = { "dev", "staging", "prod" };

	p->envs = calloc(3, sizeof(*p->envs));
	if (!p->envs)
		return err_set(ERR_NOMEM, "out of memory");
	for (size_t i = 0; i < 3; i++) {
		for (int k = 0; k < POLICY_NKINDS; k++)
			p->envs[i].max_severity[k] = -1;
		p->envs[i].name = strdup(names[i]);
		if (!p->envs[i].name)
			return err_set(ERR_NOMEM, "out of memory");
		p->n_envs = i + 1;
	}
	return 0;
}

static int policy_envs(struct policy_parser *pp, yaml_node_t *n,
		       struct policy *p)
{
	yaml_node_pair_t *pair;
	size_t count;
	int rc = 0;

	if (n->type != YAML_MAPPING_NODE)
		return policy_err(pp, n, "'environments' must be a mapping");
	count = (size_t)(n->data.mapping.pairs.top -
			 n->data.mapping.pairs.start);
	if (count == 0 || count > POLICY_MAX_ENVS)
		return policy_err(pp, n, "between 1 and %d environments are "
				  "needed", POLICY_MAX_ENVS);
	p->envs = calloc(count, sizeof(*p->envs));
	if (!p->envs)
		return err_set(ERR_NOMEM, "out of memory");
	for (pair = n->data.mapping.pairs.start;
	     !rc && pair < n->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(pp->doc, pair->key);

		rc = policy_env_parse(pp, k,
			yaml_document_get_node(pp->doc, pair->value),
			&p->envs[p->n_envs]);
		p->n_envs++;
		if (!rc && policy_env_find(p, p->envs[p->n_envs - 1].name) !=
			   &p->envs[p->n_envs - 1])
			rc = policy_err(pp, k, "environment '%s' is defined "
					"twice", p->envs[p->n_envs - 1].name);
	}
	for (size_t i = 0; !rc && i < p->n_envs; i++)
		if (p->envs[i].from && !policy_env_find(p, p->envs[i].from))
			rc = err_set(ERR_INVALID, "%s: environment '%s' "
				     "requires unknown environment '%s'",
				     pp->name, p->envs[i].name,
				     p->envs[i].from);
	return rc;
}

static int policy_root(struct policy_parser *pp, struct policy *p)
{
	yaml_node_t *root = yaml_document_get_root_node(pp->doc);
	yaml_node_pair_t *pair;

	if (!root)
		return policy_defaults(p);
	if (root->type != YAML_MAPPING_NODE)
		return policy_err(pp, root, "configuration must be a mapping");
	for (pair = root->data.mapping.pairs.start;
	     pair < root->data.mapping.pairs.top; pair++) {
		const char *k = policy_scalar(
			yaml_document_get_node(pp->doc, pair->key));

		if (k && !strcmp(k, "environments"))
			return policy_envs(pp, yaml_document_get_node(pp->doc,
						pair->value), p);
	}
	return policy_defaults(p);
}

int policy_parse(const char *yaml, size_t len, const char *name,
		 struct policy **out)
{
	struct policy_parser pp = { NULL, name };
	yaml_parser_t parser;
	yaml_document_t doc;
	struct policy *p;
	int rc;

	*out = NULL;
	if (len > POLICY_YAML_MAX)
		return err_set(ERR_LIMIT, "%s: larger than %u bytes", name,
			       POLICY_YAML_MAX);
	p = calloc(1, sizeof(*p));
	if (!p || !yaml_parser_initialize(&parser)) {
		free(p);
		return err_set(ERR_NOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)yaml,
				     len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = err_set(ERR_INVALID, "%s:%zu:%zu: %s", name,
			     parser.problem_mark.line + 1,
			     parser.problem_mark.column + 1,
			     parser.problem ? parser.problem : "bad YAML");
		yaml_parser_delete(&parser);
		policy_free(p);
		return rc;
	}
	pp.doc = &doc;
	rc = policy_root(&pp, p);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc) {
		policy_free(p);
		return rc;
	}
	*out = p;
	return 0;
}

static void policy_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void policy_free(struct policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_envs; i++) {
		struct policy_env *e = &p->envs[i];

		free(e->name);
		free(e->from);
		policy_strv_free(e->approver_roles, e->n_approver_roles);
		policy_strv_free(e->allow_data, e->n_allow_data);
	}
	free(p->envs);
	free(p);
}

const struct policy_env *policy_env_find(const struct policy *p,
					 const char *name)
{
	for (size_t i = 0; i < p->n_envs; i++)
		if (p->envs[i].name && !strcmp(p->envs[i].name, name))
			return &p->envs[i];
	return NULL;
}

/* --- evaluation --------------------------------------------------------- */

static struct policy_result *policy_add(struct policy_decision *d,
					const char *rule, bool passed)
{
	struct policy_result *r;

	if (d->n_results == POLICY_MAX_RESULTS)
		return &d->results[POLICY_MAX_RESULTS - 1];
	r = &d->results[d->n_results++];
	snprintf(r->rule, sizeof(r->rule), "%s", rule);
	r->passed = passed;
	r->detail[0] = r->fix[0] = '\0';
	if (!passed)
		d->allowed = false;
	return r;
}

static bool policy_strv_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(v[i], s))
			return true;
	return false;
}

static bool policy_waived(const struct policy_evidence *ev,
			  const struct policy_finding *f)
{
	for (size_t i = 0; i < ev->n_waivers; i++) {
		const struct policy_waiver *w = &ev->waivers[i];
		bool id = f->id && !strcmp(w->id, f->id);

		for (size_t a = 0; !id && a < f->n_aliases; a++)
			id = !strcmp(w->id, f->aliases[a]);
		if (id && w->until > ev->now &&
		    (!w->digest || !strcmp(w->digest, ev->digest)))
			return true;
	}
	return false;
}

static void policy_check_scan(const struct policy_env *env,
			      const struct policy_evidence *ev,
			      struct policy_decision *d)
{
	struct policy_result *r;

	r = policy_add(d, "scan", ev->scan_done && !ev->deps_unchecked);
	if (ev->scan_done && ev->deps_unchecked) {
		snprintf(r->detail, sizeof(r->detail), "the version declares "
			 "dependencies, but no advisories were loaded when it "
			 "was scanned");
		snprintf(r->fix, sizeof(r->fix), "import advisories with "
			 "'stele vulndb import --data DIR SOURCE', which "
			 "re-evaluates every version");
		return;
	}
	if (ev->scan_done) {
		snprintf(r->detail, sizeof(r->detail),
			 "the newest scan finished and is complete");
		return;
	}
	snprintf(r->detail, sizeof(r->detail), "the newest scan is %s",
		 ev->scan_state ? ev->scan_state : "missing");
	snprintf(r->fix, sizeof(r->fix), "wait for the scan to finish, or "
		 "rescan the version; an incomplete scan never passes");
}

static void policy_check_severity(const struct policy_env *env,
				  const struct policy_evidence *ev,
				  struct policy_decision *d)
{
	static const char *const kinds[POLICY_NKINDS] = {
		"model-file", "dependency", "LLM"
	};

	for (int k = 0; k < POLICY_NKINDS; k++) {
		const struct policy_finding *worst = NULL;
		size_t over = 0, waived = 0;
		struct policy_result *r;

		if (env->max_severity[k] < 0)
			continue;
		for (size_t i = 0; i < ev->n_findings; i++) {
			const struct policy_finding *f = &ev->findings[i];

			if (f->kind != (enum policy_kind)k ||
			    (int)f->severity <= env->max_severity[k])
				continue;
			if (policy_waived(ev, f)) {
				waived++;
				continue;
			}
			over++;
			if (!worst || f->severity > worst->severity)
				worst = f;
		}
		r = policy_add(d, k == POLICY_MODEL ? "max-severity-model" :
			       k == POLICY_DEPENDENCY ? "max-severity-dependency"
			       : "max-severity-llm", over == 0);
		if (over == 0) {
			snprintf(r->detail, sizeof(r->detail), "no %s finding "
				 "above %s (%zu waived)", kinds[k],
				 scan_severity_name(env->max_severity[k]),
				 waived);
			continue;
		}
		snprintf(r->detail, sizeof(r->detail), "%zu %s finding%s "
			 "above %s, the worst %s '%s'", over, kinds[k],
			 over > 1 ? "s" : "",
			 scan_severity_name(env->max_severity[k]),
			 scan_severity_name(worst->severity),
			 worst->id ? worst->id : "?");
		snprintf(r->fix, sizeof(r->fix), "publish a version without "
			 "it, or record a waiver with 'stele waive %s'",
			 worst->id ? worst->id : "ID");
	}
}

static void policy_check_signature(const struct policy_evidence *ev,
				   struct policy_decision *d)
{
	struct policy_result *r = policy_add(d, "signature",
					     ev->signed_trusted);

	if (ev->signed_trusted) {
		snprintf(r->detail, sizeof(r->detail), "signed by trusted "
			 "key %s", ev->signer ? ev->signer : "?");
		return;
	}
	snprintf(r->detail, sizeof(r->detail), "no valid signature by a "
		 "trusted publisher key over %.19s...", ev->digest);
	snprintf(r->fix, sizeof(r->fix), "sign it with 'stele sign REF "
		 "--key KEY' using a key the repository trusts");
}

/* Why an approval does not count, or NULL when it does. */
static const char *policy_approval_flaw(const struct policy_env *env,
					const struct policy_evidence *ev,
					const struct policy_approval *a)
{
	if (strcmp(a->digest, ev->digest))
		return "is for another digest";
	if (strcmp(a->env, env->name))
		return "is for another environment";
	if (a->revoked)
		return "was revoked";
	if (env->n_approver_roles &&
	    !policy_strv_has(env->approver_roles, env->n_approver_roles,
			     a->role))
		return "is by a role that may not approve here";
	if (env->approver_not_publisher && ev->publisher &&
	    !strcmp(a->approver, ev->publisher))
		return "is by the publisher of the version";
	return NULL;
}

static void policy_check_approvals(const struct policy_env *env,
				   const struct policy_evidence *ev,
				   struct policy_decision *d)
{
	const char *valid[POLICY_MAX_LIST];
	const char *flaw = NULL, *who = NULL;
	size_t n = 0;
	struct policy_result *r;

	for (size_t i = 0; i < ev->n_approvals; i++) {
		const struct policy_approval *a = &ev->approvals[i];
		const char *why = policy_approval_flaw(env, ev, a);
		bool dup = false;

		if (why) {
			/* Explain the most relevant rejected approval. */
			if (!strcmp(a->env, env->name) || !flaw) {
				flaw = why;
				who = a->approver;
			}
			continue;
		}
		for (size_t j = 0; j < n; j++)
			dup |= !strcmp(valid[j], a->approver);
		if (!dup && n < POLICY_MAX_LIST)
			valid[n++] = a->approver;
	}
	r = policy_add(d, "approvals", (int)n >= env->approvals);
	snprintf(r->detail, sizeof(r->detail), "%zu of %d required "
		 "approval%s for '%s'%s%s%s%s", n, env->approvals,
		 env->approvals == 1 ? "" : "s", env->name,
		 flaw ? "; the approval by '" : "", flaw ? who : "",
		 flaw ? "' " : "", flaw ? flaw : "");
	if (!r->passed)
		snprintf(r->fix, sizeof(r->fix), "an approver%s runs 'stele "
			 "approve REF --env %s'",
			 env->approver_not_publisher ?
			 " other than the publisher" : "", env->name);
}

static void policy_check_from(const struct policy_env *env,
			      const struct policy_evidence *ev,
			      struct policy_decision *d)
{
	bool seen = false;
	struct policy_result *r;

	for (size_t i = 0; i < ev->n_envs_seen; i++)
		seen |= !strcmp(ev->envs_seen[i], env->from);
	r = policy_add(d, "promotion-order", seen);
	snprintf(r->detail, sizeof(r->detail), "%s in '%s' before",
		 seen ? "was" : "was never", env->from);
	if (!seen)
		snprintf(r->fix, sizeof(r->fix), "promote it to '%s' first",
			 env->from);
}

static void policy_check_data(const struct policy_env *env,
			      const struct policy_evidence *ev,
			      struct policy_decision *d)
{
	const char *bad = NULL;
	struct policy_result *r;

	for (size_t i = 0; i < ev->n_data_classes && !bad; i++)
		if (!policy_strv_has(env->allow_data, env->n_allow_data,
				     ev->data_classes[i]))
			bad = ev->data_classes[i];
	r = policy_add(d, "data-classification", bad == NULL);
	if (!bad) {
		snprintf(r->detail, sizeof(r->detail), "declared data "
			 "classes are allowed in '%s'", env->name);
		return;
	}
	snprintf(r->detail, sizeof(r->detail), "declares '%s' data, which "
		 "'%s' does not allow", bad, env->name);
	snprintf(r->fix, sizeof(r->fix), "deploy it to an environment that "
		 "allows '%s' data", bad);
}

void policy_evaluate(const struct policy_env *env,
		     const struct policy_evidence *ev,
		     struct policy_decision *out)
{
	bool severity = false;

	memset(out, 0, sizeof(*out));
	out->allowed = true;
	for (int k = 0; k < POLICY_NKINDS; k++)
		severity |= env->max_severity[k] >= 0;
	if (env->require_scan || severity)
		policy_check_scan(env, ev, out);
	if (severity)
		policy_check_severity(env, ev, out);
	if (env->require_signature)
		policy_check_signature(ev, out);
	if (env->approvals > 0)
		policy_check_approvals(env, ev, out);
	if (env->from)
		policy_check_from(env, ev, out);
	if (env->restrict_data)
		policy_check_data(env, ev, out);
}

int policy_decision_summary(const struct policy_env *env,
			    const struct policy_decision *d, struct buf *out)
{
	int rc;
	bool first = true;

	if (d->allowed)
		return buf_printf(out, "policy for '%s' passed (%zu rules)",
				  env->name, d->n_results);
	rc = buf_printf(out, "policy for '%s' refused:", env->name);
	for (size_t i = 0; !rc && i < d->n_results; i++) {
		const struct policy_result *r = &d->results[i];

		if (r->passed)
			continue;
		rc = buf_printf(out, "%s %s: %s (fix: %s)", first ? "" : ";",
				r->rule, r->detail, r->fix);
		first = false;
	}
	return rc;
}

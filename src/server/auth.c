/* Who is asking and what they may do: Basic credentials checked against
 * Argon2id hashes (with a short keyed cache so clients that send Basic
 * on every request stay fast), bearer tokens, roles and grants. */
#include "server/auth.h"
#include "server/http.h"
#include "server/token.h"
#include "oci/ref.h"
#include "util/err.h"
#include "util/fs.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Argon2id cost: 3 passes over 32 MiB. */
#define PW_OPSLIMIT 3
#define PW_MEMLIMIT (32u * 1024 * 1024)
#define CACHE_SLOTS 64
#define CACHE_TTL 60
#define BASIC_MAX 2048

struct authn_cache_entry {
	unsigned char key[32];
	time_t expires;
	char user[META_USER_MAX + 1];
};

int auth_hash_password(const char *pw, char out[AUTH_HASH_MAX])
{
	size_t n = strlen(pw);

	if (n < AUTH_PASSWORD_MIN || n > AUTH_PASSWORD_MAX)
		return err_set(ERR_INVALID, "a password needs %d to %d "
			       "characters", AUTH_PASSWORD_MIN,
			       AUTH_PASSWORD_MAX);
	if (sodium_init() < 0 ||
	    crypto_pwhash_str(out, pw, n, PW_OPSLIMIT, PW_MEMLIMIT))
		return err_set(ERR_NOMEM, "password hashing failed");
	return 0;
}

bool auth_check_password(const char *hash, const char *pw)
{
	if (sodium_init() < 0 || !*hash)
		return false;
	return crypto_pwhash_str_verify(hash, pw, strlen(pw)) == 0;
}

int auth_random_secret(char out[64])
{
	unsigned char rnd[24];
	int rc = fs_random(rnd, sizeof(rnd));

	if (rc)
		return rc;
	sodium_bin2base64(out, 64, rnd, sizeof(rnd),
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(rnd, sizeof(rnd));
	return 0;
}

/* Keyed by the stored hash too: a password change retires old hits. */
static void cache_key(struct srv *s, const struct meta_user *u,
		      const char *pass, unsigned char out[32])
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, s->cache_key, sizeof(s->cache_key), 32);
	crypto_generichash_update(&st, (const unsigned char *)u->name,
				  strlen(u->name) + 1);
	crypto_generichash_update(&st, (const unsigned char *)u->hash,
				  strlen(u->hash) + 1);
	crypto_generichash_update(&st, (const unsigned char *)pass,
				  strlen(pass));
	crypto_generichash_final(&st, out, 32);
}

static bool cache_hit(struct srv *s, const unsigned char key[32],
		      const char *user)
{
	time_t now = time(NULL);
	bool hit = false;

	pthread_mutex_lock(&s->cache_lock);
	for (int i = 0; s->cache && i < CACHE_SLOTS; i++) {
		struct authn_cache_entry *e = &s->cache[i];

		if (e->expires > now && !strcmp(e->user, user) &&
		    sodium_memcmp(e->key, key, 32) == 0)
			hit = true;
	}
	pthread_mutex_unlock(&s->cache_lock);
	return hit;
}

static void cache_store(struct srv *s, const unsigned char key[32],
			const char *user)
{
	time_t now = time(NULL);
	int victim = 0;

	pthread_mutex_lock(&s->cache_lock);
	if (!s->cache)
		s->cache = calloc(CACHE_SLOTS, sizeof(*s->cache));
	for (int i = 0; s->cache && i < CACHE_SLOTS; i++)
		if (s->cache[i].expires < s->cache[victim].expires)
			victim = i;
	if (s->cache) {
		memcpy(s->cache[victim].key, key, 32);
		s->cache[victim].expires = now + CACHE_TTL;
		snprintf(s->cache[victim].user, META_USER_MAX + 1, "%s",
			 user);
	}
	pthread_mutex_unlock(&s->cache_lock);
}

int authn_password(struct srv *s, const char *user, const char *pass,
		   struct authn *who)
{
	struct meta_user u;
	unsigned char key[32];
	int rc;

	rc = s->meta->ops->user_get(s->meta, user, &u);
	if (rc == ERR_NOTFOUND || (!rc && u.disabled)) {
		/* Spend the same time whether or not the user exists. */
		auth_check_password("", pass);
		return err_set(ERR_UNAUTH, "bad credentials");
	}
	if (rc)
		return rc;
	cache_key(s, &u, pass, key);
	if (!cache_hit(s, key, user)) {
		if (!auth_check_password(u.hash, pass)) {
			sodium_memzero(&u, sizeof(u));
			return err_set(ERR_UNAUTH, "bad credentials");
		}
		cache_store(s, key, user);
	}
	sodium_memzero(&u.hash, sizeof(u.hash));
	who->authenticated = true;
	snprintf(who->user, sizeof(who->user), "%s", u.name);
	who->role = u.role;
	return 0;
}

/* The failed login's audit record names the user it tried: printable
 * ASCII only, cut at META_USER_MAX (the name is the client's word). */
static void authn_name_attempt(const char *user)
{
	char name[META_USER_MAX + 1];
	size_t i;

	for (i = 0; user[i] && i < META_USER_MAX; i++)
		name[i] = user[i] > 0x20 && user[i] < 0x7f ? user[i] : '?';
	name[i] = '\0';
	err_set(ERR_UNAUTH, "bad credentials for user '%s'", name);
}

static int authn_basic(struct srv *s, const char *b64, struct authn *who)
{
	char raw[BASIC_MAX + 1], *colon;
	size_t n;
	int rc;

	if (sodium_base642bin((unsigned char *)raw, BASIC_MAX, b64,
			      strlen(b64), NULL, &n, NULL,
			      sodium_base64_VARIANT_ORIGINAL))
		return err_set(ERR_UNAUTH, "bad Basic credentials");
	raw[n] = '\0';
	colon = strchr(raw, ':');
	if (!colon || strlen(raw) != n) {
		sodium_memzero(raw, sizeof(raw));
		return err_set(ERR_UNAUTH, "bad Basic credentials");
	}
	*colon = '\0';
	rc = authn_password(s, raw, colon + 1, who);
	if (rc == ERR_UNAUTH)
		authn_name_attempt(raw);
	sodium_memzero(raw, sizeof(raw));
	return rc;
}

static int authn_bearer(struct srv *s, const char *tok, struct authn *who)
{
	json_t *claims = NULL;
	struct meta_user u;
	const char *sub;
	int rc;

	rc = token_verify(s->token_key, SERVICE_NAME, tok, time(NULL),
			  &claims);
	if (rc)
		return rc;
	sub = json_string_value(json_object_get(claims, "sub"));
	/* A token outlives nothing: deleted or disabled users lose access
	 * at once. */
	if (*sub && (s->meta->ops->user_get(s->meta, sub, &u) ||
		     u.disabled)) {
		json_decref(claims);
		return err_set(ERR_UNAUTH, "token subject is not active");
	}
	who->bearer = true;
	who->access = json_incref(json_object_get(claims, "access"));
	if (*sub) {
		who->authenticated = true;
		snprintf(who->user, sizeof(who->user), "%s", sub);
		who->role = u.role;
	}
	json_decref(claims);
	return 0;
}

int authn_request(struct srv *s, struct req *r, struct authn *who)
{
	const char *h = http_header_in(r, "Authorization");

	memset(who, 0, sizeof(*who));
	if (!h)
		return 0;
	if (!strncasecmp(h, "Basic ", 6))
		return authn_basic(s, h + 6, who);
	if (!strncasecmp(h, "Bearer ", 7))
		return authn_bearer(s, h + 7, who);
	return err_set(ERR_UNAUTH, "unknown authorization scheme");
}

void authn_release(struct authn *who)
{
	if (!who)
		return;
	json_decref(who->access);
	who->access = NULL;
}

static int role_actions(enum meta_role r)
{
	switch (r) {
	case META_ROLE_ADMIN:
	case META_ROLE_PUBLISHER:
		return ACT_PULL | ACT_PUSH | ACT_DELETE;
	case META_ROLE_APPROVER:
	case META_ROLE_DEPLOYER:
	case META_ROLE_VIEWER:
		return ACT_PULL;
	default:
		return 0;
	}
}

int authz_user_actions(struct srv *s, const char *user, enum meta_role role,
		       const char *repo)
{
	enum meta_role granted = META_ROLE_NONE;

	if (s->meta->ops->grant_role(s->meta, user, repo, &granted))
		granted = META_ROLE_NONE;
	return role_actions(role) | role_actions(granted) | ACT_CATALOG;
}

int authz_parse_actions(const char *s)
{
	int act = 0;
	const char *p = s;

	while (*p) {
		size_t n = strcspn(p, ",");

		if (n == 4 && !strncmp(p, "pull", 4))
			act |= ACT_PULL;
		else if (n == 4 && !strncmp(p, "push", 4))
			act |= ACT_PUSH;
		else if (n == 6 && !strncmp(p, "delete", 6))
			act |= ACT_DELETE;
		else if (n == 1 && *p == '*')
			act |= ACT_PULL | ACT_PUSH | ACT_DELETE;
		p += n;
		if (*p == ',')
			p++;
	}
	return act;
}

/* What the token's access claim grants on repo. */
static int token_actions(json_t *access, const char *repo)
{
	size_t i, j;
	json_t *a, *v;
	int act = 0;

	json_array_foreach(access, i, a) {
		const char *type = json_string_value(json_object_get(a,
								     "type"));
		const char *name = json_string_value(json_object_get(a,
								     "name"));

		if (!type || !name || strcmp(type, "repository") ||
		    strcmp(name, repo))
			continue;
		json_array_foreach(json_object_get(a, "actions"), j, v)
			if (json_is_string(v))
				act |= authz_parse_actions(
					json_string_value(v));
	}
	return act;
}

int authz_account_actions(struct srv *s, const struct authn *who,
			  const char *repo)
{
	if (who->authenticated)
		return authz_user_actions(s, who->user, who->role, repo);
	return s->cfg.anonymous_pull ? ACT_PULL : 0;
}

int authz_actions(struct srv *s, const struct authn *who, const char *repo)
{
	int user_act = 0;

	if (who->authenticated)
		user_act = authz_user_actions(s, who->user, who->role, repo);
	else if (s->cfg.anonymous_pull)
		user_act = ACT_PULL;
	if (who->bearer)
		return user_act & token_actions(who->access, repo);
	return user_act;
}

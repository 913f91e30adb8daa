/* WWW-Authenticate parsing: challenges, auth-params, quoted strings. */
#include "client/wwwauth.h"
#include "util/err.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

struct wa_parser {
	const char *s;
	size_t len;
	size_t pos;
};

struct wa_name {
	size_t start;
	size_t len;
};

/* RFC 7230 section 3.2.6 tchar. */
static bool wa_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* RFC 7235 section 2.1 token68, without the trailing '='. */
static bool wa_t68char(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c && strchr("-._~+/", c) != NULL;
}

static bool wa_end(const struct wa_parser *p)
{
	return p->pos >= p->len;
}

static char wa_peek(const struct wa_parser *p)
{
	return wa_end(p) ? '\0' : p->s[p->pos];
}

static void wa_skip_ows(struct wa_parser *p)
{
	while (!wa_end(p) && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t'))
		p->pos++;
}

/* Skip OWS and empty list elements (RFC 7230 section 7). */
static void wa_skip_list_sep(struct wa_parser *p)
{
	while (!wa_end(p) && (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
			      p->s[p->pos] == ','))
		p->pos++;
}

static size_t wa_token(struct wa_parser *p)
{
	size_t start = p->pos;

	while (!wa_end(p) && wa_tchar((unsigned char)p->s[p->pos]))
		p->pos++;
	return p->pos - start;
}

static int wa_syntax(const struct wa_parser *p, const char *what)
{
	return err_set(ERR_INVALID,
		       "WWW-Authenticate: %s at offset %zu", what, p->pos);
}

/* True when what follows at pos is a token68 ending the challenge. */
static bool wa_is_token68(const struct wa_parser *p)
{
	struct wa_parser q = *p;
	size_t n = 0;

	while (!wa_end(&q) && wa_t68char((unsigned char)q.s[q.pos])) {
		q.pos++;
		n++;
	}
	if (!n)
		return false;
	while (wa_peek(&q) == '=')
		q.pos++;
	wa_skip_ows(&q);
	return wa_end(&q) || wa_peek(&q) == ',';
}

static void wa_skip_token68(struct wa_parser *p)
{
	while (!wa_end(p) && (wa_t68char((unsigned char)p->s[p->pos]) ||
			      p->s[p->pos] == '='))
		p->pos++;
}

static int wa_put(struct wa_parser *p, char *out, size_t *n, char c)
{
	if (*n >= WWWAUTH_VALUE_MAX)
		return err_set(ERR_LIMIT, "WWW-Authenticate: parameter value "
			       "longer than %d bytes at offset %zu",
			       WWWAUTH_VALUE_MAX, p->pos);
	out[(*n)++] = c;
	out[*n] = '\0';
	return 0;
}

/* A quoted-string; obs-text and control characters are refused. */
static int wa_quoted(struct wa_parser *p, char *out)
{
	size_t n = 0;
	int rc;

	p->pos++; /* opening quote */
	while (!wa_end(p)) {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c == '"') {
			p->pos++;
			return 0;
		}
		if (c == '\\') {
			p->pos++;
			if (wa_end(p))
				break;
			c = (unsigned char)p->s[p->pos];
		}
		if ((c < 0x20 && c != '\t') || c >= 0x7f)
			return wa_syntax(p, "invalid character in quoted "
					 "string");
		rc = wa_put(p, out, &n, (char)c);
		if (rc)
			return rc;
		p->pos++;
	}
	return wa_syntax(p, "unterminated quoted string");
}

static int wa_value(struct wa_parser *p, char *out)
{
	size_t start = p->pos, n;

	out[0] = '\0';
	if (wa_peek(p) == '"')
		return wa_quoted(p, out);
	n = wa_token(p);
	if (!n)
		return wa_syntax(p, "expected a parameter value");
	if (n > WWWAUTH_VALUE_MAX)
		return err_set(ERR_LIMIT, "WWW-Authenticate: parameter value "
			       "longer than %d bytes at offset %zu",
			       WWWAUTH_VALUE_MAX, start);
	memcpy(out, p->s + start, n);
	out[n] = '\0';
	return 0;
}

/* The field of cur a parameter name fills, or NULL for unknown names. */
static char *wa_field(struct wwwauth *cur, const char *name, size_t n)
{
	static const struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "realm", offsetof(struct wwwauth, realm) },
		{ "service", offsetof(struct wwwauth, service) },
		{ "scope", offsetof(struct wwwauth, scope) },
		{ "error", offsetof(struct wwwauth, error) },
	};

	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strlen(fields[i].name) == n &&
		    !strncasecmp(fields[i].name, name, n))
			return (char *)cur + fields[i].off;
	return NULL;
}

static int wa_check_dup(struct wa_parser *p, struct wa_name *names,
			size_t *count, size_t start, size_t n)
{
	for (size_t i = 0; i < *count; i++)
		if (names[i].len == n &&
		    !strncasecmp(p->s + names[i].start, p->s + start, n))
			return err_set(ERR_INVALID, "WWW-Authenticate: "
				       "parameter '%.*s' given twice at "
				       "offset %zu", (int)n, p->s + start,
				       start);
	if (*count >= WWWAUTH_PARAMS_MAX)
		return err_set(ERR_LIMIT, "WWW-Authenticate: more than %d "
			       "parameters at offset %zu",
			       WWWAUTH_PARAMS_MAX, start);
	names[*count].start = start;
	names[*count].len = n;
	(*count)++;
	return 0;
}

/* name BWS "=" BWS value; unknown names are parsed and dropped. */
static int wa_param(struct wa_parser *p, struct wwwauth *cur,
		    struct wa_name *names, size_t *count)
{
	char ignored[WWWAUTH_VALUE_MAX + 1];
	size_t start = p->pos, n = wa_token(p);
	char *field;
	int rc;

	if (!n)
		return wa_syntax(p, "expected a parameter name");
	rc = wa_check_dup(p, names, count, start, n);
	if (rc)
		return rc;
	wa_skip_ows(p);
	if (wa_peek(p) != '=')
		return wa_syntax(p, "expected '='");
	p->pos++;
	wa_skip_ows(p);
	field = wa_field(cur, p->s + start, n);
	return wa_value(p, field ? field : ignored);
}

/* After a ',': does a parameter of the same challenge follow? */
static bool wa_param_follows(const struct wa_parser *p)
{
	struct wa_parser q = *p;

	wa_skip_list_sep(&q);
	if (!wa_token(&q))
		return false;
	wa_skip_ows(&q);
	return wa_peek(&q) == '=';
}

static enum wwwauth_scheme wa_scheme(const char *s, size_t n)
{
	if (n == 5 && !strncasecmp(s, "Basic", 5))
		return WWWAUTH_BASIC;
	if (n == 6 && !strncasecmp(s, "Bearer", 6))
		return WWWAUTH_BEARER;
	return WWWAUTH_NONE;
}

static int wa_params(struct wa_parser *p, struct wwwauth *cur)
{
	struct wa_name names[WWWAUTH_PARAMS_MAX];
	size_t count = 0;
	int rc;

	for (;;) {
		rc = wa_param(p, cur, names, &count);
		if (rc)
			return rc;
		wa_skip_ows(p);
		if (wa_end(p))
			return 0;
		if (wa_peek(p) != ',')
			return wa_syntax(p, "expected ',' between parameters");
		if (!wa_param_follows(p))
			return 0;
		wa_skip_list_sep(p);
	}
}

/* auth-scheme [ 1*SP ( token68 / #auth-param ) ] */
static int wa_challenge(struct wa_parser *p, struct wwwauth *cur)
{
	size_t start = p->pos, n = wa_token(p);

	memset(cur, 0, sizeof(*cur));
	if (!n)
		return wa_syntax(p, "expected an auth scheme");
	cur->scheme = wa_scheme(p->s + start, n);
	if (wa_end(p) || wa_peek(p) == ',')
		return 0;
	if (wa_peek(p) != ' ')
		return wa_syntax(p, "expected a space after the auth scheme");
	while (wa_peek(p) == ' ')
		p->pos++;
	if (wa_end(p) || wa_peek(p) == ',')
		return 0;
	if (wa_is_token68(p)) {
		wa_skip_token68(p);
		return 0;
	}
	return wa_params(p, cur);
}

static int wa_pick(struct wwwauth *out, const struct wwwauth *cur)
{
	if (cur->scheme == WWWAUTH_BEARER && out->scheme != WWWAUTH_BEARER)
		*out = *cur;
	else if (cur->scheme == WWWAUTH_BASIC && out->scheme == WWWAUTH_NONE)
		*out = *cur;
	return 0;
}

int wwwauth_parse(const char *s, size_t len, struct wwwauth *out)
{
	struct wa_parser p = { s, len, 0 };
	struct wwwauth cur;
	int rc, count = 0;

	memset(out, 0, sizeof(*out));
	if (len > WWWAUTH_HEADER_MAX)
		return err_set(ERR_LIMIT, "WWW-Authenticate: header longer "
			       "than %d bytes", WWWAUTH_HEADER_MAX);
	wa_skip_list_sep(&p);
	while (!wa_end(&p)) {
		if (++count > WWWAUTH_CHALLENGES_MAX)
			return err_set(ERR_LIMIT, "WWW-Authenticate: more "
				       "than %d challenges",
				       WWWAUTH_CHALLENGES_MAX);
		rc = wa_challenge(&p, &cur);
		if (rc)
			return rc;
		wa_pick(out, &cur);
		wa_skip_ows(&p);
		if (!wa_end(&p) && wa_peek(&p) != ',')
			return wa_syntax(&p, "expected ',' between challenges");
		wa_skip_list_sep(&p);
	}
	if (out->scheme == WWWAUTH_NONE)
		return err_set(ERR_UNSUPPORTED, "WWW-Authenticate: no Basic or "
			       "Bearer challenge");
	if (out->scheme == WWWAUTH_BEARER && !out->realm[0])
		return err_set(ERR_INVALID, "WWW-Authenticate: Bearer "
			       "challenge without a realm");
	return 0;
}

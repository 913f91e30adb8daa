/* Reference grammar of the distribution project, checked by hand. */
#include "oci/ref.h"
#include "oci/digest.h"
#include "util/err.h"

#include <stdio.h>
#include <string.h>

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* component ::= [a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)* */
static bool component_valid(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return false;
	while (i < n) {
		if (is_lower_alnum(s[i])) {
			i++;
			continue;
		}
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
		if (i >= n || !is_lower_alnum(s[i]))
			return false;
	}
	return true;
}

bool oci_repo_valid(const char *name)
{
	size_t len = strlen(name);
	const char *p = name;

	if (len == 0 || len > OCI_REPO_MAX)
		return false;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (!component_valid(p, n))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

bool oci_tag_valid(const char *tag)
{
	size_t len = strlen(tag);

	if (len == 0 || len > OCI_TAG_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = tag[i];
		bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '_';

		if (!word && (i == 0 || (c != '.' && c != '-')))
			return false;
	}
	return true;
}

static bool host_valid(const char *s, size_t n)
{
	if (n == 0 || n > OCI_HOST_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || strchr(".-:[]", c)))
			return false;
	}
	return s[0] != '-' && s[0] != '.';
}

static bool looks_like_host(const char *s, size_t n)
{
	return memchr(s, '.', n) || memchr(s, ':', n) ||
	       (n == 9 && !memcmp(s, "localhost", 9));
}

static int ref_split_name(const char *name, size_t n, struct oci_ref *ref,
			  const char *whole)
{
	const char *slash = memchr(name, '/', n);

	if (slash && looks_like_host(name, (size_t)(slash - name))) {
		size_t hn = (size_t)(slash - name);

		if (!host_valid(name, hn))
			return err_set(ERR_INVALID,
				       "invalid registry host in '%s'", whole);
		memcpy(ref->host, name, hn);
		ref->host[hn] = '\0';
		n -= hn + 1;
		name = slash + 1;
	}
	if (n == 0 || n > OCI_REPO_MAX)
		return err_set(ERR_INVALID, "invalid repository in '%s'",
			       whole);
	memcpy(ref->repo, name, n);
	ref->repo[n] = '\0';
	if (!oci_repo_valid(ref->repo))
		return err_set(ERR_INVALID,
			       "invalid repository name '%s' in '%s'",
			       ref->repo, whole);
	return 0;
}

int oci_ref_parse(const char *s, struct oci_ref *ref)
{
	const char *at, *colon, *slash, *end;
	int rc;

	memset(ref, 0, sizeof(*ref));
	if (!s || !*s)
		return err_set(ERR_INVALID, "empty reference");
	if (strlen(s) > OCI_HOST_MAX + OCI_REPO_MAX + OCI_TAG_MAX + 80)
		return err_set(ERR_INVALID, "reference is too long");

	end = s + strlen(s);
	at = strchr(s, '@');
	if (at) {
		rc = oci_digest_check(at + 1);
		if (rc)
			return err_set(rc, "invalid digest in reference '%s'",
				       s);
		memcpy(ref->digest, at + 1, DIGEST_STR_LEN);
		end = at;
	}

	/* A ':' after the last '/' separates the tag. */
	slash = memrchr(s, '/', (size_t)(end - s));
	colon = memrchr(slash ? slash : s, ':',
			(size_t)(end - (slash ? slash : s)));
	if (colon) {
		size_t tn = (size_t)(end - colon - 1);

		if (tn == 0 || tn > OCI_TAG_MAX)
			return err_set(ERR_INVALID, "invalid tag in '%s'", s);
		memcpy(ref->tag, colon + 1, tn);
		ref->tag[tn] = '\0';
		if (!oci_tag_valid(ref->tag))
			return err_set(ERR_INVALID, "invalid tag '%s' in '%s'",
				       ref->tag, s);
		end = colon;
	}
	return ref_split_name(s, (size_t)(end - s), ref, s);
}

int oci_ref_format(const struct oci_ref *ref, char *out, int size)
{
	int n = snprintf(out, (size_t)size, "%s%s%s%s%s%s%s", ref->host,
			 ref->host[0] ? "/" : "", ref->repo,
			 ref->tag[0] ? ":" : "", ref->tag,
			 ref->digest[0] ? "@" : "", ref->digest);

	if (n < 0 || n >= size)
		return err_set(ERR_LIMIT, "reference too long to format");
	return 0;
}

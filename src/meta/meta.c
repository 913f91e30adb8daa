/* Backend-independent helpers of the metadata layer: roles and grants. */
#include "meta/meta.h"
#include "util/err.h"

#include <string.h>

static const char *const role_names[] = {
	"none", "viewer", "deployer", "approver", "publisher", "admin",
};

int meta_role_parse(const char *s, enum meta_role *out)
{
	for (int i = 1; i <= META_ROLE_ADMIN; i++) {
		if (s && !strcmp(s, role_names[i])) {
			*out = (enum meta_role)i;
			return 0;
		}
	}
	return err_set(ERR_INVALID, "unknown role '%s' (admin, publisher, "
		       "approver, deployer or viewer)", s ? s : "");
}

const char *meta_role_name(enum meta_role r)
{
	if ((int)r < 0 || r > META_ROLE_ADMIN)
		return "none";
	return role_names[r];
}

bool meta_pattern_match(const char *pattern, const char *repo)
{
	size_t n = strlen(pattern);

	if (n && pattern[n - 1] == '*')
		return !strncmp(pattern, repo, n - 1);
	return !strcmp(pattern, repo);
}

void meta_close(struct meta *m)
{
	if (m)
		m->ops->close(m);
}

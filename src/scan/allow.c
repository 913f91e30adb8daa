/* Default-deny classification of pickle globals against the allowlists. */
#include "scan/allow_data.h"
#include "scan/engine.h"
#include "util/err.h"

#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ALLOW_MAX_ENTRIES 4096
#define ALLOW_MAX_FIELD 256

struct allow_entry {
	char module[ALLOW_MAX_FIELD];
	char name[ALLOW_MAX_FIELD];   /* "" for a whole module (deny-list) */
	unsigned profile;             /* 0 for deny-list entries */
	bool exclude;
};

static struct allow_entry entries[ALLOW_MAX_ENTRIES];
static size_t n_entries;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const struct {
	const char *stem;
	unsigned profile;
} profile_files[] = {
	{ "allow-base", SCAN_PROFILE_BASE },
	{ "allow-numpy", SCAN_PROFILE_NUMPY },
	{ "allow-torch", SCAN_PROFILE_TORCH },
	{ "allow-sklearn", SCAN_PROFILE_SKLEARN },
	{ "allow-xgboost", SCAN_PROFILE_XGBOOST },
	{ "allow-joblib", SCAN_PROFILE_JOBLIB },
	{ "deny", 0 },
};

int scan_profile_parse(const char *name, unsigned *bit)
{
	char stem[64];

	snprintf(stem, sizeof(stem), "allow-%s", name);
	for (size_t i = 0; i < sizeof(profile_files) /
	     sizeof(profile_files[0]); i++)
		if (profile_files[i].profile &&
		    !strcmp(profile_files[i].stem, stem)) {
			*bit = profile_files[i].profile;
			return 0;
		}
	return err_set(ERR_INVALID, "unknown profile '%s' (expected base, "
		       "numpy, torch, sklearn, xgboost or joblib)", name);
}

unsigned scan_profiles_for_framework(const char *fw)
{
	static const struct {
		const char *name;
		unsigned bits;
	} map[] = {
		{ "pytorch", SCAN_PROFILE_TORCH | SCAN_PROFILE_NUMPY },
		{ "torch", SCAN_PROFILE_TORCH | SCAN_PROFILE_NUMPY },
		{ "scikit-learn", SCAN_PROFILE_SKLEARN | SCAN_PROFILE_NUMPY |
		  SCAN_PROFILE_JOBLIB },
		{ "sklearn", SCAN_PROFILE_SKLEARN | SCAN_PROFILE_NUMPY |
		  SCAN_PROFILE_JOBLIB },
		{ "xgboost", SCAN_PROFILE_XGBOOST | SCAN_PROFILE_NUMPY },
		{ "joblib", SCAN_PROFILE_JOBLIB | SCAN_PROFILE_NUMPY },
		{ "numpy", SCAN_PROFILE_NUMPY },
	};

	for (size_t i = 0; fw && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcasecmp(fw, map[i].name))
			return map[i].bits | SCAN_PROFILE_BASE;
	return 0;
}

static void parse_line(const char *line, size_t len, unsigned profile)
{
	char tmp[2 * ALLOW_MAX_FIELD + 8], *mod, *name, *save = NULL;
	struct allow_entry *e;

	if (!len || line[0] == '#' || len >= sizeof(tmp) ||
	    n_entries >= ALLOW_MAX_ENTRIES)
		return;
	memcpy(tmp, line, len);
	tmp[len] = '\0';
	mod = strtok_r(tmp, " \t", &save);
	if (!mod)
		return;
	name = strtok_r(NULL, " \t", &save);
	e = &entries[n_entries++];
	e->profile = profile;
	e->exclude = mod[0] == '!';
	snprintf(e->module, sizeof(e->module), "%s", mod + e->exclude);
	snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
}

static unsigned blob_profile(const char *stem, bool *known)
{
	for (size_t i = 0; i < sizeof(profile_files) /
	     sizeof(profile_files[0]); i++)
		if (!strcmp(profile_files[i].stem, stem)) {
			*known = true;
			return profile_files[i].profile;
		}
	*known = false;
	return 0;
}

static void load_all(void)
{
	for (const struct scan_allow_blob *b = scan_allow_blobs; b->name;
	     b++) {
		bool known;
		unsigned prof = blob_profile(b->name, &known);
		const char *p = b->text;

		if (!known)
			continue;
		while (*p) {
			const char *nl = strchr(p, '\n');
			size_t len = nl ? (size_t)(nl - p) : strlen(p);

			parse_line(p, len, prof);
			p += len + (nl != NULL);
		}
	}
}

int scan_allow_init(void)
{
	pthread_once(&once, load_all);
	return 0;
}

/* Python 2 names as CPython's _compat_pickle maps them (protocol < 3). */
static const char *const import_map[][2] = {
	{ "__builtin__", "builtins" }, { "copy_reg", "copyreg" },
	{ "Queue", "queue" }, { "SocketServer", "socketserver" },
	{ "ConfigParser", "configparser" }, { "repr", "reprlib" },
	{ "cPickle", "pickle" }, { "cStringIO", "io" },
	{ "StringIO", "io" }, { "exceptions", "builtins" },
	{ "commands", "subprocess" }, { "UserDict", "collections" },
	{ "UserList", "collections" }, { "UserString", "collections" },
	{ "thread", "_thread" }, { "dummy_thread", "_dummy_thread" },
	{ "httplib", "http.client" }, { "urlparse", "urllib.parse" },
	{ "urllib2", "urllib.request" }, { "xmlrpclib", "xmlrpc.client" },
	{ "BaseHTTPServer", "http.server" },
	{ "SimpleHTTPServer", "http.server" },
	{ "CGIHTTPServer", "http.server" }, { "Cookie", "http.cookies" },
	{ "cookielib", "http.cookiejar" }, { "anydbm", "dbm" },
	{ "whichdb", "dbm" }, { "dbhash", "dbm.bsd" }, { "dbm", "dbm.ndbm" },
	{ "gdbm", "dbm.gnu" }, { "_winreg", "winreg" },
	{ "robotparser", "urllib.robotparser" }, { "md5", "hashlib" },
	{ "sha", "hashlib" }, { "_elementtree", "xml.etree.ElementTree" },
	{ "itertools", "itertools" },
};

static const char *const name_map[][4] = {
	{ "__builtin__", "xrange", "builtins", "range" },
	{ "__builtin__", "reduce", "functools", "reduce" },
	{ "__builtin__", "intern", "sys", "intern" },
	{ "__builtin__", "unichr", "builtins", "chr" },
	{ "__builtin__", "unicode", "builtins", "str" },
	{ "__builtin__", "long", "builtins", "int" },
	{ "__builtin__", "basestring", "builtins", "str" },
	{ "__builtin__", "raw_input", "builtins", "input" },
	{ "__builtin__", "execfile", "builtins", "exec" },
	{ "itertools", "izip", "builtins", "zip" },
	{ "itertools", "imap", "builtins", "map" },
	{ "itertools", "ifilter", "builtins", "filter" },
	{ "itertools", "ifilterfalse", "itertools", "filterfalse" },
	{ "itertools", "izip_longest", "itertools", "zip_longest" },
	{ "UserDict", "IterableUserDict", "collections", "UserDict" },
	{ "UserList", "UserList", "collections", "UserList" },
	{ "UserDict", "UserDict", "collections", "UserDict" },
	{ "UserString", "UserString", "collections", "UserString" },
	{ "whichdb", "whichdb", "dbm", "whichdb" },
	{ "_socket", "fromfd", "socket", "fromfd" },
	{ "_multiprocessing", "win32", "multiprocessing.connection",
	  "_winapi" },
	{ "_subprocess", "Popen", "subprocess", "Popen" },
	{ "exceptions", "StandardError", "builtins", "Exception" },
};

/* C modules that are the same objects as their public modules. */
static const char *const alias_map[][2] = {
	{ "posix", "os" }, { "nt", "os" }, { "_io", "io" },
	{ "_operator", "operator" }, { "_pickle", "pickle" },
	{ "_codecs", "codecs" }, { "_functools", "functools" },
	{ "_collections", "collections" }, { "__builtin__", "builtins" },
	{ "_socket", "socket" }, { "_thread", "threading" },
	{ "copy_reg", "copyreg" }, { "_copyreg", "copyreg" },
};

static void py2_map(const char **mod, const char **name)
{
	for (size_t i = 0; i < sizeof(name_map) / sizeof(name_map[0]); i++)
		if (!strcmp(*mod, name_map[i][0]) &&
		    !strcmp(*name, name_map[i][1])) {
			*mod = name_map[i][2];
			*name = name_map[i][3];
			return;
		}
	for (size_t i = 0; i < sizeof(import_map) / sizeof(import_map[0]);
	     i++)
		if (!strcmp(*mod, import_map[i][0])) {
			*mod = import_map[i][1];
			return;
		}
}

static const char *alias_fold(const char *mod)
{
	for (size_t i = 0; i < sizeof(alias_map) / sizeof(alias_map[0]); i++)
		if (!strcmp(mod, alias_map[i][0]))
			return alias_map[i][1];
	return mod;
}

/* True when any '.'-separated component of s is a dunder like __x__. */
static bool has_dunder(const char *s)
{
	while (*s) {
		const char *end = strchr(s, '.');
		size_t n = end ? (size_t)(end - s) : strlen(s);

		if (n >= 4 && s[0] == '_' && s[1] == '_' && s[n - 1] == '_' &&
		    s[n - 2] == '_')
			return true;
		if (n == 0 || (n == 8 && !memcmp(s, "<locals>", 8)))
			return true;
		s += n + (end != NULL);
	}
	return false;
}

static bool match(const char *pat, const char *s)
{
	return !fnmatch(pat, s, FNM_NOESCAPE);
}

static bool allowed(const char *mod, const char *name, unsigned profiles)
{
	bool ok = false;

	for (size_t i = 0; i < n_entries; i++) {
		const struct allow_entry *e = &entries[i];

		if (!e->profile || !(e->profile & profiles) ||
		    !match(e->module, mod) || !match(e->name, name))
			continue;
		if (e->exclude)
			return false;
		ok = true;
	}
	return ok;
}

/* Deny-list: a module entry covers submodules; names may be patterns. */
static bool module_covers(const char *entry, const char *mod)
{
	size_t n = strlen(entry);

	return !strncmp(entry, mod, n) && (mod[n] == '\0' || mod[n] == '.');
}

static bool component_is_denied_module(const char *s)
{
	char part[ALLOW_MAX_FIELD];

	while (*s) {
		const char *end = strchr(s, '.');
		size_t n = end ? (size_t)(end - s) : strlen(s);

		if (n < sizeof(part)) {
			memcpy(part, s, n);
			part[n] = '\0';
			for (size_t i = 0; i < n_entries; i++) {
				const struct allow_entry *e = &entries[i];

				if (!e->profile && !e->name[0] &&
				    !strcmp(e->module, part))
					return true;
			}
		}
		s += n + (end != NULL);
	}
	return false;
}

static bool dangerous(const char *mod, const char *name)
{
	for (size_t i = 0; i < n_entries; i++) {
		const struct allow_entry *e = &entries[i];

		if (e->profile)
			continue;
		if (!e->name[0] && module_covers(e->module, mod))
			return true;
		if (e->name[0] && !strcmp(e->module, mod) &&
		    match(e->name, name))
			return true;
	}
	/* os reached through another module: numpy.testing._private.os */
	return component_is_denied_module(mod) ||
	       component_is_denied_module(name);
}

enum scan_global_class scan_allow_check(const char *module, const char *name,
					int proto, unsigned profiles,
					char *canon, size_t canon_len)
{
	const char *mod = module, *nm = name;

	scan_allow_init();
	if (proto < 3)
		py2_map(&mod, &nm);
	mod = alias_fold(mod);
	snprintf(canon, canon_len, "%s.%s", mod, nm);

	if (has_dunder(mod) || has_dunder(nm)) {
		if (!dangerous(mod, nm) && (profiles & SCAN_PROFILE_TORCHSCRIPT)
		    && module_covers("__torch__", mod) && !has_dunder(nm))
			return SCAN_GLOBAL_ALLOWED;
		/* copyreg.__newobj__ is what protocol 2 writes for NEWOBJ. */
		if (!strcmp(mod, "copyreg") && !strcmp(nm, "__newobj__") &&
		    (profiles & SCAN_PROFILE_BASE))
			return SCAN_GLOBAL_ALLOWED;
		return SCAN_GLOBAL_DUNDER;
	}
	if (allowed(mod, nm, profiles))
		return SCAN_GLOBAL_ALLOWED;
	if (dangerous(mod, nm))
		return SCAN_GLOBAL_DANGEROUS;
	return SCAN_GLOBAL_DENIED;
}

/* Unit tests for dependency files: requirements, TOML, locks, SBOMs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/err.h"
#include "util/fs.h"
#include "vuln/deps.h"
#include "vuln/toml.h"

static char tmp_root[64];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmp_root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	snprintf(tmp_root, sizeof(tmp_root), "/tmp/stele-deps-XXXXXX");
	return mkdtemp(tmp_root) ? 0 : -1;
}

static int teardown(void **state)
{
	return fs_remove_tree(tmp_root);
}

static const struct vuln_dep *find(const struct vuln_deps *d,
				   const char *name)
{
	for (size_t i = 0; i < d->n; i++)
		if (!strcmp(d->v[i].name, name))
			return &d->v[i];
	fail_msg("no dependency '%s'", name);
	exit(1);
}

/* toml_path() that fails the test instead of returning NULL. */
static const struct toml_node *at(const struct toml_node *t,
				  const char *path)
{
	const struct toml_node *n = toml_get(t, path) ? toml_get(t, path)
				   : toml_path(t, path);

	if (!n) {
		fail_msg("no '%s'", path);
		exit(1);
	}
	return n;
}

static void test_req_line_forms(void **state)
{
	struct vuln_req r;

	assert_int_equal(vuln_req_parse("Jinja2[i18n] (>= 2.0, <3) ; "
					"python_version<'3.8'", &r), 0);
	assert_string_equal(r.name, "jinja2");
	assert_string_equal(r.spec, ">=2.0,<3");
	assert_int_equal(vuln_req_parse("pkg @ https://x/y.whl", &r), 0);
	assert_true(r.url);
	assert_int_equal(vuln_req_parse("==1.0", &r), ERR_INVALID);
	assert_int_equal(vuln_req_parse("pkg =>1.0", &r), ERR_INVALID);
	assert_int_equal(vuln_req_parse("pkg[x", &r), ERR_INVALID);
}

static void test_requirements_file_forms(void **state)
{
	struct vuln_deps d = { 0 };
	const struct vuln_dep *e;

	put("requirements.txt",
	    "# top\n"
	    "jinja2==2.10 \\\n"
	    "    --hash=sha256:0123\n"
	    "requests[socks] >=2.0,<3 ; python_version < \"3.8\"\n"
	    "-e git+https://example.invalid/x.git#egg=x\n"
	    "--index-url https://example.invalid/simple\n"
	    "./local/path\n"
	    "wheel @ https://example.invalid/w.whl\n"
	    "-r more-requirements.txt\n"
	    "Pillow===6.2.0  # exact\n");
	put("more-requirements.txt", "urllib3~=1.24.1\n-c requirements.txt\n");
	assert_int_equal(vuln_deps_requirements(&d, tmp_root,
						"requirements.txt"), 0);
	assert_int_equal(d.n, 4);
	e = find(&d, "jinja2");
	assert_string_equal(e->version, "2.10");
	assert_int_equal(e->line, 2);
	e = find(&d, "requests");
	assert_null(e->version);
	assert_string_equal(e->spec, ">=2.0,<3");
	assert_int_equal(e->line, 4);
	e = find(&d, "urllib3");
	assert_string_equal(e->file, "more-requirements.txt");
	assert_string_equal(find(&d, "pillow")->version, "6.2.0");
	/* The -c back to requirements.txt is a cycle, reported once. */
	assert_int_equal(d.n_problems, 1);
	assert_non_null(strstr(d.problems[0].reason, "cyclic include"));
	vuln_deps_release(&d);
}

static void test_includes_confined_to_package(void **state)
{
	struct vuln_deps d = { 0 };

	put("requirements.txt", "-r ../../etc/passwd\n-r missing.txt\n"
	    "ok==1.0\nbad spec here\n");
	assert_int_equal(vuln_deps_requirements(&d, tmp_root,
						"requirements.txt"), 0);
	assert_int_equal(d.n, 1);
	assert_int_equal(d.n_problems, 3);
	assert_non_null(strstr(d.problems[0].reason, "not found") ?
			strstr(d.problems[0].reason, "not found") :
			strstr(d.problems[0].reason, "leaves"));
	assert_non_null(strstr(d.problems[1].reason, "not found"));
	assert_non_null(strstr(d.problems[2].reason, "line 4"));
	vuln_deps_release(&d);
}

static void test_pyproject_pep621_and_poetry(void **state)
{
	static const char t[] =
		"[project]\nname = \"m\"\n"
		"dependencies = [\n  \"jinja2>=2.0\",\n  'pillow==6.2.0',\n]\n"
		"[project.optional-dependencies]\ndev = [\"pytest\"]\n"
		"[tool.poetry.dependencies]\npython = \"^3.8\"\n"
		"requests = { version = \"^2.20\", extras = [\"socks\"] }\n"
		"urllib3 = \"~1.24.1\"\nnumpy = \"1.21.0\"\n"
		"[tool.poetry.group.dev.dependencies]\nblack = \"^0.0.3\"\n"
		"flask = \"^0.12 || ^1.0.2\"\n"
		"scipy = [{ version = \"<1.5\", python = \"<3.8\" },\n"
		"  { version = \"^1.9\", python = \">=3.8\" }]\n"
		"local = { path = \"../local\" }\n";
	struct vuln_deps d = { 0 };

	assert_int_equal(vuln_deps_pyproject(&d, t, strlen(t), "p.toml"), 0);
	assert_int_equal(d.n, 11);
	assert_int_equal(d.n_problems, 0);
	assert_string_equal(d.v[7].spec, ">=0.12,<0.13");
	assert_string_equal(d.v[8].spec, ">=1.0.2,<2");
	assert_string_equal(d.v[9].spec, "<1.5");
	assert_string_equal(d.v[10].spec, ">=1.9,<2");
	assert_int_equal(find(&d, "jinja2")->line, 4);
	assert_string_equal(find(&d, "pillow")->version, "6.2.0");
	assert_string_equal(find(&d, "requests")->spec, ">=2.20,<3");
	assert_string_equal(find(&d, "urllib3")->spec, ">=1.24.1,<1.25");
	assert_string_equal(find(&d, "numpy")->version, "1.21.0");
	assert_string_equal(find(&d, "black")->spec, ">=0.0.3,<0.0.4");
	vuln_deps_release(&d);
}

static void test_toml_locks(void **state)
{
	static const char t[] =
		"version = 1\n\n[[package]]\nname = \"Jinja2\"\n"
		"version = \"2.10\"\nsource = { registry = \"x\" }\n\n"
		"[[package]]\nname = \"pillow\"\nversion = \"6.2.0\"\n"
		"[package.metadata]\nx = 1\n";
	struct vuln_deps d = { 0 };

	assert_int_equal(vuln_deps_toml_lock(&d, t, strlen(t), "uv.lock"), 0);
	assert_int_equal(d.n, 2);
	assert_string_equal(find(&d, "jinja2")->version, "2.10");
	assert_int_equal(find(&d, "jinja2")->line, 4);
	assert_int_equal(find(&d, "pillow")->line, 9);
	vuln_deps_release(&d);
}

static void test_toml_refuses_bad_documents(void **state)
{
	static const char *const bad[] = {
		"a = 1\na = 2\n", "[t]\n[t]\n", "a = \"open\n",
		"a = [1, 2\n", "a = { b = 1\n", "a.b = 1\n[a.b]\n",
		"a = \"\\q\"\n", "[[t]]\n[t]\n", "= 1\n", "a = 1 2\n",
	};
	struct toml_node *root;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		root = NULL;
		if (toml_parse(bad[i], strlen(bad[i]), "b.toml", &root) !=
		    ERR_INVALID)
			fail_msg("accepted: %s", bad[i]);
		assert_null(root);
	}
}

static void test_toml_strings(void **state)
{
	static const char t[] = "a = \"x\\u00e9\\n\"\nb = '''\nl1\nl2'''\n"
				"c = \"\"\"\\\n   joined\"\"\"\n"
				"\"q.k\" = 'lit\\'\n[x.y]\nz = true\n";
	struct toml_node *root = NULL;

	assert_int_equal(toml_parse(t, strlen(t), "s.toml", &root), 0);
	assert_string_equal(at(root, "a")->str, "x\xc3\xa9\n");
	assert_string_equal(at(root, "b")->str, "l1\nl2");
	assert_string_equal(at(root, "c")->str, "joined");
	assert_string_equal(at(root, "q.k")->str, "lit\\");
	assert_string_equal(at(root, "x.y.z")->str, "true");
	assert_int_equal(at(root, "x.y.z")->line, 9);
	toml_free(root);
}

static void test_pipfile_lock_and_cyclonedx(void **state)
{
	static const char p[] =
		"{\n \"_meta\": {},\n \"default\": {\n  \"jinja2\": {\n"
		"   \"version\": \"==2.10\"\n  },\n  \"x\": {\"git\": \"u\"}\n"
		" },\n \"develop\": {}\n}\n";
	static const char c[] =
		"{\"bomFormat\": \"CycloneDX\",\n\"components\": [\n"
		"{\"purl\": \"pkg:pypi/Pillow@6.2.0\"},\n"
		"{\"purl\": \"pkg:npm/left-pad@1.0\", \"components\": [\n"
		"{\"purl\": \"pkg:pypi/jinja2@2.10?x=1\"}]}]}";
	struct vuln_deps d = { 0 };

	assert_int_equal(vuln_deps_pipfile_lock(&d, p, strlen(p), "P"), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].version, "2.10");
	assert_int_equal(d.v[0].line, 4);
	assert_int_equal(vuln_deps_cyclonedx(&d, c, strlen(c), "b.cdx.json"),
			 0);
	assert_int_equal(d.n, 3);
	assert_string_equal(d.v[1].name, "pillow");
	assert_int_equal(d.v[1].line, 3);
	assert_string_equal(d.v[2].version, "2.10");
	assert_int_equal(vuln_deps_pipfile_lock(&d, "{\"a\":1,\"a\":2}", 13,
						"P"), ERR_INVALID);
	vuln_deps_release(&d);
}

static void test_conda_pip_section(void **state)
{
	static const char y[] = "name: env\ndependencies:\n  - python=3.9\n"
				"  - numpy=1.21\n  - pip:\n    - jinja2==2.10\n"
				"    - -r requirements.txt\n";
	struct vuln_deps d = { 0 };

	assert_int_equal(vuln_deps_conda_env(&d, y, strlen(y), "env.yml"), 0);
	assert_int_equal(d.n, 1);
	assert_string_equal(d.v[0].name, "jinja2");
	assert_int_equal(d.v[0].line, 6);
	vuln_deps_release(&d);
}

static void test_scan_dir_finds_every_kind(void **state)
{
	struct vuln_deps d = { 0 };
	char sub[128];

	snprintf(sub, sizeof(sub), "%s/sub", tmp_root);
	mkdir(sub, 0700);
	put("requirements.txt", "a==1.0\n");
	put("sub/requirements-dev.txt", "b==1.0\n");
	put("sub/pyproject.toml", "[project]\ndependencies = [\"c\"]\n");
	put("sub/poetry.lock", "[[package]]\nname = \"d\"\nversion = \"1\"\n");
	put("environment.yml", "dependencies:\n- pip: [e==2]\n");
	put("broken.cdx.json", "{");
	put("notes.txt", "f==1\n");
	assert_int_equal(vuln_deps_scan_dir(tmp_root, &d), 0);
	assert_int_equal(d.n, 5);
	assert_string_equal(find(&d, "b")->file, "sub/requirements-dev.txt");
	assert_int_equal(d.n_problems, 1);
	assert_string_equal(d.problems[0].file, "broken.cdx.json");
	vuln_deps_release(&d);
	assert_int_equal(vuln_deps_scan_dir("/nonexistent-stele", &d),
			 ERR_NOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_req_line_forms),
		cmocka_unit_test_setup_teardown(test_requirements_file_forms,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_includes_confined_to_package, setup, teardown),
		cmocka_unit_test(test_pyproject_pep621_and_poetry),
		cmocka_unit_test(test_toml_locks),
		cmocka_unit_test(test_toml_refuses_bad_documents),
		cmocka_unit_test(test_toml_strings),
		cmocka_unit_test(test_pipfile_lock_and_cyclonedx),
		cmocka_unit_test(test_conda_pip_section),
		cmocka_unit_test_setup_teardown(test_scan_dir_finds_every_kind,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Hugging Face configuration files: auto_map and trust_remote_code name
 * Python files transformers would import; chat templates stored in
 * tokenizer_config.json or chat_template.json; hidden Unicode and secrets
 * in every string value. */
#include "scan/formats.h"

#include <stdlib.h>
#include <string.h>

#include "scan/fmt_util.h"
#include "util/buf.h"
#include "util/err.h"

#define HF_MAX_FILE (16u << 20)
#define HF_MAX_DEPTH 32
#define HF_MAX_FILES_LISTED 1024

struct hf {
	struct scan_report *r;
	struct scan_file *f;
	struct buf files;     /* "a.py, b.py" for the message */
	bool remote_repo;
	bool trust;
};

static int load(struct scan_file *f, int fd, uint64_t size, char **text)
{
	int rc;

	if (size > HF_MAX_FILE)
		return scan_fmt_fail(f, ERR_LIMIT, "config: %llu bytes exceed "
				     "the %u limit in '%s'",
				     (unsigned long long)size, HF_MAX_FILE,
				     f->path);
	rc = scan_fmt_read_alloc(f, fd, 0, (size_t)size, text);
	return rc ? scan_fmt_fail(f, rc, "config: %s", err_msg()) : 0;
}

static json_t *parse(struct scan_report *r, struct scan_file *f,
		     const char *text, size_t len)
{
	json_t *j = scan_fmt_json(f->path, text, len);

	if (!j) {
		scan_add(r, "hf-config-invalid", SCAN_MEDIUM, f->path,
			 OWASP_SUPPLY_CHAIN, "configuration is not strict "
			 "JSON: %s", err_msg());
		scan_fmt_fail(f, ERR_INVALID, "config: %s", err_msg());
	}
	return j;
}

/* "modeling_x.MyModel" -> modeling_x.py; "org/repo--modeling_x.M" names
 * code in another repository. Each file is listed once. */
static int add_ref(struct hf *h, const char *ref)
{
	const char *dash = strstr(ref, "--");
	const char *mod = dash ? dash + 2 : ref;
	const char *dot = strrchr(mod, '.');
	char one[512];
	int n;

	if (dash)
		h->remote_repo = true;
	if (!dot || dot == mod)
		return 0;
	if (dash)
		n = snprintf(one, sizeof(one), "%.*s.py from %.*s",
			     (int)(dot - mod), mod, (int)(dash - ref), ref);
	else
		n = snprintf(one, sizeof(one), "%.*s.py", (int)(dot - mod),
			     mod);
	if (n < 0 || (size_t)n >= sizeof(one) ||
	    memmem(buf_cstr(&h->files), h->files.len, one, (size_t)n))
		return 0;
	if (h->files.len && buf_puts(&h->files, ", ") == ERR_NOMEM)
		return ERR_NOMEM;
	/* A list past HF_MAX_FILES_LISTED is cut; the finding stands. */
	return buf_puts(&h->files, one) == ERR_NOMEM ? ERR_NOMEM : 0;
}

static int auto_map(struct hf *h, json_t *am)
{
	const char *k;
	json_t *v, *e;
	size_t i;
	int rc = 0;

	json_object_foreach(am, k, v) {
		if (json_is_string(v))
			rc = add_ref(h, json_string_value(v));
		json_array_foreach(v, i, e)
			if (json_is_string(e) && !rc)
				rc = add_ref(h, json_string_value(e));
		if (rc)
			return rc;
	}
	return 0;
}

static int templates(struct hf *h, json_t *ct)
{
	json_t *e;
	size_t i;
	int rc;

	if (json_is_string(ct))
		return scan_fmt_template_text(h->r, h->f, json_string_value(ct),
					      json_string_length(ct), 0);
	/* A list of {"name": ..., "template": ...}. */
	json_array_foreach(ct, i, e) {
		json_t *t = json_object_get(e, "template");

		if (!json_is_string(t))
			continue;
		rc = scan_fmt_template_text(h->r, h->f, json_string_value(t),
					    json_string_length(t), 0);
		if (rc)
			return rc;
	}
	return 0;
}

static int walk(struct hf *h, json_t *v, int depth,
		enum scan_text_ctx ctx)
{
	const char *k;
	json_t *c;
	size_t i;
	int rc = 0;

	if (depth > HF_MAX_DEPTH)
		return scan_fmt_fail(h->f, ERR_LIMIT, "config: nested deeper "
				     "than %d in '%s'", HF_MAX_DEPTH,
				     h->f->path);
	if (json_is_string(v))
		return scan_fmt_check_text(h->r, h->f, json_string_value(v),
					   json_string_length(v), 0, ctx);
	json_array_foreach(v, i, c)
		if ((rc = walk(h, c, depth + 1, ctx)))
			return rc;
	json_object_foreach(v, k, c) {
		if (!strcmp(k, "auto_map") && json_is_object(c))
			rc = auto_map(h, c);
		else if (!strcmp(k, "trust_remote_code") && json_is_true(c))
			h->trust = true;
		else if (!strcmp(k, "chat_template"))
			rc = templates(h, c);
		else
			rc = walk(h, c, depth + 1,
				  !strncmp(k, "added_tokens", 12) ||
				  !strcmp(k, "vocab") ? SCAN_TEXT_VOCAB : ctx);
		if (rc)
			return rc;
	}
	return 0;
}

static int report(struct hf *h)
{
	int rc = 0;

	if (h->files.len)
		rc = scan_add(h->r, "hf-auto-map", SCAN_HIGH, h->f->path,
			      OWASP_SUPPLY_CHAIN, "auto_map makes transformers "
			      "import %s with trust_remote_code in '%s'",
			      buf_cstr(&h->files), h->f->path);
	if (!rc && h->remote_repo)
		rc = scan_add(h->r, "hf-remote-code-repo", SCAN_HIGH,
			      h->f->path, OWASP_SUPPLY_CHAIN, "auto_map loads "
			      "code from another repository in '%s'",
			      h->f->path);
	if (!rc && h->trust)
		rc = scan_add(h->r, "hf-trust-remote-code", SCAN_HIGH,
			      h->f->path, OWASP_SUPPLY_CHAIN,
			      "trust_remote_code is set to true in '%s'",
			      h->f->path);
	return rc;
}

int scan_fmt_hf_config(struct scan_report *r, struct scan_file *f, int fd,
		       uint64_t size)
{
	struct hf h = { r, f, BUF_INIT(HF_MAX_FILES_LISTED), false, false };
	char *text = NULL;
	json_t *j = NULL;
	int rc;

	rc = load(f, fd, size, &text);
	if (rc)
		return rc;
	j = parse(r, f, text, (size_t)size);
	if (!j) {
		rc = ERR_INVALID;
		goto out;
	}
	rc = walk(&h, j, 0, SCAN_TEXT_CONFIG);
	if (!rc)
		rc = report(&h);
	if (rc == ERR_NOMEM)
		scan_fmt_fail(f, rc, "out of memory");
out:
	buf_release(&h.files);
	json_decref(j);
	free(text);
	return rc;
}

/* A .jinja file is the template itself; a JSON file carries it in its
 * chat_template member (and is then analysed like any HF config). */
int scan_fmt_chat_template(struct scan_report *r, struct scan_file *f,
			   int fd, uint64_t size)
{
	char *text = NULL;
	size_t i = 0;
	bool json;
	int rc;

	rc = load(f, fd, size, &text);
	if (rc)
		return rc;
	while (i < size && text[i] && strchr(" \t\r\n", text[i]))
		i++;
	json = i < size && text[i] == '{' &&
	       (i + 1 >= size || strchr("\"\r\n\t ", text[i + 1]));
	if (!json)
		rc = scan_fmt_template_text(r, f, text, (size_t)size, 0);
	free(text);
	return json ? scan_fmt_hf_config(r, f, fd, size) : rc;
}

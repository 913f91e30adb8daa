/* Crash-safe commit of a staged model into its destination. */
#include "initializer/stage.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "util/sha256.h"

#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STAGE_PREFIX ".stele-staging-"
#define STAGE_JOURNAL ".stele-journal"
#define STAGE_DONE ".stele-complete"
#define STAGE_MAX_ENTRIES 100000
#define STAGE_JOURNAL_MAX (16u << 20)

static int stage_path(char *out, const char *dir, const char *name)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX)
		return err_set(ERR_LIMIT, "path too long: '%s/%s'", dir, name);
	return 0;
}

static bool stage_is_ours(const char *name)
{
	return !strncmp(name, STAGE_PREFIX, strlen(STAGE_PREFIX)) ||
	       !strcmp(name, STAGE_JOURNAL) || !strcmp(name, STAGE_DONE);
}

/* Roll back: every name in the journal that is in DEST was moved there by
 * the interrupted commit, so it goes. */
static int stage_undo_journal(const char *dest, const char *journal)
{
	struct buf b;
	char path[PATH_MAX];
	char *line, *save = NULL;
	int rc;

	rc = fs_read_file(journal, STAGE_JOURNAL_MAX, &b);
	if (rc)
		return rc;
	for (line = strtok_r(b.data, "\n", &save); line && !rc;
	     line = strtok_r(NULL, "\n", &save)) {
		/* Only plain top-level names were ever journalled. */
		if (!*line || strchr(line, '/') || !strcmp(line, ".") ||
		    !strcmp(line, "..") || stage_is_ours(line))
			continue;
		rc = stage_path(path, dest, line);
		if (!rc)
			rc = fs_remove_tree(path);
	}
	buf_release(&b);
	if (!rc && unlink(journal) && errno != ENOENT)
		rc = err_setsys(ERR_IO, errno, "cannot remove '%s'", journal);
	return rc;
}

int stage_recover(const char *dest)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d;
	int rc;

	rc = stage_path(path, dest, STAGE_JOURNAL);
	if (rc)
		return rc;
	if (fs_exists(path)) {
		rc = stage_undo_journal(dest, path);
		if (rc)
			return rc;
		rc = stage_path(path, dest, STAGE_DONE);
		if (!rc)
			unlink(path);
	}
	d = opendir(dest);
	if (!d)
		return errno == ENOENT ? 0 :
			err_setsys(ERR_IO, errno, "cannot open '%s'", dest);
	while (!rc && (e = readdir(d)) != NULL) {
		if (strncmp(e->d_name, STAGE_PREFIX, strlen(STAGE_PREFIX)))
			continue;
		rc = stage_path(path, dest, e->d_name);
		if (!rc)
			rc = fs_remove_tree(path);
	}
	closedir(d);
	return rc;
}

int stage_begin(struct stage *s, const char *dest)
{
	uint8_t rnd[8];
	char hex[17];
	int rc;

	memset(s, 0, sizeof(*s));
	if (strlen(dest) >= sizeof(s->dest) - 64)
		return err_set(ERR_LIMIT, "destination path too long");
	snprintf(s->dest, sizeof(s->dest), "%s", dest);
	rc = fs_mkdirs(dest, 0755);
	if (!rc)
		rc = stage_recover(dest);
	if (!rc)
		rc = fs_random(rnd, sizeof(rnd));
	if (rc)
		return rc;
	hex_encode(rnd, sizeof(rnd), hex);
	snprintf(s->dir, sizeof(s->dir), "%s/" STAGE_PREFIX "%s", dest, hex);
	if (mkdir(s->dir, 0755)) {
		rc = err_setsys(ERR_IO, errno, "cannot create '%s'", s->dir);
		s->dir[0] = '\0';
	}
	return rc;
}

static int stage_list(const char *dir, struct buf *names, size_t *count)
{
	struct dirent *e;
	DIR *d = opendir(dir);
	int rc = 0;

	*count = 0;
	if (!d)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", dir);
	while (!rc && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (++*count > STAGE_MAX_ENTRIES)
			rc = err_set(ERR_LIMIT, "more than %d top-level "
				     "entries", STAGE_MAX_ENTRIES);
		else
			rc = buf_printf(names, "%s\n", e->d_name);
	}
	closedir(d);
	return rc;
}

static int stage_check_free(const struct stage *s, const char *names)
{
	const char *p = names;
	char path[PATH_MAX];

	while (*p) {
		const char *nl = strchr(p, '\n');
		char name[NAME_MAX + 1];

		snprintf(name, sizeof(name), "%.*s", (int)(nl - p), p);
		if (stage_path(path, s->dest, name))
			return ERR_LIMIT;
		if (fs_exists(path))
			return err_set(ERR_EXISTS, "'%s' already exists in "
				       "'%s'; refusing to overwrite", name,
				       s->dest);
		p = nl + 1;
	}
	return 0;
}

static int stage_move_all(const struct stage *s, const char *names)
{
	char from[PATH_MAX], to[PATH_MAX];
	const char *p = names;

	while (*p) {
		const char *nl = strchr(p, '\n');
		char name[NAME_MAX + 1];

		snprintf(name, sizeof(name), "%.*s", (int)(nl - p), p);
		if (stage_path(from, s->dir, name) ||
		    stage_path(to, s->dest, name))
			return ERR_LIMIT;
		if (rename(from, to))
			return err_setsys(ERR_IO, errno, "cannot move '%s' "
					  "into place", name);
		p = nl + 1;
	}
	return fs_sync_dir(s->dest);
}

int stage_commit(struct stage *s, const char *digest)
{
	struct buf names = BUF_INIT(STAGE_JOURNAL_MAX);
	char journal[PATH_MAX], done[PATH_MAX];
	size_t count;
	int rc;

	rc = stage_path(journal, s->dest, STAGE_JOURNAL);
	if (!rc)
		rc = stage_path(done, s->dest, STAGE_DONE);
	if (!rc)
		rc = stage_list(s->dir, &names, &count);
	if (!rc)
		rc = stage_check_free(s, buf_cstr(&names));
	if (!rc)
		rc = fs_write_atomic(journal, buf_cstr(&names), names.len,
				     0644);
	if (!rc)
		rc = stage_move_all(s, buf_cstr(&names));
	if (!rc)
		rc = fs_write_atomic(done, digest, strlen(digest), 0644);
	if (!rc && unlink(journal))
		rc = err_setsys(ERR_IO, errno, "cannot remove '%s'", journal);
	if (!rc)
		rc = fs_sync_dir(s->dest);
	if (rc) {
		/* Put DEST back the way it was; keep the first error. */
		char why[512];

		snprintf(why, sizeof(why), "%s", err_msg());
		if (fs_exists(journal))
			stage_undo_journal(s->dest, journal);
		err_set(rc, "%s", why);
	}
	buf_release(&names);
	stage_abort(s);
	return rc;
}

void stage_abort(struct stage *s)
{
	if (s->dir[0])
		fs_remove_tree(s->dir);
	s->dir[0] = '\0';
}

int stage_completed_digest(const char *dest, char *digest, size_t len)
{
	char path[PATH_MAX];
	struct buf b;
	int rc;

	rc = stage_path(path, dest, STAGE_DONE);
	if (!rc)
		rc = fs_read_file(path, DIGEST_STR_LEN, &b);
	if (rc)
		return rc == ERR_NOTFOUND ?
			err_set(rc, "no completed model in '%s'", dest) : rc;
	snprintf(digest, len, "%s", b.data);
	buf_release(&b);
	return 0;
}

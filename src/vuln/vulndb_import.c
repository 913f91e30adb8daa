/* Importing OSV sources: directories, zip exports, files and URLs. */
#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/buf.h"
#include "util/err.h"
#include "util/fs.h"
#include "vuln/vulndb_int.h"

struct imp {
	struct vuln_db *db;
	struct vulndb_import *st;
	size_t records;
};

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcasecmp(s + n - m, suffix);
}

static void warn(struct imp *im, const char *msg)
{
	char **grown;
	char *copy;

	im->st->skipped++;
	if (im->st->n_warnings >= VULNDB_MAX_WARNINGS)
		return;
	grown = realloc(im->st->warnings, (im->st->n_warnings + 1) *
			sizeof(char *));
	copy = strdup(msg);
	if (!grown || !copy) {
		free(copy);
		if (grown)
			im->st->warnings = grown;
		return;
	}
	im->st->warnings = grown;
	im->st->warnings[im->st->n_warnings++] = copy;
}

/* Parse and store one record; a bad record is a warning, not a failure. */
static int import_record(struct imp *im, const char *data, size_t len,
			 const char *name, bool yaml)
{
	struct osv_record *r = NULL;
	enum vulndb_put what;
	int rc;

	if (++im->records > VULNDB_MAX_FILES)
		return err_set(ERR_LIMIT, "vulndb: more than %d records in "
			       "one source", VULNDB_MAX_FILES);
	rc = yaml ? osv_parse_yaml(data, len, name, &r)
		  : osv_parse_json(data, len, name, &r);
	if (rc == ERR_NOMEM)
		return rc;
	if (rc) {
		warn(im, err_msg());
		return 0;
	}
	rc = vulndb_put(im->db, r, &what);
	if (!rc) {
		size_t *counts[] = { &im->st->added, &im->st->updated,
				     &im->st->unchanged, &im->st->withdrawn,
				     &im->st->other };

		(*counts[what])++;
		if (strcmp(r->modified, im->st->newest) > 0)
			snprintf(im->st->newest, sizeof(im->st->newest), "%s",
				 r->modified);
	}
	osv_record_free(r);
	return rc;
}

static int import_file(struct imp *im, const char *path, const char *name)
{
	struct buf b;
	bool yaml = ends_with(path, ".yaml") || ends_with(path, ".yml");
	int rc;

	rc = fs_read_file(path, OSV_MAX_RECORD, &b);
	if (rc == ERR_LIMIT) {
		char msg[600];

		snprintf(msg, sizeof(msg), "%s: record larger than %u bytes",
			 name, OSV_MAX_RECORD);
		warn(im, msg);
		return 0;
	}
	if (rc)
		return rc;
	rc = import_record(im, b.data ? b.data : "", b.len, name, yaml);
	buf_release(&b);
	return rc;
}

static int import_dir(struct imp *im, const char *dir, const char *rel,
		      int depth)
{
	struct dirent **names = NULL;
	char path[4096], sub[4096];
	struct stat sb;
	int n, rc = 0;

	if (depth > VULNDB_MAX_DEPTH)
		return err_set(ERR_LIMIT, "vulndb: '%s' nested deeper than %d",
			       dir, VULNDB_MAX_DEPTH);
	n = scandir(dir, &names, NULL, alphasort);
	if (n < 0)
		return err_setsys(ERR_IO, errno, "vulndb: cannot list '%s'",
				  dir);
	for (int i = 0; i < n; i++) {
		const char *d = names[i]->d_name;

		if (!rc && d[0] != '.' &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, d) <
		    sizeof(path) &&
		    (size_t)snprintf(sub, sizeof(sub), "%s%s%s", rel,
				     *rel ? "/" : "", d) < sizeof(sub) &&
		    !lstat(path, &sb)) {
			/* Symlinks are not followed out of the source. */
			if (S_ISDIR(sb.st_mode))
				rc = import_dir(im, path, sub, depth + 1);
			else if (S_ISREG(sb.st_mode) &&
				 (ends_with(d, ".json") ||
				  ends_with(d, ".yaml") ||
				  ends_with(d, ".yml")))
				rc = import_file(im, path, sub);
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

/* Read one zip member into b; ERR_LIMIT when it is too large. */
static int zip_member(struct archive *a, struct buf *b, const char *name)
{
	char chunk[65536];
	la_ssize_t n;
	int rc;

	while ((n = archive_read_data(a, chunk, sizeof(chunk))) > 0) {
		rc = buf_put(b, chunk, (size_t)n);
		if (rc)
			return rc;
	}
	if (n < 0)
		return err_set(ERR_IO, "vulndb: zip member '%s': %s", name,
			       archive_error_string(a));
	return 0;
}

static int import_zip(struct imp *im, const char *path)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct buf b = BUF_INIT(OSV_MAX_RECORD);
	int rc = 0, s;

	if (!a)
		return err_set(ERR_NOMEM, "out of memory");
	archive_read_support_format_zip(a);
	if (archive_read_open_filename(a, path, 65536)) {
		rc = err_set(ERR_INVALID, "vulndb: '%s' is not a readable "
			     "zip: %s", path, archive_error_string(a));
		goto out;
	}
	while (!rc && (s = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(e);
		char msg[600];

		if (archive_entry_filetype(e) != AE_IFREG || !name ||
		    !ends_with(name, ".json"))
			continue;
		buf_clear(&b);
		rc = zip_member(a, &b, name);
		if (rc == ERR_LIMIT) {
			snprintf(msg, sizeof(msg), "%s: record larger than "
				 "%u bytes", name, OSV_MAX_RECORD);
			warn(im, msg);
			rc = 0;
			continue;
		}
		if (!rc)
			rc = import_record(im, buf_cstr(&b), b.len, name,
					   false);
	}
	if (!rc && s != ARCHIVE_EOF)
		rc = err_set(ERR_INVALID, "vulndb: broken zip '%s': %s", path,
			     archive_error_string(a));
out:
	buf_release(&b);
	archive_read_free(a);
	return rc;
}

static bool is_zip(const char *path)
{
	unsigned char magic[4] = { 0 };
	FILE *f = fopen(path, "rb");
	bool zip;

	if (!f)
		return false;
	zip = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "PK\3\4", 4);
	fclose(f);
	return zip;
}

static int import_path(struct imp *im, const char *path)
{
	struct stat sb;
	const char *base = strrchr(path, '/');

	if (stat(path, &sb))
		return err_setsys(ERR_NOTFOUND, errno, "vulndb: cannot read "
				  "'%s'", path);
	if (S_ISDIR(sb.st_mode))
		return import_dir(im, path, "", 0);
	if (!S_ISREG(sb.st_mode))
		return err_set(ERR_INVALID, "vulndb: '%s' is not a file or "
			       "directory", path);
	if (is_zip(path))
		return import_zip(im, path);
	return import_file(im, path, base ? base + 1 : path);
}

/* Downloading ------------------------------------------------------ */

struct dl {
	int fd;
	unsigned long long got;
	int rc;
};

static size_t dl_write(char *p, size_t size, size_t n, void *ctx)
{
	struct dl *d = ctx;
	size_t len = size * n;

	if (d->got + len > VULNDB_MAX_DOWNLOAD) {
		d->rc = err_set(ERR_LIMIT, "vulndb: download larger than "
				"%llu bytes", VULNDB_MAX_DOWNLOAD);
		return 0;
	}
	if (fs_write_all(d->fd, p, len, "download")) {
		d->rc = ERR_IO;
		return 0;
	}
	d->got += len;
	return len;
}

static int download(const char *url, const char *to)
{
	struct dl d = { -1, 0, 0 };
	CURL *c = curl_easy_init();
	long status = 0;
	CURLcode cr;

	if (!c)
		return err_set(ERR_NOMEM, "vulndb: cannot start download");
	d.fd = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (d.fd < 0) {
		curl_easy_cleanup(c);
		return err_setsys(ERR_IO, errno, "vulndb: cannot write '%s'",
				  to);
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, dl_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	cr = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	close(d.fd);
	if (d.rc)
		return d.rc;
	if (cr != CURLE_OK)
		return err_set(ERR_NET, "vulndb: cannot fetch '%s': %s", url,
			       curl_easy_strerror(cr));
	if (status != 200)
		return err_set(ERR_NET, "vulndb: fetching '%s' answered %ld",
			       url, status);
	return 0;
}

static int import_url(struct imp *im, const char *url)
{
	char tmpl[] = "/tmp/stele-vulndb-XXXXXX";
	int fd = mkstemp(tmpl), rc;

	if (fd < 0)
		return err_setsys(ERR_IO, errno, "vulndb: no temporary file");
	close(fd);
	rc = download(url, tmpl);
	if (!rc)
		rc = import_path(im, tmpl);
	unlink(tmpl);
	return rc;
}

/* The transaction around one import ------------------------------- */

static int record_import(struct vuln_db *db, const char *source,
			 const struct vulndb_import *st)
{
	sqlite3_stmt *q;
	char now[32];
	time_t t = time(NULL);
	struct tm tm;
	int rc = 0;

	strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	if (sqlite3_prepare_v2(db->db, "INSERT INTO import(source, finished,"
			       " added, updated, unchanged, skipped, "
			       "withdrawn, newest) VALUES (?,?,?,?,?,?,?,?)",
			       -1, &q, NULL))
		return vulndb_sql_fail(db, "cannot record import");
	sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)st->added);
	sqlite3_bind_int64(q, 4, (sqlite3_int64)st->updated);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)st->unchanged);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)st->skipped);
	sqlite3_bind_int64(q, 7, (sqlite3_int64)st->withdrawn);
	sqlite3_bind_text(q, 8, st->newest, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		rc = vulndb_sql_fail(db, "cannot record import");
	sqlite3_finalize(q);
	return rc;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int vulndb_import(struct vuln_db *db, const char *source,
		  struct vulndb_import *st)
{
	struct imp im = { db, st, 0 };
	double t0 = now_seconds();
	int rc;

	memset(st, 0, sizeof(*st));
	if (sqlite3_exec(db->db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
		return vulndb_sql_fail(db, "cannot start import");
	if (!strncmp(source, "http://", 7) || !strncmp(source, "https://", 8))
		rc = import_url(&im, source);
	else
		rc = import_path(&im, source);
	if (!rc)
		rc = record_import(db, source, st);
	if (!rc && sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL))
		rc = vulndb_sql_fail(db, "cannot commit import");
	if (rc) {
		/* Keep the failure's message, not ROLLBACK's. */
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	st->seconds = now_seconds() - t0;
	return 0;
}

void vulndb_import_release(struct vulndb_import *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n_warnings; i++)
		free(st->warnings[i]);
	free(st->warnings);
	st->warnings = NULL;
	st->n_warnings = 0;
}

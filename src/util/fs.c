/* File-system helpers; see fs.h for the contracts. */
#include "util/fs.h"
#include "util/err.h"
#include "util/sha256.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

int fs_mkdirs(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(tmp))
		return err_set(ERR_INVALID, "bad directory path '%s'", path);
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return err_setsys(ERR_IO, errno, "cannot create '%s'",
					  tmp);
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return err_setsys(ERR_IO, errno, "cannot create '%s'", tmp);
	return 0;
}

int fs_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", dir);
	if (fsync(fd) && errno != EINVAL) {
		int e = errno;

		close(fd);
		return err_setsys(ERR_IO, e, "cannot sync '%s'", dir);
	}
	close(fd);
	return 0;
}

int fs_random(void *p, size_t n)
{
	uint8_t *q = p;

	while (n) {
		ssize_t got = getrandom(q, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return err_setsys(ERR_IO, errno, "getrandom failed");
		}
		q += got;
		n -= (size_t)got;
	}
	return 0;
}

int fs_tmp_open(const char *dir, char *path_out, size_t path_len)
{
	uint8_t rnd[8];
	char hex[17];
	int fd, rc, n;

	rc = fs_random(rnd, sizeof(rnd));
	if (rc)
		return rc;
	hex_encode(rnd, sizeof(rnd), hex);
	n = snprintf(path_out, path_len, "%s/.tmp-%s", dir, hex);
	if (n < 0 || (size_t)n >= path_len)
		return err_set(ERR_INVALID, "path too long in '%s'", dir);
	fd = open(path_out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot create '%s'",
				  path_out);
	return fd;
}

int fs_write_all(int fd, const void *p, size_t len, const char *name)
{
	const char *q = p;

	while (len) {
		ssize_t n = write(fd, q, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return err_setsys(ERR_IO, errno, "cannot write '%s'",
					  name);
		}
		q += n;
		len -= (size_t)n;
	}
	return 0;
}

static void fs_dirname(const char *path, char *out, size_t len)
{
	const char *slash = strrchr(path, '/');

	if (!slash) {
		snprintf(out, len, ".");
		return;
	}
	if (slash == path) {
		snprintf(out, len, "/");
		return;
	}
	snprintf(out, len, "%.*s", (int)(slash - path), path);
}

int fs_commit_tmp(int fd, const char *tmp, const char *path)
{
	char dir[PATH_MAX];

	if (fsync(fd)) {
		int e = errno;

		close(fd);
		unlink(tmp);
		return err_setsys(ERR_IO, e, "cannot sync '%s'", path);
	}
	if (close(fd)) {
		int e = errno;

		unlink(tmp);
		return err_setsys(ERR_IO, e, "cannot close '%s'", path);
	}
	if (rename(tmp, path)) {
		int e = errno;

		unlink(tmp);
		return err_setsys(ERR_IO, e, "cannot rename to '%s'", path);
	}
	fs_dirname(path, dir, sizeof(dir));
	return fs_sync_dir(dir);
}

int fs_write_atomic(const char *path, const void *p, size_t len,
		    mode_t mode)
{
	char dir[PATH_MAX], tmp[PATH_MAX];
	int fd, rc;

	fs_dirname(path, dir, sizeof(dir));
	fd = fs_tmp_open(dir, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	rc = fs_write_all(fd, p, len, path);
	if (!rc && fchmod(fd, mode))
		rc = err_setsys(ERR_IO, errno, "cannot chmod '%s'", path);
	if (rc) {
		close(fd);
		unlink(tmp);
		return rc;
	}
	return fs_commit_tmp(fd, tmp, path);
}

int fs_read_file(const char *path, size_t max, struct buf *out)
{
	char chunk[1 << 16];
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_setsys(errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
				  errno, "cannot open '%s'", path);
	buf_init(out, max);
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = err_setsys(ERR_IO, errno, "cannot read '%s'", path);
			break;
		}
		rc = buf_put(out, chunk, (size_t)n);
		if (rc) {
			if (rc == ERR_LIMIT)
				err_set(rc, "'%s' is larger than %zu bytes",
					path, max);
			break;
		}
	}
	close(fd);
	if (rc)
		buf_release(out);
	else if (!out->data)
		rc = buf_put(out, "", 0);
	return rc;
}

int fs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static int fs_remove_at(int dirfd, const char *name);

static int fs_remove_dir_contents(int fd)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	int rc = 0;

	if (!d) {
		close(fd);
		return err_setsys(ERR_IO, errno, "cannot list directory");
	}
	while ((e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		rc = fs_remove_at(dirfd(d), e->d_name);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

static int fs_remove_at(int dirfd, const char *name)
{
	struct stat st;
	int fd, rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : err_setsys(ERR_IO, errno,
			"cannot stat '%s'", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) && errno != ENOENT)
			return err_setsys(ERR_IO, errno, "cannot remove '%s'",
					  name);
		return 0;
	}
	fd = openat(dirfd, name,
		    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open '%s'", name);
	rc = fs_remove_dir_contents(fd);
	if (rc)
		return rc;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) && errno != ENOENT)
		return err_setsys(ERR_IO, errno, "cannot remove '%s'", name);
	return 0;
}

int fs_remove_tree(const char *path)
{
	return fs_remove_at(AT_FDCWD, path);
}

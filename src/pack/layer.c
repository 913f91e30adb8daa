/*
 * The layer walk. kit walks the whole context directory with
 * filepath.Walk and keeps a path when it lies on the same branch as the
 * layer path (an ancestor, the path, or below it), which is why a layer
 * for "models/a.bin" starts with a directory entry "models". The same-
 * branch test is kit's: the two relative paths between them must not
 * both contain "..".
 */
#include "pack/layer.h"
#include "util/err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_BUF (1u << 20)

struct walk {
	struct pack_layer_src *src;
	struct tar_writer *tw;
	char path[TAR_PATH_MAX + 1];
	uint8_t *buf;
	int depth;
};

int pack_path_clean(const char *in, char *out)
{
	size_t o = 0;
	const char *p = in;

	if (in[0] == '/')
		return err_set(ERR_INVALID, "path '%s' is absolute", in);
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);

		if (n == 2 && !memcmp(p, "..", 2)) {
			if (o == 0)
				return err_set(ERR_INVALID, "path '%s' leaves "
					       "the context directory", in);
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
		} else if (n && !(n == 1 && p[0] == '.')) {
			if (o + n + 1 > TAR_PATH_MAX)
				return err_set(ERR_LIMIT, "path '%s' is too "
					       "long", in);
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p += n + (slash ? 1 : 0);
	}
	if (o == 0)
		out[o++] = '.';
	out[o] = 0;
	return 0;
}

/* Components of a clean relative path; "." has none. */
static size_t split_path(const char *p, const char **parts, size_t *lens,
			 size_t max)
{
	size_t n = 0;

	if (!strcmp(p, "."))
		return 0;
	while (*p && n < max) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		parts[n] = p;
		lens[n++] = len;
		p += len + (slash ? 1 : 0);
	}
	return n;
}

static bool any_dotdot(const char **parts, const size_t *lens, size_t from,
		       size_t to)
{
	for (size_t i = from; i < to; i++)
		if (memmem(parts[i], lens[i], "..", 2))
			return true;
	return false;
}

/* kit's sameDirTree(a, b) via filepath.Rel in both directions. */
static bool same_tree(const char *a, const char *b)
{
	const char *pa[PACK_WALK_DEPTH_MAX + 2], *pb[PACK_WALK_DEPTH_MAX + 2];
	size_t la[PACK_WALK_DEPTH_MAX + 2], lb[PACK_WALK_DEPTH_MAX + 2];
	size_t na = split_path(a, pa, la, PACK_WALK_DEPTH_MAX + 2);
	size_t nb = split_path(b, pb, lb, PACK_WALK_DEPTH_MAX + 2);
	size_t c = 0;
	bool a_to_b, b_to_a;

	while (c < na && c < nb && la[c] == lb[c] &&
	       !memcmp(pa[c], pb[c], la[c]))
		c++;
	a_to_b = c < na || any_dotdot(pb, lb, c, nb);
	b_to_a = c < nb || any_dotdot(pa, la, c, na);
	return !(a_to_b && b_to_a);
}

/* kit's isWithin: p is dir or below it; "." contains everything. */
static bool within(const char *p, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "."))
		return true;
	return !strncmp(p, dir, n) && (p[n] == 0 || p[n] == '/');
}

/* Another layer below this one owns p (kit's nested-path exclusion). */
static bool nested_elsewhere(const struct pack_layer_src *src,
			     const char *p)
{
	for (size_t i = 0; i < src->n_others; i++) {
		if (within(src->path, src->others[i]))
			continue;
		if (within(p, src->others[i]))
			return true;
	}
	return false;
}

static const char *kind_word(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m) || S_ISBLK(m))
		return "a device file";
	return "not a regular file";
}

static int copy_file(struct walk *w, int dirfd, const char *name,
		     const struct stat *st)
{
	uint64_t left = (uint64_t)st->st_size;
	struct stat now;
	int fd, rc = 0;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open '%s'",
				  tar_printable(w->path));
	if (fstat(fd, &now) || now.st_size != st->st_size)
		rc = err_set(ERR_CONFLICT, "'%s' changed while packing",
			     tar_printable(w->path));
	while (!rc && left) {
		size_t want = left < COPY_BUF ? (size_t)left : COPY_BUF;
		ssize_t got = read(fd, w->buf, want);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			rc = err_setsys(ERR_IO, errno, "cannot read '%s'",
					tar_printable(w->path));
		else if (got == 0)
			rc = err_set(ERR_CONFLICT, "'%s' shrank while "
				     "packing", tar_printable(w->path));
		else
			rc = tar_write_data(w->tw, w->buf, (size_t)got);
		if (got > 0)
			left -= (uint64_t)got;
	}
	close(fd);
	return rc;
}

static int walk_dir(struct walk *w, int fd, size_t plen);

static int descend(struct walk *w, int dirfd, const char *name, size_t plen)
{
	int fd, rc;

	if (w->depth >= PACK_WALK_DEPTH_MAX)
		return err_set(ERR_LIMIT, "'%s' is nested deeper than %d "
			       "levels", tar_printable(w->path),
			       PACK_WALK_DEPTH_MAX);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
	if (fd < 0)
		return err_setsys(ERR_IO, errno, "cannot open '%s'",
				  tar_printable(w->path));
	w->depth++;
	rc = walk_dir(w, fd, plen);
	w->depth--;
	return rc;
}

static int visit(struct walk *w, int dirfd, const char *name, size_t plen)
{
	struct pack_layer_src *src = w->src;
	bool is_dir, ignored;
	struct stat st;
	int rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return err_setsys(ERR_IO, errno, "cannot stat '%s'",
				  tar_printable(w->path));
	is_dir = S_ISDIR(st.st_mode);
	if (nested_elsewhere(src, w->path))
		return 0;
	ignored = src->ignore && kitignore_match(src->ignore, w->path,
						 is_dir);
	if (!same_tree(src->path, w->path)) {
		/* kit's test also drops names containing ".." below the
		 * layer path; refuse rather than lose the file silently. */
		if (within(w->path, src->path) && !ignored)
			return err_set(ERR_UNSUPPORTED, "'%s': kit leaves out "
				       "names containing '..' inside a layer; "
				       "rename it or list it in .kitignore",
				       w->path);
		return 0;
	}
	/* As kit: an ignored directory is skipped whole unless a '!'
	 * pattern could bring back something inside it. */
	if (ignored)
		return is_dir && kitignore_has_exclusions(src->ignore) ?
			descend(w, dirfd, name, plen) : 0;
	if (!is_dir && !S_ISREG(st.st_mode))
		return err_set(ERR_UNSUPPORTED, "'%s' is %s; ModelKit layers "
			       "hold only regular files and directories "
			       "(list it in .kitignore to leave it out)",
			       w->path, kind_word(st.st_mode));
	if (st.st_mtime > src->newest)
		src->newest = st.st_mtime;
	rc = tar_write_header(w->tw, w->path, is_dir ? TAR_DIR : TAR_FILE,
			      st.st_mode & 07777, (uint64_t)st.st_size);
	if (rc)
		return rc;
	if (is_dir)
		return descend(w, dirfd, name, plen);
	return copy_file(w, dirfd, name, &st);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Names of a directory's entries, sorted bytewise as Go sorts them. */
static int read_names(int fd, char ***out, size_t *n)
{
	DIR *d = fdopendir(fd);
	struct dirent *e;
	char **v = NULL;
	size_t cap = 0;
	int rc = 0;

	*n = 0;
	*out = NULL;
	if (!d) {
		close(fd);
		return err_setsys(ERR_IO, errno, "cannot list directory");
	}
	while (!rc && (e = readdir(d)) != NULL) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (*n == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 32) *
					    sizeof(*v));

			if (!nv) {
				rc = err_set(ERR_NOMEM, "out of memory");
				break;
			}
			v = nv;
		}
		v[*n] = strdup(e->d_name);
		if (!v[*n])
			rc = err_set(ERR_NOMEM, "out of memory");
		else
			(*n)++;
	}
	closedir(d);
	if (!rc && *n)
		qsort(v, *n, sizeof(*v), cmp_names);
	*out = v;
	return rc;
}

static int walk_dir(struct walk *w, int fd, size_t plen)
{
	char **names = NULL;
	size_t n = 0;
	/* A fresh open file description: a dup() would share the
	 * directory offset with fd, which an earlier walk left at the end. */
	int rc, dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (dfd < 0) {
		close(fd);
		return err_setsys(ERR_IO, errno, "cannot list '%s'",
				  tar_printable(w->path));
	}
	rc = read_names(dfd, &names, &n);
	for (size_t i = 0; !rc && i < n; i++) {
		size_t len = strlen(names[i]);
		size_t at = plen ? plen + 1 : 0;

		if (at + len > TAR_PATH_MAX) {
			rc = err_set(ERR_LIMIT, "path below '%s' is longer "
				     "than %d bytes", tar_printable(w->path),
				     TAR_PATH_MAX);
			break;
		}
		if (plen)
			w->path[plen] = '/';
		memcpy(w->path + at, names[i], len + 1);
		rc = visit(w, fd, names[i], at + len);
		w->path[plen] = 0;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	close(fd);
	return rc;
}

int pack_layer_write(struct pack_layer_src *src, struct tar_writer *tw)
{
	struct walk w = { .src = src, .tw = tw };
	struct stat st;
	int fd, rc;

	if (strcmp(src->path, ".") &&
	    fstatat(src->ctx_fd, src->path, &st, AT_SYMLINK_NOFOLLOW))
		return err_setsys(errno == ENOENT ? ERR_NOTFOUND : ERR_IO,
				  errno, "path '%s' of the Kitfile",
				  src->path);
	w.buf = malloc(COPY_BUF);
	if (!w.buf)
		return err_set(ERR_NOMEM, "out of memory");
	fd = dup(src->ctx_fd);
	if (fd < 0)
		rc = err_setsys(ERR_IO, errno, "cannot open the context");
	else
		rc = walk_dir(&w, fd, 0);
	free(w.buf);
	return rc;
}

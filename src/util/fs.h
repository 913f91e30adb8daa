/* File-system helpers: durable atomic writes, bounded reads, directories. */
#ifndef STELE_UTIL_FS_H
#define STELE_UTIL_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/buf.h"

/* Create dir and its parents with mode (existing ones are fine). */
int fs_mkdirs(const char *path, mode_t mode);

/* fsync() a directory so a rename inside it survives a crash. */
int fs_sync_dir(const char *dir);

/*
 * Open a new temporary file in dir, named ".tmp-<random>"; its path goes
 * into path_out (PATH_MAX bytes). The file is created 0600|extra perms.
 */
int fs_tmp_open(const char *dir, char *path_out, size_t path_len);

/*
 * Write len bytes to fd, retrying short writes and EINTR. Reports ENOSPC
 * and other failures with the name given for messages.
 */
int fs_write_all(int fd, const void *p, size_t len, const char *name);

/*
 * Durably replace path with the given bytes: temp file in the same
 * directory, fsync, rename, fsync of the directory. Readers see the old
 * or the new content, never a mix; a failure leaves the old content.
 */
int fs_write_atomic(const char *path, const void *p, size_t len,
		    mode_t mode);

/* fsync fd, close it, rename tmp to path, fsync the directory of path. */
int fs_commit_tmp(int fd, const char *tmp, const char *path);

/* Read a whole file, failing with ERR_LIMIT when it exceeds max bytes. */
int fs_read_file(const char *path, size_t max, struct buf *out);

/* 1 when path exists (any type, no symlink follow), 0 otherwise. */
int fs_exists(const char *path);

/* Remove a directory tree; missing is fine. Never follows symlinks. */
int fs_remove_tree(const char *path);

/* Fill p with n bytes from the system's random source. */
int fs_random(void *p, size_t n);

#endif

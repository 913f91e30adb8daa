/* The password that protects a private key file. */
#ifndef STELE_SIGN_PASSWORD_H
#define STELE_SIGN_PASSWORD_H

#include <stdbool.h>

#include "util/buf.h"

#define SIGN_PASSWORD_MAX 1024

/*
 * Fill out (cleared first; release it with buf_wipe()) with the key
 * password: from COSIGN_PASSWORD (cosign's own variable, so scripts work
 * with both tools), else STELE_KEY_PASSWORD, else read from /dev/tty with
 * echo off after writing prompt there; with confirm the password is asked
 * twice and must match. An empty variable is an empty password, as in
 * cosign. ERR_USAGE when no variable is set and there is no terminal.
 */
int sign_password_get(const char *prompt, bool confirm, struct buf *out);

struct sign_key;

/*
 * Get the password as above ("Enter password for private key: "), decrypt
 * the key file at path with it and wipe the password.
 */
int sign_password_open_key(const char *path, struct sign_key **out);

#endif

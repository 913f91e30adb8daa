/* Key passwords from the environment or a terminal without echo. */
#include "sign/password.h"
#include "sign/keyfile.h"
#include "util/err.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static int password_from_env(struct buf *out)
{
	static const char *const names[] = {
		"COSIGN_PASSWORD", "STELE_KEY_PASSWORD",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		const char *v = getenv(names[i]);

		if (v)
			return buf_puts(out, v) ? -1 : 1;
	}
	return 0;
}

/* Read one line from fd, without the newline. */
static int password_read_line(int fd, struct buf *out)
{
	char c;

	for (;;) {
		ssize_t n = read(fd, &c, 1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_setsys(ERR_IO, errno,
					  "cannot read password");
		if (n == 0 || c == '\n')
			break;
		if (buf_putc(out, c))
			return err_set(ERR_LIMIT, "password longer than %d "
				       "bytes", SIGN_PASSWORD_MAX);
	}
	OPENSSL_cleanse(&c, sizeof(c));
	if (!out->data)
		return buf_put(out, "", 0);
	return 0;
}

static int password_prompt(int tty, const char *prompt, struct buf *out)
{
	struct termios old, quiet;
	bool restore = false;
	int rc;

	/*
	 * Echo goes off before the prompt appears: flushing the terminal
	 * after it would drop a password typed as soon as it is shown.
	 */
	if (tcgetattr(tty, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		restore = tcsetattr(tty, TCSAFLUSH, &quiet) == 0;
	}
	rc = write(tty, prompt, strlen(prompt)) < 0 ?
	     err_setsys(ERR_IO, errno, "cannot write prompt") : 0;
	if (!rc)
		rc = password_read_line(tty, out);
	if (restore)
		tcsetattr(tty, TCSAFLUSH, &old);
	if (write(tty, "\n", 1) < 0)
		rc = rc ? rc : err_setsys(ERR_IO, errno, "cannot write prompt");
	return rc;
}

static int password_from_tty(const char *prompt, bool confirm,
			     struct buf *out)
{
	struct buf again = BUF_INIT(SIGN_PASSWORD_MAX);
	int tty, rc;

	tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty < 0)
		return err_set(ERR_USAGE, "no key password: set "
			       "COSIGN_PASSWORD or STELE_KEY_PASSWORD, or run "
			       "from a terminal");
	rc = password_prompt(tty, prompt, out);
	if (!rc && confirm)
		rc = password_prompt(tty, "Enter password again: ", &again);
	if (!rc && confirm && (again.len != out->len ||
			       CRYPTO_memcmp(again.data, out->data,
					     out->len)))
		rc = err_set(ERR_USAGE, "the two passwords differ");
	buf_wipe(&again);
	close(tty);
	return rc;
}

int sign_password_get(const char *prompt, bool confirm, struct buf *out)
{
	int rc;

	buf_wipe(out);
	out->max = SIGN_PASSWORD_MAX;
	rc = password_from_env(out);
	if (rc < 0)
		return err_set(ERR_LIMIT, "password longer than %d bytes",
			       SIGN_PASSWORD_MAX);
	if (rc > 0)
		return 0;
	rc = password_from_tty(prompt, confirm, out);
	if (rc)
		buf_wipe(out);
	return rc;
}

int sign_password_open_key(const char *path, struct sign_key **out)
{
	struct buf pw = BUF_INIT(SIGN_PASSWORD_MAX);
	int rc;

	*out = NULL;
	rc = sign_password_get("Enter password for private key: ", false, &pw);
	if (!rc)
		rc = sign_keyfile_load(path, buf_cstr(&pw), pw.len, out);
	buf_wipe(&pw);
	return rc;
}

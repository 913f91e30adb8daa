/* Strict base64: one canonical text per byte string. */
#include "sign/b64.h"
#include "util/err.h"

#include <stdbool.h>
#include <stdint.h>

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int sign_b64_encode(const void *p, size_t n, struct buf *out)
{
	const uint8_t *s = p;
	char quad[4];
	int rc;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)s[i] << 16;
		size_t left = n - i;

		if (left > 1)
			v |= (uint32_t)s[i + 1] << 8;
		if (left > 2)
			v |= s[i + 2];
		quad[0] = b64_alphabet[(v >> 18) & 63];
		quad[1] = b64_alphabet[(v >> 12) & 63];
		quad[2] = left > 1 ? b64_alphabet[(v >> 6) & 63] : '=';
		quad[3] = left > 2 ? b64_alphabet[v & 63] : '=';
		rc = buf_put(out, quad, 4);
		if (rc)
			return rc;
	}
	if (!out->data)
		return buf_put(out, "", 0);
	return 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Count the '=' at the end of one final quad; padding elsewhere is bad. */
static int b64_padding(const char *s, size_t n, const char *what)
{
	size_t pad = 0;

	while (pad < 2 && n > pad && s[n - 1 - pad] == '=')
		pad++;
	for (size_t i = 0; i < n - pad; i++)
		if (b64_value(s[i]) < 0)
			return err_set(ERR_INVALID, "%s: invalid base64 "
				       "character at offset %zu", what, i);
	return (int)pad;
}

int sign_b64_decode(const char *s, size_t n, struct buf *out,
		    const char *what)
{
	uint8_t tri[3];
	int pad, rc;

	buf_clear(out);
	if (n % 4)
		return err_set(ERR_INVALID, "%s: truncated base64 (length %zu "
			       "is not a multiple of 4)", what, n);
	pad = b64_padding(s, n, what);
	if (pad < 0)
		return pad;
	for (size_t i = 0; i < n; i += 4) {
		bool last = i + 4 == n;
		int q = last ? pad : 0;
		uint32_t v = 0;

		for (int j = 0; j < 4; j++)
			v = v << 6 | (uint32_t)(j < 4 - q ?
					b64_value(s[i + j]) : 0);
		if ((q == 1 && (v & 0xff)) || (q == 2 && (v & 0xffff)))
			return err_set(ERR_INVALID, "%s: non-canonical base64 "
				       "ending at offset %zu", what, i);
		tri[0] = (uint8_t)(v >> 16);
		tri[1] = (uint8_t)(v >> 8);
		tri[2] = (uint8_t)v;
		rc = buf_put(out, tri, (size_t)(3 - q));
		if (rc)
			return rc;
	}
	if (!out->data)
		return buf_put(out, "", 0);
	return 0;
}

/*
 * JSON text exactly as Go's encoding/json writes it: the escaping of
 * encodeState.string with HTML escaping on, floats as strconv 'f'/'e'
 * with the shortest digits, map keys sorted bytewise.
 */
#include "kitfile/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned c = s[0], cp;
	size_t n;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return n;
}

static int put_ascii(struct buf *b, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char esc[7] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15], 0 };

	switch (c) {
	case '\\': return buf_puts(b, "\\\\");
	case '"': return buf_puts(b, "\\\"");
	case '\b': return buf_puts(b, "\\b");
	case '\f': return buf_puts(b, "\\f");
	case '\n': return buf_puts(b, "\\n");
	case '\r': return buf_puts(b, "\\r");
	case '\t': return buf_puts(b, "\\t");
	}
	/* Controls and the HTML-significant <, > and & are \u escaped. */
	if (c < 0x20 || c == '<' || c == '>' || c == '&')
		return buf_puts(b, esc);
	return buf_putc(b, (char)c);
}

int kitfile_json_put_string(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int rc = buf_putc(b, '"');

	while (rc == 0 && *p) {
		size_t n = utf8_len(p);

		if (n == 1)
			rc = put_ascii(b, *p);
		else if (n == 0)
			rc = buf_puts(b, "\\ufffd");
		else if (n == 3 && p[0] == 0xe2 && p[1] == 0x80 &&
			 (p[2] == 0xa8 || p[2] == 0xa9))
			rc = buf_puts(b, p[2] == 0xa8 ? "\\u2028" : "\\u2029");
		else
			rc = buf_put(b, p, n);
		p += n ? n : 1;
	}
	return rc ? rc : buf_putc(b, '"');
}

/* Shortest %e rendering that reads back as v: digits and exponent. */
static void shortest_digits(double v, char *digits, int *exp10)
{
	char tmp[40];
	size_t n = 0;

	for (int prec = 1; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, v);
		if (strtod(tmp, NULL) == v)
			break;
	}
	for (const char *p = tmp; *p && *p != 'e'; p++)
		if (*p >= '0' && *p <= '9')
			digits[n++] = *p;
	while (n > 1 && digits[n - 1] == '0')
		n--;
	digits[n] = '\0';
	*exp10 = atoi(strchr(tmp, 'e') + 1);
}

static void format_exp(const char *d, int e, char *out)
{
	size_t w = 0;

	out[w++] = d[0];
	if (d[1]) {
		out[w++] = '.';
		for (const char *p = d + 1; *p; p++)
			out[w++] = *p;
	}
	/* strconv writes at least two exponent digits; encoding/json then
	 * shortens "e-07" to "e-7" but leaves positive exponents alone. */
	if (e < 0 && e > -10)
		snprintf(out + w, 16, "e-%d", -e);
	else
		snprintf(out + w, 16, "e%c%02d", e < 0 ? '-' : '+', abs(e));
}

static void format_fixed(const char *d, int e, char *out)
{
	size_t w = 0, n = strlen(d);

	if (e < 0) {
		out[w++] = '0';
		out[w++] = '.';
		for (int i = -1; i > e; i--)
			out[w++] = '0';
		memcpy(out + w, d, n);
		w += n;
	} else {
		for (int i = 0; i <= e || (size_t)i < n; i++) {
			if (i == e + 1)
				out[w++] = '.';
			out[w++] = (size_t)i < n ? d[i] : '0';
		}
	}
	out[w] = '\0';
}

void kitfile_format_float(double v, char out[32])
{
	char digits[24];
	double a = fabs(v);
	int e;

	if (v == 0) {
		strcpy(out, signbit(v) ? "-0" : "0");
		return;
	}
	if (v < 0)
		*out++ = '-';
	shortest_digits(a, digits, &e);
	if (a < 1e-6 || a >= 1e21)
		format_exp(digits, e, out);
	else
		format_fixed(digits, e, out);
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int put_object(struct buf *b, json_t *v, int depth)
{
	size_t n = json_object_size(v), i = 0;
	const char **keys = malloc((n ? n : 1) * sizeof(*keys));
	const char *k;
	json_t *x;
	int rc = 0;

	if (!keys)
		return err_set(ERR_NOMEM, "out of memory");
	json_object_foreach(v, k, x)
		keys[i++] = k;
	qsort(keys, n, sizeof(*keys), cmp_keys);
	rc = buf_putc(b, '{');
	for (i = 0; rc == 0 && i < n; i++) {
		if (i)
			rc = buf_putc(b, ',');
		if (rc == 0)
			rc = kitfile_json_put_string(b, keys[i]);
		if (rc == 0)
			rc = buf_putc(b, ':');
		if (rc == 0)
			rc = kitfile_json_put_value(b, json_object_get(v,
						    keys[i]), depth + 1);
	}
	free(keys);
	return rc ? rc : buf_putc(b, '}');
}

static int put_array(struct buf *b, json_t *v, int depth)
{
	int rc = buf_putc(b, '[');

	for (size_t i = 0; rc == 0 && i < json_array_size(v); i++) {
		if (i)
			rc = buf_putc(b, ',');
		if (rc == 0)
			rc = kitfile_json_put_value(b, json_array_get(v, i),
						    depth + 1);
	}
	return rc ? rc : buf_putc(b, ']');
}

int kitfile_json_put_value(struct buf *b, json_t *v, int depth)
{
	char num[32];

	if (depth > KITFILE_MAX_DEPTH + 1)
		return err_set(ERR_LIMIT, "parameters nested deeper than %d "
			       "levels", KITFILE_MAX_DEPTH);
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return put_object(b, v, depth);
	case JSON_ARRAY:
		return put_array(b, v, depth);
	case JSON_STRING:
		return kitfile_json_put_string(b, json_string_value(v));
	case JSON_INTEGER:
		return buf_printf(b, "%" JSON_INTEGER_FORMAT,
				  json_integer_value(v));
	case JSON_REAL:
		kitfile_format_float(json_real_value(v), num);
		return buf_puts(b, num);
	case JSON_TRUE:
		return buf_puts(b, "true");
	case JSON_FALSE:
		return buf_puts(b, "false");
	default:
		return buf_puts(b, "null");
	}
}

/*
 * YAML scalar typing as go-yaml v3 resolves plain scalars (resolve.go),
 * so free-form parameters carry the same JSON types as in kit's config.
 */
#include "kitfile/internal.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

static bool in_list(const char *v, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(v, *list))
			return true;
	return false;
}

static const char *const null_words[] = { "", "~", "null", "Null", "NULL",
					   NULL };
static const char *const true_words[] = { "true", "True", "TRUE", NULL };
static const char *const false_words[] = { "false", "False", "FALSE",
					    NULL };
static const char *const nonfinite_words[] = {
	".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf",
	"+.INF", "-.inf", "-.Inf", "-.INF", NULL };

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool float_syntax(const char *s)
{
	size_t i = 0, d = 0;

	if (s[i] == '+' || s[i] == '-')
		i++;
	if (s[i] == '.') {
		for (i++; is_digit(s[i]); i++)
			d++;
	} else {
		for (; is_digit(s[i]); i++)
			d++;
		if (d && s[i] == '.')
			for (i++; is_digit(s[i]); i++)
				;
	}
	if (!d)
		return false;
	if (s[i] == 'e' || s[i] == 'E') {
		i++;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (!is_digit(s[i]))
			return false;
		while (is_digit(s[i]))
			i++;
	}
	return s[i] == '\0';
}

/* Go's strconv.ParseFloat on text float_syntax() accepted: fails only
 * on overflow, where go-yaml falls back to a string. */
static bool parse_float(const char *s, double *v)
{
	errno = 0;
	*v = strtod(s, NULL);
	return !(errno == ERANGE && isinf(*v));
}

static int digit_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/*
 * strconv.ParseInt(s, 0, 64) and ParseUint: optional sign, then 0x, 0o,
 * 0b or a leading 0 (octal) choose the base. Returns 1 for an int64 in
 * *iv, 2 for a value only a uint64 holds, 0 when not an integer.
 */
static int parse_int(const char *s, long long *iv)
{
	bool neg = false, sign = false;
	unsigned long long u = 0;
	int base = 10, d, n = 0;

	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		sign = true;
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	else if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		base = 8, s += 2;
	else if (s[0] == '0' && (s[1] == 'b' || s[1] == 'B'))
		base = 2, s += 2;
	else if (s[0] == '0' && s[1])
		base = 8, s += 1;
	for (; *s; s++, n++) {
		d = digit_value(*s);
		if (d >= base)
			return 0;
		if (u > (UINT64_MAX - (unsigned)d) / (unsigned)base)
			return 0;
		u = u * (unsigned)base + (unsigned)d;
	}
	if (n == 0)
		return 0;
	if (!neg && u <= INT64_MAX) {
		*iv = (long long)u;
		return 1;
	}
	if (neg && u <= (unsigned long long)INT64_MAX + 1) {
		*iv = u == (unsigned long long)INT64_MAX + 1 ?
			INT64_MIN : -(long long)u;
		return 1;
	}
	return sign ? 0 : 2;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* One or two digits, as Go's time.Parse reads "1" and "2" fields. */
static int small_num(const char **s)
{
	int v;

	if (!is_digit(**s))
		return -1;
	v = *(*s)++ - '0';
	if (is_digit(**s))
		v = v * 10 + (*(*s)++ - '0');
	return v;
}

/* A date-time as go-yaml's parseTimestamp reads it with time.Parse. */
struct stamp {
	int year, month, day, hour, min, sec;
	char frac[10];          /* up to 9 digits, trailing zeros dropped */
	int offset;             /* minutes east of UTC */
};

static bool parse_ymd(const char **s, struct stamp *t)
{
	const char *p = *s;

	for (int i = 0; i < 4; i++)
		if (!is_digit(p[i]))
			return false;
	if (p[4] != '-')
		return false;
	t->year = atoi(p);
	p += 5;
	t->month = small_num(&p);
	if (t->month < 1 || t->month > 12 || *p++ != '-')
		return false;
	t->day = small_num(&p);
	if (t->day < 1 || t->day > days_in_month(t->year, t->month))
		return false;
	*s = p;
	return true;
}

/* "15:4:5" then an optional ".999999999" (or ','), as layout fields. */
static bool parse_clock(const char **s, struct stamp *t)
{
	const char *p = *s;
	size_t n = 0;

	t->hour = small_num(&p);
	if (t->hour < 0 || t->hour > 23 || *p++ != ':')
		return false;
	t->min = small_num(&p);
	if (t->min < 0 || t->min > 59 || *p++ != ':')
		return false;
	t->sec = small_num(&p);
	if (t->sec < 0 || t->sec > 59)
		return false;
	if ((*p == '.' || *p == ',') && is_digit(p[1])) {
		/* time.Parse reads every digit and keeps nine. */
		for (p++; is_digit(*p); p++)
			if (n < 9)
				t->frac[n++] = *p;
		while (n && t->frac[n - 1] == '0')
			n--;
	}
	t->frac[n] = '\0';
	*s = p;
	return true;
}

/* "Z" or "+hh:mm", where time.Parse takes hours up to 24 and minutes up
 * to 60 ("+01:60" is +02:00). */
static bool parse_zone(const char **s, struct stamp *t)
{
	const char *p = *s;
	int h, m;

	if (*p == 'Z') {
		*s = p + 1;
		return true;
	}
	if ((*p != '+' && *p != '-') || !is_digit(p[1]) || !is_digit(p[2]) ||
	    p[3] != ':' || !is_digit(p[4]) || !is_digit(p[5]))
		return false;
	h = (p[1] - '0') * 10 + (p[2] - '0');
	m = (p[4] - '0') * 10 + (p[5] - '0');
	if (h > 24 || m > 60)
		return false;
	t->offset = (*p == '-' ? -1 : 1) * (h * 60 + m);
	*s = p + 6;
	return true;
}

/* The RFC 3339 text time.Time marshals to. */
static void format_stamp(const struct stamp *t, char out[48])
{
	int n = snprintf(out, 48, "%04d-%02d-%02dT%02d:%02d:%02d%s%s",
			 t->year, t->month, t->day, t->hour, t->min, t->sec,
			 t->frac[0] ? "." : "", t->frac);
	int a = abs(t->offset);

	if (t->offset == 0)
		snprintf(out + n, (size_t)(48 - n), "Z");
	else
		snprintf(out + n, (size_t)(48 - n), "%c%02d:%02d",
			 t->offset < 0 ? '-' : '+', a / 60, a % 60);
}

/*
 * go-yaml's timestamp forms: "2006-1-2", "2006-1-2T15:4:5.999999999Z07:00"
 * (also with 't') and "2006-1-2 15:4:5.999999999" (UTC). Returns 1 with
 * the JSON text in out, 0 when v is no timestamp, -1 for an offset of a
 * day or more, which time.Parse takes and encoding/json refuses.
 */
static int parse_timestamp(const char *v, char out[48])
{
	struct stamp t = { 0 };
	const char *p = v;
	char sep;

	if (!parse_ymd(&p, &t))
		return 0;
	sep = *p;
	if (sep == 'T' || sep == 't' || sep == ' ') {
		p++;
		if (!parse_clock(&p, &t))
			return 0;
		if (sep != ' ' && !parse_zone(&p, &t))
			return 0;
	}
	if (*p)
		return 0;
	if (abs(t.offset) >= 24 * 60)
		return -1;
	format_stamp(&t, out);
	return 1;
}

static char *strip_underscores(const char *v)
{
	char *p = malloc(strlen(v) + 1), *w = p;

	if (!p)
		return NULL;
	for (; *v; v++)
		if (*v != '_')
			*w++ = *v;
	*w = '\0';
	return p;
}

/* Numbers and dates: plain scalars starting with a digit or a sign. */
static int resolve_numeric(const char *v, json_t **out, const char **why)
{
	char date[48], *plain;
	long long iv;
	double fv;
	int r;

	/* A timestamp becomes a time.Time, which marshals as a string. */
	r = parse_timestamp(v, date);
	if (r < 0) {
		*why = "a time zone offset of 24 hours cannot be stored "
		       "in JSON";
		return ERR_INVALID;
	}
	if (r > 0)
		return (*out = json_string(date)) ? 0 : ERR_NOMEM;
	plain = strip_underscores(v);
	if (!plain)
		return ERR_NOMEM;
	r = parse_int(plain, &iv);
	if (r == 1)
		*out = json_integer(iv);
	else if (r == 0 && float_syntax(plain) && parse_float(plain, &fv))
		*out = json_real(fv);
	else if (r == 0)
		*out = json_string(v);
	free(plain);
	if (r == 2) {
		*why = "integers above 2^63-1 in parameters are not supported";
		return ERR_UNSUPPORTED;
	}
	return *out ? 0 : ERR_NOMEM;
}

static int resolve_plain(const char *v, json_t **out, const char **why)
{
	double fv;

	if (in_list(v, null_words))
		*out = json_null();
	else if (in_list(v, true_words))
		*out = json_true();
	else if (in_list(v, false_words))
		*out = json_false();
	else if (in_list(v, nonfinite_words)) {
		*why = "NaN and infinity cannot be stored in JSON";
		return ERR_INVALID;
	} else if (!strcmp(v, "<<")) {
		*why = "merge keys ('<<') are not supported";
		return ERR_UNSUPPORTED;
	} else if (v[0] == '.' && float_syntax(v) && parse_float(v, &fv))
		*out = json_real(fv);
	else if (is_digit(v[0]) || v[0] == '+' || v[0] == '-')
		return resolve_numeric(v, out, why);
	else
		*out = json_string(v);
	return *out ? 0 : ERR_NOMEM;
}

int kitfile_yaml_scalar(const char *v, size_t len, bool plain, json_t **out,
			const char **why)
{
	*out = NULL;
	*why = "out of memory";
	if (memchr(v, '\0', len)) {
		*why = "NUL characters are not supported";
		return ERR_INVALID;
	}
	if (!plain)
		return (*out = json_stringn(v, len)) ? 0 : ERR_NOMEM;
	return resolve_plain(v, out, why);
}

bool kitfile_yaml_plain_is_string(const char *v)
{
	const char *why;
	json_t *j = NULL;
	bool str;

	if (kitfile_yaml_scalar(v, strlen(v), true, &j, &why))
		return false;
	str = json_is_string(j) && !strcmp(json_string_value(j), v);
	json_decref(j);
	return str;
}

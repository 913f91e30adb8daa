/* CVSS base scores: v3 equations and the v4.0 MacroVector method. */
#include "vuln/cvss.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/err.h"

/* One metric's accepted values; the vector keeps each chosen letter. */
struct metric {
	const char *name;
	const char *values;   /* one letter per value */
	bool mandatory;
};

#define MAX_METRICS 32

struct vec {
	char val[MAX_METRICS];    /* 0 when not given */
};

static int vec_parse(const char *s, const struct metric *m, size_t nm,
		     struct vec *v)
{
	char buf[CVSS_MAX_VECTOR + 1], *save = NULL, *tok;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (strlen(s) > CVSS_MAX_VECTOR)
		return err_set(ERR_INVALID, "cvss: vector too long");
	strcpy(buf, s);
	for (tok = strtok_r(buf, "/", &save); tok;
	     tok = strtok_r(NULL, "/", &save)) {
		char *colon = strchr(tok, ':');

		if (!colon || strlen(colon + 1) != 1)
			return err_set(ERR_INVALID, "cvss: bad metric '%.16s'"
				       " in '%.80s'", tok, s);
		*colon = '\0';
		for (i = 0; i < nm && strcmp(m[i].name, tok); i++)
			;
		if (i == nm || !strchr(m[i].values, colon[1]) || v->val[i])
			return err_set(ERR_INVALID, "cvss: unknown or "
				       "repeated metric '%.16s' in '%.80s'",
				       tok, s);
		v->val[i] = colon[1];
	}
	for (i = 0; i < nm; i++)
		if (m[i].mandatory && !v->val[i])
			return err_set(ERR_INVALID, "cvss: base metric '%s' "
				       "missing in '%.80s'", m[i].name, s);
	return 0;
}

/* CVSS v3 ---------------------------------------------------------- */

enum { V3_AV, V3_AC, V3_PR, V3_UI, V3_S, V3_C, V3_I, V3_A };

static const struct metric v3_metrics[] = {
	{ "AV", "NALP", true }, { "AC", "LH", true }, { "PR", "NLH", true },
	{ "UI", "NR", true }, { "S", "UC", true }, { "C", "HLN", true },
	{ "I", "HLN", true }, { "A", "HLN", true },
	/* Temporal and environmental metrics are accepted, not scored. */
	{ "E", "XUPFH", false }, { "RL", "XOTWU", false },
	{ "RC", "XURC", false }, { "CR", "XLMH", false },
	{ "IR", "XLMH", false }, { "AR", "XLMH", false },
	{ "MAV", "XNALP", false }, { "MAC", "XLH", false },
	{ "MPR", "XNLH", false }, { "MUI", "XNR", false },
	{ "MS", "XUC", false }, { "MC", "XNLH", false },
	{ "MI", "XNLH", false }, { "MA", "XNLH", false },
};

/* v3.1 Roundup: the smallest one-decimal number >= x, float-safe. */
static double roundup31(double x)
{
	long long i = llround(x * 100000.0);

	if (i % 10000 == 0)
		return (double)i / 100000.0;
	return (floor((double)i / 10000.0) + 1.0) / 10.0;
}

static double v3_cia(char c)
{
	return c == 'H' ? 0.56 : c == 'L' ? 0.22 : 0.0;
}

static double v3_base(const struct vec *v, bool v31)
{
	bool changed = v->val[V3_S] == 'C';
	double av, ac, pr, ui, iss, impact, expl, sum;

	av = v->val[V3_AV] == 'N' ? 0.85 : v->val[V3_AV] == 'A' ? 0.62
	   : v->val[V3_AV] == 'L' ? 0.55 : 0.2;
	ac = v->val[V3_AC] == 'L' ? 0.77 : 0.44;
	pr = v->val[V3_PR] == 'N' ? 0.85 : v->val[V3_PR] == 'L'
	   ? (changed ? 0.68 : 0.62) : (changed ? 0.5 : 0.27);
	ui = v->val[V3_UI] == 'N' ? 0.85 : 0.62;
	iss = 1.0 - (1.0 - v3_cia(v->val[V3_C])) *
	      (1.0 - v3_cia(v->val[V3_I])) * (1.0 - v3_cia(v->val[V3_A]));
	impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15)
			 : 6.42 * iss;
	expl = 8.22 * av * ac * pr * ui;
	if (impact <= 0)
		return 0.0;
	sum = changed ? 1.08 * (impact + expl) : impact + expl;
	if (sum > 10.0)
		sum = 10.0;
	return v31 ? roundup31(sum) : ceil(sum * 10.0) / 10.0;
}

/* CVSS v4.0 --------------------------------------------------------- */

enum { AV, AC, AT, PR, UI, VC, VI, VA, SC, SI, SA, E, CR, IR, AR, MAV,
       MAC, MAT, MPR, MUI, MVC, MVI, MVA, MSC, MSI, MSA, V4_N };

static const struct metric v4_metrics[] = {
	{ "AV", "NALP", true }, { "AC", "LH", true }, { "AT", "NP", true },
	{ "PR", "NLH", true }, { "UI", "NPA", true }, { "VC", "HLN", true },
	{ "VI", "HLN", true }, { "VA", "HLN", true }, { "SC", "HLN", true },
	{ "SI", "HLN", true }, { "SA", "HLN", true }, { "E", "XAPU", false },
	{ "CR", "XHML", false }, { "IR", "XHML", false },
	{ "AR", "XHML", false }, { "MAV", "XNALP", false },
	{ "MAC", "XLH", false }, { "MAT", "XNP", false },
	{ "MPR", "XNLH", false }, { "MUI", "XNPA", false },
	{ "MVC", "XHLN", false }, { "MVI", "XHLN", false },
	{ "MVA", "XHLN", false }, { "MSC", "XHLN", false },
	{ "MSI", "XSHLN", false }, { "MSA", "XSHLN", false },
	/* Supplemental metrics never change the score. */
	{ "S", "XNP", false }, { "AU", "XNY", false },
	{ "R", "XAUI", false }, { "V", "XDC", false },
	{ "RE", "XLMH", false }, { "U", "X", false },
};

/*
 * The specification's table of MacroVector scores (EQ1..EQ6 digits),
 * in tenths; the 270 combinations that exist.
 */
static const struct { char mv[7]; unsigned char score; } v4_table[] = {
#include "vuln/cvss4_table.inc"
};

/* Effective value: the modified metric when set, worst case for X. */
static char v4_eff(const struct vec *v, int m)
{
	static const int modified[] = { [AV] = MAV, [AC] = MAC, [AT] = MAT,
		[PR] = MPR, [UI] = MUI, [VC] = MVC, [VI] = MVI, [VA] = MVA,
		[SC] = MSC, [SI] = MSI, [SA] = MSA };
	char c;

	if (m <= SA) {
		c = v->val[modified[m]];
		if (c && c != 'X')
			return c;
		return v->val[m];
	}
	c = v->val[m];
	if (!c || c == 'X')
		return m == E ? 'A' : 'H';
	return c;
}

static void v4_macro(const struct vec *v, int eq[6])
{
	char av = v4_eff(v, AV), pr = v4_eff(v, PR), ui = v4_eff(v, UI);
	char vc = v4_eff(v, VC), vi = v4_eff(v, VI), va = v4_eff(v, VA);
	char msi = v4_eff(v, SI), msa = v4_eff(v, SA), e = v4_eff(v, E);
	int n = (av == 'N') + (pr == 'N') + (ui == 'N');

	eq[0] = n == 3 ? 0 : (n > 0 && av != 'P') ? 1 : 2;
	eq[1] = v4_eff(v, AC) == 'L' && v4_eff(v, AT) == 'N' ? 0 : 1;
	eq[2] = vc == 'H' && vi == 'H' ? 0
	      : (vc == 'H' || vi == 'H' || va == 'H') ? 1 : 2;
	eq[3] = msi == 'S' || msa == 'S' ? 0
	      : (v4_eff(v, SC) == 'H' || msi == 'H' || msa == 'H') ? 1 : 2;
	eq[4] = e == 'A' ? 0 : e == 'P' ? 1 : 2;
	eq[5] = (v4_eff(v, CR) == 'H' && vc == 'H') ||
		(v4_eff(v, IR) == 'H' && vi == 'H') ||
		(v4_eff(v, AR) == 'H' && va == 'H') ? 0 : 1;
}

/* The MacroVector's score, or NAN when that combination does not exist. */
static double v4_lookup(const int eq[6])
{
	char mv[7];

	for (int i = 0; i < 6; i++)
		mv[i] = (char)('0' + eq[i]);
	mv[6] = '\0';
	for (size_t i = 0; i < sizeof(v4_table) / sizeof(v4_table[0]); i++)
		if (!memcmp(v4_table[i].mv, mv, 7))
			return v4_table[i].score / 10.0;
	return NAN;
}

/*
 * Severity level of a value within its metric, in steps of 0.1. The
 * literals are the specification's so the sums round as its calculator's.
 */
static double v4_level(int m, char c)
{
	static const double step[] = { 0.0, 0.1, 0.2, 0.3 };
	static const struct { int m; const char *order; int off; } l[] = {
		{ AV, "NALP", 0 }, { PR, "NLH", 0 }, { UI, "NPA", 0 },
		{ AC, "LH", 0 }, { AT, "NP", 0 }, { VC, "HLN", 0 },
		{ VI, "HLN", 0 }, { VA, "HLN", 0 }, { SC, "HLN", 1 },
		{ SI, "SHLN", 0 }, { SA, "SHLN", 0 }, { CR, "HML", 0 },
		{ IR, "HML", 0 }, { AR, "HML", 0 }, { E, "APU", 0 },
	};
	const char *at;

	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++) {
		if (l[i].m != m)
			continue;
		at = strchr(l[i].order, c);
		return at && c ? step[at - l[i].order + l[i].off] : 0.0;
	}
	return 0.0;
}

/*
 * The highest-severity vectors of each MacroVector part, written as
 * metric letters: EQ1 (AV PR UI), EQ2 (AC AT), EQ3+EQ6 (VC VI VA CR IR
 * AR), EQ4 (SC SI SA). EQ5 is E itself.
 */
static const char *const max_eq1[3][4] = {
	{ "NNN" }, { "ANN", "NLN", "NNP" }, { "PNN", "ALP" } };
static const char *const max_eq2[2][3] = { { "LN" }, { "HN", "LP" } };
static const char *const max_eq36[3][2][6] = {
	{ { "HHHHHH" }, { "HHLMMH", "HHHMMM" } },
	{ { "LHHHHH", "HLHHHH" },
	  { "LHLHMH", "LHHHMM", "HLHMHM", "HLLMHH", "LLHHHM" } },
	{ { NULL }, { "LLLHHH" } } };
static const char *const max_eq4[3] = { "HSS", "HHH", "LLL" };

static const int eq1_m[] = { AV, PR, UI }, eq2_m[] = { AC, AT };
static const int eq36_m[] = { VC, VI, VA, CR, IR, AR };
static const int eq4_m[] = { SC, SI, SA };

/* Sum of distances of v's metrics from a max vector; <0 when above it. */
static double v4_dist(const struct vec *v, const int *ms, size_t n,
		      const char *max, bool *below)
{
	double sum = 0, d;

	for (size_t i = 0; i < n; i++) {
		d = v4_level(ms[i], v4_eff(v, ms[i])) -
		    v4_level(ms[i], max[i]);
		if (d < 0)
			*below = false;
		sum += d;
	}
	return sum;
}

/* Find the first max-vector combination v is not above; fill distances. */
static void v4_distances(const struct vec *v, const int eq[6], double d[4])
{
	const char *const *m1 = max_eq1[eq[0]], *const *m2 = max_eq2[eq[1]];
	const char *const *m3 = max_eq36[eq[2]][eq[5]];

	for (int a = 0; a < 4 && m1[a]; a++)
		for (int b = 0; b < 3 && m2[b]; b++)
			for (int c = 0; c < 6 && m3[c]; c++) {
				bool ok = true;

				d[0] = v4_dist(v, eq1_m, 3, m1[a], &ok);
				d[1] = v4_dist(v, eq2_m, 2, m2[b], &ok);
				d[2] = v4_dist(v, eq36_m, 6, m3[c], &ok);
				d[3] = v4_dist(v, eq4_m, 3, max_eq4[eq[3]],
					       &ok);
				if (ok)
					return;
			}
}

/* The next lower MacroVector's score for EQ3+EQ6, taking the higher path. */
static double v4_lower36(const int eq[6])
{
	int l[6], r[6];

	memcpy(l, eq, sizeof(l));
	memcpy(r, eq, sizeof(r));
	if (eq[2] == 0 && eq[5] == 0) {
		l[5]++;
		r[2]++;
		return fmax(v4_lookup(l), v4_lookup(r));
	}
	if (eq[2] == 1 && eq[5] == 0)
		l[5]++;
	else if (eq[5] == 1 && eq[2] < 2)
		l[2]++;
	else {
		l[2]++;
		l[5]++;
	}
	return v4_lookup(l);
}

static double v4_base(const struct vec *v)
{
	static const double depth1[] = { 1, 4, 5 }, depth2[] = { 1, 2 };
	static const double depth36[3][2] = { { 7, 6 }, { 8, 8 }, { 0, 10 } };
	static const double depth4[] = { 6, 5, 4 };
	int eq[6], low[6];
	double value, lower[5], dist[4] = { 0 }, depth[4], sum = 0, x;
	int n = 0;

	if (v4_eff(v, VC) == 'N' && v4_eff(v, VI) == 'N' &&
	    v4_eff(v, VA) == 'N' && v4_eff(v, SC) == 'N' &&
	    v4_eff(v, SI) == 'N' && v4_eff(v, SA) == 'N')
		return 0.0;
	v4_macro(v, eq);
	value = v4_lookup(eq);
	for (int i = 0; i < 5; i++) {
		memcpy(low, eq, sizeof(low));
		if (i == 2) {
			lower[i] = v4_lower36(eq);
			continue;
		}
		low[i]++;
		lower[i] = v4_lookup(low);
	}
	v4_distances(v, eq, dist);
	depth[0] = depth1[eq[0]] * 0.1;
	depth[1] = depth2[eq[1]] * 0.1;
	depth[2] = depth36[eq[2]][eq[5]] * 0.1;
	depth[3] = depth4[eq[3]] * 0.1;
	for (int i = 0; i < 5; i++) {
		if (isnan(lower[i]))
			continue;
		n++;
		/* EQ5 has no distance within its MacroVector. */
		if (i < 4)
			sum += (value - lower[i]) * (dist[i] / depth[i]);
	}
	x = n ? value - sum / n : value;
	x = fmax(0.0, fmin(10.0, x));
	return floor(x * 10.0 + 0.5) / 10.0;
}

int cvss_score(const char *vector, double *score)
{
	struct vec v;
	int rc;

	if (!strncmp(vector, "CVSS:3.0/", 9) ||
	    !strncmp(vector, "CVSS:3.1/", 9)) {
		rc = vec_parse(vector + 9, v3_metrics,
			       sizeof(v3_metrics) / sizeof(v3_metrics[0]), &v);
		if (rc)
			return rc;
		*score = v3_base(&v, vector[7] == '1');
		return 0;
	}
	if (!strncmp(vector, "CVSS:4.0/", 9)) {
		rc = vec_parse(vector + 9, v4_metrics,
			       sizeof(v4_metrics) / sizeof(v4_metrics[0]), &v);
		if (rc)
			return rc;
		*score = v4_base(&v);
		return 0;
	}
	return err_set(ERR_UNSUPPORTED, "cvss: unsupported vector '%.40s'",
		       vector);
}

const char *cvss_band(double score)
{
	if (score >= 9.0)
		return "critical";
	if (score >= 7.0)
		return "high";
	if (score >= 4.0)
		return "medium";
	if (score >= 0.1)
		return "low";
	return "none";
}

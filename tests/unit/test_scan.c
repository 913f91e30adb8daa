/* Unit tests for the scan engine: report, output, and pickle opcodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "scan/engine.h"
#include "scan/scan.h"
#include "util/err.h"

/* Scan a literal byte string; the report is the test's to free. */
#define SCAN_LIT(lit) scan_lit(lit, sizeof(lit) - 1)

static struct scan_report *scan_lit(const char *p, size_t n)
{
	struct scan_report *r = scan_report_new();
	struct scan_opts o = { 0 };

	assert_non_null(r);
	assert_int_equal(scan_buffer(r, p, n, "t.pkl", &o), 0);
	return r;
}

static const char *first_rule(const struct scan_report *r)
{
	const struct scan_finding *f = scan_report_finding(r, 0);

	return f ? f->rule : "";
}

static bool has_rule(const struct scan_report *r, const char *rule)
{
	for (size_t i = 0; i < scan_report_n_findings(r); i++)
		if (!strcmp(scan_report_finding(r, i)->rule, rule))
			return true;
	return false;
}

static bool complete(const struct scan_report *r)
{
	return !scan_report_incomplete(r);
}

/* ---- report ---- */

static void test_empty_report_is_clean(void **state)
{
	struct scan_report *r = scan_report_new();

	assert_int_equal(scan_report_verdict(r), SCAN_CLEAN);
	assert_int_equal(scan_report_exit_status(r, SCAN_HIGH), 0);
	assert_int_equal(scan_report_max_severity(r), -1);
	scan_report_free(r);
}

static void test_finding_at_threshold_wins_over_incomplete(void **state)
{
	struct scan_report *r = scan_report_new();
	struct scan_file *f = scan_add_file(r, "a", "pickle");

	scan_file_incomplete(f, "first %d", 1);
	scan_file_incomplete(f, "second");
	assert_string_equal(f->reason, "first 1");
	assert_int_equal(scan_report_exit_status(r, SCAN_HIGH), 2);
	assert_int_equal(scan_report_verdict(r), SCAN_INCOMPLETE);
	assert_int_equal(scan_add(r, "pickle-global-denied", SCAN_HIGH, "a",
				  NULL, "x"), 0);
	assert_int_equal(scan_report_exit_status(r, SCAN_HIGH), 1);
	assert_int_equal(scan_report_exit_status(r, SCAN_CRITICAL), 2);
	assert_int_equal(scan_report_verdict(r), SCAN_INCOMPLETE);
	scan_add(r, "pickle-global-dangerous", SCAN_CRITICAL, "a", NULL, "y");
	assert_int_equal(scan_report_verdict(r), SCAN_MALICIOUS);
	scan_report_free(r);
}

static void test_medium_finding_is_suspicious_but_passes(void **state)
{
	struct scan_report *r = scan_report_new();

	scan_add_file(r, "a", "zip");
	scan_add(r, "zip-crc-mismatch", SCAN_MEDIUM, "a", NULL, "crc");
	assert_int_equal(scan_report_verdict(r), SCAN_SUSPICIOUS);
	assert_int_equal(scan_report_exit_status(r, SCAN_HIGH), 0);
	assert_int_equal(scan_report_exit_status(r, SCAN_MEDIUM), 1);
	scan_report_free(r);
}

static void test_severity_parse_rejects_unknown(void **state)
{
	enum scan_severity s;

	assert_int_equal(scan_severity_parse("medium", &s), 0);
	assert_int_equal(s, SCAN_MEDIUM);
	assert_int_equal(scan_severity_parse("severe", &s), ERR_INVALID);
}

static void test_dep_finding_is_copied_into_json(void **state)
{
	struct scan_report *r = scan_report_new();
	char pkg[] = "requests", ver[] = "2.0.0", id[] = "CVE-2024-1";
	char ghsa[] = "GHSA-xxxx", fix[] = "2.0.1";
	char *alias[] = { ghsa }, *fixed[] = { fix };
	struct scan_dep d = { .package = pkg, .version = ver, .id = id,
			      .aliases = alias, .n_aliases = 1,
			      .fixed = fixed, .n_fixed = 1,
			      .score = -1, .line = 3 };
	char *out = NULL;

	assert_int_equal(scan_add_dep(r, "dep-vulnerable", SCAN_HIGH,
				      "requirements.txt", &d, "vuln %s",
				      d.id), 0);
	assert_int_equal(scan_report_render(r, SCAN_FORMAT_JSON, &out), 0);
	assert_non_null(strstr(out, "\"package\": \"requests\""));
	assert_non_null(strstr(out, "\"aliases\": [\n"));
	assert_non_null(strstr(out, "\"fixed\""));
	assert_non_null(strstr(out, "\"verdict\": \"suspicious\""));
	free(out);
	assert_int_equal(scan_report_render(r, SCAN_FORMAT_SARIF, &out), 0);
	assert_non_null(strstr(out, "\"version\": \"2.1.0\""));
	assert_non_null(strstr(out, "\"ruleId\": \"dep-vulnerable\""));
	free(out);
	scan_report_free(r);
}

/* ---- globals ---- */

static void test_allowed_global_is_clean(void **state)
{
	struct scan_report *r = SCAN_LIT("\x80\x02"
					 "ccollections\nOrderedDict\n)R.");

	assert_int_equal(scan_report_n_findings(r), 0);
	assert_true(complete(r));
	scan_report_free(r);
}

static void test_unknown_global_is_denied_high(void **state)
{
	struct scan_report *r = SCAN_LIT("cmystery\nthing\n.");

	assert_string_equal(first_rule(r), "pickle-global-denied");
	assert_int_equal(scan_report_finding(r, 0)->severity, SCAN_HIGH);
	scan_report_free(r);
}

static void test_posix_alias_is_os_system(void **state)
{
	struct scan_report *r = SCAN_LIT("cposix\nsystem\n(S'id'\ntR.");

	assert_string_equal(first_rule(r), "pickle-global-dangerous");
	assert_non_null(strstr(scan_report_finding(r, 0)->message,
				"'os.system'"));
	assert_true(complete(r));
	scan_report_free(r);
}

static void test_py2_mapping_only_below_protocol_3(void **state)
{
	struct scan_report *r = SCAN_LIT("ccommands\ngetoutput\n.");
	struct scan_report *r4 = SCAN_LIT("\x80\x04\x8c\x08" "commands"
					  "\x8c\x09getoutput\x93.");

	assert_string_equal(first_rule(r), "pickle-global-dangerous");
	assert_non_null(strstr(scan_report_finding(r, 0)->message,
				"subprocess.getoutput"));
	assert_string_equal(first_rule(r4), "pickle-global-denied");
	scan_report_free(r);
	scan_report_free(r4);
}

static void test_dunder_component_refused(void **state)
{
	struct scan_report *r = SCAN_LIT(
		"\x80\x04\x8c\x0b" "collections\x8c\x15OrderedDict.__class__"
		"\x93.");

	assert_string_equal(first_rule(r), "pickle-global-dunder");
	assert_int_equal(scan_report_finding(r, 0)->severity, SCAN_CRITICAL);
	scan_report_free(r);
}

static void test_dotted_name_reaching_os(void **state)
{
	struct scan_report *r = SCAN_LIT(
		"\x80\x04\x8c\x05numpy\x8c\x10testing.os.popen\x93.");

	assert_string_equal(first_rule(r), "pickle-global-dangerous");
	scan_report_free(r);
}

static void test_inst_and_obj_are_checked(void **state)
{
	struct scan_report *r = SCAN_LIT("(S'id'\nios\nsystem\n.");
	struct scan_report *o = SCAN_LIT("(cbuiltins\nexec\nS'1'\no.");

	assert_string_equal(first_rule(r), "pickle-global-dangerous");
	assert_string_equal(first_rule(o), "pickle-global-dangerous");
	assert_true(complete(r));
	assert_true(complete(o));
	scan_report_free(r);
	scan_report_free(o);
}

static void test_ext_opcodes_are_critical(void **state)
{
	struct scan_report *r = SCAN_LIT("\x80\x02\x83\x01\x02)R.");

	assert_string_equal(first_rule(r), "pickle-ext-opcode");
	scan_report_free(r);
}

/* ---- provenance ---- */

static void test_stack_global_operand_from_call(void **state)
{
	struct scan_report *r = SCAN_LIT(
		"\x80\x04\x8c\x08" "builtins\x8c\x03str\x93\x8c\x02os\x85R"
		"\x8c\x06system\x93.");

	assert_true(has_rule(r, "pickle-stack-global-nonliteral"));
	scan_report_free(r);
}

static void test_stack_global_escaped_string_operands(void **state)
{
	struct scan_report *r = SCAN_LIT("S'o\\x73'\nS'sys\\164em'\n\x93.");

	assert_string_equal(first_rule(r), "pickle-global-dangerous");
	scan_report_free(r);
}

static void test_call_on_call_result(void **state)
{
	struct scan_report *r = SCAN_LIT("\x80\x04\x8c\x08" "builtins"
					 "\x8c\x04" "dict\x93)R)R.");

	assert_string_equal(first_rule(r), "pickle-call-nonliteral");
	scan_report_free(r);
}

static void test_build_on_global(void **state)
{
	struct scan_report *r = SCAN_LIT("ccollections\nOrderedDict\n}b.");

	assert_string_equal(first_rule(r), "pickle-build-on-global");
	scan_report_free(r);
}

/* ---- memo, marks, frames ---- */

static void test_memoize_uses_count_of_entries(void **state)
{
	/* PUT 7 'collections'; MEMOIZE 'os' lands at index 1, not 8. */
	struct scan_report *r = SCAN_LIT(
		"\x80\x04\x8c\x0b" "collections" "r\x07\x00\x00\x00"
		"\x8c\x02os\x94" "0" "h\x01\x8c\x06system\x93.");

	assert_string_equal(first_rule(r), "pickle-global-dangerous");
	scan_report_free(r);
}

static void test_memo_get_missing_is_incomplete(void **state)
{
	struct scan_report *r = SCAN_LIT("\x80\x02h\x05.");

	assert_false(complete(r));
	assert_non_null(strstr(scan_report_file(r, 0)->reason,
			       "memo value not found"));
	scan_report_free(r);
}

static void test_memo_index_limit_is_incomplete(void **state)
{
	struct scan_report *r = SCAN_LIT("\x80\x02Nr\xff\xff\xff\x7f.");

	assert_false(complete(r));
	assert_non_null(strstr(scan_report_file(r, 0)->reason,
			       "memo index"));
	scan_report_free(r);
}

static void test_pop_consumes_mark_like_cpython(void **state)
{
	/* MARK, POP drops the mark, so STOP has nothing to pop. */
	struct scan_report *r = SCAN_LIT("\x80\x02(0.");

	assert_false(complete(r));
	assert_non_null(strstr(scan_report_file(r, 0)->reason, "underflow"));
	scan_report_free(r);
}

static void test_tuple_cannot_reach_below_mark(void **state)
{
	struct scan_report *r = SCAN_LIT("\x80\x02K\x01(\x85.");

	assert_false(complete(r));
	scan_report_free(r);
}

static void test_frame_straddle_is_reported(void **state)
{
	struct scan_report *r = SCAN_LIT(
		"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00\x8c\x02os.");

	assert_string_equal(first_rule(r), "pickle-frame-violation");
	assert_int_equal(scan_report_finding(r, 0)->severity, SCAN_MEDIUM);
	scan_report_free(r);
}

static void test_frame_past_end_is_incomplete(void **state)
{
	struct scan_report *r = SCAN_LIT(
		"\x80\x04\x95\xff\x00\x00\x00\x00\x00\x00\x00N.");

	assert_false(complete(r));
	scan_report_free(r);
}

static void test_protocol_6_is_incomplete(void **state)
{
	struct scan_report *r = SCAN_LIT("\x80\x06N.");

	/* 0x80 0x06 is not sniffed as a pickle header: trial parse fails
	 * before importing anything, so it is plain data. */
	assert_true(complete(r));
	assert_string_equal(scan_report_file(r, 0)->format, "data");
	scan_report_free(r);
	r = SCAN_LIT("\x80\x02\x80\x06N.");
	assert_false(complete(r));
	assert_non_null(strstr(scan_report_file(r, 0)->reason,
			       "unsupported pickle protocol"));
	scan_report_free(r);
}

/* ---- streams ---- */

static void test_findings_before_parse_error_are_kept(void **state)
{
	struct scan_report *r = SCAN_LIT("\x80\x02" "cos\nsystem\n\xff");

	assert_string_equal(first_rule(r), "pickle-global-dangerous");
	assert_false(complete(r));
	assert_int_equal(scan_report_exit_status(r, SCAN_HIGH), 1);
	scan_report_free(r);
}

static void test_second_stream_is_analysed(void **state)
{
	struct scan_report *r = SCAN_LIT("\x80\x02N.\x80\x02" "cos\nsystem\n.");

	assert_string_equal(first_rule(r), "pickle-global-dangerous");
	assert_true(complete(r));
	scan_report_free(r);
}

static void test_python_source_is_not_an_inst_opcode(void **state)
{
	struct scan_report *r = SCAN_LIT("import subprocess\nsubprocess.run("
					 "['id'])\n");

	assert_int_equal(scan_report_n_findings(r), 0);
	assert_true(complete(r));
	scan_report_free(r);
}

static void test_text_naming_unknown_global_then_failing(void **state)
{
	/* Reads as GLOBAL cuda.notes, then fails: text, not a pickle. */
	struct scan_report *r = SCAN_LIT("cuda\nnotes\nmore text\n");

	assert_int_equal(scan_report_n_findings(r), 0);
	assert_string_equal(scan_report_file(r, 0)->format, "text");
	scan_report_free(r);
	/* The same import followed by a call is a pickle: reported. */
	r = SCAN_LIT("cuda\nnotes\n)R\xff");
	assert_string_equal(first_rule(r), "pickle-global-denied");
	assert_false(complete(r));
	scan_report_free(r);
}

static void test_text_is_not_a_pickle(void **state)
{
	struct scan_report *r = SCAN_LIT("In the beginning was the word.\n");

	assert_int_equal(scan_report_n_findings(r), 0);
	assert_true(complete(r));
	assert_string_equal(scan_report_file(r, 0)->format, "text");
	scan_report_free(r);
}

static void test_torch_legacy_magic_by_value(void **state)
{
	struct scan_report *r = SCAN_LIT(
		"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."
		"\x80\x02M\xe9\x03.\x80\x02}.\x80\x02}."
		"\x80\x02]."
		"raw storage bytes that are not a pickle");

	assert_string_equal(scan_report_file(r, 0)->format,
			    "pytorch-legacy");
	assert_int_equal(scan_report_n_findings(r), 0);
	assert_true(complete(r));
	scan_report_free(r);
}

static void test_invalid_utf8_names_render_as_json(void **state)
{
	struct scan_report *r = SCAN_LIT("cmod\xff\xfe\nname\n)R.");
	char *out = NULL;

	assert_string_equal(first_rule(r), "pickle-global-denied");
	assert_non_null(strstr(scan_report_finding(r, 0)->message,
			       "'mod??.name'"));
	assert_int_equal(scan_report_render(r, SCAN_FORMAT_JSON, &out), 0);
	free(out);
	assert_int_equal(scan_report_render(r, SCAN_FORMAT_SARIF, &out), 0);
	free(out);
	scan_report_free(r);
}

static void test_kitfile_framework_selects_profiles(void **state)
{
	unsigned bit;

	assert_int_equal(scan_profiles_for_framework("PyTorch"),
			 SCAN_PROFILE_BASE | SCAN_PROFILE_TORCH |
			 SCAN_PROFILE_NUMPY);
	assert_int_equal(scan_profiles_for_framework("tensorflow"), 0);
	assert_int_equal(scan_profiles_for_framework(NULL), 0);
	assert_int_equal(scan_profile_parse("sklearn", &bit), 0);
	assert_int_equal(bit, SCAN_PROFILE_SKLEARN);
	assert_int_equal(scan_profile_parse("keras", &bit), ERR_INVALID);
}

static void test_torch_legacy_truncated_is_incomplete(void **state)
{
	/* Magic, then only two of the four streams that must follow. */
	struct scan_report *r = SCAN_LIT(
		"\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19."
		"\x80\x02M\xe9\x03.\x80\x02}.");

	assert_false(complete(r));
	scan_report_free(r);
}

static void test_hash_covers_whole_file(void **state)
{
	struct scan_report *r = SCAN_LIT("abc");

	assert_string_equal(scan_report_file(r, 0)->sha256,
			    "ba7816bf8f01cfea414140de5dae2223"
			    "b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(scan_report_file(r, 0)->size, 3);
	scan_report_free(r);
}

/* ---- the reader without a digest ---- */

struct count_src {
	uint64_t size, off, read, skipped;
};

static int count_read(void *ctx, uint8_t *p, size_t n, size_t *got)
{
	struct count_src *s = ctx;
	uint64_t left = s->size - s->off;

	*got = n < left ? n : (size_t)left;
	memset(p, 'x', *got);
	s->off += *got;
	s->read += *got;
	return 0;
}

static int count_skip(void *ctx, uint64_t n, uint64_t *done)
{
	struct count_src *s = ctx;
	uint64_t left = s->size - s->off;

	*done = n < left ? n : left;
	s->off += *done;
	s->skipped += *done;
	return 0;
}

static void test_rd_no_digest_seeks_over_skips_and_drain(void **state)
{
	struct count_src src = { .size = 64u << 20 };
	struct scan_rd rd;
	char hex[SHA256_HEX_LEN + 1];
	uint8_t b[16];

	assert_int_equal(scan_rd_init(&rd, count_read, &src, "t"), 0);
	scan_rd_no_digest(&rd, count_skip);
	assert_int_equal(scan_rd_read(&rd, b, sizeof(b)), 0);
	assert_int_equal(scan_rd_skip(&rd, 32u << 20), 0);
	assert_int_equal(scan_rd_offset(&rd), (32u << 20) + 16);
	assert_int_equal(scan_rd_read(&rd, b, sizeof(b)), 0);
	assert_int_equal(scan_rd_drain(&rd), 0);
	assert_int_equal(scan_rd_offset(&rd), 64u << 20);
	assert_true(src.read <= 2 * SCAN_RD_BUF);
	assert_true(src.skipped >= (64u << 20) - 2 * SCAN_RD_BUF);
	scan_rd_digest(&rd, hex);
	assert_string_equal(hex, "");
	scan_rd_release(&rd);
}

static void test_rd_seek_past_end_is_truncation(void **state)
{
	struct count_src src = { .size = 1u << 20 };
	struct scan_rd rd;
	uint8_t b[4];

	assert_int_equal(scan_rd_init(&rd, count_read, &src, "t"), 0);
	scan_rd_no_digest(&rd, count_skip);
	assert_int_equal(scan_rd_read(&rd, b, sizeof(b)), 0);
	assert_int_equal(scan_rd_skip(&rd, 2u << 20), ERR_INVALID);
	assert_non_null(strstr(err_msg(), "truncated"));
	assert_int_equal(scan_rd_offset(&rd), 1u << 20);
	/* The stream stays ended: nothing more can be read. */
	assert_int_equal(scan_rd_read(&rd, b, 1), ERR_INVALID);
	scan_rd_release(&rd);
}

static void test_rd_with_digest_reads_every_byte(void **state)
{
	struct count_src src = { .size = 8u << 20 };
	struct scan_rd rd;
	char hex[SHA256_HEX_LEN + 1];

	assert_int_equal(scan_rd_init(&rd, count_read, &src, "t"), 0);
	rd.skip = count_skip;     /* ignored while hashing */
	assert_int_equal(scan_rd_skip(&rd, 4u << 20), 0);
	assert_int_equal(scan_rd_drain(&rd), 0);
	assert_int_equal(src.read, 8u << 20);
	assert_int_equal(src.skipped, 0);
	scan_rd_digest(&rd, hex);
	assert_int_equal(strlen(hex), SHA256_HEX_LEN);
	scan_rd_release(&rd);
}

static void test_no_digest_leaves_sha256_empty_and_json_null(void **state)
{
	struct scan_report *r = scan_report_new();
	struct scan_opts o = { .no_digest = true };
	char *out = NULL;

	assert_non_null(r);
	assert_int_equal(scan_buffer(r, "abc", 3, "t.txt", &o), 0);
	assert_string_equal(scan_report_file(r, 0)->sha256, "");
	assert_int_equal(scan_report_file(r, 0)->size, 3);
	assert_int_equal(scan_report_render(r, SCAN_FORMAT_JSON, &out), 0);
	assert_non_null(strstr(out, "\"sha256\": null"));
	free(out);
	assert_int_equal(scan_report_render(r, SCAN_FORMAT_SARIF, &out), 0);
	assert_null(strstr(out, "sha-256"));
	free(out);
	scan_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_report_is_clean),
		cmocka_unit_test(
			test_finding_at_threshold_wins_over_incomplete),
		cmocka_unit_test(test_medium_finding_is_suspicious_but_passes),
		cmocka_unit_test(test_severity_parse_rejects_unknown),
		cmocka_unit_test(test_dep_finding_is_copied_into_json),
		cmocka_unit_test(test_allowed_global_is_clean),
		cmocka_unit_test(test_unknown_global_is_denied_high),
		cmocka_unit_test(test_posix_alias_is_os_system),
		cmocka_unit_test(test_py2_mapping_only_below_protocol_3),
		cmocka_unit_test(test_dunder_component_refused),
		cmocka_unit_test(test_dotted_name_reaching_os),
		cmocka_unit_test(test_inst_and_obj_are_checked),
		cmocka_unit_test(test_ext_opcodes_are_critical),
		cmocka_unit_test(test_stack_global_operand_from_call),
		cmocka_unit_test(test_stack_global_escaped_string_operands),
		cmocka_unit_test(test_call_on_call_result),
		cmocka_unit_test(test_build_on_global),
		cmocka_unit_test(test_memoize_uses_count_of_entries),
		cmocka_unit_test(test_memo_get_missing_is_incomplete),
		cmocka_unit_test(test_memo_index_limit_is_incomplete),
		cmocka_unit_test(test_pop_consumes_mark_like_cpython),
		cmocka_unit_test(test_tuple_cannot_reach_below_mark),
		cmocka_unit_test(test_frame_straddle_is_reported),
		cmocka_unit_test(test_frame_past_end_is_incomplete),
		cmocka_unit_test(test_protocol_6_is_incomplete),
		cmocka_unit_test(test_findings_before_parse_error_are_kept),
		cmocka_unit_test(test_second_stream_is_analysed),
		cmocka_unit_test(test_python_source_is_not_an_inst_opcode),
		cmocka_unit_test(test_text_naming_unknown_global_then_failing),
		cmocka_unit_test(test_text_is_not_a_pickle),
		cmocka_unit_test(test_torch_legacy_magic_by_value),
		cmocka_unit_test(test_invalid_utf8_names_render_as_json),
		cmocka_unit_test(test_kitfile_framework_selects_profiles),
		cmocka_unit_test(test_torch_legacy_truncated_is_incomplete),
		cmocka_unit_test(test_hash_covers_whole_file),
		cmocka_unit_test(
			test_rd_no_digest_seeks_over_skips_and_drain),
		cmocka_unit_test(test_rd_seek_past_end_is_truncation),
		cmocka_unit_test(test_rd_with_digest_reads_every_byte),
		cmocka_unit_test(
			test_no_digest_leaves_sha256_empty_and_json_null),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

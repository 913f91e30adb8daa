/* Helpers shared by the format analysers: bounded reads, fail-closed
 * errors, strict JSON and the text checks every text-bearing format runs. */
#ifndef STELE_SCAN_FMT_UTIL_H
#define STELE_SCAN_FMT_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "scan/scan.h"

/* OWASP Top 10 for LLM Applications 2025 ids used by the analysers. */
#define OWASP_PROMPT_INJECTION "LLM01:2025"
#define OWASP_SENSITIVE_INFO "LLM02:2025"
#define OWASP_SUPPLY_CHAIN "LLM03:2025"
#define OWASP_POISONING "LLM04:2025"

/* Read exactly n bytes at off. A short read is ERR_INVALID (truncated),
 * a failing read ERR_IO; the message names f's path and the offset. */
int scan_fmt_pread(const struct scan_file *f, int fd, uint64_t off,
		   void *p, size_t n);

/* Read n bytes at off into a new NUL-terminated allocation (*out). */
int scan_fmt_read_alloc(const struct scan_file *f, int fd, uint64_t off,
			size_t n, char **out);

/* Fail closed: set the error message, mark f incomplete with the same
 * reason, return code. */
int scan_fmt_fail(struct scan_file *f, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Strict JSON: duplicate keys refused, whole input consumed. NULL and
 * err_set(ERR_INVALID) naming path, line and column on error. */
json_t *scan_fmt_json(const char *path, const char *text, size_t len);

/* Where a text came from; decides how loud hidden Unicode is. */
enum scan_text_ctx {
	SCAN_TEXT_TEMPLATE,   /* chat template or system prompt */
	SCAN_TEXT_CONFIG,     /* model or tokenizer configuration */
	SCAN_TEXT_VOCAB,      /* tokenizer vocabulary: odd tokens are normal */
	SCAN_TEXT_DOC,        /* documentation and other text */
};

/*
 * Hidden Unicode (invisible characters, bidirectional controls, tag
 * characters) and secrets in len bytes of text found at byte offset base
 * of f. Invalid UTF-8 is not an error here (binary-ish metadata is
 * common); it is simply skipped. Returns 0 or ERR_NOMEM.
 */
int scan_fmt_check_text(struct scan_report *r, struct scan_file *f,
			const char *s, size_t len, uint64_t base,
			enum scan_text_ctx ctx);

/* Secrets only (used on streamed chunks and on JSON string values). */
int scan_fmt_check_secrets(struct scan_report *r, struct scan_file *f,
			   const char *s, size_t len, uint64_t base);

/* Hidden Unicode only. */
int scan_fmt_check_unicode(struct scan_report *r, struct scan_file *f,
			   const char *s, size_t len, uint64_t base,
			   enum scan_text_ctx ctx);

#endif

/* Format analysers the scan walker dispatches to: one pure function per
 * model or text format, reading a regular file through its descriptor. */
#ifndef STELE_SCAN_FORMATS_H
#define STELE_SCAN_FORMATS_H

#include <stddef.h>
#include <stdint.h>

#include "scan/scan.h"

/*
 * Every analyser has the same contract:
 * - fd is an open regular file of size bytes; it is read with pread() only
 *   (the file offset is not used) and only the parts that can carry code or
 *   structure are read; tensor payloads are skipped by offset.
 * - findings go to r through scan_add() with f->path as their path;
 * - when any limit is reached, the input is truncated or malformed, or a
 *   construct is not supported, f is marked incomplete (fail closed) and a
 *   negative err_code is returned with err_set(): ERR_INVALID (malformed),
 *   ERR_LIMIT (a named limit), ERR_UNSUPPORTED, ERR_IO or ERR_NOMEM.
 * - 0 means the whole file was analysed; its findings may still be severe.
 * Nothing is printed; r and f stay owned by the caller.
 */
int scan_fmt_safetensors(struct scan_report *r, struct scan_file *f, int fd,
			 uint64_t size);
int scan_fmt_gguf(struct scan_report *r, struct scan_file *f, int fd,
		  uint64_t size);
int scan_fmt_onnx(struct scan_report *r, struct scan_file *f, int fd,
		  uint64_t size);
/* A Keras HDF5 file: the root group's model_config attribute. */
int scan_fmt_h5(struct scan_report *r, struct scan_file *f, int fd,
		uint64_t size);
/* A TensorFlow saved_model.pb: op names of the graph and its functions. */
int scan_fmt_savedmodel(struct scan_report *r, struct scan_file *f, int fd,
			uint64_t size);
/* tf_keras's keras_metadata.pb: the JSON document of every node. */
int scan_fmt_keras_metadata(struct scan_report *r, struct scan_file *f,
			    int fd, uint64_t size);
/* A Jinja chat template: a .jinja file, or chat_template.json /
 * tokenizer_config.json whose chat_template member is checked. */
int scan_fmt_chat_template(struct scan_report *r, struct scan_file *f,
			   int fd, uint64_t size);
/* A Hugging Face config.json / tokenizer_config.json: auto_map and
 * trust_remote_code, plus the chat template when there is one. */
int scan_fmt_hf_config(struct scan_report *r, struct scan_file *f, int fd,
		       uint64_t size);
/* Python source (the files auto_map names, custom code): calls that
 * execute code, start processes, load native code or use the network;
 * plus hidden Unicode and secrets. */
int scan_fmt_python(struct scan_report *r, struct scan_file *f, int fd,
		    uint64_t size);
/* Any other text (docs, prompts, tokenizer files): hidden Unicode and
 * secrets. */
int scan_fmt_text(struct scan_report *r, struct scan_file *f, int fd,
		  uint64_t size);

/* In-memory entry points, used by the file analysers above and by the
 * fuzz targets. text is len bytes, not NUL-terminated. */
int scan_fmt_keras_config(struct scan_report *r, struct scan_file *f,
			  const char *text, size_t len);
int scan_fmt_keras_training_config(struct scan_report *r,
				   struct scan_file *f, const char *text,
				   size_t len);
/* Documents already parsed (keras_metadata.pb's, gathered in one array):
 * every object in the tree is checked, each finding reported once. */
struct json_t;
int scan_fmt_keras_tree(struct scan_report *r, struct scan_file *f,
			struct json_t *root);
int scan_fmt_template_text(struct scan_report *r, struct scan_file *f,
			   const char *text, size_t len, uint64_t base);

enum scan_fmt_kind {
	SCAN_FMT_UNKNOWN,
	SCAN_FMT_SAFETENSORS,
	SCAN_FMT_GGUF,
	SCAN_FMT_ONNX,
	SCAN_FMT_KERAS,
	SCAN_FMT_H5,
	SCAN_FMT_SAVEDMODEL,
	SCAN_FMT_KERAS_METADATA,
	SCAN_FMT_CHAT_TEMPLATE,
	SCAN_FMT_HF_CONFIG,
	SCAN_FMT_TEXT,
	SCAN_FMT_PYTHON,
};

/* How many leading bytes scan_fmt_sniff() wants to see. */
#define SCAN_FMT_SNIFF_LEN 4096

/*
 * Recognise one of the formats above from the first n bytes of a file.
 * Binary formats are decided by content alone (magic numbers, structure);
 * name (base name or archive member name, may be NULL) is only a hint to
 * tell JSON and text files apart (config vs tokenizer vs template) and to
 * pick ONNX/SavedModel among protobuf files. A .keras zip is recognised
 * by its member names in the local header. SCAN_FMT_TEXT is the fallback
 * for any UTF-8 content without NUL bytes, so the walker should try its
 * own formats first (a protocol-0 pickle is ASCII). Returns
 * SCAN_FMT_UNKNOWN when none matches.
 */
enum scan_fmt_kind scan_fmt_sniff(const uint8_t *head, size_t n,
				  const char *name);

/* The format name stored in scan_file.format ("safetensors", ...). */
const char *scan_fmt_name(enum scan_fmt_kind k);

/*
 * Run the analyser for kind; ERR_UNSUPPORTED for SCAN_FMT_UNKNOWN and
 * SCAN_FMT_KERAS (a .keras zip is read by the walker's zip reader, which
 * hands its config.json to scan_fmt_keras_config()).
 */
int scan_fmt_run(enum scan_fmt_kind k, struct scan_report *r,
		 struct scan_file *f, int fd, uint64_t size);

#endif

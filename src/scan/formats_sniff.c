/* Content sniffing for the formats in formats.h. Binary formats are
 * decided by bytes alone; the name only separates kinds of JSON and text
 * and breaks the tie between the two protobuf formats. */
#include "scan/formats.h"

#include <string.h>
#include <strings.h>

#include "util/err.h"
#include "util/utf8.h"

static const char *base_name(const char *name)
{
	const char *s, *b;

	if (!name)
		return "";
	s = strrchr(name, '/');
	b = strrchr(name, '!');
	if (b && (!s || b > s))
		s = b;
	return s ? s + 1 : name;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcasecmp(s + n - m, suffix);
}

static bool is_safetensors(const uint8_t *h, size_t n)
{
	uint64_t len = 0;
	size_t i = 9;

	if (n < 10)
		return false;
	for (int k = 7; k >= 0; k--)
		len = len << 8 | h[k];
	while (i < n && (h[i] == ' ' || h[i] == '\n'))
		i++;
	return len >= 2 && h[8] == '{' && i < n && (h[i] == '"' ||
						     h[i] == '}');
}

static bool is_hdf5(const uint8_t *h, size_t n)
{
	static const uint8_t sig[8] = { 0x89, 'H', 'D', 'F', '\r', '\n',
					0x1a, '\n' };

	/* The superblock may follow a user block of 512 * 2^k bytes. */
	for (size_t off = 0; off + 8 <= n; off = off ? off * 2 : 512)
		if (!memcmp(h + off, sig, 8))
			return true;
	return false;
}

static bool is_keras_zip(const uint8_t *h, size_t n, const char *base)
{
	if (n < 30 || memcmp(h, "PK\x03\x04", 4))
		return false;
	if (ends_with(base, ".keras"))
		return true;
	/* First member's name: Keras writes metadata.json, config.json and
	 * model.weights.h5 at the top level. */
	return (n >= 30 + 13 && !memcmp(h + 30, "metadata.json", 13)) ||
	       (n >= 30 + 11 && !memcmp(h + 30, "config.json", 11));
}

/* tf_keras's SavedMetadata: field 1 (a node) comes first, and a node
 * starts with its id (field 2) or path (field 3); the identifier that
 * follows names the tf_keras kind of the object. */
static bool is_keras_metadata(const uint8_t *h, size_t n, const char *base)
{
	size_t i = 1;

	if (n < 16 || h[0] != 0x0a)
		return false;
	while (i < 6 && h[i] & 0x80)
		i++;
	if (i == 6 || (h[i + 1] != 0x10 && h[i + 1] != 0x1a))
		return false;
	return !strcmp(base, "keras_metadata.pb") ||
	       memmem(h, n < 64 ? n : 64, "_tf_keras_", 10);
}

/* Reads a protobuf varint of at most 5 bytes (lengths under 4 GiB) at
 * h[*i]; false when it does not end inside the sniffed bytes. */
static bool head_varint(const uint8_t *h, size_t n, size_t *i, uint64_t *v)
{
	*v = 0;
	for (int k = 0; k < 5 && *i < n; k++) {
		uint8_t b = h[(*i)++];

		*v |= (uint64_t)(b & 0x7f) << (7 * k);
		if (!(b & 0x80))
			return true;
	}
	return false;
}

/* SavedModel by structure: schema version 1, then meta_graphs (field 2)
 * whose first field is meta_info_def (1) or graph_def (2), itself a
 * message whose first field is length-delimited. This is what
 * tf.saved_model.save and Keras' export write; ONNX's ModelProto never
 * has ir_version 1 in files onnxruntime loads. */
static bool is_savedmodel(const uint8_t *h, size_t n)
{
	size_t i = 3;
	uint64_t len, inner;

	if (n < 8 || h[1] != 1 || h[2] != 0x12 ||
	    !head_varint(h, n, &i, &len) || i >= n ||
	    (h[i] != 0x0a && h[i] != 0x12))
		return false;
	i++;
	if (!head_varint(h, n, &i, &inner) || inner == 0 || inner >= len ||
	    i >= n)
		return false;
	return (h[i] & 7) == 2 && h[i] >> 3 >= 1;
}

/* A protobuf that starts with field 1 as a varint: ir_version for ONNX
 * (3 and up), saved_model_schema_version (1) for SavedModel. */
static enum scan_fmt_kind protobuf_kind(const uint8_t *h, size_t n,
					const char *base)
{
	if (is_keras_metadata(h, n, base))
		return SCAN_FMT_KERAS_METADATA;
	if (n < 4 || h[0] != 0x08 || h[1] & 0x80)
		return SCAN_FMT_UNKNOWN;
	if (ends_with(base, ".onnx"))
		return SCAN_FMT_ONNX;
	if (!strcmp(base, "saved_model.pb") || is_savedmodel(h, n))
		return SCAN_FMT_SAVEDMODEL;
	if (h[1] == 1 && h[2] == 0x12)
		return ends_with(base, ".pb") ? SCAN_FMT_SAVEDMODEL :
		       SCAN_FMT_UNKNOWN;
	if (h[1] >= 3 && h[1] <= 32 && (h[2] == 0x12 || h[2] == 0x1a ||
					h[2] == 0x3a || h[2] == 0x42))
		return SCAN_FMT_ONNX;
	return SCAN_FMT_UNKNOWN;
}

static bool is_text(const uint8_t *h, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t k;

		if (h[i] == 0)
			return false;
		k = utf8_decode(h + i, n - i, &cp);
		/* A sequence cut by the end of the sniffed bytes is fine. */
		if (k == 0 && n - i >= 4)
			return false;
		if (k == 0)
			break;
		i += k;
	}
	return n > 0;
}

static enum scan_fmt_kind text_kind(const uint8_t *h, size_t n,
				    const char *base)
{
	size_t i = 0;
	bool json;

	while (i < n && strchr(" \t\r\n", h[i]) && h[i])
		i++;
	json = i < n && h[i] == '{';
	if (ends_with(base, ".jinja") || ends_with(base, ".j2") ||
	    !strcmp(base, "chat_template.json"))
		return SCAN_FMT_CHAT_TEMPLATE;
	if (json && (!strcmp(base, "config.json") ||
		     !strcmp(base, "tokenizer_config.json") ||
		     !strcmp(base, "generation_config.json") ||
		     !strcmp(base, "processor_config.json") ||
		     !strcmp(base, "preprocessor_config.json") ||
		     memmem(h, n, "\"auto_map\"", 10) ||
		     memmem(h, n, "\"chat_template\"", 15) ||
		     memmem(h, n, "\"trust_remote_code\"", 19)))
		return SCAN_FMT_HF_CONFIG;
	if (ends_with(base, ".py"))
		return SCAN_FMT_PYTHON;
	return SCAN_FMT_TEXT;
}

enum scan_fmt_kind scan_fmt_sniff(const uint8_t *head, size_t n,
				  const char *name)
{
	const char *base = base_name(name);
	enum scan_fmt_kind k;

	if (n >= 4 && !memcmp(head, "GGUF", 4))
		return SCAN_FMT_GGUF;
	if (is_hdf5(head, n))
		return SCAN_FMT_H5;
	if (is_keras_zip(head, n, base))
		return SCAN_FMT_KERAS;
	if (is_safetensors(head, n))
		return SCAN_FMT_SAFETENSORS;
	k = protobuf_kind(head, n, base);
	if (k != SCAN_FMT_UNKNOWN)
		return k;
	if (is_text(head, n))
		return text_kind(head, n, base);
	return SCAN_FMT_UNKNOWN;
}

const char *scan_fmt_name(enum scan_fmt_kind k)
{
	static const char *const names[] = {
		[SCAN_FMT_UNKNOWN] = "unknown",
		[SCAN_FMT_SAFETENSORS] = "safetensors",
		[SCAN_FMT_GGUF] = "gguf",
		[SCAN_FMT_ONNX] = "onnx",
		[SCAN_FMT_KERAS] = "keras",
		[SCAN_FMT_H5] = "keras-h5",
		[SCAN_FMT_SAVEDMODEL] = "tf-savedmodel",
		[SCAN_FMT_KERAS_METADATA] = "keras-metadata",
		[SCAN_FMT_CHAT_TEMPLATE] = "chat-template",
		[SCAN_FMT_HF_CONFIG] = "hf-config",
		[SCAN_FMT_TEXT] = "text",
		[SCAN_FMT_PYTHON] = "python",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] :
	       "unknown";
}

int scan_fmt_run(enum scan_fmt_kind k, struct scan_report *r,
		 struct scan_file *f, int fd, uint64_t size)
{
	switch (k) {
	case SCAN_FMT_SAFETENSORS: return scan_fmt_safetensors(r, f, fd, size);
	case SCAN_FMT_GGUF: return scan_fmt_gguf(r, f, fd, size);
	case SCAN_FMT_ONNX: return scan_fmt_onnx(r, f, fd, size);
	case SCAN_FMT_H5: return scan_fmt_h5(r, f, fd, size);
	case SCAN_FMT_SAVEDMODEL: return scan_fmt_savedmodel(r, f, fd, size);
	case SCAN_FMT_KERAS_METADATA:
		return scan_fmt_keras_metadata(r, f, fd, size);
	case SCAN_FMT_CHAT_TEMPLATE:
		return scan_fmt_chat_template(r, f, fd, size);
	case SCAN_FMT_HF_CONFIG: return scan_fmt_hf_config(r, f, fd, size);
	case SCAN_FMT_TEXT: return scan_fmt_text(r, f, fd, size);
	case SCAN_FMT_PYTHON: return scan_fmt_python(r, f, fd, size);
	case SCAN_FMT_KERAS:
	case SCAN_FMT_UNKNOWN:
		break;
	}
	return err_set(ERR_UNSUPPORTED, "'%s': no format analyser", f->path);
}

/* Rule ids and summaries; docs/scan-rules.md explains each with a fix. */
#include "scan/rules.h"

#include <stddef.h>
#include <string.h>

const struct scan_rule scan_rules[] = {
	{ "pickle-global-dangerous", SCAN_CRITICAL,
	  "A pickle imports a callable known to execute code, spawn "
	  "processes, touch files or the network." },
	{ "pickle-global-denied", SCAN_HIGH,
	  "A pickle imports a global that no allowlist in force permits." },
	{ "pickle-global-dunder", SCAN_CRITICAL,
	  "A pickle global name has a dunder component, used to reach "
	  "interpreter internals." },
	{ "pickle-stack-global-nonliteral", SCAN_CRITICAL,
	  "STACK_GLOBAL takes a module or name that is not a literal "
	  "string, so the import cannot be known statically." },
	{ "pickle-ext-opcode", SCAN_CRITICAL,
	  "EXT1/EXT2/EXT4 import a global through the copyreg extension "
	  "registry, hiding its name." },
	{ "pickle-call-nonliteral", SCAN_CRITICAL,
	  "A call opcode invokes something that is not an imported global "
	  "(the result of another call)." },
	{ "pickle-build-on-global", SCAN_CRITICAL,
	  "BUILD sets attributes on an imported class or function rather "
	  "than on a new object." },
	{ "pickle-frame-violation", SCAN_MEDIUM,
	  "An opcode crosses a FRAME boundary: the Python and C loaders "
	  "disagree on such streams." },
	{ "pickle-persistent-id", SCAN_LOW,
	  "A plain pickle uses persistent ids, which only a custom loader "
	  "resolves." },
	{ "archive-traversal", SCAN_HIGH,
	  "An archive member name is absolute or climbs out with '..'." },
	{ "archive-bomb", SCAN_HIGH,
	  "An archive exceeds the size, ratio, entry or depth limits." },
	{ "archive-duplicate-name", SCAN_HIGH,
	  "Two archive members share a name; loaders disagree on which "
	  "one wins." },
	{ "zip-header-mismatch", SCAN_HIGH,
	  "A zip local header disagrees with its central directory entry." },
	{ "zip-prefix-data", SCAN_MEDIUM,
	  "Bytes precede the first zip member (a polyglot file)." },
	{ "zip-flag-anomaly", SCAN_MEDIUM,
	  "A zip member claims encryption or an unusual method that "
	  "PyTorch ignores while other tools refuse." },
	{ "zip-crc-mismatch", SCAN_MEDIUM,
	  "A zip member's CRC-32 is wrong; PyTorch does not check it." },
	{ "fs-symlink-escape", SCAN_MEDIUM,
	  "A symlink points outside the scanned tree." },
	{ "fs-symlink", SCAN_INFO,
	  "A symlink was not followed." },
	{ "fs-special-file", SCAN_LOW,
	  "A device, FIFO or socket sits in the model tree." },
	{ "npy-object-array", SCAN_INFO,
	  "A NumPy array has dtype object and holds a pickle." },
	{ "torchscript-code", SCAN_MEDIUM,
	  "TorchScript code calls into Python or the operating system." },
	{ "safetensors-header-too-large", SCAN_HIGH,
	  "The 8-byte length is above the loader's 100 MB cap, past the "
	  "end of the file, or below 2." },
	{ "safetensors-header-invalid", SCAN_HIGH,
	  "The header is not strict JSON, not an object, or a tensor "
	  "entry is not exactly dtype, shape, data_offsets; "
	  "__metadata__ is not a string map." },
	{ "safetensors-duplicate-key", SCAN_HIGH,
	  "A key appears twice: parsers disagree on which one wins." },
	{ "safetensors-offsets-invalid", SCAN_HIGH,
	  "Sorted by start, the tensors do not tile the data section "
	  "exactly (gap, overlap, past the end, trailing bytes)." },
	{ "safetensors-dtype-shape-mismatch", SCAN_HIGH,
	  "Dtype x shape is not the byte length of data_offsets." },
	{ "gguf-header-invalid", SCAN_HIGH,
	  "Bad magic or version, counts larger than the file could "
	  "hold, unknown value type, string or array running past the "
	  "end, more than 4 dimensions, element count or byte size "
	  "overflow." },
	{ "gguf-duplicate-key", SCAN_HIGH,
	  "A metadata key appears twice." },
	{ "gguf-duplicate-tensor", SCAN_HIGH,
	  "Two tensor infos share a name." },
	{ "gguf-tensor-out-of-bounds", SCAN_HIGH,
	  "A tensor's extent leaves the data section." },
	{ "gguf-tensor-overlap", SCAN_HIGH,
	  "Two tensors share bytes." },
	{ "gguf-alignment-invalid", SCAN_HIGH,
	  "General.alignment is not a u32 power of two, or a tensor "
	  "offset is not a multiple of it." },
	{ "onnx-invalid", SCAN_HIGH,
	  "The protobuf is malformed (bad tag, group wire type, length "
	  "past its message)." },
	{ "onnx-external-data", SCAN_INFO,
	  "A tensor is read from a file next to the model (scan that "
	  "file too)." },
	{ "onnx-external-data-absolute", SCAN_HIGH,
	  "Location is absolute (/etc/passwd, C:\\..., \\\\host)." },
	{ "onnx-external-data-traversal", SCAN_HIGH,
	  "Location has a .. component (either separator)." },
	{ "onnx-external-data-link", SCAN_HIGH,
	  "Location is a symbolic link next to a model on disk." },
	{ "onnx-python-op", SCAN_CRITICAL,
	  "A PyOp/PythonOp or Python domain (onnxruntime-extensions) "
	  "runs Python on load." },
	{ "onnx-custom-domain", SCAN_HIGH,
	  "An operator domain that is neither standard, ONNX Runtime "
	  "contrib nor a function defined in the model: it needs a "
	  "native custom-op library." },
	{ "keras-config-invalid", SCAN_HIGH,
	  "The model config is not strict JSON or has no top-level "
	  "class_name." },
	{ "keras-lambda-layer", SCAN_CRITICAL,
	  "A Lambda layer (or __lambda__, function_type: lambda) "
	  "carries Python bytecode." },
	{ "keras-module-not-allowed", SCAN_CRITICAL,
	  "Module outside keras/tf_keras (os, builtins, ...), or a "
	  "function reference outside keras.activations/losses/metrics." },
	{ "keras-class-not-allowed", SCAN_HIGH,
	  "Class_name outside the allowlist of Keras layers, "
	  "initializers, regularizers, constraints, optimizers, losses, "
	  "metrics and dtype policies, or a function name outside the "
	  "activation/loss list." },
	{ "keras-custom-object", SCAN_HIGH,
	  "Registered_name names a custom registered object "
	  "(package>Name): code from outside the file." },
	{ "keras-loader-gadget", SCAN_CRITICAL,
	  "A Keras object that escapes safe mode: TFSMLayer, "
	  "TorchModuleWrapper (unpickles), JaxLayer/FlaxLayer, "
	  "get_file, load_model, enable_unsafe_deserialization, "
	  "load_weights." },
	{ "keras-file-reference", SCAN_HIGH,
	  "A StringLookup/IntegerLookup/TextVectorization vocabulary "
	  "given as a file path (read at load)." },
	{ "h5-invalid", SCAN_HIGH,
	  "The HDF5 structures leading to model_config are malformed "
	  "(address outside the file, bad signature, truncated file)." },
	{ "savedmodel-invalid", SCAN_HIGH,
	  "Malformed saved_model.pb protobuf." },
	{ "savedmodel-python-op", SCAN_CRITICAL,
	  "PyFunc, PyFuncStateless, EagerPyFunc: Python runs when the "
	  "graph runs." },
	{ "savedmodel-file-op", SCAN_HIGH,
	  "ReadFile, WriteFile, MatchingFiles, ImmutableConst, file "
	  "datasets, summary writers." },
	{ "savedmodel-network-op", SCAN_HIGH,
	  "RpcServer, RpcClient, RpcCall." },
	{ "savedmodel-unknown-op", SCAN_HIGH,
	  "An op outside TensorFlow's op registry that names no library "
	  "function: loading needs a custom-op library (native code)." },
	{ "savedmodel-checkpoint-op", SCAN_INFO,
	  "SaveV2, RestoreV2, MergeV2Checkpoints (every saver graph has "
	  "them)." },
	{ "template-dunder-access", SCAN_CRITICAL,
	  "__name__ in an expression or a string used in one "
	  "(__class__, __globals__): the sandbox escape." },
	{ "template-attr-filter", SCAN_HIGH,
	  "|attr(...): attribute access by computed name." },
	{ "template-globals-access", SCAN_CRITICAL,
	  "A Jinja/Flask global (cycler, joiner, lipsum, self, config, "
	  "request, ...) used as a name, or an escape word (popen, "
	  "subclasses, builtins, eval, ...)." },
	{ "template-content-branch", SCAN_MEDIUM,
	  "An if on message content against a plain-word literal "
	  "(special tokens such as </think> are not counted)." },
	{ "template-literal-url", SCAN_MEDIUM,
	  "An http(s):// URL in the template." },
	{ "template-encoded-blob", SCAN_HIGH,
	  "An 80+ character base64-like run." },
	{ "template-instruction-override", SCAN_MEDIUM,
	  "\"ignore previous instructions\" and similar." },
	{ "template-hidden-instruction", SCAN_HIGH,
	  "A content branch together with a URL, a blob or an override: "
	  "a trigger-activated backdoor." },
	{ "hf-config-invalid", SCAN_MEDIUM,
	  "Not strict JSON (duplicate keys refused)." },
	{ "hf-auto-map", SCAN_HIGH,
	  "Auto_map makes transformers import the named Python files "
	  "(listed in the message) under trust_remote_code." },
	{ "hf-remote-code-repo", SCAN_HIGH,
	  "An auto_map entry (org/repo--module.Class) loads code from "
	  "another repository." },
	{ "hf-trust-remote-code", SCAN_HIGH,
	  "Trust_remote_code: true in the config." },
	{ "python-exec", SCAN_HIGH,
	  "Exec, eval, compile, marshal.loads, building functions from "
	  "code objects." },
	{ "python-process", SCAN_HIGH,
	  "Os.system, os.popen, os.exec*, os.spawn*, os.fork, "
	  "subprocess, pty.spawn (call or import)." },
	{ "python-native-code", SCAN_HIGH,
	  "Ctypes, cffi." },
	{ "python-network", SCAN_MEDIUM,
	  "Socket, urllib.request, urlopen, requests, http.client, "
	  "httpx." },
	{ "python-dynamic-import", SCAN_HIGH,
	  "__import__, importlib.import_module." },
	{ "text-unicode-tag", SCAN_HIGH,
	  "U+E0000..E007F tag characters: invisible ASCII (\"ASCII "
	  "smuggling\")." },
	{ "text-bidi-control", SCAN_HIGH,
	  "U+202A..202E, U+2066..2069 reorder what a reviewer sees." },
	{ "text-invisible-unicode", SCAN_HIGH,
	  "Zero-width and other invisible characters (U+200B..200F, "
	  "U+2060..2064, U+FEFF not at the start, U+00AD, Hangul "
	  "fillers, variation selectors supplement)." },
	{ "secret-aws-access-key", SCAN_HIGH,
	  "A credential in text: AKIA/ASIA/ABIA/ACCA + 16 base32 "
	  "characters; the documented ...EXAMPLE key is ignored." },
	{ "secret-github-token", SCAN_HIGH,
	  "A credential in text: ghp_/gho_/ghu_/ghs_/ghr_ + 36 or more, "
	  "github_pat_ + 60 or more." },
	{ "secret-huggingface-token", SCAN_HIGH,
	  "A credential in text: hf_ + exactly 34 letters mixing cases "
	  "like a random token (CamelCase identifiers are not)." },
	{ "secret-openai-key", SCAN_HIGH,
	  "A credential in text: sk-proj-/sk-svcacct-/sk-admin- + 40 or "
	  "more, or a legacy sk- key with the T3BlbkFJ marker." },
	{ "secret-slack-token", SCAN_HIGH,
	  "A credential in text: xoxb-/xoxp-/xoxa-/... with numeric "
	  "segments." },
	{ "secret-private-key", SCAN_HIGH,
	  "A credential in text: -----BEGIN ... PRIVATE KEY----- "
	  "followed by at least 64 base64 characters." },
	{ "secret-google-api-key", SCAN_HIGH,
	  "A credential in text: AIza + exactly 35 of [A-Za-z0-9_-]." },
	{ "secret-stripe-key", SCAN_HIGH,
	  "A credential in text: sk_live_/rk_live_ + 24 or more "
	  "alphanumerics." },
	{ NULL, SCAN_INFO, NULL },
};

const struct scan_rule *scan_rule_find(const char *id)
{
	for (const struct scan_rule *r = scan_rules; r->id; r++)
		if (!strcmp(r->id, id))
			return r;
	return NULL;
}

const char *scan_rule_kind(const char *id)
{
	static const char *const llm[] = {
		"template-", "hf-", "python-", "text-", "secret-", NULL
	};

	if (!id)
		return "model";
	if (!strncmp(id, "dep-", 4))
		return "dependency";
	for (const char *const *p = llm; *p; p++)
		if (!strncmp(id, *p, strlen(*p)))
			return "llm";
	return "model";
}

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
	{ "keras-lambda", SCAN_CRITICAL,
	  "A Keras config holds a Lambda layer or serialized lambda whose "
	  "Python code runs at load time." },
	{ "keras-module-dangerous", SCAN_CRITICAL,
	  "A Keras config names a function from a module known to run code "
	  "or reach the system." },
	{ "keras-module-denied", SCAN_HIGH,
	  "A Keras config names a module outside Keras." },
	{ "llm-template-injection", SCAN_CRITICAL,
	  "A chat template uses a Jinja sandbox escape (dunder access, attr "
	  "filters, globals traversal) that runs code when rendered." },
	{ "llm-template-hidden-instruction", SCAN_HIGH,
	  "A chat template branches on message content, embeds a URL or an "
	  "encoded blob: signs of a hidden instruction." },
	{ "llm-remote-code", SCAN_MEDIUM,
	  "A Hugging Face config makes transformers run repository code "
	  "(auto_map, trust_remote_code), or that code uses exec, "
	  "processes or the network." },
	{ "llm-hidden-unicode", SCAN_MEDIUM,
	  "Text holds invisible or bidirectional control characters that "
	  "hide instructions from reviewers." },
	{ "secret-exposed", SCAN_HIGH,
	  "Text holds what looks like a cloud key, API token or private "
	  "key." },
	{ "onnx-external-data", SCAN_HIGH,
	  "An ONNX tensor's external data location is absolute or leaves the "
	  "model directory." },
	{ "onnx-python-op", SCAN_HIGH,
	  "An ONNX node runs Python through a custom-op library (PyOp, "
	  "ai.onnx.contrib)." },
	{ "onnx-custom-domain", SCAN_MEDIUM,
	  "An ONNX node uses a custom op domain served by a native "
	  "library." },
	{ "tf-pyfunc", SCAN_CRITICAL,
	  "A TensorFlow graph uses PyFunc or EagerPyFunc, which run Python "
	  "code." },
	{ "tf-file-op", SCAN_HIGH,
	  "A TensorFlow graph uses an op that reads, writes or lists "
	  "files." },
	{ "safetensors-invalid", SCAN_HIGH,
	  "A safetensors header is malformed, duplicated or its tensors do "
	  "not tile the data section." },
	{ "gguf-invalid", SCAN_HIGH,
	  "A GGUF header is malformed or a tensor lies outside the file." },
	{ NULL, SCAN_INFO, NULL },
};

const struct scan_rule *scan_rule_find(const char *id)
{
	for (const struct scan_rule *r = scan_rules; r->id; r++)
		if (!strcmp(r->id, id))
			return r;
	return NULL;
}

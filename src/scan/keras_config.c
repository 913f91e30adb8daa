/* Keras model configurations (config.json of .keras files, model_config of
 * HDF5 files): every serialized object in the tree is checked against an
 * allowlist of Keras classes; Lambda layers, functions from outside the
 * activation/loss/metric modules, imports from outside Keras, custom
 * registered objects and file-loading gadgets are findings. */
#include "scan/formats.h"

#include <stdlib.h>
#include <string.h>

#include "scan/fmt_util.h"
#include "util/err.h"

#define KC_MAX_DEPTH 64
#define KC_MAX_OBJECTS 200000
#define KC_MAX_TEXT (64u << 20)

/* Sorted for bsearch: classes whose from_config only builds layers,
 * initializers, regularizers, constraints, optimizers and dtype policies. */
static const char *const kc_classes[] = {
	"AUC", "Accuracy", "Activation", "ActivityRegularization", "Adadelta",
	"Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "Add",
	"AdditiveAttention", "AlphaDropout", "Attention", "AugMix",
	"AutoContrast", "Average", "AveragePooling1D", "AveragePooling2D",
	"AveragePooling3D", "BatchNormalization", "Bidirectional",
	"BinaryAccuracy", "BinaryCrossentropy", "BinaryFocalCrossentropy",
	"CategoricalAccuracy", "CategoricalCrossentropy",
	"CategoricalFocalCrossentropy", "CategoricalHinge", "CategoryEncoding",
	"CenterCrop", "Concatenate", "Constant", "Conv1D", "Conv1DTranspose",
	"Conv2D", "Conv2DTranspose", "Conv3D", "Conv3DTranspose", "ConvLSTM1D",
	"ConvLSTM2D", "ConvLSTM3D", "CosineDecay", "CosineDecayRestarts",
	"CosineSimilarity", "Cropping1D", "Cropping2D", "Cropping3D", "CutMix",
	"DTypePolicy", "Dense", "DepthwiseConv1D", "DepthwiseConv2D",
	"Discretization", "Dot", "Dropout", "ELU", "EinsumDense", "Embedding",
	"Equalization", "ExponentialDecay", "F1Score", "FBetaScore",
	"FalseNegatives", "FalsePositives", "Flatten", "FloatDTypePolicy",
	"Ftrl", "Functional", "GRU", "GRUCell", "GaussianDropout",
	"GaussianNoise", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
	"GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
	"GlobalMaxPooling3D", "GlorotNormal", "GlorotUniform",
	"GroupNormalization", "GroupedQueryAttention", "HashedCrossing",
	"Hashing", "HeNormal", "HeUniform", "Hinge", "Huber", "Identity",
	"IdentityInitializer", "InputLayer", "InputSpec", "IntegerLookup",
	"InverseTimeDecay", "IoU", "KLDivergence", "L1", "L1L2", "L2", "LSTM",
	"LSTMCell", "Lamb", "LayerNormalization", "LeakyReLU", "LecunNormal",
	"LecunUniform", "Lion", "LogCosh", "LossScaleOptimizer", "Masking",
	"MaxNorm", "MaxNumBoundingBoxes", "MaxPooling1D", "MaxPooling2D",
	"MaxPooling3D", "Maximum", "Mean", "MeanAbsoluteError",
	"MeanAbsolutePercentageError", "MeanIoU", "MeanMetricWrapper",
	"MeanSquaredError", "MeanSquaredLogarithmicError", "MelSpectrogram",
	"MinMaxNorm", "Minimum", "MixUp", "Model", "MultiHeadAttention",
	"Multiply", "Nadam", "NonNeg", "Normalization", "Ones", "Orthogonal",
	"OrthogonalRegularizer", "PReLU", "Permute", "PiecewiseConstantDecay",
	"Pipeline", "Poisson", "PolynomialDecay", "Precision",
	"PrecisionAtRecall", "QuantizedDTypePolicy",
	"QuantizedFloat8DTypePolicy", "R2Score", "RMSNormalization", "RMSprop",
	"RNN", "RandAugment", "RandomBrightness", "RandomColorDegeneration",
	"RandomColorJitter", "RandomContrast", "RandomCrop",
	"RandomElasticTransform", "RandomErasing", "RandomFlip",
	"RandomGaussianBlur", "RandomGrayscale", "RandomHue", "RandomInvert",
	"RandomNormal", "RandomPerspective", "RandomPosterization",
	"RandomRotation", "RandomSaturation", "RandomSharpness", "RandomShear",
	"RandomTranslation", "RandomUniform", "RandomZoom", "ReLU", "Recall",
	"RecallAtPrecision", "RepeatVector", "Rescaling", "Reshape", "Resizing",
	"ReversibleEmbedding", "RootMeanSquaredError", "SGD", "STFTInitializer",
	"SensitivityAtSpecificity", "SeparableConv1D", "SeparableConv2D",
	"Sequential", "SimpleRNN", "SimpleRNNCell", "Softmax", "Solarization",
	"SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
	"SparseTopKCategoricalAccuracy", "SpatialDropout1D", "SpatialDropout2D",
	"SpatialDropout3D", "SpecificityAtSensitivity", "SpectralNormalization",
	"SquaredHinge", "StackedRNNCells", "StringLookup", "Subtract", "Sum",
	"TensorShape", "TextVectorization", "TimeDistributed",
	"TopKCategoricalAccuracy", "TrueNegatives", "TruePositives",
	"TruncatedNormal", "TypeSpec", "UnitNorm", "UnitNormalization",
	"UpSampling1D", "UpSampling2D", "UpSampling3D", "VarianceScaling",
	"ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Zeros", "__bytes__",
	"__ellipsis__", "__keras_tensor__", "__numpy__", "__slice__",
	"__tensor__", "__tuple__", "__typespec__",
};

/* Functions Keras serializes by name (class_name "function"). */
static const char *const kc_functions[] = {
	"binary_crossentropy", "categorical_crossentropy", "celu", "elu",
	"exponential", "gelu", "glu", "hard_shrink", "hard_sigmoid",
	"hard_silu", "hard_swish", "hard_tanh", "huber", "leaky_relu",
	"linear", "log_sigmoid", "log_softmax", "mean_absolute_error",
	"mean_squared_error", "mish", "relu", "relu6", "selu", "sigmoid",
	"silu", "soft_shrink", "softmax", "softplus", "softsign",
	"sparse_categorical_crossentropy", "sparse_plus", "sparse_sigmoid",
	"sparsemax", "squareplus", "swish", "tanh", "tanh_shrink",
	"threshold",
};

/* Keras classes whose from_config reads files, downloads, or loads other
 * serialized code: each is a way out of safe_mode. */
static const struct {
	const char *name;
	const char *why;
} kc_gadgets[] = {
	{ "TFSMLayer", "loads a TensorFlow SavedModel from a path" },
	{ "TorchModuleWrapper", "unpickles a PyTorch module" },
	{ "JaxLayer", "calls arbitrary functions" },
	{ "FlaxLayer", "calls arbitrary functions" },
	{ "get_file", "downloads a file" },
	{ "load_model", "loads another model" },
	{ "enable_unsafe_deserialization", "turns safe_mode off" },
	{ "load_weights", "reads files" },
};

struct kc {
	struct scan_report *r;
	struct scan_file *f;
	size_t objects;
	bool lambda, module, klass, custom, gadget, fileref;
};

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

static bool in_list(const char *s, const char *const *list, size_t n)
{
	return bsearch(s, list, n, sizeof(*list), cmp_name) != NULL;
}

static bool keras_module(const char *m)
{
	return !strcmp(m, "keras") || !strncmp(m, "keras.", 6) ||
	       !strcmp(m, "tf_keras") || !strncmp(m, "tf_keras.", 9);
}

/* Function references resolve module + name at load time. */
static bool function_module(const char *m)
{
	static const char *const ok[] = {
		"keras.activations", "keras.losses", "keras.metrics",
		"keras.src.activations.activations", "keras.src.losses.losses",
		"keras.src.metrics",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (!strcmp(m, ok[i]))
			return true;
	return false;
}

static void once(struct kc *k, bool *flag, const char *rule,
		 enum scan_severity sev, const char *fmt, const char *a,
		 const char *b)
{
	if (*flag)
		return;
	*flag = true;
	scan_add(k->r, rule, sev, k->f->path, OWASP_SUPPLY_CHAIN,
		 "Keras config: %s '%s'%s%s%s in '%s'", fmt, a,
		 b ? " (" : "", b ? b : "", b ? ")" : "", k->f->path);
}

static const char *str_member(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static void check_gadget(struct kc *k, const char *name)
{
	for (size_t i = 0; i < sizeof(kc_gadgets) / sizeof(kc_gadgets[0]);
	     i++)
		if (!strcmp(name, kc_gadgets[i].name))
			once(k, &k->gadget, "keras-loader-gadget",
			     SCAN_CRITICAL, "object", name, kc_gadgets[i].why);
}

static void check_function(struct kc *k, const json_t *o,
			   const char *module)
{
	const char *fn = str_member(o, "config");

	if (!fn) {
		once(k, &k->klass, "keras-class-not-allowed", SCAN_HIGH,
		     "function reference without a name in module",
		     module ? module : "", NULL);
		return;
	}
	check_gadget(k, fn);
	if (!module || !function_module(module))
		once(k, &k->module, "keras-module-not-allowed", SCAN_CRITICAL,
		     "function", fn, module ? module : "no module");
	else if (!in_list(fn, kc_functions,
			  sizeof(kc_functions) / sizeof(kc_functions[0])))
		once(k, &k->klass, "keras-class-not-allowed", SCAN_HIGH,
		     "function", fn, module);
}

/* Lookup-layer vocabularies given as a string are file paths read at
 * load time (arbitrary file read). */
static void check_vocabulary(struct kc *k, const json_t *o, const char *cls)
{
	const json_t *cfg = json_object_get(o, "config");
	const char *v = str_member(cfg, "vocabulary");

	if (v && (!strcmp(cls, "StringLookup") ||
		  !strcmp(cls, "IntegerLookup") ||
		  !strcmp(cls, "TextVectorization")))
		once(k, &k->fileref, "keras-file-reference", SCAN_HIGH,
		     "vocabulary is read from the file", v, cls);
}

/* tf_keras names its built-in optimizers "Custom>Adam" in HDF5 training
 * configs; only those names map back to the plain class. */
static const char *const kc_tf_optimizers[] = {
	"Adadelta", "Adafactor", "Adagrad", "Adam", "AdamW", "Adamax", "Ftrl",
	"Lion", "Nadam", "RMSprop", "SGD",
};

static const char *class_name(const json_t *o)
{
	const char *cls = str_member(o, "class_name");
	const char *spec = str_member(o, "type_spec");

	if (!strncmp(cls, "Custom>", 7) &&
	    in_list(cls + 7, kc_tf_optimizers, sizeof(kc_tf_optimizers) /
		    sizeof(kc_tf_optimizers[0])))
		return cls + 7;
	/* tf_keras's JSON for a tf.TypeSpec names a registered spec. */
	if (!strcmp(cls, "TypeSpec") && spec && strncmp(spec, "tf.", 3))
		return spec;
	return cls;
}

static void check_object(struct kc *k, const json_t *o)
{
	const char *cls = class_name(o);
	const char *module = str_member(o, "module");
	const char *reg = str_member(o, "registered_name");
	const json_t *cfg = json_object_get(o, "config");

	if (!strcmp(cls, "Lambda") || !strcmp(cls, "__lambda__") ||
	    !strcmp(str_member(cfg, "function_type") ?
		    str_member(cfg, "function_type") : "", "lambda"))
		once(k, &k->lambda, "keras-lambda-layer", SCAN_CRITICAL,
		     "Lambda layer carries Python code:", cls, NULL);
	check_gadget(k, cls);
	if (module && !keras_module(module))
		once(k, &k->module, "keras-module-not-allowed", SCAN_CRITICAL,
		     "import of module", module, cls);
	if (!strcmp(cls, "function")) {
		check_function(k, o, module);
	} else if (strcmp(cls, "Lambda") && strcmp(cls, "__lambda__") &&
		   !in_list(cls, kc_classes,
			    sizeof(kc_classes) / sizeof(kc_classes[0]))) {
		once(k, &k->klass, "keras-class-not-allowed", SCAN_HIGH,
		     "class", cls, module);
	}
	if (reg && strcmp(reg, cls) && strcmp(reg, "function"))
		once(k, &k->custom, "keras-custom-object", SCAN_HIGH,
		     "custom registered object", reg, cls);
	check_vocabulary(k, o, cls);
}

static int walk(struct kc *k, json_t *v, int depth)
{
	const char *key;
	json_t *c;
	size_t i;
	int rc;

	if (depth > KC_MAX_DEPTH)
		return scan_fmt_fail(k->f, ERR_LIMIT, "keras: config nested "
				     "deeper than %d in '%s'", KC_MAX_DEPTH,
				     k->f->path);
	if (++k->objects > KC_MAX_OBJECTS)
		return scan_fmt_fail(k->f, ERR_LIMIT, "keras: more than %d "
				     "config values in '%s'", KC_MAX_OBJECTS,
				     k->f->path);
	if (json_is_array(v)) {
		json_array_foreach(v, i, c)
			if ((rc = walk(k, c, depth + 1)))
				return rc;
		return 0;
	}
	if (!json_is_object(v))
		return 0;
	if (json_is_string(json_object_get(v, "class_name")))
		check_object(k, v);
	json_object_foreach(v, key, c)
		if ((rc = walk(k, c, depth + 1)))
			return rc;
	return 0;
}

int scan_fmt_keras_config(struct scan_report *r, struct scan_file *f,
			  const char *text, size_t len)
{
	struct kc k = { r, f, 0, false, false, false, false, false, false };
	json_t *root;
	int rc;

	if (len > KC_MAX_TEXT)
		return scan_fmt_fail(f, ERR_LIMIT, "keras: config of %zu bytes "
				     "exceeds the limit in '%s'", len, f->path);
	root = scan_fmt_json(f->path, text, len);
	if (!root) {
		scan_add(r, "keras-config-invalid", SCAN_HIGH, f->path,
			 OWASP_SUPPLY_CHAIN, "Keras config is not strict "
			 "JSON: %s", err_msg());
		return scan_fmt_fail(f, ERR_INVALID, "keras: %s", err_msg());
	}
	if (!json_is_object(root) ||
	    !json_is_string(json_object_get(root, "class_name"))) {
		scan_add(r, "keras-config-invalid", SCAN_HIGH, f->path,
			 OWASP_SUPPLY_CHAIN, "Keras config has no top-level "
			 "class_name in '%s'", f->path);
		rc = scan_fmt_fail(f, ERR_INVALID, "keras: no top-level "
				   "class_name in '%s'", f->path);
	} else {
		rc = walk(&k, root, 0);
	}
	json_decref(root);
	return rc;
}

int scan_fmt_keras_tree(struct scan_report *r, struct scan_file *f,
			struct json_t *root)
{
	struct kc k = { r, f, 0, false, false, false, false, false, false };

	return walk(&k, root, 0);
}

/* training_config has no class_name at its top: loss, metrics and the
 * optimizer are objects inside it. */
int scan_fmt_keras_training_config(struct scan_report *r,
				   struct scan_file *f, const char *text,
				   size_t len)
{
	struct kc k = { r, f, 0, false, false, false, false, false, false };
	json_t *root;
	int rc;

	if (len > KC_MAX_TEXT)
		return scan_fmt_fail(f, ERR_LIMIT, "keras: training config of "
				     "%zu bytes exceeds the limit in '%s'",
				     len, f->path);
	root = scan_fmt_json(f->path, text, len);
	if (!root) {
		scan_add(r, "keras-config-invalid", SCAN_HIGH, f->path,
			 OWASP_SUPPLY_CHAIN, "Keras training config is not "
			 "strict JSON: %s", err_msg());
		return scan_fmt_fail(f, ERR_INVALID, "keras: %s", err_msg());
	}
	rc = walk(&k, root, 0);
	json_decref(root);
	return rc;
}

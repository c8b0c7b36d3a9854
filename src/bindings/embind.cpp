// The JavaScript boundary: the only file that includes <emscripten/bind.h>.
//
// Binds Model and the option records. C++ errors never cross as exceptions, and are never stored:
// each call that can fail runs under guard(), which returns either its result or, when it threw, a
// JavaScript Error carrying the message, built after every C++ frame of the call has unwound.
// web/lib/core.js call() throws that Error. (Throwing from here instead, with val::throw_, would
// skip the destructors of the frames it crosses and leak.) Bulk data crosses as pointers into wasm memory that
// web/lib fills with one typed-array copy, and leaves as typed_memory_views that web/lib copies at
// once (a view dies when memory grows).
#include <emscripten/bind.h>
#include <malloc.h>

#include <cctype>
#include <cmath>
#include <memory>
#include <new>
#include <string>
#include <type_traits>

#include "core/check.h"
#include "core/thread_pool.h"
#include "io/model_file.h"
#include "layers/layer_def.h"
#include "layers/registry.h"
#include "train/model.h"
#include "train/shards.h"

using namespace emscripten;
using namespace wasmcnn;

namespace {

// f()'s result as a val (undefined for void), or an Error with the message of what it threw.
template <class F>
val guard(F&& f) {
  std::string message;
  try {
    using R = decltype(f());
    if constexpr (std::is_void_v<R>) {
      f();
      return val::undefined();
    } else {
      return val(f());
    }
  } catch (const std::bad_alloc&) {
    message = "out of memory: the request does not fit in WebAssembly memory (2 GiB at most)";
  } catch (const std::exception& e) {
    message = e.what();
  }
  return val::global("Error").new_(message);
}

val to_js(const Shape& shape) {
  val a = val::array();
  for (int d : shape) a.call<void>("push", d);
  return a;
}

template <class T>
const T* ptr(uintptr_t p) {
  return reinterpret_cast<const T*>(p);
}

// A buffer the core writes into (allocated by JavaScript with _malloc).
template <class T>
T* out_ptr(uintptr_t p) {
  return reinterpret_cast<T*>(p);
}

val view(const Tensor& t) { return val(typed_memory_view(t.size(), t.data())); }

// --- Layer specs: JavaScript {className, config} <-> LayerConfig, walking the LayerDef tables ---
// The value checks are apply_option's (layer_def.cpp), so a problem reads the same from any caller;
// here only the JavaScript types are checked, with the same wording.

std::string json(const val& v) {
  if (v.isUndefined()) return "undefined";
  val s = val::global("JSON").call<val>("stringify", v);
  return s.isString() ? s.as<std::string>() : "undefined";
}
bool is_number(const val& v) { return v.typeOf().as<std::string>() == "number"; }
double number(const val& v) { return v.as<double>(); }

const LayerDef& def_of_class(const val& class_name) {
  std::string name = class_name.isString() ? class_name.as<std::string>() : json(class_name);
  const LayerDef* def = find_layer_def_or_null(name);
  if (def && name == def->keras) return *def;
  std::string known;
  for (const LayerDef* d : layer_defs()) known += (known.empty() ? "" : ", ") + std::string(d->keras);
  fail("unknown layer class '", name, "' (known: ", known, ")");
}

bool is_size(const val& v) {
  if (!is_number(v)) return false;
  const double d = number(v);
  return d == std::floor(d) && d > 0 && d <= 2147483647.0;
}

// The config object of cnn.layers.<factory>(config) as a LayerConfig; throws naming the factory.
LayerConfig config_from_js(const LayerDef& def, const val& config) {
  LayerConfig c = default_config(def);
  const bool named = config.typeOf().as<std::string>() == "object" && !config.isNull() && config["name"].isString();
  std::string who = def.factory;
  if (named) who += " '" + config["name"].as<std::string>() + "'";
  if (config.typeOf().as<std::string>() != "object" || config.isNull() || val::global("Array").call<bool>("isArray", config))
    fail(who, ": options must be an object, got ", json(config));
  static const char* const common[] = {"name", "trainable", "inputShape", "lrMultiplier"};
  std::string known;
  for (const OptionDef& o : def.options) known += (known.empty() ? "" : ", ") + std::string(o.key);
  for (const char* k : common) known += (known.empty() ? "" : ", ") + std::string(k);
  const std::vector<std::string> keys = vecFromJSArray<std::string>(val::global("Object").call<val>("keys", config));
  for (const std::string& key : keys) {
    const val v = config[key];
    if (v.isUndefined()) continue;
    if (key == "name") {
      const std::string n = v.isString() ? v.as<std::string>() : "";
      bool ok = !n.empty() && n.size() <= 128;
      for (char ch : n) ok &= std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.' || ch == '/' || ch == '-';
      check(ok, who, ": name must be 1-128 letters, digits or _ . / -, got ", json(v));
      c.name = n;
    } else if (key == "trainable") {
      check(v.typeOf().as<std::string>() == "boolean", who, ": trainable must be true or false, got ", json(v));
      c.trainable = v.as<bool>();
    } else if (key == "lrMultiplier") {
      check(is_number(v) && number(v) >= 0 && number(v) <= 1e6, who, ": lrMultiplier must be a number in [0, 1e+06], got ",
            json(v));
      c.lr_multiplier = float(number(v));
    } else if (key == "inputShape") {
      bool ok = val::global("Array").call<bool>("isArray", v);
      if (ok)
        for (int i = 0, n = v["length"].as<int>(); i < n; ++i) ok &= is_size(v[i]);
      check(ok, who, ": inputShape must be an array of positive integers (below 2^31), got ", json(v));
    } else {
      const OptionDef* o = find_option(def, key);
      check(o != nullptr, who, ": unknown option '", key, "' (known: ", known, ")");
      OptionValue ov;
      ov.shown = json(v);
      bool typed = true;
      if (o->nullable && v.isNull()) {  // none
        ov.a = o->hi;
        apply_option(def, c, *o, ov, who);
        continue;
      }
      switch (o->type) {
        case OptionType::Int: case OptionType::Real:
          typed = is_number(v);
          if (typed) ov.a = number(v);
          break;
        case OptionType::Pair:
          if (is_number(v)) {
            ov.a = ov.b = number(v);
          } else {
            typed = val::global("Array").call<bool>("isArray", v) && v["length"].as<int>() == 2 && is_number(v[0]) &&
                    is_number(v[1]);
            if (typed) {
              ov.a = number(v[0]);
              ov.b = number(v[1]);
            }
          }
          break;
        case OptionType::Bool:
          typed = v.typeOf().as<std::string>() == "boolean";
          if (typed) ov.a = v.as<bool>();
          break;
        case OptionType::Choice:
          typed = v.isString();
          if (typed) ov.text = v.as<std::string>();
          break;
        case OptionType::Regularizer:
          if (v.isNull()) break;  // no penalty
          typed = v.typeOf().as<std::string>() == "object" && v["className"].isString() &&
                  v["className"].as<std::string>() == "L1L2" && v["config"].typeOf().as<std::string>() == "object" &&
                  !v["config"].isNull();
          if (typed) {
            const val l1 = v["config"]["l1"], l2 = v["config"]["l2"];
            typed = (l1.isUndefined() || is_number(l1)) && (l2.isUndefined() || is_number(l2));
            if (typed) {
              ov.a = l1.isUndefined() ? 0 : number(l1);
              ov.b = l2.isUndefined() ? 0 : number(l2);
            }
          }
          break;
        case OptionType::Shape:
          typed = val::global("Array").call<bool>("isArray", v) && v["length"].as<int>() > 0;
          for (int i = 0, n = typed ? v["length"].as<int>() : 0; i < n && typed; ++i) {
            typed = is_number(v[i]);
            if (typed) ov.list.push_back(number(v[i]));
          }
          break;
        case OptionType::Margins: {
          // p, [h, w] or [[top, bottom], [left, right]]
          auto is_array = [](const val& a, int n) {
            return val::global("Array").call<bool>("isArray", a) && a["length"].as<int>() == n;
          };
          if (is_number(v)) {
            ov.list.assign(4, number(v));
          } else if (is_array(v, 2) && is_number(v[0]) && is_number(v[1])) {
            ov.list = {number(v[0]), number(v[0]), number(v[1]), number(v[1])};
          } else {
            typed = is_array(v, 2) && is_array(v[0], 2) && is_array(v[1], 2);
            for (int i = 0; i < 2 && typed; ++i)
              for (int j = 0; j < 2 && typed; ++j)
                if ((typed = is_number(v[i][j]))) ov.list.push_back(number(v[i][j]));
          }
          break;
        }
      }
      if (!typed) fail(who, ": ", option_problem(*o, ov.shown));
      apply_option(def, c, *o, ov, who);
    }
  }
  for (const OptionDef& o : def.options)
    check(!o.required || !config[o.key].isUndefined(), who, ": missing option '", o.key, "'");
  return c;
}

// The spec {className, config} of a layer: the inverse of config_from_js, leaving out trainable
// when true, lrMultiplier when 1 and "quiet" options at their defaults (as Keras' getConfig does).
val spec_to_js(const LayerConfig& c) {
  const LayerDef& def = find_layer_def(c.type, c.name);
  val config = val::object();
  config.set("name", c.name);
  if (!c.trainable) config.set("trainable", false);
  if (c.lr_multiplier != 1.f) config.set("lrMultiplier", c.lr_multiplier);
  for (const OptionDef& o : def.options) {
    if (o.quiet_default && is_default(def, o, c)) continue;
    OptionValue v = read_option(c, o);
    if (o.defaults_to && v.a == 0 && v.b == 0) v = read_option(c, *find_option(def, o.defaults_to));
    if (o.nullable && (o.type == OptionType::Real ? v.a == o.hi : v.list.empty())) {
      config.set(o.key, val::null());
      continue;
    }
    switch (o.type) {
      case OptionType::Int: case OptionType::Real: config.set(o.key, v.a); break;
      case OptionType::Bool: config.set(o.key, v.a != 0); break;
      case OptionType::Choice: config.set(o.key, v.text); break;
      case OptionType::Pair: {
        val pair = val::array();
        pair.call<void>("push", v.a);
        pair.call<void>("push", v.b);
        config.set(o.key, pair);
        break;
      }
      case OptionType::Regularizer: {
        val factors = val::object();
        factors.set("l1", float(v.a));
        factors.set("l2", float(v.b));
        val r = val::object();
        r.set("className", std::string("L1L2"));
        r.set("config", factors);
        config.set(o.key, r);
        break;
      }
      case OptionType::Shape: {
        val dims = val::array();
        for (double d : v.list) dims.call<void>("push", d);
        config.set(o.key, dims);
        break;
      }
      case OptionType::Margins: {
        // [h, w] when symmetric (as given before asymmetric margins existed), else [[t, b], [l, r]]
        auto pair = [](double a, double b) {
          val p = val::array();
          p.call<void>("push", a);
          p.call<void>("push", b);
          return p;
        };
        const std::vector<double>& m = v.list;
        if (m[0] == m[1] && m[2] == m[3]) {
          config.set(o.key, pair(m[0], m[2]));
        } else {
          val both = val::array();
          both.call<void>("push", pair(m[0], m[1]));
          both.call<void>("push", pair(m[2], m[3]));
          config.set(o.key, both);
        }
        break;
      }
    }
  }
  val spec = val::object();
  spec.set("className", std::string(def.keras));
  spec.set("config", config);
  return spec;
}

// A Model handle that JavaScript owns (Model.delete() frees it; a unique_ptr crosses as such), or
// an Error.
val js_create_model(val shape, double seed) {
  return guard([&] { return std::make_unique<Model>(vecFromJSArray<int>(shape), uint64_t(seed)); });
}

val js_load_model(uintptr_t bytes, size_t n) {
  return guard([&] { return wasmcnn::load_model(ptr<uint8_t>(bytes), n); });
}

// The file is copied into a JavaScript Uint8Array before its wasm buffer is freed: nothing of it
// stays in wasm memory after the call.
val js_save_model(Model& m) {
  return guard([&] {
    const std::vector<uint8_t> bytes = wasmcnn::save_model(m);
    return val::global("Uint8Array").new_(typed_memory_view(bytes.size(), bytes.data()));
  });
}

// --- Graph models (web/lib/functional.js) ---

// The output shape of a layer spec applied to inputs of the given per-sample shapes, without a
// model: what layer.apply(x) reports as its symbolic output's shape. Checks the arity as
// Model::add does and builds the layer once (its weights are freed on return).
val js_layer_output_shape(val class_name, val config, val input_shapes) {
  return guard([&] {
    const LayerDef& def = def_of_class(class_name);
    LayerConfig c = config_from_js(def, config);
    if (c.name.empty()) c.name = def.type;
    std::vector<Shape> shapes;
    for (int i = 0, n = input_shapes["length"].as<int>(); i < n; ++i) shapes.push_back(vecFromJSArray<int>(input_shapes[i]));
    const size_t arity = shapes.size();
    if (def.arity > 0)
      check(arity == size_t(def.arity), layer_who(def, c.name), ": takes ", def.arity, " input",
            def.arity == 1 ? "" : "s", ", got ", arity);
    else
      check(arity >= 2, layer_who(def, c.name), ": takes two or more inputs, got ", arity);
    return to_js(make_layer(c)->build_n(shapes));
  });
}

val js_node_inputs(Model& m, size_t i) {
  return guard([&] {
    check(i < m.num_layers(), "model: layer index ", i, " out of range (", m.num_layers(), " layers)");
    val a = val::array();
    for (int k : m.node_inputs(i)) a.call<void>("push", k);
    return a;
  });
}

size_t heap_used() { return mallinfo().uordblks; }

// The augmentation preview: n images [h,w,c] at x, augmented into y (no overlap) as step 0 of a
// model seeded by `seed` would augment them. The same options and checks as fit()'s.
val js_augment_images(uintptr_t x, uintptr_t y, int n, int h, int w, int c, const AugmentOptions& o, double seed) {
  return guard([&] {
    check(n > 0 && h > 0 && w > 0 && c > 0, "augment: needs at least one image of positive size, got ", n,
          " images of shape [", h, ",", w, ",", c, "]");
    check_augment(o, {h, w, c});
    augment_batch(o, n, h, w, c, ptr<float>(x), reinterpret_cast<float*>(y), uint64_t(seed), 0);
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(wasmcnn) {
  function("createModel", &js_create_model);
  function("loadModel", &js_load_model);
  function("saveModel", &js_save_model);
  function("heapUsed", &heap_used);
  function("augmentImages", &js_augment_images);
  // Every layer kind's definition (layer_def.h) as one JSON string, for web/lib/layers.js.
  function("layerDefs", &layer_defs_json);
  // Validates cnn.layers.<factory>(config) without building anything.
  function("checkLayer", optional_override([](val class_name, val config) {
             return guard([&] { config_from_js(def_of_class(class_name), config); });
           }));
  function("layerOutputShape", &js_layer_output_shape);

  // Threads (core/thread_pool.h): the pool of this module instance, shared by its models.
  function("setThreads", optional_override([](int n) { return guard([&] { set_threads(n); }); }));
  function("threads", &threads);
  function("threadsStarted", &threads_started);
  function("threadsBuild", &threads_build);
  function("shardSize", optional_override([] { return kShardSize; }));

  value_object<OptimizerConfig>("OptimizerConfig")
      .field("type", &OptimizerConfig::type)
      .field("learningRate", &OptimizerConfig::learning_rate)
      .field("momentum", &OptimizerConfig::momentum)
      .field("nesterov", &OptimizerConfig::nesterov)
      .field("beta1", &OptimizerConfig::beta1)
      .field("beta2", &OptimizerConfig::beta2)
      .field("epsilon", &OptimizerConfig::epsilon)
      .field("rho", &OptimizerConfig::rho);

  value_object<AugmentOptions>("AugmentOptions")
      .field("rotation", &AugmentOptions::rotation)
      .field("zoom", &AugmentOptions::zoom)
      .field("translate", &AugmentOptions::translate)
      .field("crop", &AugmentOptions::crop)
      .field("flipHorizontal", &AugmentOptions::flip_horizontal)
      .field("flipVertical", &AugmentOptions::flip_vertical);

  value_object<BatchResult>("BatchResult")
      .field("loss", &BatchResult::loss)
      .field("accuracy", &BatchResult::accuracy)
      .field("finite", &BatchResult::finite);

  class_<Model>("Model")
      .function("add", optional_override([](Model& m, val class_name, val config) {
                  return guard([&] { m.add(config_from_js(def_of_class(class_name), config)); });
                }))
      // A graph node reading the named earlier nodes ("" is the model's input); returns its name.
      .function("addNode", optional_override([](Model& m, val class_name, val config, val inputs) {
                  return guard([&] {
                    return m.add(config_from_js(def_of_class(class_name), config), vecFromJSArray<std::string>(inputs))
                        .name();
                  });
                }))
      .function("nodeInputs", &js_node_inputs)
      .function("pop", optional_override([](Model& m) { return guard([&] { m.pop(); }); }))
      .function("compile", optional_override([](Model& m, const std::string& loss, const OptimizerConfig& o) {
                  return guard([&] { m.compile(loss, o); });
                }))
      .function("numLayers", &Model::num_layers)
      .function("layerSpec",
                optional_override([](Model& m, size_t i) { return guard([&] { return spec_to_js(m.layer(i).config()); }); }))
      .function("layerInputShape",
                optional_override([](Model& m, size_t i) { return guard([&] { return to_js(m.layer(i).input_shape()); }); }))
      .function("layerOutputShape", optional_override([](Model& m, size_t i) {
                  return guard([&] { return to_js(m.layer(i).output_shape()); });
                }))
      .function("setTrainable", optional_override([](Model& m, size_t i, bool on) {
                  return guard([&] { m.layer(i).set_trainable(on); });
                }))
      .function("setLrMultiplier", optional_override([](Model& m, size_t i, float k) {
                  return guard([&] { m.layer(i).set_lr_multiplier(k); });
                }))
      .function("inputShape", optional_override([](Model& m) { return to_js(m.input_shape()); }))
      .function("outputShape", optional_override([](Model& m) { return to_js(m.output_shape()); }))
      .function("paramCount", optional_override([](Model& m, bool trainable_only) {
                  return double(m.param_count(trainable_only));
                }))
      .function("summary", &Model::summary)
      .function("seed", optional_override([](Model& m) { return double(m.seed()); }))
      .function("compiled", &Model::compiled)
      .function("metadata", optional_override([](Model& m) { return m.metadata(); }))
      .function("setMetadata", optional_override([](Model& m, const std::string& text) { m.set_metadata(text); }))
      .function("learningRate", optional_override([](Model& m) {
                  return guard([&] { return m.optimizer().config().learning_rate; });
                }))
      .function("setLearningRate", optional_override([](Model& m, float lr) {
                  return guard([&] { m.optimizer().set_learning_rate(lr); });
                }))
      .function("predict", optional_override([](Model& m, uintptr_t x, int n) {
                  return guard([&] { return view(m.predict(ptr<float>(x), n)); });
                }))
      .function("setAugment", optional_override([](Model& m, const AugmentOptions& o) {
                  return guard([&] { m.set_augment(o); });
                }))
      .function("trainBatch", optional_override([](Model& m, uintptr_t x, uintptr_t t, int n) {
                  return guard([&] { return m.train_batch(ptr<float>(x), ptr<float>(t), n); });
                }))
      // The pieces of a step for the worker strategy (web/lib/parallel.js; Model::shard_gradients).
      .function("paramFloats", &Model::param_floats)
      .function("getParams", optional_override([](Model& m, uintptr_t out) { m.get_params(out_ptr<float>(out)); }))
      .function("setParams", optional_override([](Model& m, uintptr_t in) {
                  return guard([&] {
                    const float* p = ptr<float>(in);
                    for (size_t k = 0, n = m.param_floats(); k < n; ++k)
                      check(std::isfinite(p[k]), "setParams: value ", p[k], " at index ", k, " is not finite");
                    m.set_params(p);
                  });
                }))
      .function("step", optional_override([](Model& m) { return double(m.step()); }))
      .function("shardGradients", optional_override([](Model& m, uintptr_t x, uintptr_t t, int n, int first, int last,
                                                       double step, uintptr_t grads, uintptr_t losses) {
                  return guard([&] {
                    check(step >= 0 && step == std::floor(step), "shardGradients: step must be a whole number, got ", step);
                    const BatchResult r = m.shard_gradients(ptr<float>(x), ptr<float>(t), n, first, last, uint64_t(step),
                                                            out_ptr<float>(grads), out_ptr<double>(losses));
                    val out = val::object();
                    out.set("correct", r.accuracy);
                    out.set("finite", r.finite);
                    return out;
                  });
                }))
      .function("applyGradients", optional_override([](Model& m, uintptr_t grads, uintptr_t losses, int shards, int n,
                                                       double correct) {
                  return guard([&] {
                    return m.apply_gradients(ptr<float>(grads), ptr<double>(losses), shards, n, correct);
                  });
                }))
      .function("evaluateBatch", optional_override([](Model& m, uintptr_t x, uintptr_t t, int n) {
                  return guard([&] { return m.evaluate_batch(ptr<float>(x), ptr<float>(t), n); });
                }))
      .function("targetCols", &Model::target_cols)
      .function("shuffledIndices", optional_override([](Model& m, uintptr_t idx, uint32_t n) {
                  m.shuffled_indices(reinterpret_cast<uint32_t*>(idx), n);
                }))
      .function("activation", optional_override([](Model& m, size_t i) {
                  return guard([&] { return view(m.activation(i)); });
                }))
      .function("keepActivations", optional_override([](Model& m, bool on) { m.keep_activations(on); }))
      .function("activationShape", optional_override([](Model& m, size_t i) {
                  return guard([&] { return to_js(m.activation(i).shape()); });
                }))
      .function("numWeights", optional_override([](Model& m) { return m.weights().size(); }))
      .function("weightInfo", optional_override([](Model& m, size_t i) {
                  return guard([&] {
                    auto w = m.weights();
                    check(i < w.size(), "model: weight index ", i, " out of range");
                    val info = val::object();
                    info.set("layer", w[i].first->name());
                    info.set("name", w[i].second->name);
                    info.set("shape", to_js(w[i].second->w.shape()));
                    info.set("trainable", w[i].second->trainable && w[i].first->trainable());
                    return info;
                  });
                }))
      .function("weightData", optional_override([](Model& m, size_t i) {
                  return guard([&] {
                    auto w = m.weights();
                    check(i < w.size(), "model: weight index ", i, " out of range");
                    return view(w[i].second->w);
                  });
                }))
      .function("setWeightData", optional_override([](Model& m, size_t i, uintptr_t data, size_t n) {
                  return guard([&] {
                    auto w = m.weights();
                    check(i < w.size(), "model: weight index ", i, " out of range");
                    Tensor& t = w[i].second->w;
                    check(n == t.size(), "layer '", w[i].first->name(), "' weight '", w[i].second->name,
                          "': expected ", t.size(), " values for shape ", shape_str(t.shape()), ", got ", n);
                    const float* src = ptr<float>(data);
                    for (size_t k = 0; k < n; ++k)
                      check(std::isfinite(src[k]), "layer '", w[i].first->name(), "' weight '", w[i].second->name,
                            "': value ", src[k], " at index ", k, " is not finite");
                    std::copy(src, src + n, t.data());
                  });
                }));
}

// The JavaScript boundary: the only file that includes <emscripten/bind.h>.
//
// Binds Model and the option records. C++ errors never cross as exceptions: each call that can
// fail runs under guard(), which stores the message for takeError() and returns an empty value;
// web/lib turns that into a JavaScript Error. Bulk data crosses as pointers into wasm memory that
// web/lib fills with one typed-array copy, and leaves as typed_memory_views that web/lib copies at
// once (a view dies when memory grows).
#include <emscripten/bind.h>
#include <malloc.h>

#include <new>
#include <string>
#include <type_traits>

#include "core/check.h"
#include "io/model_file.h"
#include "train/model.h"

using namespace emscripten;
using namespace wasmcnn;

namespace {

std::string g_error;

template <class F>
auto guard(F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    g_error = "out of memory: the request does not fit in WebAssembly memory (2 GiB at most)";
  } catch (const std::exception& e) {
    g_error = e.what();
  }
  using R = decltype(f());
  if constexpr (std::is_same_v<R, val>)
    return val::undefined();
  else if constexpr (!std::is_void_v<R>)
    return R{};
}

std::string take_error() {
  std::string e;
  e.swap(g_error);
  return e;
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

val view(const Tensor& t) { return val(typed_memory_view(t.size(), t.data())); }

Model* js_create_model(val shape, double seed) {
  return guard([&] { return new Model(vecFromJSArray<int>(shape), uint64_t(seed)); });
}

Model* js_load_model(uintptr_t bytes, size_t n) {
  return guard([&] { return wasmcnn::load_model(ptr<uint8_t>(bytes), n).release(); });
}

// The file is copied into a JavaScript Uint8Array before its wasm buffer is freed: nothing of it
// stays in wasm memory after the call.
val js_save_model(Model& m) {
  return guard([&] {
    const std::vector<uint8_t> bytes = wasmcnn::save_model(m);
    return val::global("Uint8Array").new_(typed_memory_view(bytes.size(), bytes.data()));
  });
}

size_t heap_used() { return mallinfo().uordblks; }

// The augmentation preview: n images [h,w,c] at x, augmented into y (no overlap) with a generator
// seeded by `seed`. The same options and checks as fit()'s; the draws are not a model's.
void js_augment_images(uintptr_t x, uintptr_t y, int n, int h, int w, int c, const AugmentOptions& o, double seed) {
  guard([&] {
    check(n > 0 && h > 0 && w > 0 && c > 0, "augment: needs at least one image of positive size, got ", n,
          " images of shape [", h, ",", w, ",", c, "]");
    check_augment(o, {h, w, c});
    Rng rng{uint64_t(seed)};
    augment_batch(o, n, h, w, c, ptr<float>(x), reinterpret_cast<float*>(y), rng);
  });
}

}  // namespace

EMSCRIPTEN_BINDINGS(wasmcnn) {
  function("takeError", &take_error);
  function("createModel", &js_create_model, allow_raw_pointers());
  function("loadModel", &js_load_model, allow_raw_pointers());
  function("saveModel", &js_save_model);
  function("heapUsed", &heap_used);
  function("augmentImages", &js_augment_images);

  value_object<LayerConfig>("LayerConfig")
      .field("type", &LayerConfig::type)
      .field("name", &LayerConfig::name)
      .field("trainable", &LayerConfig::trainable)
      .field("lrMultiplier", &LayerConfig::lr_multiplier)
      .field("filters", &LayerConfig::filters)
      .field("units", &LayerConfig::units)
      .field("kernelH", &LayerConfig::kernel_h)
      .field("kernelW", &LayerConfig::kernel_w)
      .field("strideH", &LayerConfig::stride_h)
      .field("strideW", &LayerConfig::stride_w)
      .field("padding", &LayerConfig::padding)
      .field("activation", &LayerConfig::activation)
      .field("useBias", &LayerConfig::use_bias)
      .field("kernelInitializer", &LayerConfig::kernel_initializer)
      .field("biasInitializer", &LayerConfig::bias_initializer)
      .field("kernelL1", &LayerConfig::kernel_l1)
      .field("kernelL2", &LayerConfig::kernel_l2)
      .field("biasL1", &LayerConfig::bias_l1)
      .field("biasL2", &LayerConfig::bias_l2)
      .field("poolH", &LayerConfig::pool_h)
      .field("poolW", &LayerConfig::pool_w)
      .field("rate", &LayerConfig::rate)
      .field("stddev", &LayerConfig::stddev)
      .field("momentum", &LayerConfig::momentum)
      .field("epsilon", &LayerConfig::epsilon)
      .field("center", &LayerConfig::center)
      .field("scale", &LayerConfig::scale);

  value_object<OptimizerConfig>("OptimizerConfig")
      .field("type", &OptimizerConfig::type)
      .field("learningRate", &OptimizerConfig::learning_rate)
      .field("momentum", &OptimizerConfig::momentum)
      .field("nesterov", &OptimizerConfig::nesterov)
      .field("beta1", &OptimizerConfig::beta1)
      .field("beta2", &OptimizerConfig::beta2)
      .field("epsilon", &OptimizerConfig::epsilon);

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
      .function("add", optional_override([](Model& m, const LayerConfig& c) { guard([&] { m.add(c); }); }))
      .function("pop", optional_override([](Model& m) { guard([&] { m.pop(); }); }))
      .function("compile", optional_override([](Model& m, const std::string& loss, const OptimizerConfig& o) {
                  guard([&] { m.compile(loss, o); });
                }))
      .function("numLayers", &Model::num_layers)
      .function("layerConfig",
                optional_override([](Model& m, size_t i) { return guard([&] { return m.layer(i).config(); }); }))
      .function("layerInputShape",
                optional_override([](Model& m, size_t i) { return guard([&] { return to_js(m.layer(i).input_shape()); }); }))
      .function("layerOutputShape", optional_override([](Model& m, size_t i) {
                  return guard([&] { return to_js(m.layer(i).output_shape()); });
                }))
      .function("setTrainable", optional_override([](Model& m, size_t i, bool on) {
                  guard([&] { m.layer(i).set_trainable(on); });
                }))
      .function("setLrMultiplier", optional_override([](Model& m, size_t i, float k) {
                  guard([&] { m.layer(i).set_lr_multiplier(k); });
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
                  guard([&] { m.optimizer().set_learning_rate(lr); });
                }))
      .function("predict", optional_override([](Model& m, uintptr_t x, int n) {
                  return guard([&] { return view(m.predict(ptr<float>(x), n)); });
                }))
      .function("setAugment", optional_override([](Model& m, const AugmentOptions& o) {
                  guard([&] { m.set_augment(o); });
                }))
      .function("trainBatch", optional_override([](Model& m, uintptr_t x, uintptr_t t, int n) {
                  return guard([&] { return m.train_batch(ptr<float>(x), ptr<float>(t), n); });
                }))
      .function("evaluateBatch", optional_override([](Model& m, uintptr_t x, uintptr_t t, int n) {
                  return guard([&] { return m.evaluate_batch(ptr<float>(x), ptr<float>(t), n); });
                }))
      .function("checkInputs", optional_override([](Model& m, uintptr_t x, int n) {
                  guard([&] { m.check_inputs(ptr<float>(x), n, "input"); });
                }))
      .function("checkTargets", optional_override([](Model& m, uintptr_t t, int n) {
                  guard([&] { m.check_targets(ptr<float>(t), n); });
                }))
      .function("targetCols", &Model::target_cols)
      .function("shuffledIndices", optional_override([](Model& m, uintptr_t idx, uint32_t n) {
                  m.shuffled_indices(reinterpret_cast<uint32_t*>(idx), n);
                }))
      .function("activation", optional_override([](Model& m, size_t i) {
                  return guard([&] { return view(m.activation(i)); });
                }))
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
                  guard([&] {
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

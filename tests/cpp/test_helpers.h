// Shared helpers for the doctest suites: random fills, layer configs in one line, float rounding.
#pragma once

#include <cmath>
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include "core/check.h"
#include "core/rng.h"
#include "core/tensor.h"
#include "layers/layer_config.h"
#include "train/model.h"

namespace wasmcnn::test {

// Unit roundoff of float32 (round to nearest) and Higham's gamma_n = n u / (1 - n u), the bound
// on the relative error of a sum or dot product of n terms computed in float.
constexpr double kU = 1.0 / 16777216.0;  // 2^-24
inline double gamma_n(double n) { return n * kU / (1.0 - n * kU); }

inline void fill_uniform(Rng& rng, float* p, size_t n, float lo = -1.f, float hi = 1.f) {
  for (size_t i = 0; i < n; ++i) p[i] = rng.uniform(lo, hi);
}
inline void fill_uniform(Rng& rng, Tensor& t, float lo = -1.f, float hi = 1.f) {
  fill_uniform(rng, t.data(), t.size(), lo, hi);
}
inline std::vector<float> random_vector(Rng& rng, size_t n, float lo = -1.f, float hi = 1.f) {
  std::vector<float> v(n);
  fill_uniform(rng, v.data(), n, lo, hi);
  return v;
}

// Layer configs in one line; the Keras defaults otherwise.
inline LayerConfig conv(int filters, int k, int stride = 1, const std::string& padding = "valid",
                        const std::string& activation = "linear") {
  LayerConfig c;
  c.type = "conv2d";
  c.filters = filters;
  c.kernel_h = c.kernel_w = k;
  c.stride_h = c.stride_w = stride;
  c.padding = padding;
  c.activation = activation;
  return c;
}
inline LayerConfig dense(int units, const std::string& activation = "linear") {
  LayerConfig c;
  c.type = "dense";
  c.units = units;
  c.activation = activation;
  return c;
}
// type: max_pooling2d, average_pooling2d or sum_pooling2d
inline LayerConfig pool(const std::string& type, int size, int stride, const std::string& padding = "valid") {
  LayerConfig c;
  c.type = type;
  c.pool_h = c.pool_w = size;
  c.stride_h = c.stride_w = stride;
  c.padding = padding;
  return c;
}
inline LayerConfig simple(const std::string& type) {
  LayerConfig c;
  c.type = type;
  return c;
}
inline LayerConfig activation(const std::string& name) {
  LayerConfig c = simple("activation");
  c.activation = name;
  return c;
}
inline LayerConfig dropout(float rate) {
  LayerConfig c = simple("dropout");
  c.rate = rate;
  return c;
}
inline LayerConfig gaussian_noise(float stddev) {
  LayerConfig c = simple("gaussian_noise");
  c.stddev = stddev;
  return c;
}

inline LayerConfig named(LayerConfig c, const std::string& name) {
  c.name = name;
  return c;
}

// Adam at 3e-3 with rotation and translation augmentation: the stochastic training setup the thread
// tests run (every random stream in use).
inline void compile_augmented(Model& m) {
  OptimizerConfig adam;
  adam.learning_rate = 3e-3f;
  m.compile("sparse_categorical_crossentropy", adam);
  AugmentOptions aug;
  aug.rotation = 10;
  aug.translate = 0.1f;
  m.set_augment(aug);
}

// The message of the wasmcnn::Error f() throws, or "" when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace wasmcnn::test

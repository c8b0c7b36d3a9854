// Finite-difference check of a whole model's parameter gradients (Model::gradients), for graphs
// whose gradients meet where a tensor fans out. Float32 central differences with h = 1e-3 on a loss
// of order 1: rounding contributes about u * |L| / h ~ 6e-5 and truncation h^2 |L'''| / 6 ~ 1e-6
// for the smooth (tanh, softmax) models used here, so |numeric - analytic| <= 2e-3 * max(1, |g|)
// leaves a margin of 30 while a missing fan-out term (of the size of g itself) fails.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "train/model.h"

namespace wasmcnn::test {

// Checks up to `per_param` entries of every parameter; returns how many were checked.
inline int check_model_gradients(Model& m, const std::vector<float>& x, const std::vector<float>& t, int n,
                                 int per_param = 12) {
  m.gradients(x.data(), t.data(), n);
  std::vector<std::vector<float>> analytic;
  for (auto [layer, p] : m.weights()) analytic.emplace_back(p->dw.data(), p->dw.data() + p->dw.size());
  int checked = 0;
  size_t index = 0;
  for (auto [layer_ptr, param_ptr] : m.weights()) {
    Layer* layer = layer_ptr;  // structured bindings cannot be captured by doctest's INFO (C++17)
    Param* p = param_ptr;
    const std::vector<float>& g = analytic[index++];
    if (!p->trainable || !layer->trainable()) continue;
    const size_t stride = std::max<size_t>(1, p->w.size() / size_t(per_param));
    for (size_t k = 0; k < p->w.size(); k += stride) {
      const float w0 = p->w[k], h = 1e-3f;
      p->w[k] = w0 + h;
      const double up = m.gradients(x.data(), t.data(), n).loss;
      p->w[k] = w0 - h;
      const double down = m.gradients(x.data(), t.data(), n).loss;
      p->w[k] = w0;
      const double numeric = (up - down) / (2.0 * h);
      INFO("layer ", layer->name(), " weight ", p->name, "[", k, "]: numeric ", numeric, ", analytic ", g[k]);
      CHECK(std::fabs(numeric - g[k]) <= 2e-3 * std::max(1.0, std::fabs(double(g[k]))));
      ++checked;
    }
  }
  return checked;
}

}  // namespace wasmcnn::test

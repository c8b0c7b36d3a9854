#include "train/loss.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace wasmcnn {

LossKind parse_loss(const std::string& name) {
  if (name == "sparse_categorical_crossentropy" || name == "sparseCategoricalCrossentropy")
    return LossKind::SparseCategoricalCrossentropy;
  if (name == "categorical_crossentropy" || name == "categoricalCrossentropy") return LossKind::CategoricalCrossentropy;
  if (name == "mean_squared_error" || name == "meanSquaredError" || name == "mse") return LossKind::MeanSquaredError;
  fail("unknown loss '", name,
       "' (expected sparseCategoricalCrossentropy, categoricalCrossentropy or meanSquaredError)");
}

const char* loss_name(LossKind kind) {
  switch (kind) {
    case LossKind::SparseCategoricalCrossentropy: return "sparse_categorical_crossentropy";
    case LossKind::CategoricalCrossentropy: return "categorical_crossentropy";
    case LossKind::MeanSquaredError: return "mean_squared_error";
  }
  return "";
}

int loss_target_cols(LossKind kind, int output_units) {
  return kind == LossKind::SparseCategoricalCrossentropy ? 1 : output_units;
}

namespace {

int argmax(const float* v, int k) {
  int best = 0;
  for (int c = 1; c < k; ++c)
    if (v[c] > v[best]) best = c;
  return best;
}

// Target row c of sample i as a dense value, for either target layout.
float target(LossKind kind, const float* t, int i, int k, int c) {
  if (kind == LossKind::SparseCategoricalCrossentropy) return int(t[i]) == c ? 1.f : 0.f;
  return t[size_t(i) * k + c];
}

int target_class(LossKind kind, const float* t, int i, int k) {
  return kind == LossKind::SparseCategoricalCrossentropy ? int(t[i]) : argmax(t + size_t(i) * k, k);
}

}  // namespace

LossValue compute_loss(LossKind kind, const Tensor& y, const Tensor* logits, const float* t, Tensor* grad, int batch) {
  const int n = y.dim(0), k = int(y.size() / size_t(n));
  LossValue out;
  if (grad) grad->resize(y.shape());
  const float inv_n = 1.f / float(batch > 0 ? batch : n);
  double total = 0;
  for (int i = 0; i < n; ++i) {
    const float* yi = y.data() + size_t(i) * k;
    float* gi = grad ? grad->data() + size_t(i) * k : nullptr;
    if (kind == LossKind::MeanSquaredError) {
      double s = 0;
      for (int c = 0; c < k; ++c) {
        float d = yi[c] - t[size_t(i) * k + c];
        s += double(d) * d;
        if (gi) gi[c] = 2.f * d * inv_n / float(k);
      }
      total += s / k;
      out.correct += k == 1 ? std::fabs(yi[0] - t[i]) < 0.5f : argmax(yi, k) == argmax(t + size_t(i) * k, k);
      continue;
    }
    out.correct += argmax(yi, k) == target_class(kind, t, i, k);
    if (logits) {
      // -sum_c t_c log softmax(z)_c = sum_c t_c (lse(z) - z_c);  dL/dz_c = p_c sum(t) - t_c.
      const float* zi = logits->data() + size_t(i) * k;
      float mx = zi[0];
      for (int c = 1; c < k; ++c) mx = std::max(mx, zi[c]);
      double se = 0;
      for (int c = 0; c < k; ++c) se += std::exp(double(zi[c]) - mx);
      double lse = mx + std::log(se);
      double tsum = 0, l = 0;
      for (int c = 0; c < k; ++c) {
        float tc = target(kind, t, i, k, c);
        tsum += tc;
        l += tc * (lse - zi[c]);
      }
      total += l;
      if (gi)
        for (int c = 0; c < k; ++c) gi[c] = (yi[c] * float(tsum) - target(kind, t, i, k, c)) * inv_n;
    } else {
      constexpr float eps = 1e-7f;
      double l = 0;
      for (int c = 0; c < k; ++c) {
        float tc = target(kind, t, i, k, c);
        float p = std::min(std::max(yi[c], eps), 1.f - eps);
        l -= tc * std::log(double(p));
        if (gi) gi[c] = (yi[c] > eps && yi[c] < 1.f - eps) ? -tc / p * inv_n : 0.f;
      }
      total += l;
    }
  }
  out.total = total;
  out.loss = total / n;
  return out;
}

}  // namespace wasmcnn

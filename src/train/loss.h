// Losses over a batch of model outputs y [n, k] and targets t.
//
// Targets are floats: for sparse categorical cross-entropy one class index per sample (t_cols = 1),
// otherwise t has the shape of y (one-hot rows for categorical cross-entropy). The loss is the
// mean over the batch, as Keras reports it.
#pragma once

#include <string>

#include "core/tensor.h"

namespace wasmcnn {

enum class LossKind { SparseCategoricalCrossentropy, CategoricalCrossentropy, MeanSquaredError };

LossKind parse_loss(const std::string& name);  // snake_case or camelCase Keras names
const char* loss_name(LossKind kind);
int loss_target_cols(LossKind kind, int output_units);

struct LossValue {
  double loss = 0;   // mean over the batch
  double total = 0;  // sum over the batch
  int correct = 0;  // samples whose arg-max matches the target's class
};

// Computes the loss and, when `grad` is non-null, its gradient. With `logits` (the z of a softmax
// output layer) cross-entropy is computed stably from z and `grad` receives dL/dz; without, the
// probabilities are clipped to [1e-7, 1 - 1e-7] as Keras does and `grad` receives dL/dy. The
// gradient is that of the mean over `batch` samples (default: y's rows): a shard of a larger batch
// passes the whole batch's size.
LossValue compute_loss(LossKind kind, const Tensor& y, const Tensor* logits, const float* t, Tensor* grad,
                       int batch = 0);

}  // namespace wasmcnn

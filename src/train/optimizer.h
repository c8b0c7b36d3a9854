// Optimizers: SGD (momentum, Nesterov), Adam and RMSprop, with Keras' definitions and defaults
// (RMSprop's update as TF.js writes it, see kernels/update.h).
#pragma once

#include <string>
#include <vector>

#include "core/tensor.h"
#include "layers/layer.h"

namespace wasmcnn {

struct OptimizerConfig {
  std::string type = "adam";  // sgd | adam | rmsprop
  float learning_rate = 1e-3f;
  float momentum = 0.f;  // sgd, rmsprop
  bool nesterov = false;
  float beta1 = 0.9f, beta2 = 0.999f, epsilon = 1e-7f;  // adam (epsilon: rmsprop too)
  float rho = 0.9f;                                     // rmsprop: decay of the mean square
};

// One parameter as the optimizer sees it: the tensor and the layer that owns it (whose trainable
// flag and learning-rate multiplier the step reads).
struct Slot {
  Param* param;
  const Layer* layer;
};

class Optimizer {
 public:
  explicit Optimizer(const OptimizerConfig& config);
  // Applies one update to every parameter whose layer is trainable. State (velocity, moments) is
  // created on the first step and kept per slot; reset() drops it.
  void step(const std::vector<Slot>& slots);
  void reset();
  const OptimizerConfig& config() const { return config_; }
  void set_learning_rate(float lr) { config_.learning_rate = lr; }
  long iterations() const { return t_; }

 private:
  OptimizerConfig config_;
  std::vector<Tensor> m_, v_;
  long t_ = 0;
};

}  // namespace wasmcnn

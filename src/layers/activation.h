// Activation functions shared by the Activation layer and the fused activation of Conv2D/Dense.
#pragma once

#include <string>
#include <vector>

#include "core/scratch.h"
#include "core/tensor.h"

namespace wasmcnn {

enum class Activation { Linear, Relu, Sigmoid, Tanh, Softmax };

// The one activation list, in the order of the enum.
const std::vector<std::string>& activation_names();
// Throws naming `who` and the unknown name.
Activation parse_activation(const std::string& name, const std::string& who);

// y = act(z); softmax runs over the last dimension. y may alias z except for softmax.
void activation_forward(Activation act, const Tensor& z, Tensor& y);
// dz = dy * act'(z), expressed through y.
void activation_backward(Activation act, const Tensor& y, const Tensor& dy, Tensor& dz);

// The one fused bias + activation epilogue of the weighted layers (Conv2D, Dense): their kernel
// writes z = x*w + b into z_target() (applying ReLU as it stores when fuse_relu()), finish() applies
// any other activation; backward turns dy into dz (unless the loss already gave dL/dz, for a
// softmax output), in the caller's scratch, and reduces the bias gradient. Softmax keeps z for the
// fused cross-entropy.
class BiasActivation {
 public:
  explicit BiasActivation(Activation act) : act_(act) {}
  bool fuse_relu() const { return act_ == Activation::Relu; }
  // Where the kernel writes z for an output y of `shape` (y itself unless z must be kept).
  Tensor& z_target(Tensor& y, const Shape& shape);
  void finish(Tensor& y);
  // dL/dz for dL/dy (dy itself, or scratch.dz()); `channels` columns per row. Writes the bias
  // gradient when `db` is non-null.
  const Tensor& backward(const Tensor& y, const Tensor& dy, bool grad_is_logits, size_t channels, float* db,
                         Scratch& scratch);
  const Tensor* logits() const { return act_ == Activation::Softmax ? &z_ : nullptr; }

 private:
  Activation act_;
  Tensor z_;
};

}  // namespace wasmcnn

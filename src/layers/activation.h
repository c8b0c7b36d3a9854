// Activation functions shared by the Activation layer and the fused activation of Conv2D/Dense.
#pragma once

#include <string>
#include <vector>

#include "core/scratch.h"
#include "core/tensor.h"

namespace wasmcnn {

// TF.js's names and semantics (kernels/activation_ext.h has the formulas): relu6 = min(max(x, 0), 6),
// silu is Keras' name for swish, gelu the exact erf form (TF.js's 'gelu_new', its tanh approximation,
// is left out: TF.js 4.22 cannot deserialize that name), hardSigmoid TF.js's clip(0.2 x + 0.5, 0, 1).
enum class Activation {
  Linear, Relu, Sigmoid, Tanh, Softmax,
  Relu6, Elu, Selu, Swish, Silu, Gelu, HardSigmoid, Softplus, Softsign, Mish,
};

// The one activation list, in the order of the enum.
const std::vector<std::string>& activation_names();
// Throws naming `who` and the unknown name.
Activation parse_activation(const std::string& name, const std::string& who);
// True for the activations whose derivative needs the input z, not only y: those after relu6 (the
// first five and relu6 are monotone and piecewise simple enough to take it from y).
inline bool needs_input(Activation act) { return act > Activation::Relu6; }

// y = act(z); softmax runs over the last dimension. y may alias z except for softmax.
void activation_forward(Activation act, const Tensor& z, Tensor& y);
// dz = dy * act'(z), through y for the first six, through z for the others (needs_input()).
void activation_backward(Activation act, const Tensor& z, const Tensor& y, const Tensor& dy, Tensor& dz);

// The one fused bias + activation epilogue of the weighted layers (Conv2D, Dense): their kernel
// writes z = x*w + b into z_target() (applying ReLU as it stores when fuse_relu()), finish() applies
// any other activation; backward turns dy into dz (unless the loss already gave dL/dz, for a
// softmax output), in the caller's scratch, and reduces the bias gradient. Softmax keeps z for the
// fused cross-entropy, the activations that need_input() keep it for their derivative.
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
  bool keeps_z() const { return act_ == Activation::Softmax || needs_input(act_); }

  Activation act_;
  Tensor z_;
};

}  // namespace wasmcnn

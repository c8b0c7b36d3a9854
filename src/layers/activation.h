// Activation functions shared by the Activation layer and the fused activation of Conv2D/Dense.
#pragma once

#include <string>
#include <vector>

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

}  // namespace wasmcnn

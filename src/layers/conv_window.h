// The sliding window of a convolution layer (Conv2D with dilationRate, DepthwiseConv2D,
// SeparableConv2D) from its options and input shape, with the errors that depend on the shape.
#pragma once

#include <string>

#include "core/tensor.h"
#include "kernels/window.h"
#include "layers/layer_config.h"

namespace wasmcnn {

// Throws, starting with `who`, for an input that is not [h, w, c], strides and dilation both above
// 1 (as Keras and TF.js refuse), or a 'valid' window larger than the input.
kernels::WindowGeometry conv_window(const LayerConfig& c, const Shape& in, const std::string& who);

}  // namespace wasmcnn

// Optimizer update rules over flat parameter arrays (w: weights, g: gradient, state buffers).
#pragma once

#include <cstddef>

#include "kernels/simd.h"

namespace wasmcnn::kernels {

// SGD with momentum as Keras defines it: v = momentum * v - lr * g; w += v, or with Nesterov
// w += momentum * v - lr * g (Sutskever et al. 2013).
WASMCNN_KERNEL(void, sgd_update,
               (size_t n, float lr, float momentum, bool nesterov, const float* g, float* v, float* w),
               (n, lr, momentum, nesterov, g, v, w))

// Adam (Kingma & Ba 2015) with the bias correction folded into lr_t = lr * sqrt(1-b2^t)/(1-b1^t)
// and epsilon added to sqrt(v), as Keras does: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
// w -= lr_t * m / (sqrt(v) + eps).
WASMCNN_KERNEL(void, adam_update,
               (size_t n, float lr_t, float b1, float b2, float eps, const float* g, float* m, float* v, float* w),
               (n, lr_t, b1, b2, eps, g, m, v, w))

// RMSprop (Tieleman & Hinton 2012) as TF.js writes it: ms = rho ms + (1-rho) g^2;
// mom = momentum mom + lr g / sqrt(ms + eps); w -= mom (with momentum 0, mom is just the step).
WASMCNN_KERNEL(void, rmsprop_update,
               (size_t n, float lr, float rho, float momentum, float eps, const float* g, float* ms, float* mom, float* w),
               (n, lr, rho, momentum, eps, g, ms, mom, w))

}  // namespace wasmcnn::kernels

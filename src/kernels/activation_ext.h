// Element-wise activations beyond eltwise.h's four, forward and backward, with Keras/TF.js
// semantics (TF.js 4.22 checked; names as TF.js spells them):
//   Relu         Keras ReLU layer: f = max_value for x >= max_value; x for threshold <= x <
//                max_value; negative_slope * (x - threshold) below. relu6 = {max_value = 6};
//                TF.js's reLU layer has max_value only (the others at their defaults 0).
//   LeakyRelu    x < 0 ? alpha * x : x (TF.js leakyReLU, alpha default 0.3)
//   Elu          x > 0 ? x : alpha * (exp(x) - 1), expm1 accurate near 0 (alpha default 1)
//   Selu         scale * elu(x, alpha) with TF.js's constants (scale 1.0507..., scale*alpha 1.7580...)
//   Swish        x * sigmoid(x) ('swish'; Keras' 'silu' is the same function)
//   Gelu         x * Phi(x), Phi the standard normal CDF through erfc: TF.js's 'gelu' (the exact
//                form, no approximation); GeluTanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
//                TF.js's 'gelu_new' (Keras gelu(approximate=True))
//   HardSigmoid  TF.js: max(0, min(1, 0.2 x + 0.5)) (not Keras 3's relu6(x + 3) / 6)
//   Softplus     log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)): no overflow, exact tails
//   Softsign     x / (1 + |x|)
//   Mish         x * tanh(softplus(x)), tanh(softplus) as a ratio of exp(-|x|) polynomials
// Backward takes the input x (not y: swish, gelu and mish are not invertible): dx = dy * f'(x).
// Where f has a kink the derivative is the right-hand one of the formula as written (Relu at
// threshold and max_value, LeakyRelu/Elu/Selu at 0 take the x <= 0 side, HardSigmoid's ends 0).
//
// Accuracy: exp, expm1, log1p and erfc are evaluated with one polynomial each, written once
// (activation_math.h) for float and for f32x4, so the twins are bit-identical; exp/expm1/log1p
// within a few ulp, erfc within ~1.2e-7 relative (Numerical Recipes' Chebyshev fit, erfcc). Results
// below ~1e-38 flush to 0.
//
// Thread-ready as eltwise.h: a range is a pointer offset and a count.
#pragma once

#include <cmath>
#include <cstddef>

#include "kernels/simd.h"

namespace wasmcnn::kernels {

enum class Activation { Relu, LeakyRelu, Elu, Selu, Swish, Gelu, GeluTanh, HardSigmoid, Softplus, Softsign, Mish };
constexpr int kActivationCount = 11;

struct ActivationParams {
  float max_value = INFINITY;  // Relu
  float negative_slope = 0.f;  // Relu
  float threshold = 0.f;       // Relu
  float alpha = 1.f;           // LeakyRelu (TF.js default 0.3: the layer sets it), Elu
};

// y[i] = f(x[i])
WASMCNN_KERNEL(void, activation_forward,
               (Activation a, const ActivationParams& p, size_t n, const float* x, float* y), (a, p, n, x, y))
// dx[i] = dy[i] * f'(x[i])
WASMCNN_KERNEL(void, activation_backward,
               (Activation a, const ActivationParams& p, size_t n, const float* x, const float* dy, float* dx),
               (a, p, n, x, dy, dx))

// PReLU with a learned slope per position of alpha: x is [outer, m, inner] and alpha[m] applies to
// x[o, j, k] for every o and k (Keras' alpha shape with sharedAxes folded into outer/inner; e.g.
// sharedAxes [1, 2] on NHWC: outer = n*h*w, m = c, inner = 1). TF.js semantics:
// y = x < 0 ? alpha * x : x.
WASMCNN_KERNEL(void, prelu_forward,
               (size_t outer, size_t m, size_t inner, const float* alpha, const float* x, float* y),
               (outer, m, inner, alpha, x, y))
// dx = x > 0 ? dy : alpha * dy (overwritten); dalpha[j] += (x > 0 ? +0 : dy * x) over o, then k, in
// order (accumulated: the caller zeroes it, or sums ranges into it in a fixed order).
WASMCNN_KERNEL(void, prelu_backward,
               (size_t outer, size_t m, size_t inner, const float* alpha, const float* x, const float* dy, float* dx,
                float* dalpha),
               (outer, m, inner, alpha, x, dy, dx, dalpha))

}  // namespace wasmcnn::kernels

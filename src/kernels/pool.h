// 2-D pooling over NHWC images, one image per call: x[h][w][c] -> y[oh][ow][c].
//
// Geometry is shared with convolution (ConvGeometry with kh, kw the pool size). Windows that
// overhang 'same' padding only see the real pixels: the max ignores the padding and the average
// divides by the number of real pixels (TensorFlow's semantics). Sum pooling adds them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/conv.h"
#include "kernels/simd.h"

namespace wasmcnn::kernels {

// argmax[o] receives the flat index into x of the winning element of output o (first on ties);
// argmax may be null (inference), and then only y is written.
WASMCNN_KERNEL(void, max_pool_forward, (const ConvGeometry& g, const float* x, float* y, int32_t* argmax),
               (g, x, y, argmax))
// dx += scatter of dy through argmax.
void max_pool_backward(size_t n_out, const float* dy, const int32_t* argmax, float* dx);

enum class PoolMode { Average, Sum };
WASMCNN_KERNEL(void, avg_pool_forward, (const ConvGeometry& g, PoolMode mode, const float* x, float* y),
               (g, mode, x, y))
// dx += adjoint of avg_pool_forward applied to dy.
void avg_pool_backward(const ConvGeometry& g, PoolMode mode, const float* dy, float* dx);

}  // namespace wasmcnn::kernels

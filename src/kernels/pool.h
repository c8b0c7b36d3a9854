// 2-D pooling over NHWC batches: x[n][h][w][c] -> y[n][oh][ow][c]. Each call computes the images
// of one Range (range.h) of the batch; x, y, dx, dy and argmax are the whole batch.
//
// Geometry is shared with convolution (ConvGeometry with kh, kw the pool size). Windows that
// overhang 'same' padding only see the real pixels: the max ignores the padding and the average
// divides by the number of real pixels (TensorFlow's semantics). Sum pooling adds them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "kernels/conv.h"
#include "kernels/range.h"
#include "kernels/simd.h"

namespace wasmcnn::kernels {

// argmax[i * out + o] (out = oh*ow*c) receives the index into image i of the winning element of
// its output o (first on ties); argmax may be null (inference), and then only y is written.
WASMCNN_KERNEL(void, max_pool_forward,
               (const ConvGeometry& g, const float* x, float* y, int32_t* argmax, Range images),
               (g, x, y, argmax, images))
// dx += scatter of dy through argmax, image by image.
void max_pool_backward(const ConvGeometry& g, const float* dy, const int32_t* argmax, float* dx, Range images);

enum class PoolMode { Average, Sum };
WASMCNN_KERNEL(void, avg_pool_forward, (const ConvGeometry& g, PoolMode mode, const float* x, float* y, Range images),
               (g, mode, x, y, images))
// dx += adjoint of avg_pool_forward applied to dy.
void avg_pool_backward(const ConvGeometry& g, PoolMode mode, const float* dy, float* dx, Range images);

}  // namespace wasmcnn::kernels

// Element-wise kernels: activations and their gradients, bias add/reduce, scaling.
//
// Activation gradients are computed from the activation's output y (all four admit it), so a layer
// need not keep its pre-activation input. Softmax works on rows of a [rows, cols] matrix.
#pragma once

#include <cstddef>

#include "kernels/simd.h"

namespace wasmcnn::kernels {

WASMCNN_KERNEL(void, relu_forward, (size_t n, const float* x, float* y), (n, x, y))
// dx = dy * (y > 0)
WASMCNN_KERNEL(void, relu_backward, (size_t n, const float* y, const float* dy, float* dx), (n, y, dy, dx))
// dx = dy * y * (1 - y)
WASMCNN_KERNEL(void, sigmoid_backward, (size_t n, const float* y, const float* dy, float* dx), (n, y, dy, dx))
// dx = dy * (1 - y^2)
WASMCNN_KERNEL(void, tanh_backward, (size_t n, const float* y, const float* dy, float* dx), (n, y, dy, dx))
// y[r, c] += b[c]
WASMCNN_KERNEL(void, bias_add, (size_t rows, size_t cols, const float* b, float* y), (rows, cols, b, y))
// db[c] = sum over r of dy[r, c]
WASMCNN_KERNEL(void, bias_grad, (size_t rows, size_t cols, const float* dy, float* db), (rows, cols, dy, db))
// y = a * x + y
WASMCNN_KERNEL(void, axpy, (size_t n, float a, const float* x, float* y), (n, a, x, y))
// y = a * x
WASMCNN_KERNEL(void, scale, (size_t n, float a, const float* x, float* y), (n, a, x, y))

// Transcendental activations use the C library's exp/tanh: one implementation everywhere.
void sigmoid_forward(size_t n, const float* x, float* y);
void tanh_forward(size_t n, const float* x, float* y);
// Row-wise softmax, shifted by the row maximum so exp never overflows.
void softmax_forward(size_t rows, size_t cols, const float* x, float* y);
// dx = y * (dy - sum_c(dy * y)) per row
void softmax_backward(size_t rows, size_t cols, const float* y, const float* dy, float* dx);

// true when every x[i] is finite
bool all_finite(size_t n, const float* x);

}  // namespace wasmcnn::kernels

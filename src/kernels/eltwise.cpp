#include "kernels/eltwise.h"

#include <cmath>

namespace wasmcnn::kernels {

void sigmoid_forward(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) {
    // exp of a non-positive argument only: no overflow for large |x|.
    float e = std::exp(-std::fabs(x[i]));
    y[i] = x[i] >= 0 ? 1.f / (1.f + e) : e / (1.f + e);
  }
}

void tanh_forward(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = std::tanh(x[i]);
}

void softmax_forward(size_t rows, size_t cols, const float* x, float* y) {
  for (size_t r = 0; r < rows; ++r, x += cols, y += cols) {
    float mx = x[0];
    for (size_t c = 1; c < cols; ++c) mx = x[c] > mx ? x[c] : mx;
    float sum = 0.f;
    for (size_t c = 0; c < cols; ++c) sum += (y[c] = std::exp(x[c] - mx));
    float inv = 1.f / sum;
    for (size_t c = 0; c < cols; ++c) y[c] *= inv;
  }
}

void softmax_backward(size_t rows, size_t cols, const float* y, const float* dy, float* dx) {
  for (size_t r = 0; r < rows; ++r, y += cols, dy += cols, dx += cols) {
    float dot = 0.f;
    for (size_t c = 0; c < cols; ++c) dot += dy[c] * y[c];
    for (size_t c = 0; c < cols; ++c) dx[c] = y[c] * (dy[c] - dot);
  }
}

bool all_finite(size_t n, const float* x) {
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i])) return false;
  return true;
}

namespace portable {

void relu_forward(size_t n, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
void relu_backward(size_t n, const float* y, const float* dy, float* dx) {
  for (size_t i = 0; i < n; ++i) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}
void sigmoid_backward(size_t n, const float* y, const float* dy, float* dx) {
  for (size_t i = 0; i < n; ++i) dx[i] = dy[i] * (y[i] * (1.f - y[i]));
}
void tanh_backward(size_t n, const float* y, const float* dy, float* dx) {
  for (size_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.f - y[i] * y[i]);
}
void bias_add(size_t rows, size_t cols, const float* b, float* y) {
  for (size_t r = 0; r < rows; ++r, y += cols)
    for (size_t c = 0; c < cols; ++c) y[c] += b[c];
}
void bias_grad(size_t rows, size_t cols, const float* dy, float* db) {
  for (size_t c = 0; c < cols; ++c) db[c] = 0.f;
  for (size_t r = 0; r < rows; ++r, dy += cols)
    for (size_t c = 0; c < cols; ++c) db[c] += dy[c];
}
void axpy(size_t n, float a, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] += a * x[i];
}
void scale(size_t n, float a, const float* x, float* y) {
  for (size_t i = 0; i < n; ++i) y[i] = a * x[i];
}

}  // namespace portable

#if WASMCNN_SIMD
namespace simd {

void relu_forward(size_t n, const float* x, float* y) {
  size_t i = 0;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_pmax(zero, wasm_v128_load(x + i)));
  for (; i < n; ++i) y[i] = x[i] > 0.f ? x[i] : 0.f;
}
void relu_backward(size_t n, const float* y, const float* dy, float* dx) {
  size_t i = 0;
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (; i + 4 <= n; i += 4) {
    v128_t mask = wasm_f32x4_gt(wasm_v128_load(y + i), zero);
    wasm_v128_store(dx + i, wasm_v128_and(mask, wasm_v128_load(dy + i)));
  }
  for (; i < n; ++i) dx[i] = y[i] > 0.f ? dy[i] : 0.f;
}
void sigmoid_backward(size_t n, const float* y, const float* dy, float* dx) {
  size_t i = 0;
  const v128_t one = wasm_f32x4_splat(1.f);
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(y + i);
    wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), wasm_f32x4_mul(v, wasm_f32x4_sub(one, v))));
  }
  for (; i < n; ++i) dx[i] = dy[i] * (y[i] * (1.f - y[i]));
}
void tanh_backward(size_t n, const float* y, const float* dy, float* dx) {
  size_t i = 0;
  const v128_t one = wasm_f32x4_splat(1.f);
  for (; i + 4 <= n; i += 4) {
    v128_t v = wasm_v128_load(y + i);
    wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), wasm_f32x4_sub(one, wasm_f32x4_mul(v, v))));
  }
  for (; i < n; ++i) dx[i] = dy[i] * (1.f - y[i] * y[i]);
}
void bias_add(size_t rows, size_t cols, const float* b, float* y) {
  for (size_t r = 0; r < rows; ++r, y += cols) {
    size_t c = 0;
    for (; c + 4 <= cols; c += 4)
      wasm_v128_store(y + c, wasm_f32x4_add(wasm_v128_load(y + c), wasm_v128_load(b + c)));
    for (; c < cols; ++c) y[c] += b[c];
  }
}
void bias_grad(size_t rows, size_t cols, const float* dy, float* db) {
  for (size_t c = 0; c < cols; ++c) db[c] = 0.f;
  for (size_t r = 0; r < rows; ++r, dy += cols) {
    size_t c = 0;
    for (; c + 4 <= cols; c += 4)
      wasm_v128_store(db + c, wasm_f32x4_add(wasm_v128_load(db + c), wasm_v128_load(dy + c)));
    for (; c < cols; ++c) db[c] += dy[c];
  }
}
void axpy(size_t n, float a, const float* x, float* y) {
  size_t i = 0;
  const v128_t va = wasm_f32x4_splat(a);
  for (; i + 4 <= n; i += 4)
    wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(va, wasm_v128_load(x + i))));
  for (; i < n; ++i) y[i] += a * x[i];
}
void scale(size_t n, float a, const float* x, float* y) {
  size_t i = 0;
  const v128_t va = wasm_f32x4_splat(a);
  for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, wasm_f32x4_mul(va, wasm_v128_load(x + i)));
  for (; i < n; ++i) y[i] = a * x[i];
}

}  // namespace simd
#endif

}  // namespace wasmcnn::kernels

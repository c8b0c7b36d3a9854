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
// Column blocks of up to 8 vectors stay in registers while every row streams past, so the sums
// are not reloaded and stored per row. A block's last vector may cover fewer than 4 columns: its
// other lanes read the next row (harmless, never stored), except on the last row, which goes
// through a zero-padded copy so nothing is read past the end of dy.
template <int NV>
static void bias_grad_block(size_t rows, size_t cols, size_t c0, size_t width, const float* dy, float* db) {
  v128_t acc[NV];
  for (int v = 0; v < NV; ++v) acc[v] = wasm_f32x4_splat(0.f);
  const float* p = dy + c0;
  for (size_t r = 0; r + 1 < rows; ++r, p += cols)
    for (int v = 0; v < NV; ++v) acc[v] = wasm_f32x4_add(acc[v], wasm_v128_load(p + 4 * v));
  alignas(16) float last[4 * NV] = {};
  for (size_t j = 0; j < width; ++j) last[j] = p[j];
  for (int v = 0; v < NV; ++v) acc[v] = wasm_f32x4_add(acc[v], wasm_v128_load(last + 4 * v));
  alignas(16) float out[4 * NV];
  for (int v = 0; v < NV; ++v) wasm_v128_store(out + 4 * v, acc[v]);
  for (size_t j = 0; j < width; ++j) db[c0 + j] = out[j];
}

void bias_grad(size_t rows, size_t cols, const float* dy, float* db) {
  if (rows == 0) {
    for (size_t c = 0; c < cols; ++c) db[c] = 0.f;
    return;
  }
  for (size_t c0 = 0; c0 < cols; c0 += 32) {
    const size_t width = cols - c0 < 32 ? cols - c0 : 32;
    switch ((width + 3) / 4) {
      case 1: bias_grad_block<1>(rows, cols, c0, width, dy, db); break;
      case 2: bias_grad_block<2>(rows, cols, c0, width, dy, db); break;
      case 3: bias_grad_block<3>(rows, cols, c0, width, dy, db); break;
      case 4: bias_grad_block<4>(rows, cols, c0, width, dy, db); break;
      case 5: bias_grad_block<5>(rows, cols, c0, width, dy, db); break;
      case 6: bias_grad_block<6>(rows, cols, c0, width, dy, db); break;
      case 7: bias_grad_block<7>(rows, cols, c0, width, dy, db); break;
      default: bias_grad_block<8>(rows, cols, c0, width, dy, db); break;
    }
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

#include "kernels/update.h"

#include <cmath>

namespace wasmcnn::kernels {

namespace portable {

void sgd_update(size_t n, float lr, float momentum, bool nesterov, const float* g, float* v, float* w) {
  for (size_t i = 0; i < n; ++i) {
    v[i] = momentum * v[i] - lr * g[i];
    w[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i];
  }
}

void adam_update(size_t n, float lr_t, float b1, float b2, float eps, const float* g, float* m, float* v, float* w) {
  for (size_t i = 0; i < n; ++i) {
    m[i] = b1 * m[i] + (1.f - b1) * g[i];
    v[i] = b2 * v[i] + (1.f - b2) * (g[i] * g[i]);
    w[i] -= lr_t * m[i] / (std::sqrt(v[i]) + eps);
  }
}

void rmsprop_update(size_t n, float lr, float rho, float momentum, float eps, const float* g, float* ms, float* mom,
                    float* w) {
  for (size_t i = 0; i < n; ++i) {
    ms[i] = rho * ms[i] + (1.f - rho) * (g[i] * g[i]);
    mom[i] = momentum * mom[i] + lr * g[i] / std::sqrt(ms[i] + eps);
    w[i] -= mom[i];
  }
}

}  // namespace portable

#if WASMCNN_SIMD
namespace simd {

void sgd_update(size_t n, float lr, float momentum, bool nesterov, const float* g, float* v, float* w) {
  size_t i = 0;
  const v128_t vm = wasm_f32x4_splat(momentum), vlr = wasm_f32x4_splat(lr);
  for (; i + 4 <= n; i += 4) {
    v128_t lg = wasm_f32x4_mul(vlr, wasm_v128_load(g + i));
    v128_t vv = wasm_f32x4_sub(wasm_f32x4_mul(vm, wasm_v128_load(v + i)), lg);
    wasm_v128_store(v + i, vv);
    v128_t step = nesterov ? wasm_f32x4_sub(wasm_f32x4_mul(vm, vv), lg) : vv;
    wasm_v128_store(w + i, wasm_f32x4_add(wasm_v128_load(w + i), step));
  }
  for (; i < n; ++i) {
    v[i] = momentum * v[i] - lr * g[i];
    w[i] += nesterov ? momentum * v[i] - lr * g[i] : v[i];
  }
}

void adam_update(size_t n, float lr_t, float b1, float b2, float eps, const float* g, float* m, float* v, float* w) {
  size_t i = 0;
  const v128_t vb1 = wasm_f32x4_splat(b1), vb2 = wasm_f32x4_splat(b2);
  const v128_t vc1 = wasm_f32x4_splat(1.f - b1), vc2 = wasm_f32x4_splat(1.f - b2);
  const v128_t vlr = wasm_f32x4_splat(lr_t), veps = wasm_f32x4_splat(eps);
  for (; i + 4 <= n; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(vb1, wasm_v128_load(m + i)), wasm_f32x4_mul(vc1, gi));
    v128_t vi = wasm_f32x4_add(wasm_f32x4_mul(vb2, wasm_v128_load(v + i)), wasm_f32x4_mul(vc2, wasm_f32x4_mul(gi, gi)));
    wasm_v128_store(m + i, mi);
    wasm_v128_store(v + i, vi);
    v128_t step = wasm_f32x4_div(wasm_f32x4_mul(vlr, mi), wasm_f32x4_add(wasm_f32x4_sqrt(vi), veps));
    wasm_v128_store(w + i, wasm_f32x4_sub(wasm_v128_load(w + i), step));
  }
  for (; i < n; ++i) {
    m[i] = b1 * m[i] + (1.f - b1) * g[i];
    v[i] = b2 * v[i] + (1.f - b2) * (g[i] * g[i]);
    w[i] -= lr_t * m[i] / (std::sqrt(v[i]) + eps);
  }
}

void rmsprop_update(size_t n, float lr, float rho, float momentum, float eps, const float* g, float* ms, float* mom,
                    float* w) {
  size_t i = 0;
  const v128_t vrho = wasm_f32x4_splat(rho), vc = wasm_f32x4_splat(1.f - rho);
  const v128_t vm = wasm_f32x4_splat(momentum), vlr = wasm_f32x4_splat(lr), veps = wasm_f32x4_splat(eps);
  for (; i + 4 <= n; i += 4) {
    v128_t gi = wasm_v128_load(g + i);
    v128_t si = wasm_f32x4_add(wasm_f32x4_mul(vrho, wasm_v128_load(ms + i)), wasm_f32x4_mul(vc, wasm_f32x4_mul(gi, gi)));
    wasm_v128_store(ms + i, si);
    v128_t step = wasm_f32x4_div(wasm_f32x4_mul(vlr, gi), wasm_f32x4_sqrt(wasm_f32x4_add(si, veps)));
    v128_t mi = wasm_f32x4_add(wasm_f32x4_mul(vm, wasm_v128_load(mom + i)), step);
    wasm_v128_store(mom + i, mi);
    wasm_v128_store(w + i, wasm_f32x4_sub(wasm_v128_load(w + i), mi));
  }
  for (; i < n; ++i) {
    ms[i] = rho * ms[i] + (1.f - rho) * (g[i] * g[i]);
    mom[i] = momentum * mom[i] + lr * g[i] / std::sqrt(ms[i] + eps);
    w[i] -= mom[i];
  }
}

}  // namespace simd
#endif

}  // namespace wasmcnn::kernels

// The SIMD activation kernels: activation_math.h instantiated for F32x4 (4 lanes per operation),
// the scalar tail for float; PReLU vectorised over m (inner == 1) or over inner.
#include "core/check.h"
#include "kernels/activation_ext.h"

#if WASMCNN_SIMD
namespace wasmcnn::kernels::act {

// Four floats and the operations activation_math.h needs, each one wasm SIMD instruction (or two).
struct F32x4 {
  v128_t v;
  F32x4() = default;
  explicit F32x4(float f) : v(wasm_f32x4_splat(f)) {}
  explicit F32x4(v128_t r) : v(r) {}
};
struct Mask4 {
  v128_t v;
};
inline F32x4 operator+(F32x4 a, F32x4 b) { return F32x4(wasm_f32x4_add(a.v, b.v)); }
inline F32x4 operator-(F32x4 a, F32x4 b) { return F32x4(wasm_f32x4_sub(a.v, b.v)); }
inline F32x4 operator*(F32x4 a, F32x4 b) { return F32x4(wasm_f32x4_mul(a.v, b.v)); }
inline F32x4 operator/(F32x4 a, F32x4 b) { return F32x4(wasm_f32x4_div(a.v, b.v)); }
inline F32x4 vmax(F32x4 a, F32x4 b) { return F32x4(wasm_f32x4_pmax(a.v, b.v)); }
inline F32x4 vmin(F32x4 a, F32x4 b) { return F32x4(wasm_f32x4_pmin(a.v, b.v)); }
inline F32x4 vabs(F32x4 a) { return F32x4(wasm_f32x4_abs(a.v)); }
inline F32x4 vround(F32x4 a) { return F32x4(wasm_f32x4_nearest(a.v)); }
inline Mask4 lt(F32x4 a, F32x4 b) { return {wasm_f32x4_lt(a.v, b.v)}; }
inline Mask4 gt(F32x4 a, F32x4 b) { return {wasm_f32x4_gt(a.v, b.v)}; }
inline Mask4 ge(F32x4 a, F32x4 b) { return {wasm_f32x4_ge(a.v, b.v)}; }
inline Mask4 eq(F32x4 a, F32x4 b) { return {wasm_f32x4_eq(a.v, b.v)}; }
inline Mask4 both(Mask4 a, Mask4 b) { return {wasm_v128_and(a.v, b.v)}; }
inline F32x4 select(Mask4 m, F32x4 a, F32x4 b) { return F32x4(wasm_v128_bitselect(a.v, b.v, m.v)); }
inline F32x4 pow2i(F32x4 n) {
  const v128_t e = wasm_i32x4_add(wasm_i32x4_trunc_sat_f32x4(n.v), wasm_i32x4_splat(127));
  return F32x4(wasm_i32x4_shl(e, 23));
}

}  // namespace wasmcnn::kernels::act

#include "kernels/activation_math.h"

namespace wasmcnn::kernels::simd {

using act::F32x4;

void activation_forward(Activation a, const ActivationParams& p, size_t n, const float* x, float* y) {
  act::dispatch(a, [&](auto k) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, act::forward<decltype(k)::value>(p, F32x4(wasm_v128_load(x + i))).v);
    for (; i < n; ++i) y[i] = act::forward<decltype(k)::value>(p, x[i]);
  });
}

void activation_backward(Activation a, const ActivationParams& p, size_t n, const float* x, const float* dy,
                         float* dx) {
  act::dispatch(a, [&](auto k) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
      const F32x4 d = act::derivative<decltype(k)::value>(p, F32x4(wasm_v128_load(x + i)));
      wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), d.v));
    }
    for (; i < n; ++i) dx[i] = dy[i] * act::derivative<decltype(k)::value>(p, x[i]);
  });
}

namespace {
// One run of n values sharing the slopes a (a vector of per-lane slopes, or one slope splat).
inline v128_t prelu4(v128_t x, v128_t a) {
  return wasm_v128_bitselect(wasm_f32x4_mul(a, x), x, wasm_f32x4_lt(x, wasm_f32x4_splat(0.f)));
}
}  // namespace

void prelu_forward(size_t outer, size_t m, size_t inner, const float* alpha, const float* x, float* y) {
  for (size_t o = 0; o < outer; ++o) {
    if (inner == 1) {
      size_t j = 0;
      for (; j + 4 <= m; j += 4) wasm_v128_store(y + j, prelu4(wasm_v128_load(x + j), wasm_v128_load(alpha + j)));
      for (; j < m; ++j) y[j] = x[j] < 0.f ? alpha[j] * x[j] : x[j];
      x += m, y += m;
      continue;
    }
    for (size_t j = 0; j < m; ++j, x += inner, y += inner) {
      const v128_t a = wasm_f32x4_splat(alpha[j]);
      size_t k = 0;
      for (; k + 4 <= inner; k += 4) wasm_v128_store(y + k, prelu4(wasm_v128_load(x + k), a));
      for (; k < inner; ++k) y[k] = x[k] < 0.f ? alpha[j] * x[k] : x[k];
    }
  }
}

void prelu_backward(size_t outer, size_t m, size_t inner, const float* alpha, const float* x, const float* dy,
                    float* dx, float* dalpha) {
  const v128_t zero = wasm_f32x4_splat(0.f);
  for (size_t o = 0; o < outer; ++o) {
    if (inner == 1) {
      size_t j = 0;
      for (; j + 4 <= m; j += 4) {
        const v128_t xv = wasm_v128_load(x + j), d = wasm_v128_load(dy + j), pos = wasm_f32x4_gt(xv, zero);
        wasm_v128_store(dx + j, wasm_v128_bitselect(d, wasm_f32x4_mul(wasm_v128_load(alpha + j), d), pos));
        const v128_t term = wasm_v128_bitselect(zero, wasm_f32x4_mul(d, xv), pos);
        wasm_v128_store(dalpha + j, wasm_f32x4_add(wasm_v128_load(dalpha + j), term));
      }
      for (; j < m; ++j) {
        const bool pos = x[j] > 0.f;
        dx[j] = pos ? dy[j] : alpha[j] * dy[j];
        dalpha[j] += pos ? 0.f : dy[j] * x[j];
      }
      x += m, dy += m, dx += m;
      continue;
    }
    // inner > 1: dx four lanes at a time; dalpha[j]'s sum stays in order, one term at a time.
    for (size_t j = 0; j < m; ++j, x += inner, dy += inner, dx += inner) {
      const v128_t a = wasm_f32x4_splat(alpha[j]);
      size_t k = 0;
      for (; k + 4 <= inner; k += 4) {
        const v128_t xv = wasm_v128_load(x + k), d = wasm_v128_load(dy + k);
        wasm_v128_store(dx + k, wasm_v128_bitselect(d, wasm_f32x4_mul(a, d), wasm_f32x4_gt(xv, zero)));
      }
      for (; k < inner; ++k) dx[k] = x[k] > 0.f ? dy[k] : alpha[j] * dy[k];
      float s = dalpha[j];
      for (k = 0; k < inner; ++k) s += x[k] > 0.f ? 0.f : dy[k] * x[k];
      dalpha[j] = s;
    }
  }
}

}  // namespace wasmcnn::kernels::simd
#endif

// The activations of activation_ext.h written once, over a value type V: float (the portable
// kernels and every SIMD scalar tail) or the f32x4 wrapper in activation_ext_simd.cpp. Each
// function is a fixed sequence of IEEE operations (+ - * /, min/max with pmin/pmax semantics,
// round-to-nearest-even, selects, exact power-of-two scaling), the same for both types, so the
// two instantiations give the same bits lane for lane: the portable kernel stays the
// specification and the SIMD kernel a real f32x4 path, without two hand-kept copies of 22
// formulas. Internal to the kernels: include only from kernel .cpp files.
//
// V supplies, found by overload (float: below) or argument-dependent lookup (f32x4): V(float),
// + - * /, vmax, vmin, vabs, vround, lt, gt, ge, eq, both (mask and), select(mask, a, b), pow2i.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "kernels/activation_ext.h"

namespace wasmcnn::kernels::act {

inline float vmax(float a, float b) { return a < b ? b : a; }  // wasm f32x4.pmax
inline float vmin(float a, float b) { return b < a ? b : a; }  // wasm f32x4.pmin
inline float vabs(float a) { return std::fabs(a); }
inline float vround(float a) { return std::nearbyint(a); }    // ties to even, as f32x4.nearest
inline bool lt(float a, float b) { return a < b; }
inline bool gt(float a, float b) { return a > b; }
inline bool ge(float a, float b) { return a >= b; }
inline bool eq(float a, float b) { return a == b; }
inline bool both(bool a, bool b) { return a && b; }
inline float select(bool m, float a, float b) { return m ? a : b; }
// 2^n for an integral n in [-126, 127], exactly.
inline float pow2i(float n) {
  const int32_t bits = (int32_t(n) + 127) << 23;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// exp(r) - 1 = r * q(r) on |r| <= ln2 / 2: Taylor to r^7 (truncation below 2e-8 relative).
template <class V>
V expm1_q(V r) {
  V q(1.f / 5040);
  q = q * r + V(1.f / 720);
  q = q * r + V(1.f / 120);
  q = q * r + V(1.f / 24);
  q = q * r + V(1.f / 6);
  q = q * r + V(0.5f);
  return q * r + V(1.f);
}

// exp(x) = 2^n e^r, n = round(x / ln2), r = x - n ln2 (ln2 in two parts, Cody and Waite, so r is
// nearly exact). n is kept in [-125, 128] and the scaling done as 2^(n-1) * 2, so every n is a
// normal power of two; below x = -86.6 (results < 2.4e-38) the result is 0, above 88.72 inf.
// expm1: for |x| < ln2 / 2 (n = 0) r = x exactly and r q(r) has no cancellation.
template <class V>
V exp_impl(V x, bool minus_one) {
  const V lo(-86.6f), hi(88.72283f);
  const V xc = vmin(vmax(x, lo), hi);
  const V n = vround(xc * V(1.44269504f));
  const V r = (xc - n * V(0.693359375f)) - n * V(-2.12194440e-4f);
  const V rq = r * expm1_q(r);
  V e = ((V(1.f) + rq) * pow2i(n - V(1.f))) * V(2.f);
  e = select(lt(x, lo), V(0.f), select(gt(x, hi), V(INFINITY), e));
  if (!minus_one) return e;
  return select(eq(n, V(0.f)), rq, e - V(1.f));
}
template <class V>
V vexp(V x) {
  return exp_impl(x, false);
}
template <class V>
V vexpm1(V x) {
  return exp_impl(x, true);
}

// log(1 + t) for t in [0, 1]: 2 atanh(s) with s = t / (2 + t) (no cancellation) up to t = sqrt2 - 1,
// above that ln2 + 2 atanh(s) with s = (u/2 - 1) / (u/2 + 1), u = 1 + t; |s| <= 0.1716, the series
// to s^11 (truncation below 1e-10).
template <class V>
V vlog1p01(V t) {
  const auto big = gt(t, V(0.41421356f));
  const V half_u = (V(1.f) + t) * V(0.5f);
  const V s = select(big, (half_u - V(1.f)) / (half_u + V(1.f)), t / (V(2.f) + t));
  const V s2 = s * s;
  V p(1.f / 11);
  p = p * s2 + V(1.f / 9);
  p = p * s2 + V(1.f / 7);
  p = p * s2 + V(1.f / 5);
  p = p * s2 + V(1.f / 3);
  p = p * s2 + V(1.f);
  return select(big, V(0.693147181f), V(0.f)) + V(2.f) * s * p;
}

// sigmoid(x) and 1 - sigmoid(x) from e = exp(-|x|): no overflow, no cancellation.
template <class V>
void sigmoid_pair(V x, V e, V& s, V& one_minus_s) {
  const V inv = V(1.f) / (V(1.f) + e);
  const auto pos = ge(x, V(0.f));
  s = select(pos, inv, e * inv);
  one_minus_s = select(pos, e * inv, inv);
}

// erfc(z) for z >= 0: t exp(-z^2 + P(t)), t = 1 / (1 + z/2) (Press et al., Numerical Recipes,
// erfcc: relative error below 1.2e-7 for all z >= 0).
template <class V>
V erfc_pos(V z) {
  const V t = V(1.f) / (V(1.f) + V(0.5f) * z);
  V p(0.17087277f);
  p = p * t + V(-0.82215223f);
  p = p * t + V(1.48851587f);
  p = p * t + V(-1.13520398f);
  p = p * t + V(0.27886807f);
  p = p * t + V(-0.18628806f);
  p = p * t + V(0.09678418f);
  p = p * t + V(0.37409196f);
  p = p * t + V(1.00002368f);
  p = p * t + V(-1.26551223f);
  return t * vexp(p - z * z);
}

// Phi(x) = erfc(-x / sqrt2) / 2: the tail that is small is computed directly.
template <class V>
V normal_cdf(V x) {
  const V half_tail = V(0.5f) * erfc_pos(vabs(x) * V(0.70710678f));
  return select(lt(x, V(0.f)), half_tail, V(1.f) - half_tail);
}

constexpr float kSeluScale = 1.0507009873554804934193349852946f;
constexpr float kSeluScaleAlpha = 1.7580993408473768599402175208123f;  // TF.js SELU_SCALEALPHA
constexpr float kGeluTanhC = 0.7978845608028654f;                      // sqrt(2 / pi)
constexpr float kInvSqrt2Pi = 0.3989422804014327f;

// tanh(softplus(x)) = num / den and 1 - tanh(softplus(x)) = rest / den, from e = exp(-|x|).
template <class V>
void mish_parts(V x, V e, V& num, V& den, V& rest) {
  const auto pos = ge(x, V(0.f));
  const V two_e2 = V(2.f) * e * e;
  num = select(pos, V(1.f) + V(2.f) * e, e * (e + V(2.f)));
  den = num + select(pos, two_e2, V(2.f));
  rest = select(pos, two_e2, V(2.f));
}

template <Activation A, class V>
V forward(const ActivationParams& p, V x) {
  if constexpr (A == Activation::Relu)
    return select(lt(x, V(p.threshold)), V(p.negative_slope) * (x - V(p.threshold)), vmin(x, V(p.max_value)));
  if constexpr (A == Activation::LeakyRelu)
    return select(lt(x, V(0.f)), V(p.alpha) * x, x);
  if constexpr (A == Activation::Elu)
    return select(gt(x, V(0.f)), x, V(p.alpha) * vexpm1(x));
  if constexpr (A == Activation::Selu)
    return select(gt(x, V(0.f)), V(kSeluScale) * x, V(kSeluScaleAlpha) * vexpm1(x));
  if constexpr (A == Activation::Swish) {
    V s, s1;
    sigmoid_pair(x, vexp(V(0.f) - vabs(x)), s, s1);
    return x * s;
  }
  if constexpr (A == Activation::Gelu)
    return x * normal_cdf(x);
  if constexpr (A == Activation::GeluTanh) {
    const V u2 = V(2.f * kGeluTanhC) * (x + V(0.044715f) * x * x * x);  // 1 + tanh(u) = 2 sigmoid(2u)
    V s, s1;
    sigmoid_pair(u2, vexp(V(0.f) - vabs(u2)), s, s1);
    return x * s;
  }
  if constexpr (A == Activation::HardSigmoid)
    return vmin(vmax(V(0.2f) * x + V(0.5f), V(0.f)), V(1.f));
  if constexpr (A == Activation::Softplus)
    return vmax(x, V(0.f)) + vlog1p01(vexp(V(0.f) - vabs(x)));
  if constexpr (A == Activation::Softsign)
    return x / (V(1.f) + vabs(x));
  if constexpr (A == Activation::Mish) {
    V num, den, rest;
    mish_parts(x, vexp(V(0.f) - vabs(x)), num, den, rest);
    return x * (num / den);
  }
  return x;
}

// f'(x)
template <Activation A, class V>
V derivative(const ActivationParams& p, V x) {
  if constexpr (A == Activation::Relu)
    return select(lt(x, V(p.threshold)), V(p.negative_slope), select(lt(x, V(p.max_value)), V(1.f), V(0.f)));
  if constexpr (A == Activation::LeakyRelu)
    return select(gt(x, V(0.f)), V(1.f), V(p.alpha));
  if constexpr (A == Activation::Elu)
    return select(gt(x, V(0.f)), V(1.f), V(p.alpha) * vexp(vmin(x, V(0.f))));
  if constexpr (A == Activation::Selu)
    return select(gt(x, V(0.f)), V(kSeluScale), V(kSeluScaleAlpha) * vexp(vmin(x, V(0.f))));
  if constexpr (A == Activation::Swish) {
    V s, s1;
    sigmoid_pair(x, vexp(V(0.f) - vabs(x)), s, s1);
    return s * (V(1.f) + x * s1);
  }
  if constexpr (A == Activation::Gelu)
    return normal_cdf(x) + x * (V(kInvSqrt2Pi) * vexp(V(-0.5f) * x * x));
  if constexpr (A == Activation::GeluTanh) {
    // Beyond |x| = 20 the derivative is 0 or 1 to float precision; clamping keeps x^2 finite
    // (s * (1 - s) * du2 would be 0 * inf).
    x = vmin(vmax(x, V(-20.f)), V(20.f));
    const V x2 = x * x;
    const V u2 = V(2.f * kGeluTanhC) * (x + V(0.044715f) * x2 * x);
    V s, s1;
    sigmoid_pair(u2, vexp(V(0.f) - vabs(u2)), s, s1);
    const V du2 = V(2.f * kGeluTanhC) * (V(1.f) + V(3.f * 0.044715f) * x2);
    return s + x * (s * s1 * du2);
  }
  if constexpr (A == Activation::HardSigmoid) {
    const V t = V(0.2f) * x + V(0.5f);
    return select(both(gt(t, V(0.f)), lt(t, V(1.f))), V(0.2f), V(0.f));
  }
  if constexpr (A == Activation::Softplus) {
    V s, s1;
    sigmoid_pair(x, vexp(V(0.f) - vabs(x)), s, s1);
    return s;
  }
  if constexpr (A == Activation::Softsign) {
    const V d = V(1.f) + vabs(x);
    return V(1.f) / (d * d);
  }
  if constexpr (A == Activation::Mish) {
    const V e = vexp(V(0.f) - vabs(x));
    V num, den, rest, s, s1;
    mish_parts(x, e, num, den, rest);
    sigmoid_pair(x, e, s, s1);
    const V t = num / den;
    const V one_minus_t2 = (rest / den) * (V(1.f) + t);  // (1 - t)(1 + t)
    return t + x * (one_minus_t2 * s);
  }
  return V(1.f);
}

// Calls f(std::integral_constant<Activation, a>{}): the kernels' loops are instantiated per
// activation, with no switch inside them.
template <class F>
void dispatch(Activation a, F&& f) {
  using A = Activation;
  switch (a) {
    case A::Relu: return f(std::integral_constant<A, A::Relu>{});
    case A::LeakyRelu: return f(std::integral_constant<A, A::LeakyRelu>{});
    case A::Elu: return f(std::integral_constant<A, A::Elu>{});
    case A::Selu: return f(std::integral_constant<A, A::Selu>{});
    case A::Swish: return f(std::integral_constant<A, A::Swish>{});
    case A::Gelu: return f(std::integral_constant<A, A::Gelu>{});
    case A::GeluTanh: return f(std::integral_constant<A, A::GeluTanh>{});
    case A::HardSigmoid: return f(std::integral_constant<A, A::HardSigmoid>{});
    case A::Softplus: return f(std::integral_constant<A, A::Softplus>{});
    case A::Softsign: return f(std::integral_constant<A, A::Softsign>{});
    case A::Mish: return f(std::integral_constant<A, A::Mish>{});
  }
  static_assert(kActivationCount == 11, "dispatch has a case per activation");
}

}  // namespace wasmcnn::kernels::act

// Kernel twins (see kernel_check.h): element-wise, bias, update and pooling kernels on sizes that run
// every SIMD tail, bit for bit; gemm against the double-accumulating reference (the one comparison
// that needs a tolerance, argued in check_gemm); im2col/col2im adjointness.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "kernels/conv.h"
#include "kernels/eltwise.h"
#include "kernels/gemm.h"
#include "kernels/pool.h"
#include "kernels/update.h"
#include "kernel_check.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

TEST_CASE("element-wise kernels: the twin is bit-identical to the portable path") {
  Rng rng(11);
  for (size_t n : kSizes) {
    Buf x(rng, n), dy(rng, n), yr(rng, n, 0.f, 1.f), yt(rng, n, -1.f, 1.f);
    // ReLU must agree on the special values too: -0, +-inf, NaN, denormals.
    const float specials[] = {-0.f, 0.f, INFINITY, -INFINITY, NAN, 1e-40f, -1e-40f};
    for (size_t i = 0; i < n && i < 7; ++i) x.v[(i * 5) % n] = specials[i];
    Buf a(n), b(n);
    portable::relu_forward(n, x.p(), a.p());
    twin::relu_forward(n, x.p(), b.p());
    check_same(a, b, "relu_forward");
    // relu_backward takes y = relu(x): zeros and positives.
    portable::relu_backward(n, a.p(), dy.p(), b.p());
    Buf c(n);
    twin::relu_backward(n, a.p(), dy.p(), c.p());
    check_same(b, c, "relu_backward");
    Buf s1(n), s2(n);
    portable::sigmoid_backward(n, yr.p(), dy.p(), s1.p());
    twin::sigmoid_backward(n, yr.p(), dy.p(), s2.p());
    check_same(s1, s2, "sigmoid_backward");
    portable::tanh_backward(n, yt.p(), dy.p(), s1.p());
    twin::tanh_backward(n, yt.p(), dy.p(), s2.p());
    check_same(s1, s2, "tanh_backward");
    Buf y1(rng, n), y2 = y1;
    portable::axpy(n, 0.37f, dy.p(), y1.p());
    twin::axpy(n, 0.37f, dy.p(), y2.p());
    check_same(y1, y2, "axpy");
    portable::scale(n, -1.3f, dy.p(), y1.p());
    twin::scale(n, -1.3f, dy.p(), y2.p());
    check_same(y1, y2, "scale");
  }
}

TEST_CASE("bias kernels: the twin is bit-identical on every row length") {
  Rng rng(12);
  for (size_t cols : kSizes)
    for (size_t rows : {size_t(1), size_t(3), size_t(13)}) {
      Buf b(rng, cols), y1(rng, rows * cols), y2 = y1;
      portable::bias_add(rows, cols, b.p(), y1.p());
      twin::bias_add(rows, cols, b.p(), y2.p());
      check_same(y1, y2, "bias_add");
      Buf d1(rng, cols), d2(rng, cols);
      portable::bias_grad(rows, cols, y1.p(), d1.p());
      twin::bias_grad(rows, cols, y1.p(), d2.p());
      check_same(d1, d2, "bias_grad");
    }
}

TEST_CASE("optimizer update kernels: the twin is bit-identical") {
  Rng rng(13);
  for (size_t n : kSizes)
    for (bool nesterov : {false, true}) {
      Buf g(rng, n), v1(rng, n, -0.1f, 0.1f), w1(rng, n), v2 = v1, w2 = w1;
      for (int step = 0; step < 3; ++step) {
        portable::sgd_update(n, 0.01f, 0.9f, nesterov, g.p(), v1.p(), w1.p());
        twin::sgd_update(n, 0.01f, 0.9f, nesterov, g.p(), v2.p(), w2.p());
      }
      check_same(v1, v2, nesterov ? "sgd_update v (nesterov)" : "sgd_update v");
      check_same(w1, w2, nesterov ? "sgd_update w (nesterov)" : "sgd_update w");
    }
  for (size_t n : kSizes) {
    Buf g(rng, n), m1(rng, n, -0.1f, 0.1f), v1(rng, n, 0.f, 0.1f), w1(rng, n), m2 = m1, v2 = v1, w2 = w1;
    for (int step = 0; step < 3; ++step) {
      portable::adam_update(n, 1e-3f, 0.9f, 0.999f, 1e-7f, g.p(), m1.p(), v1.p(), w1.p());
      twin::adam_update(n, 1e-3f, 0.9f, 0.999f, 1e-7f, g.p(), m2.p(), v2.p(), w2.p());
    }
    check_same(m1, m2, "adam_update m");
    check_same(v1, v2, "adam_update v");
    check_same(w1, w2, "adam_update w");
  }
  for (size_t n : kSizes)
    for (float momentum : {0.f, 0.9f}) {
      Buf g(rng, n), s1(rng, n, 0.f, 0.1f), m1(rng, n, -0.1f, 0.1f), w1(rng, n), s2 = s1, m2 = m1, w2 = w1;
      for (int step = 0; step < 3; ++step) {
        portable::rmsprop_update(n, 1e-3f, 0.9f, momentum, 1e-7f, g.p(), s1.p(), m1.p(), w1.p());
        twin::rmsprop_update(n, 1e-3f, 0.9f, momentum, 1e-7f, g.p(), s2.p(), m2.p(), w2.p());
      }
      check_same(s1, s2, "rmsprop_update ms");
      check_same(m1, m2, "rmsprop_update mom");
      check_same(w1, w2, "rmsprop_update w");
    }
}

TEST_CASE("rmsprop_update: one step by hand, as TF.js computes it") {
  // g = 2, ms = 0.5, mom = 0.1, w = 1; rho 0.9, momentum 0.5, lr 0.01, eps 1e-7:
  // ms = 0.45 + 0.1 * 4 = 0.85; mom = 0.05 + 0.02 / sqrt(0.85 + 1e-7); w = 1 - mom.
  const float g = 2.f;
  float ms = 0.5f, mom = 0.1f, w = 1.f;
  portable::rmsprop_update(1, 0.01f, 0.9f, 0.5f, 1e-7f, &g, &ms, &mom, &w);
  const double want_mom = 0.05 + 0.02 / std::sqrt(0.85 + 1e-7);
  CHECK(ms == doctest::Approx(0.85).epsilon(1e-6));
  CHECK(mom == doctest::Approx(want_mom).epsilon(1e-6));
  CHECK(w == doctest::Approx(1 - want_mom).epsilon(1e-6));
}

TEST_CASE("pooling kernels: the twin is bit-identical, argmax included, ties too") {
  Rng rng(14);
  struct Geo { int h, w, k, s; bool same; };
  const Geo geos[] = {{4, 4, 2, 2, false}, {5, 5, 2, 2, true}, {7, 6, 3, 2, true}, {5, 4, 3, 1, false},
                      {3, 5, 2, 3, true}};
  auto run = [&](const kernels::ConvGeometry& g) {
    INFO("pool ", g.h, "x", g.w, "x", g.c, " window ", g.kh, " stride ", g.sh, " pad ", g.pad_top, ",", g.pad_left);
    const size_t in = size_t(g.h) * g.w * g.c, out = size_t(g.oh) * g.ow * g.c;
    Buf x(rng, in);
    for (size_t i = 0; i < in; i += 3) x.v[i] = float(int(x.v[i] * 2));  // many exact ties
    Buf y1(out), y2(out);
    std::vector<int32_t> a1(out + kGuard, -1), a2(out + kGuard, -1);
    portable::max_pool_forward(g, x.p(), y1.p(), a1.data(), kernels::all(1));
    twin::max_pool_forward(g, x.p(), y2.p(), a2.data(), kernels::all(1));
    check_same(y1, y2, "max_pool_forward y");
    CHECK(a1 == a2);
    Buf y3(out), y4(out);  // without argmax (inference): the same y
    portable::max_pool_forward(g, x.p(), y3.p(), nullptr, kernels::all(1));
    twin::max_pool_forward(g, x.p(), y4.p(), nullptr, kernels::all(1));
    check_same(y1, y3, "max_pool_forward y without argmax");
    check_same(y1, y4, "max_pool_forward y without argmax (twin)");
    for (kernels::PoolMode mode : {kernels::PoolMode::Average, kernels::PoolMode::Sum}) {
      portable::avg_pool_forward(g, mode, x.p(), y1.p(), kernels::all(1));
      twin::avg_pool_forward(g, mode, x.p(), y2.p(), kernels::all(1));
      check_same(y1, y2, mode == kernels::PoolMode::Sum ? "sum pool" : "average pool");
    }
  };
  for (size_t c : kSizes)
    for (const Geo& q : geos) run(kernels::conv_geometry(q.h, q.w, int(c), q.k, q.k, q.s, q.s, q.same));
  // LeNet-5's two pooling layers.
  run(kernels::conv_geometry(28, 28, 6, 2, 2, 2, 2, false));
  run(kernels::conv_geometry(10, 10, 16, 2, 2, 2, 2, false));
}

namespace {

// C = op(A) op(B) (+ C) with leading dimensions `pad` wider than the logical rows, whose padding
// holds NaN in A and B (a read of it would poison C) and a sentinel in C (must stay untouched).
// Tolerance: the packed kernel sums k float products in sequence from 0, so |c - c*| <=
// gamma_n(k) sum_p |a||b| (Higham 3.5), then one more rounding for + C; the reference accumulates in
// double (error ~k 2^-53) and rounds once: |c_ref - c*| <= u |c*|. Together within
// gamma_n(k + 3) (sum_p |a_ip||b_pj| + |c_old|).
void check_gemm(Rng& rng, bool ta, bool tb, size_t m, size_t n, size_t k, bool acc, size_t pad) {
  INFO("gemm ta=", ta, " tb=", tb, " m=", m, " n=", n, " k=", k, " accumulate=", acc, " pad=", pad);
  const size_t lda = (ta ? m : k) + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
  const size_t a_rows = ta ? k : m, b_rows = tb ? n : k;
  std::vector<float> a(a_rows * lda, NAN), b(b_rows * ldb, NAN);
  for (size_t r = 0; r < a_rows; ++r) fill_uniform(rng, a.data() + r * lda, lda - pad);
  for (size_t r = 0; r < b_rows; ++r) fill_uniform(rng, b.data() + r * ldb, ldb - pad);
  Buf c(m * ldc);
  for (size_t i = 0; i < m; ++i) fill_uniform(rng, &c.v[i * ldc], n);
  Buf c_ref = c, c_old = c;
  const size_t ws = kernels::gemm_workspace_floats(m, n, k);
  Tensor work({int(ws + kGuard)});  // 16-byte aligned, as the kernel requires
  for (size_t i = ws; i < ws + kGuard; ++i) work[i] = kSentinel;

  kernels::gemm_reference(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, acc, c_ref.p(), ldc);
  twin::gemm(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, acc, c.p(), ldc, work.data());

  size_t bad = 0;
  for (size_t i = 0; i < m; ++i) {
    for (size_t j = 0; j < n; ++j) {
      double mag = acc ? std::fabs(c_old.v[i * ldc + j]) : 0.0;
      for (size_t p = 0; p < k; ++p)
        mag += std::fabs(double(ta ? a[p * lda + i] : a[i * lda + p]) * (tb ? b[j * ldb + p] : b[p * ldb + j]));
      const double err = std::fabs(double(c.v[i * ldc + j]) - c_ref.v[i * ldc + j]);
      if (!(err <= gamma_n(double(k) + 3) * mag) && ++bad <= 3)
        FAIL_CHECK("C[", i, ",", j, "] = ", c.v[i * ldc + j], ", reference ", c_ref.v[i * ldc + j]);
    }
    for (size_t j = n; j < ldc; ++j) CHECK(c.v[i * ldc + j] == kSentinel);
  }
  CHECK(bad == 0);
  CHECK(c.guard_intact());
  for (size_t i = ws; i < ws + kGuard; ++i) CHECK(work[i] == kSentinel);

#if WASMCNN_SIMD
  // The SIMD micro-kernel does the portable one's operations in its order: bit-identical.
  Buf c_portable = c_old;
  portable::gemm(ta, tb, m, n, k, a.data(), lda, b.data(), ldb, acc, c_portable.p(), ldc, work.data());
  check_same(c, c_portable, "gemm simd vs portable");
#endif
}

void check_gemm_all(Rng& rng, size_t m, size_t n, size_t k) {
  for (bool ta : {false, true})
    for (bool tb : {false, true})
      for (bool acc : {false, true})
        for (size_t pad : {size_t(0), size_t(3)}) check_gemm(rng, ta, tb, m, n, k, acc, pad);
}

}  // namespace

TEST_CASE("gemm matches the reference: transposes, accumulate, odd sizes, k = 0, wide leading dims") {
  Rng rng(15);
  for (size_t s : kSizes) {
    check_gemm_all(rng, s, 5, 7);
    check_gemm_all(rng, 5, s, 7);
    check_gemm_all(rng, 5, 7, s);
    if (s <= 13) check_gemm_all(rng, s, s, s);
  }
  check_gemm_all(rng, 1, 1, 1);
  check_gemm_all(rng, 1, 9, 3);
  check_gemm_all(rng, 9, 1, 3);
  check_gemm_all(rng, 6, 5, 0);  // k = 0: C = 0, or C unchanged when accumulating
  check_gemm_all(rng, 0, 5, 3);  // empty C: nothing written
}

TEST_CASE("gemm matches the reference on LeNet-5 shapes") {
  Rng rng(16);
  // conv1 (28x28x1 -> 28x28x6, 5x5 'same', 13 images per im2col chunk): forward, dkernel
  check_gemm(rng, false, false, 13 * 784, 6, 25, false, 0);
  check_gemm(rng, true, false, 25, 6, 13 * 784, true, 0);
  // conv2 (14x14x6 -> 10x10x16, 5x5 valid, 17 images per chunk): forward, dkernel, dcol
  check_gemm(rng, false, false, 1700, 16, 150, false, 0);
  check_gemm(rng, true, false, 150, 16, 1700, false, 0);
  check_gemm(rng, false, true, 1700, 150, 16, false, 0);
  // dense 400 -> 120 -> 84 -> 10 at batch 32: forward, dkernel, dx
  const size_t dense_layers[][2] = {{400, 120}, {120, 84}};
  for (const auto& layer : dense_layers) {
    const size_t fan_in = layer[0], units = layer[1];
    check_gemm(rng, false, false, 32, units, fan_in, false, 0);
    check_gemm(rng, true, false, fan_in, units, 32, false, 0);
    check_gemm(rng, false, true, 32, fan_in, units, false, 0);
  }
  check_gemm(rng, false, false, 32, 10, 84, false, 0);
}

TEST_CASE("im2col and col2im are adjoint: <im2col(x), c> == <x, col2im(c)>") {
  Rng rng(17);
  int geometries = 0;
  for (int channels : {1, 3, 6})
    for (int k : {1, 2, 3, 5})
      for (int stride : {1, 2, 3})
        for (bool same : {false, true}) {
          const kernels::ConvGeometry g = kernels::conv_geometry(9, 7, channels, k, k, stride, stride, same);
          INFO("9x7x", channels, " kernel ", k, " stride ", stride, same ? " same" : " valid");
          const size_t in = size_t(g.h) * g.w * g.c, cols = size_t(g.oh) * g.ow * g.patch();
          Buf x(rng, in), c(rng, cols), col(cols), dx(in), c_abs(cols), dx_abs(in);
          std::fill(dx.v.begin(), dx.v.begin() + in, 0.f);
          kernels::im2col(g, x.p(), col.p());
          kernels::col2im(g, c.p(), dx.p());
          double lhs = 0, rhs = 0, mag = 0;
          for (size_t i = 0; i < cols; ++i) lhs += double(col.v[i]) * c.v[i];
          for (size_t i = 0; i < in; ++i) rhs += double(x.v[i]) * dx.v[i];
          // col2im sums, in float, at most ceil(k/stride)^2 entries into each pixel: its error is
          // within gamma_n(ceil(k/s)^2) <|x|, col2im(|c|)>; the double sums add ~2^-53 of that.
          for (size_t i = 0; i < cols; ++i) c_abs.v[i] = std::fabs(c.v[i]);
          std::fill(dx_abs.v.begin(), dx_abs.v.begin() + in, 0.f);
          kernels::col2im(g, c_abs.p(), dx_abs.p());
          for (size_t i = 0; i < in; ++i) mag += std::fabs(x.v[i]) * dx_abs.v[i];
          const double overlap = std::ceil(double(k) / stride) * std::ceil(double(k) / stride);
          CHECK(std::fabs(lhs - rhs) <= gamma_n(overlap + 1) * mag);
          CHECK(col.guard_intact());
          CHECK(dx.guard_intact());
          // And im2col itself: each row is the zero-padded receptive field in (ky, kx, c) order.
          size_t bad = 0;
          for (int oy = 0; oy < g.oh; ++oy)
            for (int ox = 0; ox < g.ow; ++ox)
              for (int ky = 0; ky < k; ++ky)
                for (int kx = 0; kx < k; ++kx)
                  for (int ch = 0; ch < channels; ++ch) {
                    const int iy = oy * stride - g.pad_top + ky, ix = ox * stride - g.pad_left + kx;
                    const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
                    const float want = inside ? x.v[(size_t(iy) * g.w + ix) * channels + ch] : 0.f;
                    const size_t at = (size_t(oy) * g.ow + ox) * g.patch() + (size_t(ky) * k + kx) * channels + ch;
                    bad += col.v[at] != want;
                  }
          CHECK(bad == 0);
          ++geometries;
        }
  CHECK(geometries == 72);
}

// The GEMM building blocks (gemm_nn, gemm_tn, transpose) and the convolution kernels (col2im,
// conv2d_forward, conv2d_backward_filter, conv2d_backward_input): twins bit-identical (see
// kernel_check.h), the GEMMs within an argued bound of a double reference, and each convolution
// kernel bit-identical to im2col + the GEMM kernel that gemm.h / conv.h say it is equivalent to
// (same sums in the same order), so every geometry path of the implicit im2col is checked exactly.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernel_check.h"
#include "kernels/conv.h"
#include "kernels/gemm.h"

using namespace wasmcnn;
using namespace wasmcnn::test;

namespace {

// Fills the logical [rows, cols] part of a row-major matrix with leading dimension ld; the
// padding columns hold NaN, so a kernel that reads them poisons its result.
std::vector<float> matrix(Rng& rng, size_t rows, size_t cols, size_t ld) {
  std::vector<float> m(rows * ld + 1, NAN);
  for (size_t r = 0; r < rows; ++r) fill_uniform(rng, m.data() + r * ld, cols);
  return m;
}

// C = act(C0 + bias + A B) in double, and the bound on the float kernel's error: the float sum of
// k products, the bias and C0 is within gamma(k + 2) of the sum of their magnitudes (Higham 3.5),
// ReLU adds none, and rounding to float one more u: gamma(k + 3).
void check_against_reference(size_t m, size_t n, size_t k, const float* a, size_t lda, size_t a_step,
                             const float* b, size_t ldb, const float* bias, bool relu, const float* c0,
                             const float* c, size_t ldc) {
  size_t bad = 0;
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < n; ++j) {
      double s = c0 ? c0[i * ldc + j] : 0.0, mag = std::fabs(s);
      if (bias) s += bias[j], mag += std::fabs(bias[j]);
      for (size_t p = 0; p < k; ++p) {
        // a_step 1: A is [m,k] (row i at i*lda); otherwise A is stored [k,m] (A^T).
        const double av = a_step == 1 ? a[i * lda + p] : a[p * lda + i];
        s += av * b[p * ldb + j];
        mag += std::fabs(av * b[p * ldb + j]);
      }
      if (relu) s = std::max(s, 0.0);
      bad += !(std::fabs(c[i * ldc + j] - s) <= gamma_n(double(k) + 3) * mag);
    }
  CHECK(bad == 0);
}

void check_gemm_nn(Rng& rng, size_t m, size_t n, size_t k, size_t pad, bool with_bias, bool relu, bool acc) {
  INFO("gemm_nn m=", m, " n=", n, " k=", k, " pad=", pad, " bias=", with_bias, " relu=", relu, " acc=", acc);
  const size_t lda = k + pad, ldb = n + pad, ldc = n + pad;
  const std::vector<float> a = matrix(rng, m, k, lda), b = matrix(rng, k, n, ldb), bias = random_vector(rng, n);
  Buf c1(m * ldc);
  for (size_t i = 0; i < m; ++i) fill_uniform(rng, c1.p() + i * ldc, n);
  const Buf c0 = c1;
  Buf c2 = c1;
  Work w1(kernels::gemm_nn_workspace_floats(n, k)), w2(kernels::gemm_nn_workspace_floats(n, k));
  const float* bp = with_bias ? bias.data() : nullptr;
  portable::gemm_nn(kernels::all(m), n, k, a.data(), lda, b.data(), ldb, bp, relu, acc, c1.p(), ldc, w1.p());
  twin::gemm_nn(kernels::all(m), n, k, a.data(), lda, b.data(), ldb, bp, relu, acc, c2.p(), ldc, w2.p());
  check_same(c1, c2, "gemm_nn");
  CHECK(w1.guard_intact());
  CHECK(w2.guard_intact());
  for (size_t i = 0; i < m; ++i)
    for (size_t j = n; j < ldc; ++j) CHECK(c2.v[i * ldc + j] == c0.v[i * ldc + j]);  // padding untouched
  check_against_reference(m, n, k, a.data(), lda, 1, b.data(), ldb, bp, relu, acc ? c0.v.data() : nullptr,
                          c2.v.data(), ldc);
}

void check_gemm_tn(Rng& rng, size_t m, size_t n, size_t k, size_t pad, bool acc) {
  INFO("gemm_tn m=", m, " n=", n, " k=", k, " pad=", pad, " acc=", acc);
  const size_t lda = m + pad, ldb = n + pad, ldc = n + pad;
  const std::vector<float> a = matrix(rng, k, m, lda), b = matrix(rng, k, n, ldb);
  Buf c1(m * ldc);
  for (size_t i = 0; i < m; ++i) fill_uniform(rng, c1.p() + i * ldc, n);
  const Buf c0 = c1;
  Buf c2 = c1;
  portable::gemm_tn(kernels::all(m), n, k, a.data(), lda, b.data(), ldb, acc, c1.p(), ldc);
  twin::gemm_tn(kernels::all(m), n, k, a.data(), lda, b.data(), ldb, acc, c2.p(), ldc);
  check_same(c1, c2, "gemm_tn");
  check_against_reference(m, n, k, a.data(), lda, 0, b.data(), ldb, nullptr, false, acc ? c0.v.data() : nullptr,
                          c2.v.data(), ldc);
}

}  // namespace

TEST_CASE("gemm_nn, gemm_tn and transpose: twins bit-identical, GEMMs within the bound of a double reference") {
  Rng rng(41);
  for (size_t s : kSizes) {
    const size_t shapes[][3] = {{s, 5, 7}, {5, s, 7}, {5, 7, s}, {s, s, s < 14 ? s : 3}};
    for (const auto& mnk : shapes)
      for (size_t pad : {size_t(0), size_t(3)}) {
        for (int flags = 0; flags < 8; ++flags)
          check_gemm_nn(rng, mnk[0], mnk[1], mnk[2], pad, flags & 1, flags & 2, flags & 4);
        for (bool acc : {false, true}) check_gemm_tn(rng, mnk[0], mnk[1], mnk[2], pad, acc);
      }
  }
  for (bool acc : {false, true}) {
    check_gemm_nn(rng, 4, 6, 0, 0, true, true, acc);  // k = 0: C0 + bias, then ReLU
    check_gemm_tn(rng, 4, 6, 0, 1, acc);
  }
  for (size_t rows : kSizes)
    for (size_t cols : {size_t(1), size_t(3), size_t(4), size_t(9), size_t(13)}) {
      INFO("transpose ", rows, "x", cols);
      const std::vector<float> a = matrix(rng, rows, cols, cols + 2);
      Buf o1(cols * (rows + 1)), o2(cols * (rows + 1));
      portable::transpose(rows, cols, a.data(), cols + 2, o1.p(), rows + 1);
      twin::transpose(rows, cols, a.data(), cols + 2, o2.p(), rows + 1);
      check_same(o1, o2, "transpose");
      size_t bad = 0;
      for (size_t i = 0; i < rows; ++i)
        for (size_t j = 0; j < cols; ++j) bad += o2.v[j * (rows + 1) + i] != a[i * (cols + 2) + j];
      for (size_t j = 0; j < cols; ++j) bad += o2.v[j * (rows + 1) + rows] != kSentinel;  // ldo padding
      CHECK(bad == 0);
    }
}

namespace {

void check_conv(Rng& rng, const kernels::ConvGeometry& g, size_t n, size_t oc) {
  INFO("conv ", g.h, "x", g.w, "x", g.c, " kernel ", g.kh, "x", g.kw, " stride ", g.sh, " pad ", g.pad_top, ",",
       g.pad_left, " -> ", g.oh, "x", g.ow, "x", oc, ", batch ", n);
  const size_t in = size_t(g.h) * g.w * g.c, pixels = size_t(g.oh) * g.ow, patch = g.patch();
  const Buf x(rng, n * in), w(rng, patch * oc), b(rng, oc), dz(rng, n * pixels * oc);
  const size_t ws = kernels::conv2d_workspace_floats(g, oc);

  // The equivalents: im2col of every image stacked, then the GEMM kernels.
  std::vector<float> col(n * pixels * patch + 1);
  for (size_t i = 0; i < n; ++i) kernels::im2col(g, x.v.data() + i * in, col.data() + i * pixels * patch);
  Work gw(std::max(kernels::gemm_nn_workspace_floats(oc, patch), kernels::gemm_nn_workspace_floats(patch, oc)));

  for (bool relu : {false, true})
    for (bool bias : {false, true}) {
      Buf y1(n * pixels * oc), y2(n * pixels * oc), y3(n * pixels * oc);
      Work w1(ws), w2(ws);
      const float* bp = bias ? b.v.data() : nullptr;
      portable::conv2d_forward(g, oc, x.v.data(), w.v.data(), bp, relu, y1.p(), kernels::all(n), w1.p());
      twin::conv2d_forward(g, oc, x.v.data(), w.v.data(), bp, relu, y2.p(), kernels::all(n), w2.p());
      check_same(y1, y2, relu ? "conv2d_forward relu" : "conv2d_forward");
      CHECK(w2.guard_intact());
      portable::gemm_nn(kernels::all(n * pixels), oc, patch, col.data(), patch, w.v.data(), oc, bp, relu, false, y3.p(), oc, gw.p());
      check_same(y1, y3, "conv2d_forward vs im2col + gemm_nn");
    }

  Buf dw1(patch * oc), dw2(patch * oc), dw3(patch * oc);
  Work w1(ws), w2(ws);
  portable::conv2d_backward_filter(g, n, oc, x.v.data(), dz.v.data(), dw1.p(), kernels::all(oc), w1.p());
  twin::conv2d_backward_filter(g, n, oc, x.v.data(), dz.v.data(), dw2.p(), kernels::all(oc), w2.p());
  check_same(dw1, dw2, "conv2d_backward_filter");
  CHECK(w2.guard_intact());
  portable::gemm_tn(kernels::all(patch), oc, n * pixels, col.data(), patch, dz.v.data(), oc, false, dw3.p(), oc);
  check_same(dw1, dw3, "conv2d_backward_filter vs im2col + gemm_tn");

  Buf dx1(n * in), dx2(n * in), dx3(n * in), dcol(pixels * patch), wt(oc * patch);
  portable::conv2d_backward_input(g, oc, dz.v.data(), w.v.data(), dx1.p(), kernels::all(n), w1.p());
  twin::conv2d_backward_input(g, oc, dz.v.data(), w.v.data(), dx2.p(), kernels::all(n), w2.p());
  check_same(dx1, dx2, "conv2d_backward_input");
  CHECK(w2.guard_intact());
  portable::transpose(patch, oc, w.v.data(), oc, wt.p(), patch);
  std::fill(dx3.v.begin(), dx3.v.begin() + n * in, 0.f);
  for (size_t i = 0; i < n; ++i) {
    portable::gemm_nn(kernels::all(pixels), patch, oc, dz.v.data() + i * pixels * oc, oc, wt.p(), patch, nullptr, false, false,
                      dcol.p(), patch, gw.p());
    Buf d1 = dx3, d2 = dx3;
    portable::col2im(g, dcol.p(), d1.p() + i * in);
    twin::col2im(g, dcol.p(), d2.p() + i * in);
    check_same(d1, d2, "col2im");
    dx3 = d1;
  }
  check_same(dx1, dx3, "conv2d_backward_input vs gemm_nn + col2im");
}

}  // namespace

TEST_CASE("conv2d kernels: twins bit-identical, and equal to im2col + GEMM bit for bit") {
  Rng rng(42);
  for (int c : {1, 3, 8})
    for (int k : {1, 2, 3, 5})
      for (int s : {1, 2, 3})
        for (bool same : {false, true})
          for (size_t oc : {size_t(1), size_t(6), size_t(9)})
            check_conv(rng, kernels::conv_geometry(7, 6, c, k, k, s, s, same), 2, oc);
  // Rectangular kernels and strides; channel counts around the SIMD width.
  for (int c : {4, 5, 13}) check_conv(rng, kernels::conv_geometry(6, 9, c, 2, 3, 1, 2, true), 2, 8);
  check_conv(rng, kernels::conv_geometry(9, 5, 2, 3, 1, 2, 1, false), 3, 7);
  // LeNet-5: conv1 (28x28x1, 5x5 'same', 6 filters), conv2 (14x14x6, 5x5 valid, 16 filters).
  check_conv(rng, kernels::conv_geometry(28, 28, 1, 5, 5, 1, 1, true), 3, 6);
  check_conv(rng, kernels::conv_geometry(14, 14, 6, 5, 5, 1, 1, false), 3, 16);
}

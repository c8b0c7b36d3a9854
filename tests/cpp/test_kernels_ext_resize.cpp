// Resize kernels (resize.h) and dilated im2col / col2im (im2col_dilated.h): twins bit-identical on
// every channel tail; TF.js's sampling rule checked on known values and against a float64
// reference written from tfjs-backend-cpu's loops; backward against float64 scatters; a dilated
// convolution through im2col + GEMM against a direct float64 convolution.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <array>
#include <vector>

#include "kernel_check.h"
#include "kernels/conv.h"
#include "kernels/gemm.h"
#include "kernels/im2col_dilated.h"
#include "kernels/resize.h"

using namespace wasmcnn;
using namespace wasmcnn::test;
using kernels::ResizeGeometry;

namespace {

// tfjs-backend-cpu's ResizeBilinear source position and taps, in float64 as JavaScript computes.
struct RefTaps {
  int i0, i1;
  double f;
};
RefTaps ref_taps(int o, int in, int out, bool align, bool half) {
  const double ratio = (align && out > 1 ? in - 1.0 : double(in)) / (align && out > 1 ? out - 1.0 : double(out));
  const double src = half ? ratio * (o + 0.5) - 0.5 : ratio * o;
  const int i0 = std::max(0, int(std::floor(src)));
  return {i0, std::min(in - 1, int(std::ceil(src))), src - i0};
}

void check_resize(Rng& rng, const ResizeGeometry& g, size_t n) {
  INFO("resize ", g.h, "x", g.w, "x", g.c, " -> ", g.oh, "x", g.ow, " alignCorners=", g.align_corners,
       " halfPixelCenters=", g.half_pixel_centers);
  const size_t c = g.c, in = size_t(g.h) * g.w * c, out = size_t(g.oh) * g.ow * c;
  const Buf x(rng, n * in), dy(rng, n * out);
  Buf y1(n * out), y2(n * out), dx1(n * in), dx2(n * in);
  portable::resize_bilinear_forward(g, 0, n, x.v.data(), y1.p());
  twin::resize_bilinear_forward(g, 0, 1, x.v.data(), y2.p());
  twin::resize_bilinear_forward(g, 1, n, x.v.data(), y2.p());
  check_same(y1, y2, "resize_bilinear_forward");
  portable::resize_bilinear_backward(g, 0, n, dy.v.data(), dx1.p());
  twin::resize_bilinear_backward(g, 1, n, dy.v.data(), dx2.p());
  twin::resize_bilinear_backward(g, 0, 1, dy.v.data(), dx2.p());
  check_same(dx1, dx2, "resize_bilinear_backward");
  portable::resize_nearest_backward(g, 0, n, dy.v.data(), dx1.p());
  twin::resize_nearest_backward(g, 0, n, dy.v.data(), dx2.p());
  check_same(dx1, dx2, "resize_nearest_backward");

  // Bilinear forward: each lerp is a - b, * f, + a: three roundings on values at most M = the
  // largest |corner|, and f itself rounded to float (error u f, times |tr - tl| <= 2M): the top
  // and bottom rows within 5u M, the last lerp adds 5u M more plus 2 * 5u M carried through
  // (1 - f) and f: |y - y*| <= 20 u M.
  // Backward: each dx sums at most (2 ceil(out/in) + 2)^2 scattered products dy * w, w the product
  // of two float factors (3 roundings): within gamma_n(terms + 3) of the sum of their magnitudes.
  size_t bad = 0;
  std::vector<double> rdx(n * in, 0.0), mag(n * in, 0.0), rnx(n * in, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (int oy = 0; oy < g.oh; ++oy) {
      const RefTaps ty = ref_taps(oy, g.h, g.oh, g.align_corners, g.half_pixel_centers);
      const int ny = kernels::rows_of(g).nearest(oy);
      for (int ox = 0; ox < g.ow; ++ox) {
        const RefTaps tx = ref_taps(ox, g.w, g.ow, g.align_corners, g.half_pixel_centers);
        const int nx = kernels::columns_of(g).nearest(ox);
        for (size_t ch = 0; ch < c; ++ch) {
          auto at = [&](int yy, int xx) { return i * in + (size_t(yy) * g.w + xx) * c + ch; };
          const double tl = x.v[at(ty.i0, tx.i0)], tr = x.v[at(ty.i0, tx.i1)], bl = x.v[at(ty.i1, tx.i0)],
                       br = x.v[at(ty.i1, tx.i1)];
          const double top = tl + (tr - tl) * tx.f, bottom = bl + (br - bl) * tx.f;
          const double want = top + (bottom - top) * ty.f;
          const double m = std::max({std::fabs(tl), std::fabs(tr), std::fabs(bl), std::fabs(br)});
          const size_t o = i * out + (size_t(oy) * g.ow + ox) * c + ch;
          bad += !(std::fabs(y1.v[o] - want) <= 20 * kU * m);
          const double d = dy.v[o];
          const double w[4] = {(1 - ty.f) * (1 - tx.f), (1 - ty.f) * tx.f, ty.f * (1 - tx.f), ty.f * tx.f};
          const size_t idx[4] = {at(ty.i0, tx.i0), at(ty.i0, tx.i1), at(ty.i1, tx.i0), at(ty.i1, tx.i1)};
          for (int q = 0; q < 4; ++q) rdx[idx[q]] += d * w[q], mag[idx[q]] += std::fabs(d * w[q]) + 4 * kU * std::fabs(d);
          rnx[at(ny, nx)] += d;
        }
      }
    }
  // The scattered terms per input pixel are at most (ceil((out - 1) / in) + 2)^2 per axis pair.
  const double terms = std::pow(std::ceil(double(std::max(g.oh, g.ow)) / std::min(g.h, g.w)) + 2, 2) * 4;
  std::vector<float> dxb(n * in);
  twin::resize_bilinear_backward(g, 0, n, dy.v.data(), dxb.data());
  for (size_t j = 0; j < n * in; ++j) bad += !(std::fabs(dxb[j] - rdx[j]) <= gamma_n(terms + 3) * mag[j] + 1e-30);
  // Nearest backward sums the same dy values the float64 reference does, in the same order.
  for (size_t j = 0; j < n * in; ++j) bad += !(std::fabs(dx2.v[j] - rnx[j]) <= gamma_n(terms) * std::fabs(rnx[j]) + 1e-6);
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("resize kernels: twins bit-identical, TF.js's sampling, gradients against float64 scatters") {
  Rng rng(101);
  for (size_t c : kSizes) {
    const int s = c > 127 ? 2 : 5;
    for (bool align : {false, true})
      for (bool half : {false, true}) {
        if (align && half) continue;  // TF.js rejects the combination
        for (const auto& hw : {std::array<int, 4>{s, s + 1, 2 * s, 2 * (s + 1)}, std::array<int, 4>{7, 5, 3, 9},
                               std::array<int, 4>{4, 6, 4, 6}, std::array<int, 4>{1, 3, 5, 2}})
          check_resize(rng, {hw[0], hw[1], int(c), hw[2], hw[3], align, half}, 2);
      }
  }
}

TEST_CASE("resize kernels: TF.js upSampling2d values (bilinear samples at o * in / out; nearest repeats)") {
  // 2x2 -> 4x4, TF.js defaults: rows sample 0, 0.5, 1, 1.5 (clamped to 1), likewise columns.
  const float x[4] = {1, 2, 3, 4};
  float y[16];
  kernels::resize_bilinear_forward({2, 2, 1, 4, 4}, 0, 1, x, y);
  const float want[16] = {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4};
  for (int i = 0; i < 16; ++i) CHECK(y[i] == want[i]);
  // Half-pixel centers (Keras' rule) differ: row 0 samples -0.25 (clamped to 0) and 0.25 between.
  kernels::resize_bilinear_forward({2, 2, 1, 4, 4, false, true}, 0, 1, x, y);
  CHECK(y[0] == 1.f);
  CHECK(y[1] == 1.25f);
  // Nearest with integer factors 1..5 is the plain repeat, for both axes.
  Rng rng(102);
  for (int f = 1; f <= 5; ++f) {
    const ResizeGeometry g{3, 4, 3, 3 * f, 4 * (6 - f)};
    Buf in(rng, 3 * 4 * 3), out(size_t(g.oh) * g.ow * 3);
    kernels::resize_nearest_forward(g, 0, 1, in.p(), out.p());
    size_t bad = 0;
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox)
        for (int ch = 0; ch < 3; ++ch)
          bad += out.v[(size_t(oy) * g.ow + ox) * 3 + ch] != in.v[(size_t(oy / f) * 4 + ox / (6 - f)) * 3 + ch];
    CHECK(bad == 0);
    CHECK(out.guard_intact());
  }
}

namespace {

void check_dilated(Rng& rng, const kernels::WindowGeometry& g, size_t oc) {
  INFO("dilated im2col ", g.h, "x", g.w, "x", g.c, " kernel ", g.kh, "x", g.kw, " stride ", g.sh, ",", g.sw,
       " dilation ", g.dh, ",", g.dw, " pad ", g.pad_top, ",", g.pad_left, " -> ", g.oh, "x", g.ow);
  const size_t in = g.in_pixels() * g.c, pixels = g.out_pixels(), patch = kernels::dilated_patch(g);
  const Buf x(rng, in), w(rng, patch * oc), dcol(rng, pixels * patch);
  Buf col(pixels * patch);
  kernels::im2col_dilated(g, 0, pixels / 2, x.v.data(), col.p());
  kernels::im2col_dilated(g, pixels / 2, pixels, x.v.data(), col.p() + pixels / 2 * patch);
  size_t bad = 0;
  for (int oy = 0; oy < g.oh; ++oy)
    for (int ox = 0; ox < g.ow; ++ox)
      for (int ky = 0; ky < g.kh; ++ky)
        for (int kx = 0; kx < g.kw; ++kx)
          for (int ch = 0; ch < g.c; ++ch) {
            const int iy = oy * g.sh - g.pad_top + ky * g.dh, ix = ox * g.sw - g.pad_left + kx * g.dw;
            const bool inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
            bad += col.v[(size_t(oy) * g.ow + ox) * patch + (size_t(ky) * g.kw + kx) * g.c + ch] !=
                   (inside ? x.v[(size_t(iy) * g.w + ix) * g.c + ch] : 0.f);
          }
  CHECK(bad == 0);
  CHECK(col.guard_intact());

  // The convolution through the GEMM kernel against a direct float64 convolution: a float sum of
  // `patch` products, within gamma_n(patch + 1) of their magnitudes.
  Buf y(pixels * oc);
  Work work(kernels::gemm_workspace_floats(pixels, oc, patch));
  kernels::gemm(false, false, pixels, oc, patch, col.p(), patch, w.v.data(), oc, false, y.p(), oc, work.p());
  for (int oy = 0; oy < g.oh; ++oy)
    for (int ox = 0; ox < g.ow; ++ox)
      for (size_t o = 0; o < oc; ++o) {
        double s = 0, mag = 0;
        for (int ky = 0; ky < g.kh; ++ky)
          for (int kx = 0; kx < g.kw; ++kx)
            for (int ch = 0; ch < g.c; ++ch) {
              const int iy = oy * g.sh - g.pad_top + ky * g.dh, ix = ox * g.sw - g.pad_left + kx * g.dw;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              const double t = double(x.v[(size_t(iy) * g.w + ix) * g.c + ch]) * w.v[((size_t(ky) * g.kw + kx) * g.c + ch) * oc + o];
              s += t, mag += std::fabs(t);
            }
        bad += !(std::fabs(y.v[(size_t(oy) * g.ow + ox) * oc + o] - s) <= gamma_n(double(patch) + 1) * mag);
      }
  CHECK(bad == 0);

  // col2im_dilated: twins bit-identical (in two pixel ranges), and the adjoint of im2col_dilated:
  // <im2col(x), dcol> == <x, col2im(dcol)>, both sides in float64 from float data; col2im's float
  // sums add at most kh*kw terms per pixel: within gamma_n(kh*kw + 1) <|x|, col2im(|dcol|)>.
  Buf dx1(in), dx2(in), dxa(in);
  std::fill(dx1.v.begin(), dx1.v.begin() + in, 0.f);
  std::fill(dx2.v.begin(), dx2.v.begin() + in, 0.f);
  std::fill(dxa.v.begin(), dxa.v.begin() + in, 0.f);
  portable::col2im_dilated(g, 0, pixels, dcol.v.data(), dx1.p());
  twin::col2im_dilated(g, 0, pixels / 3, dcol.v.data(), dx2.p());
  twin::col2im_dilated(g, pixels / 3, pixels, dcol.v.data() + pixels / 3 * patch, dx2.p());
  check_same(dx1, dx2, "col2im_dilated");
  std::vector<float> dabs(pixels * patch);
  for (size_t i = 0; i < dabs.size(); ++i) dabs[i] = std::fabs(dcol.v[i]);
  twin::col2im_dilated(g, 0, pixels, dabs.data(), dxa.p());
  double lhs = 0, rhs = 0, mag = 0;
  for (size_t i = 0; i < pixels * patch; ++i) lhs += double(col.v[i]) * dcol.v[i];
  for (size_t i = 0; i < in; ++i) rhs += double(x.v[i]) * dx2.v[i], mag += std::fabs(x.v[i]) * dxa.v[i];
  CHECK(std::fabs(lhs - rhs) <= gamma_n(double(g.kh) * g.kw + 1) * mag);

  // Dilation 1: the same columns as conv.h's im2col.
  if (g.dh == 1 && g.dw == 1) {
    kernels::ConvGeometry cg{g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.pad_top, g.pad_left, g.oh, g.ow};
    Buf col2(pixels * patch);
    kernels::im2col(cg, x.v.data(), col2.p());
    check_same(col, col2, "im2col_dilated vs im2col at dilation 1");
  }
}

}  // namespace

TEST_CASE("dilated im2col / col2im: the receptive fields, a conv through GEMM against float64, adjointness, twins") {
  Rng rng(103);
  for (size_t c : kSizes) {
    if (c > 127) continue;
    for (int d : {1, 2, 3})
      for (bool same : {false, true}) check_dilated(rng, kernels::window_geometry(9, 8, int(c), 3, 3, 1, 1, d, d, same), 3);
  }
  check_dilated(rng, kernels::window_geometry(5, 4, 1031, 2, 2, 1, 1, 2, 1, true), 2);
  for (bool same : {false, true}) {
    check_dilated(rng, kernels::window_geometry(11, 10, 3, 3, 2, 2, 1, 2, 4, same), 5);
    check_dilated(rng, kernels::window_geometry(6, 7, 4, 5, 3, 1, 2, 2, 2, same), 6);
    check_dilated(rng, kernels::window_geometry(4, 4, 2, 3, 3, 1, 1, 3, 3, same), 2);  // span 7 > 4
  }
}

// Depthwise convolution kernels (depthwise.h): the twins bit-identical on channel counts that run
// every SIMD tail, with depth multipliers, strides, dilation and both paddings; forward and both
// gradients within an argued bound of a float64 reference computed from the definition; and image
// and row ranges that tile a batch giving the same bits as one call.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "kernel_check.h"
#include "kernels/copy_ops.h"
#include "kernels/depthwise.h"

using namespace wasmcnn;
using namespace wasmcnn::test;
using kernels::WindowGeometry;

namespace {

struct Case {
  int h, w, k, s, d;
  bool same;
};

// Every float result below is one float sum of K terms (products, a bias); a float64 sum of the
// same terms is within gamma_n(K) sum |terms| of it (Higham 3.5) plus its own ~K 2^-53 (negligible
// against the float bound), so comparing with gamma_n(K + 1) * magnitude cannot fail on a right
// kernel; a wrong term is off by a whole |term|, far above that bound for these sizes.
struct Ref {
  std::vector<double> v, mag;
  explicit Ref(size_t n) : v(n, 0.0), mag(n, 0.0) {}
  void add(size_t i, double t) {
    v[i] += t;
    mag[i] += std::fabs(t);
  }
};

size_t check_ref(const Ref& r, const float* got, size_t terms) {
  size_t bad = 0;
  for (size_t i = 0; i < r.v.size(); ++i)
    if (!(std::fabs(got[i] - r.v[i]) <= gamma_n(double(terms) + 1) * r.mag[i]) && ++bad <= 3)
      FAIL_CHECK("element ", i, ": got ", got[i], ", reference ", r.v[i]);
  return bad;
}

void check_depthwise(Rng& rng, const WindowGeometry& g, int dm, size_t n) {
  INFO("depthwise ", g.h, "x", g.w, "x", g.c, " dm ", dm, " kernel ", g.kh, "x", g.kw, " stride ", g.sh, ",", g.sw,
       " dilation ", g.dh, ",", g.dw, " pad ", g.pad_top, ",", g.pad_left, " -> ", g.oh, "x", g.ow, ", batch ", n);
  const size_t oc = size_t(g.c) * dm, in = g.in_pixels() * g.c, out = g.out_pixels() * oc;
  const size_t taps = size_t(g.kh) * g.kw;
  const Buf x(rng, n * in), w(rng, taps * oc), b(rng, oc), dy(rng, n * out);
  const size_t ws = kernels::depthwise_workspace_floats(g, dm);

  // Forward: twins, references, and ranges.
  for (bool bias : {false, true}) {
    const float* bp = bias ? b.v.data() : nullptr;
    Buf y1(n * out), y2(n * out);
    Work w1(ws), w2(ws);
    portable::depthwise_forward(g, dm, 0, n, 0, g.oh, x.v.data(), w.v.data(), bp, y1.p(), w1.p());
    twin::depthwise_forward(g, dm, 0, n, 0, g.oh, x.v.data(), w.v.data(), bp, y2.p(), w2.p());
    check_same(y1, y2, bias ? "depthwise_forward bias" : "depthwise_forward");
    CHECK(w2.guard_intact());
    // Images [0, 1) and [1, n), the second in two row bands: the same bits.
    Buf y3(n * out);
    const int mid = g.oh / 2;
    twin::depthwise_forward(g, dm, 0, 1, 0, g.oh, x.v.data(), w.v.data(), bp, y3.p(), w2.p());
    twin::depthwise_forward(g, dm, 1, n, mid, g.oh, x.v.data(), w.v.data(), bp, y3.p(), w2.p());
    twin::depthwise_forward(g, dm, 1, n, 0, mid, x.v.data(), w.v.data(), bp, y3.p(), w2.p());
    check_same(y1, y3, "depthwise_forward in ranges");

    Ref r(n * out);
    for (size_t i = 0; i < n; ++i)
      for (int oy = 0; oy < g.oh; ++oy)
        for (int ox = 0; ox < g.ow; ++ox)
          for (size_t o = 0; o < oc; ++o) {
            const size_t at = i * out + (size_t(oy) * g.ow + ox) * oc + o;
            if (bias) r.add(at, b.v[o]);
            for (int ky = 0; ky < g.kh; ++ky)
              for (int kx = 0; kx < g.kw; ++kx) {
                const int iy = oy * g.sh - g.pad_top + ky * g.dh, ix = ox * g.sw - g.pad_left + kx * g.dw;
                if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
                r.add(at, double(x.v[i * in + (size_t(iy) * g.w + ix) * g.c + o / dm]) *
                              w.v[(size_t(ky) * g.kw + kx) * oc + o]);
              }
          }
    CHECK(check_ref(r, y2.v.data(), taps + 1) == 0);
  }

  // Kernel and bias gradients.
  Buf dw1(taps * oc), dw2(taps * oc), db1(oc), db2(oc);
  Work w1(ws), w2(ws);
  portable::depthwise_backward_filter(g, dm, 0, n, x.v.data(), dy.v.data(), dw1.p(), db1.p(), w1.p());
  twin::depthwise_backward_filter(g, dm, 0, n, x.v.data(), dy.v.data(), dw2.p(), db2.p(), w2.p());
  check_same(dw1, dw2, "depthwise_backward_filter dw");
  check_same(db1, db2, "depthwise_backward_filter db");
  CHECK(w2.guard_intact());
  Buf dw3(taps * oc);
  twin::depthwise_backward_filter(g, dm, 0, n, x.v.data(), dy.v.data(), dw3.p(), nullptr, w2.p());
  check_same(dw1, dw3, "depthwise_backward_filter without db");
  Ref rw(taps * oc), rb(oc);
  for (size_t i = 0; i < n; ++i)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox)
        for (size_t o = 0; o < oc; ++o) {
          const double d = dy.v[i * out + (size_t(oy) * g.ow + ox) * oc + o];
          rb.add(o, d);
          for (int ky = 0; ky < g.kh; ++ky)
            for (int kx = 0; kx < g.kw; ++kx) {
              const int iy = oy * g.sh - g.pad_top + ky * g.dh, ix = ox * g.sw - g.pad_left + kx * g.dw;
              if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
              rw.add((size_t(ky) * g.kw + kx) * oc + o, d * x.v[i * in + (size_t(iy) * g.w + ix) * g.c + o / dm]);
            }
        }
  CHECK(check_ref(rw, dw2.v.data(), n * g.out_pixels()) == 0);
  CHECK(check_ref(rb, db2.v.data(), n * g.out_pixels()) == 0);

  // Input gradient.
  Buf dx1(n * in), dx2(n * in), dx3(n * in);
  portable::depthwise_backward_input(g, dm, 0, n, dy.v.data(), w.v.data(), dx1.p(), w1.p());
  twin::depthwise_backward_input(g, dm, 0, n, dy.v.data(), w.v.data(), dx2.p(), w2.p());
  check_same(dx1, dx2, "depthwise_backward_input");
  CHECK(w2.guard_intact());
  twin::depthwise_backward_input(g, dm, 1, n, dy.v.data(), w.v.data(), dx3.p(), w2.p());
  twin::depthwise_backward_input(g, dm, 0, 1, dy.v.data(), w.v.data(), dx3.p(), w2.p());
  check_same(dx1, dx3, "depthwise_backward_input in ranges");
  Ref rx(n * in);
  for (size_t i = 0; i < n; ++i)
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox)
        for (int ky = 0; ky < g.kh; ++ky)
          for (int kx = 0; kx < g.kw; ++kx) {
            const int iy = oy * g.sh - g.pad_top + ky * g.dh, ix = ox * g.sw - g.pad_left + kx * g.dw;
            if (iy < 0 || iy >= g.h || ix < 0 || ix >= g.w) continue;
            for (size_t o = 0; o < oc; ++o)
              rx.add(i * in + (size_t(iy) * g.w + ix) * g.c + o / dm,
                     double(w.v[(size_t(ky) * g.kw + kx) * oc + o]) * dy.v[i * out + (size_t(oy) * g.ow + ox) * oc + o]);
          }
  CHECK(check_ref(rx, dx2.v.data(), taps * dm) == 0);
}

}  // namespace

TEST_CASE("depthwise kernels: twins bit-identical on every channel tail, within the bound of a float64 reference") {
  Rng rng(71);
  const Case small[] = {{5, 6, 3, 1, 1, true}, {7, 5, 3, 2, 1, true}, {6, 6, 2, 2, 1, false}, {7, 7, 3, 1, 2, true}};
  for (size_t c : kSizes) {
    if (c > 127) continue;
    for (const Case& q : small)
      for (int dm : {1, 2, 3})
        check_depthwise(rng, kernels::window_geometry(q.h, q.w, int(c), q.k, q.k, q.s, q.s, q.d, q.d, q.same), dm, 2);
  }
  // 1031 channels: one small geometry, each multiplier.
  for (int dm : {1, 2}) check_depthwise(rng, kernels::window_geometry(4, 3, 1031, 3, 3, 1, 1, 1, 1, true), dm, 2);
}

TEST_CASE("depthwise kernels: rectangular kernels, mixed strides and dilations, windows larger than the image") {
  Rng rng(72);
  for (int c : {1, 4, 5, 16, 17})
    for (bool same : {false, true}) {
      check_depthwise(rng, kernels::window_geometry(9, 8, c, 3, 2, 2, 1, 1, 3, same), 1, 3);
      check_depthwise(rng, kernels::window_geometry(8, 9, c, 1, 5, 1, 3, 2, 1, same), 2, 2);
      check_depthwise(rng, kernels::window_geometry(6, 7, c, 5, 5, 3, 2, 1, 1, same), 1, 2);
      check_depthwise(rng, kernels::window_geometry(3, 4, c, 3, 3, 1, 1, 2, 2, same), 1, 2);  // span 5 > 3
      check_depthwise(rng, kernels::window_geometry(7, 9, c, 3, 3, 1, 1, 1, 1, same), 1, 2);
      check_depthwise(rng, kernels::window_geometry(10, 9, c, 3, 3, 1, 1, 2, 3, same), 1, 2);
      check_depthwise(rng, kernels::window_geometry(8, 11, c, 3, 3, 2, 3, 1, 1, same), 3, 2);
    }
  // MobileNetV1 alpha 0.25 layers at 128x128 input, cut to a few rows (same channels and strides).
  check_depthwise(rng, kernels::window_geometry(9, 64, 8, 3, 3, 1, 1, 1, 1, true), 1, 2);
  check_depthwise(rng, kernels::window_geometry(9, 32, 16, 3, 3, 2, 2, 1, 1, true), 1, 2);
  check_depthwise(rng, kernels::window_geometry(4, 4, 256, 3, 3, 1, 1, 1, 1, true), 1, 2);
}

TEST_CASE("depthwise kernels: explicit asymmetric padding equals ZeroPadding2D then a 'valid' convolution") {
  // TF.js MobileNetV1 strides down with ZeroPadding2D(((0, 1), (0, 1))) and a 'valid' 3x3 stride-2
  // depthwise convolution. One kernel call does both: no padding before, the bottom and right
  // overhang read as zeros (their taps skipped). Against the two steps: the same sums except for
  // the skipped 0 * w terms, which add +-0 to a nonzero float sum and change no bit.
  Rng rng(73);
  for (int c : {3, 8, 17}) {
    const int h = 9, w = 8;
    kernels::WindowGeometry g{h, w, c, 3, 3, 2, 2, 1, 1, 0, 0, (h + 1 - 3) / 2 + 1, (w + 1 - 3) / 2 + 1};
    check_depthwise(rng, g, 1, 2);
    const kernels::WindowGeometry gp = kernels::window_geometry(h + 1, w + 1, c, 3, 3, 2, 2, 1, 1, false);
    REQUIRE(gp.oh == g.oh);
    REQUIRE(gp.ow == g.ow);
    const size_t n = 2, in = size_t(h) * w * c, padded = size_t(h + 1) * (w + 1) * c, out = g.out_pixels() * c;
    Buf x(rng, n * in), wt(rng, 9 * size_t(c)), b(rng, c), xp(n * padded), y1(n * out), y2(n * out);
    kernels::pad2d({h + 1, w + 1, c, 0, 1, 0, 1}, 0, n, x.p(), xp.p());
    kernels::depthwise_forward(g, 1, 0, n, 0, g.oh, x.p(), wt.p(), b.p(), y1.p(), nullptr);
    kernels::depthwise_forward(gp, 1, 0, n, 0, gp.oh, xp.p(), wt.p(), b.p(), y2.p(), nullptr);
    check_same(y1, y2, "explicit padding vs pad2d + valid");
  }
}

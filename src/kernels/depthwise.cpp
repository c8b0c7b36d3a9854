// The portable depthwise kernels: the specification the SIMD twins (depthwise_simd.cpp) match bit
// for bit.
#include "kernels/depthwise.h"

#include <algorithm>

#include "core/check.h"

namespace wasmcnn::kernels {

size_t depthwise_workspace_floats(const WindowGeometry& g, int dm) {
  // dm > 1: the SIMD twins expand an image to [h][w][oc] (each input value repeated dm times) so
  // output channels line up with their inputs lane for lane; the input gradient needs one pixel's
  // per-output-channel sums (oc floats), which fit in that.
  return dm > 1 ? g.in_pixels() * size_t(g.c) * dm : 0;
}

namespace portable {

void depthwise_forward(const WindowGeometry& g, int dm, size_t n0, size_t n1, int oy0, int oy1, const float* x,
                       const float* w, const float* b, float* y, float*) {
  WASMCNN_ASSERT(dm >= 1 && n0 <= n1 && 0 <= oy0 && oy0 <= oy1 && oy1 <= g.oh);
  const size_t oc = size_t(g.c) * dm, in_size = g.in_pixels() * g.c, out_size = g.out_pixels() * oc;
  for (size_t i = n0; i < n1; ++i) {
    const float* xi = x + i * in_size;
    for (int oy = oy0; oy < oy1; ++oy) {
      const TapRange ry = tap_range(oy, g.sh, g.pad_top, g.dh, g.kh, g.h);
      for (int ox = 0; ox < g.ow; ++ox) {
        const TapRange rx = tap_range(ox, g.sw, g.pad_left, g.dw, g.kw, g.w);
        float* yp = y + i * out_size + (size_t(oy) * g.ow + ox) * oc;
        for (size_t o = 0; o < oc; ++o) yp[o] = b ? b[o] : 0.f;
        for (int ky = ry.k0; ky < ry.k1; ++ky)
          for (int kx = rx.k0; kx < rx.k1; ++kx) {
            const int iy = oy * g.sh - g.pad_top + ky * g.dh, ix = ox * g.sw - g.pad_left + kx * g.dw;
            const float* xp = xi + (size_t(iy) * g.w + ix) * g.c;
            const float* wp = w + (size_t(ky) * g.kw + kx) * oc;
            for (int ci = 0, o = 0; ci < g.c; ++ci)
              for (int m = 0; m < dm; ++m, ++o) yp[o] += xp[ci] * wp[o];
          }
      }
    }
  }
}

void depthwise_backward_filter(const WindowGeometry& g, int dm, size_t n0, size_t n1, const float* x,
                               const float* dy, float* dw, float* db, float*) {
  WASMCNN_ASSERT(dm >= 1 && n0 <= n1);
  const size_t oc = size_t(g.c) * dm, in_size = g.in_pixels() * g.c, out_size = g.out_pixels() * oc;
  std::fill(dw, dw + size_t(g.kh) * g.kw * oc, 0.f);
  if (db) std::fill(db, db + oc, 0.f);
  for (size_t i = n0; i < n1; ++i) {
    const float* xi = x + i * in_size;
    for (int oy = 0; oy < g.oh; ++oy) {
      const TapRange ry = tap_range(oy, g.sh, g.pad_top, g.dh, g.kh, g.h);
      for (int ox = 0; ox < g.ow; ++ox) {
        const TapRange rx = tap_range(ox, g.sw, g.pad_left, g.dw, g.kw, g.w);
        const float* dyp = dy + i * out_size + (size_t(oy) * g.ow + ox) * oc;
        for (int ky = ry.k0; ky < ry.k1; ++ky)
          for (int kx = rx.k0; kx < rx.k1; ++kx) {
            const int iy = oy * g.sh - g.pad_top + ky * g.dh, ix = ox * g.sw - g.pad_left + kx * g.dw;
            const float* xp = xi + (size_t(iy) * g.w + ix) * g.c;
            float* dwp = dw + (size_t(ky) * g.kw + kx) * oc;
            for (int ci = 0, o = 0; ci < g.c; ++ci)
              for (int m = 0; m < dm; ++m, ++o) dwp[o] += xp[ci] * dyp[o];
          }
        if (db)
          for (size_t o = 0; o < oc; ++o) db[o] += dyp[o];
      }
    }
  }
}

void depthwise_backward_input(const WindowGeometry& g, int dm, size_t n0, size_t n1, const float* dy,
                              const float* w, float* dx, float*) {
  WASMCNN_ASSERT(dm >= 1 && n0 <= n1);
  const size_t oc = size_t(g.c) * dm, in_size = g.in_pixels() * g.c, out_size = g.out_pixels() * oc;
  for (size_t i = n0; i < n1; ++i) {
    const float* dyi = dy + i * out_size;
    for (int iy = 0; iy < g.h; ++iy)
      for (int ix = 0; ix < g.w; ++ix) {
        float* dxp = dx + i * in_size + (size_t(iy) * g.w + ix) * g.c;
        for (int ci = 0; ci < g.c; ++ci) {
          float d = 0.f;
          for (int m = 0; m < dm; ++m) {
            const size_t o = size_t(ci) * dm + m;
            float s = 0.f;
            for (int ky = 0; ky < g.kh; ++ky) {
              const int ty = iy + g.pad_top - ky * g.dh;
              if (ty < 0 || ty % g.sh != 0 || ty / g.sh >= g.oh) continue;
              for (int kx = 0; kx < g.kw; ++kx) {
                const int tx = ix + g.pad_left - kx * g.dw;
                if (tx < 0 || tx % g.sw != 0 || tx / g.sw >= g.ow) continue;
                s += w[(size_t(ky) * g.kw + kx) * oc + o] * dyi[(size_t(ty / g.sh) * g.ow + tx / g.sw) * oc + o];
              }
            }
            d = m == 0 ? s : d + s;
          }
          dxp[ci] = d;
        }
      }
  }
}

}  // namespace portable

}  // namespace wasmcnn::kernels

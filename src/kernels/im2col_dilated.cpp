#include "kernels/im2col_dilated.h"

#include <cstring>

#include "core/check.h"

namespace wasmcnn::kernels {

void im2col_dilated(const WindowGeometry& g, size_t p0, size_t p1, const float* x, float* col) {
  WASMCNN_ASSERT(p0 <= p1 && p1 <= g.out_pixels());
  const size_t c = g.c;
  for_each_tap(g, p0, p1, [&](std::ptrdiff_t in, size_t k) {
    if (in < 0)
      std::memset(col + k * c, 0, c * sizeof(float));
    else
      std::memcpy(col + k * c, x + size_t(in) * c, c * sizeof(float));
  });
}

namespace portable {

void col2im_dilated(const WindowGeometry& g, size_t p0, size_t p1, const float* col, float* dx) {
  WASMCNN_ASSERT(p0 <= p1 && p1 <= g.out_pixels());
  const size_t c = g.c;
  for_each_tap(g, p0, p1, [&](std::ptrdiff_t in, size_t k) {
    if (in < 0) return;
    float* d = dx + size_t(in) * c;
    for (size_t ch = 0; ch < c; ++ch) d[ch] += col[k * c + ch];
  });
}

}  // namespace portable

#if WASMCNN_SIMD
namespace simd {

void col2im_dilated(const WindowGeometry& g, size_t p0, size_t p1, const float* col, float* dx) {
  WASMCNN_ASSERT(p0 <= p1 && p1 <= g.out_pixels());
  const size_t c = g.c;
  for (size_t p = p0; p < p1; ++p) {
    const int oy = int(p / g.ow), ox = int(p % g.ow);
    const int y0 = oy * g.sh - g.pad_top, x0 = ox * g.sw - g.pad_left;
    const TapRange ry = tap_range(oy, g.sh, g.pad_top, g.dh, g.kh, g.h);
    const TapRange rx = tap_range(ox, g.sw, g.pad_left, g.dw, g.kw, g.w);
    for (int ky = ry.k0; ky < ry.k1; ++ky)
      for (int kx = rx.k0; kx < rx.k1; ++kx) {
        const float* s = col + (size_t(ky) * g.kw + kx) * c;
        float* d = dx + (size_t(y0 + ky * g.dh) * g.w + (x0 + kx * g.dw)) * c;
        size_t ch = 0;
        for (; ch + 4 <= c; ch += 4) wasm_v128_store(d + ch, wasm_f32x4_add(wasm_v128_load(d + ch), wasm_v128_load(s + ch)));
        for (; ch < c; ++ch) d[ch] += s[ch];
      }
    col += dilated_patch(g);
  }
}

}  // namespace simd
#endif

}  // namespace wasmcnn::kernels

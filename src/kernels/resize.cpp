#include "kernels/resize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/check.h"

namespace wasmcnn::kernels {

AxisSampler::AxisSampler(int in, int out, bool align_corners, bool half_pixel_centers)
    : ratio_(align_corners && out > 1 ? double(in - 1) / double(out - 1) : double(in) / double(out)),
      in_(in),
      align_(align_corners),
      half_(half_pixel_centers) {
  // TF.js rejects alignCorners together with halfPixelCenters; the layer checks it at its boundary.
  WASMCNN_ASSERT(in >= 1 && out >= 1 && !(align_corners && half_pixel_centers));
}

int AxisSampler::nearest(int o) const {
  const double src = half_ ? ratio_ * (o + 0.5) : ratio_ * o;
  const int i = std::min(in_ - 1, int(align_ ? std::round(src) : std::floor(src)));
  return half_ ? std::max(0, i) : i;
}

LerpTaps AxisSampler::taps(int o) const {
  const double src = half_ ? ratio_ * (o + 0.5) - 0.5 : ratio_ * o;
  const int i0 = std::max(0, int(std::floor(src)));
  return {i0, std::min(in_ - 1, int(std::ceil(src))), float(src - i0)};
}

void resize_nearest_forward(const ResizeGeometry& g, size_t n0, size_t n1, const float* x, float* y) {
  WASMCNN_ASSERT(g.h >= 1 && g.w >= 1 && g.oh >= 1 && g.ow >= 1 && n0 <= n1);
  const size_t c = g.c, in_size = size_t(g.h) * g.w * c, out_size = size_t(g.oh) * g.ow * c;
  const AxisSampler sy = rows_of(g), sx = columns_of(g);
  for (size_t i = n0; i < n1; ++i) {
    float* yp = y + i * out_size;
    for (int oy = 0; oy < g.oh; ++oy) {
      const float* row = x + i * in_size + size_t(sy.nearest(oy)) * g.w * c;
      for (int ox = 0; ox < g.ow; ++ox, yp += c)
        std::memcpy(yp, row + size_t(sx.nearest(ox)) * c,
                    c * sizeof(float));
    }
  }
}

namespace portable {

void resize_nearest_backward(const ResizeGeometry& g, size_t n0, size_t n1, const float* dy, float* dx) {
  WASMCNN_ASSERT(n0 <= n1);
  const size_t c = g.c, in_size = size_t(g.h) * g.w * c, out_size = size_t(g.oh) * g.ow * c;
  const AxisSampler sy = rows_of(g), sx = columns_of(g);
  std::fill(dx + n0 * in_size, dx + n1 * in_size, 0.f);
  for (size_t i = n0; i < n1; ++i) {
    const float* d = dy + i * out_size;
    for (int oy = 0; oy < g.oh; ++oy) {
      float* row = dx + i * in_size + size_t(sy.nearest(oy)) * g.w * c;
      for (int ox = 0; ox < g.ow; ++ox, d += c) {
        float* p = row + size_t(sx.nearest(ox)) * c;
        for (size_t ch = 0; ch < c; ++ch) p[ch] += d[ch];
      }
    }
  }
}

void resize_bilinear_forward(const ResizeGeometry& g, size_t n0, size_t n1, const float* x, float* y) {
  WASMCNN_ASSERT(g.h >= 1 && g.w >= 1 && g.oh >= 1 && g.ow >= 1 && n0 <= n1);
  const size_t c = g.c, row = size_t(g.w) * c, in_size = size_t(g.h) * row, out_size = size_t(g.oh) * g.ow * c;
  const AxisSampler sy = rows_of(g), sx = columns_of(g);
  for (size_t i = n0; i < n1; ++i) {
    float* yp = y + i * out_size;
    for (int oy = 0; oy < g.oh; ++oy) {
      const LerpTaps ty = sy.taps(oy);
      const float* top = x + i * in_size + size_t(ty.i0) * row;
      const float* bot = x + i * in_size + size_t(ty.i1) * row;
      for (int ox = 0; ox < g.ow; ++ox, yp += c) {
        const LerpTaps tx = sx.taps(ox);
        const float *tl = top + size_t(tx.i0) * c, *tr = top + size_t(tx.i1) * c;
        const float *bl = bot + size_t(tx.i0) * c, *br = bot + size_t(tx.i1) * c;
        for (size_t ch = 0; ch < c; ++ch) {
          const float t = tl[ch] + (tr[ch] - tl[ch]) * tx.f, b = bl[ch] + (br[ch] - bl[ch]) * tx.f;
          yp[ch] = t + (b - t) * ty.f;
        }
      }
    }
  }
}

void resize_bilinear_backward(const ResizeGeometry& g, size_t n0, size_t n1, const float* dy, float* dx) {
  WASMCNN_ASSERT(n0 <= n1);
  const size_t c = g.c, row = size_t(g.w) * c, in_size = size_t(g.h) * row, out_size = size_t(g.oh) * g.ow * c;
  const AxisSampler sy = rows_of(g), sx = columns_of(g);
  std::fill(dx + n0 * in_size, dx + n1 * in_size, 0.f);
  for (size_t i = n0; i < n1; ++i) {
    const float* d = dy + i * out_size;
    for (int oy = 0; oy < g.oh; ++oy) {
      const LerpTaps ty = sy.taps(oy);
      float* top = dx + i * in_size + size_t(ty.i0) * row;
      float* bot = dx + i * in_size + size_t(ty.i1) * row;
      for (int ox = 0; ox < g.ow; ++ox, d += c) {
        const LerpTaps tx = sx.taps(ox);
        const float w[4] = {(1.f - ty.f) * (1.f - tx.f), (1.f - ty.f) * tx.f, ty.f * (1.f - tx.f), ty.f * tx.f};
        float* p[4] = {top + size_t(tx.i0) * c, top + size_t(tx.i1) * c, bot + size_t(tx.i0) * c, bot + size_t(tx.i1) * c};
        for (int q = 0; q < 4; ++q)
          for (size_t ch = 0; ch < c; ++ch) p[q][ch] += d[ch] * w[q];
      }
    }
  }
}

}  // namespace portable

#if WASMCNN_SIMD
namespace simd {

namespace {
// dst[ch] += src[ch] * w for ch < c.
inline void add_scaled(size_t c, const float* src, float w, float* dst) {
  const v128_t wv = wasm_f32x4_splat(w);
  size_t ch = 0;
  for (; ch + 4 <= c; ch += 4)
    wasm_v128_store(dst + ch, wasm_f32x4_add(wasm_v128_load(dst + ch), wasm_f32x4_mul(wasm_v128_load(src + ch), wv)));
  for (; ch < c; ++ch) dst[ch] += src[ch] * w;
}
}  // namespace

void resize_nearest_backward(const ResizeGeometry& g, size_t n0, size_t n1, const float* dy, float* dx) {
  WASMCNN_ASSERT(n0 <= n1);
  const size_t c = g.c, in_size = size_t(g.h) * g.w * c, out_size = size_t(g.oh) * g.ow * c;
  const AxisSampler sy = rows_of(g), sx = columns_of(g);
  std::fill(dx + n0 * in_size, dx + n1 * in_size, 0.f);
  for (size_t i = n0; i < n1; ++i) {
    const float* d = dy + i * out_size;
    for (int oy = 0; oy < g.oh; ++oy) {
      float* row = dx + i * in_size + size_t(sy.nearest(oy)) * g.w * c;
      for (int ox = 0; ox < g.ow; ++ox, d += c) {
        float* p = row + size_t(sx.nearest(ox)) * c;
        size_t ch = 0;
        for (; ch + 4 <= c; ch += 4) wasm_v128_store(p + ch, wasm_f32x4_add(wasm_v128_load(p + ch), wasm_v128_load(d + ch)));
        for (; ch < c; ++ch) p[ch] += d[ch];
      }
    }
  }
}

void resize_bilinear_forward(const ResizeGeometry& g, size_t n0, size_t n1, const float* x, float* y) {
  WASMCNN_ASSERT(g.h >= 1 && g.w >= 1 && g.oh >= 1 && g.ow >= 1 && n0 <= n1);
  const size_t c = g.c, row = size_t(g.w) * c, in_size = size_t(g.h) * row, out_size = size_t(g.oh) * g.ow * c;
  const AxisSampler sy = rows_of(g), sx = columns_of(g);
  for (size_t i = n0; i < n1; ++i) {
    float* yp = y + i * out_size;
    for (int oy = 0; oy < g.oh; ++oy) {
      const LerpTaps ty = sy.taps(oy);
      const float* top = x + i * in_size + size_t(ty.i0) * row;
      const float* bot = x + i * in_size + size_t(ty.i1) * row;
      const v128_t fy = wasm_f32x4_splat(ty.f);
      for (int ox = 0; ox < g.ow; ++ox, yp += c) {
        const LerpTaps tx = sx.taps(ox);
        const float *tl = top + size_t(tx.i0) * c, *tr = top + size_t(tx.i1) * c;
        const float *bl = bot + size_t(tx.i0) * c, *br = bot + size_t(tx.i1) * c;
        const v128_t fx = wasm_f32x4_splat(tx.f);
        size_t ch = 0;
        for (; ch + 4 <= c; ch += 4) {
          const v128_t vtl = wasm_v128_load(tl + ch), vbl = wasm_v128_load(bl + ch);
          const v128_t t = wasm_f32x4_add(vtl, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(tr + ch), vtl), fx));
          const v128_t b = wasm_f32x4_add(vbl, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(br + ch), vbl), fx));
          wasm_v128_store(yp + ch, wasm_f32x4_add(t, wasm_f32x4_mul(wasm_f32x4_sub(b, t), fy)));
        }
        for (; ch < c; ++ch) {
          const float t = tl[ch] + (tr[ch] - tl[ch]) * tx.f, b = bl[ch] + (br[ch] - bl[ch]) * tx.f;
          yp[ch] = t + (b - t) * ty.f;
        }
      }
    }
  }
}

void resize_bilinear_backward(const ResizeGeometry& g, size_t n0, size_t n1, const float* dy, float* dx) {
  WASMCNN_ASSERT(n0 <= n1);
  const size_t c = g.c, row = size_t(g.w) * c, in_size = size_t(g.h) * row, out_size = size_t(g.oh) * g.ow * c;
  const AxisSampler sy = rows_of(g), sx = columns_of(g);
  std::fill(dx + n0 * in_size, dx + n1 * in_size, 0.f);
  for (size_t i = n0; i < n1; ++i) {
    const float* d = dy + i * out_size;
    for (int oy = 0; oy < g.oh; ++oy) {
      const LerpTaps ty = sy.taps(oy);
      float* top = dx + i * in_size + size_t(ty.i0) * row;
      float* bot = dx + i * in_size + size_t(ty.i1) * row;
      for (int ox = 0; ox < g.ow; ++ox, d += c) {
        const LerpTaps tx = sx.taps(ox);
        add_scaled(c, d, (1.f - ty.f) * (1.f - tx.f), top + size_t(tx.i0) * c);
        add_scaled(c, d, (1.f - ty.f) * tx.f, top + size_t(tx.i1) * c);
        add_scaled(c, d, ty.f * (1.f - tx.f), bot + size_t(tx.i0) * c);
        add_scaled(c, d, ty.f * tx.f, bot + size_t(tx.i1) * c);
      }
    }
  }
}

}  // namespace simd
#endif

}  // namespace wasmcnn::kernels

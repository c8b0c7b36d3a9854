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
  const size_t c = size_t(g.c);
  for_each_bilinear_pixel(g, n0, n1, [&](const BilinearTaps& t, size_t out) { bilinear_channels(0, c, x, t, y + out); });
}

void resize_bilinear_backward(const ResizeGeometry& g, size_t n0, size_t n1, const float* dy, float* dx) {
  WASMCNN_ASSERT(n0 <= n1);
  const size_t c = size_t(g.c), in_size = size_t(g.h) * size_t(g.w) * c;
  std::fill(dx + n0 * in_size, dx + n1 * in_size, 0.f);
  for_each_bilinear_pixel(g, n0, n1, [&](const BilinearTaps& t, size_t out) {
    const float w[4] = {(1.f - t.fy) * (1.f - t.fx), (1.f - t.fy) * t.fx, t.fy * (1.f - t.fx), t.fy * t.fx};
    const size_t at[4] = {t.tl, t.tr, t.bl, t.br};
    for (int q = 0; q < 4; ++q)
      for (size_t ch = 0; ch < c; ++ch) dx[at[q] + ch] += dy[out + ch] * w[q];
  });
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
  const size_t c = size_t(g.c);
  for_each_bilinear_pixel(g, n0, n1, [&](const BilinearTaps& t, size_t out) {
    const v128_t fx = wasm_f32x4_splat(t.fx), fy = wasm_f32x4_splat(t.fy);
    size_t ch = 0;
    for (; ch + 4 <= c; ch += 4) {
      const v128_t tl = wasm_v128_load(x + t.tl + ch), bl = wasm_v128_load(x + t.bl + ch);
      const v128_t top = wasm_f32x4_add(tl, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + t.tr + ch), tl), fx));
      const v128_t bottom = wasm_f32x4_add(bl, wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(x + t.br + ch), bl), fx));
      wasm_v128_store(y + out + ch, wasm_f32x4_add(top, wasm_f32x4_mul(wasm_f32x4_sub(bottom, top), fy)));
    }
    bilinear_channels(ch, c, x, t, y + out);
  });
}

void resize_bilinear_backward(const ResizeGeometry& g, size_t n0, size_t n1, const float* dy, float* dx) {
  WASMCNN_ASSERT(n0 <= n1);
  const size_t c = size_t(g.c), in_size = size_t(g.h) * size_t(g.w) * c;
  std::fill(dx + n0 * in_size, dx + n1 * in_size, 0.f);
  for_each_bilinear_pixel(g, n0, n1, [&](const BilinearTaps& t, size_t out) {
    add_scaled(c, dy + out, (1.f - t.fy) * (1.f - t.fx), dx + t.tl);
    add_scaled(c, dy + out, (1.f - t.fy) * t.fx, dx + t.tr);
    add_scaled(c, dy + out, t.fy * (1.f - t.fx), dx + t.bl);
    add_scaled(c, dy + out, t.fy * t.fx, dx + t.br);
  });
}

}  // namespace simd
#endif

}  // namespace wasmcnn::kernels

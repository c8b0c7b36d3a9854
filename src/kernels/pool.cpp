#include "kernels/pool.h"

#include <algorithm>

namespace wasmcnn::kernels {

namespace {
struct Window {
  int y0, y1, x0, x1;  // clipped to the image, half-open
  int count() const { return (y1 - y0) * (x1 - x0); }
};
Window window(const ConvGeometry& g, int oy, int ox) {
  int y0 = oy * g.sh - g.pad_top, x0 = ox * g.sw - g.pad_left;
  return {std::max(y0, 0), std::min(y0 + g.kh, g.h), std::max(x0, 0), std::min(x0 + g.kw, g.w)};
}
float pool_scale(PoolMode mode, const Window& win) {
  return mode == PoolMode::Average && win.count() > 0 ? 1.f / float(win.count()) : 1.f;
}
}  // namespace

void max_pool_backward(size_t n_out, const float* dy, const int32_t* argmax, float* dx) {
  for (size_t i = 0; i < n_out; ++i) dx[argmax[i]] += dy[i];
}

void avg_pool_backward(const ConvGeometry& g, PoolMode mode, const float* dy, float* dx) {
  for (int oy = 0; oy < g.oh; ++oy)
    for (int ox = 0; ox < g.ow; ++ox, dy += g.c) {
      Window win = window(g, oy, ox);
      float s = pool_scale(mode, win);
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix) {
          float* d = dx + (size_t(iy) * g.w + ix) * g.c;
          for (int ch = 0; ch < g.c; ++ch) d[ch] += s * dy[ch];
        }
    }
}

namespace portable {

void max_pool_forward(const ConvGeometry& g, const float* x, float* y, int32_t* argmax) {
  for (int oy = 0; oy < g.oh; ++oy)
    for (int ox = 0; ox < g.ow; ++ox, y += g.c, argmax += g.c) {
      Window win = window(g, oy, ox);
      for (int ch = 0; ch < g.c; ++ch) {
        int32_t best = int32_t((size_t(win.y0) * g.w + win.x0) * g.c + ch);
        for (int iy = win.y0; iy < win.y1; ++iy)
          for (int ix = win.x0; ix < win.x1; ++ix) {
            int32_t at = int32_t((size_t(iy) * g.w + ix) * g.c + ch);
            if (x[at] > x[best]) best = at;
          }
        y[ch] = x[best];
        argmax[ch] = best;
      }
    }
}

void avg_pool_forward(const ConvGeometry& g, PoolMode mode, const float* x, float* y) {
  for (int oy = 0; oy < g.oh; ++oy)
    for (int ox = 0; ox < g.ow; ++ox, y += g.c) {
      Window win = window(g, oy, ox);
      for (int ch = 0; ch < g.c; ++ch) y[ch] = 0.f;
      for (int iy = win.y0; iy < win.y1; ++iy)
        for (int ix = win.x0; ix < win.x1; ++ix) {
          const float* p = x + (size_t(iy) * g.w + ix) * g.c;
          for (int ch = 0; ch < g.c; ++ch) y[ch] += p[ch];
        }
      float s = pool_scale(mode, win);
      for (int ch = 0; ch < g.c; ++ch) y[ch] *= s;
    }
}

}  // namespace portable

#if WASMCNN_SIMD
namespace simd {

// Vectorised across channels, which are contiguous in NHWC; the channel tail runs scalar.
void max_pool_forward(const ConvGeometry& g, const float* x, float* y, int32_t* argmax) {
  for (int oy = 0; oy < g.oh; ++oy)
    for (int ox = 0; ox < g.ow; ++ox, y += g.c, argmax += g.c) {
      Window win = window(g, oy, ox);
      int ch = 0;
      for (; ch + 4 <= g.c; ch += 4) {
        int32_t first = int32_t((size_t(win.y0) * g.w + win.x0) * g.c + ch);
        v128_t best = wasm_v128_load(x + first);
        v128_t best_at = wasm_i32x4_add(wasm_i32x4_splat(first), wasm_i32x4_make(0, 1, 2, 3));
        for (int iy = win.y0; iy < win.y1; ++iy)
          for (int ix = win.x0; ix < win.x1; ++ix) {
            int32_t at = int32_t((size_t(iy) * g.w + ix) * g.c + ch);
            v128_t v = wasm_v128_load(x + at);
            v128_t gt = wasm_f32x4_gt(v, best);
            best = wasm_v128_bitselect(v, best, gt);
            v128_t idx = wasm_i32x4_add(wasm_i32x4_splat(at), wasm_i32x4_make(0, 1, 2, 3));
            best_at = wasm_v128_bitselect(idx, best_at, gt);
          }
        wasm_v128_store(y + ch, best);
        wasm_v128_store(argmax + ch, best_at);
      }
      for (; ch < g.c; ++ch) {
        int32_t best = int32_t((size_t(win.y0) * g.w + win.x0) * g.c + ch);
        for (int iy = win.y0; iy < win.y1; ++iy)
          for (int ix = win.x0; ix < win.x1; ++ix) {
            int32_t at = int32_t((size_t(iy) * g.w + ix) * g.c + ch);
            if (x[at] > x[best]) best = at;
          }
        y[ch] = x[best];
        argmax[ch] = best;
      }
    }
}

void avg_pool_forward(const ConvGeometry& g, PoolMode mode, const float* x, float* y) {
  for (int oy = 0; oy < g.oh; ++oy)
    for (int ox = 0; ox < g.ow; ++ox, y += g.c) {
      Window win = window(g, oy, ox);
      float s = pool_scale(mode, win);
      int ch = 0;
      for (; ch + 4 <= g.c; ch += 4) {
        v128_t acc = wasm_f32x4_splat(0.f);
        for (int iy = win.y0; iy < win.y1; ++iy)
          for (int ix = win.x0; ix < win.x1; ++ix)
            acc = wasm_f32x4_add(acc, wasm_v128_load(x + (size_t(iy) * g.w + ix) * g.c + ch));
        wasm_v128_store(y + ch, wasm_f32x4_mul(acc, wasm_f32x4_splat(s)));
      }
      for (; ch < g.c; ++ch) {
        float acc = 0.f;
        for (int iy = win.y0; iy < win.y1; ++iy)
          for (int ix = win.x0; ix < win.x1; ++ix) acc += x[(size_t(iy) * g.w + ix) * g.c + ch];
        y[ch] = acc * s;
      }
    }
}

}  // namespace simd
#endif

}  // namespace wasmcnn::kernels

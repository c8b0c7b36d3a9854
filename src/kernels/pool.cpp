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
size_t in_floats(const ConvGeometry& g) { return size_t(g.h) * g.w * g.c; }
size_t out_floats(const ConvGeometry& g) { return size_t(g.oh) * g.ow * g.c; }

// Runs image(x_i, y_i, argmax_i) for the images of the range; argmax may be null.
template <class F>
void per_image(const ConvGeometry& g, const float* x, float* y, int32_t* argmax, Range images, F&& image) {
  const size_t in = in_floats(g), out = out_floats(g);
  for (size_t i = images.begin; i < images.end; ++i)
    image(x + i * in, y + i * out, argmax ? argmax + i * out : nullptr);
}

void avg_pool_backward_image(const ConvGeometry& g, PoolMode mode, const float* dy, float* dx) {
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
}  // namespace

void max_pool_backward(const ConvGeometry& g, const float* dy, const int32_t* argmax, float* dx, Range images) {
  const size_t in = in_floats(g), out = out_floats(g);
  for (size_t i = images.begin; i < images.end; ++i) {
    const float* dyi = dy + i * out;
    const int32_t* ai = argmax + i * out;
    float* dxi = dx + i * in;
    for (size_t o = 0; o < out; ++o) dxi[ai[o]] += dyi[o];
  }
}

void avg_pool_backward(const ConvGeometry& g, PoolMode mode, const float* dy, float* dx, Range images) {
  const size_t in = in_floats(g), out = out_floats(g);
  for (size_t i = images.begin; i < images.end; ++i) avg_pool_backward_image(g, mode, dy + i * out, dx + i * in);
}

namespace portable {

namespace {
void max_pool_image(const ConvGeometry& g, const float* x, float* y, int32_t* argmax) {
  size_t o = 0;
  for (int oy = 0; oy < g.oh; ++oy)
    for (int ox = 0; ox < g.ow; ++ox) {
      Window win = window(g, oy, ox);
      for (int ch = 0; ch < g.c; ++ch, ++o) {
        int32_t best = int32_t((size_t(win.y0) * g.w + win.x0) * g.c + ch);
        for (int iy = win.y0; iy < win.y1; ++iy)
          for (int ix = win.x0; ix < win.x1; ++ix) {
            int32_t at = int32_t((size_t(iy) * g.w + ix) * g.c + ch);
            if (x[at] > x[best]) best = at;
          }
        y[o] = x[best];
        if (argmax) argmax[o] = best;
      }
    }
}

void avg_pool_image(const ConvGeometry& g, PoolMode mode, const float* x, float* y) {
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
}  // namespace

void max_pool_forward(const ConvGeometry& g, const float* x, float* y, int32_t* argmax, Range images) {
  per_image(g, x, y, argmax, images, [&](const float* xi, float* yi, int32_t* ai) { max_pool_image(g, xi, yi, ai); });
}

void avg_pool_forward(const ConvGeometry& g, PoolMode mode, const float* x, float* y, Range images) {
  per_image(g, x, y, nullptr, images,
            [&](const float* xi, float* yi, int32_t*) { avg_pool_image(g, mode, xi, yi); });
}

}  // namespace portable

#if WASMCNN_SIMD
namespace simd {

namespace {

// One f32x4 of channels [ch, ch + 4) of an output: the max over the window's pixels in scan order
// and, with kArg, the flat index of the first maximum. The window's pixels lie at x + base +
// at[i] (channel 0); at[0] = 0 is the initial best, as in the portable loop. kCount > 0 fixes the
// count at compile time (4 for 2x2 windows) so the loop unrolls.
template <bool kArg, int kCount>
inline void max_vec(const float* x, int32_t base, const int32_t* at, int count, int ch, float* y, int32_t* argmax) {
  if (kCount > 0) count = kCount;
  const v128_t first = wasm_i32x4_add(wasm_i32x4_splat(base + ch), wasm_i32x4_make(0, 1, 2, 3));
  v128_t best = wasm_v128_load(x + base + ch), best_at = first;
  for (int i = 1; i < count; ++i) {
    const v128_t v = wasm_v128_load(x + base + at[i] + ch);
    if (kArg) {
      const v128_t gt = wasm_f32x4_gt(v, best);
      best_at = wasm_v128_bitselect(wasm_i32x4_add(first, wasm_i32x4_splat(at[i])), best_at, gt);
    }
    best = wasm_f32x4_pmax(best, v);  // best < v ? v : best: the first maximum stays, as with gt
  }
  wasm_v128_store(y + ch, best);
  if (kArg) wasm_v128_store(argmax + ch, best_at);
}

// Vectorised across channels, which are contiguous in NHWC. When c >= 4 and not a multiple of 4,
// the last vector starts at c - 4 and overlaps the previous one: the overlapped lanes are computed
// again, identically, instead of running a scalar tail. Only c < 4 runs scalar.
template <bool kArg>
void max_pool(const ConvGeometry& g, const float* x, float* y, int32_t* argmax) {
  const int32_t row = g.w * g.c;
  const int32_t at2x2[4] = {0, g.c, row, row + g.c};
  int32_t at[64];  // offsets of a general window's pixels, when it has at most 64
  // 2x2 windows that never overhang (LeNet's pools): no per-window clipping at all.
  const bool inside = g.pad_top == 0 && g.pad_left == 0 && (g.oh - 1) * g.sh + g.kh <= g.h &&
                      (g.ow - 1) * g.sw + g.kw <= g.w;
  if (inside && g.kh == 2 && g.kw == 2 && g.c >= 4) {
    for (int oy = 0; oy < g.oh; ++oy)
      for (int ox = 0; ox < g.ow; ++ox) {
        const size_t o = (size_t(oy) * g.ow + ox) * g.c;
        const int32_t base = int32_t((size_t(oy) * g.sh * g.w + size_t(ox) * g.sw) * g.c);
        int32_t* ao = kArg ? argmax + o : nullptr;
        int ch = 0;
        for (; ch + 4 <= g.c; ch += 4) max_vec<kArg, 4>(x, base, at2x2, 4, ch, y + o, ao);
        if (ch < g.c) max_vec<kArg, 4>(x, base, at2x2, 4, g.c - 4, y + o, ao);
      }
    return;
  }
  for (int oy = 0; oy < g.oh; ++oy)
    for (int ox = 0; ox < g.ow; ++ox) {
      const size_t o = (size_t(oy) * g.ow + ox) * g.c;
      const Window win = window(g, oy, ox);
      float* yo = y + o;
      int32_t* ao = kArg ? argmax + o : nullptr;
      const int32_t base = int32_t((size_t(win.y0) * g.w + win.x0) * g.c);
      if (g.c >= 4 && win.y1 - win.y0 == 2 && win.x1 - win.x0 == 2) {
        int ch = 0;
        for (; ch + 4 <= g.c; ch += 4) max_vec<kArg, 4>(x, base, at2x2, 4, ch, yo, ao);
        if (ch < g.c) max_vec<kArg, 4>(x, base, at2x2, 4, g.c - 4, yo, ao);
        continue;
      }
      if (g.c >= 4 && win.count() <= 64) {
        int count = 0;
        for (int iy = win.y0; iy < win.y1; ++iy)
          for (int ix = win.x0; ix < win.x1; ++ix) at[count++] = int32_t((size_t(iy) * g.w + ix) * g.c) - base;
        int ch = 0;
        for (; ch + 4 <= g.c; ch += 4) max_vec<kArg, 0>(x, base, at, count, ch, yo, ao);
        if (ch < g.c) max_vec<kArg, 0>(x, base, at, count, g.c - 4, yo, ao);
        continue;
      }
      for (int ch = 0; ch < g.c; ++ch) {
        int32_t best = base + ch;
        for (int iy = win.y0; iy < win.y1; ++iy)
          for (int ix = win.x0; ix < win.x1; ++ix) {
            int32_t a = int32_t((size_t(iy) * g.w + ix) * g.c + ch);
            if (x[a] > x[best]) best = a;
          }
        yo[ch] = x[best];
        if (kArg) ao[ch] = best;
      }
    }
}

void avg_pool_image(const ConvGeometry& g, PoolMode mode, const float* x, float* y) {
  for (int oy = 0; oy < g.oh; ++oy)
    for (int ox = 0; ox < g.ow; ++ox, y += g.c) {
      const Window win = window(g, oy, ox);
      const v128_t s = wasm_f32x4_splat(pool_scale(mode, win));
      auto vec = [&](int ch) {
        v128_t acc = wasm_f32x4_splat(0.f);
        for (int iy = win.y0; iy < win.y1; ++iy)
          for (int ix = win.x0; ix < win.x1; ++ix)
            acc = wasm_f32x4_add(acc, wasm_v128_load(x + (size_t(iy) * g.w + ix) * g.c + ch));
        wasm_v128_store(y + ch, wasm_f32x4_mul(acc, s));
      };
      int ch = 0;
      for (; ch + 4 <= g.c; ch += 4) vec(ch);
      if (ch < g.c && g.c >= 4) {
        vec(g.c - 4);
        continue;
      }
      for (; ch < g.c; ++ch) {
        float acc = 0.f;
        for (int iy = win.y0; iy < win.y1; ++iy)
          for (int ix = win.x0; ix < win.x1; ++ix) acc += x[(size_t(iy) * g.w + ix) * g.c + ch];
        y[ch] = acc * pool_scale(mode, win);
      }
    }
}

}  // namespace

void max_pool_forward(const ConvGeometry& g, const float* x, float* y, int32_t* argmax, Range images) {
  if (argmax)
    per_image(g, x, y, argmax, images, [&](const float* xi, float* yi, int32_t* ai) { max_pool<true>(g, xi, yi, ai); });
  else
    per_image(g, x, y, nullptr, images,
              [&](const float* xi, float* yi, int32_t*) { max_pool<false>(g, xi, yi, nullptr); });
}

void avg_pool_forward(const ConvGeometry& g, PoolMode mode, const float* x, float* y, Range images) {
  per_image(g, x, y, nullptr, images,
            [&](const float* xi, float* yi, int32_t*) { avg_pool_image(g, mode, xi, yi); });
}

}  // namespace simd
#endif

}  // namespace wasmcnn::kernels

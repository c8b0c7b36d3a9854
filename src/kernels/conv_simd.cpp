// The SIMD twins of the convolution kernels declared in conv.h: implicit-GEMM products through
// gemm_tiles.h, and a direct kernel for single-channel inputs.
#include <algorithm>
#include <cstring>

#include "kernels/conv.h"
#include "kernels/conv_scratch.h"
#include "kernels/gemm_tiles.h"

#if WASMCNN_SIMD
namespace wasmcnn::kernels::simd {

using namespace conv_scratch;

namespace {

// dst[i] += src[i] for i < n; a tail of 2 or 3 goes through one 64-bit lane.
inline void add_run(size_t n, const float* src, float* dst) {
  size_t i = 0;
  for (; i + 4 <= n; i += 4) wasm_v128_store(dst + i, wasm_f32x4_add(wasm_v128_load(dst + i), wasm_v128_load(src + i)));
  if (i + 2 <= n) {
    const v128_t sum = wasm_f32x4_add(wasm_v128_load64_zero(dst + i), wasm_v128_load64_zero(src + i));
    wasm_v128_store64_lane(dst + i, sum, 0);
    i += 2;
  }
  if (i < n) dst[i] += src[i];
}

// An image as the implicit-GEMM drivers read it: x itself, or its zero-padded copy in `pad`
// (whose border the caller zeroed once; only the interior is rewritten per image).
struct Source {
  const ConvGeometry& g;
  bool padded;
  size_t width;  // floats per row / c
  float* pad;

  Source(const ConvGeometry& geo, float* buf)
      : g(geo), padded(needs_padding(geo)), width(padded ? padded_w(geo) : geo.w), pad(buf) {
    if (padded) std::fill(pad, pad + padded_floats(g), 0.f);
  }
  const float* image(const float* x) const {
    if (!padded) return x;
    const size_t hp = padded_h(g), rows = std::min<size_t>(g.h, hp - g.pad_top);
    const size_t cols = std::min<size_t>(g.w, width - g.pad_left);
    for (size_t iy = 0; iy < rows; ++iy)
      std::memcpy(pad + ((iy + g.pad_top) * width + g.pad_left) * g.c, x + iy * g.w * g.c, cols * g.c * sizeof(float));
    return pad;
  }
  // The receptive field of output pixel p of an image: kh runs of kw*c floats, a row apart.
  tiles::KRuns runs() const { return {size_t(g.kh), size_t(g.kw) * g.c, width * g.c}; }
  auto rows(const float* src) const {
    return [src, this](size_t p) {
      const size_t oy = p / g.ow, ox = p % g.ow;
      return src + (oy * g.sh * width + ox * g.sw) * g.c;
    };
  }
};

// col2im for output pixels p0 .. p0+count-1 of an image, whose col rows are ldcol apart. Adds
// whole kernel rows (kw*c contiguous floats) at once when they lie inside the image.
void col2im_pixels(const ConvGeometry& g, size_t p0, size_t count, const float* col, size_t ldcol, float* dx) {
  const size_t run = size_t(g.kw) * g.c;
  for (size_t p = p0; p < p0 + count; ++p, col += ldcol) {
    const int oy = int(p / g.ow), ox = int(p % g.ow);
    const int y0 = oy * g.sh - g.pad_top, x0 = ox * g.sw - g.pad_left;
    const bool inside_x = x0 >= 0 && x0 + g.kw <= g.w;
    const float* c = col;
    for (int ky = 0; ky < g.kh; ++ky, c += run) {
      const int iy = y0 + ky;
      if (iy < 0 || iy >= g.h) continue;
      if (inside_x) {
        add_run(run, c, dx + (size_t(iy) * g.w + x0) * g.c);
        continue;
      }
      for (int kx = 0; kx < g.kw; ++kx) {
        const int ix = x0 + kx;
        if (ix >= 0 && ix < g.w) add_run(g.c, c + size_t(kx) * g.c, dx + (size_t(iy) * g.w + ix) * g.c);
      }
    }
  }
}

// Transposes the 4 x 4 block whose rows are r0..r3.
inline void transpose4(v128_t& r0, v128_t& r1, v128_t& r2, v128_t& r3) {
  const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);
  const v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);
  r0 = wasm_i32x4_shuffle(t0, t1, 0, 1, 4, 5);
  r1 = wasm_i32x4_shuffle(t0, t1, 2, 3, 6, 7);
  r2 = wasm_i32x4_shuffle(t2, t3, 0, 1, 4, 5);
  r3 = wasm_i32x4_shuffle(t2, t3, 2, 3, 6, 7);
}

// Stores lanes 0..NB-1 of v.
template <int NB>
inline void store_lanes(float* p, v128_t v) {
  if constexpr (NB == 4) {
    wasm_v128_store(p, v);
  } else if constexpr (NB == 3) {
    wasm_v128_store64_lane(p, v, 0);
    wasm_v128_store32_lane(p + 2, v, 2);
  } else if constexpr (NB == 2) {
    wasm_v128_store64_lane(p, v, 0);
  } else {
    wasm_v128_store32_lane(p, v, 0);
  }
}

// Output channels o0..o0+NB-1 of the 8 output pixels ox..ox+7 of one row, for a single input
// channel: the lanes are pixels, so every lane does useful work whatever oc is (an implicit GEMM
// with oc = 6 would waste 2 of every 8). xrow: the padded input at (oy*sh, ox); w, b: the kernel
// and bias from channel o0; y: the output at (oy, ox, o0); the first `valid` pixels are stored.
template <int NB>
inline void c1_tile(const float* xrow, size_t wp, const ConvGeometry& g, size_t oc, const float* w, const float* b,
                    bool relu, float* y, size_t valid) {
  const v128_t zero = wasm_f32x4_splat(0.f);
  v128_t acc[NB][2];
  for (int j = 0; j < NB; ++j) acc[j][0] = acc[j][1] = b ? wasm_f32x4_add(zero, wasm_v128_load32_splat(b + j)) : zero;
  for (int ky = 0; ky < g.kh; ++ky, xrow += wp)
    for (int kx = 0; kx < g.kw; ++kx, w += oc) {
      const v128_t x0 = wasm_v128_load(xrow + kx), x1 = wasm_v128_load(xrow + kx + 4);
      for (int j = 0; j < NB; ++j) {
        const v128_t wv = wasm_v128_load32_splat(w + j);
        acc[j][0] = wasm_f32x4_add(acc[j][0], wasm_f32x4_mul(x0, wv));
        acc[j][1] = wasm_f32x4_add(acc[j][1], wasm_f32x4_mul(x1, wv));
      }
    }
  for (int h = 0; h < 2; ++h) {
    v128_t r[4];
    for (int j = 0; j < 4; ++j) r[j] = j < NB ? (relu ? wasm_f32x4_pmax(zero, acc[j][h]) : acc[j][h]) : zero;
    transpose4(r[0], r[1], r[2], r[3]);  // r[p] = channels of pixel 4h + p
    for (size_t p = 0; p < 4 && 4 * h + p < valid; ++p) store_lanes<NB>(y + (4 * h + p) * oc, r[p]);
  }
}

// conv2d_forward for c == 1 and sw == 1 (LeNet's first layer), directly from a padded copy of
// each image: one f32x4 multiply-add per tap and 4 pixels, no patch matrix.
void conv2d_forward_c1(const ConvGeometry& g, size_t oc, const float* x, const float* w, const float* b, bool relu,
                       float* y, Range images, float* work) {
  const size_t wp = direct_c1_width(g), hp = padded_h(g), in_size = size_t(g.h) * g.w;
  std::fill(work, work + hp * wp, 0.f);
  const size_t rows = std::min<size_t>(g.h, hp - g.pad_top), cols = std::min<size_t>(g.w, padded_w(g) - g.pad_left);
  for (size_t i = images.begin; i < images.end; ++i) {
    const float* xi = x + i * in_size;
    for (size_t iy = 0; iy < rows; ++iy)
      std::memcpy(work + (iy + g.pad_top) * wp + g.pad_left, xi + iy * g.w, cols * sizeof(float));
    for (int oy = 0; oy < g.oh; ++oy) {
      const float* xrow = work + size_t(oy) * g.sh * wp;
      float* yrow = y + (i * g.oh + oy) * size_t(g.ow) * oc;
      for (int ox = 0; ox < g.ow; ox += 8) {
        const size_t valid = std::min(8, g.ow - ox);
        const float* xt = xrow + ox;
        float* yt = yrow + size_t(ox) * oc;
        size_t o = 0;
        for (; o + 4 <= oc; o += 4) c1_tile<4>(xt, wp, g, oc, w + o, b ? b + o : nullptr, relu, yt + o, valid);
        if (oc - o == 3) c1_tile<3>(xt, wp, g, oc, w + o, b ? b + o : nullptr, relu, yt + o, valid);
        if (oc - o == 2) c1_tile<2>(xt, wp, g, oc, w + o, b ? b + o : nullptr, relu, yt + o, valid);
        if (oc - o == 1) c1_tile<1>(xt, wp, g, oc, w + o, b ? b + o : nullptr, relu, yt + o, valid);
      }
    }
  }
}

}  // namespace

void col2im(const ConvGeometry& g, const float* col, float* dx) {
  col2im_pixels(g, 0, size_t(g.oh) * g.ow, col, g.patch(), dx);
}

void conv2d_forward(const ConvGeometry& g, size_t oc, const float* x, const float* w, const float* b, bool relu,
                    float* y, Range images, float* work) {
  if (images.empty() || oc == 0 || empty_output(g)) return;
  if (direct_c1(g)) return conv2d_forward_c1(g, oc, x, w, b, relu, y, images, work);
  const size_t in_size = size_t(g.h) * g.w * g.c, pixels = size_t(g.oh) * g.ow;
  Source src(g, work);
  float* gemm_work = work + padded_floats(g);
  for (size_t i = images.begin; i < images.end; ++i) {
    const float* xi = src.image(x + i * in_size);
    tiles::nn(pixels, oc, src.runs(), src.rows(xi), w, oc, b, relu, false, y + i * pixels * oc, oc, gemm_work);
  }
}

// A range of channels is a column block of dw and of each image's dz, read in place (ldb = oc).
void conv2d_backward_filter(const ConvGeometry& g, size_t n, size_t oc, const float* x, const float* dz, float* dw,
                            Range channels, float* work) {
  const size_t o0 = channels.begin, width = channels.size();
  if (width == 0) return;
  if (n == 0 || empty_output(g)) {
    for (size_t p = 0; p < g.patch(); ++p) std::fill(dw + p * oc + o0, dw + p * oc + o0 + width, 0.f);
    return;
  }
  const size_t in_size = size_t(g.h) * g.w * g.c, pixels = size_t(g.oh) * g.ow;
  Source src(g, work);
  for (size_t i = 0; i < n; ++i) {
    const float* xi = src.image(x + i * in_size);
    tiles::tn(g.patch(), width, pixels, src.runs(), src.rows(xi), dz + i * pixels * oc + o0, oc, i > 0, dw + o0, oc);
  }
}

// Blocks of kInputBlock output pixels: their dcol rows (dz * w^T) go to a small buffer that stays
// in L1 and are added into dx at once, pixel by pixel in order, so no dcol matrix for a whole
// image round-trips through L2. w^T is stored with its rows padded to whole column panels
// (zeros), so the GEMM needs no edge copy.
void conv2d_backward_input(const ConvGeometry& g, size_t oc, const float* dz, const float* w, float* dx,
                           Range images, float* work) {
  const size_t in_size = size_t(g.h) * g.w * g.c, pixels = size_t(g.oh) * g.ow, patch = g.patch();
  if (images.empty()) return;
  if (oc == 0 || empty_output(g)) {
    std::fill(dx + images.begin * in_size, dx + images.end * in_size, 0.f);
    return;
  }
  const size_t ld = input_grad_ld(g);
  float* w_t = work;            // [oc, ld]
  float* dcol = w_t + oc * ld;  // [kInputBlock, ld]
  transpose(patch, oc, w, oc, w_t, ld);
  for (size_t o = 0; o < oc; ++o) std::fill(w_t + o * ld + patch, w_t + (o + 1) * ld, 0.f);
  for (size_t i = images.begin; i < images.end; ++i) {
    const float* dzi = dz + i * pixels * oc;
    float* dxi = dx + i * in_size;
    std::fill(dxi, dxi + in_size, 0.f);
    for (size_t p0 = 0; p0 < pixels; p0 += kInputBlock) {
      const size_t count = std::min(kInputBlock, pixels - p0);
      tiles::nn(count, ld, tiles::plain_runs(oc), [=](size_t r) { return dzi + (p0 + r) * oc; }, w_t, ld, nullptr,
                false, false, dcol, ld, nullptr);
      col2im_pixels(g, p0, count, dcol, ld, dxi);
    }
  }
}

}  // namespace wasmcnn::kernels::simd
#endif

// The SIMD twins of the depthwise kernels (depthwise.h): 4 channels per vector, 16 per block.
// dm > 1 goes through an expanded copy of the image (each input value repeated dm times, in
// `work`), after which output channel o reads lane o of the expanded pixel, as for dm == 1.
#include <algorithm>
#include <cstddef>

#include "core/check.h"
#include "kernels/depthwise.h"

#if WASMCNN_SIMD
namespace wasmcnn::kernels::simd {

namespace {

inline v128_t madd(v128_t acc, const float* a, const float* b) {
  return wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a), wasm_v128_load(b)));
}

// Sixteen channels' sums in four registers: the wide step of the forward and input-gradient loops.
struct Sum16 {
  v128_t a[4];
  // Starting from b[0..16) (a bias), or from 0 when b is null.
  explicit Sum16(const float* b) {
    for (int r = 0; r < 4; ++r) a[r] = b ? wasm_v128_load(b + 4 * r) : wasm_f32x4_splat(0.f);
  }
  void add_products(const float* x, const float* w) {
    for (int r = 0; r < 4; ++r) a[r] = madd(a[r], x + 4 * r, w + 4 * r);
  }
  void store(float* y) const {
    for (int r = 0; r < 4; ++r) wasm_v128_store(y + 4 * r, a[r]);
  }
};

// The image as the kernels read it: x itself (dm == 1) or its expansion into work, so that pixel
// p's oc values start at p * oc either way.
const float* source_image(const WindowGeometry& g, int dm, const float* xi, float* work) {
  if (dm == 1) return xi;
  float* e = work;
  const size_t pixels = g.in_pixels();
  for (size_t p = 0; p < pixels; ++p, xi += g.c)
    for (int ci = 0; ci < g.c; ++ci) {
      std::fill(e, e + dm, xi[ci]);
      e += dm;
    }
  return work;
}

// One output pixel: yp[o] = b[o] + taps, for the taps ry x rx; xs: the (expanded) image, iy0/ix0:
// the input coordinates of tap (0, 0).
void forward_pixel(const WindowGeometry& g, size_t oc, const float* xs, int iy0, int ix0, TapRange ry, TapRange rx,
                   const float* w, const float* b, float* yp) {
  const size_t row = size_t(g.w) * oc, wrow = size_t(g.kw) * oc;
  const v128_t zero = wasm_f32x4_splat(0.f);
  size_t o = 0;
  for (; o + 16 <= oc; o += 16) {
    Sum16 acc(b ? b + o : nullptr);
    for (int ky = ry.k0; ky < ry.k1; ++ky) {
      const float* xr = xs + size_t(iy0 + ky * g.dh) * row + o;
      const float* wr = w + ky * wrow + o;
      for (int kx = rx.k0; kx < rx.k1; ++kx) acc.add_products(xr + size_t(ix0 + kx * g.dw) * oc, wr + kx * oc);
    }
    acc.store(yp + o);
  }
  for (; o + 4 <= oc; o += 4) {
    v128_t a = b ? wasm_v128_load(b + o) : zero;
    for (int ky = ry.k0; ky < ry.k1; ++ky)
      for (int kx = rx.k0; kx < rx.k1; ++kx)
        a = madd(a, xs + size_t(iy0 + ky * g.dh) * row + size_t(ix0 + kx * g.dw) * oc + o, w + ky * wrow + kx * oc + o);
    wasm_v128_store(yp + o, a);
  }
  for (; o < oc; ++o) {
    float a = b ? b[o] : 0.f;
    for (int ky = ry.k0; ky < ry.k1; ++ky)
      for (int kx = rx.k0; kx < rx.k1; ++kx)
        a += xs[size_t(iy0 + ky * g.dh) * row + size_t(ix0 + kx * g.dw) * oc + o] * w[ky * wrow + kx * oc + o];
    yp[o] = a;
  }
}

// Output pixels [ox0, ox1) of a row whose 3x3 windows lie wholly inside the image (MobileNet's
// case): one channel vector at a time, its 9 weight vectors and bias held in registers while the
// row streams past; the same sums in the same order as forward_pixel. xs0: the (expanded) input at
// tap (0, 0) of pixel ox0's window; yp: the output at ox0.
void forward_row_3x3(const WindowGeometry& g, size_t oc, const float* xs0, int ox0, int ox1, const float* w,
                     const float* b, float* yp) {
  const size_t row = size_t(g.w) * oc * g.dh, col = size_t(g.dw) * oc, step = size_t(g.sw) * oc;
  const v128_t zero = wasm_f32x4_splat(0.f);
  size_t o = 0;
  for (; o + 4 <= oc; o += 4) {
    const v128_t w0 = wasm_v128_load(w + o), w1 = wasm_v128_load(w + oc + o), w2 = wasm_v128_load(w + 2 * oc + o);
    const v128_t w3 = wasm_v128_load(w + 3 * oc + o), w4 = wasm_v128_load(w + 4 * oc + o);
    const v128_t w5 = wasm_v128_load(w + 5 * oc + o), w6 = wasm_v128_load(w + 6 * oc + o);
    const v128_t w7 = wasm_v128_load(w + 7 * oc + o), w8 = wasm_v128_load(w + 8 * oc + o);
    const v128_t bv = b ? wasm_v128_load(b + o) : zero;
    const float* xp = xs0 + o;
    float* yo = yp + o;
    for (int ox = ox0; ox < ox1; ++ox, xp += step, yo += oc) {
      const float* r1 = xp + row;
      const float* r2 = r1 + row;
      v128_t a = wasm_f32x4_add(bv, wasm_f32x4_mul(wasm_v128_load(xp), w0));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(xp + col), w1));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(xp + 2 * col), w2));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(r1), w3));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(r1 + col), w4));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(r1 + 2 * col), w5));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(r2), w6));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(r2 + col), w7));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(wasm_v128_load(r2 + 2 * col), w8));
      wasm_v128_store(yo, a);
    }
  }
  for (; o < oc; ++o) {
    const float* xp = xs0 + o;
    for (int ox = ox0; ox < ox1; ++ox, xp += step) {
      float a = b ? b[o] : 0.f;
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) a += xp[ky * row + kx * col] * w[(ky * 3 + kx) * oc + o];
      yp[size_t(ox - ox0) * oc + o] = a;
    }
  }
}

// The output pixels [lo, hi) of row oy whose 3x3 windows lie wholly inside the image (empty unless
// the kernel is 3x3 and the row's taps all are).
struct Span {
  int lo, hi;
};
Span inside_3x3(const WindowGeometry& g, TapRange ry) {
  if (g.kh != 3 || g.kw != 3 || ry.k0 != 0 || ry.k1 != 3) return {g.ow, g.ow};
  const int lo = std::min(g.ow, (g.pad_left + g.sw - 1) / g.sw);
  const int last = g.w - 1 - 2 * g.dw + g.pad_left;  // ox * sw <= last
  return {lo, last < 0 ? lo : std::max(lo, std::min(g.ow, last / g.sw + 1))};
}

// filter_pixel for the output pixels [ox0, ox1) of a row whose 3x3 windows lie inside the image:
// per channel vector, the 9 kernel-gradient sums stay in registers while the row streams past,
// each still summed in pixel order. xs0: the input at tap (0, 0) of pixel ox0; dyp: dy at ox0.
void filter_row_3x3(const WindowGeometry& g, size_t oc, const float* xs0, int ox0, int ox1, const float* dyp,
                    float* dw) {
  const size_t row = size_t(g.w) * oc * g.dh, col = size_t(g.dw) * oc, step = size_t(g.sw) * oc;
  size_t o = 0;
  for (; o + 4 <= oc; o += 4) {
    v128_t a[9];
    for (int t = 0; t < 9; ++t) a[t] = wasm_v128_load(dw + t * oc + o);
    const float* xp = xs0 + o;
    const float* d = dyp + o;
    for (int ox = ox0; ox < ox1; ++ox, xp += step, d += oc) {
      const v128_t dv = wasm_v128_load(d);
      const float* r1 = xp + row;
      const float* r2 = r1 + row;
      a[0] = wasm_f32x4_add(a[0], wasm_f32x4_mul(wasm_v128_load(xp), dv));
      a[1] = wasm_f32x4_add(a[1], wasm_f32x4_mul(wasm_v128_load(xp + col), dv));
      a[2] = wasm_f32x4_add(a[2], wasm_f32x4_mul(wasm_v128_load(xp + 2 * col), dv));
      a[3] = wasm_f32x4_add(a[3], wasm_f32x4_mul(wasm_v128_load(r1), dv));
      a[4] = wasm_f32x4_add(a[4], wasm_f32x4_mul(wasm_v128_load(r1 + col), dv));
      a[5] = wasm_f32x4_add(a[5], wasm_f32x4_mul(wasm_v128_load(r1 + 2 * col), dv));
      a[6] = wasm_f32x4_add(a[6], wasm_f32x4_mul(wasm_v128_load(r2), dv));
      a[7] = wasm_f32x4_add(a[7], wasm_f32x4_mul(wasm_v128_load(r2 + col), dv));
      a[8] = wasm_f32x4_add(a[8], wasm_f32x4_mul(wasm_v128_load(r2 + 2 * col), dv));
    }
    for (int t = 0; t < 9; ++t) wasm_v128_store(dw + t * oc + o, a[t]);
  }
  for (; o < oc; ++o) {
    const float* xp = xs0 + o;
    for (int ox = ox0; ox < ox1; ++ox, xp += step) {
      const float d = dyp[size_t(ox - ox0) * oc + o];
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) dw[(ky * 3 + kx) * oc + o] += xp[ky * row + kx * col] * d;
    }
  }
}

// db[o] += dy[p, o] for the pixels of one output row, in order.
void bias_row(size_t oc, int pixels, const float* dyp, float* db) {
  for (int p = 0; p < pixels; ++p, dyp += oc) {
    size_t o = 0;
    for (; o + 4 <= oc; o += 4) wasm_v128_store(db + o, wasm_f32x4_add(wasm_v128_load(db + o), wasm_v128_load(dyp + o)));
    for (; o < oc; ++o) db[o] += dyp[o];
  }
}

// dw[t, o] += x * dy for one output pixel's taps.
void filter_pixel(const WindowGeometry& g, size_t oc, const float* xs, int iy0, int ix0, TapRange ry, TapRange rx,
                  const float* dyp, float* dw) {
  const size_t row = size_t(g.w) * oc, wrow = size_t(g.kw) * oc;
  size_t o = 0;
  for (; o + 16 <= oc; o += 16) {
    const v128_t d0 = wasm_v128_load(dyp + o), d1 = wasm_v128_load(dyp + o + 4);
    const v128_t d2 = wasm_v128_load(dyp + o + 8), d3 = wasm_v128_load(dyp + o + 12);
    for (int ky = ry.k0; ky < ry.k1; ++ky) {
      const float* xr = xs + size_t(iy0 + ky * g.dh) * row + o;
      float* wr = dw + ky * wrow + o;
      for (int kx = rx.k0; kx < rx.k1; ++kx) {
        const float* xp = xr + size_t(ix0 + kx * g.dw) * oc;
        float* wp = wr + kx * oc;
        wasm_v128_store(wp, wasm_f32x4_add(wasm_v128_load(wp), wasm_f32x4_mul(wasm_v128_load(xp), d0)));
        wasm_v128_store(wp + 4, wasm_f32x4_add(wasm_v128_load(wp + 4), wasm_f32x4_mul(wasm_v128_load(xp + 4), d1)));
        wasm_v128_store(wp + 8, wasm_f32x4_add(wasm_v128_load(wp + 8), wasm_f32x4_mul(wasm_v128_load(xp + 8), d2)));
        wasm_v128_store(wp + 12,
                        wasm_f32x4_add(wasm_v128_load(wp + 12), wasm_f32x4_mul(wasm_v128_load(xp + 12), d3)));
      }
    }
  }
  for (; o + 4 <= oc; o += 4) {
    const v128_t d = wasm_v128_load(dyp + o);
    for (int ky = ry.k0; ky < ry.k1; ++ky)
      for (int kx = rx.k0; kx < rx.k1; ++kx) {
        float* wp = dw + ky * wrow + kx * oc + o;
        const float* xp = xs + size_t(iy0 + ky * g.dh) * row + size_t(ix0 + kx * g.dw) * oc + o;
        wasm_v128_store(wp, wasm_f32x4_add(wasm_v128_load(wp), wasm_f32x4_mul(wasm_v128_load(xp), d)));
      }
  }
  for (; o < oc; ++o) {
    for (int ky = ry.k0; ky < ry.k1; ++ky)
      for (int kx = rx.k0; kx < rx.k1; ++kx)
        dw[ky * wrow + kx * oc + o] += xs[size_t(iy0 + ky * g.dh) * row + size_t(ix0 + kx * g.dw) * oc + o] * dyp[o];
  }
}

// The output pixel that tap k of input coordinate i comes from, or -1 when there is none.
inline int source_of(int i, int pad, int k, int dilation, int stride, int out) {
  const int t = i + pad - k * dilation;
  if (t < 0 || t % stride != 0 || t / stride >= out) return -1;
  return t / stride;
}

// s[o] = sum over the taps reaching input pixel (iy, ix) of w * dy, from 0, taps in order.
void input_pixel(const WindowGeometry& g, size_t oc, int iy, int ix, const float* dyi, const float* w, float* s) {
  const v128_t zero = wasm_f32x4_splat(0.f);
  size_t o = 0;
  for (; o + 16 <= oc; o += 16) {
    Sum16 acc(nullptr);
    for (int ky = 0; ky < g.kh; ++ky) {
      const int oy = source_of(iy, g.pad_top, ky, g.dh, g.sh, g.oh);
      if (oy < 0) continue;
      for (int kx = 0; kx < g.kw; ++kx) {
        const int ox = source_of(ix, g.pad_left, kx, g.dw, g.sw, g.ow);
        if (ox < 0) continue;
        acc.add_products(w + (size_t(ky) * g.kw + kx) * oc + o, dyi + (size_t(oy) * g.ow + ox) * oc + o);
      }
    }
    acc.store(s + o);
  }
  for (; o < oc; o += 4) {
    const size_t lanes = std::min<size_t>(4, oc - o);
    v128_t a = zero;
    float t[4] = {0.f, 0.f, 0.f, 0.f};
    for (int ky = 0; ky < g.kh; ++ky) {
      const int oy = source_of(iy, g.pad_top, ky, g.dh, g.sh, g.oh);
      if (oy < 0) continue;
      for (int kx = 0; kx < g.kw; ++kx) {
        const int ox = source_of(ix, g.pad_left, kx, g.dw, g.sw, g.ow);
        if (ox < 0) continue;
        const float* wp = w + (size_t(ky) * g.kw + kx) * oc + o;
        const float* dp = dyi + (size_t(oy) * g.ow + ox) * oc + o;
        if (lanes == 4)
          a = madd(a, wp, dp);
        else
          for (size_t j = 0; j < lanes; ++j) t[j] += wp[j] * dp[j];
      }
    }
    if (lanes == 4)
      wasm_v128_store(s + o, a);
    else
      for (size_t j = 0; j < lanes; ++j) s[o + j] = t[j];
  }
}

// input_pixel for the input pixels [ix0, ix1) of a row that all 9 taps of a 3x3 stride-1 kernel
// reach (dm == 1): the 9 weight vectors stay in registers; each sum starts from 0 and adds the taps
// in (ky, kx) order, i.e. from the output pixel down-right of (iy, ix) to the one up-left. dyp: dy
// at the output pixel tap (0, 0) of ix0 comes from; dxp: dx at ix0.
void input_row_3x3(const WindowGeometry& g, size_t oc, const float* dyp, int ix0, int ix1, const float* w,
                   float* dxp) {
  const size_t row = size_t(g.ow) * oc * g.dh, col = size_t(g.dw) * oc;
  const v128_t zero = wasm_f32x4_splat(0.f);
  size_t o = 0;
  for (; o + 4 <= oc; o += 4) {
    const v128_t w0 = wasm_v128_load(w + o), w1 = wasm_v128_load(w + oc + o), w2 = wasm_v128_load(w + 2 * oc + o);
    const v128_t w3 = wasm_v128_load(w + 3 * oc + o), w4 = wasm_v128_load(w + 4 * oc + o);
    const v128_t w5 = wasm_v128_load(w + 5 * oc + o), w6 = wasm_v128_load(w + 6 * oc + o);
    const v128_t w7 = wasm_v128_load(w + 7 * oc + o), w8 = wasm_v128_load(w + 8 * oc + o);
    const float* d0 = dyp + o;
    float* dx = dxp + o;
    for (int ix = ix0; ix < ix1; ++ix, d0 += oc, dx += oc) {
      const float* d1 = d0 - row;
      const float* d2 = d1 - row;
      v128_t a = wasm_f32x4_add(zero, wasm_f32x4_mul(w0, wasm_v128_load(d0)));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(w1, wasm_v128_load(d0 - col)));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(w2, wasm_v128_load(d0 - 2 * col)));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(w3, wasm_v128_load(d1)));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(w4, wasm_v128_load(d1 - col)));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(w5, wasm_v128_load(d1 - 2 * col)));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(w6, wasm_v128_load(d2)));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(w7, wasm_v128_load(d2 - col)));
      a = wasm_f32x4_add(a, wasm_f32x4_mul(w8, wasm_v128_load(d2 - 2 * col)));
      wasm_v128_store(dx, a);
    }
  }
  for (; o < oc; ++o) {
    const float* d0 = dyp + o;
    for (int ix = ix0; ix < ix1; ++ix, d0 += oc) {
      float a = 0.f;
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) a += w[(ky * 3 + kx) * oc + o] * d0[-ptrdiff_t(ky * row + kx * col)];
      dxp[size_t(ix - ix0) * oc + o] = a;
    }
  }
}

}  // namespace

void depthwise_forward(const WindowGeometry& g, int dm, size_t n0, size_t n1, int oy0, int oy1, const float* x,
                       const float* w, const float* b, float* y, float* work) {
  WASMCNN_ASSERT(dm >= 1 && n0 <= n1 && 0 <= oy0 && oy0 <= oy1 && oy1 <= g.oh && (dm == 1 || work));
  const size_t oc = size_t(g.c) * dm, in_size = g.in_pixels() * g.c, out_size = g.out_pixels() * oc;
  for (size_t i = n0; i < n1; ++i) {
    const float* xs = source_image(g, dm, x + i * in_size, work);
    for (int oy = oy0; oy < oy1; ++oy) {
      const TapRange ry = tap_range(oy, g.sh, g.pad_top, g.dh, g.kh, g.h);
      float* yrow = y + i * out_size + size_t(oy) * g.ow * oc;
      const int iy0 = oy * g.sh - g.pad_top;
      const auto [lo, hi] = inside_3x3(g, ry);
      for (int ox = 0; ox < g.ow; ++ox) {
        if (ox == lo && lo < hi) {
          forward_row_3x3(g, oc, xs + (size_t(iy0) * g.w + (lo * g.sw - g.pad_left)) * oc, lo, hi, w, b,
                          yrow + size_t(lo) * oc);
          ox = hi - 1;
          continue;
        }
        const TapRange rx = tap_range(ox, g.sw, g.pad_left, g.dw, g.kw, g.w);
        forward_pixel(g, oc, xs, iy0, ox * g.sw - g.pad_left, ry, rx, w, b, yrow + size_t(ox) * oc);
      }
    }
  }
}

void depthwise_backward_filter(const WindowGeometry& g, int dm, size_t n0, size_t n1, const float* x,
                               const float* dy, float* dw, float* db, float* work) {
  WASMCNN_ASSERT(dm >= 1 && n0 <= n1 && (dm == 1 || work));
  const size_t oc = size_t(g.c) * dm, in_size = g.in_pixels() * g.c, out_size = g.out_pixels() * oc;
  std::fill(dw, dw + size_t(g.kh) * g.kw * oc, 0.f);
  if (db) std::fill(db, db + oc, 0.f);
  for (size_t i = n0; i < n1; ++i) {
    const float* xs = source_image(g, dm, x + i * in_size, work);
    for (int oy = 0; oy < g.oh; ++oy) {
      const TapRange ry = tap_range(oy, g.sh, g.pad_top, g.dh, g.kh, g.h);
      const float* dyrow = dy + i * out_size + size_t(oy) * g.ow * oc;
      const int iy0 = oy * g.sh - g.pad_top;
      const auto [lo, hi] = inside_3x3(g, ry);
      for (int ox = 0; ox < g.ow; ++ox) {
        if (ox == lo && lo < hi) {
          filter_row_3x3(g, oc, xs + (size_t(iy0) * g.w + (lo * g.sw - g.pad_left)) * oc, lo, hi,
                         dyrow + size_t(lo) * oc, dw);
          ox = hi - 1;
          continue;
        }
        const TapRange rx = tap_range(ox, g.sw, g.pad_left, g.dw, g.kw, g.w);
        filter_pixel(g, oc, xs, iy0, ox * g.sw - g.pad_left, ry, rx, dyrow + size_t(ox) * oc, dw);
      }
      if (db) bias_row(oc, g.ow, dyrow, db);
    }
  }
}

void depthwise_backward_input(const WindowGeometry& g, int dm, size_t n0, size_t n1, const float* dy,
                              const float* w, float* dx, float* work) {
  WASMCNN_ASSERT(dm >= 1 && n0 <= n1 && (dm == 1 || work));
  const size_t oc = size_t(g.c) * dm, in_size = g.in_pixels() * g.c, out_size = g.out_pixels() * oc;
  for (size_t i = n0; i < n1; ++i) {
    const float* dyi = dy + i * out_size;
    float* dxp = dx + i * in_size;
    for (int iy = 0; iy < g.h; ++iy) {
      // The input pixels [lo, hi) of this row that every tap of a 3x3 stride-1 kernel reaches.
      int lo = g.w, hi = g.w;
      const int ty = iy + g.pad_top;  // the output row tap ky = 0 comes from
      if (dm == 1 && g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && ty - 2 * g.dh >= 0 && ty < g.oh) {
        lo = std::min(g.w, std::max(0, 2 * g.dw - g.pad_left));
        hi = std::max(lo, std::min(g.w, g.ow - g.pad_left));
      }
      for (int ix = 0; ix < g.w; ++ix, dxp += g.c) {
        if (ix == lo && lo < hi) {
          input_row_3x3(g, oc, dyi + (size_t(ty) * g.ow + (lo + g.pad_left)) * oc, lo, hi, w, dxp);
          dxp += size_t(hi - lo - 1) * g.c;
          ix = hi - 1;
          continue;
        }
        if (dm == 1) {
          input_pixel(g, oc, iy, ix, dyi, w, dxp);
          continue;
        }
        input_pixel(g, oc, iy, ix, dyi, w, work);
        for (int ci = 0; ci < g.c; ++ci) {
          const float* s = work + size_t(ci) * dm;
          float d = s[0];
          for (int m = 1; m < dm; ++m) d += s[m];
          dxp[ci] = d;
        }
      }
    }
  }
}

}  // namespace wasmcnn::kernels::simd
#endif

// The geometry of a sliding window with dilation over one NHWC image: what depthwise convolution
// (depthwise.h) and dilated im2col (im2col_dilated.h) share.
//
// Tap (ky, kx) of output pixel (oy, ox) reads input pixel
//   (oy * sh - pad_top + ky * dh, ox * sw - pad_left + kx * dw),
// and reads 0 where that lies outside the image. The window spans ek = (k - 1) * d + 1 pixels.
#pragma once

#include <cstddef>

namespace wasmcnn::kernels {

struct WindowGeometry {
  int h, w, c;            // input
  int kh, kw;             // kernel taps
  int sh, sw;             // strides
  int dh, dw;             // dilation rates (1: dense)
  int pad_top, pad_left;  // zero padding before the first row / column
  int oh, ow;             // output
  int span_h() const { return (kh - 1) * dh + 1; }
  int span_w() const { return (kw - 1) * dw + 1; }
  size_t in_pixels() const { return size_t(h) * w; }
  size_t out_pixels() const { return size_t(oh) * ow; }
};

// Calls f(in, k) for every tap of the output pixels [p0, p1), in (pixel, ky, kx) order: `in` is
// the input pixel the tap reads (y * w + x), or -1 where it falls in the zero padding; k counts
// the taps from 0 (the row of the col matrix times kh * kw plus the tap). im2col and col2im walk
// the window this way.
template <class F>
void for_each_tap(const WindowGeometry& g, size_t p0, size_t p1, F&& f) {
  size_t k = 0;
  for (size_t p = p0; p < p1; ++p) {
    const int y0 = int(p / size_t(g.ow)) * g.sh - g.pad_top, x0 = int(p % size_t(g.ow)) * g.sw - g.pad_left;
    for (int ky = 0; ky < g.kh; ++ky) {
      const int iy = y0 + ky * g.dh;
      for (int kx = 0; kx < g.kw; ++kx, ++k) {
        const int ix = x0 + kx * g.dw;
        f(iy < 0 || iy >= g.h || ix < 0 || ix >= g.w ? std::ptrdiff_t(-1) : std::ptrdiff_t(iy) * g.w + ix, k);
      }
    }
  }
}

// 'valid' (no padding: out = floor((in - span) / stride) + 1, 0 when the window does not fit) or
// 'same' (TensorFlow's: out = ceil(in / stride), padding (out - 1) * stride + span - in split with
// the smaller half before), the spans being the dilated ones. Contract: every size >= 1.
WindowGeometry window_geometry(int h, int w, int c, int kh, int kw, int sh, int sw, int dh, int dw, bool same);

// The taps of output row oy (or column) that land inside the input: k0 <= k < k1 (empty: k0 >= k1).
struct TapRange {
  int k0, k1;
};
inline TapRange tap_range(int o, int stride, int pad, int dilation, int taps, int in) {
  const int start = o * stride - pad;  // input coordinate of tap 0
  int k0 = 0, k1 = taps;
  if (start < 0) k0 = (-start + dilation - 1) / dilation;
  const int last = in - 1 - start;  // taps with k * dilation <= last are inside
  if (last < 0)
    k1 = 0;
  else if (last / dilation + 1 < taps)
    k1 = last / dilation + 1;
  return {k0, k1 > k0 ? k1 : k0};
}

}  // namespace wasmcnn::kernels

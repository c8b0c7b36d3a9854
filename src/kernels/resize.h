// Image resizing over NHWC batches, with TensorFlow.js's semantics (tfjs-backend-cpu 4.22
// ResizeBilinear / ResizeNearestNeighbor, which TF.js's UpSampling2D calls with the defaults
// alignCorners = false, halfPixelCenters = false):
//   ratio = alignCorners && out > 1 ? (in - 1) / (out - 1) : in / out         (in float64)
//   src   = halfPixelCenters ? ratio * (o + 0.5) - 0.5 : ratio * o
//   nearest:  min(in - 1, alignCorners ? round(src) : floor(src)), and >= 0 with halfPixelCenters
//             (src = ratio * (o + 0.5) there, without the - 0.5)
//   bilinear: i0 = max(0, floor(src)), i1 = min(in - 1, ceil(src)), f = src - i0 (as float);
//             top = tl + (tr - tl) * fx, bottom = bl + (br - bl) * fx, y = top + (bottom - top) * fy
// So TF.js's upSampling2d({interpolation: 'bilinear'}) is *not* Keras 2.x/3's (which resize with
// half-pixel centers): it samples at src = o * in / out, i.e. the top-left corners aligned, and
// this is what these kernels compute by default. cnn.image.fromPixels can use the same kernel at
// any in/out size. UpSampling2D 'nearest' with integer factors is the plain repeat.
//
// Backward passes scatter dy with the bilinear weights (1-fy)(1-fx), (1-fy)fx, fy(1-fx), fy fx to
// tl, tr, bl, br (nearest: all of dy to its source), in output pixel order; dx is overwritten.
// Thread-ready: images [n0, n1) per call.
#pragma once

#include <cstddef>

#include "kernels/simd.h"

namespace wasmcnn::kernels {

struct ResizeGeometry {
  int h, w, c;  // input
  int oh, ow;   // output
  bool align_corners = false;
  bool half_pixel_centers = false;
};

// Nearest neighbour: pure copies (memcpy per pixel), no SIMD twin.
void resize_nearest_forward(const ResizeGeometry& g, size_t n0, size_t n1, const float* x, float* y);
WASMCNN_KERNEL(void, resize_nearest_backward,
               (const ResizeGeometry& g, size_t n0, size_t n1, const float* dy, float* dx), (g, n0, n1, dy, dx))
WASMCNN_KERNEL(void, resize_bilinear_forward,
               (const ResizeGeometry& g, size_t n0, size_t n1, const float* x, float* y), (g, n0, n1, x, y))
WASMCNN_KERNEL(void, resize_bilinear_backward,
               (const ResizeGeometry& g, size_t n0, size_t n1, const float* dy, float* dx), (g, n0, n1, dy, dx))

// The source index / bilinear taps of output coordinates along one axis (shared by the twins): the
// ratio is computed once, each coordinate costs a multiply and a floor/ceil.
struct LerpTaps {
  int i0, i1;
  float f;
};
class AxisSampler {
 public:
  AxisSampler(int in, int out, bool align_corners, bool half_pixel_centers);
  int nearest(int o) const;
  LerpTaps taps(int o) const;

 private:
  double ratio_;
  int in_;
  bool align_, half_;
};
inline AxisSampler rows_of(const ResizeGeometry& g) { return {g.h, g.oh, g.align_corners, g.half_pixel_centers}; }
inline AxisSampler columns_of(const ResizeGeometry& g) { return {g.w, g.ow, g.align_corners, g.half_pixel_centers}; }

// The four source pixels of one output pixel, as float offsets into x (or dx), with the weights
// along each axis.
struct BilinearTaps {
  size_t tl, tr, bl, br;
  float fy, fx;
};

// Calls f(taps, out) for every output pixel of images [n0, n1), in output order, `out` being the
// pixel's float offset into y (or dy). Both twins' forward and backward walk the pixels this way.
template <class F>
void for_each_bilinear_pixel(const ResizeGeometry& g, size_t n0, size_t n1, F&& f) {
  const size_t c = size_t(g.c), row = size_t(g.w) * c, in_size = size_t(g.h) * row;
  const AxisSampler sy = rows_of(g), sx = columns_of(g);
  size_t out = n0 * size_t(g.oh) * size_t(g.ow) * c;
  for (size_t i = n0; i < n1; ++i)
    for (int oy = 0; oy < g.oh; ++oy) {
      const LerpTaps ty = sy.taps(oy);
      const size_t top = i * in_size + size_t(ty.i0) * row, bot = i * in_size + size_t(ty.i1) * row;
      for (int ox = 0; ox < g.ow; ++ox, out += c) {
        const LerpTaps tx = sx.taps(ox);
        const size_t left = size_t(tx.i0) * c, right = size_t(tx.i1) * c;
        f(BilinearTaps{top + left, top + right, bot + left, bot + right, ty.f, tx.f}, out);
      }
    }
}

// Channels [from, c) of one output pixel of the bilinear forward: the portable body, and the
// SIMD twin's tail.
inline void bilinear_channels(size_t from, size_t c, const float* x, const BilinearTaps& t, float* y) {
  for (size_t ch = from; ch < c; ++ch) {
    const float top = x[t.tl + ch] + (x[t.tr + ch] - x[t.tl + ch]) * t.fx;
    const float bottom = x[t.bl + ch] + (x[t.br + ch] - x[t.bl + ch]) * t.fx;
    y[ch] = top + (bottom - top) * t.fy;
  }
}

}  // namespace wasmcnn::kernels

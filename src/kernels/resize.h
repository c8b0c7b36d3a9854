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

}  // namespace wasmcnn::kernels
